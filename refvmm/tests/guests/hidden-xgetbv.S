/* XGETBV of XCR0, then exit 0: #UD where the CPU has no XSAVE. */
#include "guest.h"

	xor %ecx, %ecx
	xgetbv
	mov $0, %al
	out %al, $DEBUG_EXIT
