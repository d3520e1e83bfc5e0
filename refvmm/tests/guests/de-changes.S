/*
 * #DE at CPL 0 and IRETD to the same level in the translation
 * (bt/fast_isys.h, isys.S) while the kernel changes, with plain stores
 * and paging off (no exit), what the routines were armed with, and
 * while the PIT raises IRQ0 about 10,000 times a second (kicks land
 * inside the routines; IRQ0's own IRETD returns to the same level).
 * N DIVs by zero; before its IRETD the handler sets up the next:
 * - every 3rd, vector 0's gate moves to the other handler (each
 *   checks that the gate named it); every 5th it turns from an interrupt gate into a trap
 *   gate or back (IF in the handler says which it was);
 * - every 4th, it flips CF in the frame (the DIV's CF after the IRETD
 *   is the image's: SDM Vol. 2A IRET);
 * - every 7th, the stack moves to the other one; for the 24th and the
 *   48th DIV it is the top of a page whose only code is a RET called
 *   once (a page with translations: the frame's stores fault in the
 *   host, the routine is rolled back and the #DE is the full path's;
 *   IRQ0 is masked around those, as interrupts delivered on that
 *   stack would make the page check itself instead of faulting);
 * - every 11th, it flips the AVL bit of the code segment's descriptor
 *   in the GDT, which no check reads (SDM Vol. 3A 3.4.5) but which
 *   makes its bytes differ from the armed ones.
 * The handler checks ESP and the frame (EIP of the DIV, CS, EFLAGS.IF
 * and CF as they were before the DIV; Vol. 3A 6.12.1), IF after the
 * gate and that the gate named it; the main loop, that the DIV changed
 * neither EAX nor EDX, and CF, ESP and IF.
 * Exit 0 when every check passed, the kernel counted every #DE and the
 * timer interrupted; else the failed check's number.
 */
#include "guest.h"

#define N	  3000
#define COUNT	  0x180000
#define TICKS	  0x180004
#define EXP_ESP	  0x180008 /* ESP in the handler: the DIV's ESP - 12 */
#define EXP_ID	  0x18000c /* 0xa or 0xb: the handler the gate names */
#define EXP_IF	  0x180010 /* 0x200 after a trap gate, 0 else */
#define EXP_CF	  0x180014 /* CF after the DIV */
#define FLAG_CF	  0x180018 /* CF at the DIV */
#define NEXT_ESP  0x18001c
#define IDT	  0x181000
/* the GDT on a page of its own: stores to it are no stores to code */
#define GDT	  0x182000
#define CS_FLAGS  (GDT + 8 + 6) /* G D/B L AVL, limit 19:16 */
#define STACK1	  0x190000
#define STACK2	  0x198000
#define CODE_PAGE 0x1c0000
#define CODE_TOP  0x1c1000

	flat_kernel STACK1
	gdt_to_page GDT, 6, gdt_data
	/* both stacks' frames touched once: only the code page's stores
	 * fault in the host below */
	movl $0, STACK1 - 12
	movl $0, STACK2 - 12
	movb $0xc3, CODE_PAGE
	mov $CODE_PAGE, %eax
	call *%eax
	idt_gate IDT, 0, de_a, 0x08, 0x8e
	idt_gate IDT, 0x20, irq0, 0x08, 0x8e
	lidt idtr
	movl $0, COUNT
	movl $0, TICKS
	movl $0xa, EXP_ID
	movl $0, EXP_IF
	movl $STACK1, NEXT_ESP
	timer_irq0_10khz
	sti

	mov $N, %esi
1:	mov NEXT_ESP, %esp
	lea -12(%esp), %eax
	mov %eax, EXP_ESP
	mov %esi, %eax
	and $1, %eax
	mov %eax, FLAG_CF
	mov %eax, EXP_CF
	mov $1, %eax
	xor %edx, %edx
	xor %ebx, %ebx
	test $1, %esi
	jz 2f
	stc
	jmp div_insn
