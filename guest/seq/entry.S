/*
 * The sequencer's Multiboot entry, its own flat GDT, and the two halves of
 * running an image: seq_enter() hands the CPU to an image exactly as a
 * Multiboot loader would (flat 32-bit protected mode, paging off, EAX =
 * magic, EBX = info); seq_resume is where an image's exit path jumps back
 * (docs/iso.md "Return path"), after which seq_enter() returns the code.
 */
#include "../multiboot.h"

#define SEQ_CS 0x08
#define SEQ_DS 0x10
#define SEQ_STACK_SIZE 16384

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
	mov %eax, %esi
	mov %ebx, %edx
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb
	mov %esi, seq_mb_magic
	mov %edx, seq_mb_info
	call seq_load_segments
	mov $seq_stack + SEQ_STACK_SIZE, %esp
	xor %ebp, %ebp
	call seq_main
1:	cli
	hlt
	jmp 1b

/* Our GDT, our selectors: whatever the loader or the last image left. */
seq_load_segments:
	lgdt seq_gdt_descr
	ljmp $SEQ_CS, $1f
1:	mov $SEQ_DS, %cx
	mov %cx, %ds
	mov %cx, %es
	mov %cx, %fs
	mov %cx, %gs
	mov %cx, %ss
	ret

/* int seq_enter(u32 entry, u32 mbi): returns the image's exit code. */
	.globl seq_enter
seq_enter:
	push %ebp
	push %ebx
	push %esi
	push %edi
	mov %esp, seq_saved_esp
	mov 20(%esp), %ecx
	mov 24(%esp), %ebx
	mov $MB_BOOT_MAGIC, %eax
	xor %edx, %edx
	xor %esi, %esi
	xor %edi, %edi
	xor %ebp, %ebp
	jmp *%ecx

/*
 * An image comes back here: flat 32-bit protected mode, paging off,
 * interrupts off, flat segments of the image's own, EAX = exit code,
 * EBX = checks it reported, ECX = how many failed.
 */
	.globl seq_resume
seq_resume:
	cli
	cld
	mov %ebx, seq_ret_checks
	mov %ecx, seq_ret_failures
	mov %eax, %esi
	lgdt seq_gdt_descr
	ljmp $SEQ_CS, $1f
1:	mov $SEQ_DS, %cx
	mov %cx, %ds
	mov %cx, %es
	mov %cx, %fs
	mov %cx, %gs
	mov %cx, %ss
	mov seq_saved_esp, %esp
	mov %esi, %eax
	pop %edi
	pop %esi
	pop %ebx
	pop %ebp
	ret

/*
 * Vectors 0x20-0xff while the sequencer drains what an image left
 * pending in the local APIC: accept, EOI, return (seq_main.c).
 */
	.globl seq_irq_drain
seq_irq_drain:
	push %eax
	mov seq_lapic_eoi, %eax
	movl $0, (%eax)
	incl seq_drained
	pop %eax
	iret

/* Every vector: the sequencer itself never expects one. */
	.globl seq_trap
seq_trap:
	cli
	mov $seq_stack + SEQ_STACK_SIZE, %esp
	call seq_unexpected_trap
2:	hlt
	jmp 2b

	.data
	.align 8
seq_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: flat 32-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: flat data */
seq_gdt_end:
seq_gdt_descr:
	.word seq_gdt_end - seq_gdt - 1
	.long seq_gdt
	.globl seq_mb_magic, seq_mb_info
seq_mb_magic: .long 0
seq_mb_info: .long 0
seq_saved_esp: .long 0
	.globl seq_lapic_eoi, seq_drained
seq_lapic_eoi: .long 0
seq_drained: .long 0
	.globl seq_ret_checks, seq_ret_failures
seq_ret_checks: .long 0
seq_ret_failures: .long 0

	.bss
	.align 16
seq_stack:
	.skip SEQ_STACK_SIZE
