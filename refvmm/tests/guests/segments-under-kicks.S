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
	mov $irq0, %eax
	mov %eax, %edx
	and $0xffff, %edx
	or $(SEL_CODE << 16), %edx
	mov %edx, KICK_IDT + 0x20 * 8
	and $0xffff0000, %eax
	or $0x8e00, %eax
	mov %eax, KICK_IDT + 0x20 * 8 + 4
	lidt kick_idtr
	/* PIC: master at 0x20, only IRQ0 unmasked; slave masked. */
	mov $0x11, %al
	out %al, $0x20
	mov $0x20, %al
	out %al, $0x21
	mov $0x04, %al
	out %al, $0x21
	mov $0x01, %al
	out %al, $0x21
	mov $0xfe, %al
	out %al, $0x21
	mov $0xff, %al
	out %al, $0xa1
	/* PIT channel 0, mode 2, divisor 119: about 10 kHz. */
	mov $0x34, %al
	out %al, $0x43
	mov $119, %al
	out %al, $0x40
	xor %al, %al
	out %al, $0x40
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
