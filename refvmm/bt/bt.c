/*
 * refvmm --mode bt-simple and --mode bt: binary translation (bt.h; docs
 * refvmm-bt.md). The monitor is trap mode's (world switch, shadow
 * descriptors, emulator, IDT delivery, seccomp); what differs is that
 * the guest never runs its own code: each entry looks up or translates
 * the block at CS:EIP and enters the translation cache instead.
 *
 * Ways back from translated code, all through sw_world__enter:
 *   callout  a stub far-jumps to the gate (callout.c): emulate, chain a
 *            direct branch, fill an indirect-lookup miss, or end a
 *            one-instruction block (guest TF, interrupt shadow, SMC);
 *   signal   a fault in translated code: the cache address is mapped
 *            back to the guest instruction (precise exceptions), then
 *            handled as trap mode would; a write to a protected code
 *            page is coherence, not a guest event;
 *   kick     the deadline timer. If it lands inside a rewritten
 *            sequence, the signal hook single-steps the host to the
 *            next instruction boundary first, so interrupts reach
 *            translated code promptly with no check in any block.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>

#include "adapt.h"
#include "breakpoint.h"
#include "bt.h"
#include "callout.h"
#include "codepage.h"
#include "fast.h"
#include "gate.h"
#include "integrity.h"
#include "isys.h"
#include "mmio.h"
#include "refvmm/log.h"
#include "refvmm/machine.h"
#include "refvmm/run.h"
#include "refvmm/stats.h"
#include "refvmm/sw/host_check.h"
#include "refvmm/sw/segments.h"
#include "refvmm/sw/shadow_desc.h"
#include "refvmm/sw/shadow_pt.h"
#include "refvmm/sw/world_switch.h"
#include "refvmm/vcpu.h"
#include "retranslate.h"
#include "smc.h"
#include "tcache.h"
#include "translate.h"
#include "translog.h"

static const char *const exit_names[BT_EXIT_NR] = {
	[BT_EXIT_CALLOUT] = "callout",	 [BT_EXIT_BRANCH] = "branch",
	[BT_EXIT_MISS] = "lookup_miss",	 [BT_EXIT_STEP] = "step",
	[BT_EXIT_RAISE_UD] = "raise_ud", [BT_EXIT_RAISE_GP] = "raise_gp",
	[BT_EXIT_RAISE_NM] = "raise_nm", [BT_EXIT_DEBUG] = "breakpoint",
	[BT_EXIT_RAISE_PF] = "raise_pf", [BT_EXIT_STALE] = "stale_code",
	[BT_EXIT_ADAPT] = "adapted",	 [BT_EXIT_RAISE_DE] = "raise_de",
	[BT_EXIT_SHADOW] = "sti_shadow",
	/* BT_EXIT_FAST: counted as the callout it is (fast.c) */
};

/* --- signals inside translated code (async-signal-safe) --- */

static bool boundary(const struct bt_vm *b, u64 rip)
{
	u32 eip;

	if (rip == (u64)(uintptr_t)b->lookup_fn)
		return true; /* guest state complete, EIP = page target */
	return tcache__map(b, rip, true, &eip);
}

/* Where @label of the gate is in its copy in the monitor window. */
static u64 gate_copy(const char *label)
{
	return BT_GATE_ADDR + (u64)(label - bt_gate_start);
}

static bool fast_return(u64 rip)
{
	return rip >= gate_copy(bt_gate_fast_critical) &&
	       rip <= gate_copy(bt_gate_fast_critical_end);
}

static int bt_signal_hook(int sig, void *ucv, struct sw_cpu *c)
{
	struct bt_vm *b = vm__of(c);
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	u16 cs = (u16)(g[REG_CSGSFS] & 0xffff);
	u64 rip = (u64)g[REG_RIP];

	if (!b || b->c != c)
		return SW_HOOK_PASS;
	if (sig == SIGUSR1 && cs == HOST_CS64 && fast_return(rip)) {
		/* between the fast return's test of the kick and its IRETQ:
		 * leave as the kick instead (gate.S) */
		c->kick = 1;
		g[REG_RIP] = (greg_t)gate_copy(bt_gate_fast_bail);
		return SW_HOOK_RESUME;
	}
	if (sig == SIGTRAP && b->stepping) {
		if (cs == HOST_CS64) {
			/* stepped into the callout gate: the callout ends
			 * the run and the kick is seen at the next entry */
			g[REG_EFL] &= ~(greg_t)EFL_TF;
			b->stepping = false;
			c->kick = 1;
			return SW_HOOK_RESUME;
		}
		if (cs == b->sel_code && boundary(b, rip)) {
			g[REG_EFL] &= ~(greg_t)EFL_TF;
			b->stepping = false;
			return SW_HOOK_KICK;
		}
		return SW_HOOK_RESUME;
	}
	if (sig == SIGUSR1 && cs == b->sel_code && !boundary(b, rip)) {
		c->kick = 1;
		b->stepping = true;
		b->st.kick_steps++;
		g[REG_EFL] |= EFL_TF;
		/* an INT or IRETD routine's POPF would load the flags it
		 * pushed before the kick: TF there too (isys.S) */
		if (isys__flags_pushed(b, rip))
			b->page->isys_stack[2] |= EFL_TF;
		return SW_HOOK_RESUME;
	}
	return SW_HOOK_PASS;
}

