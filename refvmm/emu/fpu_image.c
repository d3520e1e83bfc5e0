/*
 * The legacy area of an XSAVE or FXSAVE image (SDM Vol. 1 10.5.1, Table
 * 10-2): FCW at 0, FSW at 2, the abridged tag byte at 4, ST0-ST7 at 32
 * in stack order (ST(i) is physical register (TOP + i) mod 8), XMM0-7
 * at 160. With XSAVE, a component whose XSTATE_BV bit (the header at
 * 512) is clear is in its initial configuration whatever the area holds
 * (Vol. 1 13.6): its registers read as zero.
 */
#include <string.h>

#include "fpu_image.h"

#define FSW_OFF	    2
#define FTW_OFF	    4
#define ST_OFF	    32
#define XMM_OFF	    160
#define XSTATE_BV   512
#define XSTATE_X87  1u
#define XSTATE_SSE  2u
#define XSTATE_AVX  4u
#define MXCSR_OFF   24
#define MXCSR_INIT  0x1f80u
#define FSW_TOP	    0x3800u
#define FSW_ES	    0x0080u
#define X87_INIT_CW 0x037f

static bool in_use(const struct sw_cpu *c, u8 component)
{
	return c->use_fxsave || (c->xsave_guest[XSTATE_BV] & component);
}

static u16 fsw(const struct sw_cpu *c)
{
	u16 v;

	if (!in_use(c, XSTATE_X87))
		return 0;
	memcpy(&v, c->xsave_guest + FSW_OFF, 2);
	return v;
}

void fpu_image__mm(const struct sw_cpu *c, int n, u8 out[8])
{
	int top = (fsw(c) & FSW_TOP) >> 11;

	memset(out, 0, 8);
	/* MMn is physical register n, at stack slot (n - TOP) mod 8. */
	if (in_use(c, XSTATE_X87))
		memcpy(out, c->xsave_guest + ST_OFF + 16 * ((n - top) & 7), 8);
}

void fpu_image__xmm(const struct sw_cpu *c, int n, u8 out[16])
{
	memset(out, 0, 16);
	if (in_use(c, XSTATE_SSE))
		memcpy(out, c->xsave_guest + XMM_OFF + 16 * n, 16);
}

bool fpu_image__x87_pending(const struct sw_cpu *c)
{
	return fsw(c) & FSW_ES;
}

void fpu_image__enter_mmx(struct sw_cpu *c)
{
	u8 *x = c->xsave_guest;
	u16 v;
	int top = (fsw(c) & FSW_TOP) >> 11;
	u8 st[8][16];

	if (!in_use(c, XSTATE_X87)) {
		/* The area becomes authoritative: give it the initial
		 * configuration first (Vol. 1 Table 13-1 / 8.1.2). */
		memset(x, 0, 24);
		memset(x + ST_OFF, 0, 8 * 16);
		v = X87_INIT_CW;
		memcpy(x, &v, 2);
		x[XSTATE_BV] |= XSTATE_X87;
		top = 0;
	}
	/* TOP 0 renames the stack: slot i now holds physical register i. */
	for (int i = 0; i < 8; i++)
		memcpy(st[i], x + ST_OFF + 16 * ((i - top) & 7), 16);
	memcpy(x + ST_OFF, st, sizeof(st));
	memcpy(&v, x + FSW_OFF, 2);
	v &= (u16)~FSW_TOP;
	memcpy(x + FSW_OFF, &v, 2);
	x[FTW_OFF] = 0xff;
}

u16 fpu_image__fcw(const struct sw_cpu *c)
{
	u16 v;

	if (!in_use(c, XSTATE_X87))
		return X87_INIT_CW;
	memcpy(&v, c->xsave_guest, 2);
	return v;
}

u16 fpu_image__fsw(const struct sw_cpu *c)
{
	return fsw(c);
}

/* XSAVEOPT writes MXCSR only with the SSE or AVX component; with both
 * initial, MXCSR is too (SDM Vol. 1 13.6: XINUSE[1] stays set while
 * MXCSR differs from 1F80H). */
u32 fpu_image__mxcsr(const struct sw_cpu *c)
{
	u32 v;

	if (!in_use(c, XSTATE_SSE | XSTATE_AVX))
		return MXCSR_INIT;
	memcpy(&v, c->xsave_guest + MXCSR_OFF, 4);
	return v;
}
