/*
 * The operands of a decoded guest instruction against the virtual CPU:
 * registers by their Capstone names, effective addresses and their
 * segments (SDM Vol. 1 3.7.5), reads and writes through the segment and
 * paging checks (0, or -1 with c->exc_* raised).
 */
#ifndef REFVMM_EMU_OPERAND_H
#define REFVMM_EMU_OPERAND_H

#include <capstone/capstone.h>

#include "refvmm/sw/cpu.h"

int operand__read(struct sw_cpu *c, const cs_x86 *x, const cs_x86_op *op,
		  u32 *v);
int operand__write(struct sw_cpu *c, const cs_x86 *x, const cs_x86_op *op,
		   u32 v);
/* Effective address of a memory operand; *@sreg its segment (SW_ES..). */
u32 operand__addr(struct sw_cpu *c, const cs_x86 *x, const cs_x86_op *op,
		  int *sreg);
/* A general register by name (8, 16 or 32 bits); 0 for anything else. */
u32 operand__get_reg(const struct sw_cpu *c, x86_reg r);
void operand__set_reg(struct sw_cpu *c, x86_reg r, u32 v);
/* Capstone segment register -> SW_ES.. (-1 for anything else). */
int operand__sreg(x86_reg r);
/* The segment of an implicit DS operand (string source, XLAT, MASKMOV*):
 * the override prefix's, else DS (SDM Vol. 1 3.7.5). */
int operand__ds_override(const cs_x86 *x);
/* Capstone general register -> encoding number (EAX 0 .. EDI 7), -1 for
 * anything else and for AH..BH. */
int operand__gpr(x86_reg r);

#endif
