/*
 * A 4-byte store to a traced page table that the shadow takes without a
 * host call (shadow_pt.h, shadow__quiet_pt_store). It runs inside the
 * binary translator's fast handler, with the guest's vector registers
 * and FS base loaded, so it is built like bt/fast.c: general registers
 * only, no stack canary, no call (refvmm.bt.fast_audit reads it too).
 *
 * What shadow__phys_written would do after the store, restated for one
 * entry i of a 32-bit page table @ppn (shadow_pt.c drop_deps):
 * - the translation cache's callback: the caller makes sure no code
 *   walk used the table, where it does nothing;
 * - the write clock and the reason of any drop (GONE_PT_WRITE);
 * - drop_top, when @ppn is the directory: declined here;
 * - drop_leaf: the mapping of page t * 1024 + i for every directory
 *   entry t naming @ppn, in a range with mappings, if it used entry i:
 *   declined here if there is any such mapping at all;
 * - the eager refill of the page the entry serves (the table's range,
 *   rmap): a fill walk in the supervisor class; nothing when the walk
 *   finds no present entry, when the page is hot (shadow_hot.h: the
 *   note updates its moves and declines), or, for a page not followed,
 *   when the new leaf has A clear and is not the pending true fault's
 *   page (eager_fill: never undo the guest's ageing). Anything else maps
 *   the page, a host call: declined here.
 * 4 MiB pages, PAE, SMAP's user pages and frames outside RAM are
 * declined wherever a walk meets them (shadow_quiet_walk).
 */
#include "refvmm/sw/shadow_desc.h"
#include "refvmm/sw/shadow_pt.h"
#include "shadow_pt_int.h"

#if defined(__SSE__) || defined(__MMX__) || defined(__SSP__) ||                \
	defined(__SSP_STRONG__) || defined(__SSP_ALL__)
#error "shadow_pt_store.c must be built with -mgeneral-regs-only -fno-stack-protector"
#endif

/* A mapping may have used entry @i of table @ppn (drop_leaf's search). */
static bool entry_used(const struct shadow_pt *s, u64 top, u64 ppn, u32 i)
{
	for (u32 w = 0; w < SHADOW_BUCKETS / 64; w++)
		for (u64 bits = s->bucket_map[w]; bits; bits &= bits - 1) {
			u32 t = w * 64 + (u32)__builtin_ctzll(bits);
			u32 pde = shadow_ram_u32(s, top + (u64)t * 4);

			if ((pde & GPT_P) && pde >> 12 == ppn &&
			    shadow_map_of(s, t * 1024 + i))
				return true;
		}
	return false;
}

bool shadow__quiet_pt_store(struct shadow_pt *s, u64 phys, u32 v)
{
	u64 ppn = phys >> 12, top = s->ctl.cr3 & ~0xfffu;
	u32 i = (u32)(phys & 0xfff) / 4, lpn, pde, pte = 0, quick = 0;
	enum shadow_quiet_walk w;
	const struct shadow_rmap *rm;
	struct shadow_hot_slot *h = NULL;
	bool fill = false;

	if (!s->paging || (s->ctl.cr4 & CR4_PAE) || (phys & 3) || s->user ||
	    (ppn + 1) << 12 > s->ram_size || s->traced[ppn] != TRACED ||
	    ppn == top >> 12 || top + 4096 > s->ram_size)
		return false;
	if (s->depc[ppn] && entry_used(s, top, ppn, i))
		return false;
	rm = &s->rmap[ppn];
	lpn = (rm->base >> 12) + i;
	if (rm->gen == s->rmap_gen && rm->base != RMAP_MANY) {
		if (shadow_map_of(s, lpn))
			return false;
		if (lpn >= (SHADOW_LO >> 12) && lpn < (SW_WINDOW_BASE >> 12)) {
			w = shadow_quiet_walk(s, lpn, phys, v, &pde, &pte);
			if (w == SHADOW_WALK_UNSURE)
				return false;
			fill = w == SHADOW_WALK_PRESENT;
		}
	}
	if (fill) {
		h = s->hot_policy ? shadow_hot_find(&s->hot, lpn) : NULL;
		if (h) {
			/* the note at the clock drop_deps has moved on */
			quick = h->ppn != pte >> 12
					? shadow_hot_quick_after(
						  h, s->pt_clock + 1)
					: h->quick;
			if (quick < SHADOW_HOT_MOVES)
				return false;
		} else if ((pte & GPT_A) || lpn == s->pending_lpn) {
			return false;
		}
	}
	*(volatile u32 *)(void *)(s->ram + phys) = v;
	s->pt_clock++;
	s->why = GONE_PT_WRITE;
	if (h) {
		if (h->ppn != pte >> 12) {
			h->quick = quick;
			h->ppn = pte >> 12;
			h->clock = s->pt_clock;
			h->idle = 0;
		}
		s->st.hot_declined++;
	}
	return true;
}