2:	clc
div_insn:
	div %ebx		/* f7 f3: the handler skips 2 bytes */
	setc %cl
	movzbl %cl, %ecx
	cmp EXP_CF, %ecx
	fail_ne 1
	cmp $1, %eax
	fail_ne 2
	test %edx, %edx
	fail_ne 3
	lea -12(%esp), %ecx
	cmp EXP_ESP, %ecx
	fail_ne 4
	pushf
	pop %ecx
	and $0x200, %ecx
	cmp $0x200, %ecx
	fail_ne 5
	dec %esi
	jnz 1b
	done_counted N, COUNT, TICKS

/* The handler, as A and B. EAX, EDX and EBX are the main loop's. */
.macro handler id
	cmp EXP_ESP, %esp
	jne 8f
	cmpl $div_insn, (%esp)
	jne 8f
	cmpl $0x08, 4(%esp)
	jne 8f
	testl $0x200, 8(%esp)
	jz 8f
	mov 8(%esp), %ecx
	and $1, %ecx
	cmp FLAG_CF, %ecx
	jne 8f
	pushf
	pop %ecx
	and $0x200, %ecx
	cmp EXP_IF, %ecx
	jne 8f
	cmpl $0x\id, EXP_ID
	jne 8f
	jmp next
.endm

de_a:
	handler a
de_b:
	handler b
8:	mov $20, %al
	out %al, $DEBUG_EXIT
	hlt

/* The next DIV's gate, stack and code descriptor; this one's CF. */
next:
	push %eax
	push %edx
	push %ebx
	mov COUNT, %ecx
	inc %ecx
	mov %ecx, COUNT
	/* the stack: the other one every 7th; the 24th and the 48th DIV
	 * on the code page */
	mov %ecx, %eax
	xor %edx, %edx
	mov $7, %ebx
	div %ebx
	mov $STACK1, %edx
	test $1, %eax
	jz 1f
	mov $STACK2, %edx
1:	cmp $23, %ecx
	je 2f
	cmp $47, %ecx
	jne 3f
2:	mov $CODE_TOP, %edx
3:	mov %edx, NEXT_ESP
	/* IRQ0 masked from the 21st to the 49th */
	cmp $20, %ecx
	jne 1f
	mov $0xff, %al
	out %al, $0x21
1:	cmp $48, %ecx
	jne 1f
	mov $0xfe, %al
	out %al, $0x21
	/* every 3rd, the other handler */
1:	mov %ecx, %eax
	xor %edx, %edx
	mov $3, %ebx
	div %ebx
	test %edx, %edx
	jnz 1f
	mov $de_b, %eax
	cmpl $0xb, EXP_ID
	jne 2f
	mov $de_a, %eax
2:	xorl $(0xa ^ 0xb), EXP_ID
	mov %ax, IDT
	shr $16, %eax
	mov %ax, IDT + 6
	/* every 5th, interrupt <-> trap gate */
1:	mov %ecx, %eax
	xor %edx, %edx
	mov $5, %ebx
	div %ebx
	test %edx, %edx
	jnz 1f
	xorb $1, IDT + 5
	xorl $0x200, EXP_IF
	/* every 4th, CF in the frame */
1:	test $3, %ecx
	jnz 1f
	xorl $1, 12 + 8(%esp)
	xorl $1, EXP_CF
	/* every 11th, the code segment's AVL bit */
1:	mov %ecx, %eax
	xor %edx, %edx
	mov $11, %ebx
	div %ebx
	test %edx, %edx
	jnz 1f
	xorb $0x10, CS_FLAGS
1:	pop %ebx
	pop %edx
	pop %eax
	addl $2, (%esp)
	iret

/* IRQ0: count, EOI */
irq0:
	irq0_counter TICKS

	.p2align 3
gdt:
	.quad 0
	flat_kernel_gdt
	gdtr_idtr IDT, 0x21
gdt_data:
	.word 23
	.long GDT
