#!/usr/bin/env python3
"""Payloads for the hostile template guest (template.S, layout.h).

Each payload is a 16-byte header and SLOT_SIZE-byte slots of 32-bit code
that attack the binary translator's walls: implicit-memory instructions
under every prefix and segment override, far transfers and segment loads
of the host's selectors, accesses aimed at the monitor window, code that
rewrites itself, descriptor-table games. Every slot is padded with UD2,
so a slot that runs to its end faults into the template's recovery.

  gen.py --out DIR --seed N --count K
         [--kind mixed|structured|random|sweep|classes] [--class CLASS]

writes K payloads, the same bytes for the same seed. docs/hostile-campaign.md
"""
import argparse
import os
import random
import struct
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import classes  # noqa: E402

PAYLOAD_GPA = 0x400000
SLOT_BASE = PAYLOAD_GPA + 16
SLOT_SIZE = 64
FLAG_CPL3, FLAG_PAGING = 1, 2
WINDOW = 0xFFC00000
UD2 = b"\x0f\x0b"

SEG_PREFIXES = [b"\x26", b"\x2e", b"\x36", b"\x3e", b"\x64", b"\x65"]
OTHER_PREFIXES = [b"\x66", b"\x67", b"\xf2", b"\xf3", b"\xf0"]
# Selectors the host uses (0x23 32-bit data, 0x2b 32-bit code, 0x33 64-bit
# code), their RPL 0 twins, the template's call gates and LDT selectors.
HOST_SELECTORS = [0x23, 0x2B, 0x33, 0x20, 0x28, 0x30, 0x2F, 0x27, 0x63,
                  0x6B, 0x9B, 0x8B, 0x58, 0x53, 0x50]
LDT_SELECTORS = list(range(0x07, 0x280, 8))
# Small GS offsets (the translator's GS page and what follows it) and the
# monitor window's pages.
GS_OFFSETS = [0x0, 0x8, 0x28, 0x1000, 0x1008, 0x1020, 0x1028, 0x1030,
              0x1040, 0x1100, 0x1800, 0x1ff8, 0x2000, 0x2008, 0x2ff8]
WINDOW_ADDRS = [WINDOW, WINDOW + 0x1000, WINDOW + 0x1028, WINDOW + 0x2000,
                WINDOW + 0x2028, WINDOW + 0x3000, WINDOW + 0x10000,
                0xFFFFF000, 0xFFFFFFF8, 0xFFFFFFFC]
REGS = {"eax": 0, "ecx": 1, "edx": 2, "ebx": 3, "esp": 4, "ebp": 5,
        "esi": 6, "edi": 7}


def mov_imm(reg, v):
    return bytes([0xB8 + REGS[reg]]) + struct.pack("<I", v & 0xFFFFFFFF)


def load_sreg(sel, sreg):
    # mov $sel, %ax; mov %ax, %sreg (8e /r: es 0, cs 1, ss 2, ds 3, fs 4, gs 5)
    return b"\x66\xb8" + struct.pack("<H", sel) + bytes(
        [0x8E, 0xC0 | (sreg << 3)])


def far_ptr(op, sel, off):
    return bytes([op]) + struct.pack("<IH", off, sel)


