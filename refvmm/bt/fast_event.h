/*
 * The divide-error round trip as fast callouts (fast.c; included there
 * alone, like fast_mem.h): #DE (and an adapted access's #PF,
 * fast_shadow.h) raised at CPL 0 through an interrupt or trap gate to
 * the code segment already in CS, and IRET back to that same segment at
 * CPL 0. Each does what emu/deliver.c would do in that
 * case, and only that; any other case, and any check the full path
 * would fail, returns false before a field changed.
 */
#ifndef REFVMM_BT_FAST_EVENT_H
#define REFVMM_BT_FAST_EVENT_H

#include "fast_mem.h"

/* IRET's always-writable flags (deliver.c: CF PF AF ZF SF TF DF OF NT
 * RF AC ID; SDM Vol. 2A IRET), and the ones bt_page.vflags holds for
 * translated PUSHF and POPF, which the fast way leaves as they are. */
#define FAST_IRET_FLAGS 0x254dd5u
#define FAST_VFLAGS                                                            \
	(EFL_IOPL | EFL_NT | EFL_AC | EFL_VIF | EFL_VIP | EFL_TF | EFL_ID)

/* The guest's EFLAGS now, as run_block composes it on the way back: the
 * host's flags but for the ones the monitor keeps, IF from the vIF. */
static inline u32 fast_eflags(const struct bt_vm *b, const struct sw_cpu *c)
{
	u32 kept = sw_eflags_kept(c) | EFL_TF;
	u32 f = (c->host_eflags & ~kept) | (c->eflags & kept);

	return b->page->vif ? f | EFL_IF : f & ~EFL_IF;
}

/* EFLAGS becomes @f (vm__set_eflags), and what translated code runs
 * with: the host's flags for the gate's POPFQ, the vIF. */
static inline void fast_set_eflags(struct bt_vm *b, struct sw_cpu *c, u32 f)
{
	u32 kept = sw_eflags_kept(c) | EFL_TF;

	f = (f & ~0x8028u) | EFL_FIXED;
	c->eflags = f;
	c->host_eflags = (f & ~kept) | EFL_IF | EFL_FIXED;
	b->page->vif = (f & EFL_IF) ? 1 : 0;
}

/* SS takes @len bytes at @off with no fault (segments.c seg_check): a
 * usable, present, writable, expand-up, 32-bit data segment. */
static inline bool fast_stack_ok(const struct vcpu_seg *ss, u32 off, u32 len)
{
	return !ss->unusable && ss->present && ss->s && !(ss->type & 8) &&
	       (ss->type & 2) && !(ss->type & 4) && ss->db &&
	       (u64)off + len - 1 <= ss->limit;
}

static inline bool fast_seg_eq(const struct vcpu_seg *a,
			       const struct vcpu_seg *b)
{
	return a->base == b->base && a->limit == b->limit &&
	       a->selector == b->selector && a->type == b->type &&
	       a->s == b->s && a->dpl == b->dpl && a->present == b->present &&
	       a->db == b->db && a->l == b->l && a->g == b->g &&
	       a->avl == b->avl && a->unusable == b->unusable;
}

/*
 * GDT selector @sel (RPL 0) names a present DPL-0 code segment, its
 * accessed bit set already (loading it would write it: SDM Vol. 3A
 * 3.4.5.1, the full path's), that is exactly the CS the guest runs
 * with, whose host slot sw_set_sreg would find as it is: then the far
 * transfer changes no segment state at all. The checks of
 * SDM Vol. 3A 6.12.1.1 and Vol. 2A IRET pass for such a segment at
 * CPL 0.
 */
static bool fast_same_cs(const struct bt_vm *b, const struct sw_cpu *c, u32 sel)
{
	const struct vcpu_seg *cs = &c->seg[SW_CS];
	struct vcpu_seg d;
	u32 idx = sel >> 3;
	bool acc;

	if (sel != cs->selector || (sel & 7) || !idx || idx >= SW_SHADOW_SLOTS)
		return false;
	if (c->seg_emulated[SW_CS] || !c->slot_used[idx] ||
	    c->hsel_set[SW_CS] != sw_slot_sel(sw_slot_phys(c, (int)idx)) ||
	    !sw_slot_current(c, (int)idx) || !fast_seg_eq(&c->slot[idx], cs))
		return false;
	if (!fast_gdt_desc(b, c, sel, &d, &acc) || !acc)
		return false;
	return d.s && (d.type & 8) && d.dpl == 0 && d.present &&
	       fast_seg_eq(&d, cs);
}

