/*
 * Decoded instructions the emulator has seen (insn_cache.c): a callout
 * decodes the instruction it emulates at least twice (the monitor
 * window's check, then the emulator), and a loop brings the same ones
 * back; Capstone, which formats text for every decode, cost more than
 * the world switch. Entries are keyed by the instruction's bytes as
 * fetched now, so code that changed is decoded again.
 */
#ifndef REFVMM_EMU_INSN_CACHE_H
#define REFVMM_EMU_INSN_CACHE_H

#include <capstone/capstone.h>

#include "refvmm/types.h"

struct insn_cache;

struct insn_cache *insn_cache__new(void);
void insn_cache__free(struct insn_cache *ic);
/* The decoding of the @len bytes at @buf, fetched from guest EIP @eip,
 * from the cache or from @cs (then kept). NULL when they decode to no
 * instruction. The result stays valid until the next call. */
const cs_insn *insn_cache__decode(struct insn_cache *ic, csh cs, u32 eip,
				  const u8 *buf, size_t len);

#endif
