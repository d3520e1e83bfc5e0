"""`classes` payloads: slots full of one instruction kind of the
translation log (refvmm/bt/kind.c), with varied prefixes, ModRM forms,
registers, displacements, immediates and selectors.

The translator writes a block's instructions to the log when it
translates them: up to 32 that run inline, or up to the first one that
calls out to the monitor (segment loads, far transfers, privileged
instructions, port I/O). So a slot of inline kinds (string, stack,
implicit-memory, fpu-simd) is logged whole on entry, while a slot of
callout kinds is logged only as far as it runs: there every instruction
but the last is one that succeeds and goes on to the next (a far jump to
the next instruction, a segment load of a selector read from a table of
valid ones, an SGDT/LGDT pair), and the last is one that may fault.

Memory operands aim at the payload's data region through every 32-bit
and 16-bit addressing form: the slot starts with EAX..EBP = SEED (the
header's register value, inside the region), so a form's displacement is
computed to land on the byte wanted. 16-bit forms go through FS, which
the header loads with 0x4b (16-bit data based at the payload).
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


# ---- the kinds: body(ctx, here) -> bytes, last(ctx, here) -> bytes ----

def implicit_body(ctx, here):
    rnd = ctx.rnd
    k = rnd.randrange(10)
    if k == 0:                      # MOV moffs (a0-a3)
        op = bytes([0xA0 + rnd.randrange(4)])
        ctx.clobbered.add(0)
        t = rnd.randrange(DATA_LO, DATA_HI - 4)
        pre = rnd.choice([b"", b"\x66"])
        if rnd.random() < 0.25:
            return pre + b"\x64\x67" + op + struct.pack("<H", t - FS_BASE)
        return rnd.choice(SEG32) + pre + op + u32(t)
    if k == 1:                      # XLAT
        ctx.clobbered.add(0)
        return rnd.choice(SEG32 + [b"\x64\x67", b"\x67\x64"]) + \
            rnd.choice([b"", b"\x66"]) + b"\xd7"
    if k in (2, 3):                 # MASKMOVQ / MASKMOVDQU: DS:(E)DI
        seg = rnd.choice(SEG32[:2] + SEG32[3:] + [b"\x64\x67"])
        mm = bytes([0xC0 | rnd.randrange(8) << 3 | rnd.randrange(8)])
        return seg + (b"\x0f\xf7" if k == 2 else b"\x66\x0f\xf7") + mm
    if k in (4, 5, 6):              # grp15: FXSAVE, FXRSTOR, CLFLUSH*, CLWB
        reg = rnd.choice([0, 1, 7, 7, 6])
        pre, m = mem(ctx, reg, rnd.randrange(ANY_LO, DATA_HI - 0x220) & ~63,
                     store=reg == 0)
        mand = b"\x66" if reg == 6 else \
            rnd.choice([b"", b"\x66"]) if reg == 7 else b""
        return pre + mand + b"\x0f\xae" + m
    if k == 7:                      # CMPXCHG8B, LOCK allowed
        pre, m = mem(ctx, 1, store=True)
        ctx.clobbered.update([0, 2])
        return rnd.choice([b"", b"\xf0"]) + pre + b"\x0f\xc7" + m
    if k == 8:                      # PUSH/POP m are stack; MOV via moffs too
        op = bytes([0xA0 + rnd.randrange(4)])
        ctx.clobbered.add(0)
        return rnd.choice(SEG32) + op + u32(rnd.randrange(DATA_LO, DATA_HI))
    seg = rnd.choice(SEG32)
    return seg + rnd.choice([b"\x0f\xf7", b"\x66\x0f\xf7"]) + \
        bytes([0xC0 | rnd.randrange(64)])


def implicit_last(ctx, here):
    """MONITOR (a callout: DS:EAX) or XSAVE, XRSTOR, XSAVEOPT (#UD where
    the virtual CPU has no XSAVE: the decoder ends the block there)."""
    rnd = ctx.rnd
    if rnd.random() < 0.4:
        return rnd.choice(SEG32 + [b"\x67"]) + b"\x0f\x01\xc8"
    if rnd.random() < 0.5:
        reg = rnd.choice([4, 5, 6])
        pre, m = mem(ctx, reg, rnd.randrange(ANY_LO, DATA_HI - 0x1000) & ~63,
                     store=reg != 5)
        return pre + b"\x0f\xae" + m
    return implicit_body(ctx, here)


STRING_OPS = [0xA4, 0xA5, 0xA6, 0xA7, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF]
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


def string_body(ctx, here):
    rnd = ctx.rnd
    op = rnd.choice(STRING_OPS)
    pre = prefixes(rnd)
    if 0x67 in pre:                 # 16-bit SI/DI/CX: FS is the table's
        pre = pre.replace(b"\x67", b"\x64\x67")[:5]
    return pre + bytes([op])


def string_last(ctx, here):
    rnd = ctx.rnd
    if rnd.random() < 0.6:          # INS/OUTS (port DX: unclaimed)
        return prefixes(rnd) + bytes([rnd.randrange(0x6C, 0x70)])
    return string_body(ctx, here)


def stack_body(ctx, here):
    rnd = ctx.rnd
    k = rnd.randrange(11)
    o16 = rnd.choice([b"", b"", b"\x66"])
    if k == 0:
        return o16 + bytes([0x50 + rnd.randrange(8)])
    if k == 1:                      # POP r, not ESP
        r = rnd.choice([0, 1, 2, 3, 5, 6, 7])
        ctx.clobbered.add(r)
        return o16 + bytes([0x58 + r])
    if k == 2:
        return o16 + b"\x68" + (struct.pack("<H", rnd.randrange(1 << 16))
                                if o16 else u32(rnd.randrange(1 << 32)))
    if k == 3:
        return o16 + b"\x6a" + bytes([rnd.randrange(256)])
    if k in (4, 5):                 # PUSH m
        pre, m = mem(ctx, 6)
        return pre + o16 + b"\xff" + m
    if k == 6:                      # POP m
        pre, m = mem(ctx, 0, store=True)
        return pre + o16 + b"\x8f" + m
    if k == 7:                      # ENTER iw, ib: levels > 0 read (E)BP
        level = 0 if 5 in ctx.clobbered else rnd.randrange(4)
        return o16 + b"\xc8" + struct.pack("<HB", rnd.randrange(0, 0x200, 4),
                                          level)
    if k == 8:
        return rnd.choice([b"\x60", b"\x66\x60", b"\x9c", b"\x66\x9c"])
    if k == 9:                      # PUSH Sreg (a callout, never faults)
        return o16 + rnd.choice([b"\x06", b"\x0e", b"\x16", b"\x1e",
                                 b"\x0f\xa0", b"\x0f\xa8"])
    if 5 in ctx.clobbered:          # LEAVE: ESP = EBP, EBP = [EBP]
        return b"\x9c"
    ctx.clobbered.add(5)
    return b"\xc9"


def stack_last(ctx, here):
    rnd = ctx.rnd
    return rnd.choice([b"", b"\x66"]) + rnd.choice(
        [b"\x9d", b"\x61"] + ([] if 5 in ctx.clobbered else [b"\xc9"]))


# Flat data selectors (GDT 0x10 and 0x20, LDT entries copied from 0x20:
# indices 0, 16, 32, 48, 64) with their RPLs.
FLAT_LDT = [i * 8 | 4 for i in (0, 16, 32, 48, 64)]


def table_sels(ctx):
    """What the data region holds for MOV Sreg, m and LxS: selectors that
    DS, ES and GS load at this CPL (and SS at CPL 3: DPL = RPL = 3)."""
    if ctx.cpl3:
        return [0x23] + [s | 3 for s in FLAT_LDT]
    return [0x10 | r for r in range(4)] + [0x20 | r for r in range(4)] + \
        [s | r for s in FLAT_LDT for r in range(4)]


def loadable_data_sel(ctx):
    """A selector SS loads too: DPL = RPL = CPL."""
    if not ctx.cpl3:
        return 0x10
    return ctx.rnd.choice([0x23] + [s | 3 for s in FLAT_LDT])


def segload_body(ctx, here):
    rnd = ctx.rnd
    # ES SS DS GS: FS stays the 16-bit forms' segment; the table's
    # selectors are SS's only at CPL 3
    sreg = rnd.choice([0, 2, 3, 5] if ctx.cpl3 else [0, 3, 5])
    k = rnd.randrange(6)
    o16 = rnd.choice([b"", b"\x66"])
    if k <= 2:                      # MOV Sreg, m16
        pre, m = mem(ctx, sreg)
        return pre + o16 + b"\x8e" + m
    if k == 3:                      # MOV Sreg, r16 (one holding the selector)
        sreg = rnd.choice([0, 2, 3, 5])
        r = ctx.sel_reg
        if r is None:
            r = rnd.choice([0, 1, 2, 3, 5, 6, 7])
            ctx.sel_reg = r
            ctx.clobbered.add(r)
            return b"\x66" + bytes([0xB8 + r]) + struct.pack("<H", ctx.sel)
        return o16 + bytes([0x8E, 0xC0 | sreg << 3 | r])
    if k == 4:                      # PUSH imm; POP Sreg
        sreg = rnd.choice([0, 2, 3, 5])
        pop = {0: b"\x07", 2: b"\x17", 3: b"\x1f", 5: b"\x0f\xa9"}[sreg]
        push = b"\x6a" + bytes([ctx.sel]) if ctx.sel < 0x80 and \
            rnd.random() < 0.5 else b"\x68" + (
                struct.pack("<H", ctx.sel) if o16 else u32(ctx.sel))
        return o16 + push + rnd.choice([b"", rnd.choice(SEG32[1:])]) + \
            o16 + pop
    # LES, LDS, LSS, LGS: r32 (or r16) and a far pointer from the table
    op = rnd.choice([b"\xc4", b"\xc5", b"\x0f\xb2", b"\x0f\xb5"])
    if op == b"\x0f\xb2" and not ctx.cpl3:
        op = b"\xc5"
    r = rnd.choice([x for x in (0, 1, 2, 3, 5, 6, 7)])
    pre, m = mem(ctx, r)
    ctx.clobbered.add(r)
    return pre + o16 + op + m


def segload_last(ctx, here):
    """A selector from everywhere: the host's, the LDT's, null, the
    template's GDT, random; into any segment register, FS and CS too."""
    rnd = ctx.rnd
    sel = rnd.choice([0x23, 0x2B, 0x33, 0x20, 0x28, 0x30, 0x2F, 0x27, 0x63,
                      0x6B, 0x9B, 0x8B, 0x58, 0x53, 0x50, 0, 1, 2, 3,
                      rnd.randrange(0x07, 0x280, 8) | rnd.randrange(4),
                      rnd.randrange(0, 0xA8) | rnd.randrange(4),
                      rnd.randrange(1 << 16)])
    sreg = rnd.randrange(8)         # 1 (CS), 6 and 7: #UD
    r = rnd.choice([0, 1, 2, 3, 5, 6, 7])
    k = rnd.randrange(3)
    if k == 0:
        return b"\x66" + bytes([0xB8 + r]) + struct.pack("<H", sel) + \
            bytes([0x8E, 0xC0 | sreg << 3 | r])
    if k == 1:
        a = ctx.alloc(8, u32(rnd.randrange(1 << 32)) + struct.pack("<H", sel))
        pre, m = mem(ctx, r, a)
        return pre + rnd.choice([b"\x0f\xb4", b"\x0f\xb5", b"\x0f\xb2",
                                 b"\xc4", b"\xc5"]) + m
    a = ctx.alloc(2, struct.pack("<H", sel))
    pre, m = mem(ctx, sreg, a)
    return pre + b"\x8e" + m


