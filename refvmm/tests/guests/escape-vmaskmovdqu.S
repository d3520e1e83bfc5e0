/*
 * VMASKMOVDQU (VEX.128.66.0F F7) stores through DS:EDI like MASKMOVDQU,
 * but it is AVX, which the virtual CPU hides, and this guest leaves
 * CR4.OSXSAVE clear: #UD (SDM Vol. 2B VMASKMOVDQU, Vol. 2A 2.8 "#UD if
 * CR4.OSXSAVE = 0"), with no prefix and with a GS or CS override, and
 * nothing stored at the segment's base + EDI.
 */
#include "guest.h"

	HARNESS
harness_main:
	mov %cr4, %eax
	or $0x200, %eax
	mov %eax, %cr4
	movl $0xaaaaaaaa, BASE_GS + 0x1028
	movl $0xaaaaaaaa, BASE_DS + 0x1028
	load_segs SEL_DS, SEL_FLAT, SEL_FLAT, SEL_GS
	pcmpeqb %xmm0, %xmm0
	pcmpeqb %xmm1, %xmm1
	mov $0x1028, %edi
	expect_fault 6, 1f
	vmaskmovdqu %xmm1, %xmm0
	fail 1
1:	expect_fault 6, 2f
	gs vmaskmovdqu %xmm1, %xmm0
	fail 2
2:	expect_fault 6, 3f
	cs vmaskmovdqu %xmm1, %xmm0
	fail 3
3:	load_segs SEL_FLAT, SEL_FLAT, SEL_FLAT, SEL_FLAT
	cmpl $0xaaaaaaaa, BASE_GS + 0x1028
	fail_ne 4
	cmpl $0xaaaaaaaa, BASE_DS + 0x1028
	fail_ne 4
	pass
