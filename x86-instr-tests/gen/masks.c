/*
 * What is not compared, and why: the flags the SDM declares undefined for
 * an instruction, and results that legitimately differ by vendor. Nothing
 * here comes from a target disagreeing.
 */
#include "gen.h"

#define CF XI_FL_CF
#define PF XI_FL_PF
#define AF XI_FL_AF
#define ZF XI_FL_ZF
#define SF XI_FL_SF
#define OF XI_FL_OF

const struct flag_rule flag_rules[] = {
	{K_ALU, 1, AF, "SDM Vol. 2B OR: AF undefined"},
	{K_ALU, 4, AF, "SDM Vol. 2A AND: AF undefined"},
	{K_ALU, 6, AF, "SDM Vol. 2B XOR: AF undefined"},
	{K_ALU, 8, AF, "SDM Vol. 2B TEST: AF undefined"},
	{K_MUL1, -1, SF | ZF | AF | PF, "SDM Vol. 2B MUL, Vol. 2A IMUL: SF, ZF, AF, PF undefined"},
	{K_IMUL, -1, SF | ZF | AF | PF, "SDM Vol. 2A IMUL: SF, ZF, AF, PF undefined"},
	{K_DIV, -1, CF | OF | SF | ZF | AF | PF, "SDM Vol. 2A DIV, IDIV: CF, OF, SF, ZF, AF, PF undefined"},
	{K_BCD, 0, OF, "SDM Vol. 2A DAA: OF undefined"},
	{K_BCD, 1, OF, "SDM Vol. 2A DAS: OF undefined"},
	{K_BCD, 2, OF | SF | ZF | PF, "SDM Vol. 2A AAA: OF, SF, ZF, PF undefined"},
	{K_BCD, 3, OF | SF | ZF | PF, "SDM Vol. 2A AAS: OF, SF, ZF, PF undefined"},
	{K_BCD, 4, OF | AF | CF, "SDM Vol. 2A AAM: OF, AF, CF undefined"},
	{K_BCD, 5, OF | AF | CF, "SDM Vol. 2A AAD: OF, AF, CF undefined"},
	{K_BT, -1, OF | SF | AF | PF, "SDM Vol. 2A BT/BTS/BTR/BTC: OF, SF, AF, PF undefined"},
	{K_BSF, -1, CF | OF | SF | AF | PF, "SDM Vol. 2A BSF/BSR: CF, OF, SF, AF, PF undefined"},
	{K_CNT, 0, OF | SF | AF | PF, "SDM Vol. 2B TZCNT: OF, SF, PF, AF undefined"},
	{K_CNT, 1, OF | SF | AF | PF, "SDM Vol. 2A LZCNT: OF, SF, PF, AF undefined"},
	{K_NKIND, 0, 0, NULL},
};

static unsigned long cmask(const struct form *f)
{
	return f->osz == 64 ? 63 : 31;
}
static unsigned long count_of(const struct form *f, const struct xcase *c)
{
	return f->cnt == 2 ? (c->in[XI_RCX] & 0xff) : (unsigned long)f->imm;
}

unsigned undef_flags(const struct form *f, const struct xcase *c,
		     const char **ref)
{
	const char *dummy;
	unsigned long mc;

	if (!ref)
		ref = &dummy;
	*ref = NULL;
	if (f->kind == K_SHIFT) {
		mc = count_of(f, c) & cmask(f);
		if (mc == 0)
			return 0; /* flags not affected */
		if (f->op < 4) {
			*ref = "SDM Vol. 2B RCL/RCR/ROL/ROR: OF undefined unless the masked count is 1";
			return mc == 1 ? 0 : OF;
		}
		*ref = "SDM Vol. 2B SAL/SAR/SHL/SHR: AF undefined for a non-zero count, OF unless the count is 1, CF for SHL/SHR when the count >= the operand size";
		return AF | (mc == 1 ? 0 : OF) |
		       ((f->op == 4 || f->op == 5) && mc >= (unsigned long)f->osz ? CF : 0);
	}
	if (f->kind == K_SHXD) {
		mc = count_of(f, c) & cmask(f);
		if (mc == 0)
			return 0;
		*ref = "SDM Vol. 2B SHLD/SHRD: AF undefined, OF unless the count is 1, every flag when the count exceeds the operand size";
		if (mc > (unsigned long)f->osz)
			return XI_FL_STATUS;
		return AF | (mc == 1 ? 0 : OF);
	}
	for (const struct flag_rule *r = flag_rules; r->ref; r++) {
		if (r->kind == f->kind && (r->op == -1 || r->op == f->op)) {
			*ref = r->ref;
			return r->undef;
		}
	}
	return 0;
}

unsigned undef_regs(const struct form *f, const struct xcase *c,
		    const char **ref)
{
	const char *dummy;
	unsigned long src;

	if (!ref)
		ref = &dummy;
	*ref = NULL;
	if (f->kind == K_BSF) {
		/* the source is the register or the memory operand */
		if (f->mem) {
			src = 0;
			for (int i = 0; i < f->osz / 8; i++)
				src |= (unsigned long)c->win_in[0x20 + i] << (8 * i);
		} else {
			src = c->in[f->rs];
		}
		if (f->osz < (int)(8 * sizeof(long)))
			src &= (1ul << f->osz) - 1;
		if (src == 0) {
			*ref = "vendor: SDM Vol. 2A BSF/BSR: destination undefined for a zero source; AMD APM Vol. 3 BSF/BSR: unchanged";
			return 1u << f->rd;
		}
	}
	if (f->kind == K_XCHG && f->op == 2 && f->mem == 0 && f->osz == 32 &&
	    f->width == 64 && (uint32_t)c->in[XI_RAX] != (uint32_t)c->in[f->rd]) {
		*ref = "vendor: CMPXCHG r32 in 64-bit mode when the comparison fails: SDM Vol. 2A CMPXCHG writes the destination back (zero-extending it), AMD processors leave it unwritten (bits 63:32 kept)";
		return 1u << f->rd;
	}
	if (f->kind == K_SHXD) {
		unsigned long mc = count_of(f, c) & cmask(f);
		if (mc > (unsigned long)f->osz) {
			*ref = "SDM Vol. 2B SHLD/SHRD: the result is undefined when the count exceeds the operand size";
			return 1u << f->rd;
		}
	}
	return 0;
}