# Code selectors a far transfer at each CPL lands on (template.S: GDT 0x08
# kernel, 0x18 user, 0x50 conforming; LDT entries copied from them) and
# call gates to a CPL 0 LRET (GDT 0x60, LDT copies).
CODE_CPL0 = [0x08, 0x50, 0x51, 0x52, 0x53] + \
    [i * 8 | 4 | rpl for i in (9, 25, 41, 57, 73) for rpl in range(4)]
CODE_CPL3 = [0x18, 0x19, 0x1A, 0x1B, 0x50, 0x51, 0x52, 0x53] + \
    [i * 8 | 4 | rpl for i in (7, 23, 39, 55, 71) for rpl in range(4)] + \
    [i * 8 | 4 | rpl for i in (9, 25, 41, 57, 73) for rpl in range(4)]
GATES = [0x60, 0x61, 0x62, 0x63] + \
    [i * 8 | 4 | rpl for i in (11, 27, 43, 59, 75) for rpl in range(4)]


def code_sel(ctx):
    return ctx.rnd.choice(CODE_CPL3 if ctx.cpl3 else CODE_CPL0)


def far_body(ctx, here):
    rnd = ctx.rnd
    k = rnd.randrange(9)
    sel = code_sel(ctx)
    if k in (0, 1):                 # JMP/CALL ptr16:32 to the next insn
        op = rnd.choice([0xEA, 0x9A])
        return bytes([op]) + u32(here + 7) + struct.pack("<H", sel)
    if k == 2:                      # CALL through a gate (offset ignored)
        return b"\x9a" + u32(rnd.randrange(1 << 32)) + \
            struct.pack("<H", rnd.choice(GATES))
    if k in (3, 4, 5):              # JMP/CALL m16:32
        reg = rnd.choice([3, 5])
        gate = reg == 3 and rnd.random() < 0.3
        # the length does not depend on the pointer: encode twice
        probe = ctx.rnd.getstate()
        pre, m = mem(ctx, reg, ctx.next_data)
        ctx.rnd.setstate(probe)
        nxt = here + len(pre) + 1 + len(m)
        ptr = u32(rnd.randrange(1 << 32) if gate else nxt) + \
            struct.pack("<H", rnd.choice(GATES) if gate else sel)
        a = ctx.alloc(6, ptr)
        pre2, m2 = mem(ctx, reg, a)
        if len(pre2) + len(m2) != len(pre) + len(m):
            return b"\xce"
        return pre2 + b"\xff" + m2
    if k == 6:                      # PUSH sel; PUSH next; RETF [imm16]
        n = rnd.choice([None, rnd.randrange(0, 0x100, 2)])
        tail = b"\xcb" if n is None else b"\xca" + struct.pack("<H", n)
        nxt = here + 10 + len(tail)
        return b"\x68" + u32(sel) + b"\x68" + u32(nxt) + tail
    if k == 7:                      # PUSHF; PUSH sel; PUSH next; IRET
        return b"\x9c\x68" + u32(sel) + b"\x68" + u32(here + 12) + b"\xcf"
    return rnd.choice([b"\xce", b"\x3e\xce", b"\x2e\xce"])   # INTO, OF=0


