/*
 * refvmm --mode bt-simple: simple binary translation (bt.h; docs
 * refvmm-bt.md). The monitor is trap mode's (world switch, shadow
 * descriptors, emulator, IDT delivery, seccomp); what differs is that
 * the guest never runs its own code: each entry looks up or translates
 * the block at CS:EIP and enters the translation cache instead.
 *
 * Ways back from translated code, all through sw_world__enter:
 *   callout  a stub far-jumps to the gate: emulate (monitor__handle), chain
 *            a direct branch, fill an indirect-lookup miss, or end a
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

#include "bt.h"
#include "refvmm/machine.h"
#include "refvmm/run.h"
#include "refvmm/stats.h"
#include "refvmm/sw/segments.h"
#include "refvmm/sw/shadow_pt.h"
#include "refvmm/sw/world_switch.h"
#include "refvmm/log.h"
#include "refvmm/vcpu.h"

static const char *const exit_names[BT_EXIT_NR] = {
	[BT_EXIT_CALLOUT] = "callout",	 [BT_EXIT_BRANCH] = "branch",
	[BT_EXIT_MISS] = "lookup_miss",	 [BT_EXIT_STEP] = "step",
	[BT_EXIT_RAISE_UD] = "raise_ud", [BT_EXIT_RAISE_GP] = "raise_gp",
	[BT_EXIT_RAISE_NM] = "raise_nm", [BT_EXIT_DEBUG] = "breakpoint",
	[BT_EXIT_RAISE_PF] = "raise_pf", [BT_EXIT_STALE] = "stale_code",
	[BT_EXIT_ADAPT] = "adapted",
};

/* --- signals inside translated code (async-signal-safe) --- */

static bool boundary(const struct bt_vm *b, u64 rip)
{
	u32 eip;

	if (rip == (u64)(uintptr_t)b->lookup_fn)
		return true; /* guest state complete, EIP = page target */
	return bt_tcache_map(b, rip, true, &eip);
}

static int bt_signal_hook(int sig, void *ucv, struct sw_cpu *c)
{
	struct bt_vm *b = bt_of(c);
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	u16 cs = (u16)(g[REG_CSGSFS] & 0xffff);
	u64 rip = (u64)g[REG_RIP];

	if (!b || b->c != c)
		return SW_HOOK_PASS;
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
		return SW_HOOK_RESUME;
	}
	return SW_HOOK_PASS;
}

/* --- --trace bt: the block, guest and host side by side --- */

static void log_block(struct bt_vm *b, const struct bt_block *tb)
{
	struct monitor *t = b->t;
	u32 i;

	log__printf("bt translate 0x%x (cs base 0x%x cpl %d iopl %d%s): "
		      "%u guest bytes, %u instructions -> %u host bytes at "
		      "0x%x",
		      tb->key.eip, tb->key.cs_base, tb->key.cpl, tb->key.iopl,
		      tb->key.single ? ", single" : "", tb->glen, tb->ninsn,
		      tb->tc_len, (u32)(uintptr_t)tb->tc);
	for (i = 0; i < tb->nmap; i++) {
		u32 off = tb->map[i].off;
		u32 end = i + 1 < tb->nmap ? tb->map[i + 1].off : tb->tc_len;
		const u8 *p = tb->tc + off;
		size_t len = end - off;
		u64 addr = (u64)(uintptr_t)p;
		char guest[256] = "";
		bool first = true;
		const cs_insn *gi = NULL;

		if (i < tb->nmap && tb->map[i].eip >= tb->key.eip &&
		    tb->map[i].eip < tb->key.eip + tb->glen)
			gi = emulate__decode(t, tb->map[i].eip);
		if (gi)
			snprintf(guest, sizeof(guest), "%08x  %s %s",
				 tb->map[i].eip, gi->mnemonic, gi->op_str);
		else
			snprintf(guest, sizeof(guest), "  -> %08x",
				 tb->map[i].eip);
		while (len && cs_disasm_iter(b->cs_host, &p, &len, &addr,
					     b->host_insn)) {
			log__printf(
				"bt   %-40s | %08x  %s %s", first ? guest : "",
				(u32)b->host_insn->address,
				b->host_insn->mnemonic, b->host_insn->op_str);
			first = false;
		}
		if (first)
			log__printf("bt   %-40s |", guest);
	}
}

/* --- the block for the current state --- */

