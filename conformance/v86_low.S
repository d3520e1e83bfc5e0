/*
 * The code that runs below 1 MiB (v86_low.h): the way from protected mode
 * to real mode and back (SDM Vol. 3A 10.9.2, "Switching Back to
 * Real-Address Mode"; 10.9.1 for the way back), the real-mode sequence
 * the realmode checks read, its interrupt vector table's stubs, and the
 * virtual-8086 snippets the v86 checks enter one at a time. Everything
 * between v86_blob and v86_blob_end is copied to LOW_BASE and addressed
 * there by offset (OFF); v86_enter and the two ways back stay in the
 * image, in 32-bit code.
 */
#include "v86_low.h"

#define OFF(x) ((x) - v86_blob)
#define D(x)   (RES + (x))

	.data
	.balign 4
rm_saved_esp:	.long 0
v86_saved_esp:	.long 0

	.text
	.code32
/* void rm_run(void): the whole real-mode sequence, there and back. */
	.globl rm_run
rm_run:
	push %ebp
	push %ebx
	push %esi
	push %edi
	pushf
	cli
	mov %esp, rm_saved_esp
	/* Step 3: a 16-bit code segment with a 64 KiB limit. */
	ljmp $RM_CODE_SEL, $OFF(rm_pm16)

/* The way back: PE set, far jump to the flat code (SDM Vol. 3A 10.9.1). */
rm_back32:
	mov $PM_DATA_SEL, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %fs
	mov %eax, %gs
	mov %eax, %ss
	mov rm_saved_esp, %esp
	popf
	pop %edi
	pop %esi
	pop %ebx
	pop %ebp
	ret

/*
 * void v86_enter(struct v86_ctx *c): IRET with EFLAGS.VM = 1 from CPL 0
 * (SDM Vol. 3A 20.2.5), popping EIP, CS, EFLAGS, ESP, SS, ES, DS, FS and
 * GS from the context (struct v86_ctx in v86.h). The exit handler in
 * v86.c makes the interrupt or exception that leaves the snippet return
 * to v86_back, on the TSS's ESP0 stack.
 */
	.globl v86_enter, v86_back, iret3_stub, iret3_pm
/*
 * iret3_stub runs at CPL 3 in protected mode (v86_enter with VM = 0 and
 * a DPL 3 CS): IRET with VM = 1 in the image. iret3_pm is where the pair
 * IRET3_SEL:IRET3_EIP lands in protected mode (v86_iret.c).
 */
iret3_stub:
	pushl $0x20002			/* EFLAGS: VM, IOPL 0, IF 0 */
	pushl $IRET3_SEL
	pushl $IRET3_EIP
	iret
iret3_pm:
	hlt
v86_enter:
	push %ebp
	push %ebx
	push %esi
	push %edi
	mov %esp, v86_saved_esp
	mov 20(%esp), %eax
	pushl 32(%eax)
	pushl 28(%eax)
	pushl 24(%eax)
	pushl 20(%eax)
	pushl 16(%eax)
	pushl 12(%eax)
	pushl 8(%eax)
	pushl 4(%eax)
	pushl 0(%eax)
	mov 40(%eax), %ebx
	mov 44(%eax), %ecx
	mov 48(%eax), %edx
	mov 52(%eax), %esi
	mov 56(%eax), %edi
	mov 60(%eax), %ebp
	mov 36(%eax), %eax
	iret
v86_back:
	/* The exit nulled the data segment registers (SDM Vol. 3A 20.3.1.1). */
	mov $PM_DATA_SEL, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %fs
	mov %eax, %gs
	mov v86_saved_esp, %esp
	pop %edi
	pop %esi
	pop %ebx
	pop %ebp
	ret

/* ---- below 1 MiB from here on ---- */
	.code16
	.balign 16
	.globl v86_blob, v86_blob_end
v86_blob:
rm_pm16:
	/* Step 4: data segments with 64 KiB limits, then steps 5-7. */
	mov $RM_DATA_SEL, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
	mov $LOW_STACK, %esp
	lidtl OFF(rm_ivt_ptr)
	mov %cr0, %eax
	and $0xfffffffe, %eax
	mov %eax, %cr0
	ljmp $LOW_SEG, $OFF(rm_real)

