/*
 * Shared by the test guests of test_cli.c. Each guest is one file of
 * 32-bit code that the build links at 1 MiB and keeps as raw bytes;
 * test_cli.c wraps them in a Multiboot image whose entry is the first
 * byte. refvmm enters in flat protected mode with paging off and no
 * IDT, so any exception ends the run as a triple fault.
 */
#ifndef REFVMM_TEST_GUEST_H
#define REFVMM_TEST_GUEST_H

/* isa-debug-exit: writing N ends the run with status (N << 1) | 1. */
#define DEBUG_EXIT 0xf4
#define COM1 0x3f8
/* pc-testdev's MMIO window: every access exits to the monitor. */
#define TESTDEV_MMIO 0xff000000

/*
 * The escape guests' harness (escape-*.S): HARNESS at the entry loads a
 * GDT of segments with distinct bases and an IDT whose 32 vectors all
 * reach one handler, then continues at harness_main. A fault that
 * expect_fault announced resumes at its label; any other fault ends the
 * run with 0x40 + vector (status (0x40 + vector) << 1 | 1). The
 * harness's variables live at HV_*, reached through SS, which stays
 * flat.
 */
#define HV_EXPECT 0x180000 /* vector announced, -1 for none */
#define HV_VEC	  0x180004 /* vector of the last fault */
#define HV_ERR	  0x180008 /* its error code, 0 if it has none */
#define HV_RESUME 0x18000c
#define HV_ESP	  0x180010
#define HV_IDT	  0x182000
#define HV_STACK  0x190000

/* A segment descriptor (SDM Vol. 3A 3.4.5): flags 0xc is G=1, D/B=1. */
#define DESC(base, limit, access, flags)                                    \
	.long ((limit) & 0xffff) | (((base) & 0xffff) << 16);               \
	.long (((base) >> 16) & 0xff) | ((access) << 8) |                   \
		((limit) & 0xf0000) | ((flags) << 20) | ((base) & 0xff000000)

/* The harness's selectors. The accessed bit is preset in every
 * descriptor, so no segment load writes the GDT in the code page. */
#define SEL_CODE 0x08 /* flat execute/read code */
#define SEL_FLAT 0x10 /* flat read/write data */
#define SEL_DS	 0x18 /* data at BASE_DS */
#define SEL_ES	 0x20
#define SEL_FS	 0x28
#define SEL_GS	 0x30
#define SEL_XO	 0x38 /* flat execute-only code */
#define SEL_WIN	 0x40 /* data at 0xffc00000, 4 MiB: the monitor window */
#define SEL_WRAP 0x48 /* data at BASE_GS, limit 4 GiB: wraps past 4 GiB */
#define BASE_DS	 0x200000
#define BASE_ES	 0x400000
#define BASE_FS	 0x600000
#define BASE_GS	 0x800000
/* Page-granular limit reaching exactly 4 GiB: the segment does not wrap
 * (a wrapping one the monitor cannot shadow, and emulates instead). */
#define LIMIT_TO_4G(base) (0xfffff - ((base) >> 12))

#ifdef __ASSEMBLER__
/* Ends the run: status (code << 1) | 1; 0 is the only pass. */
.macro fail code
	mov $\code, %al
	out %al, $DEBUG_EXIT
	hlt
.endm

.macro pass
	fail 0
.endm

/* After a cmp/test: fails with @code unless ZF is set. */
.macro fail_ne code
	je .Lok\@
	fail \code
.Lok\@:
.endm

/* The next fault must be vector @vec; the handler resumes at @resume
 * with this ESP. */
.macro expect_fault vec, resume
	movl $\vec, %ss:HV_EXPECT
	movl $\resume, %ss:HV_RESUME
	movl %esp, %ss:HV_ESP
.endm

/* After a resume: the fault's error code must be @err. */
.macro fail_err err, code
	cmpl $\err, %ss:HV_ERR
	fail_ne \code
.endm

/* The IDT entry of @vec at @idt: a gate of access byte @access (0x8e
 * interrupt gate DPL 0, 0xee DPL 3) to @sel:@fn. Uses EAX, EDX. */
.macro idt_gate idt, vec, fn, sel, access
	mov $\fn, %eax
	mov %eax, %edx
	and $0xffff, %edx
	or $(\sel << 16), %edx
	mov %edx, \idt + \vec * 8
	and $0xffff0000, %eax
	or $(\access << 8), %eax
	mov %eax, \idt + \vec * 8 + 4
