/*
 * INT n from CPL 3 and IRETD back to CPL 3 in the translation, and #DE
 * at CPL 0 and IRETD to the same level (fast_isys.h says when they are
 * armed and what the monitor does after; docs refvmm-bt.md, "INT n and
 * IRETD in the translation").
 * 32-bit code copied into the shared part of the cache: position
 * independent, addressing only bt_page through %gs and bt_ro, the
 * guest's RAM and its own stack through %cs (flat, execute/read over
 * the whole 4 GiB: translated code's code segment) and %ss.
 *
 * A translated INT imm8 or IRETD, or a DIV's raise at CPL 0, stores
 * its guest EIP and fast_op and jumps here through bt_ro.isys_fn or
 * de_fn (disarmed: to the fast callout's exit). The routine saves EAX, ECX, EDX, ESP, SS and ES in the page,
 * moves to a small stack in the page (SS = the page's selector) for
 * the PUSHF that keeps the guest's flags, and compares what the guest
 * can change without an exit (its RAM: the gate, the descriptors,
 * TSS.SS0; the frame's selectors and flags) with what the run loop
 * armed. A difference restores everything and leaves as the fast
 * callout, which does the instruction the long way. Then it writes
 * INT's frame (through ES = SS0's shadow: bounds checked first) or
 * takes IRETD's, and commits: the claim in bt_page.sysx, the count,
 * the lookup table of the new key, the new selectors in the page, the
 * virtual IF, the registers and flags, SS and ESP, and the lookup at
 * the new EIP. Nothing from the commit on can fault.
 *
 * A host fault before the commit (the guest's RAM not mapped yet, a
 * code page written, the frame at the top of SS) is rolled back by the
 * run loop (isys.c) and is then the instruction's own. A kick that
 * lands between a PUSHF and its POPF sets TF in the pushed copy too
 * (bt.c), so that the POPF keeps the host stepping to the lookup.
 */
#include "isys.h"

#define PG(f) %gs:ISYS_PG_##f
#define RO(f) %cs:(ISYS_RO_ADDR + ISYS_RO_##f)

/* IRETD's image must leave these as bt_page.vflags has them (IOPL NT
 * AC VIF VIP TF ID) and have RF and VM clear */
#define IRET_SAME 0x3f7100
/* ... and to the same level, RF allowed */
#define IRET0_SAME 0x3e7100

/* 8 bytes at the guest address in %eax equal bt_ro's at @off, else 9f */
.macro same8 off
	movl %cs:(%eax), %ecx
	cmpl %cs:(ISYS_RO_ADDR + \off), %ecx
	jne 9f
	movl %cs:4(%eax), %ecx
	cmpl %cs:(ISYS_RO_ADDR + \off + 4), %ecx
	jne 9f
.endm

/* the same for the guest address bt_ro holds at @at, the bytes at
 * @at + 4 */
.macro same_at at
	movl %cs:(ISYS_RO_ADDR + \at), %eax
	same8 \at + 4
.endm

.macro save_regs
	movl %eax, PG(EAX)
	movl %ecx, PG(ECX)
	movl %edx, PG(EDX)
	movl %esp, PG(ESP)
	movw %ss, PG(SS)
	movw %es, PG(ES)
.endm

.macro load_regs
	movl PG(EAX), %eax
	movl PG(ECX), %ecx
	movl PG(EDX), %edx
.endm

/* The EFLAGS image of a frame into EAX: the pushed copy's arithmetic
 * flags and DF, bt_page.vflags, the virtual IF, bit 1 (EDX clobbered) */
.macro frame_eflags
	movl (%esp), %eax
	andl $ISYS_LIVE_FLAGS, %eax
	orl PG(VFLAGS), %eax
	movzbl PG(VIF), %edx
	shll $9, %edx
	orl %edx, %eax
	orl $2, %eax
.endm

/* IRETD's image (bt_page.isys_frame[2], left in EAX) keeps the flags
 * of @mask as bt_page.vflags has them, else 9f */
.macro image_same mask
	movl PG(FRAME) + 8, %eax
	movl %eax, %ecx
	xorl PG(VFLAGS), %ecx
	testl $\mask, %ecx
	jnz 9f
.endm

/* ... and is taken: the virtual IF, the arithmetic flags and DF into
 * the pushed copy, EIP the frame's. The copy is changed in place, one
 * instruction at a time: a kick's TF (bt.c) can land between any two
 * and must stay */
.macro take_image
	movl %eax, %ecx
	shrl $9, %ecx
	andb $1, %cl
	movb %cl, PG(VIF)
	andl $ISYS_LIVE_FLAGS, %eax
	andl $~ISYS_LIVE_FLAGS, (%esp)
	orl %eax, (%esp)
	movl PG(FRAME), %eax
	movl %eax, PG(TARGET)
.endm