/* --- the block for the current state --- */

static void current_key(struct bt_vm *b, struct bt_key *k)
{
	struct sw_cpu *c = b->c;

	k->eip = c->eip;
	bt_key_state(b, k);
	/* RF=1 matters only for an instruction breakpoint: run one
	 * instruction without them, then RF is clear (17.3.1.1). */
	k->nobp = false;
	if (c->eflags & EFL_RF) {
		if (c->dr[7] & 0xff)
			k->nobp = true;
		else
			c->eflags &= ~EFL_RF;
	}
	k->single = (c->eflags & EFL_TF) || c->irq_shadow ||
		    b->t->monitor_step || k->nobp ||
		    (b->smc_active && c->eip == b->smc_eip) ||
		    (b->nmmio && c->eip == b->mmio_eip);
}

static bool stop_internal(struct vm_exit *exit, const char *fmt, u32 a, u32 bb)
{
	exit->reason = VM_EXIT_INTERNAL;
	snprintf(exit->detail, sizeof(exit->detail), fmt, a, bb);
	return true;
}

/* The widest memory operand of the guest instruction at @eip. */
static u32 access_size(struct monitor *t, u32 eip)
{
	const cs_insn *in = emulate__decode(t, eip);
	u32 size = 0;
	int i;

	if (!in)
		return 4;
	for (i = 0; i < in->detail->x86.op_count; i++)
		if (in->detail->x86.operands[i].type == X86_OP_MEM &&
		    in->detail->x86.operands[i].size > size)
			size = in->detail->x86.operands[i].size;
	return size ? size : 4;
}

/* The machine's pure port cells into bt_ro for translated IN
 * (translate.c emit_in): devices change them only while the monitor
 * runs, so the copy at an entry is what an IN would read until the next
 * exit; it is taken again when the set's generation moved. A second
 * port hashed to a taken slot is left out: its IN takes the fast
 * callout, which reads the set itself. */
static void pure_copy(struct bt_vm *b)
{
	const struct pio_pure_set *s = &b->t->m->pio_pure;
	u32 n = s->n < PIO_PURE_MAX ? s->n : PIO_PURE_MAX;

	if (b->pure_gen == s->gen)
		return;
	b->pure_gen = s->gen;
	memset(b->ro->pure, 0, sizeof(b->ro->pure));
	for (u32 i = 0; i < n; i++) {
		struct bt_pure_slot *p =
			&b->ro->pure[pio_pure__slot(s->cell[i].port)];

		if (p->port)
			continue;
		p->port = s->cell[i].port;
		p->value = s->cell[i].value;
		p->valid = s->cell[i].valid;
	}
}

/* Runs translation @tb: the guest's flags and selectors around
 * sw_world__enter. Returns how the run came back (its kind), -1 when
 * the shadow could not switch privilege class, -2 when bt_page.sysx
 * names a SYSENTER, SYSEXIT, INT or IRETD that was not armed, -3 when
 * a fault inside INT's or IRETD's routine cannot be rolled back. */
