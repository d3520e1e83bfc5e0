/*
 * Demand paging through every form the gate finishes for an adapted
 * access (bt/fast_shadow.h): N rounds, each the first touch of a page
 * whose PTE (and every 4th round, whose PDE too) is not present. The
 * #PF handler checks what the architecture delivers (SDM Vol. 3A 4.7,
 * 6.12.1, 6.13, 17.3.1.1), maps the page and returns; the access runs
 * again, and the round unmaps the page (PTE 0, INVLPG). Round r uses
 * form r % 7, each on a linear page of its own, DEMAND + form * 4 KiB,
 * backed by frame FRAMES + form * 4 KiB:
 *   0 MOV m32, imm32 with a disp32 (C7 05), DS
 *   1 MOV m32, r32 with a base (89), DS
 *   2 MOV moffs, EAX (A3)
 *   3 MOV r32, m32 with a base (8B), DS
 *   4 MOV EAX, moffs (A1)
 *   5 MOV m32, imm32 with a base and disp8 (C7 43), DS
 *   6 MOV r32, m32 with EBP as base (8B 45), SS
 * The handler checks the error code (P = 0; W for a store), CR2, the
 * frame's EIP (the access's), CS and EFLAGS (IF as it was, RF = 1: a
 * fault), and IF after the gate, which turns from an interrupt gate
 * into a trap gate or back every 3rd round. After the access the round
 * checks that one #PF came, that the store landed in the frame (the
 * target word cleared first) or the load read what the handler put
 * there, and that the access set A, and D for a store, in the PTE
 * (4.8).
 * Exit 0 when all held, else the number of the failed check.
 */
#include "guest.h"

#define N	 2100
#define PD	 0x200000
#define PT0	 0x201000 /* identity, the first 4 MiB */
#define PT1	 0x202000 /* DEMAND's table */
#define IDT	 0x203000
#define DEMAND	 0x800000 /* PD entry 2 */
#define FRAMES	 0x300000
#define COUNT	 0x180000
#define EXP_EIP	 0x180004
#define EXP_CR2	 0x180008
#define EXP_ERR	 0x18000c
#define EXP_IF	 0x180010 /* IF in the handler: 0x200 after a trap gate */
#define LOAD_XOR 0x13579bdf
#define IMM	 0x5eed1234
#define IMM8	 0x0badf00d

/* the target of form @f at offset @off: its page, and the frame word */
#define LIN(f, off)   (DEMAND + (f) * 0x1000 + (off))
#define FRAME(f, off) (FRAMES + (f) * 0x1000 + (off))

	flat_kernel 0x190000
	/* the PIC masked: IF is set below, and nothing may interrupt */
	mov $0xff, %al
	out %al, $0x21
	out %al, $0xa1
	identity_pt PT0
	mov $PT1, %edi
	xor %eax, %eax
	mov $1024, %ecx
	rep stosl
	movl $(PT0 | 0x63), PD
	movl $(PT1 | 0x03), PD + 8
	idt_gate IDT, 14, pf_handler, 0x08, 0x8e
	lidt idtr
	mov $PD, %eax
	mov %eax, %cr3
	mov %cr0, %eax
	or $0x80000000, %eax
	mov %eax, %cr0
	movl $0, COUNT
	movl $0, EXP_IF
	sti

	xor %esi, %esi		/* the round */
round:
	mov %esi, %eax
	xor %edx, %edx
	mov $7, %ecx
	div %ecx		/* EDX: the form */
	mov COUNT, %edi		/* the count before */
	movl $2, EXP_ERR
	jmp *forms(,%edx,4)

form0:
	movl $0, FRAME(0, 0x18)
	movl $LIN(0, 0x18), EXP_CR2
	movl $1f, EXP_EIP
1:	movl $IMM, LIN(0, 0x18)
	mov $1, %cl
	cmpl $IMM, FRAME(0, 0x18)
	jne fail_cl
	mov $0, %ebx
	jmp stored

form1:
	/* a different word each round: the round at its offset */
	mov %esi, %ebx
	and $0x3fc, %ebx
	movl $0, FRAMES + 0x1000(%ebx)
	lea LIN(1, 0)(%ebx), %eax
	mov %eax, EXP_CR2
	movl $1f, EXP_EIP
	mov %eax, %ebx
	mov %esi, %eax
	xor $0xa5000000, %eax
1:	mov %eax, (%ebx)
	mov $2, %cl
	cmp %eax, (FRAMES - DEMAND)(%ebx)
	jne fail_cl
	mov $1, %ebx
	jmp stored

form2:
	movl $0, FRAME(2, 0x24)
	movl $LIN(2, 0x24), EXP_CR2
	movl $1f, EXP_EIP
	mov %esi, %eax
	not %eax
1:	mov %eax, LIN(2, 0x24)
	mov $3, %cl
	cmp %eax, FRAME(2, 0x24)
	jne fail_cl
	mov $2, %ebx
	jmp stored

form3:
	movl $0, EXP_ERR
	mov %esi, %ebx
	and $0x3fc, %ebx
	lea LIN(3, 0)(%ebx), %ebx
	mov %ebx, EXP_CR2
	movl $1f, EXP_EIP
	xor %eax, %eax
