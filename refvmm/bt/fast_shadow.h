/*
 * The shadow page table's callouts the gate finishes (fast.c; included
 * there alone, like fast_mem.h). Under --mode bt a page whose frame
 * keeps changing is left unmapped (shadow_hot.h), so that a page-table
 * write costs no host call; the instructions that reach it are adapted
 * callouts. Those and INVLPG were each a full round trip (the world
 * switch, the run loop, the emulator); these do what the full path
 * would do in the common cases, and decline (false, before anything
 * changed) in every other:
 * - an adapted MOV r32, m32, MOV m32, r32 or MOV m32, imm32 at CPL 0
 *   that would have faulted natively (retranslate.c would_trap: its
 *   page unmapped, or a store's mapping read-only): retranslate.c's
 *   adapted callout emulates it (emulate.c emu_memory_access), so the
 *   instruction stays a callout, and touches an unmapped hot page
 *   (shadow__hot_touch), which cools it at the SHADOW_HOT_COOL-th touch
 *   with no move: that touch, with its fill, is the full path's. A store
 *   to a page table the shadow traces goes through
 *   shadow__quiet_pt_store, which takes it where the shadow's part is
 *   bookkeeping (ptemod.32's PTE store: the hot page's move) and
 *   declines it otherwise. Where the guest's walk meets a not-present
 *   entry the emulation raises #PF (a demand-paged page's first touch:
 *   pgfault.32's store), and so does the gate (fast_event.h
 *   fast_raise);
 * - INVLPG (emulate.c emu_invlpg, shadow__invlpg) of a page whose
 *   mapping is still valid, of a page with no mapping and no present
 *   walk, or of a hot page the shadow does not map on the frame it last
 *   noted: each changes nothing but the counters.
 * The adapted access sets A and D as the full walk would (fast_mem.h
 * FAST_AD_MARK): ptemod.32's PTE store leaves A clear at every move.
 * The segment checks are seg_check's for a data segment (SDM Vol. 3A
 * 5.3, Vol. 2A MOV's #GP(0) and #SS(0)); a code segment, an expand-down
 * one and anything that would fault are declined. INVLPG checks no
 * segment (SDM Vol. 2A INVLPG: #GP(0) only above CPL 0).
 */
#ifndef REFVMM_BT_FAST_SHADOW_H
#define REFVMM_BT_FAST_SHADOW_H

#include "adapt.h"
#include "fast_event.h"
#include "fast_mem.h"
#include "paging.h"
#include <sys/mman.h>

#include "refvmm/sw/shadow_desc.h"

/* @len bytes at offset @off of data segment @s with no fault. */
static inline bool fast_data_ok(const struct vcpu_seg *s, u32 off, u32 len,
				bool write)
{
	return !s->unusable && s->present && s->s && !(s->type & 8) &&
	       !(s->type & 4) && (!write || (s->type & 2)) &&
	       (u64)off + len - 1 <= s->limit;
}

/* What adapted_mov did: nothing (the full path's), the access, or the
 * #PF the access raises (EIP the handler's). */
enum fast_adapted {
	FAST_ADAPTED_DECLINED,
	FAST_ADAPTED_DONE,
	FAST_ADAPTED_RAISED,
};

/*
 * The #PF of an adapted access whose walk meets a not-present entry
 * (shadow_quiet_walk finds none: P = 0 in the PDE or the PTE, whatever
 * the access; 32-bit tables only), as the emulator raises it
 * (sw/segments.c walk_pages): CR2 the linear
 * address, the error code a supervisor access's (SDM Vol. 3A 4.7: P = 0,
 * W for a store, U/S = 0), no A or D set; the run loop's copy of CR2
 * too (bt_page.cr, which the translated MOV from CR2 reads). Counted as
 * retranslate.c's raise: the adapted exit, the emulator's memory
 * access, the delivered exception (fast.c, bt.c fold_fast).
 */
static enum fast_adapted adapted_pf(struct bt_vm *b, struct sw_cpu *c, u32 lin,
				    bool store)
{
	const struct shadow_pt *sp = c->shadow;
	u32 pde, pte;

	if ((sp->ctl.cr4 & CR4_PAE) ||
	    shadow_quiet_walk(sp, lin >> 12, ~0ull, 0, &pde, &pte) !=
		    SHADOW_WALK_NONE ||
	    !fast_raise(b, c, 14, true, store ? PF_W : 0))
		return FAST_ADAPTED_DECLINED;
	c->cr2 = lin;
	b->page->cr[2] = lin;
	b->st.exits[BT_EXIT_ADAPT]++;
	b->t->emulated++;
	return FAST_ADAPTED_RAISED;
}

static enum fast_adapted adapted_mov(struct bt_vm *b, struct sw_cpu *c, u32 op)
{
	struct shadow_pt *sp = c->shadow;
	u32 reg = op >> 8 & 7, sreg = op >> 12 & 0xf, ea = b->page->fast_ea;
	bool store = op & BT_FAST_STORE;
	const struct shadow_map *m;
	struct shadow_hot_slot *h;
	struct bt_adapt_rec *r;
	u32 lin, lpn, v;
	u64 p;

