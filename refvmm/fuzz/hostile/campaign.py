#!/usr/bin/env python3
"""The hostile-guest campaign: afl-fuzz (when it can drive refvmm) or a
fork-per-input loop over generated payloads, then a replay of every input
through the oracle. docs/hostile-campaign.md says what counts as an escape.

Exit status: 0 when every verdict is contained, 1 on any escape, monitor
crash or harness failure (the inputs are saved in OUT/failures/).
"""
import argparse
import glob
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PAYLOAD_GPA = 0x400000
CLASSES = ["implicit-memory", "far-transfer", "segment-load", "privileged",
           "string", "stack", "branch", "fpu-simd", "plain", "ud"]
EXIT_HOST_ERROR = 72
EXIT_CONTAINMENT = 92
# What refvmm ends a contained run with: a guest debug-exit write (odd),
# a guest reset (0 with its line: 8042 0xfe, port 0x92), triple fault,
# hang, serial flood, internal error, timeout.
CONTAINED = {80: "triple-fault", 82: "hang", 84: "serial-flood",
             86: "internal-error", 90: "timeout"}
GUEST_RESET_LINE = "refvmm: guest reset ("


def log(msg):
    print("hostile-campaign: " + msg, flush=True)


def verdict(rc, err):
    """escape | crash | contained | failure, and a short reason."""
    if rc < 0:
        sig = -rc
        if sig == signal.SIGSYS:
            return "escape", "SIGSYS (a system call of the guest's own)"
        if sig == signal.SIGKILL:
            return "contained", "killed by the harness time limit"
        return "crash", "signal %d" % sig
    if rc == EXIT_CONTAINMENT or "refvmm: containment:" in err:
        # refvmm's own oracle: a breached check, host CS 0x33 seen
        lines = [ln for ln in err.splitlines() if "containment:" in ln]
        return "escape", "status %d: %s" % (rc, (lines or [""])[0][:200])
    if rc == EXIT_HOST_ERROR:
        return "crash", "status 72: " + err.strip().splitlines()[0][:200] \
            if err.strip() else "status 72"
    if rc & 1:
        return "contained", "guest exit %d" % (rc >> 1)
    if rc in CONTAINED:
        return "contained", CONTAINED[rc]
    if rc == 0 and err.startswith(GUEST_RESET_LINE):
        return "contained", "guest-reset"
    return "failure", "status %d: %s" % (rc, err.strip()[:200])


class Refvmm:
    def __init__(self, binary, image, timeout):
        self.binary, self.image, self.timeout = binary, image, timeout
        helptext = subprocess.run([binary, "--help"], capture_output=True,
                                  text=True).stdout
        self.count_insns = "--count-insns" in helptext
        self.translation_log = "--translation-log" in helptext

    def run(self, mode, payload, tlog=None):
        argv = [self.binary, "--mode", mode, "--timeout", str(self.timeout),
                "--serial-limit", "64K", "--stats"]
        if self.count_insns:
            argv.append("--count-insns")
        if tlog and self.translation_log:
            argv += ["--translation-log", tlog]
        argv += ["--load", "%s@0x%x" % (payload, PAYLOAD_GPA), self.image]
        try:
            p = subprocess.run(argv, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE,
                               timeout=self.timeout + 20)
            rc, err = p.returncode, p.stderr.decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            rc, err = -signal.SIGKILL, ""
        insns = 0
        for line in err.splitlines():
            f = line.split()
            if len(f) == 2 and f[0] == "bt.guest_insns" and f[1].isdigit():
                insns = int(f[1])
        return rc, err, insns


def tlog_lines(path):
    """The (CLASS, HEXBYTES) pairs of one --translation-log."""
    lines = set()
    try:
        with open(path, errors="replace") as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2:
                    lines.add((parts[0], parts[1]))
    except FileNotFoundError:
        pass
    return lines


def add_lines(seen, lines):
    """Adds each pair's bytes to seen[CLASS]; returns how many were new."""
    new = 0
    for cls, hexbytes in lines:
        s = seen.setdefault(cls, set())
        if hexbytes not in s:
            s.add(hexbytes)
            new += 1
    return new


