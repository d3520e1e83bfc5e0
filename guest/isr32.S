/*
 * 32-bit exception and interrupt entry: one 16-byte stub per vector
 * (so the IDT can be filled by arithmetic), then a common path that saves
 * the registers as struct ex_regs and calls exception_dispatch(regs).
 * Vectors that push an error code: SDM Vol. 3A, 6.13 and Table 6-1.
 */
	.text
	.code32
	.align 16
	.globl isr_stubs
isr_stubs:
	vec = 0
	.rept 256
	.align 16
	.if vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30
	.else
	push $0
	.endif
	push $vec
	jmp isr_common
	vec = vec + 1
	.endr

isr_common:
	pushal
	push %ds
	push %es
	push %fs
	push %gs
	mov $0x88, %eax
	mov %ax, %ds
	mov %ax, %es
	cld
	push %esp
	call exception_dispatch
	add $4, %esp
	pop %gs
	pop %fs
	pop %es
	pop %ds
	popal
	add $8, %esp
	iret

/* int guest_setjmp(struct jmpbuf *jb) */
	.globl guest_setjmp
guest_setjmp:
	mov 4(%esp), %eax
	mov %ebx, 0(%eax)
	mov %esi, 4(%eax)
	mov %edi, 8(%eax)
	mov %ebp, 12(%eax)
	lea 4(%esp), %ecx
	mov %ecx, 16(%eax)
	mov (%esp), %ecx
	mov %ecx, 20(%eax)
	pushf
	pop %ecx
	mov %ecx, 24(%eax)
	xor %eax, %eax
	ret

/* void guest_longjmp(struct jmpbuf *jb, int val) */
	.globl guest_longjmp
guest_longjmp:
	mov 4(%esp), %edx
	mov 8(%esp), %eax
	mov 0(%edx), %ebx
	mov 4(%edx), %esi
	mov 8(%edx), %edi
	mov 12(%edx), %ebp
	mov 16(%edx), %esp
	pushl 24(%edx)
	popf
	jmp *20(%edx)

/* Where code run by run_at_cpl() returns to: back to CPL 0 by a gate. */
	.globl ring_return
ring_return:
	int $0x7f
	ud2
