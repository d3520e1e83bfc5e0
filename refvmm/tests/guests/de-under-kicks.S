/*
 * #DE at CPL 0 and IRETD to the same level in the translation
 * (bt/fast_isys.h, isys.S) while the PIT raises IRQ0 about 10,000 times
 * a second: the kernel does nothing but DIV by zero until the next tick
 * arrives, 2,000 times, so most kicks land inside the routines, many
 * between a PUSHF and its POPF. No instruction of the loop leaves the
 * translation, so a kick whose single-stepping a POPF switched off (its
 * TF dropped from the pushed copy) would leave the interrupt waiting
 * for ever: each tick must come within 1,000,000 round trips.
 * Exit 0 when every tick came and the handler counted every #DE; else
 * the failed check's number.
 */
#include "guest.h"

#define TICKS_WANTED 2000
#define BOUND	     1000000
#define COUNT	     0x180000
#define TICKS	     0x180004
#define MINE	     0x180008 /* DIVs the loop made */
#define IDT	     0x181000
#define STACK	     0x190000

	flat_kernel STACK
	idt_gate IDT, 0, de, 0x08, 0x8e
	idt_gate IDT, 0x20, irq0, 0x08, 0x8e
	lidt idtr
	movl $0, COUNT
	movl $0, TICKS
	movl $0, MINE
	timer_irq0_10khz
	sti

	mov $TICKS_WANTED, %edi
	xor %ebx, %ebx
1:	mov TICKS, %esi
	mov $BOUND, %ecx
2:	mov $1, %eax
	xor %edx, %edx
	div %ebx		/* f7 f3: the handler skips 2 bytes */
	incl MINE
	cmp TICKS, %esi
	jne 3f
	dec %ecx
	jnz 2b
	fail 1
3:	dec %edi
	jnz 1b
	cli
	mov MINE, %eax
	cmp COUNT, %eax
	fail_ne 30
	pass

de:
	incl COUNT
	addl $2, (%esp)
	iret

irq0:
	irq0_counter TICKS

	.p2align 3
gdt:
	.quad 0
	flat_kernel_gdt
	gdtr_idtr IDT, 0x21
