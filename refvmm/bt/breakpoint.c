/*
 * Debug-register breakpoints (breakpoint.h; SDM Vol. 3B 17.2.4, 17.2.5).
 *
 * Instruction breakpoints (R/W = 00) end the block before the
 * instruction (translate.c), which leaves with a #DB fault. Data
 * breakpoints (R/W = 01 write, 11 read or write): translated code
 * accesses memory natively, so the page of each breakpoint is protected
 * against the accesses that could hit it; a fault there is checked
 * against the breakpoint's range, the instruction runs alone with the
 * page open, and a hit is a #DB trap after it. I/O breakpoints (CR4.DE,
 * R/W = 10): every I/O instruction is a callout, so the monitor sees
 * each port.
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>

#include "breakpoint.h"
#include "paging.h"

/* DR7 LEN encodings: 1, 2, 8 (undefined in 32-bit mode), 4 bytes. */
static const u32 bp_len[4] = {1, 2, 8, 4};

/* Breakpoint @i is enabled (L or G) with R/W = @rw. */
static bool enabled(u32 dr7, int i, u32 rw)
{
	return (dr7 >> (2 * i)) & 3 && ((dr7 >> (16 + 4 * i)) & 3) == rw;
}

static u32 len_of(u32 dr7, int i)
{
	return bp_len[(dr7 >> (18 + 4 * i)) & 3];
}

u32 breakpoint__exec(const struct sw_cpu *c, u32 lin)
{
	u32 hits = 0;
	int i;

	for (i = 0; i < 4; i++)
		if (enabled(c->dr[7], i, 0) && c->dr[i] == lin)
			hits |= 1u << i;
	return hits;
}

static bool data_bp(const struct sw_cpu *c, int i, u32 *lo, u32 *len, int *rw)
{
	u32 dr7 = c->dr[7];

	*rw = (dr7 >> (16 + 4 * i)) & 3;
	if (!enabled(dr7, i, 1) && !enabled(dr7, i, 3))
		return false;
	*len = len_of(dr7, i);
	*lo = c->dr[i] & ~(*len - 1);
	return true;
}

int breakpoint__prot(const struct bt_vm *b, u32 pfn)
{
	/* never PROT_EXEC: guest pages are data to binary translation */
	int prot = PROT_READ | PROT_WRITE, i, rw;
	u32 lo, len;

	for (i = 0; i < 4; i++) {
		if (!data_bp(b->c, i, &lo, &len, &rw))
			continue;
		if (lo >> 12 != pfn && (lo + len - 1) >> 12 != pfn)
			continue;
		prot &= rw == 1 ? ~PROT_WRITE : PROT_NONE;
	}
	return prot;
}

bool breakpoint__on_page(const struct bt_vm *b, u32 lin)
{
	u32 i;

	if (paging__on(b))
		return false; /* not with paging: see paging.c */
	for (i = 0; i < b->ndbp; i++)
		if (b->dbp_pfn[i] == lin >> 12)
			return true;
	return false;
}

u32 breakpoint__match(const struct bt_vm *b, u32 lin, u32 size, bool write)
{
	u32 lo, len, hits = 0;
	int i, rw;

	for (i = 0; i < 4; i++)
		if (data_bp(b->c, i, &lo, &len, &rw) && (write || rw == 3) &&
		    lin < lo + len && lo < lin + size)
			hits |= 1u << i;
	return hits;
}

u32 breakpoint__update(struct bt_vm *b, u32 old[BT_MAX_DBP_PAGES])
{
	u32 nold = b->ndbp, lo, len;
	int k, rw;

	memcpy(old, b->dbp_pfn, sizeof(b->dbp_pfn));
	b->ndbp = 0;
	for (k = 0; k < 4; k++) {
		if (!data_bp(b->c, k, &lo, &len, &rw))
			continue;
		b->dbp_pfn[b->ndbp++] = lo >> 12;
		if ((lo + len - 1) >> 12 != lo >> 12)
			b->dbp_pfn[b->ndbp++] = (lo + len - 1) >> 12;
	}
	return nold;
}

bool breakpoint__io(struct bt_vm *b, u16 port, u32 size, struct vm_exit *exit)
{
	struct sw_cpu *c = b->c;
	u32 hit = 0;
	int i;

	if (!(c->cr4 & CR4_DE))
		return false;
	for (i = 0; i < 4; i++) {
		u32 lo = c->dr[i], l = len_of(c->dr[7], i);

		if (enabled(c->dr[7], i, 2) && port < lo + l &&
		    lo < (u32)port + size)
			hit |= 1u << i;
	}
	if (!hit)
		return false;
	c->dr[6] = (c->dr[6] & ~0xfu) | hit;
	return !monitor__deliver(b->t, 1, false, 0, DELIVER_EXCEPTION, c->eip,
				 exit);
}
