/*
 * Interrupt handlers of the 32-bit benchmarks: as short as the operation
 * allows, so the cycles measured are the monitor's, not the handler's.
 */
	.text

/* INT 0x80: count the call and return. */
	.globl bench_int80_stub
bench_int80_stub:
	incl bench_int80_count
	iret

/* SYSENTER: count, then SYSEXIT to EDX with ESP = ECX (SDM Vol. 2B). */
	.globl bench_sysenter_stub
bench_sysenter_stub:
	incl bench_fastcall_count
	sysexit

/* #DE from `div %ebx` (2 bytes, f7 f3): skip it and return. */
	.globl bench_de_stub
bench_de_stub:
	incl bench_de_count
	addl $2, (%esp)
	iret

/* #PF: bench_pf_fn(cr2, error), drop the error code, retry. */
	.globl bench_pf_stub
bench_pf_stub:
	pushal
	mov 32(%esp), %eax	/* error code, above the 8 saved registers */
	mov %cr2, %ecx
	push %eax
	push %ecx
	call *bench_pf_fn
	add $8, %esp
	popal
	add $4, %esp
	iret

	.section .note.GNU-stack, "", @progbits
