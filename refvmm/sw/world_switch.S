/*
 * World switch (world_switch.h). Offsets: include/refvmm/sw/cpu.h SW_OFF_*.
 * sw_world_enter_asm(struct sw_cpu *c) -> exit kind in eax.
 */
#define OFF_HOST_RSP	0
#define OFF_HOST_FSBASE 8
#define OFF_HOST_GSBASE 16
#define OFF_XSAVE_HOST	24
#define OFF_XSAVE_GUEST 32
#define OFF_GPR		40
#define OFF_EIP		72
#define OFF_HOST_EFL	76
#define OFF_HSEL	80
#define OFF_EXIT_KIND	92
#define OFF_KICK	96
#define OFF_USE_FXSAVE	97
#define OFF_USE_XSAVEOPT 98
#define OFF_INIT_IN_USE	99
#define OFF_HOST_FCW	100
#define OFF_USE_RDPKRU	102
#define OFF_GUEST_NARROW 103
#define OFF_HOST_PKRU	104
#define OFF_USE_WRFSBASE 108
#define SYS_ARCH_PRCTL	158	/* asm/unistd_64.h */
#define ARCH_SET_FS	0x1002	/* asm/prctl.h */
#define XFEATURE_X87	0x1   /* XCR0 bit 0 (SDM Vol. 1 13.1) */
#define XFEATURE_SSE	0x2   /* XCR0 bit 1 */
#define XFEATURE_PKRU	0x200 /* XCR0 bit 9 */

#define HSEL_ES (OFF_HSEL + 0)
#define HSEL_CS (OFF_HSEL + 2)
#define HSEL_SS (OFF_HSEL + 4)
#define HSEL_DS (OFF_HSEL + 6)
#define HSEL_FS (OFF_HSEL + 8)
#define HSEL_GS (OFF_HSEL + 10)

	.text
	.code64

#include "refvmm/sw/fpu_switch.h"

/*
 * The extended state around the guest. The monitor enters through a
 * call, and the SysV ABI makes every vector and x87 register
 * caller-saved; only MXCSR's and the x87 control word's control bits are
 * callee-saved. So the host's registers are not saved: its two control
 * words and PKRU are, and the way back restores them after putting every
 * other component in its initial configuration (XRSTOR from the host area,
 * whose XSTATE_BV is 0; SDM Vol. 1 13.8.1), which leaves nothing of the
 * guest in the monitor's registers. Where XGETBV reads XINUSE
 * (init_in_use), the reset covers only the components in use, none when
 * the guest touched no x87/SSE/AVX state, and PKRU is kept with
 * RDPKRU/WRPKRU instead of an XSAVE and an XRSTOR. The guest's
 * state is saved with XSAVEOPT where the CPU has it: the area is the one
 * the entry's XRSTOR loaded, so components the guest did not modify are
 * not written again (SDM Vol. 1 13.6, the modified optimization). A
 * callout whose guest code used no x87/SSE/AVX thus saves nothing; one
 * that did saves what it changed. Components left out with XSTATE_BV[i]
 * clear are in their initial configuration, whatever the area holds
 * (readers: emu/fpu_image.c, emu/proxy.c).
 */
/*
 * EDX:EAX, the components the guest's XRSTOR and XSAVEOPT move: all of
 * them, or with guest_narrow (binary translation: VEX is #UD without
 * CR4.OSXSAVE, which the virtual CPU never offers) x87 and SSE only,
 * so that the monitor's AVX and AVX-512 state is neither initialised
 * on entry nor reset on the way back. The guest cannot read the upper
 * halves left there: only VEX and EVEX encodings reach them (SDM Vol. 1
 * 14.1.3, legacy SSE preserves them).
 */
.macro guest_rfbm
	mov $-1, %eax
	mov $-1, %edx
	cmpb $0, OFF_GUEST_NARROW(%r15)
	je 9f
	mov $(XFEATURE_X87 | XFEATURE_SSE), %eax
	xor %edx, %edx
9:
.endm

.macro fpu_enter
	cmpb $0, OFF_USE_FXSAVE(%r15)
	jne 1f
	mov OFF_XSAVE_HOST(%r15), %rcx
	stmxcsr 24(%rcx)
	fnstcw OFF_HOST_FCW(%r15)
	cmpb $0, OFF_INIT_IN_USE(%r15)
	je 5f
	cmpb $0, OFF_USE_RDPKRU(%r15)
	je 6f
	xor %ecx, %ecx
	rdpkru
	mov %eax, OFF_HOST_PKRU(%r15)
	jmp 6f
	/* PKRU is the thread's, not caller-saved: kept (8 bytes; where XCR0
	 * lacks it this saves nothing). XSTATE_BV's other bits stay 0. */