rm_ivt_ptr:
	.word RM_IVT_LIMIT
	.long LOW_BASE + RM_IVT

rm_real:
	mov $LOW_SEG, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
	mov $LOW_STACK, %esp
	mov %cr0, %eax
	mov %eax, D(R_CR0)
	mov %cs, D(R_CS)
	sidtl D(R_SIDT)

	/* Segment base = selector * 16: a marker through each register at
	 * offset 0; the C side finds it at SEGT_SEG * 16 + 0x100 * n. */
	mov $SEGT_SEG, %ax
	mov %ax, %ds
	movw $0xa5d0, 0
	mov $(SEGT_SEG + 0x10), %ax
	mov %ax, %es
	movw $0xa5d1, %es:0
	mov $(SEGT_SEG + 0x20), %ax
	mov %ax, %fs
	movw $0xa5d2, %fs:0
	mov $(SEGT_SEG + 0x30), %ax
	mov %ax, %gs
	movw $0xa5d3, %gs:0
	mov $(SEGT_SEG + 0x40), %ax
	mov %ax, %ss
	movw $0xa5d4, %ss:0
	mov %ds, %ax
	mov %es, %bx
	mov %fs, %cx
	mov %gs, %dx
	mov %ss, %si
	mov $LOW_SEG, %di
	mov %di, %ss
	mov %di, %ds
	mov %di, %es
	mov %di, %fs
	mov %di, %gs
	mov %ax, D(R_SEGRD)
	mov %bx, D(R_SEGRD + 4)
	mov %cx, D(R_SEGRD + 8)
	mov %dx, D(R_SEGRD + 12)
	mov %si, D(R_SEGRD + 16)
	/* Real mode loads any value: no descriptor, no check. */
	mov $0xfff8, %ax
	mov %ax, %es
	mov %es, %bx
	mov %di, %es
	mov %bx, D(R_ANYSEG)

	/* INT n through the IVT, with IF and CF set before it. The PICs
	 * are masked (v86.c), so STI lets nothing in. */
	sti
	stc
	pushf
	pop %ax
	mov %ax, D(R_INT_PRE)
	mov %sp, D(R_INT_SP)
	.globl rm_int, rm_int_ret
rm_int:
	int $0x40
rm_int_ret:
	pushf
	pop %ax
	cli
	clc
	mov %ax, D(R_IRET_FL)
	mov D(R_VEC), %ax
	mov %ax, D(R_INT_VEC)
	mov D(R_FIP), %ax
	mov %ax, D(R_INT_IP)
	mov D(R_FCS), %ax
	mov %ax, D(R_INT_CS)
	mov D(R_FFL), %ax
	mov %ax, D(R_INT_FL)
	mov D(R_HSP), %ax
	mov %ax, D(R_INT_HSP)
	mov D(R_HFL), %ax
	mov %ax, D(R_INT_HFL)

	/* Exceptions go through the IVT too, with no error code; the
	 * handler resumes at R_RESUME. */
	.globl rm_ud, rm_de, rm_gpw
	movw $0xffff, D(R_VEC)
	movw $OFF(1f), D(R_RESUME)
rm_ud:
	ud2
1:	mov D(R_VEC), %ax
	mov %ax, D(R_UD_VEC)
	mov D(R_FIP), %ax
	mov %ax, D(R_UD_IP)

	movw $0xffff, D(R_VEC)
	movw $OFF(1f), D(R_RESUME)
	xor %dx, %dx
	mov $1, %ax
	xor %cx, %cx
rm_de:
	div %cx
1:	mov D(R_VEC), %ax
	mov %ax, D(R_DE_VEC)
	mov D(R_FIP), %ax
	mov %ax, D(R_DE_IP)

	/* The 64 KiB limit (SDM Vol. 3A 20.1.1): a word at offset 0xffff
	 * is #GP through DS, #SS through SS; a byte there is fine. */
	movw $0xffff, D(R_VEC)
	movw $OFF(1f), D(R_RESUME)
	mov %sp, D(R_GPW_SP)
rm_gpw:
	mov 0xffff, %ax
1:	movw $0, D(R_RESUME)
	mov D(R_VEC), %ax
	mov %ax, D(R_GPW_VEC)
	mov D(R_FIP), %ax
	mov %ax, D(R_GPW_IP)
	mov D(R_HSP), %ax
	mov %ax, D(R_GPW_HSP)

	movw $0xffff, D(R_VEC)
	movw $OFF(1f), D(R_RESUME)
	mov 0xffff, %al
