/* Task helpers of the task-switch images; see task.h. */
#include "task.h"

u8 gdt_type(int index)
{
	return (gdt[index] >> 40) & 0xf;
}

struct tss32 *runtime_tss(void)
{
	u64 d = gdt[SEL_TSS >> 3];

	return (struct tss32 *)(ulong)(((d >> 16) & 0xffffff) |
				       ((d >> 32) & 0xff000000));
}

void task_init(struct tss32 *t, const char *entry, ulong top)
{
	memset(t, 0, sizeof(*t));
	t->esp0 = top;
	t->ss0 = KERNEL_DS;
	t->cr3 = read_cr3();
	t->eip = (ulong)entry;
	t->eflags = X86_EFLAGS_FIXED;
	t->esp = top - 16;
	t->cs = KERNEL_CS32;
	t->ss = t->ds = t->es = t->fs = t->gs = KERNEL_DS;
	t->iomap_base = sizeof(*t); /* no I/O bitmap */
}

void gdt_set_tss(int index, struct tss32 *t, u32 limit, bool present)
{
	gdt_set_system(index, (ulong)t, limit, TYPE_TSS32, 0);
	if (!present)
		gdt[index] &= ~(1ull << 47);
}

volatile u64 *idt_gates(void)
{
	struct descriptor_ptr idtr;

	idt_loaded(&idtr);
	return (volatile u64 *)idtr.base;
}

u64 task_gate(u16 tss_sel, int dpl, bool present)
{
	return (u64)tss_sel << 16 | (u64)TYPE_TASK_GATE << 40 | (u64)dpl << 45 |
	       (u64)present << 47;
}
