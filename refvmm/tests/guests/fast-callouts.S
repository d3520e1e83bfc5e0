/*
 * Fast callouts (bt/fast.c): 10001 PUSH ES at CPL 0, the first before a
 * loop of 10000, more than twice the integrity check's 4096 entries;
 * then a value written to CR2 (a callout) read back from CR2 (in the
 * translation, from the copy run_block keeps: bt/translate.c). Exit 0
 * when every PUSH pushed the selector the first did, ECX counted down
 * and EBX read CR2 as written, else the number of the failed check.
 */
#include "guest.h"

	mov $0x190000, %esp
	push %es
	pop %edx
	mov $10000, %ecx
	mov $1, %ebx
1:	push %es
	pop %eax
	cmp %edx, %eax
	jne fail
	dec %ecx
	jnz 1b
	mov $2, %ebx
	test %ecx, %ecx
	jnz fail
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
