/*
 * Binary translation with guest paging on (paging.c): code is fetched
 * with the guest's rights, and translations depend on the page tables
 * those fetches walked.
 */
#ifndef REFVMM_BT_PAGING_H
#define REFVMM_BT_PAGING_H

#include "vm.h"

/* bt_vm.code_pte[pfn]: a bit per 4 bytes of the table and per walk
 * class, BT_PTE_HALF bytes each, supervisor first (paging.c). */
#define BT_PTE_HALF (4096 / 32)

static inline u8 *paging_half(u8 *used, u8 walk)
{
	return used + (walk == BT_WALK_USER ? BT_PTE_HALF : 0);
}

static inline bool paging_marked(const u8 *half, u32 bit)
{
	return half[bit >> 3] >> (bit & 7) & 1;
}

/* The walk classes (BT_WALK_*) whose marks in @used include entry @bit. */
static inline u8 paging_marks(u8 *used, u32 bit)
{
	return (u8)((paging_marked(paging_half(used, BT_WALK_SUP), bit)
			     ? BT_WALK_SUP
			     : 0) |
		    (paging_marked(paging_half(used, BT_WALK_USER), bit)
			     ? BT_WALK_USER
			     : 0));
}

/* Whether a fetch walk may have used the 4-byte entry @i of page table
 * @ppn (< the RAM's pages): paging__changed's answer for a change of that
 * one entry, inline and calling nothing for the fast handler. */
static inline bool paging_entry_fetched(const struct bt_vm *b, u64 ppn, u32 i)
{
	u8 walks = b->code_pt[ppn], *used = b->code_pte[ppn];

	if (!walks)
		return false;
	return !used || (paging_marks(used, i) & walks);
}

/* Guest CR0.PG = 1: translation runs on the shadow page tables. */
bool paging__on(const struct bt_vm *b);
/*
 * Guest code bytes for translation: how many of @len could be fetched at
 * @lin with the guest's rights (a fetch walk; A bits set, the tables
 * traced); *pf_lin and *pf_err describe the #PF of the first byte that
 * could not.
 */
u32 paging__fetch(struct bt_vm *b, u32 lin, u8 *buf, u32 len, u32 *pf_lin,
		  u32 *pf_err);
/* Guest-physical address of code at @lin (identity with paging off; 0
 * when unmapped). */
u32 paging__code_phys(struct bt_vm *b, u32 lin);
/* The guest-physical page a fetch at CPL @cpl finds at linear page @lpn
 * (identity with paging off), or BT_NO_PAGE when it faults; the tables
 * the walk read are traced, found or not. */
u32 paging__fetch_page(struct bt_vm *b, u32 lpn, u8 cpl);
/* Which fetch walks (BT_WALK_*, 0: none) used an entry of a change the
 * shadow reports (@ppn, @changed of @esz-byte entries; SHADOW_ALL:
 * both)? */
u8 paging__changed(struct bt_vm *b, u64 ppn, const u8 *changed, u32 esz);
/* No table is one code was fetched through any more (a flush). */
void paging__forget(struct bt_vm *b);
/*
 * A CR3 write moved the top-level table from page @from to page @to
 * (32-bit paging, the format unchanged): the walk classes whose code
 * walks used only entries @to holds unchanged, now @to's too, their
 * tables traced again; the other classes' tables forgotten.
 */
u8 paging__switched(struct bt_vm *b, u32 from, u32 to);

#endif