5:	mov $XFEATURE_PKRU, %eax
	xor %edx, %edx
	xsave64 (%rcx)
6:	guest_rfbm
	mov OFF_XSAVE_GUEST(%r15), %rcx
	xrstor64 (%rcx)
	jmp 2f
1:	fpu_switch_r15 OFF_USE_FXSAVE, OFF_XSAVE_HOST, OFF_XSAVE_GUEST
2:
.endm

.macro fpu_leave
	cmpb $0, OFF_USE_FXSAVE(%r15)
	jne 1f
	guest_rfbm
	mov OFF_XSAVE_GUEST(%r15), %rcx
	cmpb $0, OFF_USE_XSAVEOPT(%r15)
	je 3f
	xsaveopt64 (%rcx)
	jmp 4f
3:	xsave64 (%rcx)
4:	cmpb $0, OFF_INIT_IN_USE(%r15)
	je 5f
	/* Only components not in their initial configuration need the
	 * reset (XINUSE, SDM Vol. 1 13.6), and of those not SSE's: XMM
	 * registers are caller-saved and MXCSR is loaded below. The x87
	 * stack must be empty for the C ABI: FNINIT does that (a guest
	 * from RESET has FCW 0x40, not the initial 0x37F, so this is the
	 * common case). PKRU is written below. */
	mov $1, %ecx
	xgetbv
	test $XFEATURE_X87, %al
	jz 7f
	fninit
	/* A narrow guest never loaded the other components: what they
	 * hold is the monitor's own, caller-saved, nothing to reset. */
7:	cmpb $0, OFF_GUEST_NARROW(%r15)
	jne 6f
	and $~(XFEATURE_X87 | XFEATURE_SSE | XFEATURE_PKRU), %eax
	mov %eax, %ecx
	or %edx, %ecx
	jz 6f
5:	mov OFF_XSAVE_HOST(%r15), %rcx
	xrstor64 (%rcx)
6:	mov OFF_XSAVE_HOST(%r15), %rcx
	ldmxcsr 24(%rcx)
	fldcw OFF_HOST_FCW(%r15)
	cmpb $0, OFF_USE_RDPKRU(%r15)
	je 2f
	xor %ecx, %ecx
	rdpkru
	cmp OFF_HOST_PKRU(%r15), %eax
	je 2f
	mov OFF_HOST_PKRU(%r15), %eax
	xor %edx, %edx
	wrpkru
	jmp 2f
1:	fpu_switch_r15 OFF_USE_FXSAVE, OFF_XSAVE_GUEST, OFF_XSAVE_HOST
2:
.endm

	.globl sw_world_enter_asm
	.type sw_world_enter_asm, @function
sw_world_enter_asm:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rdi, %r15
	mov %rsp, OFF_HOST_RSP(%r15)
	/*
	 * A guest's POPF sets NT at any CPL, and the kernel's sigreturn
	 * hands it back to the monitor (NT is not among the flags a signal
	 * frame restores). With NT set, IRETQ raises #GP (SDM Vol. 2A IRET:
	 * a task return in IA-32e mode), so clear it before the iretq.
	 */
	pushfq
	andq $~0x4000, (%rsp)
	popfq
	fpu_enter
	/* iretq frame: SS, RSP, RFLAGS, CS, RIP */
	movzwl HSEL_SS(%r15), %eax
	push %rax
	movl OFF_GPR + 16(%r15), %eax
	push %rax
	movl OFF_HOST_EFL(%r15), %eax
	push %rax
	movzwl HSEL_CS(%r15), %eax
	push %rax
	movl OFF_EIP(%r15), %eax
	push %rax
	/*
	 * From here to the iretq the FS base is the guest's: a signal that
	 * arrives in this range is sent to sw_world_bail by the handler.
	 */
	.globl sw_world_critical, sw_world_critical_end
sw_world_critical:
	movw HSEL_DS(%r15), %ds
	movw HSEL_ES(%r15), %es
	movw HSEL_FS(%r15), %fs
	movw HSEL_GS(%r15), %gs
	cmpb $0, OFF_KICK(%r15)
	jne sw_world_bail
	movl OFF_GPR + 0(%r15), %eax
	movl OFF_GPR + 4(%r15), %ecx
	movl OFF_GPR + 8(%r15), %edx
	movl OFF_GPR + 12(%r15), %ebx
	movl OFF_GPR + 20(%r15), %ebp
	movl OFF_GPR + 24(%r15), %esi
	movl OFF_GPR + 28(%r15), %edi
sw_world_critical_end:
	iretq
	.size sw_world_enter_asm, . - sw_world_enter_asm

	/*
	 * Kicked before the guest ran: nothing of the guest changed. The
	 * kick may have come between two of the segment loads above, so
	 * the registers are part host, part guest: keep the selectors the
	 * monitor set (HSEL) instead of reading them back.
	 */
	.globl sw_world_bail