# Code segments a far transfer at CPL 3 reaches that are 16-bit (0x30:
# L=1 outside IA-32e mode, 0x58, the call gate 0x98 to 0x33; LDT copies):
# the BT modes end the run there (status 86), so only the payload's last
# slot goes there.
CODE16 = {0x30, 0x58, 0x98} | {i * 8 | 4 for i in range(80)
                               if i % 16 in (8, 10, 14)}


def far_last(ctx, here):
    rnd = ctx.rnd
    k = rnd.randrange(6)
    if k == 0:
        return b"\xcd" + bytes([rnd.randrange(256)])
    if k == 1:
        return rnd.choice([b"\xcc", b"\xf1", b"\x0f\x05", b"\x0f\x34",
                           b"\x0f\x35", b"\x0f\x07", b"\xcf", b"\xcb"])
    while True:
        sel = rnd.choice([0x23, 0x2B, 0x33, 0x30, 0x58, 0x5B, 0x68, 0x6B,
                          0x88, 0x8B, 0x98, 0x9B, 0x28, 0, 3,
                          rnd.randrange(0x07, 0x280, 8),
                          rnd.randrange(1 << 16)])
        if ctx.last_slot or not ctx.cpl3 or sel & ~3 not in CODE16:
            break
    # never low RAM: a far jump there runs UD2s at best
    off = rnd.choice([here + 7, 0xFFC00000, 0xFFFFFFF0,
                      rnd.randrange(0x10000000, 0xFFC00000)])
    if k == 2:
        return bytes([rnd.choice([0xEA, 0x9A])]) + u32(off) + \
            struct.pack("<H", sel)
    if k == 3:
        return b"\x66" + bytes([rnd.choice([0xEA, 0x9A])]) + \
            struct.pack("<HH", off & 0xFFFF, sel)
    a = ctx.alloc(6, u32(off) + struct.pack("<H", sel))
    pre, m = mem(ctx, rnd.choice([3, 5]), a)
    return pre + rnd.choice([b"", b"\x66"]) + b"\xff" + m


