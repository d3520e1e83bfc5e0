/*
 * One CPUID (leaf 0) and one RDTSC, then exit 0: the two instructions
 * the host traps (CPUID faulting, RDTSC trapping) catch in direct
 * execution.
 */
#include "guest.h"

	xor %eax, %eax
	xor %ecx, %ecx
	cpuid
	rdtsc
	mov $0, %al
	out %al, $DEBUG_EXIT