/* The commit once the routine set bt_page.target, NEWESP and the vIF:
 * the claim @sysx, the count at inline_isys + @count, the new key's
 * table and selectors (bt_ro at @table and @sels), the registers and
 * flags back, SS (bt_ro at @hss) and ESP, the lookup. @popped labels
 * the end of the POPF (isys.h). */
.macro commit_leave sysx, count, table, sels, hss, popped
	movb $\sysx, PG(SYSX)
	incl %gs:(ISYS_PG_INLINE + \count)
	movl %cs:(ISYS_RO_ADDR + \table), %eax
	movl %eax, PG(TABLE_OFF)
	movl %cs:(ISYS_RO_ADDR + \sels), %eax
	movl %eax, PG(CS_SEL)
	load_regs
	popfl
\popped:
	movw %cs:(ISYS_RO_ADDR + \hss), %ss
	movl PG(NEWESP), %esp
	jmp *RO(LOOKUP)
.endm

/* The commit of a routine that changes no level once it set
 * bt_page.target and NEWESP: the registers and flags back, the SS
 * found, ESP, the lookup. No claim: CPL, CS, SS and the key stay, and
 * ESP, EIP and the virtual IF are translated code's already. */
.macro same_level_leave popped
	load_regs
	popfl
\popped:
	movw PG(SS), %ss
	movl PG(NEWESP), %esp
	jmp *RO(LOOKUP)
.endm

/* onto the page's stack, the guest's flags pushed */
.macro page_stack
	movw RO(MON_GS), %ss
	movl $ISYS_PG_STACK_TOP, %esp
	pushfl
.endm

	.text
	.code32
	.globl bt_isys_start, bt_isys_end
	.globl bt_isys_int, bt_isys_int_rbf, bt_isys_int_commit
	.globl bt_isys_iret, bt_isys_iret_rb, bt_isys_iret_rbf
	.globl bt_isys_iret_commit
	.globl bt_isys_int_popped, bt_isys_iret_popped
	.globl bt_isys_iret0, bt_isys_iret0_rbf, bt_isys_iret0_commit
	.globl bt_isys_iret0_popped
	.globl bt_isys_de, bt_isys_de_rbf, bt_isys_de_commit
	.globl bt_isys_de_popped
	.globl bt_isys_decline, bt_isys_decline_popped
bt_isys_start:

/* INT imm8 at CPL 3 (SDM Vol. 2A INT n, INTER-PRIVILEGE-LEVEL-INTERRUPT) */
bt_isys_int:
	save_regs
	page_stack
bt_isys_int_rbf:
	movl PG(FAST_OP), %eax
	cmpl RO(INT_OP), %eax
	jne 9f
	same_at ISYS_RO_INT_IDT
	same_at ISYS_RO_INT_CS_ADDR
	same_at ISYS_RO_INT_SS_ADDR
	movl RO(INT_TSS), %eax
	movw %cs:4(%eax), %cx		/* TSS.SS0 */
	cmpw RO(INT_SS0), %cx
	jne 9f
	movl %cs:(%eax), %ecx		/* TSS.ESP0 */
	subl $20, %ecx
	jb 9f
	cmpl RO(INT_SP_MAX), %ecx
	ja 9f
	/* the frame: EIP after the INT, CS, EFLAGS, ESP, SS (6.12.1) */
	movw RO(INT_HSS), %es
	movl PG(EIP), %eax
	addl $2, %eax
	movl %eax, %es:(%ecx)
	movzwl PG(CS_SEL), %eax
	movl %eax, %es:4(%ecx)
	frame_eflags
	movl %eax, %es:8(%ecx)
	movl PG(ESP), %eax
	movl %eax, %es:12(%ecx)
	movzwl PG(CS_SEL) + 2, %eax
	movl %eax, %es:16(%ecx)
bt_isys_int_commit:
	movw PG(ES), %es
	movl %ecx, PG(NEWESP)
	movl RO(INT_EIP), %eax
	movl %eax, PG(TARGET)
	movb RO(INT_KEEP_IF), %al
	andb %al, PG(VIF)
	commit_leave ISYS_SYSX_INT, 0, ISYS_RO_INT_TABLE, ISYS_RO_INT_SELS, \
		ISYS_RO_INT_HSS, bt_isys_int_popped

/* IRETD at CPL 0 to CPL 3 (SDM Vol. 2A IRET,
 * RETURN-TO-OUTER-PRIVILEGE-LEVEL) */
bt_isys_iret:
	save_regs
bt_isys_iret_rb:
	/* a return to another CS (the same level, say) declines before
	 * anything costly, without touching the flags */
	movzwl 4(%esp), %ecx
	movl RO(IRET_CS_NEG), %eax
	leal (%ecx,%eax), %ecx
	jecxz 1f
	/* the same level's armed CS (bt_isys_iret0) */
	movzwl 4(%esp), %ecx
	movl RO(IRET0_CS_NEG), %eax
	leal (%ecx,%eax), %ecx
	jecxz 2f
	load_regs
	jmp *RO(LEAVE)
