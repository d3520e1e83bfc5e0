/* The Multiboot entry state of the virtual CPU (vcpu.h). */
#include <string.h>

#include "refvmm/vcpu.h"

/*
 * Flat 4 GiB segments as a loader would have left them (Multiboot
 * 0.6.96, 3.2): code execute/read, data read/write, both 32-bit
 * (D/B = 1), page granular. The selector values are not architectural;
 * the guest loads its own GDT before it reloads a segment register.
 */
void vcpu__flat_seg(struct vcpu_seg *s, u16 sel, u8 type)
{
	*s = (struct vcpu_seg){
		.base = 0,
		.limit = 0xffffffff,
		.selector = sel,
		.type = type,
		.s = 1,
		.present = 1,
		.db = 1,
		.g = 1,
	};
}

void vcpu__reset_multiboot(struct vcpu *vcpu, u32 entry, u32 info)
{
	struct vcpu_state *st = &vcpu->state;

	memset(st, 0, sizeof(*st));
	st->rax = 0x2BADB002u;
	st->rbx = info;
	st->rip = entry;
	st->rflags = X86_EFLAGS_FIXED; /* IF = 0 */
	vcpu__flat_seg(&st->cs, 0x08, 0xb);
	vcpu__flat_seg(&st->ds, 0x10, 0x3);
	st->es = st->ds;
	st->fs = st->ds;
	st->gs = st->ds;
	st->ss = st->ds;
	/*
	 * VM entry requires a usable TR (SDM Vol. 3C, 28.3.1.2: busy TSS,
	 * present) even though a Multiboot kernel never relies on it.
	 */
	st->tr = (struct vcpu_seg){
		.limit = 0x67,
		.type = 0xb,
		.present = 1,
	};
	st->ldt = (struct vcpu_seg){.type = 0x2, .present = 1, .unusable = 1};
	st->gdt_limit = 0xffff;
	st->idt_limit = 0xffff;
	st->cr0 = X86_CR0_PE | X86_CR0_ET;
}
