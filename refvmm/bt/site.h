/*
 * Patch sites (site.c): the places in the translation cache where the
 * monitor may later write a jump, recorded as the translator emits them.
 * A stub names its site in the vCPU page, which translated code can
 * write; the monitor patches only a site it recorded itself, so a forged
 * name can at worst pick another of its own stubs, never a byte in the
 * middle of translated code or outside the cache.
 */
#ifndef REFVMM_BT_SITE_H
#define REFVMM_BT_SITE_H

#include "vm.h"

/* Bitmaps over [tc_base, tc_end): 0 or -ENOMEM. */
int site__init(struct bt_vm *b);
void site__destroy(struct bt_vm *b);
void site__add(struct bt_vm *b, enum bt_site kind, const u8 *p);
/* Whether @addr is a recorded site of @kind in the current cache. */
bool site__is(const struct bt_vm *b, enum bt_site kind, u64 addr);
/* Forgets every site at or after @p: a flush forgets all (@p = tc_base),
 * and each new block first forgets what lay where it is written, so no
 * bit outlives the code it described. */
void site__clear_from(struct bt_vm *b, const u8 *p);

#endif
