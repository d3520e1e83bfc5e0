/*
 * Any guest instruction on MMIO, run on a shadow page (mmio.c).
 */
#ifndef REFVMM_BT_MMIO_H
#define REFVMM_BT_MMIO_H

#include "vm.h"

/* Is @lin MMIO the shadow pages serve (paging off, beyond RAM)? */
bool mmio__addr(const struct bt_vm *b, u32 lin);
/* Maps a shadow of the page of @lin for the instruction at @eip; false
 * when it cannot (already open, too many pages). */
/* @store: the length of the store that faulted at @lin, 0 for a load. */
bool mmio__open(struct bt_vm *b, u32 lin, u32 eip, u32 store);
/* Writes back what the instruction changed and unmaps the shadows. */
void mmio__settle(struct bt_vm *b);

#endif
