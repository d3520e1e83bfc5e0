/*
 * IRET at CPL 0 with EFLAGS.VM = 1 in the popped image, the way into
 * virtual-8086 mode (SDM Vol. 3A 20.2.5). The software modes have no
 * virtual-8086 mode (their host process runs in IA-32e mode) and refuse
 * it with #GP(0) at the IRET, which the guest takes and passes on. Had
 * the IRET entered virtual-8086 mode, the UD2 at the 8086 CS:IP would
 * end the run with 0x40 + 6; any other exception ends it with 0x40 +
 * its vector.
 */
#include "guest.h"

#define V86_CS 0x1000

	HARNESS
harness_main:
	mov $v86_target, %eax
	sub $(V86_CS * 16), %eax
	expect_fault 13, refused
	pushl $0			/* GS */
	pushl $0			/* FS */
	pushl $0			/* DS */
	pushl $0			/* ES */
	pushl $0			/* SS */
	pushl $0x1000			/* ESP */
	pushl $0x20002			/* EFLAGS: VM, IOPL 0, IF 0 */
	pushl $V86_CS			/* CS */
	pushl %eax			/* EIP */
	iret
refused:
	fail_err 0, 2
	pass

v86_target:
	ud2
