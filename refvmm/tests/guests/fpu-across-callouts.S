/*
 * The guest's x87 and SSE state across callouts: XMM0-7, MXCSR and two
 * x87 registers are loaded, then MOV from CR0 (in the translation under
 * bt, a trap under trap mode), CPUID, a PUSH ES (a fast callout under
 * bt: the gate finishes it with the guest's registers loaded) and an IN
 * from the UART's IIR (an I/O exit to the run loop; a trap under trap
 * mode) run, and every register must
 * read back as loaded. Then XMM3 and MXCSR change after a callout (the
 * state the world switch restored is modified: XSAVEOPT must write it
 * again, SDM Vol. 1 13.6), and one more callout must keep the new
 * values. Exit 0 when everything held, else the number of the failed
 * check.
 */
#include "guest.h"

#define CR4_OSFXSR     (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define MXCSR_A 0x7f80 /* all exceptions masked, round toward zero */
#define MXCSR_B 0x3f80 /* round up */

	mov $0x190000, %esp
	mov %cr4, %eax
	or $(CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
	mov %eax, %cr4
	mov %cr0, %eax
	and $~0xc, %eax		/* EM and TS clear: x87/SSE run */
	or $0x22, %eax		/* MP, NE */
	mov %eax, %cr0
	fninit
	fld1
	fldpi
	ldmxcsr mx_a
	movdqu pat + 0, %xmm0
	movdqu pat + 16, %xmm1
	movdqu pat + 32, %xmm2
	movdqu pat + 48, %xmm3
	movdqu pat + 64, %xmm4
	movdqu pat + 80, %xmm5
	movdqu pat + 96, %xmm6
	movdqu pat + 112, %xmm7

	call callouts
	mov $1, %ebx
	call check_xmm
	mov $2, %ebx
	stmxcsr mx_seen
	cmpl $MXCSR_A, mx_seen
	jne fail

	/* modify what the last entry restored, then leave again */
	movdqu pat + 128, %xmm3
	movdqu %xmm3, pat + 48
	ldmxcsr mx_b
	call callouts
	mov $3, %ebx
	call check_xmm
	mov $4, %ebx
	stmxcsr mx_seen
	cmpl $MXCSR_B, mx_seen
	jne fail

	/* the x87 stack: ST0 = pi, ST1 = 1 */
	mov $5, %ebx
	fstpl x87_seen
	mov x87_seen + 4, %eax
	cmp $0x400921fb, %eax	/* pi, high dword of the double */
	jne fail
	mov $6, %ebx
	fstpl x87_seen
	mov x87_seen + 4, %eax
	cmp $0x3ff00000, %eax	/* 1.0 */
	jne fail
	mov $0, %al
	out %al, $DEBUG_EXIT

fail:
	mov %bl, %al
	out %al, $DEBUG_EXIT

callouts:
	mov %cr0, %eax
	xor %eax, %eax
	xor %ecx, %ecx
	cpuid
	push %es
	pop %eax
	mov $(COM1 + 2), %dx
	in %dx, %al
	mov %cr0, %eax
	ret

/* XMMn == pat[n] for n = 0..7, else fail with EBX */
check_xmm:
	pcmpeqb pat + 0, %xmm0
	pcmpeqb pat + 16, %xmm1
	pcmpeqb pat + 32, %xmm2
	pcmpeqb pat + 48, %xmm3
	pcmpeqb pat + 64, %xmm4
	pcmpeqb pat + 80, %xmm5
	pcmpeqb pat + 96, %xmm6
	pcmpeqb pat + 112, %xmm7
	pand %xmm1, %xmm0
	pand %xmm2, %xmm0
	pand %xmm3, %xmm0
	pand %xmm4, %xmm0
	pand %xmm5, %xmm0
	pand %xmm6, %xmm0
	pand %xmm7, %xmm0
	pmovmskb %xmm0, %eax
	cmp $0xffff, %eax
	jne fail
	/* the registers again, for the next round */
	movdqu pat + 0, %xmm0
	movdqu pat + 16, %xmm1
	movdqu pat + 32, %xmm2
	movdqu pat + 48, %xmm3
	movdqu pat + 64, %xmm4
	movdqu pat + 80, %xmm5
	movdqu pat + 96, %xmm6
	movdqu pat + 112, %xmm7
	ret

	.balign 16
pat:
	.set n, 0
	.rept 9
	.long 0x01234567 + n * 0x01010101, 0x89abcdef - n
	.long 0xfedcba98 ^ (n << 8), 0x76543210 + (n << 24)
	.set n, n + 1
	.endr
mx_a:	.long MXCSR_A
mx_b:	.long MXCSR_B
mx_seen: .long 0
	.balign 8
x87_seen: .quad 0
