/*
 * String instructions on memory the host cannot reach (string_insn.c).
 */
#ifndef REFVMM_EMU_STRING_INSN_H
#define REFVMM_EMU_STRING_INSN_H

#include "vm.h"

/* MOVS..SCAS: 0 done (EIP not moved; *@done false when a long REP was
 * cut and the instruction resumes), -1 raised, 1 not one of them. */
int string_insn__emulate(struct monitor *t, const cs_insn *in, bool *done);

#endif
