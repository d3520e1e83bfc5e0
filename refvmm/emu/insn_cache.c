/*
 * The decoded-instruction cache (insn_cache.h): two ways per set, the
 * set from a multiplicative hash of the EIP, the way not used last
 * replaced. A hit needs the same EIP (Capstone resolves relative targets
 * against it) and the same bytes over the cached instruction's length,
 * all of them fetched now: what the guest's memory holds decides, never
 * the cache. (Direct-mapped by EIP ^ EIP >> 6, pgfault.32's faulting
 * store and its handler's PTE store shared a slot and evicted each other
 * three times per page.)
 */
#include <stdlib.h>
#include <string.h>

#include "insn_cache.h"

#define NSETS 128 /* a power of two */
#define NWAYS 2

struct entry {
	bool valid;
	u32 eip;
	cs_insn insn;
	cs_detail detail;
};

struct insn_cache {
	cs_insn *scratch; /* Capstone's own, for a miss */
	struct entry e[NSETS][NWAYS];
	u8 last[NSETS]; /* the way a lookup of the set found or filled last */
};

struct insn_cache *insn_cache__new(void)
{
	return calloc(1, sizeof(struct insn_cache));
}

void insn_cache__free(struct insn_cache *ic)
{
	if (!ic)
		return;
	if (ic->scratch)
		cs_free(ic->scratch, 1);
	free(ic);
}

static bool hit(const struct entry *e, u32 eip, const u8 *buf, size_t len)
{
	return e->valid && e->eip == eip && e->insn.size <= len &&
	       !memcmp(e->insn.bytes, buf, e->insn.size);
}

const cs_insn *insn_cache__decode(struct insn_cache *ic, csh cs, u32 eip,
				  const u8 *buf, size_t len)
{
	u32 set = (eip * 2654435761u) >> 25; /* 7 bits: NSETS */
	struct entry *e;
	const u8 *p = buf;
	u64 addr = eip;

	for (u32 w = 0; w < NWAYS; w++)
		if (hit(&ic->e[set][w], eip, buf, len)) {
			ic->last[set] = (u8)w;
			return &ic->e[set][w].insn;
		}
	if (!ic->scratch && !(ic->scratch = cs_malloc(cs)))
		return NULL;
	ic->last[set] = (u8)(ic->last[set] ^ 1);
	e = &ic->e[set][ic->last[set]];
	e->valid = false;
	if (!cs_disasm_iter(cs, &p, &len, &addr, ic->scratch)) {
		/* the next miss fills this way, now empty, not the other */
		ic->last[set] = (u8)(ic->last[set] ^ 1);
		return NULL;
	}
	e->insn = *ic->scratch;
	if (ic->scratch->detail) {
		e->detail = *ic->scratch->detail;
		e->insn.detail = &e->detail;
	}
	e->eip = eip;
	e->valid = true;
	return &e->insn;
}