def priv_body(ctx, here):
    rnd = ctx.rnd
    k = rnd.randrange(14 if not ctx.cpl3 else 6)
    if k == 0:                      # LAR/LSL r, r/m16
        r = rnd.choice([0, 1, 2, 3, 5, 6, 7])
        if rnd.random() < 0.7:
            pre, m = mem(ctx, r)
        else:
            pre, m = b"", bytes([0xC0 | r << 3 | rnd.randrange(8)])
        ctx.clobbered.add(r)
        return pre + rnd.choice([b"", b"\x66"]) + \
            rnd.choice([b"\x0f\x02", b"\x0f\x03"]) + m
    if k == 1:                      # VERR/VERW r/m16
        reg = rnd.choice([4, 5])
        if rnd.random() < 0.7:
            pre, m = mem(ctx, reg)
        else:
            pre, m = b"", bytes([0xC0 | reg << 3 | rnd.randrange(8)])
        return pre + b"\x0f\x00" + m
    if k == 2:                      # SGDT/SIDT m, SLDT/STR/SMSW m
        op, reg = rnd.choice([(b"\x0f\x01", 0), (b"\x0f\x01", 1),
                              (b"\x0f\x00", 0), (b"\x0f\x00", 1),
                              (b"\x0f\x01", 4)])
        pre, m = mem(ctx, reg, rnd.randrange(ANY_LO, DATA_HI - 0x220),
                     store=True)
        return pre + rnd.choice([b"", b"\x66"]) + op + m
    if k == 3:                      # SLDT/STR/SMSW r
        op, reg = rnd.choice([(b"\x0f\x00", 0), (b"\x0f\x00", 1),
                              (b"\x0f\x01", 4)])
        r = rnd.choice([0, 1, 2, 3, 5, 6, 7])
        ctx.clobbered.add(r)
        return rnd.choice([b"", b"\x66"]) + op + bytes([0xC0 | reg << 3 | r])
    if k == 4:                      # CPUID, RDTSC, RDTSCP
        op = rnd.choice([b"\x0f\xa2", b"\x0f\x31", b"\x0f\x01\xf9"])
        ctx.clobbered.update([0, 1, 2, 3] if op == b"\x0f\xa2" else [0, 1, 2])
        return op
    if k == 5:                      # INVLPG is CPL 0; at 3 SMSW again
        if ctx.cpl3:
            return b"\x0f\x01" + bytes([0xE0 | rnd.randrange(8)])
        pre, m = mem(ctx, 7)
        return pre + b"\x0f\x01" + m
    if k == 6:                      # IN/OUT imm8 to a port nobody claims
        op = rnd.randrange(0xE4, 0xE8)
        if op in (0xE4, 0xE5):
            ctx.clobbered.add(0)
        return rnd.choice([b"", b"\x66"]) + bytes([op, rnd.choice(SAFE_PORTS)])
    if k == 7:                      # IN/OUT DX (DX = 0xc000: unclaimed)
        if 2 in ctx.clobbered:
            return b"\x0f\x06"      # CLTS
        op = rnd.randrange(0xEC, 0xF0)
        if op in (0xEC, 0xED):
            ctx.clobbered.add(0)
        return rnd.choice([b"", b"\x66"]) + bytes([op])
    if k == 8:                      # MOV from CR0/2/3/4, back to it
        cr = rnd.choice([0, 2, 3, 4])
        r = rnd.choice([0, 1, 2, 3, 5, 6, 7])
        ctx.clobbered.add(r)
        m = bytes([0xC0 | cr << 3 | r])
        return b"\x0f\x20" + m + (b"\x0f\x22" + m if rnd.random() < 0.7
                                  else b"")
    if k == 9:                      # MOV from DR0-3/6/7, back to it
        dr = rnd.choice([0, 1, 2, 3, 6, 7])
        r = rnd.choice([0, 1, 2, 3, 5, 6, 7])
        ctx.clobbered.add(r)
        m = bytes([0xC0 | dr << 3 | r])
        return b"\x0f\x21" + m + (b"\x0f\x23" + m if rnd.random() < 0.7
                                  else b"")
    if k == 10:                     # SGDT/SIDT then LGDT/LIDT of it
        sub = rnd.choice([0, 1])
        a = ctx.alloc(8, bytes(8))
        p1, m1 = mem(ctx, sub, a, store=True)
        p2, m2 = mem(ctx, sub + 2, a)
        return p1 + b"\x0f\x01" + m1 + p2 + b"\x0f\x01" + m2
    if k == 11:                     # SLDT then LLDT of it (r or m)
        if rnd.random() < 0.5:
            r = rnd.choice([0, 1, 2, 3, 5, 6, 7])
            ctx.clobbered.add(r)
            return b"\x0f\x00" + bytes([0xC0 | r]) + b"\x0f\x00" + \
                bytes([0xD0 | r])
        a = ctx.alloc(2, bytes(2))
        p1, m1 = mem(ctx, 0, a, store=True)
        p2, m2 = mem(ctx, 2, a)
        return p1 + b"\x0f\x00" + m1 + p2 + b"\x0f\x00" + m2
    if k == 12:                     # SMSW then LMSW of it
        r = rnd.choice([0, 1, 2, 3, 5, 6, 7])
        ctx.clobbered.add(r)
        return b"\x0f\x01" + bytes([0xE0 | r]) + b"\x0f\x01" + \
            bytes([0xF0 | r])
    return rnd.choice([b"\xfa", b"\x0f\x09", b"\x0f\x06", b"\x0f\x01\xd0"])


