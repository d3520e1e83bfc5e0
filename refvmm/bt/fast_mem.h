/*
 * Guest memory for the fast callouts (fast.c), in general registers
 * only: included by fast.c alone, so these static functions are part of
 * the handler the audit reads (refvmm.bt.fast_audit) and call nothing.
 *
 * What the full path's accesses (sw/segments.c, sw/guest_pt.c) would do
 * for a CPL-0 access of a few bytes, when that is nothing but moving the
 * bytes; else false, before anything changed:
 * - the access stays in one page and in RAM (no MMIO, no split);
 * - with paging (32-bit, CR4.PAE = 0; SDM Vol. 3A 4.3), the PDE and PTE
 *   are present with A set, no 4 MiB page, the page allows the access
 *   with no SMAP question (U/S = 0 somewhere on the way) and, to write,
 *   R/W = 1 in both and D already set: the full walk would then set no
 *   bit (4.8) and raise nothing (4.7);
 * - a write reaches no page the monitor watches: a page table the
 *   shadow traces (shadow__phys_written), a page with translations
 *   (smc__monitor_write), a table code was fetched through (paging.c);
 *   only FAST_AD_MARK_TRACED lets the first and the last through, for
 *   a caller that stores through shadow__quiet_pt_store.
 * Guest entries are read once each, into locals; every index into a
 * monitor array is bounded by the guest's RAM size first. A GDT
 * descriptor is read the same way and decoded by desc__decode, which is
 * always inline (fast_gdt_desc).
 */
#ifndef REFVMM_BT_FAST_MEM_H
#define REFVMM_BT_FAST_MEM_H

#include "refvmm/sw/shadow_pt.h"
#include "vm.h"

/* A 32-bit load from guest RAM, which the guest may change under us:
 * one access, whatever the compiler would do with a plain one. */
static inline u32 fast_ram_u32(const struct sw_cpu *c, u64 phys)
{
	return *(const volatile u32 *)(const void *)(c->ram + phys);
}

/* One guest page-table entry at guest-physical @addr, or 0 (not
 * present) outside RAM, as guest_pt.c's entry_read gives it. */
static inline u32 fast_pte(const struct sw_cpu *c, u64 addr)
{
	if (addr + 4 > c->ram_size)
		return 0;
	return fast_ram_u32(c, addr);
}

/* Whether a write to guest-physical page @ppn is outside RAM or on a
 * page with translations (smc.c). */
static inline bool fast_watched_code(const struct bt_vm *b,
				     const struct sw_cpu *c, u64 ppn)
{
	return ppn >= c->ram_size >> 12 || b->page_idx[ppn];
}

/* Whether the monitor must see a write to guest-physical page @ppn. */
static inline bool fast_watched(const struct bt_vm *b, const struct sw_cpu *c,
				u64 ppn)
{
	const struct shadow_pt *sp = c->shadow;

	if (fast_watched_code(b, c, ppn) || b->code_pt[ppn])
		return true;
	return sp && sp->paging && ((ppn + 1) << 12) <= sp->ram_size &&
	       sp->traced[ppn];
}

/* What a fast walk does with the accessed and dirty bits (SDM Vol. 3A
 * 4.8) of the entries it uses. */
enum fast_ad {
	FAST_AD_SET,  /* declines unless they are set already */
	FAST_AD_MARK, /* sets them, as the full walk would */
	/* as FAST_AD_MARK, and a store may reach a page table the shadow
	 * traces or code was fetched through: the caller stores through
	 * shadow__quiet_pt_store, and answers for the fetch walks */
	FAST_AD_MARK_TRACED,
};

/*
 * The guest-physical address of @len (1-20) bytes at linear @lin for a
 * supervisor data access (@write: a store), or false: the full path
 * must do it. @ad says what the walk does with A and D; with
 * FAST_AD_MARK it sets them only once the access is sure to proceed,
 * with the locked OR the full walk makes (guest_pt.c entry_set: the
 * monitor's walk tells the shadow nothing either). With
 * FAST_AD_MARK_TRACED the caller may still decline after them (the
 * shadow's part of a page-table store): the full path's walk of the
 * same access, next, sets the same bits.
 */
