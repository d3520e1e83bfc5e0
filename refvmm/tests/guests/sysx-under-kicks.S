/*
 * SYSENTER and SYSEXIT in the translation (bt/fast_sysx.h) while the
 * PIT raises IRQ0 about 10,000 times a second: the monitor's kicks land
 * anywhere, inside the shared routines too (no boundary there: the run
 * steps to the lookup), and each interrupt is delivered to CPL 3 through
 * the TSS, so the record of CPL, CS and SS must have caught up with the
 * last SYSEXIT before the delivery reads it. The kernel returns with
 * STI; SYSEXIT, as Linux's does (SYSEXIT in STI's shadow). Every round
 * trip checks ESP on both sides and, every 256, the selectors (their
 * reads are callouts); the IRQ handler checks that it interrupted CPL 3
 * (the frame's CS) on the kernel stack from the TSS.
 * Exit 0 when every check passed, the kernel counted every round trip
 * and the timer interrupted; else the failed check's number (from CPL 3
 * through INT 0x81 with BL).
 */
#include "guest.h"

#define N	 100000
#define COUNT	 0x180000
#define TICKS	 0x180004
#define IDT	 0x181000
#define TSS	 0x182000
#define KSTACK	 0x190000 /* the TSS's ESP0: interrupts from CPL 3 */
#define USTACK	 0x1a0000
#define SESTACK	 0x1b0000 /* IA32_SYSENTER_ESP */
#define SEL_K_CS 0x08
#define SEL_K_DS 0x10
#define SEL_U_CS 0x1b
#define SEL_U_DS 0x23
#define SEL_SE	 0x30 /* IA32_SYSENTER_CS: CS, +8 SS, +16 and +24 at CPL 3 */

/* after a cmp at CPL 3: fails with @code unless ZF is set */
.macro ufail_ne code
	je .Luok\@
	mov $\code, %bl
	int $0x81
.Luok\@:
.endm

	kernel_entry TSS, 0x188000, KSTACK, SEL_K_DS
	idt_gate IDT, 0x20, irq0, SEL_K_CS, 0x8e
	idt_gate IDT, 0x81, ufail_k, SEL_K_CS, 0xee
	idt_gate IDT, 0x82, done, SEL_K_CS, 0xee
	lidt idtr
	wrmsr_imm 0x174, SEL_SE
	wrmsr_imm 0x175, SESTACK
	wrmsr_imm 0x176, sysenter_k
	movl $0, COUNT
	movl $0, TICKS
	timer_irq0_10khz
	iret_to_user SEL_U_CS, SEL_U_DS, USTACK, user

user:
	mov $N, %esi
2:	mov %esp, %ecx
	mov $3f, %edx
	sysenter
3:	cmp $USTACK, %esp
	ufail_ne 1
	test $0xff, %esi
	jnz 4f
	mov %cs, %eax
	cmp $(SEL_SE + 16 + 3), %eax
	ufail_ne 2
	mov %ss, %eax
	cmp $(SEL_SE + 24 + 3), %eax
	ufail_ne 3
4:	dec %esi
	jnz 2b
	int $0x82

/* SYSENTER at CPL 0: the MSR's ESP; back at once with STI; SYSEXIT */
sysenter_k:
	cmp $SESTACK, %esp
	jne 1f
	incl COUNT
	sti
	sysexit
1:	mov $20, %al
	out %al, $DEBUG_EXIT
	hlt

/* IRQ0 from CPL 3: the frame on the TSS's stack, CS the user's (the
 * IRET's before the first SYSEXIT, SYSEXIT's after) */
irq0:
	cmpl $(SEL_SE + 16 + 3), 4(%esp)
	je 3f
	cmpl $SEL_U_CS, 4(%esp)
	jne 1f
3:
	cmp $(KSTACK - 20), %esp
	jne 2f
	incl TICKS
	push %eax
	mov $0x20, %al
	out %al, $0x20
	pop %eax
	iret
1:	mov $21, %al
	out %al, $DEBUG_EXIT
	hlt
2:	mov $22, %al
	out %al, $DEBUG_EXIT
	hlt

ufail_k:
	ufail_exit

done:
	done_counted N, COUNT, TICKS

	.p2align 3
gdt:
	.quad 0
	kernel_user_gdt TSS
	DESC(0, 0xfffff, 0x9b, 0xc)	/* 0x30: what SYSENTER loads */
	DESC(0, 0xfffff, 0x93, 0xc)
	DESC(0, 0xfffff, 0xfb, 0xc)
	DESC(0, 0xfffff, 0xf3, 0xc)
	gdtr_idtr IDT, 0x83
