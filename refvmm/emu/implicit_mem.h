/*
 * Instructions whose memory operand is implicit, not named by ModRM:
 * XLAT and MASKMOVQ/MASKMOVDQU (implicit_mem.c).
 */
#ifndef REFVMM_EMU_IMPLICIT_MEM_H
#define REFVMM_EMU_IMPLICIT_MEM_H

#include "vm.h"

/* 0 done (EIP not moved), -1 raised c->exc_*, 1 not one of them. */
int implicit_mem__emulate(struct monitor *t, const cs_insn *in);

#endif
