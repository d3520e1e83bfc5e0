/*
 * Self-modifying code (smc.c): what a write to a code page means. Changed
 * translated bytes flush the cache; data that only shares the page costs
 * the fault, and a page that keeps taking such stores switches to
 * self-checking blocks.
 */
#ifndef REFVMM_BT_SMC_H
#define REFVMM_BT_SMC_H

#include "vm.h"

/* A guest access faulted on the protected page of @lin: the instruction
 * at @eip runs alone with the page open (smc__settle afterwards). */
void smc__fault(struct bt_vm *b, u32 lin, u32 eip);
/* After that instruction: compare, flush or protect again. */
void smc__settle(struct bt_vm *b);
/* A store that hit data on the code page of @lin; the 16th switches the
 * page to self-checking blocks (and flushes). */
void smc__data_store(struct bt_vm *b, u32 lin);
/* The monitor wrote @len bytes at @lin for the guest (sw_cpu.write_hook). */
void smc__monitor_write(struct sw_cpu *c, u32 lin, u32 len);

#endif
