/*
 * Code in the monitor window's linear range, reached the rare ways: an
 * indirect jump through a CS-overridden memory operand (`cs: jmp [m]`)
 * and a far jump (escape-window-no-ram.S: the same with paging off).
 * The last page directory entry maps
 * the range to guest RAM holding code whose every access is implicit:
 * LODS, STOS, XLAT and MASKMOVQ through DS:EDI, all at window addresses.
 * Each must go through the guest's page tables to guest RAM (Vol. 3A
 * 4.3), never to the monitor's pages at the same host addresses.
 */
#include "guest.h"

#define PD   0x1a0000
#define PT_W (PD + 0x7000)
#define WRAM 0x1000000
#define WIN  0xffc00100

	HARNESS
harness_main:
	/* page tables: 24 MiB identity, the window's range at WRAM */
	cld
	mov $(PD + 0x1000), %edi
	mov $0x3, %eax
	mov $(6 * 1024), %ecx
3:	stosl
	add $0x1000, %eax
	loop 3b
	mov $(WRAM | 0x3), %eax
	mov $1024, %ecx
4:	stosl
	add $0x1000, %eax
	loop 4b
	mov $PD, %edi
	mov $(PD + 0x1003), %eax
	mov $6, %ecx
5:	stosl
	add $0x1000, %eax
	loop 5b
	movl $(PT_W | 0x3), PD + 1023 * 4
	/* the code at WIN, its data at WIN + 0xf00 */
	mov $win_code, %esi
	mov $(WRAM + 0x100), %edi
	mov $(win_end - win_code), %ecx
	rep movsb
	movl $0x11223344, WRAM + 0x1000
	movl $0xaaaaaa99, WRAM + 0x1044
	movl $0xaaaaaaaa, WRAM + 0x1048
	mov $PD, %eax
	mov %eax, %cr3
	mov %cr0, %eax
	or $0x80000000, %eax
	mov %eax, %cr0
	movq data, %mm0
	movq mask, %mm1

/* @how 1: cs: jmp [m]; 2: a far jump */
.macro into_window how, c
	mov $0xffc01000, %esi
	mov $0xffc01040, %edi
	mov $0xffc01000, %ebx
	mov $.Lback\@, %ecx
	.if \how == 1
	cs jmp *win_ptr
	.else
	ljmp $SEL_CODE, $WIN
	.endif
.Lback\@:
	cmp $0x11223399, %eax
	fail_ne \c
	cmp $0xffc01004, %esi
	fail_ne \c
	cmp $0xffc0104c, %edi
	fail_ne \c
	cmpl $0x11223344, WRAM + 0x1040
	fail_ne \c + 1
	cmpl $0x44aa2299, WRAM + 0x1044
	fail_ne \c + 2
	cmpl $0x88aa66aa, WRAM + 0x1048
	fail_ne \c + 2
	movl $0xaaaaaa99, WRAM + 0x1044
	movl $0xaaaaaaaa, WRAM + 0x1048
.endm

	into_window 1, 3
	into_window 2, 6
	emms
	pass

win_code:
	lodsl
	stosl
	xlat
	maskmovq %mm1, %mm0
	add $8, %edi
	jmp *%ecx
win_end:

	.p2align 3
win_ptr: .long WIN
data:	.quad 0x8877665544332211
mask:	.quad 0x8000800080008000
