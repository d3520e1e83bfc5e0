/* XSAVES to a 64-byte aligned area at 0x2000, then exit 0: #UD where the
 * CPU has no XSAVES (a host CPL 3 #GP if run natively). */
#include "guest.h"

	mov $3, %eax
	xor %edx, %edx
	mov $0x2000, %ebx
	xsaves (%ebx)
	mov $0, %al
	out %al, $DEBUG_EXIT
