/*
 * SEL_ES (0x20) names, in the host's GDT, a DPL-3 entry (Linux's 32-bit
 * user code segment), so under direct execution the load does not trap
 * and ES holds the host's flat descriptor until the next exit. A store
 * through it faults there (code is not writable); the monitor must then
 * emulate it through the guest's own ES (base BASE_ES, SDM Vol. 3A
 * 3.4.3), and from then on reads through ES (SCAS) see the guest's
 * segment too. In the other modes this is plain segmentation.
 */
#include "guest.h"

	HARNESS
harness_main:
	movl $0x11111111, BASE_ES + 0x2000
	movl $0x12121212, 0x2000
	mov $SEL_ES, %eax
	mov %eax, %es
	mov $0x2000, %edi
	mov $0x45, %al
	stosb
	cmpb $0x45, BASE_ES + 0x2000
	fail_ne 1
	cmpb $0x12, 0x2000
	fail_ne 2
	mov $0x2001, %edi
	mov $0x11, %al
	scasb
	fail_ne 3
	pass