# Implicit-memory instructions: (name, bytes). The masked stores get
# all-ones masks first (MASK_SETUP); x87 state is the template's fninit.
IMPLICIT = [
    ("movsb", b"\xa4"), ("movsd", b"\xa5"), ("cmpsb", b"\xa6"),
    ("cmpsd", b"\xa7"), ("stosb", b"\xaa"), ("stosd", b"\xab"),
    ("lodsb", b"\xac"), ("lodsd", b"\xad"), ("scasb", b"\xae"),
    ("scasd", b"\xaf"), ("insb", b"\x6c"), ("outsb", b"\x6e"),
    ("maskmovq", b"\x0f\xf7\xc1"),
    ("maskmovdqu", b"\x66\x0f\xf7\xc1"),
    ("vmaskmovdqu", b"\xc5\xf9\xf7\xc1"),
    ("xlat", b"\xd7"),
    ("moffs-load", b"\xa1" + struct.pack("<I", 0x1028)),
    ("moffs-store", b"\xa3" + struct.pack("<I", 0x1028)),
    ("push-mem", b"\xff\x30"), ("pop-mem", b"\x8f\x00"),
    ("push-imm", b"\x6a\xff"), ("call", b"\xe8\x00\x00\x00\x00"),
    ("ret", b"\xc3"), ("ret-imm", b"\xc2\x08\x00"),
    ("enter", b"\xc8\x10\x00\x02"), ("leave", b"\xc9"),
    ("pusha", b"\x60"), ("popa", b"\x61"),
    ("fxsave", b"\x0f\xae\x00"), ("fxrstor", b"\x0f\xae\x08"),
    ("xsave", b"\x0f\xae\x20"), ("xrstor", b"\x0f\xae\x28"),
    ("xsaveopt", b"\x0f\xae\x30"), ("xsavec", b"\x0f\xc7\x20"),
    ("cmpxchg8b", b"\x0f\xc7\x08"), ("clflush", b"\x0f\xae\x38"),
    ("clflushopt", b"\x66\x0f\xae\x38"), ("clwb", b"\x66\x0f\xae\x30"),
    ("monitor", b"\x0f\x01\xc8"),
    ("vmovdqu-store", b"\xc5\xfe\x7f\x00"),
    ("vmovdqu-load", b"\xc5\xfe\x6f\x00"),
    ("vmaskmovps", b"\xc4\xe2\x79\x2e\x00"),
    ("vpmaskmovd", b"\xc4\xe2\x79\x8e\x00"),
    ("fstenv", b"\xd9\x30"), ("fnsave", b"\xdd\x30"),
    ("bound", b"\x62\x00"), ("lea-push", b"\xff\x34\x24"),
]

MASK_SETUP = {
    "maskmovq": b"\x0f\x74\xc9\x0f\x74\xc0",          # pcmpeqb mm
    "maskmovdqu": b"\x66\x0f\x74\xc9\x66\x0f\x74\xc0",  # pcmpeqb xmm
    "vmaskmovdqu": b"\xc5\xf1\x74\xc9\xc5\xf9\x74\xc0",  # vpcmpeqb
}

# A port write: a callout in every BT mode (a #GP at CPL 3 with IOPL 0).
CALLOUT = b"\x66\xba\x80\x00\xee"


def slot_addr(i):
    return SLOT_BASE + i * SLOT_SIZE


def target(rnd):
    return rnd.choice([rnd.choice(GS_OFFSETS), rnd.choice(WINDOW_ADDRS),
                       rnd.randrange(0, 1 << 32) & ~3,
                       PAYLOAD_GPA + rnd.randrange(0, 0x10000)])


def s_implicit(rnd, i):
    name, op = rnd.choice(IMPLICIT)
    pre = b""
    if rnd.random() < 0.8:
        pre += rnd.choice(SEG_PREFIXES)
    if rnd.random() < 0.3:
        pre = rnd.choice(OTHER_PREFIXES) + pre
    # VEX forms only take a segment or address-size prefix (SDM Vol. 2A
    # 2.3.2: 66/F2/F3/LOCK before VEX raise #UD) -- both kinds are wanted.
    code = mov_imm("edi", target(rnd)) + mov_imm("esi", target(rnd))
    code += mov_imm("eax", target(rnd)) + mov_imm("ecx", rnd.choice([1, 2, 8, 0x40]))
    # the mask setup carries no prefix; the store does
    return code + MASK_SETUP.get(name, b"") + pre + op + CALLOUT


def s_maskmov_gs(rnd, i, off=None, seg=b"\x65"):
    """The escape of a GS or CS override on MASKMOVQ: all-ones to a small
    offset of the segment the override names, then a callout."""
    if off is None:
        off = rnd.choice(GS_OFFSETS + [rnd.randrange(0, 0x3000) & ~7])
    return (mov_imm("edi", off) + b"\x0f\x74\xc0\x0f\x74\xc9" + seg +
            b"\x0f\xf7\xc1" + b"\x0f\x77" + CALLOUT)


