/*
 * MASKMOVQ and MASKMOVDQU store through DS:EDI, and a segment override
 * redirects that store (SDM Vol. 2B MASKMOVQ, MASKMOVDQU). Each form
 * stores the odd bytes of 0x..8877665544332211 (mask 0x80 in every odd
 * byte) once with DS (based at BASE_DS), with a DS override, with a GS
 * override at the GS offsets the translator's own GS page uses, and with
 * a CS override. The architectural results: each store lands at the
 * segment's base + EDI and leaves the even bytes; a store through CS is
 * #GP(0), since code segments are never writable (Vol. 3A 3.4.5.1,
 * 6.15). Between the stores the checks call and return, so the monitor
 * chains blocks and serves indirect branches with what its page holds.
 */
#include "guest.h"

	HARNESS
harness_main:
	/* CR4.OSFXSR, or MASKMOVDQU is #UD (Vol. 3A 13.1.3) */
	mov %cr4, %eax
	or $0x200, %eax
	mov %eax, %cr4
	movq data, %mm0
	movq mask, %mm1
	movdqu data, %xmm0
	movdqu mask, %xmm1

/* One store: @pfx is none or a prefix byte, @sel the segment under
 * test (loaded into DS and GS), @off EDI, @lin where it must land. */
.macro store insn, check, pfx, sel, off, lin, code
	mov $\lin, %ebx
	call fill
	load_segs \sel, SEL_FLAT, SEL_FLAT, \sel
	mov $\off, %edi
	.ifnc \pfx,none
	.byte \pfx
	.endif
	\insn
	load_segs SEL_FLAT, SEL_FLAT, SEL_FLAT, SEL_FLAT
	mov $\code, %ecx
	call \check
.endm

.macro forms insn, check
	store "\insn", \check, none, SEL_DS, 0x1028, BASE_DS + 0x1028, 0x10
	store "\insn", \check, 0x3e, SEL_DS, 0x1028, BASE_DS + 0x1028, 0x14
	.irp off, 0, 0x8, 0x28, 0x1000, 0x1008, 0x1028, 0x2000, 0x2ff8
	store "\insn", \check, 0x65, SEL_GS, \off, BASE_GS + \off, 0x18
	.endr
	/* CS: #GP(0), nothing stored */
	mov $0x1028, %ebx
	call fill
	mov $0x1028, %edi
	expect_fault 13, .Lgp\@
	.byte 0x2e
	\insn
	fail 0x20
.Lgp\@:
	fail_err 0, 0x21
	mov $0x1028, %ebx
	cmpl $0xaaaaaaaa, (%ebx)
	fail_ne 0x22
.endm

	forms "maskmovq %mm1, %mm0", checkq
	forms "maskmovdqu %xmm1, %xmm0", checkdq

	emms
	/* a callout after all: the monitor's page still works */
	mov $0x80, %dx
	out %al, %dx
	pass

/* 16 bytes of 0xaa at linear %ebx (DS flat) */
fill:
	movl $0xaaaaaaaa, (%ebx)
	movl $0xaaaaaaaa, 4(%ebx)
	movl $0xaaaaaaaa, 8(%ebx)
	movl $0xaaaaaaaa, 12(%ebx)
	ret

/* The odd bytes of data at %ebx, 0xaa elsewhere; fails with %cl. */
checkq:
	cmpl $0x44aa22aa, (%ebx)
	jne 1f
	cmpl $0x88aa66aa, 4(%ebx)
	jne 1f
	cmpl $0xaaaaaaaa, 8(%ebx)
	jne 1f
	ret
checkdq:
	cmpl $0x44aa22aa, (%ebx)
	jne 1f
	cmpl $0x88aa66aa, 4(%ebx)
	jne 1f
	cmpl $0xbbaa99aa, 8(%ebx)
	jne 1f
	cmpl $0xffaaddaa, 12(%ebx)
	jne 1f
	ret
1:	mov %cl, %al
	out %al, $DEBUG_EXIT
	hlt

	.p2align 4
data:	.quad 0x8877665544332211, 0xffeeddccbbaa9988
mask:	.quad 0x8000800080008000, 0x8000800080008000
