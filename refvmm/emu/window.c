/*
 * Code in the monitor window. Every guest code segment is truncated below
 * SW_WINDOW_BASE, so direct execution cannot fetch there: the fetch is a
 * #GP(0) with EIP inside the guest's own CS limit. That code is the
 * guest's all the same (SDM Vol. 3A 4.1: all 4 GiB are linear space),
 * so the monitor runs it instruction by instruction until it leaves the
 * window: near branches, calls and returns here, data instructions by
 * proxy (proxy.c), stack, string, XLAT, MASKMOV* and memory forms as on
 * unreachable memory, all through the guest's segments and page tables;
 * bytes that do not decode raise #UD. Anything else there still gets
 * the #GP it got before, and the limitation is documented
 * (docs/refvmm-trap.md, "window").
 */
#include "window.h"
#include "emulate.h"
#include "operand.h"
#include "proxy.h"
#include "refvmm/sw/segments.h"
#include "refvmm/sw/shadow_desc.h"
#include "stack.h"

#define SLICE 4096

static bool condition(const struct sw_cpu *c, x86_insn id)
{
	u32 f = c->eflags;
	bool cf = f & 1, zf = f & 0x40, sf = f & 0x80, of = f & 0x800,
	     pf = f & 4;

	switch (id) {
	case X86_INS_JO:
		return of;
	case X86_INS_JNO:
		return !of;
	case X86_INS_JB:
		return cf;
	case X86_INS_JAE:
		return !cf;
	case X86_INS_JE:
		return zf;
	case X86_INS_JNE:
		return !zf;
	case X86_INS_JBE:
		return cf || zf;
	case X86_INS_JA:
		return !cf && !zf;
	case X86_INS_JS:
		return sf;
	case X86_INS_JNS:
		return !sf;
	case X86_INS_JP:
		return pf;
	case X86_INS_JNP:
		return !pf;
	case X86_INS_JL:
		return sf != of;
	case X86_INS_JGE:
		return sf == of;
	case X86_INS_JLE:
		return zf || sf != of;
	case X86_INS_JG:
		return !zf && sf == of;
	case X86_INS_JECXZ:
		return c->gpr[SW_ECX] == 0;
	default:
		return false;
	}
}

static bool is_jcc(x86_insn id)
{
	static const x86_insn jcc[] = {
		X86_INS_JO,    X86_INS_JNO, X86_INS_JB,	 X86_INS_JAE,
		X86_INS_JE,    X86_INS_JNE, X86_INS_JBE, X86_INS_JA,
		X86_INS_JS,    X86_INS_JNS, X86_INS_JP,	 X86_INS_JNP,
		X86_INS_JL,    X86_INS_JGE, X86_INS_JLE, X86_INS_JG,
		X86_INS_JECXZ,
	};

	for (size_t i = 0; i < sizeof(jcc) / sizeof(jcc[0]); i++)
		if (jcc[i] == id)
			return true;
	return false;
}

/* One instruction; 0 done, -1 raised, 1 not one the window runs. */
static int step(struct monitor *t, const cs_insn *in)
{
	struct sw_cpu *c = t->c;
	const cs_x86 *x = &in->detail->x86;
	u32 next = c->eip + in->size, target = 0, v;
	enum emu_result r;

	if (x->prefix[2] == 0x66 || x->prefix[3] == 0x67)
		if (in->id == X86_INS_RET || in->id == X86_INS_CALL ||
		    in->id == X86_INS_JMP || is_jcc(in->id))
			return 1; /* 16-bit control transfers: not here */
	switch (in->id) {
	case X86_INS_NOP:
		c->eip = next;
		return 0;
	case X86_INS_RET:
		if (stack__pop(c, &v, 4) < 0)
			return -1;
		if (x->op_count == 1)
			c->gpr[SW_ESP] += (u32)x->operands[0].imm & 0xffff;
		c->eip = v;
		return 0;
	case X86_INS_JMP:
	case X86_INS_CALL:
		/* rel32 (an immediate), register or memory alike */
		if (x->op_count != 1)
			return 1;
		if (operand__read(c, x, &x->operands[0], &target) < 0)
			return -1;
		if (in->id == X86_INS_CALL && stack__push(c, next, 4) < 0)
			return -1;
		c->eip = target;
		return 0;
	default:
		break;
	}
	if (is_jcc(in->id)) {
		c->eip = condition(c, in->id) ? (u32)x->operands[0].imm : next;
		return 0;
	}
	r = emulate__generic(t, in);
	if (r == EMU_DONE)
		return 0;
	if (r == EMU_RAISE)
		return -1;
	if (proxy__run(t, in, 0, 0) == 0) {
		c->eip = next;
		return 0;
	}
	return 1;
}

