#!/usr/bin/env python3
"""The Linux workload table (docs/linux-guest.md, "The Linux table").

    scripts/linux-guest bench [--targets LIST] [--run LIST] [--json FILE]
                              [--markdown] [--counter-base M] [--timeout S]
                              [--logs DIR] [--rounds N]

Runs the kit's workloads natively and on each target through
scripts/linux-guest (native, run-qemu, run-refvmm) and prints one table:
a row per target, its status, the guest's boot-to-/init time, each
workload's time per operation and its ratio to native, and for refvmm
targets the monitor's counters per fork. Progress goes to stderr, one line
per run started and finished.

With --rounds N every target runs N times, each in turn (a slow minute
of a shared host lands on all of them), and the table shows each
workload's median; the counters are the first round's.

Counters per fork come from two runs that differ only in the forkwait
count, N (the --run list's) and M (--counter-base, default 20):
(counters(N) - counters(M)) / (N - M), so the boot, the other workloads
and the report cancel out.

Exit status: 0 when the table was made (failed targets are rows, not
errors), 2 for a usage error, 77 when the kit cannot fetch the kernel.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KIT = os.path.join(ROOT, "scripts", "linux-guest")

# name -> (kit command, its arguments, class). The class picks the default
# time limit and how a failure is read: "hw" targets need the host's KVM.
TARGETS = {
    "qemu-tcg": (["run-qemu", "--accel", "tcg"], "tcg"),
    "qemu-kvm": (["run-qemu", "--accel", "kvm"], "hw"),
    "refvmm-trap": (["run-refvmm", "--mode", "trap"], "sw"),
    "refvmm-bt-simple": (["run-refvmm", "--mode", "bt-simple"], "sw"),
    "refvmm-bt": (["run-refvmm", "--mode", "bt"], "sw"),
    "refvmm-hw": (["run-refvmm", "--mode", "hw"], "hw"),
}
# Seconds. A software monitor boots in well under a minute of wall time
# and forkwait 200 takes about as long again; a hardware one boots in a
# second or two, so a minute means it is not getting anywhere.
DEFAULT_TIMEOUT = {"tcg": 300, "sw": 600, "hw": 60}

WORKLOADS = ("forkwait", "syscalls", "pgfault")
NATIVE_RUNS = 3
TAIL = 40

# The table's counter columns: label, then the --stats names it is read
# from, first present wins. trap mode has no bt.host_faults: there every
# host signal is one trap.event; under bt a callout is a trap.event too,
# so bt's own count of faults in translated code is the comparable one.
COUNTER_COLUMNS = [
    ("host faults", ["bt.host_faults", "trap.events"]),
    ("callouts", ["bt.callouts_total"]),
    ("hidden PF", ["shadow.hidden_faults"]),
    ("true PF", ["shadow.true_faults"]),
    ("trace faults", ["shadow.trace_faults"]),
    ("translations", ["bt.translations"]),
    ("CR3 switches", ["shadow.cr3_switches"]),
    ("cache flushes", ["bt.cache_flushes"]),
    ("interrupts", ["trap.delivered_interrupts"]),
]

# refvmm's statuses that say the host's KVM cannot run this guest at all
# (docs/refvmm.md, "Exit status"): no usable /dev/kvm, a KVM internal
# error, a failed VM entry.
REFVMM_HOST_STATUSES = {70, 86, 88}
QEMU_NO_KVM = re.compile(r"Could not access KVM|failed to initialize kvm|"
                         r"KVM internal error|kvm run failed", re.I)
# The kernel's own account of why it stopped, preferred to its last line
# (which, after a BUG, is the panic message or a register dump).
KERNEL_PROBLEM = re.compile(r"kernel BUG at|BUG:|Oops|general protection|"
                            r"Kernel panic|Unable to handle|popek-guest: error")
KERNEL_STAMP = re.compile(r"^\[\s*\d+\.\d+\]\s*")

KVM_PVM_NOTE = ("kvm_pvm runs no 32-bit guest with paging (MOV to CR0 "
                "with PG=1 raises #GP(0), docs/findings.md)")


def progress(text):
    print("bench: " + text, file=sys.stderr, flush=True)


def parse_run(text):
    """popek.run's syntax, as a list of (name, count or None)."""
    items = []
    for item in text.split(","):
        name, _, count = item.partition(":")
        if name not in WORKLOADS:
            raise ValueError("unknown workload '%s' (known: %s)" %
                             (name, " ".join(WORKLOADS)))
        if count and not count.isdigit():
            raise ValueError("bad count '%s' for %s" % (count, name))
        items.append((name, int(count) if count else None))
    return items


