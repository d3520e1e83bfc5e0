/*
 * Cases: edge values and seeded random ones (xorshift64*, fixed seed per
 * form: reproducible), placed into the operands each form reads.
 */
#include <string.h>

#include "gen.h"

/* dividends are twice the operand size: 128 bits for 64-bit operands */
#ifdef __SIZEOF_INT128__
typedef unsigned __int128 wide;
#else
typedef unsigned long long wide;
#endif

static uint64_t rs;
static uint64_t rnd(void)
{
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return rs * 0x2545f4914f6cdd1dull;
}

static uint64_t szmask(int sz)
{
	return sz >= 64 ? ~0ull : (1ull << sz) - 1;
}

/* Edge values of an operand size, then random ones. */
static uint64_t edge(int sz, int i)
{
	uint64_t m = szmask(sz), top = 1ull << (sz - 1);
	const uint64_t e[] = {0, 1, m, top, top - 1, 2, m - 1, top + 1, 0x80, 0x7f};
	if (i < 10)
		return e[i] & m;
	return rnd() & m;
}

/* Writes v into the low sz bits of register r (8-bit r 4-7: AH..BH). */
static void set_reg(unsigned long *regs, int sz, int r, uint64_t v)
{
	if (sz == 8 && r >= 4) {
		regs[r - 4] = (regs[r - 4] & ~0xff00ul) | (unsigned long)((v & 0xff) << 8);
		return;
	}
	if (sz >= (int)(8 * sizeof(long)))
		regs[r] = (unsigned long)v;
	else
		regs[r] = (regs[r] & ~(unsigned long)szmask(sz)) |
			  (unsigned long)(v & szmask(sz));
}
static void set_mem(uint8_t *win, int off, int sz, uint64_t v)
{
	for (int i = 0; i < sz / 8 && i < 8; i++)
		win[off + i] = v >> (8 * i);
}

static const uint64_t fp_special[] = {
	0x0000000000000000ull, 0x8000000000000000ull, 0x3ff0000000000000ull,
	0xbff0000000000000ull, 0x7ff0000000000000ull, 0xfff0000000000000ull,
	0x7ff8000000000000ull, 0x7ff4000000000000ull, 0x0000000000000001ull,
	0x7fefffffffffffffull, 0x4024000000000000ull, 0xc1e0000000000000ull,
};

