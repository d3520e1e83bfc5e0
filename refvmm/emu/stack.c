/*
 * PUSH, POP, ENTER (nesting level 0) and LEAVE when the stack, or the
 * memory operand, is memory the host cannot reach (SDM Vol. 2B PUSH,
 * POP; Vol. 2A ENTER, LEAVE). The operand size is 16 with a 66 prefix,
 * else 32; the stack pointer is ESP or SP by SS.B. Nothing changes
 * until every access has succeeded, so a fault leaves the registers as
 * they were (the instruction is restartable).
 */
#include "monitor.h"
#include "refvmm/sw/segments.h"

static u32 sp_mask(const struct sw_cpu *c)
{
	return c->seg[SW_SS].db ? 0xffffffffu : 0xffffu;
}

static void set_sp(struct sw_cpu *c, u32 sp)
{
	u32 m = sp_mask(c);

	c->gpr[SW_ESP] = (c->gpr[SW_ESP] & ~m) | (sp & m);
}

int stack__emulate(struct monitor *t, const cs_insn *in)
{
	struct sw_cpu *c = t->c;
	const cs_x86 *x = &in->detail->x86;
	u32 osz = x->prefix[2] == 0x66 ? 2 : 4, m = sp_mask(c);
	u32 sp = c->gpr[SW_ESP] & m, v = 0, old_esp = c->gpr[SW_ESP];

	switch (in->id) {
	case X86_INS_PUSH:
		if (x->op_count != 1 ||
		    (x->operands[0].type == X86_OP_REG &&
		     emulate__gpr_index(x->operands[0].reg) < 0))
			return 1; /* PUSH Sreg: the segment emulation's */
		if (emulate__op_read(c, x, &x->operands[0], &v) < 0)
			return -1;
		if (x->operands[0].type == X86_OP_IMM && osz == 2)
			v &= 0xffff;
		sp = (sp - osz) & m;
		if (sw_write(c, SW_SS, sp, &v, osz) < 0)
			return -1;
		set_sp(c, sp);
		return 0;
	case X86_INS_POP:
		if (x->op_count != 1 ||
		    (x->operands[0].type == X86_OP_REG &&
		     emulate__gpr_index(x->operands[0].reg) < 0))
			return 1;
		if (sw_read(c, SW_SS, sp, &v, osz) < 0)
			return -1;
		/* POP: a destination addressed through ESP uses the value
		 * after the increment. */
		set_sp(c, sp + osz);
		if (emulate__op_write(c, x, &x->operands[0], v) < 0) {
			c->gpr[SW_ESP] = old_esp;
			return -1;
		}
		return 0;
	case X86_INS_CALL: {
		/* Near CALL whose push cannot be made natively (binary
		 * translation pushes the guest's return address itself). */
		u32 target;

		if (x->op_count != 1 || osz != 4)
			return 1;
		if (emulate__op_read(c, x, &x->operands[0], &target) < 0)
			return -1;
		v = c->eip + in->size;
		sp = (sp - 4) & m;
		if (sw_write(c, SW_SS, sp, &v, 4) < 0)
			return -1;
		set_sp(c, sp);
		c->eip = target - in->size; /* the caller adds the length */
		return 0;
	}
	case X86_INS_LEAVE: {
		u32 bp = c->gpr[SW_EBP] & m;

		if (sw_read(c, SW_SS, bp, &v, osz) < 0)
			return -1;
		set_sp(c, bp + osz);
		if (osz == 2)
			c->gpr[SW_EBP] = (c->gpr[SW_EBP] & ~0xffffu) | v;
		else
			c->gpr[SW_EBP] = v;
		return 0;
	}
	case X86_INS_ENTER: {
		u32 size = (u32)x->operands[0].imm & 0xffff;

		if ((x->operands[1].imm & 31) != 0)
			return 1; /* nesting levels: not modelled */
		v = osz == 2 ? c->gpr[SW_EBP] & 0xffff : c->gpr[SW_EBP];
		sp = (sp - osz) & m;
		if (sw_write(c, SW_SS, sp, &v, osz) < 0)
			return -1;
		if (osz == 2)
			c->gpr[SW_EBP] = (c->gpr[SW_EBP] & ~0xffffu) | sp;
		else
			c->gpr[SW_EBP] = sp;
		set_sp(c, sp - size);
		return 0;
	}
	default:
		return 1;
	}
}
