/*
 * proxy_stub__exec(struct proxy_ctx *): runs one guest instruction,
 * re-encoded by proxy.c with its memory operand moved to a scratch
 * buffer, against the guest's registers, arithmetic flags and FPU/SSE
 * state, in 64-bit mode inside the monitor. Layout of struct proxy_ctx:
 * proxy_stub.h.
 */
#define CTX_GPR    0
#define CTX_FLAGS  64
#define CTX_CODE   72
#define CTX_XGUEST 80
#define CTX_XHOST  88
#define CTX_FXSAVE 96

	.text
	.code64

#include "refvmm/sw/fpu_switch.h"

	.globl proxy_stub__exec
	.type proxy_stub__exec, @function
proxy_stub__exec:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rdi, %r15
	fpu_switch_r15 CTX_FXSAVE, CTX_XHOST, CTX_XGUEST
	mov CTX_CODE(%r15), %r14
	pushq CTX_FLAGS(%r15)
	popfq
	mov CTX_GPR+0(%r15), %rax
	mov CTX_GPR+8(%r15), %rcx
	mov CTX_GPR+16(%r15), %rdx
	mov CTX_GPR+24(%r15), %rbx
	mov CTX_GPR+40(%r15), %rbp
	mov CTX_GPR+48(%r15), %rsi
	mov CTX_GPR+56(%r15), %rdi
	call *%r14
	mov %rax, CTX_GPR+0(%r15)
	mov %rcx, CTX_GPR+8(%r15)
	mov %rdx, CTX_GPR+16(%r15)
	mov %rbx, CTX_GPR+24(%r15)
	mov %rbp, CTX_GPR+40(%r15)
	mov %rsi, CTX_GPR+48(%r15)
	mov %rdi, CTX_GPR+56(%r15)
	pushfq
	popq CTX_FLAGS(%r15)
	cld
	fpu_switch_r15 CTX_FXSAVE, CTX_XGUEST, CTX_XHOST
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret
	.size proxy_stub__exec, . - proxy_stub__exec

	.section .note.GNU-stack, "", @progbits
