/*
 * Resets the PC through System Control Port A: A20 (bit 1) reads back
 * set as the BIOS left it, then bit 0 written as 1 (fast reset). refvmm
 * ends the run with status 0; status 5 means A20 did not read back,
 * status 3 that the reset did not happen.
 */
#include "guest.h"

	in $0x92, %al
	cmp $0x02, %al
	je 1f
	mov $2, %al
	out %al, $DEBUG_EXIT
	cli
	hlt
1:	or $0x01, %al
	out %al, $0x92
	mov $1, %al
	out %al, $DEBUG_EXIT
	cli
	hlt
