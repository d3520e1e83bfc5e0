/*
 * SYSENTER and SYSEXIT in the translation (fast.c; included there
 * alone, after fast_cpl.h). Each is a load of CS, SS, ESP and EIP from
 * the MSRs or from ECX and EDX (SDM Vol. 2B SYSENTER, SYSEXIT): where
 * fast_cpl.h's gate path can do one without a host call, the state it
 * leaves depends only on the MSRs, on which instruction ran last and
 * on general registers. The run loop arms two shared routines
 * (tcache.c) for the state it enters translated code with; a translated
 * SYSENTER or SYSEXIT jumps through struct bt_ro (which translated code
 * cannot write) to its routine, which loads the new SS shadow and ESP,
 * clears the virtual IF (SYSENTER), moves the lookup to the new key
 * word's table, records which instruction ran in bt_page.sysx and
 * continues at the new EIP through the indirect lookup: no callout at
 * all. Disarmed, the jump goes to a routine that leaves as the fast
 * callout.
 *
 * The monitor's record of CPL, CS and SS is then stale until it looks:
 * the run loop after every return from translated code and the fast
 * handler before anything else call fast_sysx_sync, which does what
 * fast_switch does for the instruction bt_page.sysx names (a claim:
 * checked against what was armed). Only the last one matters: each
 * leaves CS and SS as the MSR alone says for its CPL.
 *
 * Armed only where nothing else a CPL change moves can differ (checked
 * again at the sync):
 * - the fast path's conditions (fast_switch_ok): guest paging off, no
 *   segment cut, the four flat descriptors in their shadow slots, a
 *   lookup table for each new key word;
 * - CS flat and readable now, so that bt_ro.guest_cs_sel, which
 *   CS-overridden accesses read and which the routines leave alone,
 *   names a segment equal to either flat CS for reading;
 * - EFLAGS.AC, TF, NT, RF, VM clear: AC is the host's at CPL 3 only
 *   (sw_eflags_kept), so with AC clear a CPL change moves no host flag,
 *   and translated code changes none of them without leaving (POPF's
 *   test); no single-stepping, breakpoint, stepped store, MMIO page,
 *   interrupt shadow, instruction counting or --trace traps, which the
 *   full path serves one instruction at a time;
 * - IA32_SYSENTER_CS[15:2] not 0 (else #GP(0)) and CR0.PE set.
 * A fast callout that changes CS or AC (INT, IRET to CPL 3, STAC,
 * CLAC) arms them again for the state it leaves.
 */
#ifndef REFVMM_BT_FAST_SYSX_H
#define REFVMM_BT_FAST_SYSX_H

#include "fast_cpl.h"
#include "refvmm/log.h"
#include "refvmm/machine.h"

/* What the routines in the translation need of the state the run loop
 * enters with, whichever instruction they do (fast_isys.h too). */
static inline __attribute__((always_inline)) bool
fast_inline_ok(const struct bt_vm *b, const struct sw_cpu *c)
{
	const struct monitor *t = b->t;
	const struct vcpu_seg *cs = &c->seg[SW_CS];

	if (!c->shadow || c->shadow->paging || !(c->cr0 & CR0_PE) ||
	    b->count_insns ||
	    (c->eflags & (EFL_AC | EFL_TF | EFL_NT | EFL_RF | EFL_VM)) ||
	    (c->dr[7] & 0xff) || b->smc_active || b->nmmio || c->acc_cpl >= 0 ||
	    c->irq_shadow || t->monitor_step || t->trace_step ||
	    (t->m->log_events & LOG_TRAPS))
		return false;
	return !cs->unusable && cs->s && (cs->type & 0xa) == 0xa && !cs->base &&
	       cs->limit == 0xffffffffu && cs->db;
}

/* Where fast_inline_ok holds, what SYSENTER and SYSEXIT need besides:
 * the MSR's selector, the switches both ways. Inlined into the fast
 * handler too, which may call nothing. */
static inline __attribute__((always_inline)) bool
fast_sysx_msr_ok(const struct bt_vm *b, const struct sw_cpu *c,
		 struct fast_switch s[2])
{
	u32 sel = (u32)c->msr_sysenter_cs & 0xfffc;

	if (!(sel & ~3u))
		return false;
	fast_sysx_segs(sel, 0, &s[0]);
	fast_sysx_segs(sel, 3, &s[1]);
	return fast_switch_ok(b, c, 0, c->eflags, &s[0]) &&
	       fast_switch_ok(b, c, 3, c->eflags, &s[1]);
}

static inline __attribute__((always_inline)) bool
fast_sysx_can_arm(const struct bt_vm *b, const struct sw_cpu *c,
		  struct fast_switch s[2])
{
	return fast_inline_ok(b, c) && fast_sysx_msr_ok(b, c, s);
}

/* Where translated SYSENTER and SYSEXIT go: their routines, or the
 * fast callout. */
static void fast_sysx_disarm(struct bt_vm *b)
{
	b->sysx_armed = false;
	b->ro->sysx_fn[0] = (u32)(uintptr_t)b->sysx_leave_fn[0];
	b->ro->sysx_fn[1] = (u32)(uintptr_t)b->sysx_leave_fn[1];
}

/* @ok: fast_inline_ok's answer for the state now. */
static inline __attribute__((always_inline)) void fast_sysx_arm(struct bt_vm *b,
								bool ok)
{
	struct sw_cpu *c = b->c;
	struct fast_switch s[2];

	if (!ok || !fast_sysx_msr_ok(b, c, s)) {
		fast_sysx_disarm(b);
		return;
	}
	for (int i = 0; i < 2; i++) {
		b->ro->sysx_ss[i] = s[i].hss;
		b->ro->sysx_table_off[i] = s[i].table * BT_TABLE_SIZE;
		b->ro->sysx_fn[i] = (u32)(uintptr_t)b->sysx_fn[i];
		b->ro->sysx_sels[i] = s[i].cs.selector | (u32)s[i].ss.selector
								 << 16;
	}
	b->ro->sysenter_esp = (u32)c->msr_sysenter_esp;
	b->ro->sysenter_eip = (u32)c->msr_sysenter_eip;
	b->sysx_armed = true;
	b->st.sysx_armed++;
}

/*
 * The monitor's record after a translated SYSENTER or SYSEXIT: CPL, CS,
 * SS (and their host selectors), the shadow's class, the lookup table,
 * as fast_switch makes them. ESP, EIP and the virtual IF are translated
 * code's already. False when bt_page.sysx (a claim) names nothing armed
 * or the live SS is not the one its routine loads: nothing changed
 * then, and the run ends (bt.c).
 */
static inline __attribute__((always_inline)) bool
fast_sysx_sync(struct bt_vm *b, struct sw_cpu *c)
{
	u32 m = b->page->sysx;
	struct fast_switch s[2];

	if (!m)
		return true;
	/* The live SS (the gate's store, the signal frame's) is the
	 * witness: only the routine loads the new shadow's selector, and a
	 * SYSENTER's is a DPL-0 one no CPL-3 code can load itself. */
	if ((m != BT_SYSX_ENTER && m != BT_SYSX_EXIT) || !b->sysx_armed ||
	    !fast_sysx_can_arm(b, c, s) || c->hsel[SW_SS] != s[m - 1].hss)
		return false;
	fast_switch(b, c, m == BT_SYSX_ENTER ? 0 : 3, c->eflags, &s[m - 1]);
	b->page->sysx = 0;
	return true;
}

#endif
