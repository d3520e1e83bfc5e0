/*
 * Translation of guest code into the cache (translate.c).
 */
#ifndef REFVMM_BT_TRANSLATE_H
#define REFVMM_BT_TRANSLATE_H

#include "vm.h"

/* Translates the block at @k's CS:EIP now (not yet in the hash). */
struct bt_block *translate__block(struct bt_vm *b, const struct bt_key *k);
/* --trace bt: the chain lines of the branches the last translate__block
 * linked to existing translations (after its "bt translate" line). */
void translate__trace_links(const struct bt_vm *b);
/* The block for @k: the cached one, or translated now and cached (a
 * block that runs one instruction on an open page is not cached). */
struct bt_block *translate__get(struct bt_vm *b, const struct bt_key *k);

#endif
