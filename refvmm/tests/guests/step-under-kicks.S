/*
 * What a one-instruction run owes after its instruction, under kicks
 * that land anywhere (the test runs it with REFVMM_KICK_STORM_US): the
 * monitor runs such an instruction alone for guest TF and for the
 * instruction after STI, and a kick that ends that run early must not
 * drop the #DB or the interrupt the step was for.
 * 1. Single-step: with TF set by POPF, LOOPS iterations of a DEC/JNZ
 *    loop and the POPF that clears TF are 2 * LOOPS + 4 instructions,
 *    each followed by one #DB (SDM Vol. 3B 17.3.1.4: the trap after an
 *    instruction that begins with TF=1), STEPS times.
 * 2. The STI shadow: with IRQ 0 latched in the 8259's IRR and IF=0,
 *    STI; NOP; NOP takes the interrupt after the first NOP, not later
 *    (SDM Vol. 2B STI), ROUNDS times.
 * 3. The STI shadow across the end of a translation: 31 NOPs and an STI
 *    are the 32 instructions a translation holds at most, so the NOP
 *    after STI starts another. With IF=0 before STI and the PIT
 *    ticking, no interrupt may come before that NOP (SDM Vol. 2B STI),
 *    over 500 ticks.
 * Exit 0; else the failed check's number: 1 a #DB count, 2 an interrupt
 * at the wrong instruction, 3 no interrupt in the window, 4 IRR never set,
 * 5 an interrupt before the instruction after STI, 6 too few ticks.
 */
#include "guest.h"

#define ROUNDS 500 /* of the STI shadow */
#define STEPS  200 /* single-stepped loops */
#define LOOPS  10
#define DBS    0x180000 /* #DBs taken */
#define IRQ_IP 0x180004 /* where IRQ 0 came, 0 for not yet */
#define TICKS  0x180008 /* IRQ 0s taken */
#define IDT    0x181000
#define STACK  0x190000

	flat_kernel STACK
	idt_gate IDT, 1, db, 0x08, 0x8e
	idt_gate IDT, 0x20, irq0, 0x08, 0x8e
	lidt idtr

	mov $STEPS, %edi
step_round:
	movl $0, DBS
	pushf
	orl $0x100, (%esp)
	popf
	mov $LOOPS, %ecx
1:	dec %ecx
	jnz 1b
	pushf
	andl $~0x100, (%esp)
	popf
	cmpl $(2 * LOOPS + 4), DBS
	fail_ne 1
	dec %edi
	jnz step_round

	timer_irq0_10khz
	mov $ROUNDS, %edi
shadow_round:
	movl $0, IRQ_IP
	mov $10000000, %ecx
1:	mov $0x0a, %al /* OCW3: read IRR */
	out %al, $0x20
	in $0x20, %al
	test $1, %al
	jnz 2f
	loop 1b
	fail 4
2:	sti
	nop
sti_after:
	nop
	cli
	mov IRQ_IP, %eax
	test %eax, %eax
	jnz 3f
	fail 3
3:	cmp $sti_after, %eax
	fail_ne 2
	dec %edi
	jnz shadow_round

	movl $0, TICKS
	mov $100000000, %edi
	.p2align 4
block_end:
	movl $0, IRQ_IP
	jmp 1f
1:	.rept 31
	nop
	.endr
	sti
in_shadow:
	nop
	nop
	cli
	cmpl $in_shadow, IRQ_IP
	jne 2f
	fail 5
2:	cmpl $500, TICKS
	jae 3f
	dec %edi
	jnz block_end
	fail 6
3:	pass

db:
	incl %ss:DBS
	iret

irq0:
	incl %ss:TICKS
	push %eax
	mov 4(%esp), %eax
	mov %eax, IRQ_IP
	mov $0x20, %al
	out %al, $0x20
	pop %eax
	iret

	.p2align 3
gdt:
	.quad 0
	flat_kernel_gdt
	gdtr_idtr IDT, 0x21
