/*
 * RDTSC at CPL 3 (translated in line under bt while CR4.TSD is clear):
 * the flags and ECX survive it, 100 reads do not go backwards; then the
 * kernel sets CR4.TSD and the same RDTSC, in the block translated
 * before, is #GP(0) at its own EIP (SDM Vol. 2B RDTSC). All reads go
 * through one function, so the last one runs the translation the
 * first ones made.
 * Exit 0 when all held, else the failed check's number: 1-3 from CPL 3
 * (INT 0x81 with BL), 4 the RDTSC did not fault, 5-7 the #GP's error
 * code, EIP or CS.
 */
#include "guest.h"

#define IDT    0x181000
#define TSS    0x182000
#define KSTACK 0x190000
#define USTACK 0x1a0000

	kernel_entry TSS, 0x188000, KSTACK, 0x10
	idt_gate IDT, 13, gp, 0x08, 0x8e
	idt_gate IDT, 0x80, set_tsd, 0x08, 0xee
	idt_gate IDT, 0x81, ufail_k, 0x08, 0xee
	lidt idtr
	iret_to_user 0x1b, 0x23, USTACK, user

user:
	flags_and_ecx_known %esi
	call read_tsc
	pushf
	pop %edi
	mov $1, %bl
	cmp %esi, %edi
	jne ufail
	mov $2, %bl
	cmp $0x5555, %ecx
	jne ufail
	/* 100 reads, each at least the last (EBP:ECX) */
	mov %eax, %ecx
	mov %edx, %ebp
	mov $100, %esi
1:	call read_tsc
	mov $3, %bl
	cmp %ebp, %edx
	jb ufail
	ja 2f
	cmp %ecx, %eax
	jb ufail
2:	mov %eax, %ecx
	mov %edx, %ebp
	dec %esi
	jnz 1b
	int $0x80
after_tsd:
	call read_tsc
	mov $4, %bl
ufail:
	int $0x81

read_tsc:
	rdtsc
	ret

/* CR4.TSD on, back to CPL 3 at after_tsd */
set_tsd:
	mov %cr4, %eax
	or $4, %eax
	mov %eax, %cr4
	movl $after_tsd, (%esp)
	iret

gp:
	cmpl $0, (%esp)
	fail_ne 5
	cmpl $read_tsc, 4(%esp)
	fail_ne 6
	cmpl $0x1b, 8(%esp)
	fail_ne 7
	pass

ufail_k:
	ufail_exit

	.p2align 3
gdt:
	.quad 0
	kernel_user_gdt TSS
	gdtr_idtr IDT, 0x82
