/*
 * The mechanism of adaptive binary translation (retranslate.h;
 * docs/refvmm-bt.md, "Adaptive translation"). The policy (adapt.c)
 * counts, per guest instruction, the host faults its IDENT translation
 * takes and the callouts that turned out needless; here an instruction
 * is retranslated as a callout (or back) and the translation that was
 * running is patched with a jump to the new one, so chained blocks, the
 * indirect-branch table and blocks that start earlier keep working
 * without a flush.
 *
 * A callout performs the access with the shared emulator (emu/: MOV
 * forms, then the generic stack, string and proxy paths), whose stores
 * go through sw_data_write: the translated-code write hook and, with
 * guest paging, shadow__phys_written see them as they see any emulated
 * store.
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>

#include "aspace.h"
#include "codepage.h"
#include "refvmm/log.h"
#include "refvmm/machine.h"
#include "refvmm/sw/segments.h"
#include "refvmm/sw/shadow_pt.h"
#include "retranslate.h"
#include "site.h"
#include "smc.h"
#include "tcache.h"
#include "translate.h"

/* Would the guest instruction @in fault natively, with the registers as
 * they are? Paging off: MMIO and the monitor window lie beyond RAM. Paging
 * on: what the shadow does not map (MMIO, the window, a page not faulted
 * in yet) or maps read-only for a store (a traced page-table page, D
 * clear). Either way, a store to a page holding translations when that
 * page is write-protected: @code_lin (when not NULL) gets its address;
 * a page the shadow does not map, @unmapped_lin. */
static bool would_trap(struct bt_vm *b, const cs_insn *in, u32 *code_lin,
		       u32 *unmapped_lin)
{
	struct monitor *t = b->t;
	struct sw_cpu *c = b->c;
	const cs_x86 *x = &in->detail->x86;
	int i, sreg, prot;

	for (i = 0; i < x->op_count; i++) {
		const cs_x86_op *op = &x->operands[i];
		u32 ea, lin, size, a;
		bool wr;

		if (op->type != X86_OP_MEM)
			continue;
		ea = operand__addr(c, x, op, &sreg);
		lin = (u32)c->seg[sreg].base + ea;
		size = op->size ? op->size : 4;
		wr = op->access & CS_AC_WRITE;
		if (!t->sp.paging && (u64)lin + size > c->ram_size)
			return true;
		for (a = lin; t->sp.paging && a - lin < size;
		     a = (a | 0xfff) + 1) {
			if (!shadow__mapped(&t->sp, a, &prot)) {
				if (unmapped_lin)
					*unmapped_lin = a;
				return true;
			}
			if (wr && !(prot & PROT_WRITE))
				return true;
		}
		if (wr && (codepage__protected(b, lin) ||
			   codepage__protected(b, lin + size - 1))) {
			if (code_lin)
				*code_lin = lin;
			return true;
		}
	}
	return false;
}

static void log_adapt(struct bt_vm *b, const char *what, u32 lin)
{
	const struct bt_adapt_rec *r = adapt__rec(b->adapt, lin, false);

	if (b->t->m->log_events & LOG_ADAPT)
		log__printf("bt adapt 0x%x: %s (flip %u, threshold %u)", lin,
			    what, r ? r->flips : 0, b->adapt->threshold);
}

/* A jmp rel32 at @site to @dest. @site is the monitor's own: a block's
 * map entry, or a stub's claim site__is accepted; still, only bytes of
 * one translation are ever written. */
static void patch_jump(struct bt_vm *b, u8 *site, const u8 *dest)
{
	const struct bt_block *tb = tcache__block_at(b, (u64)(uintptr_t)site);
	u32 rel = (u32)(dest - (site + 5));

	if (!tb || site + 5 > tb->tc + tb->tc_len)
		return;
	aspace__link(b, site, 5, tb, tcache__block_at(b, (u64)(uintptr_t)dest));
	site[0] = 0xe9;
	memcpy(site + 1, &rel, 4);
	b->adapt->patches++;
}

