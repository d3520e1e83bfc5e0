/*
 * The callout gate of bt-simple (bt.h). Translated code leaves with a far
 * jump to the 64-bit host code segment at a copy of these bytes in the
 * monitor window (a far jump from compatibility mode carries a 32-bit
 * offset); GS still holds the per-vCPU page, whose base the CPU keeps in
 * 64-bit mode. The gate saves the guest registers, and the EIP the stub
 * left in the vCPU page, into struct sw_cpu, the page below it, which no
 * segment of translated code reaches (offsets: sw/cpu.h SW_OFF_*, gate.h),
 * switches to the host stack and
 * continues in sw_world_landing like every other way back. Position
 * independent: only %gs-relative absolute addresses, and the landing's
 * and the fast handler's addresses, immediates the monitor writes into
 * its copy of the gate (the page is then read-only and executable):
 * nothing translated code can store to redirects the gate.
 *
 * A BT_EXIT_FAST stub, and the lookup's miss (BT_EXIT_MISS), first get
 * bt_fast_callout (fast.c), still in the
 * guest's world (extended state, FS base, data selectors): when it
 * finished the instruction, the gate returns to translated code with a
 * far jump (cheaper than an IRETQ, and SS was never changed) at the
 * address the handler gave (the indirect lookup). A kick that came
 * meanwhile, or that comes between its test and the jump (the signal
 * hook moves such a signal to bt_gate_fast_bail), leaves instead as the
 * kick, at that address. A handler that changed CPL also changed the
 * guest's SS shadow, a POP Sreg its DS, ES or FS (sw_cpu.hsel): the gate
 * loads those before it returns.
 */
#include "gate.h"

#define GPR	  (BT_GATE_CPU + 40)
#define EIP	  (BT_GATE_CPU + 72)
#define HOST_EFL  (BT_GATE_CPU + 76)
#define HSEL_CS	  (BT_GATE_CPU + 82)
#define HSEL_ES	  (BT_GATE_CPU + 80)
#define HSEL_SS	  (BT_GATE_CPU + 84)
#define HSEL_DS	  (BT_GATE_CPU + 86)
#define HSEL_FS	  (BT_GATE_CPU + 88)
#define EXIT_KIND (BT_GATE_CPU + 92)
#define KICK	  (BT_GATE_CPU + 96)
#define HOST_RSP  (BT_GATE_CPU + 0)
#define RO_FAR	  (BT_GATE_RO + 8)	/* struct bt_ro: fast_ip, fast_cs */

/* %sreg becomes the selector at %gs:off unless it holds it already */
.macro reload_sreg sreg, off
	movw %\sreg, %cx
	cmpw %gs:\off, %cx
	je 3f
	movw %gs:\off, %\sreg
3:
.endm

	.text
	.code64
	.globl bt_gate_start, bt_gate_end
bt_gate_start:
	movl %eax, %gs:GPR + 0
	movl %ecx, %gs:GPR + 4
	movl %edx, %gs:GPR + 8
	movl %ebx, %gs:GPR + 12
	movl %esp, %gs:GPR + 16
	movl %ebp, %gs:GPR + 20
	movl %esi, %gs:GPR + 24
	movl %edi, %gs:GPR + 28
	movl %gs:BT_GATE_PG_EIP, %eax
	movl %eax, %gs:EIP
	movw %ss, %gs:HSEL_SS
	movl $3, %gs:EXIT_KIND		/* BT_EXIT_KIND_CALLOUT */
	/* SS stays the guest's until the full path: 64-bit mode ignores
	 * its base and limit (SDM Vol. 3A 3.4.4), and loading it costs. */
	movq %gs:HOST_RSP, %rsp		/* free below it */
	pushfq				/* before anything that sets flags */
	popq %rax
	movl %eax, %gs:HOST_EFL
	subq $256, %rsp
	andq $-16, %rsp
	/* DF, TF, AC (and NT) off for the C ABI: the POPFQ only when one
	 * is on (translated code cannot set NT; it is virtual) */
	testl $0x44500, %eax
	jz 5f
	pushq $0x202
	popfq
5:	cmpl $BT_GATE_EXIT_FAST, %gs:0	/* bt_page.exit_code */
	je 4f
	cmpl $BT_GATE_EXIT_MISS, %gs:0
	jne 1f
4:	movabsq $0x1122334455667789, %rax	/* bt_fast_callout */
	.globl bt_gate_fast_imm
	.set bt_gate_fast_imm, . - 8
	call *%rax
	test %rax, %rax
	jnz 2f
1:	movl $0x2b, %eax		/* HOST_SS64 */
	movl %eax, %ss
	movabsq $0x1122334455667788, %rax	/* sw_world_landing */
	.globl bt_gate_landing_imm
	.set bt_gate_landing_imm, . - 8
	jmp *%rax
	/*
	 * Finished: back to translated code at bt_ro's far pointer (the
	 * lookup), SS and the data selectors as they are, with the guest's
	 * flags and registers. The EIP is the guest's for a kick from here.
	 */
2:	movl %eax, %gs:EIP
	/* A change of CPL (fast_cpl.h) gave the guest another SS shadow,
	 * a POP another DS, ES or FS (fast_seg.h): loaded here, before the
	 * kick test, so that a kick from now on leaves with the selectors
	 * the handler recorded (the landing reads DS, ES, FS back). */
	reload_sreg ss, HSEL_SS
	reload_sreg ds, HSEL_DS
	reload_sreg es, HSEL_ES
	reload_sreg fs, HSEL_FS
	.globl bt_gate_fast_critical, bt_gate_fast_critical_end
bt_gate_fast_critical:
	cmpb $0, %gs:KICK
	jne bt_gate_fast_bail
	movl %gs:HOST_EFL, %ecx
	pushq %rcx
	popfq
	movl %gs:GPR + 0, %eax
	movl %gs:GPR + 4, %ecx
	movl %gs:GPR + 8, %edx
	movl %gs:GPR + 12, %ebx
	movl %gs:GPR + 20, %ebp
	movl %gs:GPR + 24, %esi
	movl %gs:GPR + 28, %edi
	movl %gs:GPR + 16, %esp
bt_gate_fast_critical_end:
	ljmpl *%gs:RO_FAR
	.globl bt_gate_fast_bail
bt_gate_fast_bail:
	movq %gs:HOST_RSP, %rsp
	subq $256, %rsp
	pushq $0x202			/* the guest's DF or AC may be set */
	popfq
	movl $2, %gs:EXIT_KIND		/* SW_EXIT_KICK */
	jmp 1b
bt_gate_end:

	.section .note.GNU-stack, "", @progbits
