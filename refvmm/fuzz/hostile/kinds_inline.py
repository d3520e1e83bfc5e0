"""The `classes` kinds the translator runs inline (classes.py): their
instructions are logged when the block is translated, so a slot of them
is logged whole even when its first instruction faults."""
import struct

from operands import (ANY_LO, DATA_HI, DATA_LO, FS_BASE, SEG32, mem, prefixes,
                      u32)


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