def priv_last(ctx, here):
    rnd = ctx.rnd
    return rnd.choice([b"\x0f\x30", b"\x0f\x32", b"\x0f\x33", b"\x0f\x01\xd1",
                       b"\xfb", b"\x0f\x00\xd8", b"\x0f\x08",
                       b"\xee", b"\xe6" + bytes([rnd.choice(SAFE_PORTS)]),
                       b"\x0f\x01\xc8"])


JCC = list(range(0x70, 0x80))


def branch_body(ctx, here):
    """Branches that land on the next instruction whether taken or not:
    the bytes they may skip are NOPs."""
    rnd = ctx.rnd
    k = rnd.randrange(9)
    skip = rnd.randrange(0, 6)
    nops = b"\x90" * skip
    hint = rnd.choice([b"", b"", b"\x2e", b"\x3e"])
    if k == 0:
        return hint + bytes([rnd.choice(JCC), skip]) + nops
    if k == 1:
        return hint + b"\x0f" + bytes([rnd.choice(JCC) + 0x10]) + \
            u32(skip) + nops
    if k == 2:
        return rnd.choice([b"\xeb" + bytes([skip]), b"\xe9" + u32(skip),
                           b"\xe8" + u32(skip)]) + nops
    if k == 3:                      # LOOP*, JECXZ (67: CX)
        ctx.clobbered.add(1)
        return rnd.choice([b"", b"\x67"]) + \
            bytes([rnd.randrange(0xE0, 0xE4), skip]) + nops
    if k == 4:                      # JMP/CALL r32
        r = rnd.choice([0, 1, 2, 3, 5, 6, 7])
        ctx.clobbered.add(r)
        return bytes([0xB8 + r]) + u32(here + 7) + \
            bytes([0xFF, rnd.choice([0xE0, 0xD0]) | r])
    if k in (5, 6):                 # JMP/CALL m32
        reg = rnd.choice([2, 4])
        probe = rnd.getstate()
        pre, m = mem(ctx, reg, ctx.next_data)
        rnd.setstate(probe)
        nxt = here + len(pre) + 1 + len(m)
        pre2, m2 = mem(ctx, reg, ctx.alloc(4, u32(nxt)))
        if len(pre2) + len(m2) != len(pre) + len(m):
            return b"\x90"
        return pre2 + b"\xff" + m2
    if k == 7:                      # PUSH next; RET [imm16]
        n = rnd.choice([None, rnd.randrange(0, 0x400, 2)])
        tail = b"\xc3" if n is None else b"\xc2" + struct.pack("<H", n)
        return b"\x68" + u32(here + 5 + len(tail)) + tail
    return rnd.choice([b"\xe3", b"\x67\xe3"]) + bytes([skip]) + nops


