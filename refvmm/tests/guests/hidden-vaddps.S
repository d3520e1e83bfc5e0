/* A VEX-encoded AVX add, then exit 0: #UD where the CPU has no AVX. */
#include "guest.h"

	vaddps %xmm1, %xmm0, %xmm0
	mov $0, %al
	out %al, $DEBUG_EXIT
