/*
 * Lookup misses finished by the gate (bt/fast_lookup.h): two functions
 * copied to X and Y, whose EIPs share one slot of the indirect-branch
 * lookup table (slot (eip ^ eip >> 12) & 0xfff: 0x200 for both), are
 * called in turn through a register, N times each: every call misses,
 * since the other call's target took the slot. X adds 1 to ESI, Y adds 1
 * to EDI: a miss that ran the other's translation shows in the sums.
 * Exit 0 when ESI = EDI = N, else the failed check's number.
 */
#include "guest.h"

#define N 1000
#define X 0x300100
#define Y 0x301101

	cli
	mov $0x190000, %esp
	/* inc %esi; ret at X, inc %edi; ret at Y */
	movw $0xc346, X
	movw $0xc347, Y
	xor %esi, %esi
	xor %edi, %edi
	mov $N, %ecx
	mov $X, %eax
	mov $Y, %edx
1:	call *%eax
	call *%edx
	dec %ecx
	jnz 1b
	cmp $N, %esi
	fail_ne 1
	cmp $N, %edi
	fail_ne 2
	pass
