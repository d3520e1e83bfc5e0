/*
 * MASKMOVQ and MASKMOVDQU through a segment the monitor cannot shadow:
 * base BASE_GS with a 4 GiB limit wraps past 4 GiB, so every access
 * through it is emulated. With a GS override and as DS, EDI 0x1028, the
 * odd bytes must land at BASE_GS + 0x1028 (SDM Vol. 2B MASKMOVQ; the
 * offset is within the limit, so no #GP), as escape-maskmov.S checks for
 * segments the monitor shadows.
 */
#include "guest.h"

	HARNESS
harness_main:
	mov %cr4, %eax
	or $0x200, %eax
	mov %eax, %cr4
	movq data, %mm0
	movq mask, %mm1
	movdqu data, %xmm0
	movdqu mask, %xmm1

/* @pfx none or 0x65; @q 1 for MASKMOVQ; @c the check code */
.macro store pfx, q, c
	movl $0xaaaaaaaa, BASE_GS + 0x1028
	movl $0xaaaaaaaa, BASE_GS + 0x102c
	movl $0xaaaaaaaa, BASE_GS + 0x1030
	movl $0xaaaaaaaa, BASE_GS + 0x1034
	load_segs SEL_WRAP, SEL_FLAT, SEL_FLAT, SEL_WRAP
	mov $0x1028, %edi
	.ifnc \pfx,none
	.byte \pfx
	.endif
	.if \q
	maskmovq %mm1, %mm0
	.else
	maskmovdqu %xmm1, %xmm0
	.endif
	load_segs SEL_FLAT, SEL_FLAT, SEL_FLAT, SEL_FLAT
	cmpl $0x44aa22aa, BASE_GS + 0x1028
	fail_ne \c
	cmpl $0x88aa66aa, BASE_GS + 0x102c
	fail_ne \c
	.if \q
	cmpl $0xaaaaaaaa, BASE_GS + 0x1030
	.else
	cmpl $0xbbaa99aa, BASE_GS + 0x1030
	.endif
	fail_ne \c
.endm

	store none, 1, 1
	store 0x65, 1, 2
	store none, 0, 3
	store 0x65, 0, 4
	emms
	pass

	.p2align 4
data:	.quad 0x8877665544332211, 0xffeeddccbbaa9988
mask:	.quad 0x8000800080008000, 0x8000800080008000