	if (c->cpl != 0 || !b->adapt || sreg >= SW_NSREGS || !sp ||
	    !sp->paging || !fast_data_ok(&c->seg[sreg], ea, 4, store) ||
	    ((op & BT_FAST_IMM) && !store))
		return FAST_ADAPTED_DECLINED;
	v = (op & BT_FAST_IMM) ? b->page->fast_imm : c->gpr[reg];
	lin = (u32)c->seg[sreg].base + ea;
	lpn = lin >> 12;
	if (lpn < (SHADOW_LO >> 12) || lpn >= (SW_WINDOW_BASE >> 12))
		return FAST_ADAPTED_DECLINED;
	/* would_trap: natively the access faults where the host maps
	 * nothing, and a store where the mapping is read-only (a traced
	 * page table, a clean page); an access that would not is the full
	 * path's, whose clean callouts turn the instruction back */
	m = shadow_map_of(sp, lpn);
	if (m && (!store || (m->prot & PROT_WRITE)))
		return FAST_ADAPTED_DECLINED;
	r = adapt_find(b->adapt, (u32)c->seg[SW_CS].base + c->eip);
	if (!r || !r->callout)
		return FAST_ADAPTED_DECLINED;
	/* an unmapped page is touched after the access
	 * (shadow__hot_touch); the touch that cools it is the full
	 * path's */
	h = !m && sp->hot_policy ? shadow_hot_find(&sp->hot, lpn) : NULL;
	if (shadow_hot_slot_hot(h) && h->idle + 1 >= SHADOW_HOT_COOL)
		return FAST_ADAPTED_DECLINED;
	if (!fast_walk(b, c, lin, 4, store,
		       store ? FAST_AD_MARK_TRACED : FAST_AD_MARK, &p))
		return adapted_pf(b, c, lin, store);
	if (!store) {
		c->gpr[reg] = fast_ram_u32(c, p);
	} else if (b->code_pt[p >> 12] ||
		   (((p >> 12) + 1) << 12 <= sp->ram_size &&
		    sp->traced[p >> 12])) {
		/* a page table: the store with the shadow's part, or the
		 * full path (also for an entry a fetch walk used: the
		 * translations' epochs); A and D set above are what its
		 * walk of the same access sets again */
		if (paging_entry_fetched(b, p >> 12, (u32)(p & 0xfff) / 4) ||
		    !shadow__quiet_pt_store(sp, p, v))
			return FAST_ADAPTED_DECLINED;
		/* paging__changed's count of a change no walk used */
		if (b->code_pt[p >> 12])
			b->st.space_unchanged++;
	} else {
		*(volatile u32 *)(void *)(c->ram + p) = v;
	}
	/* found again: a store to the page's own entry may have moved
	 * it (a table that maps itself), which starts its count again */
	h = !m && sp->hot_policy ? shadow_hot_find(&sp->hot, lpn) : NULL;
	if (shadow_hot_slot_hot(h))
		h->idle++;
	/* adapt__callout with would_trap: not clean */
	r->clean = 0;
	b->adapt->callouts++;
	b->adapt->avoided++;
	b->st.exits[BT_EXIT_ADAPT]++;
	b->t->emulated++;
	return FAST_ADAPTED_DONE;
}

/*
 * INVLPG m at CPL 0 where shadow__invlpg would change nothing the host
 * maps: the page's mapping is still what a walk gives (kept), or the
 * page has none and the fill declines (no present walk, or a hot page
 * still on the frame the shadow last noted). The walk is fill_walk's in
 * the supervisor class: a read, A and D neither needed nor set; a
 * 4 MiB page, PAE, a user page under SMAP or a frame outside RAM is
 * declined.
 */
static bool fast_invlpg(struct bt_vm *b, struct sw_cpu *c, u32 op)
{
	struct shadow_pt *sp = c->shadow;
	u32 sreg = op >> 12 & 0xf, lin, lpn, pde, pte, ppn;
	const struct shadow_hot_slot *h;
	const struct shadow_map *m;
	enum shadow_quiet_walk w;
	bool present;

	if (c->cpl != 0 || sreg >= SW_NSREGS || !sp || !sp->paging ||
	    sp->user || (sp->ctl.cr4 & CR4_PAE))
		return false;
	lin = (u32)c->seg[sreg].base + b->page->fast_ea;
	lpn = lin >> 12;
	if (lpn < (SHADOW_LO >> 12) || lpn >= (SW_WINDOW_BASE >> 12))
		return false;
	w = shadow_quiet_walk(sp, lpn, ~0ull, 0, &pde, &pte);
	if (w == SHADOW_WALK_UNSURE)
		return false;
	present = w == SHADOW_WALK_PRESENT;
	ppn = pte >> 12;
	m = shadow_map_of(sp, lpn);
	if (m) {
		/* still_valid: the same frame, rights and D, A still set */
		if (!present || m->ppn != ppn ||
		    m->rw != !!(pde & pte & GPT_RW) ||
		    m->us != !!(pde & pte & GPT_US) || m->xd ||
		    m->dirty != !!(pte & GPT_D) || !(pte & GPT_A))
			return false;
		sp->st.invlpg++;
		sp->st.invlpg_kept++;
		return true;
	}
	if (present) {
		/* the fill's note of a hot page on the frame it last noted
		 * changes nothing and says hot */
		h = sp->hot_policy ? shadow_hot_find(&sp->hot, lpn) : NULL;
		if (!shadow_hot_slot_hot(h) || h->ppn != ppn)
			return false;
		sp->st.hot_declined++;
	}
	sp->st.invlpg++;
	return true;
}

#endif
