/*
 * INT 0x80 and IRETD in the translation (bt/fast_isys.h, isys.S) while
 * the PIT raises IRQ0 about 10,000 times a second: the user does
 * nothing but INT 0x80 until the next tick arrives, 2,000 times, so most
 * kicks land inside the routines, many between a PUSHF and its POPF.
 * No instruction of the loop leaves the translation, so a kick whose
 * single-stepping a POPF switched off would leave the interrupt waiting
 * for ever: each tick must come within 1,000,000 round trips.
 * Exit 0 when every tick came and the kernel counted every round trip;
 * else the failed check's number (from CPL 3 through INT 0x81 with BL).
 */
#include "guest.h"

#define TICKS_WANTED 2000
#define BOUND	     1000000
#define COUNT	     0x180000
#define TICKS	     0x180004
#define MINE	     0x180008 /* round trips the user made */
#define IDT	     0x181000
#define TSS	     0x182000
#define KSTACK	     0x190000
#define USTACK	     0x1a0000
#define SEL_K_CS     0x08
#define SEL_K_DS     0x10
#define SEL_U_CS     0x1b
#define SEL_U_DS     0x23

	kernel_entry TSS, 0x188000, KSTACK, SEL_K_DS
	idt_gate IDT, 0x20, irq0, SEL_K_CS, 0x8e
	idt_gate IDT, 0x80, int80, SEL_K_CS, 0xee
	idt_gate IDT, 0x81, ufail_k, SEL_K_CS, 0xee
	idt_gate IDT, 0x82, done, SEL_K_CS, 0xee
	lidt idtr
	movl $0, COUNT
	movl $0, TICKS
	movl $0, MINE
	timer_irq0_10khz
	iret_to_user SEL_U_CS, SEL_U_DS, USTACK, user

user:
	mov $TICKS_WANTED, %edi
1:	mov TICKS, %esi
	mov $BOUND, %ecx
2:	int $0x80
	incl MINE
	cmp TICKS, %esi
	jne 3f
	dec %ecx
	jnz 2b
	mov $1, %bl
	int $0x81
3:	dec %edi
	jnz 1b
	int $0x82

int80:
	incl COUNT
	iret

irq0:
	irq0_counter TICKS

ufail_k:
	ufail_exit

done:
	cli
	mov MINE, %eax
	cmp COUNT, %eax
	fail_ne 30
	pass

	.p2align 3
gdt:
	.quad 0
	kernel_user_gdt TSS
	gdtr_idtr IDT, 0x83
