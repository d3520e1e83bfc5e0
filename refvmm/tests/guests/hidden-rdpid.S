/* RDPID, then exit 0: #UD where the CPU has no RDPID. */
#include "guest.h"

	rdpid %eax
	mov $0, %al
	out %al, $DEBUG_EXIT
