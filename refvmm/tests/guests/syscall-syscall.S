/*
 * Linux's x86-64 exit(0x42) through SYSCALL from 32-bit code: it must
 * stay a guest event (a fault; no IDT: a triple fault), never reach the
 * host.
 */

	mov $60, %eax		/* __NR_exit, x86-64 */
	mov $0x42, %ebx
	syscall