/*
 * Where a near transfer at EIP goes (0 when it is not one, or not taken):
 * the CPU raises #GP at the branch itself when the target is beyond the
 * (truncated) CS limit, so the way into the window is such a branch.
 */
static bool branch_target(struct monitor *t, const cs_insn *in, u32 *target)
{
	struct sw_cpu *c = t->c;
	const cs_x86 *x = &in->detail->x86;
	u32 sp = c->gpr[SW_ESP];

	if (x->prefix[2] == 0x66 || x->prefix[3] == 0x67)
		return false;
	switch (in->id) {
	case X86_INS_RET:
		if (!c->seg[SW_SS].db)
			sp &= 0xffff;
		return sw_read(c, SW_SS, sp, target, 4) == 0;
	case X86_INS_JMP:
	case X86_INS_CALL:
		return x->op_count == 1 &&
		       operand__read(c, x, &x->operands[0], target) == 0;
	default:
		if (!is_jcc(in->id) || !condition(c, in->id))
			return false;
		*target = (u32)x->operands[0].imm;
		return true;
	}
}

/*
 * Bytes at EIP that do not decode: the fault of fetching them if there is
 * one (the CS limit, a page not present: fetch faults come before decode
 * faults, SDM Vol. 3A Table 6-2), else #UD. Guest-physical space without
 * RAM reads all ones, FF FF, and FF /7 is reserved (Vol. 2D Table A-6).
 * The CPU fetches only the bytes the instruction has; not knowing its
 * length, this checks all 15, and an opcode the decoder does not know is
 * #UD here.
 */
static int undecodable(struct monitor *t)
{
	struct sw_cpu *c = t->c;
	const struct vcpu_seg *cs = &c->seg[SW_CS];
	u8 b;

	for (u32 k = 0; k < 15; k++) {
		if (!desc__offset_ok(cs, c->eip + k, 1))
			return sw_gp(c, 0);
		if (sw_code_read(c, (u32)cs->base + c->eip + k, &b, 1) < 0)
			return -1;
	}
	return sw_raise(c, 6, 0, false);
}

int window__emulate(struct monitor *t)
{
	struct sw_cpu *c = t->c;
	const struct vcpu_seg *cs = &c->seg[SW_CS];
	int n, r;

	for (n = 0; n < SLICE; n++) {
		const cs_insn *in;
		u32 target;

		if ((u32)cs->base + c->eip < SW_WINDOW_BASE) {
			if (n)
				return 1;
			/* A branch into the window? */
			in = emulate__decode(t, c->eip);
			if (!in || !branch_target(t, in, &target) ||
			    (u32)cs->base + target < SW_WINDOW_BASE ||
			    !desc__offset_ok(cs, target, 1))
				return 0;
			if (step(t, in) != 0)
				return 0;
			t->window_steps++;
			continue;
		}
		if (!desc__offset_ok(cs, c->eip, 1))
			return n ? (sw_gp(c, 0), -1) : 0;
		in = emulate__decode(t, c->eip);
		if (!in)
			return undecodable(t);
		r = step(t, in);
		if (r < 0)
			return -1;
		if (r > 0)
			return n ? (sw_gp(c, 0), -1) : 0;
		t->window_steps++;
	}
	return 2;
}
