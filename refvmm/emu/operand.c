/*
 * Operands of decoded guest instructions (operand.h).
 */
#include "operand.h"
#include "refvmm/sw/segments.h"

static bool gpr_of(x86_reg r, int *idx, int *size, int *shift)
{
	static const x86_reg r32[] = {X86_REG_EAX, X86_REG_ECX, X86_REG_EDX,
				      X86_REG_EBX, X86_REG_ESP, X86_REG_EBP,
				      X86_REG_ESI, X86_REG_EDI};
	static const x86_reg r16[] = {X86_REG_AX, X86_REG_CX, X86_REG_DX,
				      X86_REG_BX, X86_REG_SP, X86_REG_BP,
				      X86_REG_SI, X86_REG_DI};
	static const x86_reg r8l[] = {X86_REG_AL, X86_REG_CL, X86_REG_DL,
				      X86_REG_BL};
	static const x86_reg r8h[] = {X86_REG_AH, X86_REG_CH, X86_REG_DH,
				      X86_REG_BH};
	int i;

	*shift = 0;
	for (i = 0; i < 8; i++) {
		if (r == r32[i]) {
			*idx = i;
			*size = 4;
			return true;
		}
		if (r == r16[i]) {
			*idx = i;
			*size = 2;
			return true;
		}
	}
	for (i = 0; i < 4; i++) {
		if (r == r8l[i] || r == r8h[i]) {
			*idx = i;
			*size = 1;
			*shift = r == r8h[i] ? 8 : 0;
			return true;
		}
	}
	return false;
}

int operand__gpr(x86_reg r)
{
	int idx, size, shift;

	return gpr_of(r, &idx, &size, &shift) && shift == 0 ? idx : -1;
}

u32 operand__get_reg(const struct sw_cpu *c, x86_reg r)
{
	int idx, size, shift;

	if (!gpr_of(r, &idx, &size, &shift))
		return 0;
	if (size == 4)
		return c->gpr[idx];
	if (size == 2)
		return c->gpr[idx] & 0xffff;
	return (c->gpr[idx] >> shift) & 0xff;
}

void operand__set_reg(struct sw_cpu *c, x86_reg r, u32 v)
{
	int idx, size, shift;

	if (!gpr_of(r, &idx, &size, &shift))
		return;
	if (size == 4)
		c->gpr[idx] = v;
	else if (size == 2)
		c->gpr[idx] = (c->gpr[idx] & ~0xffffu) | (v & 0xffff);
	else
		c->gpr[idx] = (c->gpr[idx] & ~(0xffu << shift)) |
			      ((v & 0xff) << shift);
}

int operand__sreg(x86_reg r)
{
	switch (r) {
	case X86_REG_ES:
		return SW_ES;
	case X86_REG_CS:
		return SW_CS;
	case X86_REG_SS:
		return SW_SS;
	case X86_REG_DS:
		return SW_DS;
	case X86_REG_FS:
		return SW_FS;
	case X86_REG_GS:
		return SW_GS;
	default:
		return -1;
	}
}

int operand__ds_override(const cs_x86 *x)
{
	static const struct {
		u8 prefix;
		int seg;
	} overrides[] = {
		{0x26, SW_ES}, {0x2e, SW_CS}, {0x36, SW_SS},
		{0x3e, SW_DS}, {0x64, SW_FS}, {0x65, SW_GS},
	};

	for (size_t i = 0; i < sizeof(overrides) / sizeof(overrides[0]); i++)
		if (x->prefix[1] == overrides[i].prefix)
			return overrides[i].seg;
	return SW_DS;
}

u32 operand__addr(struct sw_cpu *c, const cs_x86 *x, const cs_x86_op *op,
		  int *sreg)
{
	u32 ea = (u32)op->mem.disp;

	if (op->mem.base != X86_REG_INVALID)
		ea += operand__get_reg(c, op->mem.base);
	if (op->mem.index != X86_REG_INVALID)
		ea += operand__get_reg(c, op->mem.index) * (u32)op->mem.scale;
	if (x->addr_size == 2)
		ea &= 0xffff;
	*sreg = operand__sreg(op->mem.segment);
	if (*sreg < 0)
		*sreg = (op->mem.base == X86_REG_ESP ||
			 op->mem.base == X86_REG_EBP ||
			 op->mem.base == X86_REG_SP ||
			 op->mem.base == X86_REG_BP)
				? SW_SS
				: SW_DS;
	return ea;
}

int operand__read(struct sw_cpu *c, const cs_x86 *x, const cs_x86_op *op,
		  u32 *v)
{
	int sreg;
	u32 ea;

	*v = 0;
	switch (op->type) {
	case X86_OP_REG:
		*v = operand__get_reg(c, op->reg);
		return 0;
	case X86_OP_IMM:
		*v = (u32)op->imm;
		return 0;
	case X86_OP_MEM:
		ea = operand__addr(c, x, op, &sreg);
		return sw_read(c, sreg, ea, v, op->size > 4 ? 4 : op->size);
	default:
		return sw_raise(c, 6, 0, false);
	}
}

int operand__write(struct sw_cpu *c, const cs_x86 *x, const cs_x86_op *op,
		   u32 v)
{
	int sreg;
	u32 ea;

	if (op->type == X86_OP_REG) {
		operand__set_reg(c, op->reg, v);
		return 0;
	}
	ea = operand__addr(c, x, op, &sreg);
	return sw_write(c, sreg, ea, &v, op->size > 4 ? 4 : op->size);
}
