/*
 * The string instructions whose ES:EDI no prefix redirects (SDM Vol. 2B
 * STOS, SCAS, INS: "ES segment cannot be overridden"): each with no
 * prefix and with every segment override, once and with REP, EDI at
 * offsets inside the translator's own GS page. ES (BASE_ES) holds 16
 * bytes of 'E' (0x45) at 0x1028; GS (BASE_GS) 'G' (0x47) there. Each
 * store must land at BASE_ES + EDI and nowhere else, each compare read
 * ES. INS reads port 0x99, which no device claims (all ones).
 */
#include "guest.h"

	HARNESS
harness_main:
	mov $(BASE_ES + 0x1028), %edi
	mov $0x45, %al
	mov $16, %ecx
	rep stosb
	mov $(BASE_GS + 0x1028), %edi
	mov $0x47, %al
	mov $16, %ecx
	rep stosb

/* @pfx: none or the override's byte; @c the first check code. */
.macro dest pfx, c
	load_segs SEL_FLAT, SEL_FLAT, SEL_FLAT, SEL_FLAT
	movl $0, BASE_ES + 0x3000
	movl $0, BASE_ES + 0x300c
	movl $0, BASE_ES + 0x3010
	movl $0, BASE_GS + 0x3000
	movl $0, BASE_DS + 0x3000
	load_segs SEL_DS, SEL_ES, SEL_FS, SEL_GS
	cld
	mov $0x5a5a5a5a, %eax
	mov $0x3000, %edi
	.ifnc \pfx,none
	.byte \pfx
	.endif
	stosl
	mov $0x3004, %ecx
	sub %edi, %ecx
	fail_ne \c
	mov $0x3004, %edi
	mov $12, %ecx
	.ifnc \pfx,none
	.byte \pfx
	.endif
	rep stosb

	mov $0x1028, %edi
	mov $0x45, %al
	.ifnc \pfx,none
	.byte \pfx
	.endif
	scasb
	fail_ne \c + 1
	mov $0x1028, %edi
	mov $16, %ecx
	.ifnc \pfx,none
	.byte \pfx
	.endif
	repe scasb
	fail_ne \c + 2
	test %ecx, %ecx
	fail_ne \c + 2

	mov $0x99, %dx
	mov $0x3010, %edi
	.ifnc \pfx,none
	.byte \pfx
	.endif
	insb
	mov $3, %ecx
	.ifnc \pfx,none
	.byte \pfx
	.endif
	rep insb

	load_segs SEL_FLAT, SEL_FLAT, SEL_FLAT, SEL_FLAT
	cmpl $0x5a5a5a5a, BASE_ES + 0x3000
	fail_ne \c + 3
	cmpl $0x5a5a5a5a, BASE_ES + 0x300c
	fail_ne \c + 3
	cmpl $0xffffffff, BASE_ES + 0x3010
	fail_ne \c + 4
	cmpl $0, BASE_GS + 0x3000
	fail_ne \c + 5
	cmpl $0, BASE_DS + 0x3000
	fail_ne \c + 5
.endm

	dest none, 1
	dest 0x26, 7
	dest 0x2e, 13
	dest 0x36, 19
	dest 0x3e, 25
	dest 0x64, 31
	dest 0x65, 37
	pass
