"""The `classes` kinds that call out to the monitor (classes.py): the
translator logs only as far as a slot runs, so every instruction but the
last goes on to the next one, and the last may fault."""
import struct

from operands import (ANY_LO, DATA_HI, SAFE_PORTS, SEG32, UD2, mem, prefixes,
                      rm_any, u32)


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