def s_far(rnd, i):
    sel = rnd.choice(HOST_SELECTORS + [rnd.choice(LDT_SELECTORS)] * 3)
    sel |= rnd.choice([0, 0, 3])
    off = rnd.choice([slot_addr(i) + 8, 0, WINDOW, WINDOW + 0x1000,
                      slot_addr(i + 1)])
    kind = rnd.randrange(7)
    if kind == 0:
        return far_ptr(0xEA, sel, off)          # ljmp
    if kind == 1:
        return far_ptr(0x9A, sel, off)          # lcall
    if kind == 2:                               # push sel; push off; lret
        return (b"\x68" + struct.pack("<I", sel) + b"\x68" +
                struct.pack("<I", off) + b"\xcb")
    if kind == 3:                               # iret to sel:off
        return (b"\x9c\x68" + struct.pack("<I", sel) + b"\x68" +
                struct.pack("<I", off) + b"\xcf")
    if kind == 4:                               # ljmp *mem (m16:32 in slot)
        data = slot_addr(i) + 48
        return (b"\xff\x2d" + struct.pack("<I", data)).ljust(48, b"\x90")[:48] + \
            struct.pack("<IH", off, sel)
    if kind == 5:                               # segment register loads
        return b"".join(load_sreg(sel, r) for r in rnd.sample([0, 2, 3, 4, 5], 3)) + \
            b"\x65\x8b\x00"
    return b"\x6a" + bytes([sel & 0x7F]) + rnd.choice([b"\x1f", b"\x07", b"\x17",
                                                        b"\x0f\xa1", b"\x0f\xa9"])


def s_window(rnd, i):
    a = rnd.choice(WINDOW_ADDRS) + rnd.choice([0, 4, 0x28, 0xF00])
    kind = rnd.randrange(6)
    pre = rnd.choice(SEG_PREFIXES + [b""])
    if kind == 0:
        return mov_imm("eax", a) + pre + b"\x8b\x18"      # load
    if kind == 1:
        return mov_imm("eax", a) + mov_imm("ebx", 0xFFFFFFFF) + pre + b"\x89\x18"
    if kind == 2:
        return pre + b"\xa1" + struct.pack("<I", a & 0xFFFFFFFF)
    if kind == 3:
        return mov_imm("eax", a) + b"\xff\xe0"            # jmp *%eax
    if kind == 4:
        return mov_imm("eax", a) + b"\xff\xd0"            # call *%eax
    return mov_imm("esp", a + 0x10) + b"\x50\x58\xc3"      # stack in the window


def s_smc(rnd, i):
    """Stores into the slot's own next instructions, racing translation."""
    base = slot_addr(i)
    kind = rnd.randrange(4)
    if kind == 0:
        # movl $nops, over the UD2 right after this 10-byte store
        return b"\xc7\x05" + struct.pack("<I", base + 10) + b"\x90\x90\x90\x90"
    if kind == 1:
        # rep stosb over the rest of the slot with NOP (0x90), then run on
        return (mov_imm("edi", base + 24) + mov_imm("ecx", 30) + b"\xb0\x90" +
                b"\xfc\xf3\xaa")
    if kind == 2:
        # a loop that keeps rewriting the byte it is about to run
        return (mov_imm("ecx", 200) + b"\xc6\x05" + struct.pack("<I", base + 19) +
                b"\x90" + b"\x90" + b"\xe2\xf5")
    # write the next slot's first bytes
    return b"\xc7\x05" + struct.pack("<I", slot_addr(i + 1)) + \
        struct.pack("<I", rnd.randrange(1 << 32))


def s_tables(rnd, i):
    """LGDT/LIDT/LLDT/LTR games with descriptors kept in the slot."""
    data = slot_addr(i) + 48
    base = rnd.choice([WINDOW, WINDOW + 0x1000, 0, 0xFFFFF000, PAYLOAD_GPA])
    limit = rnd.choice([0, 7, 0xFF, 0xFFFF])
    op = rnd.choice([b"\x0f\x01\x15", b"\x0f\x01\x1d"])  # lgdt / lidt m
    then = rnd.choice([b"\xcc", b"\xcd\x80", load_sreg(0x10, 3),
                       far_ptr(0xEA, 0x08, slot_addr(i + 1)),
                       b"\x66\xb8\x70\x00\x0f\x00\xd0",  # lldt %ax
                       b"\x0f\x00\x05" + struct.pack("<I", data)])  # sldt
    code = op + struct.pack("<I", data) + then
    return code.ljust(48, b"\x90")[:48] + struct.pack("<HI", limit, base)


