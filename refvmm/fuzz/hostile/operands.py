"""The operands of the `classes` payloads (classes.py): the payload's
layout, its data region, and memory operands in every 32-bit and 16-bit
addressing form aimed at a byte of that region.

Every register starts a slot as SEED (the header's value, inside the
region), so a form's displacement is computed to land on the byte
wanted; a register an instruction changes is marked clobbered and no
later form of the slot addresses through it. 16-bit forms go through FS,
which the header loads with 0x4b (16-bit data based at the payload).
"""
import struct

PAYLOAD_GPA = 0x400000
SLOT_BASE = PAYLOAD_GPA + 16
SLOT_SIZE = 64
NSLOTS = 256
DATA_LO = SLOT_BASE + NSLOTS * SLOT_SIZE + 0x3F0   # 0x404400
DATA_HI = PAYLOAD_GPA + 0x10000
SEED = PAYLOAD_GPA + 0xC000
# Operands of one instruction (far pointers, GDTR images) are allocated
# below ANY_LO; loads and stores anywhere aim at ANY_LO and above.
ANY_LO = SEED - 0x2000
SEED16 = SEED & 0xFFFF
FS_BASE = PAYLOAD_GPA
# header segment indices (template.S data_sels): 0x23 flat, 0x4b based at
# the payload, 16-bit
SEGS = [0, 0, 3, 0]
UD2 = b"\x0f\x0b"
FLAG_CPL3, FLAG_PAGING = 1, 2
ESP = 4
# ES CS SS DS GS: flat in every slot of these payloads (FS is the 16-bit
# one)
SEG32 = [b"", b"\x26", b"\x2e", b"\x36", b"\x3e", b"\x65"]
# Ports no device claims (reads return all ones; writes are dropped):
# not the PIC, PIT, testdev, debug-exit, UART or the 0x92 reset line.
SAFE_PORTS = [p for p in range(0x100)
              if not (0x20 <= p <= 0x21 or 0x40 <= p <= 0x47 or
                      0x60 <= p <= 0x64 or 0xA0 <= p <= 0xA1 or
                      p == 0x92 or p >= 0xE0)]