sw_world_bail:
	movl $2, OFF_EXIT_KIND(%r15)	/* SW_EXIT_KICK */
	jmp sw_world_landing_kept

/*
 * Every way back. Entered with CS 0x33, SS 0x2b, RSP somewhere on the
 * host stack, DS/ES/FS/GS still the guest's host selectors: the kernel
 * does not touch them when it delivers a signal, and a 64-bit sigcontext
 * reports FS and GS as 0, so they are read here.
 */
	.globl sw_world_landing
	.type sw_world_landing, @function
sw_world_landing:
	mov sw_cpu_current(%rip), %r15
	movw %ds, HSEL_DS(%r15)
	movw %es, HSEL_ES(%r15)
	movw %fs, HSEL_FS(%r15)
	movw %gs, HSEL_GS(%r15)
sw_world_landing_kept:
	xor %eax, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %fs
	mov %eax, %gs
	/* A null FS/GS load clears the base on some CPUs: set it after. */
	cmpb $0, OFF_USE_WRFSBASE(%r15)
	je 1f
	mov OFF_HOST_FSBASE(%r15), %rax
	wrfsbase %rax
	mov OFF_HOST_GSBASE(%r15), %rax
	wrgsbase %rax
	jmp 2f
	/*
	 * Without the kernel's FSGSBASE only the kernel writes the base of
	 * a null FS: one system call (it leaves FS null, as here). GS keeps
	 * whatever base the null load left: nothing in the monitor reads
	 * memory through GS (the x86-64 ABI's TLS is FS), and the guest's
	 * next entry loads its own selector.
	 */
1:	mov $SYS_ARCH_PRCTL, %eax
	mov $ARCH_SET_FS, %edi
	mov OFF_HOST_FSBASE(%r15), %rsi
	syscall
2:	fpu_leave
	mov OFF_HOST_RSP(%r15), %rsp
	movl OFF_EXIT_KIND(%r15), %eax
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret
	.size sw_world_landing, . - sw_world_landing

/*
 * Signal entry, on the alternate stack: the FS base may be the guest's,
 * and 64-bit glibc keeps TLS, errno and the stack canary behind it, so
 * restore it before any C runs.
 */
	.globl sw_signal_entry
	.type sw_signal_entry, @function
sw_signal_entry:
	cmpb $0, sw_use_wrfsbase(%rip)
	je sw_signal_entry_syscall
	mov sw_host_fsbase(%rip), %rax
	wrfsbase %rax
	sub $8, %rsp			/* the C ABI's alignment for the call */
	call sw_signal_handler
	add $8, %rsp
	/*
	 * Back into guest code at once (a single step, a kick turned into
	 * a trap flag): the FS base is still the monitor's, so load FS
	 * again from its selector, the guest's, for its descriptor's base.
	 * The kernel leaves FS alone on the way back (64-bit sigreturn).
	 */
	cmpb $0, sw_signal_reload_fs(%rip)
	je 1f
	movb $0, sw_signal_reload_fs(%rip)
	mov %fs, %eax
	mov %eax, %fs
1:	ret

	/*
	 * Without FSGSBASE: arch_prctl(ARCH_SET_FS) writes the base, and
	 * also makes FS null, so the interrupted code's selector is kept
	 * in RBX and loaded again on the way out, whatever the handler
	 * decided: into the guest it gives the guest's base back, into the
	 * landing (which reads FS for the guest's record) the guest's
	 * selector. A null one stays null with the monitor's base: either
	 * the monitor was interrupted, or a guest whose FS faults on use
	 * (compatibility mode checks a null selector). A selector whose
	 * descriptor no longer loads (LAR fails, or not present) is not
	 * loaded: the guest meets a null FS rather than the handler a #GP.
	 */
sw_signal_entry_syscall:
	push %rbx
	xor %ebx, %ebx
	movw %fs, %bx
	push %rdi
	push %rsi
	push %rdx
	mov $SYS_ARCH_PRCTL, %eax
	mov $ARCH_SET_FS, %edi
	mov sw_host_fsbase(%rip), %rsi
	syscall
	pop %rdx
	pop %rsi
	pop %rdi
	call sw_signal_handler		/* RSP is 16-byte aligned here */
	movb $0, sw_signal_reload_fs(%rip)
	test %ebx, %ebx
	jz 1f
	lar %bx, %eax
	jnz 1f
	test $0x8000, %eax		/* P */
	jz 1f
	mov %ebx, %fs
1:	pop %rbx
	ret
	.size sw_signal_entry, . - sw_signal_entry

	.section .note.GNU-stack, "", @progbits
