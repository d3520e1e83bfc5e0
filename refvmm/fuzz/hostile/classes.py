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

The inline kinds are in kinds_inline.py, the callout kinds in
kinds_callout.py, the memory operands they share in operands.py.
"""
import struct

from operands import (FLAG_CPL3, FLAG_PAGING, Ctx, DATA_LO, NSLOTS,
                      PAYLOAD_GPA, SEED, SEGS, SLOT_BASE, SLOT_SIZE, UD2,
                      u32)
from kinds_inline import (fpu_body, fpu_last, implicit_body, implicit_last,
                          stack_body, stack_last, string_body, string_last)
from kinds_callout import (branch_body, branch_last, far_body, far_last,
                           loadable_data_sel, priv_body, priv_last,
                           segload_body, segload_last, table_sels, ud_body)


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
