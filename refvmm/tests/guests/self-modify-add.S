/*
 * As self-modify-mov.S, with a read-modify-write: 5 + 2 is again 7.
 */
#include "guest.h"

	addb $2, patched + 1
	nop
	nop
	nop
patched:
	mov $5, %al
	out %al, $DEBUG_EXIT
	cli
	hlt