class Ctx:
    """A payload under construction: its data region and CPL."""

    def __init__(self, rnd, cpl3):
        self.rnd, self.cpl3 = rnd, cpl3
        self.data = bytearray(rnd.randrange(256)
                              for _ in range(DATA_HI - DATA_LO))
        self.next_data = DATA_LO
        self.clobbered = set()

    def alloc(self, n, content):
        """n bytes of the data region for one instruction's operand."""
        if self.next_data + n > ANY_LO:
            self.next_data = DATA_LO
        a = self.next_data
        self.next_data += (n + 7) & ~7
        self.put(a, content)
        return a

    def put(self, addr, content):
        off = addr - DATA_LO
        self.data[off:off + len(content)] = content

    def fill_words(self, sels):
        self.data = bytearray(b"".join(
            struct.pack("<H", self.rnd.choice(sels))
            for _ in range((DATA_HI - DATA_LO) // 2)))


def u32(v):
    return struct.pack("<I", v & 0xFFFFFFFF)


def s8ok(v):
    return -128 <= v <= 127


def mem32(ctx, reg, target):
    """ModRM (+SIB, +disp) with ModRM.reg = reg addressing target, using
    only base/index registers that still hold SEED."""
    rnd = ctx.rnd
    ok = [r for r in range(8) if r != ESP and r not in ctx.clobbered]
    forms = ["abs", "abs-sib", "index-sib"]
    if ok:
        forms += ["base8", "base32", "base-index", "base-sib8",
                  "base-sib32"] * 2
        if target == SEED:
            forms += ["base0", "base0-sib"] * 2
    f = rnd.choice(forms)
    r = reg << 3
    if f == "abs":
        return bytes([0x05 | r]) + u32(target)
    if f == "abs-sib":              # no base, no index: scale is ignored
        return bytes([0x04 | r, rnd.randrange(4) << 6 | 0x25]) + u32(target)
    if f == "index-sib":           # index * scale + disp32
        idx = rnd.choice(ok) if ok else None
        if idx is None:
            return bytes([0x05 | r]) + u32(target)
        s = rnd.randrange(4)
        return bytes([0x04 | r, s << 6 | idx << 3 | 5]) + \
            u32(target - (SEED << s))
    base = rnd.choice(ok)
    if f == "base0":
        if base == 5:               # mod 0 rm 5 is disp32: [EBP + 0]
            return bytes([0x45 | r, 0])
        return bytes([r | base])
    if f == "base0-sib":
        if base == 5:
            return bytes([0x44 | r, rnd.randrange(4) << 6 | 0x20 | base, 0])
        return bytes([0x04 | r, rnd.randrange(4) << 6 | 0x20 | base])
    d = target - SEED
    if f in ("base8", "base-sib8") and not s8ok(d):
        f = "base32" if f == "base8" else "base-sib32"
    if f == "base8":
        return bytes([0x40 | r | base, d & 0xFF])
    if f == "base32":
        return bytes([0x80 | r | base]) + u32(d)
    if f == "base-sib8":
        return bytes([0x44 | r, rnd.randrange(4) << 6 | 0x20 | base,
                      d & 0xFF])
    if f == "base-sib32":
        return bytes([0x84 | r, rnd.randrange(4) << 6 | 0x20 | base]) + u32(d)
    idx = rnd.choice(ok)
    s = rnd.randrange(4)
    d = target - SEED - (SEED << s)
    mod = 0x40 if s8ok(d) else 0x80
    return bytes([mod | 0x04 | r, s << 6 | idx << 3 | base]) + (
        bytes([d & 0xFF]) if mod == 0x40 else u32(d))


# 16-bit forms (SDM Vol. 2A Table 2-1): which of BX, BP, SI, DI they add.
A16_REGS = {0: (3, 6), 1: (3, 7), 2: (5, 6), 3: (5, 7), 4: (6,), 5: (7,),
            6: (5,), 7: (3,)}


def mem16(ctx, reg, target):
    """A 16-bit form (the caller adds 67 and the FS override)."""
    rnd = ctx.rnd
    off = (target - FS_BASE) & 0xFFFF
    ok = [rm for rm, rs in A16_REGS.items()
          if not any(x in ctx.clobbered for x in rs)]
    r = reg << 3
    if not ok or rnd.random() < 0.15:
        return bytes([0x06 | r]) + struct.pack("<H", off)
    rm = rnd.choice(ok)
    d = (off - SEED16 * len(A16_REGS[rm])) & 0xFFFF
    ds = d - 0x10000 if d >= 0x8000 else d
    if d == 0 and rm != 6 and rnd.random() < 0.5:
        return bytes([r | rm])
    if s8ok(ds):
        return bytes([0x40 | r | rm, d & 0xFF])
    return bytes([0x80 | r | rm]) + struct.pack("<H", d)


def mem(ctx, reg, target=None, store=False, a16=True):
    """(prefixes, modrm bytes) of a memory operand at target (any word of
    the data region when None), with a random segment override."""
    rnd = ctx.rnd
    if target is None:
        target = SEED if rnd.random() < 0.3 else \
            rnd.randrange(ANY_LO, DATA_HI - 0x220) & ~1
    if a16 and rnd.random() < 0.2:
        return rnd.choice([b"\x67\x64", b"\x64\x67"]), mem16(ctx, reg, target)
    segs = SEG32[:2] + SEG32[3:] if store else SEG32
    return rnd.choice(segs), mem32(ctx, reg, target)



PREFIX_GROUPS = [[b"\x26", b"\x2e", b"\x36", b"\x3e", b"\x64", b"\x65"],
                 [b"\x66"], [b"\x67"], [b"\xf2", b"\xf3"]]


def prefixes(rnd, maxn=4):
    """Legacy prefixes from distinct groups in a random order; now and then
    one repeated (the decoder must take the last segment and REP)."""
    groups = rnd.sample(PREFIX_GROUPS, rnd.randrange(len(PREFIX_GROUPS) + 1))
    out = [rnd.choice(g) for g in groups]
    if out and rnd.random() < 0.2:
        g = rnd.choice([PREFIX_GROUPS[0], PREFIX_GROUPS[3]])
        out.insert(rnd.randrange(len(out) + 1), rnd.choice(g))
    return b"".join(out[:maxn])


def rm_any(ctx, reg):
    """A register or memory operand (prefixes, ModRM...) with ModRM.reg."""
    if ctx.rnd.random() < 0.3:
        return b"", bytes([0xC0 | reg << 3 | ctx.rnd.randrange(8)])
    return mem(ctx, reg)
