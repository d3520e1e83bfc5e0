/*
 * The PC devices a Linux kernel touches before its drivers, as it
 * touches them: the RTC's status registers and a BCD seconds field, the
 * 8042's self-test, and PIT channel 2 in mode 0 gated through port 0x61
 * with OUT polled in bit 5 (pit_calibrate_tsc with a 10 ms latch). What
 * is checked does not depend on how fast the guest runs: GATE low holds
 * the count exactly.
 * Passes with status 1; N names the failed check (status 2N + 1).
 */
#include "guest.h"

	mov $HV_STACK, %esp /* Multiboot leaves ESP undefined */

	/* RTC: VRT in D, the BIOS's rate in A (UIP masked), 24 h BCD in B */
	mov $0x0d, %al
	out %al, $0x70
	in $0x71, %al
	cmp $0x80, %al
	fail_ne 1
	mov $0x0a, %al
	out %al, $0x70
	in $0x71, %al
	and $0x7f, %al
	cmp $0x26, %al
	fail_ne 2
	mov $0x0b, %al
	out %al, $0x70
	in $0x71, %al
	cmp $0x02, %al
	fail_ne 3
	/* seconds: two BCD digits, at most 59 */
	mov $0x00, %al
	out %al, $0x70
	in $0x71, %al
	cmp $0x59, %al
	ja 9f
	and $0x0f, %al
	cmp $0x09, %al
	jbe 1f
9:	fail 4
1:
	/* 8042 self-test: result 0x55 in the output buffer */
	mov $0xaa, %al
	out %al, $0x64
	in $0x64, %al
	and $0x03, %al
	cmp $0x01, %al
	fail_ne 5
	in $0x60, %al
	cmp $0x55, %al
	fail_ne 6

	/* PIT channel 2 with GATE low: mode 0, 11931 clocks, held */
	in $0x61, %al
	and $0xfc, %al
	out %al, $0x61
	mov $0xb0, %al
	out %al, $0x43
	mov $0x9b, %al
	out %al, $0x42
	mov $0x2e, %al
	out %al, $0x42
	in $0x61, %al
	test $0x20, %al
	jz 1f
	fail 7 /* OUT must be low until terminal count */
1:	call latch2
	cmp $0x2e9b, %ax
	fail_ne 8 /* GATE low: not one clock counted */
	/* GATE high: OUT rises 10 ms later */
	in $0x61, %al
	or $0x01, %al
	out %al, $0x61
	mov $50000000, %ecx
2:	in $0x61, %al
	test $0x20, %al
	jnz 3f
	loop 2b
	fail 9 /* OUT never rose */
	/* GATE low again: the count stands still */
3:	and $0xfe, %al
	out %al, $0x61
	call latch2
	mov %ax, %bx
	call latch2
	cmp %bx, %ax
	fail_ne 10
	pass

/* Latches channel 2 and reads its count into AX. */
latch2:
	mov $0x80, %al
	out %al, $0x43
	in $0x42, %al
	mov %al, %dl
	in $0x42, %al
	mov %al, %ah
	mov %dl, %al
	ret