2:	jmp bt_isys_iret0
1:	movl (%esp), %eax
	movl %eax, PG(FRAME)
	movl 4(%esp), %eax
	movl %eax, PG(FRAME) + 4
	movl 8(%esp), %eax
	movl %eax, PG(FRAME) + 8
	movl 12(%esp), %eax
	movl %eax, PG(FRAME) + 12
	movl 16(%esp), %eax
	movl %eax, PG(FRAME) + 16
	page_stack
bt_isys_iret_rbf:
	/* CS passed the first test */
	movl PG(FRAME) + 16, %eax
	cmpw %cs:(ISYS_RO_ADDR + ISYS_RO_IRET_SELS + 2), %ax
	jne 9f
	same_at ISYS_RO_IRET_CS_ADDR
	same_at ISYS_RO_IRET_SS_ADDR
	image_same IRET_SAME
bt_isys_iret_commit:
	take_image
	movl PG(FRAME) + 12, %eax
	movl %eax, PG(NEWESP)
	commit_leave ISYS_SYSX_IRET, 4, ISYS_RO_IRET_TABLE, \
		ISYS_RO_IRET_SELS, ISYS_RO_IRET_HSS, bt_isys_iret_popped

/* IRETD at CPL 0 to the CS running (SDM Vol. 2A IRET,
 * RETURN-TO-SAME-PRIVILEGE-LEVEL): the frame's CS passed the test
 * above; it must still be the CS running with the descriptor it was
 * armed on, and the image must keep what bt_page.vflags holds (RF may
 * be set: a fault's frame; with no breakpoint armed it is dropped, as
 * the fast callout drops it). EIP and the flags from the frame, ESP
 * past it; CPL, CS, SS and the lookup table stay. */
bt_isys_iret0:
	movl (%esp), %eax
	movl %eax, PG(FRAME)
	movl 8(%esp), %eax
	movl %eax, PG(FRAME) + 8
	page_stack
bt_isys_iret0_rbf:
	movzwl PG(CS_SEL), %eax
	cmpw RO(CS0_SEL), %ax
	jne 9f
	same_at ISYS_RO_CS0_ADDR
	image_same IRET0_SAME
bt_isys_iret0_commit:
	take_image
	movl PG(ESP), %eax
	addl $12, %eax
	movl %eax, PG(NEWESP)
	incl %gs:(ISYS_PG_INLINE + 4)
	same_level_leave bt_isys_iret0_popped

/* #DE at the DIV (bt_page.eip) from CPL 0 through the gate of vector 0
 * to the CS running (SDM Vol. 3A 6.12.1, no privilege change: EFLAGS,
 * CS, EIP on the current stack, Figure 6-4), for a DIV or IDIV whose
 * divisor the translation found zero. The gate and the CS descriptor
 * must hold the bytes they were armed on, CS and SS be the ones armed;
 * the frame's stores go through the guest's SS (its limit the host
 * checks; a fault is rolled back, and the DIV's #DE is delivered the
 * long way). The image: the flags
 * before the DIV with RF set (a fault's, 17.3.1.1); after it TF, NT, RF
 * and VM are clear (they were: fast_inline_ok), and IF too through an
 * interrupt gate. */
bt_isys_de:
	save_regs
	page_stack
bt_isys_de_rbf:
	movzwl PG(CS_SEL), %eax
	cmpw RO(CS0_SEL), %ax
	jne 9f
	movw PG(SS), %ax
	cmpw RO(DE_HSS), %ax
	jne 9f
	same_at ISYS_RO_DE_IDT
	same_at ISYS_RO_CS0_ADDR
	movl PG(ESP), %ecx
	subl $12, %ecx
	jb 9f
	/* the highest word first: past SS's limit it faults before
	 * anything is written, as the architecture checks the room
	 * before the first push */
	movw PG(SS), %es
	frame_eflags
	orl $0x10000, %eax	/* RF: a fault's image */
	movl %eax, %es:8(%ecx)
	movzwl PG(CS_SEL), %eax
	movl %eax, %es:4(%ecx)
	movl PG(EIP), %eax
	movl %eax, %es:(%ecx)
bt_isys_de_commit:
	movw PG(ES), %es
	movl %ecx, PG(NEWESP)
	movl RO(DE_EIP), %eax
	movl %eax, PG(TARGET)
	movb RO(DE_KEEP_IF), %al
	andb %al, PG(VIF)
	incl PG(INLINE_DE)
	same_level_leave bt_isys_de_popped

/* Declined: as the routine found everything, then the fast callout
 * (bt_page.eip and fast_op are the site's). */
bt_isys_decline:
9:	load_regs
	popfl
bt_isys_decline_popped:
	movw PG(ES), %es
	movw PG(SS), %ss
	movl PG(ESP), %esp
	jmp *RO(LEAVE)
bt_isys_end:

	.section .note.GNU-stack, "", @progbits