def format_run(items):
    return ",".join(n if c is None else "%s:%d" % (n, c) for n, c in items)


def kvm_backend():
    for b in ("kvm_intel", "kvm_amd", "kvm_pvm"):
        if os.path.exists("/sys/module/" + b):
            return b
    return "none"


def host_info():
    info = {"kvm_backend": kvm_backend()}
    keys = {"vendor_id": "vendor", "model name": "model_name",
            "cpu family": "family", "model": "model"}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if not line.strip():
                    break
                k, _, v = line.partition(":")
                k = k.strip()
                if k in keys:
                    v = v.strip()
                    info[keys[k]] = int(v) if v.isdigit() else v
    except OSError:
        pass
    return info


def guest_lines(stdout):
    """The serial output as lines: carriage returns and timestamps off."""
    out = []
    for line in stdout.replace("\r", "").split("\n"):
        line = KERNEL_STAMP.sub("", line).rstrip()
        if line and not line.startswith("linux-guest: "):
            out.append(line)
    return out


def parse_guest(lines):
    """The kit's popek-guest lines: boot ms, results, done."""
    boot, results, done = None, {}, False
    for line in lines:
        m = re.match(r"popek-guest: init uptime_ms=(\d+)$", line)
        if m:
            boot = int(m.group(1))
        m = re.match(r"popek-guest: result name=(\w+) iterations=(\d+) "
                     r"ns=(\d+)$", line)
        if m:
            results[m.group(1)] = {"iterations": int(m.group(2)),
                                   "ns": int(m.group(3))}
        if line == "popek-guest: done":
            done = True
    return boot, results, done


def parse_stats(stderr):
    """refvmm's --stats json object on stderr, and the other lines."""
    lines = stderr.split("\n")
    rest, stats = [], None
    i = 0
    while i < len(lines):
        if lines[i] == "{":
            j = i
            while j < len(lines) and lines[j] != "}":
                j += 1
            try:
                stats = json.loads("\n".join(lines[i:j + 1]))
            except ValueError:
                stats = None
            i = j + 1
            continue
        if lines[i].strip():
            rest.append(lines[i].rstrip())
        i += 1
    return stats, rest