/* Translates the block at @eip under @k (the verdict is already in the
 * policy) and patches @site to jump to it, unless the cache was flushed
 * since @site was seen (generation @gen): the site is gone then. */
static void retranslate(struct bt_vm *b, const struct bt_key *k, u32 eip,
			u8 *site, u64 gen)
{
	struct bt_key nk = *k;
	struct bt_block *tb;

	nk.eip = eip;
	tb = translate__block(b, &nk);
	tcache__insert(b, tb);
	translate__trace_links(b);
	if (site && gen == b->generation) {
		patch_jump(b, site, tb->tc);
		if (b->t->m->log_events & LOG_ADAPT)
			log__printf("bt adapt   patched 0x%x -> 0x%x",
				    (u32)(uintptr_t)site,
				    (u32)(uintptr_t)tb->tc);
	}
}

/* Hidden faults that take the page for an instruction only a callout
 * spares them: the retried store that comes back to set D, and an
 * access to a page whose frame keeps changing (shadow_hot.h). */
static u64 adaptable(const struct shadow_pt *sp)
{
	return sp->st.hidden_retry_d + sp->st.hidden_hot;
}

static u64 delivered(const struct monitor *t)
{
	return t->delivered_exc + t->delivered_irq + t->delivered_int;
}

void retranslate__before_fault(struct bt_vm *b, const struct bt_key *k, u64 rip,
			       u32 eip)
{
	struct bt_adapt_probe *p = &b->probe;
	struct bt_insn bi;
	const cs_insn *in;
	u8 g[16] = {0};

	p->armed = false;
	if (!b->adapt || k->single || b->ndbp)
		return;
	sw_code_read(b->c, k->cs_base + eip, g, 15);
	if (!decode__insn(g, 15, &bi) || bi.cls != BT_IDENT || !bi.has_mem)
		return;
	in = emulate__decode(b->t, eip);
	if (!in || in->size != bi.len || !would_trap(b, in, NULL, NULL))
		return;
	p->armed = true;
	p->key = *k;
	p->rip = rip;
	p->eip = eip;
	p->len = bi.len;
	p->delivered = delivered(b->t);
	p->adaptable = adaptable(&b->t->sp);
	p->gen = b->generation;
}

void retranslate__after_fault(struct bt_vm *b, bool stopped)
{
	struct bt_adapt_probe *p = &b->probe;
	const struct bt_block *tb;
	u32 lin, off, i;
	u8 *site = NULL;
	u64 fresh;
	bool handled; /* something was delivered: the guest handles it */

	if (!p->armed)
		return;
	p->armed = false;
	if (stopped)
		return;
	handled = delivered(b->t) != p->delivered;
	lin = p->key.cs_base + p->eip;
	/* A trap counts when it is an access the monitor emulated in place
	 * (EIP moved past it), or a hidden fault only a callout avoids (the
	 * shadow mapped the page for the access to run again: the retried
	 * store of a true fault coming back to set D, an access to a page
	 * whose frame keeps changing), nothing delivered: a callout makes
	 * them emulated, the store's D set exactly when it writes. Any
	 * fault of an older IDENT copy of an instruction already adapted is
	 * patched to the callout, a true fault the guest handles included:
	 * the older copy would otherwise take it natively on every pass,
	 * the callout serving only the retry. */
	if (!adapt__is_callout(b->adapt, lin) &&
	    (handled ||
	     (b->c->eip != p->eip + p->len &&
	      !(b->c->eip == p->eip && adaptable(&b->t->sp) != p->adaptable))))
		return;
	fresh = b->adapt->to_callout;
	if (adapt__trap(b->adapt, lin) != BT_ADAPT_TO_CALLOUT)
		return;
	fresh = b->adapt->to_callout != fresh;
	tb = tcache__block_at(b, p->rip);
	if (tb) {
		off = (u32)(p->rip - (u64)(uintptr_t)tb->tc);
		for (i = tb->nmap; i-- > 0;)
			if (tb->map[i].off <= off)
				break;
		/* the first entry of the instruction: with --count-insns its
		 * count, which the jump then skips for the new copy's */
		while (i < tb->nmap && i > 0 && tb->map[i - 1].eip == p->eip &&
		       tb->map[i - 1].boundary)
			i--;
		if (i < tb->nmap && tb->map[i].eip == p->eip &&
		    tb->map[i].boundary && tb->map[i].off + 5u <= tb->tc_len)
			site = tb->tc + tb->map[i].off;
	}
	if (handled) {
		/* An older copy's true fault: the vCPU is in the guest's
		 * handler now, and the translator reads the CPL and CS it
		 * runs in, not the key's. Nothing is translated here: the
		 * site is patched to the callout's translation (the newest
		 * block at the instruction: translations after the flip
		 * start with the callout), if there is one. */
		struct bt_key nk = p->key;
		const struct bt_block *nb;

		nk.eip = p->eip;
		nb = tcache__find(b, &nk);
		if (!site || !nb || nb == tb || p->gen != b->generation)
			return;
		log_adapt(b, "an older copy faulted: patched to the callout",
			  lin);
		patch_jump(b, site, nb->tc);
		return;
	}
	log_adapt(b,
		  fresh ? "trapped threshold times: retranslated as a callout"
			: "an older copy trapped: patched to the callout",
		  lin);
	retranslate(b, &p->key, p->eip, site, p->gen);
}

