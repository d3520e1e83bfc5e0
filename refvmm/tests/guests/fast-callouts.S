/*
 * Fast callouts (bt/fast.c): 10000 INs of the master 8259's IMR, a read
 * its device publishes as pure (pio_pure.h), at CPL 0 in a loop, more
 * than twice the integrity check's 4096 entries; then a value written to
 * CR2 (a callout) read back from CR2 (in the translation, from the copy
 * run_block keeps: bt/translate.c). Exit 0 when every IN read the IMR as
 * written, ECX counted down and EBX read CR2 as written, else the number
 * of the failed check.
 */
#include "guest.h"

	mov $0x190000, %esp
	mov $0xa5, %al
	out %al, $0x21		/* OCW1: the IMR */
	mov $10000, %ecx
	mov $1, %ebx
1:	in $0x21, %al
	cmp $0xa5, %al
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
