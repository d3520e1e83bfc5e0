/*
 * trap mode: classical trap-and-emulate. 32-bit guest code, kernel and
 * user alike, runs directly at host CPL 3 in compatibility mode from
 * host LDT segments; every privileged or sensitive instruction that
 * faults there comes back as a signal (sw/world_switch.c) and is handled
 * by the software monitor (emu/monitor.c): emulated, or delivered to the
 * guest through its IDT. Guest paging runs on shadow page tables.
 *
 * The obstacles it demonstrates (POPF, SGDT & co., CS/SS selectors,
 * LAR/LSL on guest selectors, CPUID...) are in docs/refvmm-trap.md.
 */
#include <stdio.h>

#include "../emu/monitor.h"
#include "refvmm/machine.h"
#include "refvmm/mode.h"
#include "refvmm/sw/host_check.h"
#include "refvmm/sw/segments.h"
#include "refvmm/sw/world_switch.h"
#include "refvmm/vcpu.h"

/* Direct execution: enter the guest until an event needs the run loop. */
static int trap__run(struct vcpu *vcpu, struct vm_exit *exit)
{
	struct monitor *t = vcpu->mode_priv;
	struct sw_cpu *c = t->c;
	struct sw_event ev;
	int kind;

	if (t->io.pending)
		emulate__complete_io(t);
	for (;;) {
		u32 he, kept;
		int r;

		if (t->m->stop) {
			exit->reason = VM_EXIT_OTHER;
			return 0;
		}
		r = monitor__window_entry(t, exit);
		if (r > 0)
			return 0;
		if (r == 0)
			continue;
		if (vm__shadow_class(t) < 0) {
			exit->reason = VM_EXIT_INTERNAL;
			snprintf(exit->detail, sizeof(exit->detail),
				 "shadow page tables: %s", t->sp.err);
			return 0;
		}
		kept = sw_eflags_kept(c);
		c->host_eflags = (c->eflags & ~kept) | EFL_IF | EFL_FIXED;
		if (t->monitor_step || t->trace_step)
			c->host_eflags |= EFL_TF;
		kind = sw_world__enter(c);
		he = c->host_eflags;
		if ((t->monitor_step || t->trace_step) && !(c->eflags & EFL_TF))
			he &= ~EFL_TF;
		c->eflags = (he & ~kept) | (c->eflags & kept);
		sw_sync_from_host(c);
		traps__decode(c, kind, &ev);
		t->events++;
		if (monitor__handle(t, &ev, exit))
			return 0;
	}
}

const struct mode_ops trap_mode_ops = {
	.name = "trap",
	.summary = "trap-and-emulate with direct execution (32-bit guests; "
		   "not a security boundary)",
	.widths = MODE_WIDTH_32,
	.order = 3,
	.host_check = sw_host__check,
	.init = monitor__init,
	.run = trap__run,
	.inject = monitor__inject,
	.inject_nmi = monitor__inject_nmi,
	.stats = monitor__stats,
	.destroy = monitor__destroy,
};

MODE_REGISTER(trap_mode_ops);