1:	mov (%ebx), %eax
	mov $4, %cl
	xor $LOAD_XOR, %eax
	cmp %ebx, %eax
	jne fail_cl
	mov $3, %ebx
	jmp loaded

form4:
	movl $0, EXP_ERR
	movl $LIN(4, 0x30), EXP_CR2
	movl $1f, EXP_EIP
	xor %eax, %eax
1:	mov LIN(4, 0x30), %eax
	mov $5, %cl
	cmp $(LIN(4, 0x30) ^ LOAD_XOR), %eax
	jne fail_cl
	mov $4, %ebx
	jmp loaded

form5:
	mov %esi, %ebx
	and $0x3fc, %ebx
	movl $0, FRAMES + 0x5000 + 0x10(%ebx)
	lea LIN(5, 0x10)(%ebx), %eax
	mov %eax, EXP_CR2
	lea LIN(5, 0)(%ebx), %ebx
	movl $1f, EXP_EIP
1:	movl $IMM8, 0x10(%ebx)
	mov $6, %cl
	cmpl $IMM8, (FRAMES - DEMAND + 0x10)(%ebx)
	jne fail_cl
	mov $5, %ebx
	jmp stored

form6:
	movl $0, EXP_ERR
	mov %esi, %ebp
	and $0x3f8, %ebp
	lea LIN(6, 4)(%ebp), %eax
	mov %eax, EXP_CR2
	lea LIN(6, 0)(%ebp), %ebp
	movl $1f, EXP_EIP
	xor %eax, %eax
1:	mov 4(%ebp), %eax	/* 8b 45 04: SS */
	lea 4(%ebp), %ebx
	mov $7, %cl
	xor $LOAD_XOR, %eax
	cmp %ebx, %eax
	jne fail_cl
	mov $6, %ebx
	jmp loaded

/* EBX: the form. One #PF, A and D set by the store. */
stored:
	mov $0x60, %edx
	jmp after
/* EBX: the form. One #PF, A set by the load, D clear. */
loaded:
	mov $0x20, %edx
after:
	mov $8, %cl
	inc %edi
	cmp COUNT, %edi
	jne fail_cl
	mov $9, %cl
	mov PT1(,%ebx,4), %eax	/* DEMAND is PT1's entry 0 */
	and $0x60, %eax
	cmp %edx, %eax
	jne fail_cl
	mov $10, %cl
	testl $0x20, PD + 8
	jz fail_cl
	/* unmap the page; every 4th round its table too */
	movl $0, PT1(,%ebx,4)
	shl $12, %ebx
	invlpg DEMAND(%ebx)
	test $3, %esi
	jnz 1f
	movl $0, PD + 8
	invlpg DEMAND(%ebx)
	/* every 3rd round, the other kind of gate */
1:	mov %esi, %eax
	xor %edx, %edx
	mov $3, %ecx
	div %ecx
	test %edx, %edx
	jnz 2f
	xorb $1, IDT + 14 * 8 + 5
	xorl $0x200, EXP_IF
2:	inc %esi
	cmp $N, %esi
	jne round
	pass

/* EAX, ECX, EDX saved (EBX is the access's): the error code at
 * 12(%esp), then EIP, CS, EFLAGS */
pf_handler:
	push %eax
	push %ecx
	push %edx
	mov $20, %cl
	mov 12(%esp), %eax
	cmp EXP_ERR, %eax
	jne fail_cl
	mov $21, %cl
	mov 16(%esp), %eax
	cmp EXP_EIP, %eax
	jne fail_cl
	mov $22, %cl
	cmpw $0x08, 20(%esp)
	jne fail_cl
	mov $23, %cl
	mov 24(%esp), %eax
	and $0x10200, %eax	/* RF, IF */
	cmp $0x10200, %eax
	jne fail_cl
	mov $24, %cl
	mov %cr2, %eax
	cmp EXP_CR2, %eax
	jne fail_cl
	mov $25, %cl
	pushf
	pop %edx
	and $0x200, %edx
	cmp EXP_IF, %edx
	jne fail_cl
	/* the table if it is gone, then the page: its frame, P RW, A and
	 * D clear; a load finds CR2 ^ LOAD_XOR there */
	testl $1, PD + 8
	jnz 1f
	movl $(PT1 | 0x03), PD + 8
1:	mov %eax, %edx
	sub $DEMAND, %edx
	shr $12, %edx
	mov $26, %cl
	cmp $7, %edx
	jae fail_cl
	cmpl $0, EXP_ERR
	jne 2f
	mov %eax, %ecx
	and $0xfff, %ecx
	shl $12, %edx
	add %edx, %ecx
	shr $12, %edx
	xor $LOAD_XOR, %eax
	mov %eax, FRAMES(%ecx)
2:	mov %edx, %eax
	shl $12, %eax
	add $(FRAMES | 0x03), %eax
	mov %eax, PT1(,%edx,4)
	incl COUNT
	pop %edx
	pop %ecx
	pop %eax
	add $4, %esp		/* the error code */
	iret

fail_cl:
	mov %cl, %al
	out %al, $DEBUG_EXIT
	hlt

	.p2align 2
forms:
	.long form0, form1, form2, form3, form4, form5, form6

	.p2align 3
gdt:
	.quad 0
	flat_kernel_gdt
	gdtr_idtr IDT, 15