def branch_last(ctx, here):
    # no 16-bit branches: IP wrapped into low RAM runs zeros into the
    # template itself; the slot's UD2 padding ends it
    return branch_body(ctx, here)


# SSE/MMX two-byte opcodes by mandatory prefix (SDM Vol. 2D Table A-3)
SSE = {b"": [0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x28, 0x29,
             0x2A, 0x2C, 0x2D, 0x2E, 0x2F, 0x51, 0x52, 0x53, 0x54, 0x55,
             0x56, 0x57, 0x58, 0x59, 0x5A, 0x5B, 0x5C, 0x5D, 0x5E, 0x5F] +
       list(range(0x60, 0x6C)) + [0x6E, 0x6F, 0x74, 0x75, 0x76, 0x7E,
                                  0x7F, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5,
                                  0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD,
                                  0xDE, 0xDF, 0xE0, 0xE1, 0xE2, 0xE3,
                                  0xE4, 0xE5, 0xE8, 0xE9, 0xEA, 0xEB,
                                  0xEC, 0xED, 0xEE, 0xEF, 0xF1, 0xF2,
                                  0xF3, 0xF4, 0xF5, 0xF6, 0xF8, 0xF9,
                                  0xFA, 0xFB, 0xFC, 0xFD, 0xFE],
       b"\x66": [0x10, 0x11, 0x14, 0x15, 0x28, 0x29, 0x2E, 0x2F, 0x51,
                 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x5B, 0x5C,
                 0x5D, 0x5E, 0x5F] + list(range(0x60, 0x70)) +
       [0x74, 0x75, 0x76, 0x7C, 0x7D, 0x7E, 0x7F, 0xD0, 0xD1, 0xD2, 0xD3,
        0xD4, 0xD5, 0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF, 0xE0,
        0xE1, 0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE8, 0xE9, 0xEA, 0xEB, 0xEC,
        0xED, 0xEE, 0xEF, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF8, 0xF9,
        0xFA, 0xFB, 0xFC, 0xFD, 0xFE],
       b"\xf3": [0x10, 0x11, 0x12, 0x16, 0x2A, 0x2C, 0x2D, 0x51, 0x52, 0x53,
                 0x58, 0x59, 0x5A, 0x5B, 0x5C, 0x5D, 0x5E, 0x5F, 0x6F,
                 0x7E, 0x7F, 0xE6],
       b"\xf2": [0x10, 0x11, 0x12, 0x2A, 0x2C, 0x2D, 0x51, 0x58, 0x59,
                 0x5A, 0x5C, 0x5D, 0x5E, 0x5F, 0x7C, 0x7D, 0xD0, 0xE6]}
# x87 register forms that exist (Table A-10)
X87_REG = [(0xD8, m) for m in range(0xC0, 0x100)] + \
    [(0xD9, m) for m in list(range(0xC0, 0xD1)) + [0xE0, 0xE1, 0xE4, 0xE5] +
     list(range(0xE8, 0xEF)) + list(range(0xF0, 0x100))] + \
    [(0xDA, m) for m in list(range(0xC0, 0xE0)) + [0xE9]] + \
    [(0xDB, m) for m in list(range(0xC0, 0xE0)) + [0xE2, 0xE3] +
     list(range(0xE8, 0xF8))] + \
    [(0xDC, m) for m in list(range(0xC0, 0xD0)) + list(range(0xE0, 0x100))] + \
    [(0xDD, m) for m in list(range(0xC0, 0xC8)) + list(range(0xD0, 0xF0))] + \
    [(0xDE, m) for m in list(range(0xC0, 0xD0)) + [0xD9] +
     list(range(0xE0, 0x100))] + \
    [(0xDF, m) for m in [0xE0] + list(range(0xE8, 0xF8))]
# x87 memory forms that exist: every /r but these
X87_MEM_RESERVED = {(0xD9, 1), (0xDB, 4), (0xDB, 6), (0xDD, 5)}
IMM8_SSE = {0x70, 0xC2, 0xC6}
# VEX without a mandatory prefix: the PS forms (integer ones need 66)
VEX_NP = [0x10, 0x11, 0x12, 0x14, 0x15, 0x16, 0x28, 0x29, 0x2E, 0x2F] + \
    list(range(0x51, 0x60))


