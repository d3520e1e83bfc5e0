/*
 * Fast callouts (bt/fast.c): 10000 MOVs from CR0 at CPL 0 in a loop,
 * more than twice the integrity check's 4096 entries, then a value
 * written to CR2 (the full path) read back from CR2 (the fast one).
 * Exit 0 when EAX holds CR0.PE, ECX counted down and EBX read CR2 as
 * written, else the number of the failed check.
 */
#include "guest.h"

	mov $0x190000, %esp
	mov $10000, %ecx
	mov $0x10000, %esi
1:	mov %cr0, %eax
	dec %ecx
	jnz 1b
	mov $1, %ebx
	test $1, %eax		/* CR0.PE */
	jz fail
	mov $2, %ebx
	cmp $0x10000, %esi	/* untouched */
	jne fail
	mov $0x12345678, %eax
	mov %eax, %cr2
	xor %ebx, %ebx
	mov %cr2, %ebx
	cmp $0x12345678, %ebx
	mov $3, %ebx
	jne fail
	mov $0, %al
	out %al, $DEBUG_EXIT

fail:
	mov %bl, %al
	out %al, $DEBUG_EXIT
