/*
 * The guest stack: one push and one pop for every emulator, and PUSH,
 * POP, ENTER, LEAVE and near CALL on a stack the host cannot reach.
 */
#ifndef REFVMM_EMU_STACK_H
#define REFVMM_EMU_STACK_H

#include "vm.h"

/*
 * Pushes / pops @size bytes (2 or 4) at SS:ESP, or SS:SP when SS.B is
 * clear (SDM Vol. 1 6.2, Vol. 3A 6.12.1): the pointer wraps within its
 * width and only those bits change. 0, or -1 with c->exc_* raised and
 * ESP as it was.
 */
int stack__push(struct sw_cpu *c, u32 v, u32 size);
int stack__pop(struct sw_cpu *c, u32 *v, u32 size);
/* PUSH, POP, ENTER, LEAVE, near CALL: 0 done (EIP not moved), -1 raised,
 * 1 not one of them. */
int stack__emulate(struct monitor *t, const cs_insn *in);

#endif
