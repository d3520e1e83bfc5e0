/*
 * The helpers every part of the monitor shares (vm.h).
 */
#include <stdio.h>

#include "refvmm/exitcode.h"
#include "refvmm/machine.h"
#include "refvmm/stats.h"
#include "refvmm/sw/segments.h"
#include "vm.h"

void vm__count(struct monitor *t, const char *group, const char *name)
{
	stats__add_in(&t->m->stats, group, name, 1);
}

void vm__set_eflags(struct sw_cpu *c, u32 v)
{
	c->eflags = (v & ~0x8028u) | EFL_FIXED;
}

int vm__iopl(const struct sw_cpu *c)
{
	return (int)((c->eflags & EFL_IOPL) >> 12);
}

void vm__paging_changed(struct monitor *t, bool cr3_write)
{
	struct sw_cpu *c = t->c;
	struct gpt_ctl ctl = {
		.cr0 = c->cr0,
		.cr3 = c->cr3,
		.cr4 = c->cr4,
		.efer = c->msr_efer,
		.maxphy = t->m->cpu.maxphyaddr,
	};

	if (shadow__set_ctl(&t->sp, &ctl, cr3_write) < 0)
		machine__stop(t->m, REFVMM_EXIT_HOST_ERROR,
			      "shadow page tables: %s", t->sp.err);
}

int vm__shadow_class(struct monitor *t)
{
	const struct sw_cpu *c = t->c;

	struct sw_cpu *w = t->c;

	if (shadow__set_user(&t->sp, c->cpl == 3) < 0)
		return -1;
	/* The segments end where the shadow keeps supervisor pages from;
	 * when CS or SS cannot, there is no split (shadow_class.h). */
	if (sw_set_seg_cut(w, t->sp.split) < 0 &&
	    (shadow__split_lift(&t->sp) < 0 || sw_set_seg_cut(w, 0) < 0))
		return -1;
	return shadow__set_ac(&t->sp, c->cpl < 3 && (c->eflags & EFL_AC));
}
