/*
 * The byte emitter of translated code: raw bytes and the few host
 * instructions the translator and the cache's shared routines are made
 * of (GS-relative moves to the page, the far jump to the gate, the
 * LAHF/SETO flag save). One place, so every sequence is spelt once.
 */
#ifndef REFVMM_BT_EMIT_H
#define REFVMM_BT_EMIT_H

#include <stddef.h>

#include "vm.h"

struct emit {
	u8 *p; /* the next byte */
};

void emit__u8(struct emit *e, u8 v);
void emit__u32(struct emit *e, u32 v);
void emit__bytes(struct emit *e, const char *bytes, size_t n);
/* movl $@imm, %gs:@off */
void emit__gs_imm(struct emit *e, u32 off, u32 imm);
/* movb $@imm, %gs:@off */
void emit__gs_imm8(struct emit *e, u32 off, u8 imm);
/* mov %eax, %gs:@off / mov %gs:@off, %eax / the same with %ecx */
void emit__gs_store_eax(struct emit *e, u32 off);
void emit__gs_load_eax(struct emit *e, u32 off);
/* Any 32-bit register @reg (0 EAX ... 7 EDI) to or from %gs:@off. */
void emit__gs_store(struct emit *e, u32 reg, u32 off);
void emit__gs_load(struct emit *e, u32 reg, u32 off);
void emit__gs_store_ecx(struct emit *e, u32 off);
void emit__gs_load_ecx(struct emit *e, u32 off);
/* ljmp to the callout gate (64-bit host code segment) */
void emit__gate(struct emit *e);
/* exit_code = @code, then the gate */
void emit__exit(struct emit *e, enum bt_exit code);
/* EAX into scr_eax, then OF (SETO into AL) and SF ZF AF PF CF (LAHF)
 * into scr_fl: the guest's flags survive what follows. */
void emit__save_flags(struct emit *e);
/* The reverse: OF from AL (add 0x7f overflows iff AL = 1), SAHF, then
 * EAX from scr_eax. */
void emit__restore_flags(struct emit *e);

#endif
