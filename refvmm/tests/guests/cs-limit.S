/*
 * A new EIP beyond the new code segment's limit faults before anything
 * is pushed or loaded: IRET and far RET with #GP(0) (SDM Vol. 2A IRET,
 * Vol. 2B RET), a call gate with #GP(0) (Vol. 2A CALL), INT n with
 * #GP(EXT), here 0 (Vol. 2A INT n). Selector 0x18 is code with base 0
 * and limit 2 MiB - 1 (the guest runs at 1 MiB); 0x80 a DPL-0 call gate
 * to 0x18:0x300000 (past the index a host's GDT ends at: under direct
 * execution a selector aliasing a host user segment would be the
 * host's, refvmm-trap.md "selectors"). The #GP handler (flat CS 0x08) records the error
 * code and the faulting EIP and resumes where the case says. Each case
 * checks the #GP came, its error code, that it is the instruction's,
 * and that ESP still holds what the instruction would have popped.
 * The IRET under 0x18 itself is the case a same-level fast callout
 * could take. Then a far JMP within the limit must run.
 * Exit 0 when every case passed; else the failed check's number.
 */
#include "guest.h"

#define IDT	 0x181000
#define GDT	 0x182000
#define GP_SEEN	 0x180000
#define GP_ERR	 0x180004
#define GP_EIP	 0x180008
#define RESUME	 0x18000c
#define SAVED_SP 0x180010
#define STACK	 0x190000
#define FAR_EIP	 0x300000

/* the #GP of @insn with error code @err, ESP @popped bytes below where
 * it was before the case's pushes; checks from @code */
.macro expect_gp insn, err, popped, code
	cmpl $1, GP_SEEN
	fail_ne \code
	cmpl $\err, GP_ERR
	fail_ne \code + 1
	cmpl $\insn, GP_EIP
	fail_ne \code + 2
	lea \popped(%esp), %eax
	cmp SAVED_SP, %eax
	fail_ne \code + 3
	add $\popped, %esp
.endm

/* arms the #GP handler to resume at @label */
.macro arm_gp label
	movl $0, GP_SEEN
	movl $\label, RESUME
	mov %esp, SAVED_SP
.endm

	flat_kernel STACK
	gdt_to_page GDT, 8, gdt_data
	movl $0x00180000, GDT + 0x80
	movl $0x00308c00, GDT + 0x84
	idt_gate IDT, 13, gp, 0x08, 0x8e
	idt_gate IDT, 0x40, FAR_EIP, 0x18, 0x8e
	lidt idtr

	/* IRET to the same level */
	arm_gp 1f
	pushf
	push $0x18
	push $FAR_EIP
iret1:	iret
1:	expect_gp iret1, 0, 12, 1
	/* far RET */
	arm_gp 1f
	push $0x18
	push $FAR_EIP
lret1:	lret
1:	expect_gp lret1, 0, 8, 5
	/* INT n */
	arm_gp 1f
int1:	int $0x40
1:	expect_gp int1, 0, 0, 9
	/* a call gate */
	arm_gp 1f
call1:	lcall $0x80, $0
1:	expect_gp call1, 0, 0, 13
	/* under 0x18 itself: IRET to the CS running */
	ljmp $0x18, $1f
1:	arm_gp 1f
	pushf
	push $0x18
	push $FAR_EIP
iret2:	iret
1:	expect_gp iret2, 0, 12, 18
	ljmp $0x08, $1f
1:	pass

gp:
	popl GP_ERR
	push %eax
	mov 4(%esp), %eax
	mov %eax, GP_EIP
	mov RESUME, %eax
	mov %eax, 4(%esp)
	movl $1, GP_SEEN
	pop %eax
	iret

	.p2align 3
gdt:
	.quad 0
	flat_kernel_gdt
	DESC(0, 0x1ff, 0x9b, 0xc)	/* 0x18: code, limit 2 MiB - 1 */
	gdtr_idtr IDT, 0x41
gdt_data:
	.word 0x87
	.long GDT
