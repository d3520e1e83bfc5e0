/*
 * INT 0x80 and IRETD in the translation (bt/fast_isys.h, isys.S) while
 * the kernel changes, with plain stores and paging off (no exit), what
 * the routines were armed with, and while the PIT raises IRQ0 about
 * 10,000 times a second (kicks land inside the routines). Before each
 * IRETD the handler sets up the next round trip:
 * - TSS.ESP0 alternates between two stacks; for the 24th and the 48th
 *   INT, which change nothing else, it is the top of a page whose only
 *   code is a RET called once (a page with translations: the frame's
 *   stores fault in the host, the routine is rolled back and the INT is
 *   the full path's; IRQ0 is masked around those, as interrupts
 *   delivered on that stack would make the page check itself instead
 *   of faulting);
 * - every 3rd the gate's offset moves to the other handler (EBX says
 *   which ran), every 5th the gate turns from an interrupt into a trap
 *   gate or back (IF in the handler says which it was), every 7th
 *   TSS.SS0 moves to the other flat DPL-0 stack segment (the handler
 *   reads SS);
 * - every 4th the frame's CF is set (the user reads CF after the INT),
 *   every 9th the user data descriptor's limit changes (IRETD loads SS
 *   from it: the routine must not use the armed bytes).
 * The handler checks ESP against the ESP0 it set and the frame (EIP,
 * CS, EFLAGS.IF, ESP, SS; SDM Vol. 3A 6.12.1), the user EAX + 1, EBX,
 * CF, ESP and IF (SDM Vol. 2A IRET).
 * Exit 0 when every check passed, the kernel counted every round trip
 * and the timer interrupted; else the failed check's number (from CPL 3
 * through INT 0x81 with BL).
 */
#include "guest.h"

#define N	   3000
#define COUNT	   0x180000
#define TICKS	   0x180004
#define EXP_ESP	   0x180008 /* ESP at the handler: ESP0 - 20 */
#define EXP_EBX	   0x18000c /* 0xa or 0xb: the handler the gate names */
#define EXP_IF	   0x180010 /* 0x200 after a trap gate, 0 else */
#define EXP_SS	   0x180014
#define EXP_CF	   0x180018
#define IDT	   0x181000
#define TSS	   0x182000
#define KSTACK1	   0x190000
#define KSTACK2	   0x198000
/* A page whose only code is one RET (translated: the page is
 * protected), and its top */
#define CODE_PAGE  0x1c0000
#define CODE_TOP   0x1c1000
#define USTACK	   0x1a0000
#define SEL_K_CS   0x08
#define SEL_K_DS   0x10
#define SEL_U_CS   0x1b
#define SEL_U_DS   0x23
#define SEL_K_SS2  0x30
#define UDS_DESC   (gdt + 0x20 + 4) /* the limit's high nibble: 0xf/0xe */

/* after a cmp at CPL 3: fails with @code unless ZF is set */
.macro ufail_ne code
	je .Luok\@
	mov $\code, %bl
	int $0x81
.Luok\@:
.endm

	kernel_entry TSS, 0x188000, KSTACK1, SEL_K_DS
	movl $(KSTACK1 - 20), EXP_ESP
	movl $0xa, EXP_EBX
	movl $0, EXP_IF
	movl $SEL_K_DS, EXP_SS
	movl $0, EXP_CF
	movb $0xc3, CODE_PAGE
	mov $CODE_PAGE, %eax
	call *%eax
	idt_gate IDT, 0x20, irq0, SEL_K_CS, 0x8e
	idt_gate IDT, 0x80, int80a, SEL_K_CS, 0xee
	idt_gate IDT, 0x81, ufail_k, SEL_K_CS, 0xee
	idt_gate IDT, 0x82, done, SEL_K_CS, 0xee
	lidt idtr
	movl $0, COUNT
	movl $0, TICKS
	timer_irq0_10khz
	iret_to_user SEL_U_CS, SEL_U_DS, USTACK, user

user:
	mov $N, %esi
2:	mov %esi, %eax
	clc
	int $0x80
	setc %dl
	movzbl %dl, %edx
	cmp EXP_CF, %edx
	ufail_ne 1
	lea 1(%esi), %edx
	cmp %edx, %eax
	ufail_ne 2
	cmp EXP_EBX, %ebx
	ufail_ne 3
	cmp $USTACK, %esp
	ufail_ne 4
	pushf
	pop %edx
	and $0x200, %edx
	cmp $0x200, %edx
	ufail_ne 5
	dec %esi
	jnz 2b
	int $0x82