def s_random(rnd, i):
    n = rnd.randrange(4, 40)
    out = bytearray()
    while len(out) < n:
        r = rnd.random()
        if r < 0.15:
            out += rnd.choice(SEG_PREFIXES)
        elif r < 0.22:
            out += rnd.choice(OTHER_PREFIXES)
        elif r < 0.3:
            out += b"\x0f"
        else:
            out.append(rnd.randrange(256))
    return bytes(out)


STRUCTURED = [s_implicit, s_implicit, s_maskmov_gs, s_far, s_window, s_smc,
              s_tables]


def pad(code):
    code = code[:SLOT_SIZE]
    return code + (UD2 * SLOT_SIZE)[:SLOT_SIZE - len(code)]


def header(flags, repeat, nslots, segs, seed):
    return b"HSTL" + struct.pack("<BBH4BI", flags, repeat, nslots, *segs,
                                 seed & 0xFFFFFFFF)


def payload(rnd, kind):
    n = rnd.randrange(8, 48)
    gens = {"structured": STRUCTURED, "random": [s_random],
            "mixed": STRUCTURED + [s_random] * 2}[kind]
    slots = [pad(rnd.choice(gens)(rnd, i)) for i in range(n)]
    flags = rnd.randrange(4)
    segs = [rnd.randrange(16) for _ in range(4)]
    if rnd.random() < 0.5:
        segs[0] = segs[1] = 0     # flat DS/ES: stores land
    if rnd.random() < 0.5:
        segs[3] = 1               # GS based at 0x5000: gs:0 is not page 0
    seed = rnd.choice([0, 0x1028, WINDOW, 0xFFFFFFFF, PAYLOAD_GPA + 0x8000])
    return header(flags, rnd.choice([1, 1, 2]), n, segs, seed) + b"".join(slots)


def sweep_payloads():
    """GS- and CS-overridden MASKMOVQ over the first 12 KiB of the segment,
    every 64 bytes, at CPL 0 and 3 (the decoder's 0f f7 case)."""
    out = []
    for seg in (b"\x65", b"\x2e"):
        for flags in (0, FLAG_CPL3):
            slots = [pad(s_maskmov_gs(None, i, off, seg))
                     for i, off in enumerate(range(0, 0x3000, 0x40))]
            # GS is 0x3b (table index 1, based at 0x5000): offset 0 is
            # not guest page 0, which the monitor cannot map and where a
            # MASKMOVQ would end the run (status 86) at the first slot.
            out.append(header(flags, 1, len(slots), [0, 0, 0, 1], 0) +
                       b"".join(slots))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=16)
    ap.add_argument("--kind", default="mixed",
                    choices=["mixed", "structured", "random", "sweep",
                             "classes"])
    ap.add_argument("--class", dest="cls", choices=sorted(classes.KINDS),
                    help="classes: only this kind (default: each in turn)")
    ap.add_argument("--prefix", default="gen")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    if a.kind == "sweep":
        items = sweep_payloads()
    elif a.kind == "classes":
        # payload n: kind n mod 9, from a generator of its own
        kinds = [a.cls] if a.cls else sorted(classes.KINDS)
        names = [kinds[n % len(kinds)] for n in range(a.count)]
        items = [classes.payload(random.Random(a.seed * 7919 + n), k)
                 for n, k in enumerate(names)]
    else:
        rnd = random.Random(a.seed)
        items = [payload(rnd, a.kind) for _ in range(a.count)]
    for n, data in enumerate(items):
        kind = a.kind if a.kind != "classes" else "classes-" + names[n]
        name = "%s-%s-%d-%03d.bin" % (a.prefix, kind, a.seed, n)
        with open(os.path.join(a.out, name), "wb") as f:
            f.write(data)
    print("gen.py: %d payloads in %s" % (len(items), a.out))


if __name__ == "__main__":
    main()