static int run_block(struct bt_vm *b, const struct bt_block *tb)
{
	struct sw_cpu *c = b->c;
	u32 he, kept;
	int kind, rolled;
	bool sysx_ok;

	/* The shadow's privilege class and the segments' cut first: the
	 * cut rewrites the shadows the selectors below name. */
	if (vm__shadow_class(b->t) < 0)
		return -1;
	b->page->vif = (c->eflags & EFL_IF) ? 1 : 0;
	b->page->tsc_offset = (u64)c->tsc_offset;
	b->page->tsc_aux = c->msr_tsc_aux;
	b->page->cr[0] = c->cr0;
	b->page->cr[2] = c->cr2;
	b->page->cr[3] = c->cr3;
	b->page->cr[4] = c->cr4;
	pure_copy(b);
	b->page->vflags = c->eflags & (EFL_IOPL | EFL_NT | EFL_AC | EFL_VIF |
				       EFL_VIP | EFL_TF | EFL_ID);
	b->ro->guest_gs_sel = c->hsel_set[SW_GS];
	/* An execute-only CS cannot be loaded into GS (#GP(selector)); with
	 * a null GS the CS-overridden access faults #GP(0) and the emulator
	 * finds the guest's CS unreadable: #GP(0), as the CPU raises it
	 * (SDM Vol. 3A 3.4.5.1). */
	b->ro->guest_cs_sel =
		desc__is_readable(&c->seg[SW_CS]) ? c->hsel_set[SW_CS] : 0;
	c->hsel[SW_CS] = b->sel_code;
	c->hsel[SW_GS] = b->sel_gs;
	c->eip = (u32)(uintptr_t)tb->tc;
	kept = sw_eflags_kept(c) | EFL_TF;
	c->host_eflags = (c->eflags & ~kept) | EFL_IF | EFL_FIXED;
	b->stepping = false;
	b->page->cs_sel = c->seg[SW_CS].selector;
	b->page->ss_sel = c->seg[SW_SS].selector;
	fast__inline_arm(b);
	if (b->breach_sysx && b->sysx_armed && c->cpl == 3) {
		/* the claim a translated SYSENTER makes, with none run */
		b->page->sysx = BT_SYSX_ENTER;
		b->breach_sysx = false;
	}
	kind = sw_world__enter(c);
	b->stepping = false;
	/* a host fault inside INT's or IRETD's routine is the
	 * instruction's: the state it found first (isys.c) */
	rolled = kind != BT_EXIT_KIND_CALLOUT && kind != SW_EXIT_KICK
			 ? isys__rollback(b)
			 : 0;
	b->isys_rolled = rolled > 0;
	b->de_rolled = rolled == 2;
	/* a translated SYSENTER, SYSEXIT, INT or IRETD may have changed
	 * CPL, CS and SS (fast_sysx.h, fast_isys.h): the record first,
	 * everything below reads it */
	sysx_ok = fast__inline_sync(b);
	for (int i = 0; i < 2; i++) {
		b->st.inline_sysx[i] += b->page->inline_sysx[i];
		b->st.inline_isys[i] += b->page->inline_isys[i];
		b->page->inline_sysx[i] = 0;
	}
	/* INT delivered what the full path counts as a software
	 * interrupt */
	b->t->delivered_int += b->page->inline_isys[0];
	b->page->inline_isys[0] = b->page->inline_isys[1] = 0;
	/* and #DE what it counts as a raise and a delivered exception */
	b->st.inline_de += b->page->inline_de;
	b->st.exits[BT_EXIT_RAISE_DE] += b->page->inline_de;
	b->t->delivered_exc += b->page->inline_de;
	b->de_unfolded += b->page->inline_de;
	b->page->inline_de = 0;
	b->st.inline_movcr += b->page->inline_movcr;
	b->page->inline_movcr = 0;
	b->st.inline_in += b->page->inline_in;
	b->page->inline_in = 0;
	/* a fast callout may have changed CPL, and with it where AC lives
	 * (fast_cpl.h composed the host flags for the new one) */
	kept = sw_eflags_kept(c) | EFL_TF;
	he = c->host_eflags;
	c->eflags = (he & ~kept) | (c->eflags & kept);
	c->eflags = b->page->vif ? c->eflags | EFL_IF : c->eflags & ~EFL_IF;
	c->hsel[SW_CS] = c->hsel_set[SW_CS];
	c->hsel[SW_GS] = c->hsel_set[SW_GS];
	sw_sync_from_host(c);
	if (rolled < 0)
		return -3;
	return sysx_ok ? kind : -2;
}

/* Back by a signal or the kick: EIP becomes the guest instruction of the
 * cache address it came back from. False when that is outside any
 * translation. */
static bool map_back(struct bt_vm *b, const struct bt_key *k, int kind)
{
	struct sw_cpu *c = b->c;
	u64 rip = c->eip;
	u32 geip;

	if (rip == (u64)(uintptr_t)b->lookup_fn)
		geip = b->page->target;
	else if (b->isys_rolled)
		geip = b->page->eip; /* the INT or IRETD (isys.c) */
	else if (!tcache__map(b, rip, false, &geip))
		return false;
	c->eip = geip;
	if (kind != SW_EXIT_KICK) {
		b->st.host_faults++;
		retranslate__before_fault(b, k, rip, geip);
	}
	return true;
}

/* After an instruction ran on MMIO shadow pages: true when it reached a
 * second MMIO page, now open too (it runs again); else write back. */
static bool mmio_again(struct bt_vm *b, int kind)
{
	struct sw_cpu *c = b->c;
	struct sw_event ev;

	traps__decode(c, kind, &ev);
	if (ev.kind == SW_EV_FAULT && ev.vector == 14 &&
	    mmio__addr(b, ev.cr2) && c->eip == b->mmio_eip &&
	    mmio__open(b, ev.cr2, c->eip,
		       ev.error & 2 ? access_size(b->t, c->eip) : 0))
		return true;
	mmio__settle(b);
	return false;
}

/* The emulator, unless the instruction must run alone (guest TF, an
 * interrupt shadow). */
static enum monitor_step try_emulate(struct bt_vm *b, struct sw_event *ev,
				     struct vm_exit *exit, bool *done)
{
	if ((b->c->eflags & EFL_TF) || b->c->irq_shadow)
		return MONITOR_NOT;
	return monitor__emulate(b->t, ev, exit, done);
}