/*
 * Fault @vector at the instruction at c->eip from CPL 0: an interrupt or
 * trap gate (SDM Vol. 3A 6.11, 6.12.1) to the CS already loaded, the
 * frame EFLAGS (RF = 1: a fault, 17.3.1.1), CS, EIP and, with
 * @has_error, the error code on the current stack (no privilege change,
 * 6.12.1 Figure 6-4; 6.13). Declined: a task or 16-bit gate, a gate or
 * segment that would fault, another code segment, NT, RF, TF or VM set,
 * a frame that is not plain memory (fast_mem.h).
 */
static bool fast_raise(struct bt_vm *b, struct sw_cpu *c, u32 vector,
		       bool has_error, u32 error)
{
	const struct vcpu_seg *ss = &c->seg[SW_SS];
	u32 efl = fast_eflags(b, c), esp = c->gpr[SW_ESP],
	    n = has_error ? 16 : 12, sp, lo, hi, off, type;
	volatile u32 *frame;
	u64 p;

	if (c->cpl != 0 || vector > 31 || c->idt_limit < vector * 8 + 7 ||
	    (efl & (EFL_NT | EFL_RF | EFL_VM | EFL_TF)))
		return false;
	if (!fast_phys(b, c, c->idt_base + vector * 8, 8, false, &p))
		return false;
	lo = fast_ram_u32(c, p);
	hi = fast_ram_u32(c, p + 4);
	off = desc__gate_offset(lo, hi);
	type = (hi >> 8) & 0x1f;
	if ((type != 0xe && type != 0xf) || !(hi & 0x8000) ||
	    !fast_same_cs(b, c, (lo >> 16) & ~3u) || off > c->seg[SW_CS].limit)
		return false;
	if (esp < n)
		return false;
	sp = esp - n;
	if (!fast_stack_ok(ss, sp, n) ||
	    !fast_phys(b, c, (u32)ss->base + sp, n, true, &p))
		return false;
	frame = (volatile u32 *)(void *)(c->ram + p);
	if (has_error)
		*frame++ = error;
	frame[0] = c->eip;
	frame[1] = c->seg[SW_CS].selector;
	frame[2] = efl | EFL_RF;
	c->gpr[SW_ESP] = sp;
	c->eip = off;
	efl &= ~(EFL_TF | EFL_NT | EFL_RF | EFL_VM);
	if (type == 0xe)
		efl &= ~EFL_IF;
	fast_set_eflags(b, c, efl);
	b->t->delivered_exc++;
	return true;
}

/* #DE at the DIV (c->eip): no error code (SDM Vol. 3A 6.15). */
static bool fast_raise_de(struct bt_vm *b, struct sw_cpu *c)
{
	if (!fast_raise(b, c, 0, false, 0))
		return false;
	b->st.exits[BT_EXIT_RAISE_DE]++;
	return true;
}

/*
 * IRET at CPL 0 to the same CS at RPL 0 (SDM Vol. 2A IRET,
 * PROTECTED-MODE-RETURN: RETURN-TO-SAME-PRIVILEGE-LEVEL). Declined: NMIs
 * blocked (IRET unblocks them: the NMI window is the run loop's), NT (a
 * task return), TF (the single-step trap after it), VM in the image, another
 * CS, a change of IOPL or of another flag bt_page.vflags holds, IF opening with
 * a window requested, a frame that is not plain memory. RF is left clear: with
 * no breakpoint enabled (fast.c) the next entry would clear it (bt.c
 * current_key) before any instruction.
 */
static bool fast_iret(struct bt_vm *b, struct sw_cpu *c)
{
	const struct vcpu_seg *ss = &c->seg[SW_SS];
	u32 efl = fast_eflags(b, c), sp = c->gpr[SW_ESP], f0, f1, f2, nf;
	u32 writable = FAST_IRET_FLAGS | EFL_IOPL | EFL_IF | EFL_VIF | EFL_VIP;
	u64 p;

	if (c->cpl != 0 || c->nmi_blocked || (efl & (EFL_NT | EFL_TF)) ||
	    !fast_stack_ok(ss, sp, 12) ||
	    !fast_phys(b, c, (u32)ss->base + sp, 12, false, &p))
		return false;
	f0 = fast_ram_u32(c, p);
	f1 = fast_ram_u32(c, p + 4);
	f2 = fast_ram_u32(c, p + 8);
	if ((f2 & EFL_VM) || !fast_same_cs(b, c, f1 & 0xffff) ||
	    f0 > c->seg[SW_CS].limit)
		return false;
	nf = (efl & ~writable) | (f2 & writable) | EFL_FIXED;
	nf = (nf & ~0x8028u) | EFL_FIXED;
	if ((nf ^ efl) & FAST_VFLAGS)
		return false;
	if (!(efl & EFL_IF) && (nf & EFL_IF) && b->t->window_requested)
		return false;
	c->eip = f0;
	c->gpr[SW_ESP] = sp + 12;
	fast_set_eflags(b, c, nf & ~EFL_RF);
	return true;
}

#endif
