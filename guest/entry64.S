/*
 * Multiboot entry of a 64-bit image. The loader starts us in 32-bit
 * protected mode; we identity-map the first 4 GiB with 2 MiB pages
 * (user-accessible, so probes can run code at CPL 3), enable PAE, set
 * EFER.LME, turn on paging and far-jump into the 64-bit code segment
 * (SDM Vol. 3A, 10.8.5 "Initializing IA-32e Mode").
 */
#include "multiboot.h"

#define PTE_P_RW_US 0x7
#define PDE_LARGE (PTE_P_RW_US | 0x80)

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
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb
	mov $boot_stack + BOOT_STACK_SIZE, %esp

	mov $boot_pdpt + PTE_P_RW_US, %eax
	mov %eax, boot_pml4
	mov $boot_pd + PTE_P_RW_US, %eax
	xor %ecx, %ecx
1:	mov %eax, boot_pdpt(,%ecx,8)
	add $0x1000, %eax
	inc %ecx
	cmp $4, %ecx
	jb 1b
	mov $PDE_LARGE, %eax
	xor %edx, %edx
	xor %ecx, %ecx
2:	mov %eax, boot_pd(,%ecx,8)
	mov %edx, boot_pd+4(,%ecx,8)
	add $0x200000, %eax
	adc $0, %edx
	inc %ecx
	cmp $2048, %ecx
	jb 2b

	mov %cr4, %eax
	or $0x20, %eax			/* CR4.PAE */
	mov %eax, %cr4
	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx		/* EFER */
	rdmsr
	or $0x100, %eax			/* LME */
	wrmsr
	mov %cr0, %eax
	or $0x80000001, %eax		/* PG | PE */
	mov %eax, %cr0
	lgdt gdt_boot_descr
	ljmp $0xc0, $start64

	.code64
start64:
	mov $0x88, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	mov $boot_stack + BOOT_STACK_SIZE, %rsp
	xor %ebp, %ebp
	call guest_start
3:	cli
	hlt
	jmp 3b

	.data
	.align 8
gdt_boot_descr:
	.word 48 * 8 - 1
	.long gdt
	.globl mb_magic, mb_info
mb_magic: .long 0
mb_info: .long 0

	.bss
	.align 4096
	.globl boot_pml4
boot_pml4: .skip 4096
boot_pdpt: .skip 4096
boot_pd: .skip 4 * 4096

	.bss
	.align 16
	.globl boot_stack
boot_stack:
	.skip BOOT_STACK_SIZE

/*
 * void seq_return(int code, u32 addr, u32 checks, u32 failures): back to
 * the ISO sequencer at addr in flat 32-bit protected mode, paging off,
 * EAX = code, EBX = checks, ECX = failures (docs/iso.md). Leaving
 * IA-32e mode follows SDM Vol. 3A 10.8.5.4: to compatibility mode through
 * a 32-bit code segment of our own GDT, clear CR0.PG from identity-mapped
 * code (LMA drops), then clear EFER.LME.
 */
	.text
	.code64
	.globl seq_return
seq_return:
	cli
	mov %edi, %ebx			/* code */
	mov %esi, %ebp			/* addr */
	mov %edx, %edi			/* checks */
	mov %ecx, %esi			/* failures */
	lgdt seq_ret_gdt_descr
	pushq $0x08
	lea 1f(%rip), %rax
	pushq %rax
	lretq
	.code32
1:	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
	mov %cr0, %eax
	and $0x7fffffff, %eax
	mov %eax, %cr0
	mov $0xc0000080, %ecx		/* EFER */
	rdmsr
	and $~0x100, %eax		/* LME */
	wrmsr
	mov %ebx, %eax
	mov %edi, %ebx
	mov %esi, %ecx
	jmp *%ebp

	.data
	.align 8
seq_ret_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: flat 32-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: flat data */
seq_ret_gdt_descr:
	.word 3 * 8 - 1
	.quad seq_ret_gdt