/*
 * A store to a page with translations. A MOV is emulated through the
 * monitor's own mapping (the write hook checks the translated bytes);
 * anything else runs alone with the page open, and the page is compared
 * afterwards. Returns true when the run loop must see @exit.
 */
static bool code_store(struct bt_vm *b, struct sw_event *ev,
		       struct vm_exit *exit)
{
	u64 mw = b->st.monitor_writes;
	bool done = false;
	enum monitor_step st = try_emulate(b, ev, exit, &done);

	if (done) {
		b->st.smc_emulated++;
		if (b->st.monitor_writes == mw)
			smc__data_store(b, ev->cr2);
	}
	if (st != MONITOR_NOT)
		return st == MONITOR_EXIT;
	smc__fault(b, ev->cr2, b->c->eip);
	return false;
}

/*
 * A #PF on a page the translator itself protects or shadows: a data
 * breakpoint's, MMIO, a code page. True when it was that; *stop then
 * says whether the run loop must see @exit.
 */
static bool translator_fault(struct bt_vm *b, struct sw_event *ev,
			     struct vm_exit *exit, bool *stop)
{
	struct sw_cpu *c = b->c;
	enum monitor_step st;

	*stop = false;
	if (breakpoint__on_page(b, ev->cr2)) {
		/* the page of a data breakpoint: does this access hit it? */
		b->st.dbp_faults++;
		b->dbp_hits = breakpoint__match(
			b, ev->cr2, access_size(b->t, c->eip), ev->error & 2);
		smc__fault(b, ev->cr2, c->eip);
		return true;
	}
	if (mmio__addr(b, ev->cr2)) {
		/* MMIO: the shared emulator's MOV, else a shadow page */
		st = try_emulate(b, ev, exit, NULL);
		if (st != MONITOR_NOT) {
			*stop = st == MONITOR_EXIT;
			return true;
		}
		if (mmio__open(b, ev->cr2, c->eip,
			       ev->error & 2 ? access_size(b->t, c->eip) : 0))
			return true;
	}
	if (!(ev->error & 2) || !codepage__protected(b, ev->cr2))
		return false;
	*stop = code_store(b, ev, exit);
	return true;
}

/*
 * A #GP(0) or #SS(0) at CPL 3 while user segments end at the privilege
 * split (shadow_class.h) may be an access the cut stopped, not one the
 * guest's descriptors forbid. The emulator decides it with the guest's
 * own segments and tables, as for any truncated segment (Linux's TLS
 * offsets that wrap past 4 GiB: every user period has some). What it
 * cannot emulate runs again natively without the split, lifted for the
 * rest of this user period: an access to a supervisor page then takes
 * the #PF the guest's tables give it (U/S = 1, P as they say: SDM Vol.
 * 3A 4.7), and a #GP that comes again is the guest's own. 1 handled
 * (*stop: the run loop must see @exit), 0 not that, -1 the host calls
 * failed.
 */
static int split_fault(struct bt_vm *b, struct sw_event *ev,
		       struct vm_exit *exit, bool *stop)
{
	enum monitor_step st;

	if (ev->kind != SW_EV_FAULT || ev->error ||
	    (ev->vector != 13 && ev->vector != 12) || b->c->cpl != 3 ||
	    !b->c->seg_cut)
		return 0;
	st = try_emulate(b, ev, exit, NULL);
	if (st != MONITOR_NOT) {
		*stop = st == MONITOR_EXIT;
		return 1;
	}
	*stop = false;
	if (shadow__split_lift(&b->t->sp) < 0 || sw_set_seg_cut(b->c, 0) < 0)
		return -1;
	return 1;
}