def run_kit(args, timeout):
    """Runs scripts/linux-guest; returns (status, stdout, stderr, secs)."""
    start = time.monotonic()
    try:
        p = subprocess.run([KIT] + args, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
        status, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        # The kit's own limits should end a run first; this one only
        # catches a kit that hangs itself.
        status = 124
        out, err = e.stdout or b"", (e.stderr or b"") + b"bench: killed\n"
    secs = time.monotonic() - start
    return (status, out.decode("utf-8", "replace"),
            err.decode("utf-8", "replace"), secs)


class Runner:
    def __init__(self, logs):
        self.n = 0
        self.logs = logs

    def run(self, label, args, timeout):
        self.n += 1
        tag = "[%d] %s" % (self.n, label)
        progress(tag + " started")
        r = run_kit(args, timeout)
        progress("%s finished in %.1f s (status %d)" % (tag, r[3], r[0]))
        if self.logs:
            base = os.path.join(self.logs, "%02d-%s" % (
                self.n, re.sub(r"[^A-Za-z0-9.:,-]+", "_", label)))
            with open(base + ".out", "w") as f:
                f.write(r[1])
            with open(base + ".err", "w") as f:
                f.write(r[2])
        return r


def monitor_line(err_lines):
    """The monitor's one-line reason from stderr (QEMU's warnings about
    CPUID bits it cannot offer are not one), if it gave one."""
    mon = [l for l in err_lines
           if (l.startswith("refvmm:") or l.startswith("qemu-system")) and
           "warning:" not in l and "terminating on signal" not in l]
    return mon[-1] if mon else None


def guest_reason(lines):
    """The kernel's or /init's first word on what went wrong, else the
    guest's last line."""
    for line in lines:
        if KERNEL_PROBLEM.search(line):
            return line
    return lines[-1] if lines else None


def judge(name, cls, expect_status, status, lines, err_lines, items):
    """(status, reason) for one guest run: ok, failed or unavailable."""
    boot, results, done = parse_guest(lines)
    want = [n for n, _ in items]
    if (status == expect_status and done and
            all(n in results for n in want)):
        return "ok", None
    mon = monitor_line(err_lines)
    guest = guest_reason(lines)
    parts = ["status %d" % status]
    if status in (124, 137) and name.startswith("qemu"):
        parts.append("timed out")
    elif status == 0 and name.startswith("qemu"):
        parts.append("the guest reset the machine")
    if mon:
        parts.append(mon)
    if guest:
        parts.append("guest: " + guest)
    reason = "; ".join(parts)
    if cls == "hw":
        host_refused = (
            (name.startswith("refvmm") and status in REFVMM_HOST_STATUSES) or
            (name.startswith("qemu") and any(QEMU_NO_KVM.search(l)
                                             for l in err_lines)))
        if host_refused:
            return "unavailable", reason
        if boot is None and kvm_backend() == "kvm_pvm":
            return "unavailable", KVM_PVM_NOTE + "; " + reason
    return "failed", reason


def per_op(results):
    return {n: {"iterations": r["iterations"], "ns": r["ns"],
                "ns_per_op": r["ns"] / r["iterations"]}
            for n, r in results.items() if r["iterations"] > 0}


def counters_per_fork(big, small, n, m):
    """Every counter that changed, per fork; notes (strings) dropped."""
    out = {}
    for k, v in big.items():
        w = small.get(k)
        if isinstance(v, int) and isinstance(w, int) and v != w:
            out[k] = (v - w) / (n - m)
    return out


def fmt_time(ns):
    if ns >= 1e6:
        return "%.2f ms" % (ns / 1e6)
    if ns >= 1e3:
        return "%.1f µs" % (ns / 1e3)
    return "%.0f ns" % ns


def fmt_num(x):
    if x is None:
        return "—"
    a = abs(x)
    if a >= 100 or a == int(a):
        return "%.0f" % x
    if a >= 10:
        return "%.1f" % x
    return "%.2f" % x


def table(data, markdown):
    """The table as text lines (aligned columns, or markdown)."""
    items = data["run_items"]
    head = ["target", "status", "boot to /init"]
    for n, _ in items:
        head += [n + " per op", "vs native"]
    # Counter columns only when a row can have counters (refvmm).
    columns = COUNTER_COLUMNS if any(
        "counters" in t for t in data["targets"]) else []
    head += [c for c, _ in columns]
    rows, notes = [], []
    for t in data["targets"]:
        status = t["status"]
        if t.get("reason"):
            notes.append("%s: %s" % (t["name"], t["reason"]))
            status += " [%d]" % len(notes)
        row = [t["name"], status,
               "—" if t.get("boot_ms") is None else
               "%.2f s" % (t["boot_ms"] / 1000)]
        for n, _ in items:
            w = t.get("workloads", {}).get(n)
            row.append(fmt_time(w["ns_per_op"]) if w else "—")
            r = w.get("ratio_to_native") if w else None
            row.append("—" if r is None else "%.1f" % r)
        pf = t.get("counters_per_fork")
        for _, keys in columns:
            v = None
            if pf is not None:
                k = next((k for k in keys if k in t.get("counters", {})),
                         None)
                if k is not None:
                    v = pf.get(k, 0.0)
            row.append(fmt_num(v))
        rows.append(row)
    out = [data["header"], ""]
    if markdown:
        out.append("| " + " | ".join(head) + " |")
        out.append("| " + " | ".join(
            "---" if i < 2 else "---:" for i in range(len(head))) + " |")
        out += ["| " + " | ".join(r) + " |" for r in rows]
    else:
        wid = [max(len(r[i]) for r in rows + [head])
               for i in range(len(head))]
        for r in [head] + rows:
            out.append("  ".join(c.ljust(wid[i]) if i < 2 else
                                 c.rjust(wid[i]) for i, c in enumerate(r)))
    if notes:
        out.append("")
        # A markdown list: consecutive lines would run into one paragraph.
        out += [("- " if markdown else "") + "[%d] %s" % (i + 1, n)
                for i, n in enumerate(notes)]
    cnote = data.get("counters_note")
    if cnote:
        out += ["", cnote]
    return out


def main():
    ap = argparse.ArgumentParser(
        prog="scripts/linux-guest bench",
        description="the Linux workload table: native and each target")
    ap.add_argument("--targets", default=",".join(TARGETS),
                    help="comma list from: " + ", ".join(TARGETS))
    ap.add_argument("--run", default="forkwait:200",
                    help="popek.run list, e.g. forkwait:200,syscalls:10000")
    ap.add_argument("--json", metavar="FILE")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--logs", metavar="DIR",
                    help="keep each run's console and stderr in DIR")
    ap.add_argument("--counter-base", type=int, default=20, metavar="M",
                    help="forks of the second run for counters per fork")
    ap.add_argument("--timeout", type=int, metavar="S",
                    help="time limit per run (default: by target)")
    ap.add_argument("--rounds", type=int, default=1, metavar="N",
                    help="runs of each target, in turn (1-15); each "
                    "workload's median")
    a = ap.parse_args()
    if not 1 <= a.rounds <= 15:
        ap.error("--rounds %d: from 1 to 15" % a.rounds)

    targets = [t for t in a.targets.split(",") if t]
    for t in targets:
        if t not in TARGETS:
            ap.error("unknown target '%s' (known: %s)" %
                     (t, ", ".join(TARGETS)))
    try:
        items = parse_run(a.run)
    except ValueError as e:
        ap.error(str(e))
    if a.logs:
        os.makedirs(a.logs, exist_ok=True)
    if a.json:
        d = os.path.dirname(os.path.abspath(a.json))
        if not os.path.isdir(d) or not os.access(d, os.W_OK):
            ap.error("--json %s: %s is not a writable directory" % (a.json, d))

    # Counters per fork: forkwait N against M, the rest of the list equal.
    forks = next((c for n, c in items if n == "forkwait"), None)
    base = a.counter_base
    cnote = None
    if forks is None:
        cnote = ("Counters per fork: not measured (no forkwait count in "
                 "--run).")
    elif forks <= base:
        base = forks // 2
        if base < 1:
            cnote = "Counters per fork: not measured (forkwait:%d)." % forks
    base_items = [(n, base if n == "forkwait" else c) for n, c in items]
    if not any(t.startswith("refvmm") for t in targets):
        cnote = None
        base = None
    counting = base is not None and cnote is None
    header = ("Linux guest workloads, popek.run=%s; time per operation is "
              "the guest's clock; ratio = target / native." % format_run(items))
    if counting:
        header += (" Monitor counters per fork = (counters of the "
                   "forkwait:%d run - counters of the forkwait:%d run) / "
                   "%d, so boot does not count." % (forks, base, forks - base))

    # The kernel and the initramfs once, before any run: a missing kernel
    # ends the bench as not run, and no two runs rebuild them.
    st, out, err, _ = run_kit(["paths"], 600)
    if st == 77:
        sys.stderr.write(err)
        return 77
    if st != 0:
        sys.stderr.write(out + err)
        progress("cannot build the initramfs")
        return 1
    version = {}
    build = os.environ.get("POPEK_BUILD", os.path.join(ROOT, "build"))
    try:
        with open(os.path.join(build, "linux-guest", "version")) as f:
            for line in f:
                k, _, v = line.strip().partition("=")
                version[k] = v
    except OSError:
        pass

    nruns = NATIVE_RUNS + len(targets) * a.rounds + (
        sum(1 for t in targets if t.startswith("refvmm")) if counting else 0)
    progress("up to %d runs: %d native, then %s" %
             (nruns, NATIVE_RUNS, ", ".join(targets) or "no target"))
    runner = Runner(a.logs)
    rows = []

    # Native runs take a second: three of them, the median of each
    # workload, so one disturbed by another job on the host does not set
    # every ratio.
    native = {"name": "native", "status": "ok", "reason": None,
              "boot_ms": None, "command": "scripts/linux-guest native "
              "--run " + format_run(items), "runs": NATIVE_RUNS}
    samples = {}
    for i in range(NATIVE_RUNS):
        st, out, err, secs = runner.run(
            "native %s (%d of %d)" % (format_run(items), i + 1, NATIVE_RUNS),
            ["native", "--run", format_run(items)], a.timeout or 300)
        lines = guest_lines(out)
        _, results, _ = parse_guest(lines)
        if st != 0 or any(n not in results for n, _ in items):
            native["status"] = "failed"
            native["exit_status"] = st
            native["reason"] = "; ".join(
                ["status %d" % st] +
                [l for l in (guest_reason(lines),) if l] +
                err.strip().split("\n")[-1:])
            break
        for n, r in per_op(results).items():
            samples.setdefault(n, []).append(r)
    native["workloads"] = {}
    if native["status"] == "ok":
        for n, rs in samples.items():
            rs.sort(key=lambda r: r["ns_per_op"])
            w = dict(rs[len(rs) // 2])
            w["samples_ns_per_op"] = [r["ns_per_op"] for r in rs]
            native["workloads"][n] = w
    for w in native["workloads"].values():
        w["ratio_to_native"] = 1.0
    rows.append(native)

    for name in targets:
        cmd, cls = TARGETS[name]
        limit = a.timeout or DEFAULT_TIMEOUT[cls]
        args = cmd + ["--run", format_run(items), "--timeout", str(limit)]
        is_refvmm = name.startswith("refvmm")
        if is_refvmm:
            args += ["--stats", "json"]
        row = {"name": name, "command": "scripts/linux-guest " +
               " ".join(args), "timeout_s": limit}
        if name.startswith("qemu") and not shutil.which("qemu-system-x86_64"):
            row.update(status="unavailable", reason="qemu-system-x86_64 "
                       "not found (scripts/install-deps)")
            progress("%s: %s" % (name, row["reason"]))
            rows.append(row)
            continue
        # refvmm exits 1 and QEMU (0 << 1) | 1 when /init wrote 0.
        st, out, err, secs = runner.run("%s %s" % (name, format_run(items)),
                                        args, limit + 30)
        lines = guest_lines(out)
        stats, err_lines = parse_stats(err)
        boot, results, _ = parse_guest(lines)
        status, reason = judge(name, cls, 1, st, lines, err_lines, items)
        row.update(status=status, reason=reason, exit_status=st,
                   wall_s=round(secs, 2), boot_ms=boot,
                   workloads=per_op(results))
        if status != "ok":
            # What the table's one line leaves out.
            row["console_tail"] = lines[-TAIL:]
            row["stderr"] = err_lines[-TAIL:]
        for n, w in row["workloads"].items():
            nw = native["workloads"].get(n)
            w["ratio_to_native"] = (w["ns_per_op"] / nw["ns_per_op"]
                                    if nw else None)
        if is_refvmm:
            row["counters"] = stats or {}
        if is_refvmm and counting:
            if status == "failed":
                row["counters_note"] = "not measured: the run failed"
            elif status == "ok":
                bargs = [x if x != format_run(items) else
                         format_run(base_items) for x in args]
                st2, out2, err2, _ = runner.run(
                    "%s %s (counters)" % (name, format_run(base_items)),
                    bargs, limit + 30)
                l2 = guest_lines(out2)
                s2, e2 = parse_stats(err2)
                b_status, b_reason = judge(name, cls, 1, st2, l2, e2,
                                           base_items)
                if b_status != "ok" or not stats or not s2:
                    row["counters_note"] = (
                        "not measured: the forkwait:%d run %s" %
                        (base, b_reason or "printed no counters"))
                else:
                    row["counters_base"] = s2
                    row["counters_per_fork"] = counters_per_fork(
                        stats, s2, forks, base)
        rows.append(row)

    # Further rounds, each target in turn, so that a slow minute of a
    # shared host lands on every target alike: the table shows each
    # workload's median (the counters are the first round's).
    for rnd in range(2, a.rounds + 1):
        for row in rows[1:]:
            if row.get("status") != "ok":
                continue
            args = row["command"].split()[1:]
            st, out, err, _ = runner.run(
                "%s %s (round %d of %d)" % (row["name"], format_run(items),
                                            rnd, a.rounds),
                args, row["timeout_s"] + 30)
            _, results, _ = parse_guest(guest_lines(out))
            for n, w in per_op(results).items():
                if st == 1 and n in row["workloads"]:
                    row["workloads"][n].setdefault(
                        "samples_ns_per_op",
                        [row["workloads"][n]["ns_per_op"]]).append(
                            w["ns_per_op"])
    for row in rows[1:]:
        for n, w in row.get("workloads", {}).items():
            ss = sorted(w.get("samples_ns_per_op", []))
            if len(ss) < 2:
                continue
            w["ns_per_op"] = (ss[len(ss) // 2] if len(ss) % 2 else
                              (ss[len(ss) // 2 - 1] + ss[len(ss) // 2]) / 2)
            nw = native["workloads"].get(n)
            w["ratio_to_native"] = (w["ns_per_op"] / nw["ns_per_op"]
                                    if nw else None)
    if a.rounds > 1:
        header += (" %d rounds, each target in turn: time per operation "
                   "is each workload's median." % a.rounds)

    notes = [r for r in rows if r.get("counters_note")]
    if notes:
        extra = " ".join("%s: counters %s." % (r["name"], r["counters_note"])
                         for r in notes)
        cnote = (cnote + " " + extra) if cnote else extra
    data = {"linux_bench": 1, "host": host_info(), "guest": version,
            "run": format_run(items), "run_items": items,
            "counter_base": base if counting else None,
            "rounds": a.rounds,
            "forks": forks, "header": header, "counters_note": cnote,
            "counter_columns": [{"label": l, "counters": k}
                                for l, k in COUNTER_COLUMNS],
            "targets": rows}
    print("\n".join(table(data, a.markdown)))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(data, f, indent=2, ensure_ascii=False)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
