/*
 * The smallest well-behaved guest: exits through isa-debug-exit with 5
 * (status 11). One ordinary instruction and one port write, so a mode's
 * --stats and --trace each have something to show.
 */
#include "guest.h"

	mov $5, %al
	out %al, $DEBUG_EXIT
	cli
	hlt
