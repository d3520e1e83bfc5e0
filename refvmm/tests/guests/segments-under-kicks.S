/*
 * Data segments with distinct bases (ES, FS, GS) stay the guest's while
 * the monitor is kicked at random points of its entries: the PIT raises
 * IRQ0 about 10,000 times a second and every loop iteration exits (an
 * OUT to port 0x80), so kicks land, now and then, between the entry's
 * segment loads. A monitor that read the half-loaded registers back
 * would hand the guest a null FS or ES: the next access through it
 * faults, and with no gate for the fault the run ends in a triple
 * fault.
 */
#include "guest.h"

#define ITERATIONS 200000
#define KICK_IDT   0x182000
#define IRQ_HITS   0x180020 /* data page, away from the code */

	cli
	lgdt kick_gdtr
	ljmp $SEL_CODE, $1f
1:	mov $SEL_FLAT, %eax
	mov %eax, %ss
	mov %eax, %ds
	mov $HV_STACK, %esp
	/* IDT: vector 0x20 (IRQ0) only; anything else has no gate. */
	idt_gate KICK_IDT, 0x20, irq0, SEL_CODE, 0x8e
	lidt kick_idtr
	timer_irq0_10khz
	movl $0x11111111, BASE_ES
	movl $0x22222222, BASE_FS
	movl $0x33333333, BASE_GS
	load_segs SEL_FLAT, SEL_ES, SEL_FS, SEL_GS
	movl $0, %ss:IRQ_HITS
	sti
	mov $ITERATIONS, %ecx
2:	out %al, $0x80
	cmpl $0x11111111, %es:0
	fail_ne 1
	cmpl $0x22222222, %fs:0
	fail_ne 2
	cmpl $0x33333333, %gs:0
	fail_ne 3
	dec %ecx
	jnz 2b
	cli
	/* The timer did interrupt the loop: kicks happened. */
	cmpl $0, %ss:IRQ_HITS
	jne 3f
	fail 6
3:	pass

irq0:
	incl %ss:IRQ_HITS
	push %eax
	mov $0x20, %al
	out %al, $0x20
	pop %eax
	iret

	.p2align 3
kick_gdt:
	.quad 0
	DESC(0, 0xfffff, 0x9b, 0xc)		/* 0x08 code */
	DESC(0, 0xfffff, 0x93, 0xc)		/* 0x10 flat data */
	DESC(BASE_DS, 0xfff, 0x93, 0x4)		/* 0x18 */
	DESC(BASE_ES, 0xfff, 0x93, 0x4)		/* 0x20 */
	DESC(BASE_FS, 0xfff, 0x93, 0x4)		/* 0x28 */
	DESC(BASE_GS, 0xfff, 0x93, 0x4)		/* 0x30 */
kick_gdt_end:
kick_gdtr:
	.word kick_gdt_end - kick_gdt - 1
	.long kick_gdt
kick_idtr:
	.word 0x21 * 8 - 1
	.long KICK_IDT