def fpu_body(ctx, here):
    rnd = ctx.rnd
    k = rnd.randrange(5)
    if k == 0:
        op, m = rnd.choice(X87_REG)
        if (op, m) == (0xDF, 0xE0):  # FNSTSW AX
            ctx.clobbered.add(0)
        return bytes([op, m])
    if k == 1:
        while True:
            op, reg = rnd.randrange(0xD8, 0xE0), rnd.randrange(8)
            if (op, reg) not in X87_MEM_RESERVED:
                break
        pre, m = mem(ctx, reg, rnd.randrange(ANY_LO, DATA_HI - 0x220) & ~15,
                     store=True)
        return pre + bytes([op]) + m
    mand = rnd.choice(list(SSE))
    op = rnd.choice(SSE[mand])
    imm = bytes([rnd.randrange(256)]) if op in IMM8_SSE else b""
    if k == 2 or op in (0x13, 0x17, 0x2B):
        reg = rnd.randrange(8)
        if op in (0x2C, 0x2D):      # CVT*2SI r32: never ESP (below)
            reg = rnd.choice([0, 1, 2, 3, 5, 6, 7])
            ctx.clobbered.add(reg)
        pre, m = mem(ctx, reg,
                     rnd.randrange(ANY_LO, DATA_HI - 0x220) & ~15, store=True)
        return pre + mand + b"\x0f" + bytes([op]) + m + imm
    if k == 3 and ctx.vex:          # VEX (2 bytes; 32-bit: R and v3 set)
        pp = {b"": 0, b"\x66": 1, b"\xf3": 2, b"\xf2": 3}[mand]
        v = 0x80 | 0x40 | (rnd.randrange(8) << 3) | rnd.randrange(2) << 2 | pp
        if op in (0x12, 0x13, 0x16, 0x17, 0xD6) or 0x60 <= op <= 0x6F and \
                rnd.random() < 0.3 or op in (0xC4, 0xC5):
            v &= ~4                 # 128-bit only
        if pp == 0 and op not in VEX_NP:
            op = rnd.choice(VEX_NP)
        return b"\xc5" + bytes([v, op, 0xC0 | rnd.randrange(64)]) + imm
    reg, rm = rnd.randrange(8), rnd.randrange(8)
    # CVT*2SI write ModRM.reg, MOVD/MOVQ r/m32 (66/NP 7E) ModRM.rm: never
    # ESP (a CPL 0 slot's exception would find no stack: triple fault)
    if op in (0x2C, 0x2D):
        reg = rnd.choice([0, 1, 2, 3, 5, 6, 7])
        ctx.clobbered.add(reg)
    elif op == 0x7E and mand != b"\xf3":
        rm = rnd.choice([0, 1, 2, 3, 5, 6, 7])
        ctx.clobbered.add(rm)
    return mand + b"\x0f" + bytes([op, 0xC0 | reg << 3 | rm]) + imm


def fpu_last(ctx, here):
    return fpu_body(ctx, here)


def rm_any(ctx, reg):
    """A register or memory operand (prefixes, ModRM...) with ModRM.reg."""
    if ctx.rnd.random() < 0.3:
        return b"", bytes([0xC0 | reg << 3 | ctx.rnd.randrange(8)])
    return mem(ctx, reg)


