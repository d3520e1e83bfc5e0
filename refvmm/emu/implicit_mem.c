/*
 * XLAT and MASKMOVQ/MASKMOVDQU on memory the host cannot reach (beyond
 * a truncated segment limit, a segment the monitor emulates, code in
 * the monitor window). Their operand is implicit, so neither MOV's
 * operand emulation nor the proxy (which would run them at a host
 * address) can take them: they are done here on guest memory through
 * the guest's segments and page tables.
 *
 * XLAT (SDM Vol. 2B XLAT): AL <- [seg:(E)BX + zero-extended AL], DS by
 * default, overridable; the offset wraps at the address size.
 * MASKMOVQ/MASKMOVDQU (Vol. 2B): the bytes of mm1/xmm1 whose mask byte
 * in mm2/xmm2 has its top bit set are stored at seg:(E)DI, DS by
 * default, overridable; nothing is stored for the others. The store is
 * non-temporal, architecturally a byte store per selected byte.
 */
#include <string.h>

#include "fpu_image.h"
#include "implicit_mem.h"
#include "operand.h"
#include "refvmm/sw/segments.h"

/* A register's value as the address size uses it. */
static u32 addr_reg(const struct sw_cpu *c, const cs_x86 *x, int gpr)
{
	return x->addr_size == 2 ? c->gpr[gpr] & 0xffff : c->gpr[gpr];
}

static int xlat(struct sw_cpu *c, const cs_x86 *x)
{
	u32 off = addr_reg(c, x, SW_EBX) + (c->gpr[SW_EAX] & 0xff);
	u8 b;

	if (x->addr_size == 2)
		off &= 0xffff;
	if (sw_read(c, operand__ds_override(x), off, &b, 1) < 0)
		return -1;
	c->gpr[SW_EAX] = (c->gpr[SW_EAX] & ~0xffu) | b;
	return 0;
}

/*
 * The exceptions before any memory access (Vol. 2B MASKMOVQ and
 * MASKMOVDQU, "Protected Mode Exceptions"; Vol. 3A 13.1.3 for OSFXSR):
 * #UD with CR0.EM (and, for the SSE2 form, CR4.OSFXSR clear) or F2/F3
 * in front of 0F F7, #NM with CR0.TS, #MF for a pending x87 exception
 * (the MMX form; #MF whatever the guest's CR0.NE, as the host CPU, whose
 * CR0.NE is set, raises it for the same instruction run directly).
 */
static int simd_checks(struct sw_cpu *c, const cs_insn *in, bool xmm)
{
	const cs_x86 *x = &in->detail->x86;

	for (int k = 0; k < x->encoding.modrm_offset - 2; k++)
		if (in->bytes[k] == 0xf2 || in->bytes[k] == 0xf3 ||
		    in->bytes[k] == 0xf0)
			return sw_raise(c, 6, 0, false);
	if ((c->cr0 & CR0_EM) || (xmm && !(c->cr4 & CR4_OSFXSR)))
		return sw_raise(c, 6, 0, false);
	if (c->cr0 & CR0_TS)
		return sw_raise(c, 7, 0, false);
	if (!xmm && fpu_image__x87_pending(c))
		return sw_raise(c, 16, 0, false);
	return 0;
}

static int maskmov(struct sw_cpu *c, const cs_insn *in, bool xmm)
{
	const cs_x86 *x = &in->detail->x86;
	u8 modrm = in->bytes[x->encoding.modrm_offset];
	u32 len = xmm ? 16 : 8, off = addr_reg(c, x, SW_EDI);
	int sreg = operand__ds_override(x);
	u8 data[16], mask[16];
	u32 i, j, lo, hi;

	if (modrm >> 6 != 3)
		return sw_raise(c, 6, 0, false);
	if (simd_checks(c, in, xmm) < 0)
		return -1;
	if (xmm) {
		fpu_image__xmm(c, (modrm >> 3) & 7, data);
		fpu_image__xmm(c, modrm & 7, mask);
	} else {
		fpu_image__mm(c, (modrm >> 3) & 7, data);
		fpu_image__mm(c, modrm & 7, mask);
	}
	/* The whole destination is checked against the segment, and the
	 * pages from the first selected byte to the last, before a byte
	 * moves: the CPU faults a store before any of it is done. */
	for (lo = 0; lo < len && !(mask[lo] & 0x80); lo++)
		;
	for (hi = len; hi > lo && !(mask[hi - 1] & 0x80); hi--)
		;
	if (sw_seg_check(c, sreg, off, len, true) < 0 ||
	    (hi > lo && sw_data_probe(c, (u32)c->seg[sreg].base + off + lo,
				      hi - lo, true) < 0))
		return -1;
	for (i = lo; i < hi; i = j + 1) {
		for (j = i; j < hi && (mask[j] & 0x80); j++)
			;
		if (j > i && sw_write(c, sreg, off + i, data + i, j - i) < 0)
			return -1;
	}
	if (!xmm)
		fpu_image__enter_mmx(c);
	return 0;
}

int implicit_mem__emulate(struct monitor *t, const cs_insn *in)
{
	struct sw_cpu *c = t->c;
	const cs_x86 *x = &in->detail->x86;
	int r;

	switch (in->id) {
	case X86_INS_XLATB:
		if (x->prefix[0] == 0xf0)
			return sw_raise(c, 6, 0, false);
		r = xlat(c, x);
		break;
	case X86_INS_MASKMOVQ:
		r = maskmov(c, in, false);
		break;
	case X86_INS_MASKMOVDQU:
		r = maskmov(c, in, true);
		break;
	default:
		return 1;
	}
	if (r == 0)
		t->proxied++;
	return r;
}