.endm

/* MSR @msr = @val (high half 0). Uses EAX, ECX, EDX. */
.macro wrmsr_imm msr, val
	mov $\msr, %ecx
	mov $\val, %eax
	xor %edx, %edx
	wrmsr
.endm

/* The 8259s: master at vector 0x20 with only IRQ0 unmasked, the slave
 * masked; then the PIT's channel 0 in mode 2 with divisor 119, about
 * 10 kHz. Uses AL. */
.macro timer_irq0_10khz
	mov $0x11, %al
	out %al, $0x20
	mov $0x20, %al
	out %al, $0x21
	mov $0x04, %al
	out %al, $0x21
	mov $0x01, %al
	out %al, $0x21
	mov $0xfe, %al
	out %al, $0x21
	mov $0xff, %al
	out %al, $0xa1
	mov $0x34, %al
	out %al, $0x43
	mov $119, %al
	out %al, $0x40
	xor %al, %al
	out %al, $0x40
.endm

/* To CPL 3 by IRET at @cs:@entry with IF set, stack @ds:@esp, and DS,
 * ES, FS, GS @ds. Uses EAX. */
.macro iret_to_user cs, ds, esp, entry
	mov $\ds, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %fs
	mov %eax, %gs
	push $\ds
	push $\esp
	push $0x202
	push $\cs
	push $\entry
	iret
.endm

.macro load_segs ds, es, fs, gs
	mov $\ds, %eax
	mov %eax, %ds
	mov $\es, %eax
	mov %eax, %es
	mov $\fs, %eax
	mov %eax, %fs
	mov $\gs, %eax
	mov %eax, %gs
.endm

.macro HARNESS
	cli
	lgdt harness_gdtr
	ljmp $SEL_CODE, $.Lflat\@
.Lflat\@:
	mov $SEL_FLAT, %eax
	mov %eax, %ss
	mov $HV_STACK, %esp
	load_segs SEL_FLAT, SEL_FLAT, SEL_FLAT, SEL_FLAT
	/* 32 interrupt gates (type 0xe, DPL 0), stubs 8 bytes apart */
	mov $harness_stubs, %eax
	mov $HV_IDT, %edi
	mov $32, %ecx
.Lgate\@:
	mov %eax, %edx
	and $0xffff, %edx
	or $(SEL_CODE << 16), %edx
	mov %edx, (%edi)
	mov %eax, %edx
	and $0xffff0000, %edx
	or $0x8e00, %edx
	mov %edx, 4(%edi)
	add $8, %eax
	add $8, %edi
	loop .Lgate\@
	lidt harness_idtr
	movl $-1, HV_EXPECT
	jmp harness_main

	.p2align 3
harness_gdt:
	.quad 0
	DESC(0, 0xfffff, 0x9b, 0xc)
	DESC(0, 0xfffff, 0x93, 0xc)
	DESC(BASE_DS, LIMIT_TO_4G(BASE_DS), 0x93, 0xc)
	DESC(BASE_ES, LIMIT_TO_4G(BASE_ES), 0x93, 0xc)
	DESC(BASE_FS, LIMIT_TO_4G(BASE_FS), 0x93, 0xc)
	DESC(BASE_GS, LIMIT_TO_4G(BASE_GS), 0x93, 0xc)
	DESC(0, 0xfffff, 0x99, 0xc)
	DESC(0xffc00000, 0x3ff, 0x93, 0xc)
	DESC(BASE_GS, 0xfffff, 0x93, 0xc)
harness_gdtr:
	.word harness_gdtr - harness_gdt - 1
	.long harness_gdt
harness_idtr:
	.word 32 * 8 - 1
	.long HV_IDT

	.p2align 3
harness_stubs:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.p2align 3
	push $\n
	jmp harness_fault
	.endr

harness_fault:
	pop %eax
	/* the vectors that push an error code (SDM Vol. 3A 6.13) */
	mov $0x227d00, %edx
	bt %eax, %edx
	mov $0, %edx
	jnc .Lnoerr\@
	pop %edx
.Lnoerr\@:
	mov %edx, %ss:HV_ERR
	mov %eax, %ss:HV_VEC
	cmp %ss:HV_EXPECT, %eax
	je .Lresume\@
	add $0x40, %eax
	out %al, $DEBUG_EXIT
	hlt
.Lresume\@:
	movl $-1, %ss:HV_EXPECT
	mov %ss:HV_ESP, %esp
	jmp *%ss:HV_RESUME