void cases_make(const struct form *f, struct xcase *cs, int n, uint64_t seed)
{
	rs = seed | 1;
	for (int i = 0; i < n; i++) {
		struct xcase *c = &cs[i];
		int sz = f->osz > 64 ? 64 : f->osz;
		uint64_t a = edge(sz, (i * 7) % 12 < 10 && i < 12 ? i % 10 : 10);
		uint64_t bv = edge(sz, i < 12 ? (i * 3 + 1) % 10 : 10);
		uint8_t *win = c->win_in;

		memset(c, 0, sizeof(*c));
		for (int r = 0; r < 8; r++)
			c->in[r] = (unsigned long)rnd();
		for (unsigned k = 0; k < XI_WIN; k++)
			win[k] = rnd();
		c->fin = (rnd() & XI_FL_STATUS) | 2;
		for (int k = 0; k < 32; k++)
			c->xin[k] = rnd();

		/* pointer registers hold window offsets */
		c->in[XI_RSP] = (f->flags & F_STACK) ? 0x30 : 0;
		if (f->ptr & (1u << XI_RBX))
			c->in[XI_RBX] = 0x20;
		if ((f->ptr & ~f->noptr_in) & (1u << XI_RBP))
			c->in[XI_RBP] = 0x38;
		if (f->kind == K_CX8)
			c->in[XI_RSI] = 0x20;
		if (f->kind == K_STR) {
			c->in[XI_RSI] = f->imm ? 0x18 : 0x00;
			c->in[XI_RDI] = f->imm ? 0x38 : 0x20;
			if (f->imm)
				c->fin |= XI_FL_DF;
			c->in[XI_RCX] = f->cnt ? (unsigned long)(i % 4) : (unsigned long)rnd();
			if (i & 1) /* equal elements: REPE/REPNE stop points */
				memcpy(win + (f->imm ? 0x20 : 0x20), win, 8);
			if (i % 3 == 0)
				set_reg(c->in, sz, XI_RAX, 0), memset(win + 0x20, 0, 8),
					memset(win, 0, 8);
			continue;
		}

		switch (f->kind) {
		case K_SHIFT:
		case K_SHXD:
			if (f->cnt == 2) {
				static const int cnt[] = {0, 1, 2, 7, 8, 9, 15, 16, 17,
							  31, 32, 33, 63, 64, 65, 255};
				set_reg(c->in, 8, XI_RCX,
					i < 16 ? (uint64_t)cnt[i] : rnd() & 0xff);
			}
			break;
		case K_DIV: {
			int sg = f->op == 7;
			uint64_t d = i == 0 ? 0 : (rnd() & szmask(sz)) >> (rnd() % sz);
			wide q, r, dv;
			if (i > 0 && d == 0)
				d = 3;
			if (i == 1) { /* quotient overflow */
				d = 1;
				q = (wide)szmask(sz) + 5;
			} else {
				q = (rnd() & szmask(sz)) >> (rnd() % sz);
				if (sg)
					q >>= 1;
			}
			r = d ? rnd() % d : 0;
			if (sg) {
				d &= szmask(sz) >> 1;
				if (!d)
					d = 7;
				r = rnd() % d;
				dv = q * d + r;
				if (i & 2) { /* negative dividend / divisor */
					dv = -dv;
					d = (-d) & szmask(sz);
				}
				if (i == 3) { /* INT_MIN / -1 */
					d = szmask(sz);
					dv = (wide)(1ull << (sz - 1));
#ifdef __SIZEOF_INT128__
					if (sz == 64)
						dv |= (wide)~0ull << 64;
					else
#endif
						dv |= ~(wide)szmask(2 * sz);
				}
			} else {
				dv = q * d + r;
			}
			if (sz == 8) {
				set_reg(c->in, 16, XI_RAX, (uint64_t)dv & 0xffff);
			} else {
				set_reg(c->in, sz, XI_RAX, (uint64_t)dv & szmask(sz));
				set_reg(c->in, sz, XI_RDX,
					(uint64_t)(dv >> sz) & szmask(sz));
			}
			a = d;
			if (f->mem)
				set_mem(win, 0x20 + f->mdisp, sz, d);
			else
				set_reg(c->in, sz, f->rs, d);
			continue;
		}
		case K_BCD:
			set_reg(c->in, 16, XI_RAX, rnd() & 0xffff);
			if (i < 10)
				set_reg(c->in, 8, XI_RAX, (uint64_t[]){0x99, 0x9a, 0x0f, 0xf9,
						0, 0xff, 0x0a, 0xa0, 0x66, 0x19}[i]);
			continue;
		case K_CX8: {
			int w = f->op ? 8 : 4;
			if (i & 1) { /* compare succeeds */
				uint64_t lo = 0, hi = 0;
				memcpy(&lo, win + 0x20, w);
				memcpy(&hi, win + 0x20 + w, w);
				set_reg(c->in, 8 * w, XI_RAX, lo);
				set_reg(c->in, 8 * w, XI_RDX, hi);
			}
			continue;
		}
		case K_SSE:
			if (f->op >= 43 && f->op <= 67) { /* floating point */
				for (int k = 0; k < 4; k++) {
					uint64_t v = rnd() % 3 ? fp_special[rnd() % 12] :
						     (rnd() & 0x43ffffffffffffffull);
					if (f->op >= 55 && f->op <= 57 && k % 2)
						v = rnd(); /* single precision lanes */
					memcpy(c->xin + 8 * k, &v, 8);
				}
			}
			memcpy(win + 0x20, c->xin + 16, 16);
			if (i % 4 == 1)
				memcpy(c->xin + 16, c->xin, 16); /* equal operands */
			if (f->rs >= 0)
				set_reg(c->in, 32, f->rs, i < 10 ? edge(32, i) : rnd());
			continue;
		default:
			break;
		}
		if (f->kind == K_BT && (f->mem)) /* bit offsets within the window */
			bv = (uint64_t)(int64_t)((int)(rnd() % 400) - 200);
		if (f->kind == K_CMOV || f->kind == K_SETCC || f->kind == K_JCC)
			c->fin = (rnd() & XI_FL_STATUS) | 2;
		if (f->kind == K_BSF || f->kind == K_CNT)
			bv = i < 3 ? (uint64_t[]){0, 1ull << (sz - 1), 1}[i] :
			     (rnd() & szmask(sz)) >> (rnd() % sz);
		if (f->rd >= 0)
			set_reg(c->in, sz, f->rd, a);
		if (f->rs >= 0 && f->kind == K_MOVX && f->op == 3)
			set_reg(c->in, 64, f->rs == 7 ? XI_RBX : f->rs, rnd()); /* any width */
		else if (f->rs >= 0)
			set_reg(c->in, sz, f->rs, bv);
		if (f->mem == 1)
			set_mem(win, 0x20 + f->mdisp, sz, a);
		if (f->mem == 2)
			set_mem(win, 0x20 + f->mdisp, sz, bv);
		if (f->kind == K_XCHG && f->op == 2 && (i & 1)) /* cmpxchg equal */
			set_reg(c->in, sz, XI_RAX, a);
		(void)a;
	}
}

/*
 * The lazy cases' producers: ADD dword m, imm8 (sign-extended). Between
 * them every status flag is seen both set and clear (SDM Vol. 2A ADD:
 * OF, SF, ZF, AF, CF and PF follow the result):
 *   0x7ffffff0 + 0x11 = 0x80000001: OF SF (signed overflow, negative),
 *                                   no AF (0 + 1 in the low nibble), no
 *                                   PF (0x01 has one bit set), no CF ZF
 *   0xffffffff + 0x01 = 0x00000000: CF ZF AF PF, no OF SF
 * The case's fin keeps its other bits (DF for the string forms) and takes
 * these status flags, which are what the instruction then sees.
 */
static const struct {
	uint32_t m;
	int8_t imm;
	unsigned flags;
} lazy_producers[NLAZY] = {
	{0x7ffffff0u, 0x11, XI_FL_OF | XI_FL_SF},
	{0xffffffffu, 0x01, XI_FL_CF | XI_FL_ZF | XI_FL_AF | XI_FL_PF},
};

void cases_lazy(struct xcase *c, int j)
{
	c->lazy_m = lazy_producers[j].m;
	c->lazy_imm = lazy_producers[j].imm;
	c->fin = (c->fin & ~(unsigned long)XI_FL_STATUS) |
		 lazy_producers[j].flags;
}
