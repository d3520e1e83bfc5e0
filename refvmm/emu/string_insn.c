/*
 * String instructions on memory the host cannot reach (MMIO, the low
 * page, emulated segments): MOVS, CMPS, STOS, LODS, SCAS with REP, REPE
 * and REPNE, as SDM Vol. 2B "MOVS/MOVSB/..." and "REP/REPE/REPZ/..."
 * describe them. Each element goes through the segment and paging
 * checks, so a fault mid-way leaves ESI, EDI and ECX at the element
 * that faulted, as the CPU does. A long REP is cut into bounded slices
 * (the instruction restarts from EIP), as an interrupt would cut it.
 */
#include "operand.h"
#include "string_insn.h"
#include "refvmm/sw/segments.h"

#define SLICE 4096u

static u32 cmp_flags(u32 a, u32 b, int size)
{
	u64 f;

	if (size == 1)
		asm("cmpb %b2, %b1\n\tpushfq\n\tpopq %0"
		    : "=r"(f)
		    : "q"(a), "q"(b)
		    : "cc");
	else if (size == 2)
		asm("cmpw %w2, %w1\n\tpushfq\n\tpopq %0"
		    : "=r"(f)
		    : "r"(a), "r"(b)
		    : "cc");
	else
		asm("cmpl %2, %1\n\tpushfq\n\tpopq %0"
		    : "=r"(f)
		    : "r"(a), "r"(b)
		    : "cc");
	return (u32)f & 0x8d5u;
}

int string_insn__emulate(struct monitor *t, const cs_insn *in, bool *done)
{
	struct sw_cpu *c = t->c;
	const cs_x86 *x = &in->detail->x86;
	u8 op = x->opcode[0];
	int size, src = operand__ds_override(x);
	bool rep = x->prefix[0] == 0xf3 || x->prefix[0] == 0xf2;
	bool repne = x->prefix[0] == 0xf2;
	bool cmps = op == 0xa6 || op == 0xa7, scas = op == 0xae || op == 0xaf;
	u32 step, mask, n = 0;

	*done = false;
	if (op < 0xa4 || op > 0xaf || op == 0xa8 || op == 0xa9 ||
	    x->opcode[1] || x->addr_size != 4)
		return 1;
	size = !(op & 1) ? 1 : x->prefix[2] == 0x66 ? 2 : 4;
	mask = size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
	step = c->eflags & EFL_DF ? (u32)-size : (u32)size;
	while (!rep || c->gpr[SW_ECX]) {
		u32 a = 0, b = 0;

		if (n++ == SLICE)
			return 0; /* resumes at the same instruction */
		switch (op | 1) {
		case 0xa5: /* MOVS */
			if (sw_read(c, src, c->gpr[SW_ESI], &a, (u32)size) <
				    0 ||
			    sw_write(c, SW_ES, c->gpr[SW_EDI], &a, (u32)size) <
				    0)
				return -1;
			c->gpr[SW_ESI] += step;
			c->gpr[SW_EDI] += step;
			break;
		case 0xa7: /* CMPS: [ESI] - ES:[EDI] */
			if (sw_read(c, src, c->gpr[SW_ESI], &a, (u32)size) <
				    0 ||
			    sw_read(c, SW_ES, c->gpr[SW_EDI], &b, (u32)size) <
				    0)
				return -1;
			c->eflags =
				(c->eflags & ~0x8d5u) | cmp_flags(a, b, size);
			c->gpr[SW_ESI] += step;
			c->gpr[SW_EDI] += step;
			break;
		case 0xab: /* STOS */
			a = c->gpr[SW_EAX] & mask;
			if (sw_write(c, SW_ES, c->gpr[SW_EDI], &a, (u32)size) <
			    0)
				return -1;
			c->gpr[SW_EDI] += step;
			break;
		case 0xad: /* LODS */
			if (sw_read(c, src, c->gpr[SW_ESI], &a, (u32)size) < 0)
				return -1;
			c->gpr[SW_EAX] = (c->gpr[SW_EAX] & ~mask) | a;
			c->gpr[SW_ESI] += step;
			break;
		case 0xaf: /* SCAS: AL/AX/EAX - ES:[EDI] */
			if (sw_read(c, SW_ES, c->gpr[SW_EDI], &b, (u32)size) <
			    0)
				return -1;
			c->eflags = (c->eflags & ~0x8d5u) |
				    cmp_flags(c->gpr[SW_EAX] & mask, b, size);
			c->gpr[SW_EDI] += step;
			break;
		}
		if (!rep)
			break;
		c->gpr[SW_ECX]--;
		if ((cmps || scas) &&
		    (repne ? (c->eflags & 0x40) : !(c->eflags & 0x40)))
			break;
	}
	*done = true;
	t->proxied++;
	return 0;
}
