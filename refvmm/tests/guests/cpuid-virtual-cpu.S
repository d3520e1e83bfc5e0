/*
 * Writes to COM1 what CPUID says about the virtual CPU: the four bytes
 * of EBX of leaf 0x40000000 (the start of the hypervisor's name), then
 * ECX[31:24] of leaf 1 (hypervisor, AVX, OSXSAVE, XSAVE, TSC-deadline).
 * Exits with 0.
 */
#include "guest.h"

	mov $0x40000000, %eax
	cpuid
	mov %ebx, %eax
	mov $COM1, %dx
	.rept 3
	out %al, %dx
	shr $8, %eax
	.endr
	out %al, %dx

	mov $1, %eax
	cpuid
	mov %ecx, %eax
	shr $24, %eax
	mov $COM1, %dx
	out %al, %dx

	mov $0, %al
	out %al, $DEBUG_EXIT
