/*
 * IA32_APIC_BASE as the virtual CPU has it: writes its value (4 bytes,
 * little endian) to COM1, writes it back unchanged, then sets the
 * x2APIC enable bit (10), which raises #GP(0) where x2APIC is hidden
 * (SDM Vol. 3A, "x2APIC State Transitions"): no IDT, so the run ends in
 * a triple fault. Exits with 1 if the WRMSR did not fault.
 */
#include "guest.h"

	mov $0x1b, %ecx
	rdmsr
	mov %eax, %ebx
	mov $COM1, %dx
	.rept 3
	out %al, %dx
	shr $8, %eax
	.endr
	out %al, %dx

	mov %ebx, %eax
	xor %edx, %edx
	wrmsr
	or $0x400, %eax
	wrmsr
	mov $1, %al
	out %al, $DEBUG_EXIT
