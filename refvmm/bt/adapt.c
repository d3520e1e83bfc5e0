/*
 * Adaptive binary translation (adapt.h; docs/refvmm-bt.md, "Adaptive
 * translation"). The policy counts, per guest instruction, the host
 * faults its IDENT translation takes and the callouts that turned out
 * needless; the mechanism retranslates an instruction as a callout (or
 * back) and patches the translation that was running with a jump to the
 * new one, so chained blocks, the indirect-branch table and blocks that
 * start earlier keep working without a flush.
 *
 * A callout performs the access with the shared emulator
 * (trap/emulate.c: MOV forms, then emulate__generic's stack, string and
 * proxy paths), whose stores go through sw_data_write: the translated-code
 * write hook and, with guest paging, shadow__phys_written see them as they
 * see any emulated store.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bt.h"
#include "refvmm/machine.h"
#include "refvmm/sw/segments.h"
#include "refvmm/log.h"

/* --- the policy --- */

void bt_adapt_init(struct bt_adapt *a, u32 threshold)
{
	memset(a, 0, sizeof(*a));
	a->threshold = threshold ? threshold : 1;
}

int bt_adapt_threshold_from_env(u32 *out, char *err, size_t errlen)
{
	const char *s = getenv("REFVMM_BT_THRESHOLD");
	char *end;
	unsigned long v;

	*out = BT_ADAPT_DEFAULT_THRESHOLD;
	if (!s)
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 1000000) {
		snprintf(err, errlen,
			 "REFVMM_BT_THRESHOLD must be a number from 1 to "
			 "1000000, not '%s'",
			 s);
		return -1;
	}
	*out = (u32)v;
	return 0;
}

static u32 slot_of(u32 lin)
{
	return (lin * 0x9e3779b1u) >> 20 & (BT_ADAPT_SLOTS - 1);
}

struct bt_adapt_rec *bt_adapt_rec(struct bt_adapt *a, u32 lin, bool create)
{
	u32 i = slot_of(lin), n;

	for (n = 0; n < BT_ADAPT_SLOTS;
	     n++, i = (i + 1) & (BT_ADAPT_SLOTS - 1)) {
		struct bt_adapt_rec *r = &a->rec[i];

		if (r->used && r->lin == lin)
			return r;
		if (!r->used) {
			if (!create)
				return NULL;
			memset(r, 0, sizeof(*r));
			r->used = true;
			r->lin = lin;
			return r;
		}
	}
	if (create)
		a->full++;
	return NULL;
}

bool bt_adapt_is_callout(const struct bt_adapt *a, u32 lin)
{
	struct bt_adapt_rec *r = bt_adapt_rec((struct bt_adapt *)a, lin, false);

	return r && r->callout;
}

enum bt_adapt_verdict bt_adapt_trap(struct bt_adapt *a, u32 lin)
{
	struct bt_adapt_rec *r = bt_adapt_rec(a, lin, true);

	a->traps++;
	if (!r || r->never)
		return BT_ADAPT_KEEP;
	if (r->callout)
		return BT_ADAPT_TO_CALLOUT; /* an older IDENT copy trapped */
	if (++r->traps < a->threshold)
		return BT_ADAPT_KEEP;
	r->callout = true;
	r->traps = 0;
	r->clean = 0;
	r->flips++;
	a->to_callout++;
	return BT_ADAPT_TO_CALLOUT;
}

enum bt_adapt_verdict bt_adapt_callout(struct bt_adapt *a, u32 lin,
				       bool would_trap)
{
	struct bt_adapt_rec *r = bt_adapt_rec(a, lin, false);

	a->callouts++;
	if (would_trap)
		a->avoided++;
	if (!r || !r->callout)
		return BT_ADAPT_KEEP;
	if (would_trap) {
		r->clean = 0;
		return BT_ADAPT_KEEP;
	}
	if (++r->clean < a->threshold)
		return BT_ADAPT_KEEP;
	r->callout = false;
	r->clean = 0;
	r->traps = 0;
	r->flips++;
	a->to_ident++;
	return BT_ADAPT_TO_IDENT;
}

void bt_adapt_never(struct bt_adapt *a, u32 lin)
{
	struct bt_adapt_rec *r = bt_adapt_rec(a, lin, true);

	if (r) {
		r->never = true;
		if (r->callout)
			a->to_ident++;
		r->callout = false;
	}
}

/* --- the mechanism --- */

/* Would the guest instruction @in fault natively, with the registers as
 * they are? Paging off: MMIO and the monitor window lie beyond RAM. Paging
 * on: what the shadow does not map (MMIO, the window, a page not faulted
 * in yet) or maps read-only for a store (a traced page-table page, D
 * clear). Either way, a store to a page holding translations when that
 * page is write-protected: @code_lin (when not NULL) gets its address. */
static bool would_trap(struct bt_vm *b, const cs_insn *in, u32 *code_lin)
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
		     a = (a | 0xfff) + 1)
			if (!shadow__mapped(&t->sp, a, &prot) ||
			    (wr && !(prot & PROT_WRITE)))
				return true;
		if (wr && (bt_code_page_protected(b, lin) ||
			   bt_code_page_protected(b, lin + size - 1))) {
			if (code_lin)
				*code_lin = lin;
			return true;
		}
	}
	return false;
}

static void log_adapt(struct bt_vm *b, const char *what, u32 lin)
{
	const struct bt_adapt_rec *r = bt_adapt_rec(b->adapt, lin, false);

	if (b->t->m->log_events & LOG_ADAPT)
		log__printf("bt adapt 0x%x: %s (flip %u, threshold %u)", lin,
			      what, r ? r->flips : 0, b->adapt->threshold);
}

