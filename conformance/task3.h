/*
 * What the files of the conformance-taskswitch3-32 image share: their
 * GDT slots, the runtime's task as a far pointer, stacks, and the
 * switch and reset helpers (task.h has the TSS helpers of all three
 * task-switch images).
 */
#ifndef CONFORMANCE_TASK3_H
#define CONFORMANCE_TASK3_H

#include "task.h"

#define T3(n)	 (GDT_FREE + (n))
#define TSS_A	 T3(0)	/* a 32-bit task, one per check */
#define TSS_B	 T3(1)	/* the middle of a nested chain */
#define TSS_C	 T3(2)	/* the end of a nested chain */
#define TSS_16	 T3(3)	/* a 16-bit TSS (type 1) */
#define CS_16	 T3(4)	/* the 16-bit task's code, based below its entry */
#define LDT_DESC T3(5)	/* an LDT with a code and a data segment */
#define LDT_NP	 T3(6)	/* the same LDT marked not present */
#define TSS_H	 T3(7)	/* the fault handler task, for #TS */
#define TSS_HNP	 T3(8)	/* the same TSS, for #NP */
#define TSS_HSS	 T3(9)	/* the same TSS, for #SS */
#define TSS_BAD	 T3(10) /* a task whose TSS or descriptor is wrong */
#define GATE	 T3(11) /* scratch task gate */
#define TSS_IO	 T3(12) /* a CPL-3 task with an I/O bitmap */
#define DS_NP	 T3(13) /* a data segment marked not present */
#define LDT_16	 T3(14) /* the 16-bit task's (empty) LDT */
#define DS_NP2	 T3(15) /* another data segment not present */
#define SEL(i)	 ((u16)((i) << 3))

#define TSS_LIMIT	0x67 /* the least a 32-bit TSS may have */
#define TSS16_LIMIT	0x2b /* the least a 16-bit TSS may have */
#define TYPE_TSS16	0x1
#define TYPE_TSS16_BUSY 0x3
#define TYPE_LDT	0x2
/* Indices 63 and 62: beyond the GDT's 48 entries. */
#define BAD_SEL	 0x1f8
#define BAD_SEL2 0x1f0

#define XSTR(x) #x
#define STR(x)	XSTR(x)

struct __attribute__((packed)) farptr {
	u32 off;
	u16 sel;
};

/* The runtime's task, for a task's JMP back. */
extern struct farptr main_task;

#define TASK3_STACKS 6
extern u8 task3_stacks[TASK3_STACKS][4096];
#define STACK_TOP(n) ((ulong)task3_stacks[n] + sizeof(task3_stacks[0]))

/* A fresh task (task_init) on stack n. */
void task3_init(struct tss32 *t, const char *entry, int n);
/* The runtime's TSS current again, every TSS of the image available,
 * no back link in the runtime's TSS. */
void task3_reset(void);
/* The types of GDT entries a and b, a in bits 15:8. */
u32 task3_types(int a, int b);
/* A far JMP and a far CALL through the struct farptr at a. */
void task3_ljmp(void *a);
void task3_lcall(void *a);
/* A descriptor d with its base replaced. */
u64 desc_rebase(u64 d, u32 base);

void check_cr3(void);
void check_tss16(void);
u32 tss16_cr3_seen(u32 main_cr3);
void check_nested(void);
void check_ldt(void);
void check_irq_gate(void);
void check_t_flag(void);
void check_eflags(void);
void check_io_edges(void);
void check_order(void);

#endif