1:	movw $0, D(R_RESUME)
	mov D(R_VEC), %ax
	mov %ax, D(R_GPB_VEC)

	movw $0xffff, D(R_VEC)
	movw $OFF(1f), D(R_RESUME)
	xor %ebx, %ebx
	addr32 mov 0x10000(%ebx), %ax
1:	movw $0, D(R_RESUME)
	mov D(R_VEC), %ax
	mov %ax, D(R_GPA_VEC)

	movw $0xffff, D(R_VEC)
	movw $OFF(1f), D(R_RESUME)
	mov $0xffff, %bp
	mov (%bp), %ax
1:	movw $0, D(R_RESUME)
	mov D(R_VEC), %ax
	mov %ax, D(R_SSW_VEC)

	movw $0xffff, D(R_VEC)
	movw $OFF(1f), D(R_RESUME)
	mov $0xffff, %bp
	mov (%bp), %al
1:	movw $0, D(R_RESUME)
	mov D(R_VEC), %ax
	mov %ax, D(R_SSB_VEC)

	/* CPUID and the MSRs work in real mode (CPL 0). */
	xor %eax, %eax
	cpuid
	mov %ebx, D(R_CPUID0)
	mov %edx, D(R_CPUID0 + 4)
	mov %ecx, D(R_CPUID0 + 8)
	mov $1, %eax
	cpuid
	mov %eax, D(R_CPUID1A)
	cmpl $0, D(R_MSR_ON)
	je 1f
	mov $0x174, %ecx
	rdmsr
	mov %eax, D(R_MSR_RD)
	mov D(R_MSR_WR), %eax
	xor %edx, %edx
	wrmsr
1:	movw $0x600d, D(R_DONE)

	/* Back: the runtime's IDT, PE, a far jump to flat 32-bit code. */
	cli
	lidtl D(R_PM_IDTR)
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmpl $PM_CODE_SEL, $rm_back32

/*
 * The real-mode IVT's 256 handlers, 8 bytes apart: each pushes its vector
 * and records the frame (IP, CS, FLAGS), SP at entry and FLAGS inside,
 * through CS since DS may be anything; a fault resumes at R_RESUME.
 */
	.balign 8
	.globl rm_stubs
rm_stubs:
	vec = 0
	.rept 256
	.balign 8
	pushw $vec
	jmp rm_common
	vec = vec + 1
	.endr

rm_common:
	push %bp
	mov %sp, %bp
	push %ax
	mov 2(%bp), %ax
	mov %ax, %cs:D(R_VEC)
	mov 4(%bp), %ax
	mov %ax, %cs:D(R_FIP)
	mov 6(%bp), %ax
	mov %ax, %cs:D(R_FCS)
	mov 8(%bp), %ax
	mov %ax, %cs:D(R_FFL)
	lea 4(%bp), %ax
	mov %ax, %cs:D(R_HSP)
	pushf
	pop %ax
	mov %ax, %cs:D(R_HFL)
	mov %cs:D(R_RESUME), %ax
	test %ax, %ax
	jz 1f
	mov %ax, 4(%bp)
	movw $0, %cs:D(R_RESUME)
1:	pop %ax
	pop %bp
	add $2, %sp
	iret

/*
 * Virtual-8086 snippets: each is entered alone by v86_enter and ends in
 * HLT, which at CPL 3 is #GP(0) (SDM Vol. 2A HLT), or earlier at the
 * instruction under test; the exit's frame says which. The labels are
 * what the checks compare the frame's EIP with.
 */
	.globl v86_regs, v86_regs_hlt
v86_regs:
	mov %cs, %ax
	mov %ss, %bx
	mov %ds, %cx
	mov %es, %dx
	mov %fs, %si
	mov %gs, %di
v86_regs_hlt:
	hlt

	.globl v86_pushfd, v86_pushfd_hlt
v86_pushfd:
	pushfl
	popl %eax
v86_pushfd_hlt:
	hlt

	.globl v86_seg
v86_seg:
	mov $(SEGT_SEG + 0x50), %ax
	mov %ax, %es
	movw $0xa5e0, %es:0
	mov %es, %bx
	hlt

