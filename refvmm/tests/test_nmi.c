/*
 * NMI blocking in the software monitor's virtual CPU (SDM Vol. 3A 6.7.1):
 * the IRET the monitor emulates (emu/deliver.c, emu/task_switch.c) ends
 * it, whether it completes or faults. Delivery itself sets it in
 * monitor__inject_nmi(); the conformance-nmi images check that end to end
 * in trap and bt modes.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../emu/deliver.h"
#include "../emu/task_switch.h"
#include "flat_cpu.h"
#include "refvmm/sw/cpu.h"
#include "refvmm/sw/segments.h"
#include "refvmm/sw/shadow_desc.h"
#include "refvmm/x86_regs.h"

#define STACK FLAT_STACK

static u8 *ram;

/* flat_cpu's CPU with NMIs blocked. */
static struct sw_cpu *nmi_cpu(void)
{
	struct sw_cpu *c = flat_cpu(&ram);

	c->nmi_blocked = true;
	return c;
}

/* EIP, CS, EFLAGS at ESP: the same-level IRET frame. */
static void frame(u32 eip, u32 cs, u32 eflags)
{
	u32 f[3] = {eip, cs, eflags};

	memcpy(ram + STACK, f, sizeof(f));
}

Test(nmi_blocking, iret_unblocks)
{
	struct sw_cpu *c = nmi_cpu();

	frame(0x1234, 0x80, 0x2);
	cr_assert_eq(deliver__iret(c), 0);
	cr_assert_eq(c->eip, 0x1234);
	cr_assert_not(c->nmi_blocked);
	flat_cpu_free(c);
}

Test(nmi_blocking, faulting_iret_unblocks_too)
{
	struct sw_cpu *c = nmi_cpu();

	frame(0x1234, 0, 0x2); /* null CS: #GP(0) */
	cr_assert_eq(deliver__iret(c), -1);
	cr_assert_eq(c->exc_vector, 13);
	cr_assert_eq(c->exc_error, 0);
	cr_assert_eq(c->gpr[SW_ESP], STACK, "the frame is still there");
	cr_assert_not(c->nmi_blocked, "unblocked before #GP is delivered");
	flat_cpu_free(c);
}

Test(nmi_blocking, task_return_unblocks_even_when_it_faults)
{
	struct sw_cpu *c = nmi_cpu();

	/* TR names a TSS at 0x2000 whose back link is the null selector:
	 * the task return raises #TS, and NMIs are unblocked anyway. */
	c->tr.base = 0x2000;
	c->tr.limit = 0x67;
	c->eflags |= EFL_NT;
	cr_assert_eq(task_switch__iret(c, 0x5555), -1);
	cr_assert_not(c->nmi_blocked);
	flat_cpu_free(c);
}
