/*
 * Pages whose frame keeps changing (docs/refvmm-bt.md, "Pages whose
 * frame keeps changing"). Mapping such a page again after every move
 * costs a host call each time; under binary translation an access the
 * monitor performs for the guest (an adapted callout) needs no mapping
 * at all. The shadow notes the frame moves of a few linear pages and
 * calls a page hot after SHADOW_HOT_MOVES quick ones in a row: it then
 * maps it ahead of no access, and its hidden faults count for adaptive
 * translation. A hot page the callouts keep touching with no move for
 * SHADOW_HOT_COOL of them is cool again. Pure: shadow_pt.c applies it.
 */
#ifndef REFVMM_SW_SHADOW_HOT_H
#define REFVMM_SW_SHADOW_HOT_H

#include <stdbool.h>

#include "refvmm/types.h"

#define SHADOW_HOT_SLOTS 16
/* Page-table writes between two moves of a page that make the second
 * quick: ptemod moves its page at every write; Linux's copy on write
 * moves a page once per fork, hundreds of writes apart. */
#define SHADOW_HOT_GAP	 8
#define SHADOW_HOT_MOVES 3
#define SHADOW_HOT_COOL	 64

struct shadow_hot_slot {
	u32 lpn, ppn;
	u64 clock; /* the write clock at its last move */
	u32 quick; /* quick moves in a row, up to SHADOW_HOT_MOVES */
	u32 idle;  /* touches since its last move */
	bool used;
};

struct shadow_hot {
	struct shadow_hot_slot slot[SHADOW_HOT_SLOTS];
	u32 next; /* the slot a new page takes when none is free */
};

/* @lpn's slot, or NULL when the page is not followed; and whether a
 * slot's page is hot. Inline and calling nothing: binary translation's
 * fast handler reads them with the guest's registers loaded. */
static inline struct shadow_hot_slot *shadow_hot_find(struct shadow_hot *h,
						      u32 lpn)
{
	for (u32 i = 0; i < SHADOW_HOT_SLOTS; i++)
		if (h->slot[i].used && h->slot[i].lpn == lpn)
			return &h->slot[i];
	return NULL;
}

static inline bool shadow_hot_slot_hot(const struct shadow_hot_slot *s)
{
	return s && s->quick >= SHADOW_HOT_MOVES;
}

/* A followed page's quick moves in a row once it moves at write clock
 * @clock (shadow_hot__note). */
static inline u32 shadow_hot_quick_after(const struct shadow_hot_slot *s,
					 u64 clock)
{
	if (clock - s->clock > SHADOW_HOT_GAP)
		return 1;
	return s->quick < SHADOW_HOT_MOVES ? s->quick + 1 : s->quick;
}

void shadow_hot__clear(struct shadow_hot *h);
/* Linear page @lpn maps frame @ppn now, at write clock @clock; @old_ppn
 * is the frame a mapping there just had (~0u if none): a page is
 * followed from its first move of a mapping on. Returns whether @lpn
 * is hot. */
bool shadow_hot__note(struct shadow_hot *h, u32 lpn, u32 old_ppn, u32 ppn,
		      u64 clock);
bool shadow_hot__is(const struct shadow_hot *h, u32 lpn);
/* The monitor accessed hot page @lpn for the guest without a mapping:
 * true when that made it cool (the caller may map it again). */
bool shadow_hot__touch(struct shadow_hot *h, u32 lpn);

#endif
