/*
 * System calls as fast callouts that change CPL (bt/fast_cpl.h), paging
 * off: N INT 0x80 round trips from CPL 3 through an interrupt gate of
 * DPL 3 (the stack from the TSS), then N SYSENTER/SYSEXIT round trips
 * with checks on both sides, then N with none (nothing leaves the
 * translation on either side).
 * The kernel side checks what the CPU must have done on the way in (SDM
 * Vol. 3A 6.12.1: CS, SS, ESP = ESP0 - 20, the frame's EIP, CS, EFLAGS,
 * ESP, SS, read through an SS0 whose base is not 0, IF clear; Vol. 2B
 * SYSENTER: the MSRs' CS + 8 as SS, ESP, IF clear, and its first push
 * goes through that flat SS although the user's SS before SYSENTER has
 * another base), the user side what it must see on the way back (CS,
 * SS, ESP, IF, EAX the handler changed). The first INT's handler loads
 * DS with a DPL-0 selector, which the IRET to CPL 3 must null (SDM Vol.
 * 2A IRET): the user checks it and loads its own again.
 * Exit 0 when every check passed and both handlers counted N; else the
 * failed check's number (from CPL 3 through INT 0x81 with BL).
 */
#include "guest.h"

#define N	 500
#define COUNT	 0x180000
#define SCOUNT	 0x180004
#define QCOUNT	 0x180008
#define QUIET	 0x51e7 /* EBP: the kernel counts and returns at once */
#define IDT	 0x181000
#define TSS	 0x182000
#define KSTACK	 0x190000 /* the TSS's ESP0, linear */
#define KSS_BASE 0x10000  /* SS0's base: the frame is reached through it */
#define USTACK	 0x1a0000
#define SESTACK	 0x1b0000 /* IA32_SYSENTER_ESP */
#define SEL_K_CS 0x08
#define SEL_K_DS 0x10
#define SEL_U_CS 0x1b
#define SEL_U_DS 0x23
#define SEL_SE	 0x30 /* IA32_SYSENTER_CS: CS, +8 SS, +16 and +24 at CPL 3 */
#define SEL_K_SS 0x50 /* SS0: data at KSS_BASE */
#define SEL_U_SS 0x5b /* DPL 3 data at KSS_BASE: the user's before SYSENTER */

/* at CPL 3: the check failed, BL says which */
.macro ufail code
	mov $\code, %bl
	int $0x81
.endm

/* after a cmp/test at CPL 3: fails with @code unless ZF is set */
.macro ufail_ne code
	je .Luok\@
	ufail \code
.Luok\@:
.endm

/* at CPL 3 after SYSEXIT: its CS and SS (the MSR's + 16 and + 24, RPL
 * 3), the user's ESP; fails with @cs, @ss or @sp */
.macro after_sysexit cs, ss, sp
	mov %cs, %eax
	cmp $(SEL_SE + 16 + 3), %eax
	ufail_ne \cs
	mov %ss, %eax
	cmp $(SEL_SE + 24 + 3), %eax
	ufail_ne \ss
	cmp $USTACK, %esp
	ufail_ne \sp
.endm

	/* the TSS's ESP0 is an offset in SS0, whose base is not 0 */
	kernel_entry TSS, 0x188000, (KSTACK - KSS_BASE), SEL_K_SS
	mov $0xff, %al		/* no interrupt while IF = 1 at CPL 3 */
	out %al, $0x21
	out %al, $0xa1
	idt_gate IDT, 0x80, int80, SEL_K_CS, 0xee
	idt_gate IDT, 0x81, ufail_k, SEL_K_CS, 0xee
	idt_gate IDT, 0x82, done, SEL_K_CS, 0xee
	lidt idtr
	wrmsr_imm 0x174, SEL_SE
	wrmsr_imm 0x175, SESTACK
	wrmsr_imm 0x176, sysenter_k
	movl $0, COUNT
	movl $0, SCOUNT
	movl $0, QCOUNT
	iret_to_user SEL_U_CS, SEL_U_DS, USTACK, user

user:
	mov $N, %esi
2:	mov $0x1234, %eax
	int $0x80
	.globl int_ret
int_ret:
	cmp $0x1235, %eax
	ufail_ne 1
	mov %ds, %edx
	cmp $N, %esi		/* the first return nulled DS */
	jne 4f
	test %edx, %edx
	ufail_ne 2
	mov $SEL_U_DS, %edx
	mov %edx, %ds
	mov %ds, %edx
