/*
 * Translations across guest address spaces (aspace.c): a block is kept
 * when the guest's page tables change (a CR3 write, a changed entry of
 * a table code was fetched through) and runs again only once the new
 * tables are found to map its code pages to the same guest-physical
 * pages with execute rights for its CPL.
 */
#ifndef REFVMM_BT_ASPACE_H
#define REFVMM_BT_ASPACE_H

#include "vm.h"

/* Sets up the undo list and the epoch: 0 or -ENOMEM. */
int aspace__init(struct bt_vm *b);
void aspace__destroy(struct bt_vm *b);
/* Records the pages of @tb's code: @span bytes from its key's CS:EIP
 * (the bytes its fetches relied on, a faulting one included). */
void aspace__record(struct bt_vm *b, struct bt_block *tb, u32 span);
/* Do the guest's tables now map @tb's code as when it was translated?
 * (A fetch walk per page, once per epoch.) */
bool aspace__valid(struct bt_vm *b, struct bt_block *tb);
/* Are @to's code pages among @from's (a jump from one to the other then
 * needs no check of its own)? */
bool aspace__within(const struct bt_block *to, const struct bt_block *from);
/* @len bytes at @site of block @from are about to jump to block @to
 * (NULL: unknown): remembered for undoing unless @to lies within
 * @from's pages. */
void aspace__link(struct bt_vm *b, u8 *site, u32 len,
		  const struct bt_block *from, const struct bt_block *to);
/* The guest's tables may map the code of @walks blocks (BT_WALK_*)
 * differently now (@all: the shadow dropped its traces too): a new epoch
 * for them, their patches undone; the caller clears the lookup table.
 * Returns false when the cache must be flushed instead (paging turned on
 * or off, too many patches to undo). */
bool aspace__changed(struct bt_vm *b, u8 walks, bool all);
/* The shadow switched to a new CR3 (SHADOW_SWITCH): as aspace__changed
 * with all set, but a walk class whose code the new tables map through
 * the same entries keeps its epoch and links; *walks says which got a
 * new one (the caller then clears the lookup table). False: flush. */
bool aspace__switched(struct bt_vm *b, u8 *walks);
/* Have the paging controls (CR3, CR0.PG/WP, CR4.PSE/PAE/SMEP/SMAP,
 * EFER.NXE) changed since the last epoch began? */
bool aspace__moved(const struct bt_vm *b);
/* The cache was flushed: nothing to undo. */
void aspace__flushed(struct bt_vm *b);

#endif