static void current_key(struct bt_vm *b, struct bt_key *k)
{
	struct sw_cpu *c = b->c;

	k->eip = c->eip;
	k->cs_base = (u32)c->seg[SW_CS].base;
	k->cpl = (u8)c->cpl;
	k->iopl = (u8)((c->eflags & EFL_IOPL) >> 12);
	k->fpu = (u8)(c->cr0 & (CR0_EM | CR0_MP | CR0_TS));
	k->ss16 = !c->seg[SW_SS].db;
	k->wreq = b->t->window_requested;
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

static struct bt_block *get_block(struct bt_vm *b, const struct bt_key *k)
{
	struct bt_block *tb;
	u64 t0;
	bool smc = (b->smc_active && k->eip == b->smc_eip) ||
		   (b->nmmio && k->eip == b->mmio_eip);

	if (!smc) {
		tb = bt_tcache_find(b, k);
		if (tb)
			return tb;
	}
	if (b->ncodepages + 4 > BT_MAX_CODEPAGES)
		bt_tcache_flush(b, "code pages");
	t0 = clock__monotonic_ns();
	tb = bt_translate(b, k);
	b->st.translate_ns += clock__monotonic_ns() - t0;
	if (smc)
		tb->nocache = true;
	else
		bt_tcache_insert(b, tb);
	if (b->t->m->log_events & LOG_BT)
		log_block(b, tb);
	return tb;
}

static bool stop_internal(struct vm_exit *exit, const char *fmt, u32 a, u32 bb)
{
	exit->reason = VM_EXIT_INTERNAL;
	snprintf(exit->detail, sizeof(exit->detail), fmt, a, bb);
	return true;
}

static void count_callout(struct bt_vm *b)
{
	const cs_insn *in = b->t->last;
	char name[64];

	b->st.callouts++;
	snprintf(name, sizeof(name), "bt.callouts.%s",
		 in ? in->mnemonic : "(undecodable)");
	stats__add(&b->t->m->stats, name, 1);
}

/* A callout: what the stub asked for. True when the run loop must see
 * @exit. */
static bool callout(struct bt_vm *b, const struct bt_key *k, u32 entry_efl,
		    struct vm_exit *exit)
{
	struct monitor *t = b->t;
	struct sw_cpu *c = b->c;
	u32 code = b->page->exit_code, site;
	struct sw_event ev = {.kind = SW_EV_FAULT, .syscall_nr = -1};
	bool was_mstep = t->monitor_step, r;
	u32 dr[5];
	u64 gen;
	int i;

	if (code >= BT_EXIT_NR || !code)
		return stop_internal(exit,
				     "bt-simple: bad callout code %u at 0x%x",
				     code, c->eip);
	b->st.exits[code]++;
	switch (code) {
	case BT_EXIT_BRANCH:
		site = b->page->patch_site;
		if (site && b->chaining) {
			struct bt_key nk = *k;
			struct bt_block *tb;

			nk.eip = c->eip;
			gen = b->generation;
			tb = get_block(b, &nk);
			if (gen == b->generation) {
				bt_chain(b, site, tb->tc);
				if (t->m->log_events & LOG_BT)
					log__printf("bt chain 0x%x -> 0x%x "
						      "(guest 0x%x)",
						      site,
						      (u32)(uintptr_t)tb->tc,
						      c->eip);
			}
		}
		return false;
	case BT_EXIT_MISS:
		b->st.lookup_miss++;
		c->eip = b->page->target;
		return false;
	case BT_EXIT_STEP:
		b->st.steps++;
		c->irq_shadow = false;
		c->eflags &= ~EFL_RF;
		/* single-step trap after the instruction (SDM Vol. 3B
		 * 17.3.1.4, DR6.BS) and data breakpoints it hit (17.2.4,
		 * DR6.Bn): one #DB */
		if (entry_efl & EFL_TF)
			c->dr[6] |= 0x4000;
		if (b->dbp_fire) {
			c->dr[6] = (c->dr[6] & ~0xfu) | b->dbp_fire;
			b->st.dbp_hits++;
		}
		if ((entry_efl & EFL_TF) || b->dbp_fire) {
			b->dbp_fire = 0;
			if (!monitor__deliver(t, 1, false, 0, DELIVER_EXCEPTION,
					      c->eip, exit))
				return true;
		}
		if (was_mstep) {
			t->monitor_step = false;
			exit->reason = VM_EXIT_IRQ_WINDOW;
			return true;
		}
		return false;
	case BT_EXIT_RAISE_GP:
		return !monitor__deliver(t, 13, true, 0, DELIVER_EXCEPTION,
					 c->eip, exit);
	case BT_EXIT_ADAPT:
		return bt_adapt_run_callout(b, k, exit);
	case BT_EXIT_STALE:
		b->st.stale++;
		bt_tcache_flush(b, "self-check found changed code");
		return false;
	case BT_EXIT_RAISE_NM:
		return !monitor__deliver(t, 7, false, 0, DELIVER_EXCEPTION,
					 c->eip, exit);
	case BT_EXIT_RAISE_PF: {
		/* Fetch again: the walk gives CR2 and the error code now. */
		u8 g[16];
		u32 pf_lin = 0, pf_err = 0;

		if (bt_fetch(b, (u32)c->seg[SW_CS].base + c->eip, g, 15,
			     &pf_lin, &pf_err) == 15) {
			bt_tcache_flush(b, "fetch no longer faults");
			return false;
		}
		c->cr2 = pf_lin;
		return !monitor__deliver(t, 14, true, pf_err, DELIVER_EXCEPTION,
					 c->eip, exit);
	}
	case BT_EXIT_DEBUG:
		/* DR6.Bn for every breakpoint that matches. The frame's RF
		 * stays as it was: an instruction breakpoint is the one
		 * fault that does not set it; the handler does. */
		for (i = 0; i < 4; i++)
			if ((c->dr[7] >> (2 * i)) & 3 &&
			    !((c->dr[7] >> (16 + 4 * i)) & 3) &&
			    c->dr[i] == (u32)c->seg[SW_CS].base + c->eip)
				c->dr[6] |= 1u << i;
		return !monitor__deliver(t, 1, false, 0, DELIVER_EXCEPTION,
					 c->eip, exit);
	case BT_EXIT_RAISE_UD:
		ev.vector = 6;
		ev.what = "invalid opcode";
		return monitor__handle(t, &ev, exit);
	default:
		break;
	}
	/* Emulation, exactly as if the instruction had trapped: #GP(0). */
	ev.vector = 13;
	ev.has_error = true;
	ev.what = "callout";
	t->last = NULL;
	memcpy(dr, c->dr, 4 * sizeof(u32));
	dr[4] = c->dr[7];
	r = monitor__handle(t, &ev, exit);
	count_callout(b);
	/* New instruction breakpoints: translations must check them. */
	if (memcmp(dr, c->dr, 4 * sizeof(u32)) || dr[4] != c->dr[7]) {
		bt_tcache_flush(b, "debug registers");
		bt_dbp_update(b);
	}
	if (!r && was_mstep && !c->irq_shadow) {
		t->monitor_step = false;
		exit->reason = VM_EXIT_IRQ_WINDOW;
		return true;
	}
	return r;
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

/* One entry into the cache and what came back. */
static bool step(struct bt_vm *b, struct vm_exit *exit)
{
	struct monitor *t = b->t;
	struct sw_cpu *c = b->c;
	struct bt_block *tb;
	struct bt_key k;
	struct sw_event ev;
	u32 keyw, he, entry_efl, geip;
	bool smc_run, mmio_run;
	int kind;

	if (!c->seg[SW_CS].db)
		return stop_internal(exit,
				     "bt-simple translates 32-bit code "
				     "segments only (CS.D=0 at 0x%x, cs "
				     "0x%x)",
				     c->eip, c->seg[SW_CS].selector);
	current_key(b, &k);
	smc_run = b->smc_active && k.eip == b->smc_eip;
	mmio_run = b->nmmio && k.eip == b->mmio_eip;
	tb = get_block(b, &k);
	keyw = bt_key_word(&k);
	if (!k.single) {
		if (keyw != b->table_keyw) {
			bt_table_clear(b);
			b->table_keyw = keyw;
		}
		bt_table_set(b, keyw, k.eip, tb->tc);
	}
	entry_efl = c->eflags;
	b->page->vif = (c->eflags & EFL_IF) ? 1 : 0;
	b->page->vflags =
		c->eflags & (EFL_IOPL | EFL_NT | EFL_VIF | EFL_VIP | EFL_TF);
	b->page->guest_gs_sel = c->hsel_set[SW_GS];
	b->page->guest_cs_sel = c->hsel_set[SW_CS];
	c->hsel[SW_CS] = b->sel_code;
	c->hsel[SW_GS] = b->sel_gs;
	c->eip = (u32)(uintptr_t)tb->tc;
	c->host_eflags =
		(c->eflags & ~(EFL_VIRTUAL | EFL_TF)) | EFL_IF | EFL_FIXED;
	b->stepping = false;
	/* The shadow holds one privilege class at a time (shadow_pt.h). */
	if (shadow__set_user(&t->sp, c->cpl == 3) < 0)
		return stop_internal(exit,
				     "shadow page tables: a host mapping call "
				     "failed (cpl %u, eip 0x%x)",
				     (u32)c->cpl, c->eip);
	kind = sw_world__enter(c);
	b->stepping = false;
	he = c->host_eflags;
	c->eflags = (he & ~(EFL_VIRTUAL | EFL_TF)) |
		    (c->eflags & (EFL_VIRTUAL | EFL_TF));
	c->eflags = b->page->vif ? c->eflags | EFL_IF : c->eflags & ~EFL_IF;
	c->hsel[SW_CS] = c->hsel_set[SW_CS];
	c->hsel[SW_GS] = c->hsel_set[SW_GS];
	sw_sync_from_host(c);
	if (kind != BT_EXIT_KIND_CALLOUT) {
		/* a signal or the kick: back from the cache address */
		u64 rip = c->eip;

		if (rip == (u64)(uintptr_t)b->lookup_fn) {
			geip = b->page->target;
		} else if (!bt_tcache_map(b, rip, false, &geip)) {
			if (smc_run)
				bt_smc_settle(b);
			return stop_internal(exit,
					     "bt-simple: host fault at 0x%x "
					     "outside any translation (signal "
					     "%u)",
					     (u32)rip, (u32)c->signo);
		}
		c->eip = geip;
		if (kind != SW_EXIT_KICK) {
			b->st.host_faults++;
			bt_adapt_before_fault(b, &k, rip, geip);
		}
	}
	if (smc_run)
		bt_smc_settle(b);
	if (mmio_run) {
		traps__decode(c, kind, &ev);
		/* the instruction reached a second MMIO page: open it too */
		if (ev.kind == SW_EV_FAULT && ev.vector == 14 &&
		    bt_mmio_addr(b, ev.cr2) && c->eip == b->mmio_eip &&
		    bt_mmio_open(b, ev.cr2, c->eip))
			return false;
		bt_mmio_settle(b);
	}
	b->dbp_fire = b->dbp_hits;
	b->dbp_hits = 0;
	if (kind == SW_EXIT_KICK) {
		b->st.kicks++;
		exit->reason = VM_EXIT_KICK;
		return true;
	}
	if (kind == BT_EXIT_KIND_CALLOUT)
		return callout(b, &k, entry_efl, exit);
	traps__decode(c, kind, &ev);
	if (ev.kind == SW_EV_FAULT && ev.vector == 14 &&
	    bt_dbp_page(b, ev.cr2)) {
		/* the page of a data breakpoint: does this access hit it? */
		b->st.dbp_faults++;
		b->dbp_hits = bt_dbp_match(b, ev.cr2, access_size(t, c->eip),
					   ev.error & 2);
		bt_smc_fault(b, ev.cr2, c->eip);
		return false;
	}
	if (ev.kind == SW_EV_FAULT && ev.vector == 14 &&
	    bt_mmio_addr(b, ev.cr2)) {
		/* MMIO: the shared emulator's MOV, else a shadow page */
		if (!(c->eflags & EFL_TF) && !c->irq_shadow) {
			enum monitor_step st =
				monitor__emulate(t, &ev, exit, NULL);

			if (st != MONITOR_NOT)
				return st == MONITOR_EXIT;
		}
		if (bt_mmio_open(b, ev.cr2, c->eip))
			return false;
	}
	if (ev.kind == SW_EV_FAULT && ev.vector == 14 && (ev.error & 2) &&
	    bt_code_page_protected(b, ev.cr2)) {
		/* A store to a page with translations. A MOV is emulated
		 * through the monitor's own mapping (the write hook checks
		 * the translated bytes); anything else runs alone with the
		 * page open, and the page is compared afterwards. */
		if (!(c->eflags & EFL_TF) && !c->irq_shadow) {
			u64 mw = b->st.monitor_writes;
			bool done;
			enum monitor_step st =
				monitor__emulate(t, &ev, exit, &done);

			if (done) {
				b->st.smc_emulated++;
				if (b->st.monitor_writes == mw)
					bt_data_store(b, ev.cr2);
			}
			if (st != MONITOR_NOT)
				return st == MONITOR_EXIT;
		}
		bt_smc_fault(b, ev.cr2, c->eip);
		return false;
	}
	return monitor__handle(t, &ev, exit);
}

/*
 * I/O breakpoints (CR4.DE=1, DR7 R/W = 10): a #DB trap after the IN/OUT
 * whose port range overlaps a breakpoint's (SDM Vol. 3B 17.2.4, 17.2.5).
 * Every I/O instruction is a callout, so the monitor sees each port.
 * Returns true when the run must stop with @exit.
 */
static bool io_breakpoint(struct bt_vm *b, u16 port, u32 size,
			  struct vm_exit *exit)
{
	static const u32 len[4] = {1, 2, 8, 4};
	struct sw_cpu *c = b->c;
	u32 dr7 = c->dr[7], hit = 0;
	int i;

	if (!(c->cr4 & CR4_DE))
		return false;
	for (i = 0; i < 4; i++) {
		u32 lo = c->dr[i], l = len[(dr7 >> (18 + 4 * i)) & 3];

		if (!((dr7 >> (2 * i)) & 3) || ((dr7 >> (16 + 4 * i)) & 3) != 2)
			continue;
		if (port < lo + l && lo < (u32)port + size)
			hit |= 1u << i;
	}
	if (!hit)
		return false;
	c->dr[6] = (c->dr[6] & ~0xfu) | hit;
	return !monitor__deliver(b->t, 1, false, 0, DELIVER_EXCEPTION, c->eip,
				 exit);
}

static int bt__run(struct vcpu *vcpu, struct vm_exit *exit)
{
	struct monitor *t = vcpu->mode_priv;
	struct bt_vm *b = t->hooks.engine;

	if (t->io.pending) {
		u16 port = t->io.port;
		u32 size = t->io.size;

		emulate__complete_io(t);
		if (io_breakpoint(b, port, size, exit))
			return 0;
	}
	for (;;) {
		if (t->m->stop) {
			exit->reason = VM_EXIT_OTHER;
			return 0;
		}
		bool stopped = step(b, exit);

		bt_adapt_after_fault(b, stopped);
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
		bt_mmio_settle(b);
		if (b->host_insn)
			cs_free(b->host_insn, 1);
		if (b->guest_insn)
			cs_free(b->guest_insn, 1);
		if (b->cs_host)
			cs_close(&b->cs_host);
		free(b->blocks);
		free(b->maps);
		free(b->page_idx);
		free(b->codepages);
		free(b->data_stores);
		free(b->selfcheck);
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
		{BT_FEAT_AVX, FEAT_AVX},     {BT_FEAT_BMI1, FEAT_BMI1},
		{BT_FEAT_BMI2, FEAT_BMI2},   {BT_FEAT_OSXSAVE, FEAT_XSAVE},
		{BT_FEAT_RDPID, FEAT_RDPID}, {BT_FEAT_MOVDIR, FEAT_MOVDIRI},
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

	r = monitor__init(vcpu, err, errlen);
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
	b->feats = bt_feats(&t->m->cpu);
	t->hooks = (struct monitor_hooks){
		.emulate_first = bt_callout_emulate,
		.emulate_traced_stores = true,
		.engine = b,
	};
	r = bt_tcache_init(b, err, errlen);
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
	t->c->write_hook = bt_monitor_write;
	bt_paging_init(b);
	/* RDTSC is always a callout here: no need to trap the host's (which
	 * also traps the monitor's own vDSO clock). */
	sw_world__set_tsc_trapping(false);
	t->tsc_trapping = false;
	snprintf(t->host_notes[1], sizeof(t->host_notes[1]),
		 "off: bt-simple translates every RDTSC into a callout");
	sw_signal_hook = bt_signal_hook;
	return 0;
}

/* --mode bt: bt-simple plus adaptation (adapt.c). */
static int bt_adaptive__init(struct vcpu *vcpu, char *err, size_t errlen)
{
	struct monitor *t;
	struct bt_vm *b;
	u32 threshold;
	int r;

	if (bt_adapt_threshold_from_env(&threshold, err, errlen) < 0)
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
	bt_adapt_init(b->adapt, threshold);
	return 0;
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
	stats__set(s, "bt.lookups.miss", b->st.lookup_miss);
	stats__set(s, "bt.callouts_total", b->st.callouts);
	for (i = 1; i < BT_EXIT_NR; i++) {
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

static int bt__inject(struct vcpu *vcpu, irq_ack_fn ack, void *ctx)
{
	return monitor__inject(vcpu, ack, ctx);
}

const struct mode_ops bt_simple_mode_ops = {
	.name = "bt-simple",
	.summary = "simple binary translation (32-bit guests)",
	.widths = MODE_WIDTH_32,
	.order = 2,
	.init = bt__init,
	.run = bt__run,
	.inject = bt__inject,
	.stats = bt__stats,
	.destroy = bt__destroy,
};

const struct mode_ops bt_mode_ops = {
	.name = "bt",
	.summary = "adaptive binary translation (32-bit guests)",
	.widths = MODE_WIDTH_32,
	.order = 1,
	.init = bt_adaptive__init,
	.run = bt__run,
	.inject = bt__inject,
	.stats = bt__stats,
	.destroy = bt__destroy,
};

MODE_REGISTER(bt_simple_mode_ops);
MODE_REGISTER(bt_mode_ops);
