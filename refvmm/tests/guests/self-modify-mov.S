/*
 * A store that rewrites the immediate of "mov $5, %al" two instructions
 * later, in the same block: the guest must exit with the new value, 7.
 */
#include "guest.h"

	movb $7, patched + 1
	nop
	nop
	nop
patched:
	mov $5, %al
	out %al, $DEBUG_EXIT
	cli
	hlt
