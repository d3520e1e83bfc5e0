/*
 * XLAT and MASKMOVQ through a segment the monitor cannot shadow (SEL_WRAP:
 * base BASE_GS, 4 GiB limit, wraps), so the monitor emulates them; the
 * details an emulator can get wrong, with the CPU's answers from the SDM:
 *  1. XLAT with a 67 prefix adds AL to BX and wraps at 16 bits (Vol. 2B
 *     XLAT): BX 0xfff0 + AL 0x20 reads offset 0x10, not 0x10010.
 *  2. MASKMOVQ reads MMn, the physical x87 register n, whatever TOP is
 *     (Vol. 1 9.5): after EMMS and FLD1 (TOP 7, 1.0 in R7) it still
 *     stores MM0's odd bytes; and, as every MMX instruction, it leaves
 *     FSW 0 (TOP 0) and all tags valid (FXSAVE's abridged tag byte 0xff)
 *     with MM7 FLD1's significand 0x8000000000000000.
 *  3. A masked store whose selected bytes straddle into a page that is
 *     not present is #PF (write, supervisor: error 2, CR2 in that page)
 *     and stores nothing, on the first page either (odd bytes selected:
 *     two separate stores there, one fault for the whole instruction).
 *  4. 2 again on code in the monitor window's linear range (guest
 *     paging maps it to WRAM), which the monitor runs without the CPU
 *     executing it first: a CPU that faulted MASKMOVQ natively may have
 *     made the x87 state TOP 0 already, the window leaves it to the
 *     emulator.
 */
#include "guest.h"

#define PD    0x1a0000
#define FXBUF 0x170000
#define HOLE  (BASE_GS + 0x2000) /* the page left not present */
#define PT_W  (PD + 0x7000)	 /* maps the window's range to WRAM */
#define WRAM  0x1000000
#define WIN   0xffc00100

	HARNESS
harness_main:
	mov %cr4, %eax
	or $0x200, %eax /* CR4.OSFXSR for FXSAVE */
	mov %eax, %cr4

	/* 1 */
	movb $0x5a, BASE_GS + 0x10
	movb $0xa5, BASE_GS + 0x10010
	load_segs SEL_WRAP, SEL_FLAT, SEL_FLAT, SEL_FLAT
	mov $0xfff0, %ebx
	mov $0x20, %eax
	addr16 xlat
	mov %eax, %edx
	load_segs SEL_FLAT, SEL_FLAT, SEL_FLAT, SEL_FLAT
	cmp $0x5a, %edx
	fail_ne 1

	/* 2 */
	movl $0xaaaaaaaa, BASE_GS + 0x1028
	movl $0xaaaaaaaa, BASE_GS + 0x102c
	fninit
	movq data, %mm0
	movq mask, %mm1
	emms /* tags empty, MM0 and MM1 stay: FLD1 pushes to R7 */
	fld1
	load_segs SEL_WRAP, SEL_FLAT, SEL_FLAT, SEL_FLAT
	mov $0x1028, %edi
	maskmovq %mm1, %mm0
	load_segs SEL_FLAT, SEL_FLAT, SEL_FLAT, SEL_FLAT
	cmpl $0x44aa22aa, BASE_GS + 0x1028
	fail_ne 2
	cmpl $0x88aa66aa, BASE_GS + 0x102c
	fail_ne 2
	fnstsw %ax
	cmp $0, %ax /* TOP 0, no exception */
	fail_ne 3
	fxsave FXBUF
	cmpb $0xff, FXBUF + 4
	fail_ne 4
	movq %mm7, FXBUF + 0x200
	cmpl $0, FXBUF + 0x200
	fail_ne 5
	cmpl $0x80000000, FXBUF + 0x204
	fail_ne 5
	movq %mm0, FXBUF + 0x200
	cmpl $0x44332211, FXBUF + 0x200
	fail_ne 6

	/* 3: 24 MiB identity-mapped but HOLE */
	cld
	mov $(PD + 0x1000), %edi
	mov $0x3, %eax
	mov $(6 * 1024), %ecx
1:	stosl
	add $0x1000, %eax
	loop 1b
	movl $0, PD + 0x1000 + (HOLE >> 12) * 4
	mov $(WRAM | 0x3), %eax
	mov $1024, %ecx
3:	stosl
	add $0x1000, %eax
	loop 3b
	movl $(PT_W | 0x3), PD + 1023 * 4
	mov $win_code, %esi
	mov $(WRAM + 0x100), %edi
	mov $(win_end - win_code), %ecx
	rep movsb
	mov $PD, %edi
	mov $(PD + 0x1003), %eax
	mov $6, %ecx
2:	stosl
	add $0x1000, %eax
	loop 2b
	mov $PD, %eax
	mov %eax, %cr3
	mov %cr0, %eax
	or $0x80000000, %eax
	mov %eax, %cr0
	movl $0xaaaaaaaa, HOLE - 8
	movl $0xaaaaaaaa, HOLE - 4
	load_segs SEL_WRAP, SEL_FLAT, SEL_FLAT, SEL_FLAT
	mov $(HOLE - BASE_GS - 4), %edi
	expect_fault 14, pf
	maskmovq %mm1, %mm0
	fail 7
pf:
	load_segs SEL_FLAT, SEL_FLAT, SEL_FLAT, SEL_FLAT
	fail_err 2, 8
	mov %cr2, %eax
	and $~0xfff, %eax
	cmp $HOLE, %eax
	fail_ne 9
	cmpl $0xaaaaaaaa, HOLE - 4
	fail_ne 10
	cmpl $0xaaaaaaaa, HOLE - 8
	fail_ne 10

	/* 4 */
	movl $0xaaaaaaaa, BASE_GS + 0x1028
	movl $0xaaaaaaaa, BASE_GS + 0x102c
	fninit
	movq data, %mm0
	movq mask, %mm1
	emms
	fld1
	mov $(BASE_GS + 0x1028), %edi
	mov $back, %ecx
	cs jmp *win_ptr
back:
	cmpl $0x44aa22aa, BASE_GS + 0x1028
	fail_ne 11
	cmpl $0x88aa66aa, BASE_GS + 0x102c
	fail_ne 11
	fnstsw %ax
	cmp $0, %ax
	fail_ne 12
	fxsave FXBUF
	cmpb $0xff, FXBUF + 4
	fail_ne 13
	movq %mm7, FXBUF + 0x200
	cmpl $0, FXBUF + 0x200
	fail_ne 14
	cmpl $0x80000000, FXBUF + 0x204
	fail_ne 14
	movq %mm0, FXBUF + 0x200
	cmpl $0x44332211, FXBUF + 0x200
	fail_ne 15
	emms
	pass

win_code:
	maskmovq %mm1, %mm0
	jmp *%ecx
win_end:

	.p2align 3
data:	.quad 0x8877665544332211
mask:	.quad 0x8000800080008000
win_ptr: .long WIN
