/*
 * conformance.v86.iret-cpl3: IRET at CPL 3 with EFLAGS.VM = 1 in the
 * popped image stays in protected mode. The IRET pseudocode (SDM Vol.
 * 2A IRET) goes to RETURN-TO-VIRTUAL-8086-MODE only when "tempEFLAGS(VM)
 * = 1 and CPL = 0"; at CPL 3 it is a protected-mode return to the same
 * level, which does not load VM. Only CPL 0 may enter virtual-8086 mode
 * (SDM Vol. 3A 20.2.5): a processor that lets CPL 3 in gives any program
 * a CS of its choosing with RPL 0 in its exception frames.
 *
 * The popped CS names a DPL 3 code segment whose base puts the popped EIP
 * on a HLT in the image (iret3_pm); read as an 8086 CS:IP (selector * 16
 * + IP) the same pair names the HLT this file writes at linear 0x7f00.
 * Either HLT raises #GP(0) at CPL 3, and the exit's frame says which mode
 * ran it.
 */
#include "v86.h"

extern char iret3_stub[], iret3_pm[];
static u8 user_stack[1024] __aligned(16);

void check_v86_iret_cpl3(void)
{
	volatile u8 *low = (volatile u8 *)(ulong)(IRET3_SEL * 16 + IRET3_EIP);
	u8 saved = *low;
	struct v86_ctx c;
	struct v86_exit e;
	bool vm;

	gdt_set(IRET3_INDEX, (u32)((ulong)iret3_pm - IRET3_EIP), 0xfffff, 0xfb,
		0xc);
	*low = 0xf4; /* HLT */
	memset(&c, 0, sizeof(c));
	c.eip = (u32)(ulong)iret3_stub;
	c.cs = SEL_CODE32(3) | 3;
	c.eflags = X86_EFLAGS_FIXED;
	c.esp = (u32)(ulong)(user_stack + sizeof(user_stack));
	c.ss = SEL_DATA(3) | 3;
	v86_run_from_pm(&c, &e);
	*low = saved;
	vm = e.frame[F_EFLAGS] & X86_EFLAGS_VM;
	report("conformance.v86.iret-cpl3.vm-ignored",
	       "IRET at CPL 3 with EFLAGS.VM = 1 in the image returns to "
	       "protected mode: VM is loaded only at CPL 0",
	       e.vector == GP_VECTOR && !vm && e.frame[F_CS] == IRET3_SEL &&
		       e.frame[F_EIP] == IRET3_EIP,
	       "expected #GP(0) from HLT in protected mode at %#x:%#x (SDM "
	       "Vol. 2A IRET: RETURN-TO-VIRTUAL-8086-MODE needs CPL = 0), "
	       "saw %s from %s at %#x:%#x, EFLAGS %#x",
	       IRET3_SEL, IRET3_EIP, vector_name(e.vector),
	       vm ? "virtual-8086 mode" : "protected mode", e.frame[F_CS],
	       e.frame[F_EIP], e.frame[F_EFLAGS]);
}