/* The handler, as A (EBX 0xa) and B (0xb). */
.macro handler id
	cmp EXP_ESP, %esp
	jne 8f
	cmpl $SEL_U_CS, 4(%esp)
	jne 8f
	testl $0x200, 8(%esp)
	jz 8f
	cmpl $USTACK, 12(%esp)
	jne 8f
	cmpl $SEL_U_DS, 16(%esp)
	jne 8f
	pushf
	pop %ebx
	and $0x200, %ebx
	cmp EXP_IF, %ebx
	jne 8f
	mov %ss, %ebx
	cmp EXP_SS, %ebx
	jne 8f
	cmpl $0x\id, EXP_EBX
	jne 8f
	mov $0x\id, %ebx
	inc %eax
	jmp next
.endm

int80a:
	handler a
int80b:
	handler b
8:	mov $20, %al
	out %al, $DEBUG_EXIT
	hlt

/* The next round trip's gate, stack, segments; this one's CF and the
 * user's SS descriptor. EAX and EBX are the user's answer. */
next:
	push %eax
	mov COUNT, %ecx
	inc %ecx
	mov %ecx, COUNT
	/* TSS.ESP0 */
	mov $KSTACK1, %eax
	test $1, %ecx
	jz 1f
	mov $KSTACK2, %eax
1:	cmp $23, %ecx
	je 3f
	cmp $47, %ecx
	jne 1f
3:	mov $CODE_TOP, %eax
1:	mov %eax, TSS + 4
	/* IRQ0 masked from the 21st to the 49th: interrupts delivered on
	 * the page would turn it to self-checking */
	cmp $20, %ecx
	jne 1f
	mov $0xff, %al
	out %al, $0x21
1:	cmp $48, %ecx
	jne 1f
	mov $0xfe, %al
	out %al, $0x21
1:	mov TSS + 4, %eax
	sub $20, %eax
	mov %eax, EXP_ESP
	/* the gate's offset: every 3rd, the other handler */
	mov %ecx, %eax
	xor %edx, %edx
	mov $3, %ebx
	div %ebx
	test %edx, %edx
	jnz 1f
	mov $int80b, %eax
	cmpl $0xb, EXP_EBX
	jne 2f
	mov $int80a, %eax
2:	xorl $(0xa ^ 0xb), EXP_EBX
	mov %ax, IDT + 0x80 * 8
	shr $16, %eax
	mov %ax, IDT + 0x80 * 8 + 6
	/* every 5th, interrupt <-> trap gate */
1:	mov %ecx, %eax
	xor %edx, %edx
	mov $5, %ebx
	div %ebx
	test %edx, %edx
	jnz 1f
	xorb $1, IDT + 0x80 * 8 + 5
	xorl $0x200, EXP_IF
	/* every 7th, the other SS0 */
1:	mov %ecx, %eax
	xor %edx, %edx
	mov $7, %ebx
	div %ebx
	test %edx, %edx
	jnz 1f
	xorl $(SEL_K_DS ^ SEL_K_SS2), TSS + 8
	xorl $(SEL_K_DS ^ SEL_K_SS2), EXP_SS
	/* every 4th, CF in the frame (the user checks it) */
1:	movl $0, EXP_CF
	test $3, %ecx
	jnz 1f
	orl $1, 8 + 4(%esp)
	movl $1, EXP_CF
	/* every 9th, the user data descriptor's limit, 4 GiB or 4 GiB - 4 KiB */
1:	mov %ecx, %eax
	xor %edx, %edx
	mov $9, %ebx
	div %ebx
	test %edx, %edx
	jnz 1f
	xorb $0x01, UDS_DESC + 2
1:	pop %eax
	mov EXP_EBX, %ebx
	iret

/* IRQ0 from either level: count, EOI */
irq0:
	irq0_counter TICKS

ufail_k:
	ufail_exit

done:
	done_counted N, COUNT, TICKS

	.p2align 3
gdt:
	.quad 0
	kernel_user_gdt TSS
	DESC(0, 0xfffff, 0x93, 0xc)	/* 0x30 */
	gdtr_idtr IDT, 0x83
