/*
 * The application processor's way in (SDM Vol. 3A 9.4, MP initialization).
 * A SIPI starts the AP in real mode at CS = vector << 8, IP = 0, i.e. at
 * the start of the 4 KiB page the vector names; the BSP copies the bytes
 * from smp_tramp_start to smp_tramp_end there (guest/smp.c). Before
 * touching anything the code records the state INIT left (SDM Vol. 3A
 * Table 10-1) in the page's data area (smp_tramp.h), addressed through CS
 * so that no other segment register has to change first. It then loads
 * the runtime's GDT, enters protected mode and far-jumps into the image's
 * 32-bit code; a 64-bit image continues into long mode on the BSP's page
 * tables (SDM Vol. 3A 10.8.5). The AP gets its own stack (smp_ap_stack)
 * and calls smp_ap_entry().
 */
#include "smp_tramp.h"

#define REC(off) %cs:(TD_BASE + (off))
/* Runtime selectors (desc.h): flat 32-bit code, flat data, 64-bit code. */
#define KERNEL_CS32 0x80
#define KERNEL_DS   0x88
#define KERNEL_CS64 0xc0

	.text
	.code16
	.globl smp_tramp_start, smp_tramp_end
	.balign 16
smp_tramp_start:
	movl %eax, REC(TD_EAX)
	movl %ebx, REC(TD_EBX)
	movl %ecx, REC(TD_ECX)
	movl %edx, REC(TD_EDX)
	movl %esi, REC(TD_ESI)
	movl %edi, REC(TD_EDI)
	movl %ebp, REC(TD_EBP)
	movl %esp, REC(TD_ESP)
	movw %cs, REC(TD_CS)
	movw %ds, REC(TD_DS)
	movw %es, REC(TD_ES)
	movw %fs, REC(TD_FS)
	movw %gs, REC(TD_GS)
	movw %ss, REC(TD_SS)
	mov %cr0, %eax
	movl %eax, REC(TD_CR0)
	mov %cr2, %eax
	movl %eax, REC(TD_CR2)
	mov %cr3, %eax
	movl %eax, REC(TD_CR3)
	mov %cr4, %eax
	movl %eax, REC(TD_CR4)
	mov %dr6, %eax
	movl %eax, REC(TD_DR6)
	mov %dr7, %eax
	movl %eax, REC(TD_DR7)
	sgdtl REC(TD_SGDT)
	sidtl REC(TD_SIDT)
	/* A stack at the top of this page (INIT left SS:SP = 0:0). */
	mov %cs, %ax
	mov %ax, %ss
	mov $0x1000, %esp
	pushfl
	popl %eax
	movl %eax, REC(TD_EFLAGS)
	/* The pushed return address is the IP of 1f: 0 at the page start
	 * gives 1f - smp_tramp_start. */
	call 1f
1:	popw %ax
	sub $(1b - smp_tramp_start), %ax
	movw %ax, REC(TD_IP)
	lock incl REC(TD_ENTRIES)

	lgdtl REC(TD_GDTR)
	mov %cr0, %eax
	and $0x9fffffff, %eax		/* CD, NW: caches on */
	or $1, %eax			/* PE */
	mov %eax, %cr0
	ljmpl $KERNEL_CS32, $smp_ap_start32
smp_tramp_end:

	.code32
smp_ap_start32:
	mov $KERNEL_DS, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
#ifdef __x86_64__
	mov smp_boot_cr4, %eax
	mov %eax, %cr4
	mov smp_boot_cr3, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx		/* EFER: LME (and NXE, SCE as the BSP) */
	mov smp_boot_efer, %eax
	xor %edx, %edx
	wrmsr
	mov smp_boot_cr0, %eax		/* PG with LME: IA-32e mode */
	mov %eax, %cr0
	ljmp $KERNEL_CS64, $2f
	.code64
2:	mov smp_ap_stack(%rip), %rsp
	xor %ebp, %ebp
	call smp_ap_entry
3:	cli
	hlt
	jmp 3b
#else
	mov smp_ap_stack, %esp
	xor %ebp, %ebp
	call smp_ap_entry
3:	cli
	hlt
	jmp 3b
#endif