def add_forms(forms, form_of, lines, into):
    """Each pair's form (hostile_forms: displacements and immediates
    zeroed) into the per-class sets of each of into; form_of caches the
    pairs already masked, so each distinct line goes through the tool
    once per campaign."""
    new = sorted(lines - form_of.keys())
    if new:
        text = "".join("%s %s\n" % kv for kv in new)
        try:
            out = subprocess.run([forms], input=text.encode(),
                                 capture_output=True,
                                 check=True).stdout.decode().splitlines()
        except (OSError, subprocess.CalledProcessError):
            return
        for kv, line in zip(new, out):
            parts = line.split()
            form_of[kv] = parts[1] if len(parts) == 2 else kv[1]
    for kv in lines:
        if kv in form_of:
            for d in into:
                d.setdefault(kv[0], set()).add(form_of[kv])


class Tally:
    """Runs, guest instructions, verdicts and distinct translated
    encodings per class: of one mode, or of the whole campaign."""

    def __init__(self):
        self.runs = 0
        self.insns = 0
        self.verdicts = {}
        self.outcomes = {}
        self.seen = {}
        self.forms = {}

    def add(self, v, key, insns):
        self.runs += 1
        self.insns += insns
        self.verdicts[v] = self.verdicts.get(v, 0) + 1
        self.outcomes[key] = self.outcomes.get(key, 0) + 1

    def classes(self):
        return {c: len(self.seen.get(c, ())) for c in
                sorted(set(CLASSES) | set(self.seen))}

    def class_forms(self):
        return {c: len(self.forms.get(c, ())) for c in
                sorted(set(CLASSES) | set(self.seen))}


class Report(Tally):
    def __init__(self, out):
        super().__init__()
        self.out = out
        self.failures = []
        self.afl = {}
        self.took = {}
        self.modes = {}
        self.form_of = {}
        self.last = time.monotonic()

    def mode(self, mode):
        return self.modes.setdefault(mode, Tally())

    def add(self, mode, payload, rc, err, insns):
        v, why = verdict(rc, err)
        key = why.split(":")[0] if v == "contained" else v
        super().add(v, key, insns)
        self.mode(mode).add(v, key, insns)
        if v != "contained":
            os.makedirs(os.path.join(self.out, "failures"), exist_ok=True)
            digest = hashlib.sha1(open(payload, "rb").read()).hexdigest()[:12]
            kept = os.path.join(self.out, "failures",
                                "%s-%s-%s.bin" % (v, mode, digest))
            shutil.copyfile(payload, kept)
            self.failures.append({"verdict": v, "mode": mode, "why": why,
                                  "input": kept, "stderr": err[-2000:]})
            log("%s in %s: %s (input %s)" % (v.upper(), mode, why, kept))
        return v

    def progress(self, what, force=False):
        now = time.monotonic()
        if force or now - self.last >= 30:
            self.last = now
            log("%s: %d runs, %d escapes, %d crashes, %d failures" % (
                what, self.runs, self.verdicts.get("escape", 0),
                self.verdicts.get("crash", 0),
                self.verdicts.get("failure", 0)))


def afl_seeds(args, mode, inputs, rep):
    """The inputs that ran in under a fifth of the timeout: afl calibrates
    every seed several times, and a slow one costs that many timeouts.
    Of the 64 KiB `classes` payloads, one per kind with --afl-classes."""
    d = os.path.join(args.out, "afl-seeds-" + mode)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    quick, kinds = [], set()
    for f in inputs:
        if rep.took.get((mode, f), 1e9) >= args.timeout / 5:
            continue
        name = os.path.basename(f)
        if name.startswith("gen-classes-"):
            if not args.afl_classes:
                continue
            kind = name[len("gen-classes-"):].rsplit("-", 2)[0]
            if kind in kinds:
                continue
            kinds.add(kind)
        quick.append(f)
    for f in quick or inputs[:1]:
        shutil.copy(f, d)
    return d