/* One entry into the cache and what came back. */
static bool step(struct bt_vm *b, struct vm_exit *exit)
{
	struct sw_cpu *c = b->c;
	struct bt_block *tb;
	struct bt_key k;
	struct sw_event ev;
	u32 entry_efl;
	bool smc_run, mmio_run, stop;
	int kind, lift;

	if (!c->seg[SW_CS].db)
		return stop_internal(exit,
				     "binary translation (bt-simple, bt) "
				     "runs 32-bit code segments only (CS.D=0 "
				     "at 0x%x, cs 0x%x)",
				     c->eip, c->seg[SW_CS].selector);
	current_key(b, &k);
	tcache__sync(b);
	smc_run = b->smc_active && k.eip == b->smc_eip;
	mmio_run = b->nmmio && k.eip == b->mmio_eip;
	tb = translate__get(b, &k);
	if (!k.single)
		tcache__table_set(b, &k, tb->tc);
	entry_efl = c->eflags;
	kind = run_block(b, tb);
	if (b->count_insns) {
		b->st.guest_insns += b->page->insns;
		b->page->insns = 0;
	}
	if (kind == -2)
		return stop_internal(
			exit,
			"bt: translated code reports a SYSENTER, "
			"SYSEXIT, INT or IRETD (%u) that was not armed or "
			"did not run "
			"(host address 0x%x)",
			(u32)b->page->sysx, c->eip);
	if (kind == -3)
		return stop_internal(exit,
				     "bt: a host fault in the INT or IRETD "
				     "routine (host address 0x%x, claim %u) "
				     "found SS or ES other than the monitor's "
				     "record",
				     c->eip, (u32)b->page->sysx);
	if (kind < 0)
		return stop_internal(exit,
				     "shadow page tables: a host mapping call "
				     "failed (cpl %u, eip 0x%x)",
				     (u32)c->cpl, c->eip);
	/* The key of the block that came back: a fast callout may have
	 * changed CPL, CS and SS on the way (fast_cpl.h), and a chain or
	 * an adaptation must be made under the key that block has (the
	 * other fields follow from state no fast callout changes). */
	bt_key_state(b, &k);
	if (kind != BT_EXIT_KIND_CALLOUT && !map_back(b, &k, kind)) {
		if (smc_run)
			smc__settle(b);
		return stop_internal(exit,
				     "bt-simple: host fault at 0x%x outside "
				     "any translation (signal %u)",
				     c->eip, (u32)c->signo);
	}
	if (smc_run)
		smc__settle(b);
	if (mmio_run && mmio_again(b, kind))
		return false;
	b->dbp_fire = b->dbp_hits;
	b->dbp_hits = 0;
	if (kind == SW_EXIT_KICK) {
		b->st.kicks++;
		exit->reason = VM_EXIT_KICK;
		return true;
	}
	if (kind == BT_EXIT_KIND_CALLOUT)
		return callout__run(b, &k, entry_efl, exit);
	if (b->de_rolled) {
		/* a host fault on the #DE routine's frame (isys.c): the
		 * DIV's #DE the long way, as BT_EXIT_RAISE_DE delivers it
		 * (callout.c), not the fault (a store to a page with
		 * translations would run the DIV alone, and a kick there
		 * would send it back through the routine) */
		b->st.exits[BT_EXIT_RAISE_DE]++;
		return callout__raise_de(b, exit);
	}
	traps__decode(c, kind, &ev);
	if (ev.kind == SW_EV_FAULT && ev.vector == 14 &&
	    translator_fault(b, &ev, exit, &stop))
		return stop;
	lift = split_fault(b, &ev, exit, &stop);
	if (lift < 0)
		return stop_internal(exit,
				     "shadow page tables: a host mapping call "
				     "failed lifting the split (eip 0x%x, "
				     "vector %u)",
				     c->eip, (u32)ev.vector);
	if (lift)
		return stop;
	return monitor__handle(b->t, &ev, exit);
}

/*
 * The test hook (REFVMM_BREACH_PROBE=canary|gs-selector|sysx): the monitor
 * makes, itself, one store a guest that got past the translator could
 * make, and the test sees the oracle end the run with status 92; for
 * sysx, a translated SYSENTER's claim in the page with none run, which
 * the sync refuses (status 86: fast_sysx.h).
 */
static void breach_probe(struct bt_vm *b, const char *what)
{
	if (!what)
		return;
	if (!strcmp(what, "canary"))
		((u8 *)b->page)[BT_GS_LIMIT] = 0;
	else if (!strcmp(what, "gs-selector"))
		b->ro->mon_gs_sel = 0x2b;
	else if (!strcmp(what, "sysx"))
		b->breach_sysx = true; /* run_block, once armed at CPL 3 */
}

/* The containment oracle: a breach ends the run, whatever it was. */
static void check_integrity(struct bt_vm *b, struct vm_exit *exit,
			    bool *stopped)
{
	char why[160];

	b->st.integrity_checks++;
	fast__checked(b);
	if (integrity__check(b, why, sizeof(why)))
		return;
	machine__breach(b->t->m, "%s", why);
	exit->reason = VM_EXIT_OTHER;
	*stopped = true;
}

static int bt__run(struct vcpu *vcpu, struct vm_exit *exit)
{
	struct monitor *t = vcpu->mode_priv;
	struct bt_vm *b = t->hooks.engine;

	if (t->io.pending) {
		u16 port = t->io.port;
		u32 size = t->io.size;

		emulate__complete_io(t);
		if (breakpoint__io(b, port, size, exit))
			return 0;
	}
	for (u32 n = 1;; n++) {
		if (t->m->stop) {
			exit->reason = VM_EXIT_OTHER;
			return 0;
		}
		bool stopped = step(b, exit);

		retranslate__after_fault(b, stopped);
		/* fast callouts are entries too: they leave it to here
		 * once BT_INTEGRITY_STEPS of them ran since the last */
		if (stopped || n % BT_INTEGRITY_STEPS == 0 ||
		    b->fast_since_check >= BT_INTEGRITY_STEPS)
			check_integrity(b, exit, &stopped);
		if (stopped)
			return 0;
	}
}

