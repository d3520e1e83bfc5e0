/*
 * The string instructions whose source DS:ESI a prefix redirects (SDM
 * Vol. 2B LODS, MOVS, CMPS, OUTS; Vol. 1 3.7.5): each with no prefix
 * and with every segment override, once and with REP, ESI at 0x1028, an
 * offset inside the translator's own GS page. DS, ES, FS and GS have
 * distinct bases (guest.h), and at base + 0x1028 each holds 16 bytes of
 * its letter: 'D', 'E', 'F', 'G', and 'L' at linear 0x1028 for the flat
 * CS and SS. Each access must read the letter of the segment the SDM
 * names: the override's, DS without one. OUTS writes to COM1, so the
 * serial line shows which segment each read came from.
 */
#include "guest.h"

	HARNESS
harness_main:
	mov $0x1028, %edi
	mov $0x4c, %al
	call fill
	mov $(BASE_DS + 0x1028), %edi
	mov $0x44, %al
	call fill
	mov $(BASE_ES + 0x1028), %edi
	mov $0x45, %al
	call fill
	mov $(BASE_FS + 0x1028), %edi
	mov $0x46, %al
	call fill
	mov $(BASE_GS + 0x1028), %edi
	mov $0x47, %al
	call fill
	/* CMPS's other operand: each letter at ES:0x2000 + 16 * k */
	.irp k, 0, 1, 2, 3, 4
	mov $(BASE_ES + 0x2000 + 16 * \k), %edi
	mov $0, %al
	.if \k == 0
	mov $0x44, %al
	.elseif \k == 1
	mov $0x45, %al
	.elseif \k == 2
	mov $0x46, %al
	.elseif \k == 3
	mov $0x47, %al
	.else
	mov $0x4c, %al
	.endif
	call fill
	.endr

/* @pfx: none or the override's byte; @m its letter, @k the index of the
 * letter at ES:0x2000; @c the first of this case's check codes. */
.macro source pfx, m, k, c
	load_segs SEL_DS, SEL_ES, SEL_FS, SEL_GS
	cld
	mov $0x1028, %esi
	xor %eax, %eax
	.ifnc \pfx,none
	.byte \pfx
	.endif
	lodsl
	cmp $(\m * 0x01010101), %eax
	fail_ne \c
	cmp $0x102c, %esi
	fail_ne \c

	mov $0x1028, %esi
	mov $16, %ecx
	xor %eax, %eax
	.ifnc \pfx,none
	.byte \pfx
	.endif
	rep lodsb
	cmp $\m, %eax
	fail_ne \c + 1
	or %esi, %ecx
	cmp $0x1038, %ecx
	fail_ne \c + 1

	movl $0, %es:0x3000
	mov $0x1028, %esi
	mov $0x3000, %edi
	.ifnc \pfx,none
	.byte \pfx
	.endif
	movsl
	cmpl $(\m * 0x01010101), %es:0x3000
	fail_ne \c + 2

	movl $0, %es:0x300c
	mov $0x1028, %esi
	mov $0x3000, %edi
	mov $16, %ecx
	.ifnc \pfx,none
	.byte \pfx
	.endif
	rep movsb
	cmpl $(\m * 0x01010101), %es:0x300c
	fail_ne \c + 3
	or %edi, %ecx
	cmp $0x3010, %ecx
	fail_ne \c + 3

	mov $0x1028, %esi
	mov $(0x2000 + 16 * \k), %edi
	.ifnc \pfx,none
	.byte \pfx
	.endif
	cmpsb
	fail_ne \c + 4

	mov $0x1028, %esi
	mov $(0x2000 + 16 * \k), %edi
	mov $16, %ecx
	.ifnc \pfx,none
	.byte \pfx
	.endif
	repe cmpsb
	fail_ne \c + 5
	test %ecx, %ecx
	fail_ne \c + 5

	mov $COM1, %dx
	mov $0x1028, %esi
	.ifnc \pfx,none
	.byte \pfx
	.endif
	outsb
	mov $2, %ecx
	.ifnc \pfx,none
	.byte \pfx
	.endif
	rep outsb
.endm

	source none, 0x44, 0, 1
	source 0x26, 0x45, 1, 7
	source 0x2e, 0x4c, 4, 13
	source 0x36, 0x4c, 4, 19
	source 0x3e, 0x44, 0, 25
	source 0x64, 0x46, 2, 31
	source 0x65, 0x47, 3, 37
	pass

/* 16 bytes of %al at linear %edi, with the flat segments */
fill:
	push %eax
	load_segs SEL_FLAT, SEL_FLAT, SEL_FLAT, SEL_FLAT
	pop %eax
	mov $16, %ecx
	rep stosb
	ret
