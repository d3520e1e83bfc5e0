/*
 * Architectural register state of the one virtual CPU, in a form every
 * execution mode shares. The loader fills it with the Multiboot entry
 * state; a mode loads it into its engine and can store it back (for
 * error reports). Field meanings: SDM Vol. 3A, 3.4 (segment registers
 * and their hidden parts), 2.5 (control registers).
 */
#ifndef REFVMM_VCPU_H
#define REFVMM_VCPU_H

#include "types.h"

struct machine;
struct mode_ops;

struct vcpu_seg {
	u64 base;
	u32 limit; /* byte granular, already scaled by G */
	u16 selector;
	u8 type; /* descriptor type field, 4 bits */
	u8 s, dpl, present, db, l, g, avl, unusable;
};

struct vcpu_state {
	u64 rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
	u64 rip, rflags;
	struct vcpu_seg cs, ds, es, fs, gs, ss, tr, ldt;
	u64 gdt_base, idt_base;
	u16 gdt_limit, idt_limit;
	u64 cr0, cr2, cr3, cr4, efer;
};

#define X86_EFLAGS_FIXED 0x2u
#define X86_EFLAGS_IF	 0x200u
#define X86_CR0_PE	 0x1u
#define X86_CR0_ET	 0x10u

struct vcpu {
	struct machine *machine;
	const struct mode_ops *mode;
	void *mode_priv;
	struct vcpu_state state;
};

/*
 * Multiboot entry state (Multiboot 0.6.96, 3.2 "Machine state"): 32-bit
 * flat protected mode, paging off, IF clear, EAX = magic, EBX = info.
 */
void vcpu__reset_multiboot(struct vcpu *vcpu, u32 entry, u32 info);

/* A flat 4 GiB, 32-bit, page-granular code or data segment (descriptor
 * @type) as a loader leaves it, with selector @sel. */
void vcpu__flat_seg(struct vcpu_seg *s, u16 sel, u8 type);

#endif