static void bt__destroy(struct vcpu *vcpu)
{
	struct monitor *t = vcpu->mode_priv;
	struct bt_vm *b = t ? t->hooks.engine : NULL;

	sw_signal_hook = NULL;
	if (b) {
		mmio__settle(b);
		if (b->translog_fd > 2)
			translog__flush(b);
		if (b->host_insn)
			cs_free(b->host_insn, 1);
		if (b->guest_insn)
			cs_free(b->guest_insn, 1);
		if (b->cs_host)
			cs_close(&b->cs_host);
		tcache__destroy(b);
		free(b->adapt);
		free(b);
		t->hooks.engine = NULL;
		t->c->write_hook = NULL;
	}
	monitor__destroy(vcpu);
}

/* Which gated instructions the virtual CPU allows. AVX and the XSAVE
 * family also need CR4.OSXSAVE, which the model's CPUs (no XSAVE) can
 * never set. */
static u32 bt_feats(const struct cpu_model *m)
{
	static const struct {
		enum bt_feat f;
		struct cpuid_feature cpuid;
	} map[] = {
		{BT_FEAT_AVX, FEAT_AVX},       {BT_FEAT_BMI1, FEAT_BMI1},
		{BT_FEAT_BMI2, FEAT_BMI2},     {BT_FEAT_OSXSAVE, FEAT_XSAVE},
		{BT_FEAT_RDPID, FEAT_RDPID},   {BT_FEAT_MOVDIR, FEAT_MOVDIRI},
		{BT_FEAT_RDTSCP, FEAT_RDTSCP}, {BT_FEAT_SMAP, FEAT_SMAP},
	};
	u32 feats = 1u << BT_FEAT_NONE;

	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (cpu_model__has(m, map[i].cpuid))
			feats |= 1u << map[i].f;
	return feats;
}

static int bt__init(struct vcpu *vcpu, char *err, size_t errlen)
{
	struct monitor *t;
	struct bt_vm *b;
	int r;

	r = monitor__init_for(vcpu, MONITOR_CODE_TRANSLATED, err, errlen);
	if (r < 0)
		return r;
	t = vcpu->mode_priv;
	b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, errlen, "out of memory");
		monitor__destroy(vcpu);
		return -ENOMEM;
	}
	b->t = t;
	b->c = t->c;
	b->chaining = !getenv("REFVMM_BT_NO_CHAIN");
	/* No segment load or host selector reaches translated code: the
	 * monitor can cut user segments at the privilege split, where the
	 * host CPU enforces the cut (QEMU's TCG checks no data-segment
	 * limits: there supervisor pages are unmapped at CPL 3 instead). */
	t->sp.split_ok =
		!getenv("REFVMM_BT_NO_SPLIT") && sw_host__limits_enforced();
	b->count_insns = t->m->count_insns;
	b->cx8_sync = sw_host__cx8_stale_flags();
	b->translog_fd = t->m->translog_fd;
	b->feats = bt_feats(&t->m->cpu);
	t->hooks = (struct monitor_hooks){
		.emulate_first = callout__emulate,
		.emulate_traced_stores = true,
		.engine = b,
	};
	r = tcache__init(b, err, errlen);
	if (r < 0) {
		bt__destroy(vcpu);
		return r;
	}
	if (cs_open(CS_ARCH_X86, CS_MODE_32, &b->cs_host) != CS_ERR_OK ||
	    !(b->host_insn = cs_malloc(b->cs_host))) {
		snprintf(err, errlen, "cannot open the Capstone decoder");
		bt__destroy(vcpu);
		return -EIO;
	}
	t->c->write_hook = smc__monitor_write;
	/* The guest never reads a host selector here (segment register
	 * reads are callouts): the cut shadows get their own LDT entries. */
	t->c->seg_banks = true;
	/* nor any extended state beyond x87 and SSE (VEX is #UD without
	 * CR4.OSXSAVE, which the virtual CPU never offers): the world
	 * switch moves only those (sw/world_switch.S guest_rfbm) */
	t->c->guest_narrow = !t->c->use_fxsave;
	/* RDTSC is a callout or, at CPL 0, a host RDTSC plus the guest's
	 * offset in the translation: the host's must not trap (which also
	 * traps the monitor's own vDSO clock). */
	sw_world__set_tsc_trapping(false);
	t->tsc_trapping = false;
	snprintf(t->host_notes[1], sizeof(t->host_notes[1]),
		 "off: the translator handles every RDTSC (a callout, or "
		 "the host's TSC plus the guest's offset at CPL 0)");
	sw_signal_hook = bt_signal_hook;
	/* Every executable mapping is made (the gate, the translation
	 * cache, the proxy page): from here on none may be. */
	r = monitor__seccomp(t, err, errlen);
	if (r < 0) {
		bt__destroy(vcpu);
		return r;
	}
	breach_probe(b, getenv("REFVMM_BREACH_PROBE"));
	return 0;
}

