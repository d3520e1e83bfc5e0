/*
 * An attempt to forge the monitor's patch site, where it writes the jump
 * that chains a block to its successor: GS-overridden dword stores at
 * every GS offset 0..0x40 and 0x1000..0x1040 (the translator's own GS
 * page keeps its exit fields near both), each a pointer the monitor
 * would patch through: first into guest RAM (a canary page), then into
 * the translation cache (0xffc2411c). After each round, branches that
 * must be chained (new direct targets, a loop, CALL/RET) and a callout.
 * Architecturally (SDM Vol. 3A 3.4.2) every store lands at BASE_GS +
 * offset, the overlapping dwords leaving the pointer's low byte at each
 * offset and its other three bytes after the last; the canary page
 * stays zero.
 */
#include "guest.h"

#define CANARY 0x300000

	HARNESS
harness_main:
	mov $CANARY, %edi
	xor %eax, %eax
	mov $1024, %ecx
	rep stosl

.macro round value, c
	mov $SEL_GS, %eax
	mov %eax, %gs
	mov $\value, %eax
	xor %ecx, %ecx
.Lst\@:
	mov %eax, %gs:(%ecx)
	mov %eax, %gs:0x1000(%ecx)
	inc %ecx
	cmp $0x40, %ecx
	jbe .Lst\@
	/* new blocks reached by direct branches, chained on first use */
	jmp .La\@
.Lb\@:
	jmp .Lc\@
.La\@:
	jmp .Lb\@
.Lc\@:
	mov $20, %ecx
.Lloop\@:
	call nothing
	loop .Lloop\@
	mov $0x80, %dx
	out %al, %dx
	mov $SEL_FLAT, %eax
	mov %eax, %gs
	mov $(((\value) & 0xff) * 0x01010101), %eax
	.irp base, BASE_GS, BASE_GS+0x1000
	mov $\base, %edi
	mov $16, %ecx
	repe scasl
	fail_ne \c
	cmpl $\value, \base + 0x40
	fail_ne \c + 1
	.endr
	mov $CANARY, %edi
	xor %eax, %eax
	mov $1024, %ecx
	repe scasl
	fail_ne \c + 2
.endm

	round CANARY+0x11c, 1
	round 0xffc2411c, 4
	pass

nothing:
	ret