def afl_run(args, mode, seeds, rep, deadline_s):
    """afl-fuzz on the afl-built refvmm for deadline_s seconds."""
    outdir = os.path.join(args.out, "afl-" + mode)
    shutil.rmtree(outdir, ignore_errors=True)
    argv = ["afl-fuzz", "-i", seeds, "-o", outdir, "-t",
            str(int(args.timeout * 1000) + 2000), "-V", str(int(deadline_s)),
            "-m", "none", "--", args.afl_refvmm, "--mode", mode, "--timeout",
            str(args.timeout), "--serial-limit", "64K",
            "--load", "@@@0x%x" % PAYLOAD_GPA, args.image]
    env = dict(os.environ, AFL_NO_UI="1", AFL_SKIP_CPUFREQ="1",
               AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES="1",
               AFL_NO_AFFINITY="1")
    log("afl-fuzz %s for %d s: %s" % (mode, deadline_s, " ".join(argv)))
    logf = open(os.path.join(args.out, "afl-%s.log" % mode), "w")
    p = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT, env=env)
    start = time.monotonic()
    while p.poll() is None:
        time.sleep(1)
        if time.monotonic() - start > deadline_s + 60:
            p.terminate()
        stats = os.path.join(outdir, "default", "fuzzer_stats")
        if time.monotonic() - rep.last >= 30:
            rep.last = time.monotonic()
            log("afl %s: %s" % (mode, afl_stats_line(stats)))
    logf.close()
    st = read_afl_stats(os.path.join(outdir, "default", "fuzzer_stats"))
    rep.afl[mode] = {"status": p.returncode, "stats": st}
    if p.returncode != 0 or not st:
        tail = open(os.path.join(args.out, "afl-%s.log" % mode),
                    errors="replace").read()[-1500:]
        rep.afl[mode]["error"] = tail
        log("afl-fuzz %s ended with %s; log tail:\n%s" % (
            mode, p.returncode, tail))
        return []
    return sorted(glob.glob(os.path.join(outdir, "default", d, "id:*"))
                  for d in ("queue", "crashes", "hangs"))


def read_afl_stats(path):
    st = {}
    try:
        for line in open(path):
            k, _, v = line.partition(":")
            st[k.strip()] = v.strip()
    except FileNotFoundError:
        pass
    return st


def afl_stats_line(path):
    st = read_afl_stats(path)
    if not st:
        return "starting"
    return "execs %s, %s/s, corpus %s, saved crashes %s, hangs %s" % (
        st.get("execs_done"), st.get("execs_per_sec"),
        st.get("corpus_count"), st.get("saved_crashes",
                                       st.get("unique_crashes")),
        st.get("saved_hangs", st.get("unique_hangs")))


def generate(args, seed, count, kind, dest):
    subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), "--out",
                    dest, "--seed", str(seed), "--count", str(count),
                    "--kind", kind], check=True, stdout=subprocess.DEVNULL)


