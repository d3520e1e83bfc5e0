/*
 * Stores 0x1234 to pc-testdev's MMIO window and loads it back (the
 * short moffs form of MOV to EAX): both accesses are emulated, and the
 * low byte read back is the exit value, 0x34.
 */
#include "guest.h"

	movl $0x1234, TESTDEV_MMIO
	mov TESTDEV_MMIO, %eax
	out %al, $DEBUG_EXIT