bool retranslate__callout(struct bt_vm *b, const struct bt_key *k,
			  struct vm_exit *exit)
{
	struct monitor *t = b->t;
	struct sw_cpu *c = b->c;
	struct sw_event ev = vm__callout_event("adapted callout");
	u32 eip = c->eip, lin = k->cs_base + eip;
	/* the stub's claim, kept only when it names an adapt site */
	u8 *site = site__is(b, BT_SITE_ADAPT, b->page->patch_site)
			   ? (u8 *)(uintptr_t)b->page->patch_site
			   : NULL;
	const cs_insn *in = emulate__decode(t, eip);
	u32 code_lin = 0, unmapped_lin = 0;
	bool would = in && would_trap(b, in, &code_lin, &unmapped_lin);
	u64 gen = b->generation; /* the emulated store may flush */
	u64 mw = b->st.monitor_writes;
	enum emu_result r = in ? emulate__insn(t, &ev, exit) : EMU_NOT;

	switch (r) {
	case EMU_DONE:
		/* a store to data sharing a page with code counts towards
		 * that page's self-checking, as when it trapped (bt.c) */
		if (code_lin && b->st.monitor_writes == mw)
			smc__data_store(b, code_lin);
		/* a page left unmapped because its frame kept moving may
		 * have stopped: mapped again, the next access is clean */
		if (unmapped_lin)
			shadow__hot_touch(&t->sp, unmapped_lin);
		if (adapt__callout(b->adapt, lin, would) == BT_ADAPT_TO_IDENT) {
			log_adapt(b,
				  "threshold clean callouts: retranslated "
				  "as itself",
				  lin);
			retranslate(b, k, eip, site, gen);
		}
		/* the access may have sent an NMI (a store to the ICR):
		 * it comes at this boundary, as after any emulation */
		return monitor__nmi_window(t, exit);
	case EMU_RAISE:
		if (!c->exc_new_task)
			c->eip = eip;
		if (!monitor__deliver(t, c->exc_vector, c->exc_has_error,
				      c->exc_error, DELIVER_EXCEPTION, c->eip,
				      exit))
			return true;
		return monitor__nmi_window(t, exit);
	case EMU_NOT:
		/* The emulator cannot do it: run it natively from now on
		 * (it faults, and the monitor's other paths serve it). */
		c->eip = eip;
		adapt__never(b->adapt, lin);
		log_adapt(b, "the emulator cannot do it: IDENT for good", lin);
		retranslate(b, k, eip, site, gen);
		return false;
	default:
		return true;
	}
}