/* --mode bt: bt-simple plus adaptation (adapt.c, retranslate.c). */
static int bt_adaptive__init(struct vcpu *vcpu, char *err, size_t errlen)
{
	struct monitor *t;
	struct bt_vm *b;
	u32 threshold;
	int r;

	if (adapt__threshold_from_env(&threshold, err, errlen) < 0)
		return -EDOM; /* a usage error: main.c */
	r = bt__init(vcpu, err, errlen);
	if (r < 0)
		return r;
	t = vcpu->mode_priv;
	b = t->hooks.engine;
	b->adapt = malloc(sizeof(*b->adapt));
	if (!b->adapt) {
		snprintf(err, errlen, "out of memory");
		bt__destroy(vcpu);
		return -ENOMEM;
	}
	adapt__init(b->adapt, threshold);
	t->sp.hot_policy = true; /* adapted callouts need no mapping */
	return 0;
}

/* The fast callouts under the names the full path counts them by
 * (callout.c count, monitor.c fault_event, emulate.c emulate__insn):
 * added once, so a second --stats print does not add them again. */
static void fold_fast(struct bt_vm *b, struct stats *s)
{
	for (int i = 0; i < BT_FAST_NOPS; i++) {
		u64 n = b->fast_done[i];

		if (!n)
			continue;
		stats__add_in(s, "bt.fast", bt_fast_names[i], n);
		b->st.fast_callouts += n;
		b->fast_done[i] = 0;
		if (i == BT_FAST_RAISE_DE - 1) {
			stats__add_in(s, "delivered.exception", "DE", n);
			continue;
		}
		/* an adapted callout is the emulator's memory access
		 * (retranslate.c), no callout event */
		if (i == BT_FAST_ADAPT_MOV - 1) {
			stats__add_in(s, "emulated", "memory_access", n);
			continue;
		}
		stats__add(s, "events.callout", n);
		/* the full path's IN is an I/O exit of the run loop */
		if (i == BT_FAST_IN - 1)
			stats__add(s, "exits.io", n);
		stats__add_in(s, "emulated", bt_fast_names[i], n);
		stats__add_in(s, "bt.callouts", bt_fast_names[i], n);
	}
	/* an adapted access's #PF, raised by the gate (fast_shadow.h):
	 * the emulator's access and a delivered exception, as
	 * retranslate.c's raise counts */
	if (b->fast_pf) {
		stats__add_in(s, "bt.fast", "raise_pf", b->fast_pf);
		stats__add_in(s, "delivered.exception", "PF", b->fast_pf);
		stats__add_in(s, "emulated", "memory_access", b->fast_pf);
		b->st.fast_callouts += b->fast_pf;
		b->fast_pf = 0;
	}
	/* the #DEs the translation delivered itself (fast_isys.h) */
	if (b->de_unfolded)
		stats__add_in(s, "delivered.exception", "DE", b->de_unfolded);
	b->de_unfolded = 0;
}

