/*
 * One store instruction (at 0x10000a) that hits pc-testdev's MMIO for
 * the first 101 iterations of a 200-long loop, then plain RAM: it traps,
 * then stops trapping, so --mode bt adapts it and adapts it back. Exits
 * with 3.
 */
#include "guest.h"

	mov $TESTDEV_MMIO, %ebx
	mov $200, %ecx
store:
	mov %ecx, (%ebx)
	cmp $100, %ecx
	jne 1f
	mov $0x200000, %ebx
1:	dec %ecx
	jnz store
	mov $3, %al
	out %al, $DEBUG_EXIT
	cli
	hlt