/* A jmp rel32 at @site to @dest. */
static void patch_jump(struct bt_vm *b, u8 *site, const u8 *dest)
{
	u32 rel = (u32)(dest - (site + 5));

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
	if (b->ncodepages + 4 > BT_MAX_CODEPAGES)
		bt_tcache_flush(b, "code pages");
	tb = bt_translate(b, &nk);
	bt_tcache_insert(b, tb);
	if (site && gen == b->generation) {
		patch_jump(b, site, tb->tc);
		if (b->t->m->log_events & LOG_ADAPT)
			log__printf("bt adapt   patched 0x%x -> 0x%x",
				      (u32)(uintptr_t)site,
				      (u32)(uintptr_t)tb->tc);
	}
}

bool bt_adapt_translate_callout(const struct bt_vm *b, const struct bt_key *k,
				u32 lin, const struct bt_insn *in)
{
	return b->adapt && !k->single && in->cls == BT_IDENT && in->has_mem &&
	       !b->ndbp && bt_adapt_is_callout(b->adapt, lin);
}

static u64 delivered(const struct monitor *t)
{
	return t->delivered_exc + t->delivered_irq + t->delivered_int;
}

void bt_adapt_before_fault(struct bt_vm *b, const struct bt_key *k, u64 rip,
			   u32 eip)
{
	struct bt_adapt_probe *p = &b->probe;
	struct bt_insn bi;
	const cs_insn *in;
	u8 g[16] = {0};

	p->armed = false;
	if (!b->adapt || k->single || b->ndbp)
		return;
	sw_lin_read(b->c, k->cs_base + eip, g, 15);
	if (!bt_decode(g, 15, &bi) || bi.cls != BT_IDENT || !bi.has_mem)
		return;
	in = emulate__decode(b->t, eip);
	if (!in || in->size != bi.len || !would_trap(b, in, NULL))
		return;
	p->armed = true;
	p->key = *k;
	p->rip = rip;
	p->eip = eip;
	p->len = bi.len;
	p->delivered = delivered(b->t);
	p->gen = b->generation;
}

void bt_adapt_after_fault(struct bt_vm *b, bool stopped)
{
	struct bt_adapt_probe *p = &b->probe;
	const struct bt_block *tb;
	u32 lin, off, i;
	u8 *site = NULL;
	u64 fresh;

	if (!p->armed)
		return;
	p->armed = false;
	/* Only an access the monitor emulated in place: EIP moved past
	 * it, nothing delivered, the run goes on. */
	if (stopped || b->c->eip != p->eip + p->len ||
	    delivered(b->t) != p->delivered)
		return;
	lin = p->key.cs_base + p->eip;
	fresh = b->adapt->to_callout;
	if (bt_adapt_trap(b->adapt, lin) != BT_ADAPT_TO_CALLOUT)
		return;
	fresh = b->adapt->to_callout != fresh;
	tb = bt_tcache_block_at(b, p->rip);
	if (tb) {
		off = (u32)(p->rip - (u64)(uintptr_t)tb->tc);
		for (i = tb->nmap; i-- > 0;)
			if (tb->map[i].off <= off)
				break;
		if (i < tb->nmap && tb->map[i].eip == p->eip &&
		    tb->map[i].boundary && tb->map[i].off + 5u <= tb->tc_len)
			site = tb->tc + tb->map[i].off;
	}
	log_adapt(b,
		    fresh ? "trapped threshold times: retranslated as a callout"
			  : "an older copy trapped: patched to the callout",
		    lin);
	retranslate(b, &p->key, p->eip, site, p->gen);
}

bool bt_adapt_run_callout(struct bt_vm *b, const struct bt_key *k,
			  struct vm_exit *exit)
{
	struct monitor *t = b->t;
	struct sw_cpu *c = b->c;
	struct sw_event ev = {.kind = SW_EV_FAULT,
			      .vector = 13,
			      .has_error = true,
			      .syscall_nr = -1,
			      .what = "adapted callout"};
	u32 eip = c->eip, lin = k->cs_base + eip;
	u8 *site = (u8 *)(uintptr_t)b->page->patch_site;
	const cs_insn *in = emulate__decode(t, eip);
	u32 code_lin = 0;
	bool would = in && would_trap(b, in, &code_lin);
	u64 gen = b->generation; /* the emulated store may flush */
	u64 mw = b->st.monitor_writes;
	enum emu_result r = in ? emulate__insn(t, &ev, exit) : EMU_NOT;

	switch (r) {
	case EMU_DONE:
		/* a store to data sharing a page with code counts towards
		 * that page's self-checking, as when it trapped (bt.c) */
		if (code_lin && b->st.monitor_writes == mw)
			bt_data_store(b, code_lin);
		if (bt_adapt_callout(b->adapt, lin, would) ==
		    BT_ADAPT_TO_IDENT) {
			log_adapt(b,
				    "threshold clean callouts: retranslated "
				    "as itself",
				    lin);
			retranslate(b, k, eip, site, gen);
		}
		return false;
	case EMU_RAISE:
		c->eip = eip;
		return !monitor__deliver(t, c->exc_vector, c->exc_has_error,
					 c->exc_error, DELIVER_EXCEPTION, eip,
					 exit);
	case EMU_NOT:
		/* The emulator cannot do it: run it natively from now on
		 * (it faults, and the monitor's other paths serve it). */
		c->eip = eip;
		bt_adapt_never(b->adapt, lin);
		log_adapt(b, "the emulator cannot do it: IDENT for good",
			    lin);
		retranslate(b, k, eip, site, gen);
		return false;
	default:
		return true;
	}
}
