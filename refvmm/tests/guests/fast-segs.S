/*
 * PUSH, POP and MOV of segment registers, CLAC and STAC as fast
 * callouts (bt/fast_seg.h, fast.c) at CPL 0. DS, ES, FS and GS hold four
 * data segments with distinct bases, each with its own marker at offset
 * 0x1000; N times the four are pushed and popped back in the reverse
 * order, which rotates them (DS gets GS's selector, ES FS's, ...), then
 * loaded by MOV from four registers with another order and back, and
 * every register is checked by its selector and by the marker read
 * through it (a POP or MOV that changed the selector but not the segment
 * the CPU uses shows). Where the CPU shows SMAP (CPUID.(EAX=7,ECX=0):EBX[20])
 * each round also runs STAC and CLAC and checks EFLAGS.AC with PUSHF.
 * Exit 0 when every check passed; else the failed check's number, or
 * 0x40 + vector for an unexpected fault (guest.h HARNESS).
 */
#include "guest.h"

#define N 200

/* the markers read through DS, ES, FS, GS (first: before any full
 * callout reloads what the gate left) must be those of @a, @b, @c, @d,
 * and the selectors those */
.macro CHECK a, b, c, d, code
	cmpl $\a, %ds:0x1000
	fail_ne \code
	cmpl $\b, %es:0x1000
	fail_ne \code + 1
	cmpl $\c, %fs:0x1000
	fail_ne \code + 2
	cmpl $\d, %gs:0x1000
	fail_ne \code + 3
	mov %ds, %eax
	cmp $\a, %eax
	fail_ne \code + 4
	mov %es, %eax
	cmp $\b, %eax
	fail_ne \code + 5
	mov %fs, %eax
	cmp $\c, %eax
	fail_ne \code + 6
	mov %gs, %eax
	cmp $\d, %eax
	fail_ne \code + 7
.endm

/* DS, ES, FS, GS loaded by MOV from four registers */
.macro MOVSEGS a, b, c, d
	mov $\a, %eax
	mov $\b, %ecx
	mov $\c, %edx
	mov $\d, %edi
	mov %eax, %ds
	mov %ecx, %es
	mov %edx, %fs
	mov %edi, %gs
.endm

.macro ROTATE
	push %ds
	push %es
	push %fs
	push %gs
	pop %ds
	pop %es
	pop %fs
	pop %gs
.endm

	HARNESS

harness_main:
	/* each segment's marker: its own selector */
	load_segs SEL_DS, SEL_ES, SEL_FS, SEL_GS
	movl $SEL_DS, %ds:0x1000
	movl $SEL_ES, %es:0x1000
	movl $SEL_FS, %fs:0x1000
	movl $SEL_GS, %gs:0x1000
	mov $7, %eax
	xor %ecx, %ecx
	cpuid
	xor %ebp, %ebp
	bt $20, %ebx
	jnc 1f
	inc %ebp
1:	mov $N, %esi
2:	ROTATE
	CHECK SEL_GS, SEL_FS, SEL_ES, SEL_DS, 1
	ROTATE
	CHECK SEL_DS, SEL_ES, SEL_FS, SEL_GS, 9
	MOVSEGS SEL_FS, SEL_GS, SEL_DS, SEL_ES
	CHECK SEL_FS, SEL_GS, SEL_DS, SEL_ES, 20
	MOVSEGS SEL_DS, SEL_ES, SEL_FS, SEL_GS
	CHECK SEL_DS, SEL_ES, SEL_FS, SEL_GS, 28
	test %ebp, %ebp
	jz 3f
	stac
	pushf
	pop %eax
	bt $18, %eax
	mov $17, %al
	jnc fail
	clac
	pushf
	pop %eax
	bt $18, %eax
	mov $18, %al
	jc fail
3:	dec %esi
	jnz 2b
	cmp $HV_STACK, %esp
	fail_ne 19
	pass

fail:
	out %al, $DEBUG_EXIT
	hlt
