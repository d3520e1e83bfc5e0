/*
 * Execution by proxy: an instruction run in the monitor on a copy of its
 * memory operand (proxy.c).
 */
#ifndef REFVMM_EMU_PROXY_H
#define REFVMM_EMU_PROXY_H

#include "vm.h"

int proxy__init(struct monitor *t);
void proxy__destroy(struct monitor *t);
/* Whether @in is on the allowlist of data instructions. */
bool proxy__allowed(const cs_insn *in);
/* @in re-encoded for 64-bit mode at @at with its memory operand at
 * @scratch: the length, or -1 when it cannot be. */
int proxy__encode(const cs_insn *in, u8 *out, size_t outlen, u64 at,
		  u64 scratch);
/* Runs @in on the operand at @sreg:@ea: 0 done (EIP not moved), -1
 * raised c->exc_*, 1 not an instruction it runs. */
int proxy__run(struct monitor *t, const cs_insn *in, int sreg, u32 ea);

#endif
