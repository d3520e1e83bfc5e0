/*
 * The guest stack (stack.h). PUSH, POP, ENTER (nesting level 0), LEAVE
 * and near CALL are emulated here when the stack, or the memory operand,
 * is memory the host cannot reach (SDM Vol. 2B PUSH, POP; Vol. 2A ENTER,
 * LEAVE, CALL). The operand size is 16 with a 66 prefix, else 32; the
 * stack pointer is ESP or SP by SS.B. Nothing changes until every access
 * has succeeded, so a fault leaves the registers as they were (the
 * instruction is restartable).
 */
#include "stack.h"
#include "operand.h"
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

int stack__push(struct sw_cpu *c, u32 v, u32 size)
{
	u32 sp = (c->gpr[SW_ESP] - size) & sp_mask(c);

	if (sw_write(c, SW_SS, sp, &v, size) < 0)
		return -1;
	set_sp(c, sp);
	return 0;
}

int stack__pop(struct sw_cpu *c, u32 *v, u32 size)
{
	u32 sp = c->gpr[SW_ESP] & sp_mask(c);

	*v = 0;
	if (sw_read(c, SW_SS, sp, v, size) < 0)
		return -1;
	set_sp(c, sp + size);
	return 0;
}

/* PUSH r/m32, imm; not PUSH Sreg (the segment emulation's). */
static int push(struct sw_cpu *c, const cs_x86 *x, u32 osz)
{
	const cs_x86_op *op = &x->operands[0];
	u32 v = 0;

	if (x->op_count != 1 ||
	    (op->type == X86_OP_REG && operand__gpr(op->reg) < 0))
		return 1;
	if (operand__read(c, x, op, &v) < 0)
		return -1;
	if (op->type == X86_OP_IMM && osz == 2)
		v &= 0xffff;
	return stack__push(c, v, osz);
}

/* POP r/m: a destination addressed through ESP uses the value after the
 * increment. */
static int pop(struct sw_cpu *c, const cs_x86 *x, u32 osz)
{
	const cs_x86_op *op = &x->operands[0];
	u32 v, old_esp = c->gpr[SW_ESP];

	if (x->op_count != 1 ||
	    (op->type == X86_OP_REG && operand__gpr(op->reg) < 0))
		return 1;
	if (stack__pop(c, &v, osz) < 0)
		return -1;
	if (operand__write(c, x, op, v) < 0) {
		c->gpr[SW_ESP] = old_esp;
		return -1;
	}
	return 0;
}

/* Near CALL whose push cannot be made natively (binary translation
 * pushes the guest's return address itself). */
static int call(struct sw_cpu *c, const cs_insn *in, u32 osz)
{
	const cs_x86 *x = &in->detail->x86;
	u32 target;

	if (x->op_count != 1 || osz != 4)
		return 1;
	if (operand__read(c, x, &x->operands[0], &target) < 0)
		return -1;
	if (stack__push(c, c->eip + in->size, 4) < 0)
		return -1;
	c->eip = target - in->size; /* the caller adds the length */
	return 0;
}

static void set_bp(struct sw_cpu *c, u32 v, u32 osz)
{
	if (osz == 2)
		c->gpr[SW_EBP] = (c->gpr[SW_EBP] & ~0xffffu) | v;
	else
		c->gpr[SW_EBP] = v;
}

static int leave(struct sw_cpu *c, u32 osz)
{
	u32 bp = c->gpr[SW_EBP] & sp_mask(c), v = 0;

	if (sw_read(c, SW_SS, bp, &v, osz) < 0)
		return -1;
	set_sp(c, bp + osz);
	set_bp(c, v, osz);
	return 0;
}

static int enter(struct sw_cpu *c, const cs_x86 *x, u32 osz)
{
	u32 size = (u32)x->operands[0].imm & 0xffff, sp;

	if ((x->operands[1].imm & 31) != 0)
		return 1; /* nesting levels: not modelled */
	if (stack__push(c, osz == 2 ? c->gpr[SW_EBP] & 0xffff : c->gpr[SW_EBP],
			osz) < 0)
		return -1;
	sp = c->gpr[SW_ESP] & sp_mask(c);
	set_bp(c, sp, osz);
	set_sp(c, sp - size);
	return 0;
}

int stack__emulate(struct monitor *t, const cs_insn *in)
{
	struct sw_cpu *c = t->c;
	const cs_x86 *x = &in->detail->x86;
	u32 osz = x->prefix[2] == 0x66 ? 2 : 4;

	switch (in->id) {
	case X86_INS_PUSH:
		return push(c, x, osz);
	case X86_INS_POP:
		return pop(c, x, osz);
	case X86_INS_CALL:
		return call(c, in, osz);
	case X86_INS_LEAVE:
		return leave(c, osz);
	case X86_INS_ENTER:
		return enter(c, x, osz);
	default:
		return 1;
	}
}