def replay(args, rm, rep, mode, inputs, guided_dir=None):
    """Each input through the normal build; with guided_dir, inputs that
    translated a new encoding are copied there (the fallback's guide)."""
    tmp = tempfile.mkdtemp(prefix="hostile-tlog-")
    try:
        for i, f in enumerate(inputs):
            tlog = os.path.join(tmp, "t.log")
            t0 = time.monotonic()
            rc, err, insns = rm.run(mode, f, tlog)
            rep.took[(mode, f)] = time.monotonic() - t0
            rep.add(mode, f, rc, err, insns)
            lines = tlog_lines(tlog)
            new = add_lines(rep.seen, lines)
            add_lines(rep.mode(mode).seen, lines)
            if args.forms:
                add_forms(args.forms, rep.form_of, lines,
                          [rep.forms, rep.mode(mode).forms])
            if os.path.exists(tlog):
                os.unlink(tlog)
            if guided_dir and new:
                shutil.copy(f, guided_dir)
            rep.progress("%s replay %d/%d" % (mode, i + 1, len(inputs)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def fallback(args, rm, rep, mode, seconds):
    """Fork per input, generator's payloads, kept when they translate new
    encodings (the translation log is the coverage)."""
    work = os.path.join(args.out, "gen-" + mode)
    kept = os.path.join(args.out, "kept-" + mode)
    os.makedirs(kept, exist_ok=True)
    start, batch = time.monotonic(), 0
    while time.monotonic() - start < seconds:
        shutil.rmtree(work, ignore_errors=True)
        generate(args, args.seed * 100003 + batch, 8,
                 "mixed", work)
        replay(args, rm, rep, mode, sorted(glob.glob(work + "/*.bin")),
               guided_dir=kept)
        batch += 1
    shutil.rmtree(work, ignore_errors=True)


def afl_execs_of(rep, mode):
    a = rep.afl.get(mode, {})
    return int(a.get("stats", {}).get("execs_done", 0) or 0)


def per_mode(args, rep, rm):
    """summary.json's "per_mode": what each mode ran and translated."""
    out = {}
    for m in args.modes:
        t = rep.mode(m)
        out[m] = {"replayed_runs": t.runs, "afl_execs": afl_execs_of(rep, m),
                  "guest_insns": t.insns if rm.count_insns else None,
                  "translated_distinct": t.classes()
                  if rm.translation_log else None,
                  "translated_forms": t.class_forms()
                  if rm.translation_log and args.forms else None,
                  "verdicts": t.verdicts, "outcomes": t.outcomes}
    return out


def per_mode_md(args, rep, rm):
    """The per-mode table: one column per mode."""
    modes = args.modes
    rows = [("runs replayed", [str(rep.mode(m).runs) for m in modes]),
            ("afl execs", [str(afl_execs_of(rep, m)) for m in modes]),
            ("guest instructions (sum of bt.guest_insns)",
             [str(rep.mode(m).insns) if rm.count_insns else "n/a"
              for m in modes])]
    for k in ("escape", "crash", "failure", "contained"):
        rows.append(("verdict: " + k,
                     [str(rep.mode(m).verdicts.get(k, 0)) for m in modes]))
    keys = sorted(set(k for m in modes for k in rep.mode(m).outcomes))
    for k in keys:
        if k in ("escape", "crash", "failure"):
            continue
        rows.append(("contained: " + k,
                     [str(rep.mode(m).outcomes.get(k, 0)) for m in modes]))
    if rm.translation_log:
        name = "distinct %s" + (" (encodings / forms)" if args.forms else "")
        for c in sorted(set(CLASSES) | set(rep.seen)):
            vals = []
            for m in modes:
                v = str(rep.mode(m).classes().get(c, 0))
                if args.forms:
                    v += " / %d" % rep.mode(m).class_forms().get(c, 0)
                vals.append(v)
            rows.append((name % c, vals))
    md = ["| per mode | " + " | ".join(modes) + " |",
          "| --- |" + " --- |" * len(modes)]
    md += ["| %s | %s |" % (name, " | ".join(vals)) for name, vals in rows]
    return md


def write_summary(args, rep, rm, elapsed):
    classes = rep.classes()
    afl_execs = sum(afl_execs_of(rep, m) for m in rep.afl)
    data = {
        "modes": args.modes, "seconds": round(elapsed, 1),
        "replayed_runs": rep.runs, "afl_execs": afl_execs,
        "guest_insns": rep.insns if rm.count_insns else None,
        "translated_distinct": classes if rm.translation_log else None,
        "translated_forms": rep.class_forms()
        if rm.translation_log and args.forms else None,
        "verdicts": rep.verdicts, "outcomes": rep.outcomes,
        "escapes": rep.verdicts.get("escape", 0),
        "crashes": rep.verdicts.get("crash", 0),
        "failures": rep.failures,
        "afl": {m: {"status": a.get("status"), "error": a.get("error"),
                    "execs_done": a.get("stats", {}).get("execs_done"),
                    "corpus_count": a.get("stats", {}).get("corpus_count")}
                for m, a in rep.afl.items()},
        "refvmm_features": {"count_insns": rm.count_insns,
                            "translation_log": rm.translation_log},
        "per_mode": per_mode(args, rep, rm),
    }
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(data, f, indent=2)
    md = ["# Hostile-guest campaign", "",
          "modes: %s; %.0f s; runs replayed: %d; afl execs: %d" % (
              ",".join(args.modes), elapsed, rep.runs, afl_execs), "",
          "| verdict | runs |", "| --- | --- |"]
    for k in ("escape", "crash", "failure", "contained"):
        md.append("| %s | %d |" % (k, rep.verdicts.get(k, 0)))
    md += ["", "| contained outcome | runs |", "| --- | --- |"]
    md += ["| %s | %d |" % kv for kv in sorted(rep.outcomes.items())]
    md += ["", "guest instructions executed (sum of bt.guest_insns): %s" % (
        rep.insns if rm.count_insns else "n/a (refvmm has no --count-insns)")]
    if rm.translation_log:
        if args.forms:
            forms = rep.class_forms()
            md += ["", "| class | distinct encodings translated (all modes) "
                   "| distinct forms (displacement, immediate zeroed) |",
                   "| --- | --- | --- |"]
            md += ["| %s | %d | %d |" % (c, n, forms.get(c, 0))
                   for c, n in classes.items()]
        else:
            md += ["", "| class | distinct encodings translated (all modes) |",
                   "| --- | --- |"]
            md += ["| %s | %d |" % kv for kv in classes.items()]
    else:
        md += ["distinct translated encodings: n/a (refvmm has no "
               "--translation-log)"]
    md += [""] + per_mode_md(args, rep, rm)
    for m, a in rep.afl.items():
        if a.get("error"):
            md += ["", "afl-fuzz %s did not run to the end (status %s)" % (
                m, a.get("status"))]
    for fl in rep.failures:
        md.append("- **%s** %s: %s (`%s`)" % (fl["verdict"], fl["mode"],
                                             fl["why"], fl["input"]))
    with open(os.path.join(args.out, "summary.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    return data


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--refvmm", required=True)
    ap.add_argument("--image", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--modes", default="bt-simple,bt")
    ap.add_argument("--seeds", default=os.path.join(HERE, "seeds"))
    ap.add_argument("--seconds", type=float, default=60,
                    help="per mode, afl or the fallback")
    ap.add_argument("--batch", type=int, default=0,
                    help="fixed-seed generated inputs replayed per mode")
    ap.add_argument("--batch-classes", type=int, default=0,
                    help="`classes` payloads (gen.py) in that batch: the "
                    "kinds in turn")
    ap.add_argument("--afl-classes", action="store_true",
                    help="afl starts from one `classes` payload per kind too")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=2)
    ap.add_argument("--afl-refvmm", help="afl-built refvmm: fuzz with afl")
    ap.add_argument("--forms", help="hostile_forms: also count distinct "
                    "forms (displacements and immediates zeroed)")
    args = ap.parse_args()
    args.modes = args.modes.split(",")
    os.makedirs(args.out, exist_ok=True)
    rm = Refvmm(args.refvmm, args.image, args.timeout)
    rep = Report(args.out)
    start = time.monotonic()
    seeds = sorted(glob.glob(os.path.join(args.seeds, "*.bin")))
    batch_dir = os.path.join(args.out, "batch")
    if args.batch or args.batch_classes:
        shutil.rmtree(batch_dir, ignore_errors=True)
        os.makedirs(batch_dir)
    if args.batch:
        generate(args, args.seed, args.batch, "mixed", batch_dir)
        generate(args, args.seed, 0, "sweep", batch_dir)
    if args.batch_classes:
        generate(args, args.seed, args.batch_classes, "classes", batch_dir)
    batch = sorted(glob.glob(os.path.join(batch_dir, "*.bin")))
    for mode in args.modes:
        log("%s: %d seeds + %d generated inputs" % (mode, len(seeds),
                                                   len(batch)))
        replay(args, rm, rep, mode, seeds + batch)
        rep.progress(mode + " fixed inputs", force=True)
        if args.seconds <= 0:
            continue
        inputs = []
        if args.afl_refvmm:
            seeds_dir = afl_seeds(args, mode, seeds + batch, rep)
            inputs = [f for d in afl_run(args, mode, seeds_dir, rep,
                                         args.seconds) for f in d]
        if inputs:
            log("%s: replaying %d inputs afl kept" % (mode, len(inputs)))
            replay(args, rm, rep, mode, inputs)
        else:
            log("%s: fork-per-input campaign, %d s" % (mode, args.seconds))
            fallback(args, rm, rep, mode, args.seconds)
        rep.progress(mode + " done", force=True)
    data = write_summary(args, rep, rm, time.monotonic() - start)
    print(open(os.path.join(args.out, "summary.md")).read(), end="")
    bad = data["escapes"] + data["crashes"] + rep.verdicts.get("failure", 0)
    if bad:
        log("FAILED: %d escapes, %d crashes, %d failures (in %s)" % (
            data["escapes"], data["crashes"],
            rep.verdicts.get("failure", 0), os.path.join(args.out,
                                                         "failures")))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