/* The IOPL-sensitive instructions (SDM Vol. 3A 20.2.7). */
	.globl v86_cli, v86_cli_hlt, v86_sti, v86_sti_hlt
v86_cli:
	cli
v86_cli_hlt:
	hlt
v86_sti:
	sti
v86_sti_hlt:
	hlt

	.globl v86_pushf, v86_pushf_hlt
v86_pushf:
	pushf
	pop %ax
v86_pushf_hlt:
	hlt

	.globl v86_popf, v86_popf_insn, v86_popf_hlt
v86_popf:
	mov %bx, %ax
	push %ax
v86_popf_insn:
	popf
v86_popf_hlt:
	hlt

	.globl v86_int, v86_int_hlt
v86_int:
	int $0x41
v86_int_hlt:
	hlt

	.globl v86_iret, v86_iret_insn, v86_iret_hlt
v86_iret:
	push %bx
	push %cs
	pushw $OFF(v86_iret_hlt)
v86_iret_insn:
	iret
v86_iret_hlt:
	hlt

	.globl v86_popfd, v86_popfd_insn, v86_popfd_hlt
v86_popfd:
	pushl %ebx
v86_popfd_insn:
	popfl
v86_popfd_hlt:
	hlt

	.globl v86_int3, v86_int3_hlt, v86_into, v86_into_hlt
	.globl v86_int42, v86_int43, v86_int43_hlt
v86_int3:
	int3
v86_int3_hlt:
	hlt
v86_into:
	into
v86_into_hlt:
	hlt
v86_int42:
	int $0x42
	hlt
v86_int43:
	int $0x43
v86_int43_hlt:
	hlt

/* The handler IVT entry 0x43 names: the frame INT pushed, then HLT. */
	.globl v86_ivt_handler, v86_ivt_handler_hlt
v86_ivt_handler:
	mov %sp, %bp
	mov (%bp), %ax
	mov 2(%bp), %bx
	mov 4(%bp), %cx
	mov %sp, %dx
v86_ivt_handler_hlt:
	hlt

/* I/O through the TSS bitmap (SDM Vol. 3A 20.2.8.1). */
	.globl v86_out, v86_out_hlt, v86_in, v86_in_hlt, v86_outw, v86_outw_hlt
	.globl v86_outsb, v86_outsb_insn, v86_outsb_hlt
	.globl v86_insb, v86_insb_insn, v86_insb_hlt
v86_out:
	out %al, $0x80
v86_out_hlt:
	hlt
v86_in:
	in $0x80, %al
v86_in_hlt:
	hlt
v86_outw:
	out %ax, $0x80
v86_outw_hlt:
	hlt
v86_outsb:
	mov $0x80, %dx
	mov $RES, %si
v86_outsb_insn:
	outsb
v86_outsb_hlt:
	hlt
v86_insb:
	mov $0x80, %dx
	mov $(RES + 0x100), %di
v86_insb_insn:
	insb
v86_insb_hlt:
	hlt

/* Limits, privileged instructions, exceptions. */
	.globl v86_gpw, v86_gpb, v86_gpb_hlt, v86_gpa, v86_gpa_insn
	.globl v86_ssw, v86_ssw_insn, v86_ssb, v86_ssb_hlt
	.globl v86_movcr0, v86_lmsw, v86_ud, v86_de, v86_de_insn
v86_gpw:
	mov 0xffff, %ax
	hlt
v86_gpb:
	mov 0xffff, %al
v86_gpb_hlt:
	hlt
v86_gpa:
	xor %ebx, %ebx
v86_gpa_insn:
	addr32 mov 0x10000(%ebx), %ax
	hlt
v86_ssw:
	mov $0xffff, %bp
v86_ssw_insn:
	mov (%bp), %ax
	hlt
v86_ssb:
	mov $0xffff, %bp
	mov (%bp), %al
v86_ssb_hlt:
	hlt
v86_movcr0:
	mov %cr0, %eax
	hlt
v86_lmsw:
	lmsw %ax
	hlt
v86_ud:
	ud2
v86_de:
	xor %dx, %dx
	mov $1, %ax
	xor %cx, %cx
v86_de_insn:
	div %cx
	hlt
v86_blob_end:
