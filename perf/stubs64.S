/*
 * Interrupt handlers of the 64-bit benchmarks: as short as the operation
 * allows, so the cycles measured are the monitor's, not the handler's.
 */
	.text

/* INT 0x80: count the call and return. */
	.globl bench_int80_stub
bench_int80_stub:
	incq bench_int80_count(%rip)
	iretq

/* SYSCALL: count, then SYSRET to RCX with RFLAGS = R11 (SDM Vol. 2B). */
	.globl bench_syscall_stub
bench_syscall_stub:
	incq bench_fastcall_count(%rip)
	sysretq

/* #DE from `div %ebx` (2 bytes, f7 f3): skip it and return. */
	.globl bench_de_stub
bench_de_stub:
	incq bench_de_count(%rip)
	addq $2, (%rsp)
	iretq

/* #PF: bench_pf_fn(cr2, error), drop the error code, retry. The CPU
 * aligned RSP to 16 before the 6-word frame; 9 saves + 8 keep the call
 * aligned (SysV ABI). */
	.globl bench_pf_stub
bench_pf_stub:
	push %rax
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	sub $8, %rsp
	mov 80(%rsp), %rsi	/* error code */
	mov %cr2, %rdi
	call *bench_pf_fn(%rip)
	add $8, %rsp
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rax
	add $8, %rsp
	iretq

	.section .note.GNU-stack, "", @progbits