static void bt__stats(struct vcpu *vcpu, struct stats *s)
{
	struct monitor *t = vcpu->mode_priv;
	struct bt_vm *b = t ? t->hooks.engine : NULL;
	char name[64];
	int i;

	monitor__stats(vcpu, s);
	if (!b)
		return;
	stats__set(s, "bt.translations", b->st.translations);
	stats__set(s, "bt.translated_guest_bytes", b->st.guest_bytes);
	stats__set(s, "bt.translated_host_bytes", b->st.tc_bytes);
	stats__set(s, "bt.translate_ns", b->st.translate_ns);
	stats__set(s, "bt.cache_bytes_in_use", (u64)(b->tc_free - b->tc_base));
	stats__set(s, "bt.cache_flushes", b->st.flushes);
	stats__set(s, "bt.chain_patches", b->st.chain_patches);
	stats__set(s, "bt.lookups.hit", b->page->hits);
	stats__set(s, "bt.integrity_checks", b->st.integrity_checks);
	if (b->count_insns)
		stats__set(s, "bt.guest_insns", b->st.guest_insns);
	for (int i = 0; i < BT_NKINDS; i++) {
		char name[48];

		snprintf(name, sizeof(name), "bt.kind.%s", bt_kind_names[i]);
		stats__set(s, name, b->st.kinds[i]);
	}
	stats__set(s, "bt.lookups.miss", b->st.lookup_miss);
	stats__set(s, "bt.callouts_total", b->st.callouts);
	fold_fast(b, s);
	stats__set(s, "bt.fast_callouts", b->st.fast_callouts);
	stats__set(s, "bt.lookups.fast_miss", b->st.fast_misses);
	stats__set(s, "bt.inline.rdtsc", b->page->inline_rdtsc);
	stats__set(s, "bt.inline.mov_from_cr", b->st.inline_movcr);
	stats__set(s, "bt.inline.in", b->st.inline_in);
	stats__set(s, "bt.cx8_syncs", b->st.cx8_syncs);
	stats__note(s, "host.cmpxchg8b_flags",
		    b->cx8_sync ? "stale: the translation ends the host's "
				  "block before each CMPXCHG8B"
				: "kept");
	stats__set(s, "bt.inline.sysenter", b->st.inline_sysx[0]);
	stats__set(s, "bt.inline.sysexit", b->st.inline_sysx[1]);
	stats__set(s, "bt.inline.armed_entries", b->st.sysx_armed);
	stats__set(s, "bt.inline.int", b->st.inline_isys[0]);
	stats__set(s, "bt.inline.iretd", b->st.inline_isys[1]);
	stats__set(s, "bt.inline.int_armed_entries", b->st.isys_armed[0]);
	stats__set(s, "bt.inline.iretd_armed_entries", b->st.isys_armed[1]);
	stats__set(s, "bt.inline.rolled_back", b->st.isys_rollbacks);
	stats__set(s, "bt.inline.raise_de", b->st.inline_de);
	stats__set(s, "bt.inline.raise_de_armed_entries",
		   b->st.level0_armed[0]);
	stats__set(s, "bt.inline.iretd_same_armed_entries",
		   b->st.level0_armed[1]);
	for (i = 1; i < BT_EXIT_NR; i++) {
		if (!exit_names[i])
			continue;
		snprintf(name, sizeof(name), "bt.exits.%s", exit_names[i]);
		stats__set(s, name, b->st.exits[i]);
	}
	for (i = 0; i < BT_NCLASSES; i++) {
		snprintf(name, sizeof(name), "bt.class.%s", bt_class_names[i]);
		stats__set(s, name, b->st.cls[i]);
	}
	stats__set(s, "bt.smc.write_faults", b->st.smc_faults);
	stats__set(s, "bt.smc.code_changed", b->st.smc_flushes);
	stats__set(s, "bt.smc.data_only", b->st.smc_false);
	stats__set(s, "bt.smc.emulated_stores", b->st.smc_emulated);
	stats__set(s, "bt.smc.self_checking_pages", b->st.selfcheck_pages);
	stats__set(s, "bt.smc.self_check_misses", b->st.stale);
	stats__set(s, "bt.smc.monitor_writes", b->st.monitor_writes);
	stats__set(s, "bt.interrupts.kicks", b->st.kicks);
	stats__set(s, "bt.interrupts.stepped_to_boundary", b->st.kick_steps);
	stats__set(s, "bt.single_instruction_blocks", b->st.steps);
	stats__set(s, "bt.data_breakpoints.page_faults", b->st.dbp_faults);
	stats__set(s, "bt.paging_flushes", b->paging_flushes);
	stats__set(s, "bt.space.changes", b->st.space_changes);
	stats__set(s, "bt.space.unchanged", b->st.space_unchanged);
	stats__set(s, "bt.space.kept", b->st.space_kept);
	stats__set(s, "bt.table.found", b->st.table_found);
	stats__set(s, "bt.table.new", b->st.table_new);
	stats__set(s, "bt.space.blocks_revalidated", b->st.blocks_revalidated);
	stats__set(s, "bt.space.blocks_stale", b->st.blocks_stale);
	stats__set(s, "bt.space.links_undone", b->st.links_undone);
	stats__set(s, "bt.mmio.shadow_page_steps", b->st.mmio_steps);
	stats__set(s, "bt.host_faults", b->st.host_faults);
	stats__set(s, "bt.data_breakpoints.hits", b->st.dbp_hits);
	if (b->adapt) {
		const struct bt_adapt *a = b->adapt;

		stats__set(s, "bt.adapt.threshold", a->threshold);
		stats__set(s, "bt.adapt.traps_counted", a->traps);
		stats__set(s, "bt.adapt.retranslations",
			   a->to_callout + a->to_ident);
		stats__set(s, "bt.adapt.to_callout", a->to_callout);
		stats__set(s, "bt.adapt.to_ident", a->to_ident);
		stats__set(s, "bt.adapt.callouts", a->callouts);
		stats__set(s, "bt.adapt.traps_avoided", a->avoided);
		stats__set(s, "bt.adapt.patches", a->patches);
		stats__set(s, "bt.adapt.table_full", a->full);
	}
}

const struct mode_ops bt_simple_mode_ops = {
	.name = "bt-simple",
	.summary = "simple binary translation (32-bit guests)",
	.widths = MODE_WIDTH_32,
	.order = 2,
	.host_check = sw_host__check,
	.init = bt__init,
	.run = bt__run,
	.inject = monitor__inject,
	.inject_nmi = monitor__inject_nmi,
	.stats = bt__stats,
	.destroy = bt__destroy,
};

const struct mode_ops bt_mode_ops = {
	.name = "bt",
	.summary = "adaptive binary translation (32-bit guests)",
	.widths = MODE_WIDTH_32,
	.order = 1,
	.host_check = sw_host__check,
	.init = bt_adaptive__init,
	.run = bt__run,
	.inject = monitor__inject,
	.inject_nmi = monitor__inject_nmi,
	.stats = bt__stats,
	.destroy = bt__destroy,
};

MODE_REGISTER(bt_simple_mode_ops);
MODE_REGISTER(bt_mode_ops);