def ud_encoding(ctx):
    """An encoding the decoder turns into #UD: reserved opcodes and
    ModRM.reg values (with every operand form: the log has their full
    length), XSAVEC/XSAVES/XRSTORS and VEX where the virtual CPU lacks
    them, LOCK where it is not allowed, UD0/UD1/UD2."""
    rnd = ctx.rnd
    # mostly the forms whose whole length the decoder reports (the log
    # shows only the first byte of the others)
    k = rnd.choice([7, 7, 7, 8, 8, 8, 9, 9, 1, 1, rnd.randrange(11)])
    if k == 0:
        return b"\xf0" + rnd.choice([b"\x90", b"\x89\xc0", b"\x01\xc0",
                                     b"\x8b\x00", b"\xa4", b"\xd7",
                                     b"\x0f\xa2", b"\x40", b"\xf7\xd0"])
    if k in (7, 8):                 # C6/C7 /1-/7, FE /2-/7, FF /7, 8F /1-/7
        op, regs, imm = rnd.choice([(0xC6, range(1, 8), 1),
                                    (0xC7, range(1, 8), 4),
                                    (0xFE, range(2, 8), 0),
                                    (0xFF, [7], 0), (0x8F, range(1, 8), 0)])
        pre, m = rm_any(ctx, rnd.choice(list(regs)))
        o16 = rnd.choice([b"", b"\x66"])
        if o16 and imm == 4:
            imm = 2
        return pre + o16 + bytes([op]) + m + \
            bytes(rnd.randrange(256) for _ in range(imm))
    if k == 9:                      # 0F C7 /0, /2-/7 memory (XSAVEC ...),
        reg = rnd.choice([0, 2, 3, 4, 5, 7])  # 0F AE /0-/4 register
        pre, m = mem(ctx, reg, rnd.randrange(ANY_LO, DATA_HI - 0x1000) & ~63)
        if rnd.random() < 0.3:
            return b"\x0f\xae" + bytes([0xC0 | rnd.randrange(5) << 3 |
                                        rnd.randrange(8)])
        return pre + b"\x0f\xc7" + m
    if k == 10:                     # VEX: two- and three-byte forms
        if rnd.random() < 0.5:
            return b"\xc5" + bytes([0xC0 | rnd.randrange(64),
                                    rnd.randrange(0x10, 0x100),
                                    0xC0 | rnd.randrange(64)])
        return b"\xc4" + bytes([0xE0 | rnd.randrange(1, 4),
                                rnd.randrange(0x78, 0x100),
                                rnd.randrange(256), 0xC0 | rnd.randrange(64)])
    if k == 1:                      # UD1 / UD0 with ModRM (and SIB, disp)
        pre, m = rm_any(ctx, rnd.randrange(8))
        return pre + rnd.choice([b"\x0f\xb9", b"\x0f\xff"]) + m
    if k == 2:
        return b"\x0f" + bytes([rnd.choice([0x04, 0x0A, 0x0C, 0x0E, 0x24,
                                            0x25, 0x26, 0x27, 0x36, 0xA6,
                                            0xA7, 0xAA])])
    if k == 3:                      # group rows with reserved /r
        op, regs = rnd.choice([(0xC6, range(1, 7)), (0xC7, range(1, 7)),
                               (0xFE, range(2, 8)), (0xFF, [7]),
                               (0x8F, range(1, 8))])
        return bytes([op, 0xC0 | rnd.choice(list(regs)) << 3 |
                      rnd.randrange(8)])
    if k == 4:                      # MOV Sreg with sreg 6/7, to CS
        return rnd.choice([b"\x8c", b"\x8e"]) + bytes(
            [0xC0 | rnd.choice([6, 7]) << 3 | rnd.randrange(8)])
    if k == 5:
        return prefixes(rnd) + UD2
    if k == 6:                      # LES/LDS register forms with 66
        return rnd.choice([b"\x0f\xb2", b"\x0f\xb4", b"\x0f\xb5"]) + \
            bytes([rnd.randrange(0xC0, 0x100)])
    return b"\x0f\x0b"


def ud_body(ctx, here):
    return prefixes(ctx.rnd, 2) + ud_encoding(ctx)


KINDS = {
    "implicit-memory": (implicit_body, implicit_last, "any"),
    "string": (string_body, string_last, "any"),
    "stack": (stack_body, stack_last, "any"),
    "segment-load": (segload_body, segload_last, "any"),
    "far-transfer": (far_body, far_last, "any"),
    "privileged": (priv_body, priv_last, "cpl0"),
    "branch": (branch_body, branch_last, "any"),
    "fpu-simd": (fpu_body, fpu_last, "any"),
    "ud": (ud_body, ud_body, "any"),
}


def slot(ctx, i, kind):
    body, last, _ = KINDS[kind]
    base = SLOT_BASE + i * SLOT_SIZE
    ctx.last_slot = i == NSLOTS - 1
    ctx.clobbered = set()
    ctx.sel_reg = None
    code = b""
    if kind == "string":            # short REP counts
        code = bytes([0xB9]) + u32(ctx.rnd.choice([0, 1, 2, 3, 8]))
    if kind == "ud":
        code = ud_body(ctx, base)
    else:
        misses = 0
        while misses < 4:
            state = ctx.rnd.getstate()
            saved = (set(ctx.clobbered), ctx.sel_reg, ctx.next_data)
            ins = body(ctx, base + len(code))
            if len(code) + len(ins) <= SLOT_SIZE - 12:
                code += ins
                continue
            ctx.rnd.setstate(state)
            ctx.clobbered, ctx.sel_reg, ctx.next_data = saved
            ctx.rnd.random()        # a different draw next time
            misses += 1
        for _ in range(8):
            ins = last(ctx, base + len(code))
            if len(code) + len(ins) <= SLOT_SIZE - 2:
                code += ins
                break
    code = code[:SLOT_SIZE - 2]
    return code + (UD2 * SLOT_SIZE)[:SLOT_SIZE - len(code)]


def payload(rnd, kind):
    _, _, cpl = KINDS[kind]
    cpl3 = rnd.random() < (0.25 if cpl == "cpl0" else 0.5)
    ctx = Ctx(rnd, cpl3)
    # the virtual CPU may hide AVX (VEX is #UD then: the ud kind has it)
    ctx.vex = False
    if kind == "segment-load":
        ctx.sel = loadable_data_sel(ctx)
        ctx.fill_words(table_sels(ctx))
    slots = b"".join(slot(ctx, i, kind) for i in range(NSLOTS))
    flags = (FLAG_CPL3 if cpl3 else 0) | (FLAG_PAGING if rnd.random() < 0.5
                                          else 0)
    hdr = b"HSTL" + struct.pack("<BBH4BI", flags, 1, NSLOTS, *SEGS, SEED)
    out = hdr + slots
    out += bytes(DATA_LO - PAYLOAD_GPA - len(out))
    return out + bytes(ctx.data)
