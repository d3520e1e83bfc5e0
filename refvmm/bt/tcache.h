/*
 * The translation cache (tcache.c): the monitor window's code segment,
 * GS page and cache area; the blocks, their hash and the indirect-branch
 * lookup table translated code reads itself; chaining; the map from a
 * cache address back to a guest EIP; flushes.
 */
#ifndef REFVMM_BT_TCACHE_H
#define REFVMM_BT_TCACHE_H

#include <stddef.h>

#include "vm.h"

int tcache__init(struct bt_vm *b, char *err, size_t errlen);
void tcache__destroy(struct bt_vm *b);
/* Drops every translation (@why for --trace bt). */
void tcache__flush(struct bt_vm *b, const char *why);
/* The block of @k that may run under the guest's tables now, or NULL. */
struct bt_block *tcache__find(struct bt_vm *b, const struct bt_key *k);
struct bt_block *tcache__alloc(struct bt_vm *b);
void tcache__insert(struct bt_vm *b, struct bt_block *tb);
/* The indirect-branch lookup table: @k's EIP goes to @tc. It serves one
 * key (but for EIP) at a time: another key clears it first. */
void tcache__table_set(struct bt_vm *b, const struct bt_key *k, u8 *tc);
/* Before a lookup: the paging controls changed without the shadow
 * reporting it (aspace.h), a new epoch. */
void tcache__sync(struct bt_vm *b);
/* Empties the lookup table (only the slots in use, when it knows them). */
void tcache__table_clear(struct bt_vm *b);
/* Only the tables of keys whose CPL's walks are in @walks. */
void tcache__table_drop(struct bt_vm *b, u8 walks);
/* The block holding cache address @addr (async-signal-safe). */
const struct bt_block *tcache__block_at(const struct bt_vm *b, u64 addr);
/* Guest EIP for cache address @addr; @exact: only a boundary start. */
bool tcache__map(const struct bt_vm *b, u64 addr, bool exact, u32 *eip);
/* Points the rel32 at @site to @target (guest @eip's translation), when
 * @site is a chain site the translator recorded (site.h); any other value
 * is ignored. */
void tcache__chain(struct bt_vm *b, u32 site, const u8 *target, u32 eip);
/* The --trace bt line of one chain patch: every bt.chain_patches has one. */
void tcache__trace_chain(const struct bt_vm *b, u32 site, u32 target, u32 eip);

#endif