static inline bool fast_walk(const struct bt_vm *b, const struct sw_cpu *c,
			     u32 lin, u32 len, bool write, enum fast_ad ad,
			     u64 *phys)
{
	const struct shadow_pt *sp = c->shadow;
	u32 pde = 0, pte = 0, all;
	u64 pde_at = 0, pte_at = 0, p;

	if (!len || len > 20 || (lin & 0xfff) + len > 4096)
		return false;
	if (!sp || !sp->paging) {
		p = lin;
	} else {
		if (sp->ctl.cr4 & CR4_PAE)
			return false;
		pde_at = (u64)(sp->ctl.cr3 & ~0xfffu) + (u64)(lin >> 22) * 4;
		pde = fast_pte(c, pde_at);
		if (!(pde & GPT_P) || (pde & GPT_PS) ||
		    (ad == FAST_AD_SET && !(pde & GPT_A)))
			return false;
		pte_at = (u64)(pde & ~0xfffu) + (u64)((lin >> 12) & 0x3ff) * 4;
		pte = fast_pte(c, pte_at);
		if (!(pte & GPT_P) || (ad == FAST_AD_SET && !(pte & GPT_A)))
			return false;
		all = pde & pte;
		/* 4.6.1: SMAP decides for supervisor accesses to user
		 * pages; such a page is left to the full walk. */
		if ((all & GPT_US) && (sp->ctl.cr4 & CR4_SMAP))
			return false;
		if (write &&
		    (!(all & GPT_RW) || (ad == FAST_AD_SET && !(pte & GPT_D))))
			return false;
		p = (u64)(pte & ~0xfffu) | (lin & 0xfff);
	}
	if (p + len > c->ram_size)
		return false;
	if (write &&
	    (ad == FAST_AD_MARK_TRACED ? fast_watched_code(b, c, p >> 12)
				       : fast_watched(b, c, p >> 12)))
		return false;
	if (ad != FAST_AD_SET && sp && sp->paging) {
		if (!(pde & GPT_A))
			__atomic_fetch_or((u32 *)(void *)(c->ram + pde_at),
					  GPT_A, __ATOMIC_SEQ_CST);
		if (!(pte & GPT_A) || (write && !(pte & GPT_D)))
			__atomic_fetch_or((u32 *)(void *)(c->ram + pte_at),
					  GPT_A | (write ? GPT_D : 0),
					  __ATOMIC_SEQ_CST);
	}
	*phys = p;
	return true;
}

/* fast_walk for an access that must set no bit. */
static inline bool fast_phys(const struct bt_vm *b, const struct sw_cpu *c,
			     u32 lin, u32 len, bool write, u64 *phys)
{
	return fast_walk(b, c, lin, len, write, FAST_AD_SET, phys);
}

/* GDT selector @sel's descriptor as desc__decode gives it, and its raw
 * accessed bit; false for an LDT selector, a null one, one beyond the
 * limit, or a descriptor that is not plain memory (fast_mem.h). */
static bool fast_gdt_desc(const struct bt_vm *b, const struct sw_cpu *c,
			  u32 sel, struct vcpu_seg *d, bool *accessed)
{
	u32 idx = (sel >> 3) & 0x1fff;
	u64 p;

	if ((sel & 4) || !idx || idx * 8 + 7 > c->gdt_limit ||
	    !fast_phys(b, c, c->gdt_base + idx * 8, 8, false, &p))
		return false;
	desc__decode((u64)fast_ram_u32(c, p + 4) << 32 | fast_ram_u32(c, p),
		     (u16)sel, d);
	*accessed = d->type & 1;
	return true;
}

#endif
