/*
 * Loading CS sets the accessed bit of its descriptor when it is clear
 * (SDM Vol. 3A 3.4.5.1: "whenever it loads a segment selector for the
 * segment into a segment register"): far JMP, far CALL, far RET, IRET
 * to the same level, INT n and an exception each load one. Selector
 * 0x18 is a second flat DPL-0 code segment; before each transfer to it
 * its bit is cleared, after it the bit must be set. Then N rounds of a
 * #DE through a gate to the CS running (0x08) with that CS's bit
 * cleared first: the handler must find it set by the delivery; the
 * handler clears it again before its IRET, and after the IRET it must
 * be set by the IRET's load. The rounds repeat so that the binary
 * translator's routines and fast callouts, armed for a CS whose bit was
 * set, see it clear.
 * Exit 0 when every bit was set where the architecture sets it; else
 * the failed check's number.
 */
#include "guest.h"

#define N	   200
#define IDT	   0x181000
#define GDT	   0x182000 /* the GDT on a page of its own */
#define K_ACCESS   (GDT + 0x08 + 5)
#define A_ACCESS   (GDT + 0x18 + 5)
#define DE_SEEN	   0x180000
#define STACK	   0x190000

/* fails with @code unless the accessed bit at @byte is set */
.macro want_set byte, code
	testb $1, \byte
	jnz .Lset\@
	fail \code
.Lset\@:
.endm

	flat_kernel STACK
	gdt_to_page GDT, 8, gdt_data
	idt_gate IDT, 0, de, 0x08, 0x8e
	idt_gate IDT, 0x40, int40, 0x18, 0x8e
	lidt idtr

	/* far JMP */
	andb $0xfe, A_ACCESS
	ljmp $0x18, $1f
1:	want_set A_ACCESS, 1
	ljmp $0x08, $1f
1:	/* far CALL, and the far RET back */
	andb $0xfe, A_ACCESS
	lcall $0x18, $far_fn
	want_set A_ACCESS, 2
	/* far RET to 0x18 */
	andb $0xfe, A_ACCESS
	push $0x18
	push $1f
	lret
1:	want_set A_ACCESS, 3
	ljmp $0x08, $1f
1:	/* IRET to the same level */
	andb $0xfe, A_ACCESS
	pushf
	push $0x18
	push $1f
	iret
1:	want_set A_ACCESS, 4
	ljmp $0x08, $1f
1:	/* INT n through a gate to 0x18 */
	andb $0xfe, A_ACCESS
	int $0x40
	want_set A_ACCESS, 5

	/* #DE and IRETD at CPL 0 through the CS running */
	mov $N, %esi
	xor %ebx, %ebx
2:	movl $0, DE_SEEN
	andb $0xfe, K_ACCESS
	mov $1, %eax
	xor %edx, %edx
	div %ebx		/* f7 f3: the handler skips 2 bytes */
	cmpl $1, DE_SEEN
	fail_ne 6
	want_set K_ACCESS, 7
	/* and some rounds with the bit left set */
	mov $1, %eax
	xor %edx, %edx
	div %ebx
	dec %esi
	jnz 2b
	pass

far_fn:
	want_set A_ACCESS, 8
	lret

int40:
	want_set A_ACCESS, 9
	iret

de:
	/* the delivery loaded CS 0x08: its bit is set */
	want_set K_ACCESS, 10
	movl $1, DE_SEEN
	addl $2, (%esp)
	/* clear for the IRET's load, every other round */
	test $1, %esi
	jz 1f
	andb $0xfe, K_ACCESS
1:	iret

	.p2align 3
gdt:
	.quad 0
	flat_kernel_gdt
	DESC(0, 0xfffff, 0x9a, 0xc)	/* 0x18: code, accessed bit clear */
	gdtr_idtr IDT, 0x41
gdt_data:
	.word 31
	.long GDT