4:	cmp $SEL_U_DS, %edx
	ufail_ne 3
	mov %cs, %edx
	cmp $SEL_U_CS, %edx
	ufail_ne 4
	mov %ss, %edx
	cmp $SEL_U_DS, %edx
	ufail_ne 5
	cmp $USTACK, %esp
	ufail_ne 6
	pushf
	pop %edx
	test $0x200, %edx
	jnz 10f
	ufail 7
10:	dec %esi
	jnz 2b

	mov $N, %esi
	/* each SYSENTER from a user SS whose base is not 0: the kernel's
	 * first push must go through the flat SS SYSENTER loads */
11:	mov $SEL_U_SS, %ebx
	mov %ebx, %ss
	mov %esp, %ecx
	mov $sys_ret, %edx
	sysenter
sys_ret:
	after_sysexit 8, 9, 10
	mov %ds, %eax
	cmp $SEL_U_DS, %eax
	ufail_ne 11
	pushf
	pop %eax
	test $0x200, %eax
	jnz 16f
	ufail 12
16:	dec %esi
	jnz 11b

	/* N more with nothing on either side that leaves translated code:
	 * many SYSENTERs and SYSEXITs per run, the record caught up with
	 * only when something leaves (the lookup misses of the first round
	 * trip, the checks after the last) */
	mov $N, %esi
	mov $QUIET, %ebp
17:	mov %esp, %ecx
	mov $18f, %edx
	sysenter
18:	dec %esi
	jnz 17b
	xor %ebp, %ebp
	after_sysexit 13, 14, 15
	int $0x82

/* INT 0x80 at CPL 0: the frame and the new state, count, EAX + 1 */
int80:
	cmp $(KSTACK - KSS_BASE - 20), %esp
	fail_ne 20
	cmpl $int_ret, (%esp)
	fail_ne 21
	cmpl $SEL_U_CS, 4(%esp)
	fail_ne 22
	testl $0x200, 8(%esp)
	jnz 1f
	fail 23
1:	cmpl $USTACK, 12(%esp)
	fail_ne 24
	cmpl $SEL_U_DS, 16(%esp)
	fail_ne 25
	mov %cs, %edx
	cmp $SEL_K_CS, %edx
	fail_ne 26
	mov %ss, %edx
	cmp $SEL_K_SS, %edx
	fail_ne 27
	pushf
	pop %edx
	test $0x200, %edx
	fail_ne 28
	inc %eax
	cmpl $0, COUNT
	jne 1f
	mov $SEL_K_DS, %edx	/* DPL 0: the IRET to CPL 3 nulls it */
	mov %edx, %ds
1:	incl COUNT
	iret

/* SYSENTER at CPL 0: flat CS and SS from the MSR, ESP, IF clear */
sysenter_k:
	push $0x5e5e5e5e	/* before any exit: read back through DS */
	cmpl $0x5e5e5e5e, SESTACK - 4
	fail_ne 34
	add $4, %esp
	cmp $QUIET, %ebp
	jne 1f
	incl QCOUNT
	sysexit
1:	mov %cs, %eax
	cmp $SEL_SE, %eax
	fail_ne 30
	mov %ss, %eax
	cmp $(SEL_SE + 8), %eax
	fail_ne 31
	cmp $SESTACK, %esp
	fail_ne 32
	pushf
	pop %eax
	test $0x200, %eax
	fail_ne 33
	incl SCOUNT
	sti
	sysexit

ufail_k:
	ufail_exit

done:
	cmpl $N, COUNT
	fail_ne 40
	cmpl $N, SCOUNT
	fail_ne 41
	cmpl $N, QCOUNT
	fail_ne 42
	pass

	.p2align 3
gdt:
	.quad 0
	kernel_user_gdt TSS
	DESC(0, 0xfffff, 0x9b, 0xc)	/* 0x30: what SYSENTER loads */
	DESC(0, 0xfffff, 0x93, 0xc)
	DESC(0, 0xfffff, 0xfb, 0xc)
	DESC(0, 0xfffff, 0xf3, 0xc)
	DESC(KSS_BASE, LIMIT_TO_4G(KSS_BASE), 0x93, 0xc) /* 0x50 */
	DESC(KSS_BASE, LIMIT_TO_4G(KSS_BASE), 0xf3, 0xc) /* 0x58 */
	gdtr_idtr IDT, 0x83
