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

/*
 * void seq_return(int code, u32 addr, u32 checks, u32 failures): back to
 * the ISO sequencer at addr in flat 32-bit protected mode, paging off,
 * EAX = code, EBX = checks, ECX = failures (docs/iso.md). The
 * probe may have rewritten the runtime's GDT, so a three-entry GDT of our
 * own gives the flat segments; the code here is identity-mapped, so
 * clearing CR0.PG goes on at the next instruction (SDM Vol. 3A 10.9.2).
 */
	.text
	.globl seq_return
seq_return:
	cli
	mov 4(%esp), %eax
	mov 8(%esp), %edx
	mov 12(%esp), %ebx
	mov 16(%esp), %esi
	lgdt seq_ret_gdt_descr
	ljmp $0x08, $1f
1:	mov $0x10, %cx
	mov %cx, %ds
	mov %cx, %es
	mov %cx, %fs
	mov %cx, %gs
	mov %cx, %ss
	mov %cr0, %ecx
	and $0x7fffffff, %ecx
	mov %ecx, %cr0
	mov %esi, %ecx
	jmp *%edx

	.data
	.align 8
seq_ret_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: flat 32-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: flat data */
seq_ret_gdt_descr:
	.word 3 * 8 - 1
	.long seq_ret_gdt
