/*
 * Multiboot entry of a 32-bit image: the loader leaves us in flat 32-bit
 * protected mode, paging off, with EAX = magic and EBX = info pointer.
 */
#include "multiboot.h"

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long MB_CHECKSUM

	.section .text.entry, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	mov %eax, mb_magic
	mov %ebx, mb_info
	/* bss first: the boot stack lives there */
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb
	mov $boot_stack + BOOT_STACK_SIZE, %esp
	xor %ebp, %ebp
	call guest_start
1:	cli
	hlt
	jmp 1b

	.data
	.globl mb_magic, mb_info
mb_magic: .long 0
mb_info: .long 0

	.bss
	.align 16
	.globl boot_stack
boot_stack:
	.skip BOOT_STACK_SIZE
