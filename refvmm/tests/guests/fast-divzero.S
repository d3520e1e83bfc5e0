/*
 * The #DE round trip as fast callouts (bt/fast.c, fast_event.h): DIV by
 * zero at CPL 0 through an interrupt gate to a handler in the same code
 * segment that counts, skips the DIV and IRETs. 1000 times with paging
 * off, then 1000 times with paging on, where the stack page's PTE has
 * D = 0 at first: the first delivery there must take the full path
 * (the walk sets D; SDM Vol. 3A 4.8), the others need not. Then 10 times
 * through a gate to a second code segment (the same flat descriptor at
 * another selector): delivery and IRET must both take the full path,
 * and the handler must run in that segment.
 * Exit 0 when every #DE was counted, ECX and the registers the DIV reads
 * kept, and the stack PTE's D is set; else the failed check's number.
 */
#include "guest.h"

#define N	 1000
#define PD	 0x200000
#define PT	 0x201000
#define STACK_PG 0x1a0000 /* its PTE starts with A = 1, D = 0 */
/* data off the code's page, which translation protects */
#define DE_COUNT 0x180000
#define IDT	 0x181000

/* N DIVs by zero (f7 f3: the handler skips 2 bytes), no other use of
 * the stack */
.macro DIVIDE
	mov $N, %ecx
	mov $1, %eax
	xor %edx, %edx
	xor %ebx, %ebx
.Ldiv\@:
	div %ebx
	dec %ecx
	jnz .Ldiv\@
	mov $4, %bl
	cmp $1, %eax
	jne fail
	test %edx, %edx
	jnz fail
.endm

	flat_kernel 0x190000
	/* IDT vector 0: interrupt gate (type 0xe, DPL 0) to de_handler */
	mov $de_handler, %eax
	mov %eax, %edx
	and $0xffff, %edx
	or $(0x08 << 16), %edx
	mov %edx, IDT
	and $0xffff0000, %eax
	or $0x8e00, %eax
	mov %eax, IDT + 4
	movl $0, DE_COUNT
	lidt idtr

	DIVIDE
	mov $1, %bl
	cmpl $N, DE_COUNT
	jne fail

	/* identity, all A and D but the stack's */
	identity_pt PT
	movl $(STACK_PG | 0x23), PT + (STACK_PG >> 12) * 4
	movl $(PT | 0x23), PD
	mov $PD, %eax
	mov %eax, %cr3
	mov $(STACK_PG + 0x1000), %esp
	mov %cr0, %eax
	or $0x80000000, %eax
	mov %eax, %cr0

	DIVIDE
	mov $2, %bl
	cmpl $(2 * N), DE_COUNT
	jne fail
	mov $3, %bl
	testl $0x40, PT + (STACK_PG >> 12) * 4
	jz fail

	/* vector 0 to de_handler2 through selector 0x18 */
	mov $de_handler2, %eax
	mov %eax, %edx
	and $0xffff, %edx
	or $(0x18 << 16), %edx
	mov %edx, IDT
	and $0xffff0000, %eax
	or $0x8e00, %eax
	mov %eax, IDT + 4
	mov $10, %ecx
	xor %ebx, %ebx
4:	div %ebx
	dec %ecx
	jnz 4b
	mov $5, %bl
	cmpl $(2 * N + 10), DE_COUNT
	jne fail
	mov %cs, %eax
	mov $6, %bl
	cmp $0x08, %eax
	jne fail
	mov $0, %al
	out %al, $DEBUG_EXIT


de_handler:
	incl DE_COUNT
	addl $2, (%esp)
	iret

de_handler2:
	push %eax
	mov %cs, %eax
	cmp $0x18, %eax
	pop %eax
	mov $7, %bl
	jne fail
	xor %ebx, %ebx		/* the divisor again */
	incl DE_COUNT
	addl $2, (%esp)
	iret

fail:
	mov %bl, %al
	out %al, $DEBUG_EXIT
	hlt

	.p2align 3
gdt:
	.quad 0
	flat_kernel_gdt
	DESC(0, 0xfffff, 0x9b, 0xc)
gdtr:
	.word gdtr - gdt - 1
	.long gdt
idtr:
	.word 7
	.long IDT
