/*
 * 32-bit task helpers shared by the task-switch images (SDM Vol. 3A 8.2:
 * the TSS, TSS descriptors and task gates).
 */
#ifndef CONFORMANCE_TASK_H
#define CONFORMANCE_TASK_H

#include "common.h"

#define TYPE_TSS32	0x9
#define TYPE_TSS32_BUSY 0xb
#define TYPE_TASK_GATE	0x5

/* The type field of GDT entry index (busy or available TSS, ...). */
u8 gdt_type(int index);
/* The runtime's own TSS, the one SEL_TSS names. */
struct tss32 *runtime_tss(void);
/* A fresh task at entry on the stack ending at top: flat kernel
 * segments, this CR3, IF clear, no I/O bitmap, back link 0. */
void task_init(struct tss32 *t, const char *entry, ulong top);
/* GDT entry index: an available 32-bit TSS at t, present or not. */
void gdt_set_tss(int index, struct tss32 *t, u32 limit, bool present);
/* The loaded IDT's gates, to install task gates in and restore. */
volatile u64 *idt_gates(void);
/* A task gate descriptor for TSS selector tss_sel (SDM Vol. 3A 8.2.5). */
u64 task_gate(u16 tss_sel, int dpl, bool present);

#endif