.endm

/* The flags OF, SF, AF, PF and CF set, ZF clear, and their image in
 * @reg; ECX 0x5555: what an instruction that must keep both (RDTSC)
 * finds. Uses EAX. */
.macro flags_and_ecx_known reg
	mov $0x7fffffff, %eax
	add $1, %eax
	stc
	pushf
	pop \reg
	mov $0x5555, %ecx
.endm

/* The GDT entries after the null one that flat_kernel loads: flat
 * kernel code 0x08 and data 0x10. */
.macro flat_kernel_gdt
	DESC(0, 0xfffff, 0x9b, 0xc)	/* 0x08 */
	DESC(0, 0xfffff, 0x93, 0xc)	/* 0x10 */
.endm

/* Flat kernel segments 0x08 and 0x10 from the GDT at gdtr (DS, ES,
 * SS), stack at @esp, interrupts off. Uses EAX. */
.macro flat_kernel esp
	cli
	lgdt gdtr
	ljmp $0x08, $.Lf\@
.Lf\@:	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov $\esp, %esp
.endm

/*
 * The guests that switch between CPL 0 and 3 (fast-syscalls,
 * sysx-under-kicks, isys-*): the GDT entries after the null one, flat
 * kernel code 0x08 and data 0x10, user code 0x1b and data 0x23, and a
 * 32-bit TSS at @tss (0x28); each guest's own follow.
 */
.macro kernel_user_gdt tss
	flat_kernel_gdt
	DESC(0, 0xfffff, 0xfb, 0xc)	/* 0x18 */
	DESC(0, 0xfffff, 0xf3, 0xc)	/* 0x20 */
	DESC(\tss, 0x67, 0x89, 0x0)	/* 0x28 */
.endm

/* The GDTR of the table from gdt to here, and the IDTR of @vectors
 * gates at @idt. */
.macro gdtr_idtr idt, vectors
gdtr:
	.word gdtr - gdt - 1
	.long gdt
idtr:
	.word \vectors * 8 - 1
	.long \idt
.endm

/* Flat kernel segments 0x08 and 0x10 from the GDT at gdtr, stack at
 * @esp; the TSS at @tss zeroed, ESP0 @esp0, SS0 @ss0, loaded into TR
 * (0x28). Uses EAX, ECX, EDI. */
.macro kernel_entry tss, esp, esp0, ss0
	flat_kernel \esp
	mov $\tss, %edi
	mov $26, %ecx
	xor %eax, %eax
	rep stosl
	movl $\esp0, \tss + 4
	movl $\ss0, \tss + 8
	mov $0x28, %eax
	ltr %ax
.endm

/* The first @dwords of the GDT at gdt copied to @to, a page of its own
 * (the guest's stores to a descriptor are then no stores to a page of
 * code), then loaded from the GDTR at @gdtr. Uses ECX, ESI, EDI. */
.macro gdt_to_page to, dwords, gdtr
	mov $gdt, %esi
	mov $\to, %edi
	mov $\dwords, %ecx
	rep movsl
	lgdt \gdtr
.endm

/* 4 KiB pages over the first 4 MiB at the page table @pt: identity,
 * P RW A D. Uses EAX, ECX, EDI. */
.macro identity_pt pt
	mov $\pt, %edi
	xor %ecx, %ecx
.Lpt\@:	mov %ecx, %eax
	shl $12, %eax
	or $0x63, %eax
	mov %eax, (%edi,%ecx,4)
	inc %ecx
	cmp $1024, %ecx
	jne .Lpt\@
.endm

/* IRQ0 from any level: count at @ticks, EOI to the master 8259, IRET */
.macro irq0_counter ticks
	incl \ticks
	push %eax
	mov $0x20, %al
	out %al, $0x20
	pop %eax
	iret
.endm

/* The end of a run of @n round trips: pass when the kernel counted @n
 * at @count (else check 30) and the timer ticked at @ticks (else 31). */
.macro done_counted n, count, ticks
	cli
	cmpl $\n, \count
	fail_ne 30
	cmpl $0, \ticks
	jne .Ldone\@
	fail 31
.Ldone\@:
	pass
.endm

/* The kernel end of a failed CPL-3 check (INT with BL the check):
 * BL as the exit status */
.macro ufail_exit
	mov %bl, %al
	out %al, $DEBUG_EXIT
	hlt
.endm

#endif

#endif
