/*
 * The decoded-instruction cache (insn_cache.h): direct-mapped by EIP. A
 * hit needs the same EIP (Capstone resolves relative targets against it)
 * and the same bytes over the cached instruction's length, all of them
 * fetched now: what the guest's memory holds decides, never the cache.
 */
#include <stdlib.h>
#include <string.h>

#include "insn_cache.h"

#define NENTRIES 64

struct entry {
	bool valid;
	u32 eip;
	cs_insn insn;
	cs_detail detail;
};

struct insn_cache {
	cs_insn *scratch; /* Capstone's own, for a miss */
	struct entry e[NENTRIES];
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

const cs_insn *insn_cache__decode(struct insn_cache *ic, csh cs, u32 eip,
				  const u8 *buf, size_t len)
{
	struct entry *e = &ic->e[(eip ^ eip >> 6) % NENTRIES];
	const u8 *p = buf;
	u64 addr = eip;

	if (e->valid && e->eip == eip && e->insn.size <= len &&
	    !memcmp(e->insn.bytes, buf, e->insn.size))
		return &e->insn;
	if (!ic->scratch && !(ic->scratch = cs_malloc(cs)))
		return NULL;
	e->valid = false;
	if (!cs_disasm_iter(cs, &p, &len, &addr, ic->scratch))
		return NULL;
	e->insn = *ic->scratch;
	if (ic->scratch->detail) {
		e->detail = *ic->scratch->detail;
		e->insn.detail = &e->detail;
	}
	e->eip = eip;
	e->valid = true;
	return &e->insn;
}
