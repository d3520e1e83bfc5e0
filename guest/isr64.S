/*
 * 64-bit exception and interrupt entry; see isr32.S. The CPU aligns RSP
 * to 16 before pushing the frame (SDM Vol. 3A, 6.14.2), and the common
 * path pushes 15 registers after vector and error code, so the call is
 * made with an aligned stack.
 */
	.text
	.code64
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
	push %rax
	push %rcx
	push %rdx
	push %rbx
	push %rbp
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	cld
	mov %rsp, %rdi
	call exception_dispatch
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rbp
	pop %rbx
	pop %rdx
	pop %rcx
	pop %rax
	add $16, %rsp
	iretq

/* int guest_setjmp(struct jmpbuf *jb) */
	.globl guest_setjmp
guest_setjmp:
	mov %rbx, 0(%rdi)
	mov %rbp, 8(%rdi)
	mov %r12, 16(%rdi)
	mov %r13, 24(%rdi)
	mov %r14, 32(%rdi)
	mov %r15, 40(%rdi)
	lea 8(%rsp), %rax
	mov %rax, 48(%rdi)
	mov (%rsp), %rax
	mov %rax, 56(%rdi)
	pushf
	pop %rax
	mov %rax, 64(%rdi)
	xor %eax, %eax
	ret

/* void guest_longjmp(struct jmpbuf *jb, int val) */
	.globl guest_longjmp
guest_longjmp:
	mov %esi, %eax
	mov 0(%rdi), %rbx
	mov 8(%rdi), %rbp
	mov 16(%rdi), %r12
	mov 24(%rdi), %r13
	mov 32(%rdi), %r14
	mov 40(%rdi), %r15
	mov 48(%rdi), %rsp
	pushq 64(%rdi)
	popf
	jmp *56(%rdi)

	.globl ring_return
ring_return:
	int $0x7f
	ud2
