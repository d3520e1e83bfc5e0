/*
 * Linux's i386 exit(0x42) through SYSENTER: it must stay a guest event
 * (a fault; no IDT: a triple fault), never reach the host.
 */

	mov $1, %eax		/* __NR_exit, i386 */
	mov $0x42, %ebx
	sysenter
