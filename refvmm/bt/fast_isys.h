/*
 * INT n and IRETD in the translation (fast.c; included there alone,
 * after fast_sysx.h; the routines are isys.S). The system call round
 * trip of a guest with paging off, INT imm8 from CPL 3 through a gate
 * of DPL 3 and IRETD from its handler back to CPL 3, is two fast
 * callouts otherwise: four mode switches and two SS loads, most of
 * the round trip (docs/perf.md). Unlike SYSENTER's, INT's and IRETD's
 * outcome depends on guest memory that translated code writes without
 * an exit when paging is off (the IDT, the GDT, the TSS, the frame),
 * so the run loop arms each for one case the fast callouts served
 * last (INT: its vector; IRETD: the CS and SS it returned to) with the
 * raw bytes that case was decided on, and the routine compares them
 * again each time: equal bytes decode to the same gate and segments,
 * so every check fast_int and fast_iret_outer would make has the same
 * answer. What else they check is state that changes only where the
 * monitor runs and arms again: the registers (IDTR, GDTR, TR, CR0,
 * CR4), the data segments (a fast POP or MOV Sreg arms again), NMI
 * blocking, the interrupt window, the shadow slots, the lookup tables.
 *
 * Armed, besides fast_sysx.h's conditions (fast_inline_ok):
 * - INT vector v: the gate within the IDT limit, a present 32-bit
 *   interrupt or trap gate of DPL 3 to a present, accessed,
 *   non-conforming, flat, readable 32-bit code segment of DPL 0 in the
 *   GDT; a 32-bit busy TSS reaching SS0; SS0 (RPL 0) a present,
 *   accessed, writable, expand-up, 32-bit data segment of DPL 0 in the
 *   GDT; the new key's lookup table. The routine reads ESP0 itself and
 *   writes the frame only where ESP0 - 20 .. ESP0 - 1 is inside SS0's
 *   limit and in RAM (bt_ro.int_sp_max), else declines.
 * - IRETD to CS:SS: both RPL 3 GDT selectors, CS a present, accessed,
 *   non-conforming, flat, readable 32-bit code segment of DPL 3, SS a
 *   present, accessed, writable 32-bit data segment of DPL 3; no data
 *   segment the return would null (far__drop_data_segs); NMIs not
 *   blocked (IRET unblocks them) and no interrupt window requested (IF
 *   may open). The routine declines an image whose IOPL, NT, AC, VIF,
 *   VIP, TF or ID differs from bt_page.vflags, or with RF or VM set.
 * All guest bytes read are RAM below the monitor window (checked here),
 * so the routine's reads through %cs reach nothing of the monitor's.
 *
 * The monitor's record after a routine (fast_inline_sync): as for
 * SYSENTER, the claim in bt_page.sysx witnessed by the live SS (INT's
 * is SS0's shadow, DPL 0: no CPL-3 code loads it; IRETD's an RPL-3
 * one, which CPL-0 code cannot load), and the switch as armed.
 */
#ifndef REFVMM_BT_FAST_ISYS_H
#define REFVMM_BT_FAST_ISYS_H

#include "fast_event.h"
#include "fast_sysx.h"
#include "isys.h"

/* Base 0, limit 4 GiB, 32-bit: CS-overridden accesses read through
 * bt_ro.guest_cs_sel, which the routines leave as it is, so every CS
 * they switch between must read the same (fast_sysx.h). */
static bool fast_flat32(const struct vcpu_seg *d)
{
	return !d->base && d->limit == 0xffffffffu && d->db;
}

/* The raw descriptor of GDT selector @sel at @lin, decoded into @d,
 * where all 8 bytes are RAM below the monitor window (paging off). */
static bool fast_gdt_raw(const struct sw_cpu *c, u32 sel, struct vcpu_seg *d,
			 u32 *lin, u32 w[2])
{
	u32 idx = (sel >> 3) & 0x1fff;
	u64 a = (u64)c->gdt_base + idx * 8;

	if ((sel & 4) || !idx || idx * 8 + 7 > c->gdt_limit ||
	    a + 8 > c->ram_size || a + 8 > SW_WINDOW_BASE)
		return false;
	w[0] = fast_ram_u32(c, a);
	w[1] = fast_ram_u32(c, a + 4);
	desc__decode((u64)w[1] << 32 | w[0], (u16)sel, d);
	*lin = (u32)a;
	return true;
}

/* INT vector b->int_vec at CPL 3, into bt_ro and b->isys_sw[0]. */
static bool fast_int_arm(struct bt_vm *b, const struct sw_cpu *c, u32 efl)
{
	struct bt_ro *ro = b->ro;
	struct fast_switch *s = &b->isys_sw[0];
	u32 v = b->int_vec, gate[2], type, sel0, csa, ssa, csd[2], ssd[2];
	u64 idt = (u64)c->idt_base + v * 8, tss = c->tr.base, top;

	if (v * 8 + 7 > c->idt_limit || idt + 8 > c->ram_size ||
	    idt + 8 > SW_WINDOW_BASE)
		return false;
	gate[0] = fast_ram_u32(c, idt);
	gate[1] = fast_ram_u32(c, idt + 4);
	type = (gate[1] >> 8) & 0x1f;
	if ((type != 0xe && type != 0xf) || ((gate[1] >> 13) & 3) != 3 ||
	    !(gate[1] & 0x8000) ||
	    !fast_gdt_raw(c, (gate[0] >> 16) & 0xffff, &s->cs, &csa, csd) ||
	    !fast_code_at(&s->cs, 0) || (s->cs.type & 3) != 3 ||
	    !fast_flat32(&s->cs))
		return false;
	s->cs.selector &= ~3u;
	if (c->tr.unusable || c->tr.type != 0xb || c->tr.limit < 9 ||
	    tss + 12 > c->ram_size || tss + 12 > SW_WINDOW_BASE)
		return false;
	sel0 = fast_ram_u32(c, tss + 8) & 0xffff;
	if ((sel0 & 3) || !fast_gdt_raw(c, sel0, &s->ss, &ssa, ssd) ||
	    !fast_stack_at(&s->ss, s->ss.type & 1, 0) || (s->ss.type & 4) ||
	    !s->ss.db || s->ss.limit < 19 || s->ss.base + 20 > c->ram_size)
		return false;
	top = s->ss.limit - 19;
	if (c->ram_size - s->ss.base - 20 < top)
		top = c->ram_size - s->ss.base - 20;
	efl &= ~(EFL_TF | EFL_NT | EFL_RF | EFL_VM);
	if (type == 0xe)
		efl &= ~EFL_IF;
	if (!fast_switch_ok(b, c, 0, efl, s))
		return false;
	ro->int_op = BT_FAST_OP(BT_FAST_INT, 0, 0, 2) | v << 24;
	ro->int_idt = (u32)idt;
	ro->int_gate[0] = gate[0];
	ro->int_gate[1] = gate[1];
	ro->int_cs_addr = csa;
	ro->int_cs_desc[0] = csd[0];
	ro->int_cs_desc[1] = csd[1];
	ro->int_ss_addr = ssa;
	ro->int_ss_desc[0] = ssd[0];
	ro->int_ss_desc[1] = ssd[1];
	ro->int_tss = (u32)tss + 4;
	ro->int_sp_max = (u32)top;
	ro->int_eip = desc__gate_offset(gate[0], gate[1]);
	ro->int_table_off = s->table * BT_TABLE_SIZE;
	ro->int_ss0 = (u16)sel0;
	ro->int_hss = s->hss;
	ro->int_sels = s->cs.selector | sel0 << 16;
	ro->int_keep_if = type == 0xf ? 0xff : 0;
	return true;
}

/* IRETD at CPL 0 to b->iret_cs3:b->iret_ss3, into bt_ro and
 * b->isys_sw[1]. */
static bool fast_iret_arm(struct bt_vm *b, const struct sw_cpu *c, u32 efl)
{
	struct bt_ro *ro = b->ro;
	struct fast_switch *s = &b->isys_sw[1];
	u32 csa, ssa, csd[2], ssd[2];

	if (c->nmi_blocked || b->t->window_requested ||
	    (b->iret_cs3 & 3) != 3 || (b->iret_ss3 & 3) != 3 ||
	    !fast_gdt_raw(c, b->iret_cs3, &s->cs, &csa, csd) ||
	    !fast_code_at(&s->cs, 3) || (s->cs.type & 3) != 3 ||
	    !fast_flat32(&s->cs) ||
	    !fast_gdt_raw(c, b->iret_ss3, &s->ss, &ssa, ssd) ||
	    !fast_stack_at(&s->ss, s->ss.type & 1, 3) || !s->ss.db ||
	    !fast_user_data_segs(c) || !fast_switch_ok(b, c, 3, efl, s))
		return false;
	ro->iret_cs_addr = csa;
	ro->iret_cs_desc[0] = csd[0];
	ro->iret_cs_desc[1] = csd[1];
	ro->iret_ss_addr = ssa;
	ro->iret_ss_desc[0] = ssd[0];
	ro->iret_ss_desc[1] = ssd[1];
	ro->iret_table_off = s->table * BT_TABLE_SIZE;
	ro->iret_sels = b->iret_cs3 | (u32)b->iret_ss3 << 16;
	ro->iret_cs_neg = 0u - b->iret_cs3;
	ro->iret_hss = s->hss;
	return true;
}

/*
 * #DE and IRETD at CPL 0 that change no level (the routines bt_isys_de
 * and bt_isys_iret0), into bt_ro; @arm[0] for #DE, @arm[1] for IRETD.
 * Both need the CS running to be the GDT descriptor it was loaded from,
 * accessed already (fast_same_cs: a load would write the bit), so that
 * equal bytes mean the far transfer to it changes no segment state.
 * IRETD besides: NMIs not blocked, no interrupt window requested (as
 * for IRETD to CPL 3). #DE besides: vector 0's gate within the IDT
 * limit, a present 32-bit interrupt or trap gate naming that CS (its
 * DPL is not checked for an exception, SDM Vol. 3A 6.12.1.1); SS a
 * present, writable, expand-up, 32-bit data segment. The routines
 * compare CS and SS with the armed ones and the bytes again: both
 * change without the monitor only through the other routines.
 */
static void fast_level0_arm(struct bt_vm *b, const struct sw_cpu *c,
			    bool arm[2])
{
	struct bt_ro *ro = b->ro;
	const struct vcpu_seg *cs = &c->seg[SW_CS], *ss = &c->seg[SW_SS];
	struct vcpu_seg d;
	u32 csa, csd[2], gate[2], type;
	u64 idt = c->idt_base;

	arm[0] = arm[1] = false;
	if (c->cpl != 0 || !fast_same_cs(b, c, cs->selector) ||
	    !fast_gdt_raw(c, cs->selector, &d, &csa, csd))
		return;
	ro->cs0_addr = csa;
	ro->cs0_desc[0] = csd[0];
	ro->cs0_desc[1] = csd[1];
	ro->cs0_sel = cs->selector;
	arm[1] = !c->nmi_blocked && !b->t->window_requested;
	if (c->idt_limit < 7 || idt + 8 > c->ram_size ||
	    idt + 8 > SW_WINDOW_BASE || ss->unusable || !ss->present ||
	    !ss->s || (ss->type & 8) || !(ss->type & 2) || (ss->type & 4) ||
	    !ss->db)
		return;
	gate[0] = fast_ram_u32(c, idt);
	gate[1] = fast_ram_u32(c, idt + 4);
	type = (gate[1] >> 8) & 0x1f;
	if ((type != 0xe && type != 0xf) || !(gate[1] & 0x8000) ||
	    ((gate[0] >> 16) & ~3u) != cs->selector)
		return;
	ro->de_idt = (u32)idt;
	ro->de_gate[0] = gate[0];
	ro->de_gate[1] = gate[1];
	ro->de_eip = desc__gate_offset(gate[0], gate[1]);
	ro->de_hss = c->hsel_set[SW_SS];
	ro->de_keep_if = type == 0xf ? 0xff : 0;
	arm[0] = true;
}

/* Where translated INT and IRETD go: their routines, or the exit.
 * @ok: fast_inline_ok's answer for the state now. */
static inline __attribute__((always_inline)) void fast_isys_arm(struct bt_vm *b,
								bool ok)
{
	static char *const fn[2] = {bt_isys_int, bt_isys_iret};
	const struct sw_cpu *c = b->c;

	ok = ok && b->isys_base;

	b->isys_armed[0] = ok && fast_int_arm(b, c, c->eflags);
	b->isys_armed[1] = ok && fast_iret_arm(b, c, c->eflags);
	b->level0_armed[0] = b->level0_armed[1] = false;
	if (ok)
		fast_level0_arm(b, c, b->level0_armed);
	for (int i = 0; i < 2; i++) {
		bool on = b->isys_armed[i] || (i && b->level0_armed[1]);

		b->ro->isys_fn[i] =
			on ? (u32)(uintptr_t)(b->isys_base +
					      (fn[i] - bt_isys_start))
			   : b->ro->isys_leave;
		b->st.isys_armed[i] += b->isys_armed[i];
		b->st.level0_armed[i] += b->level0_armed[i];
	}
	/* IRETD's routine tests its frame's CS against both */
	if (!b->isys_armed[1])
		b->ro->iret_cs_neg = ISYS_CS_NEVER;
	b->ro->iret0_cs_neg = b->level0_armed[1]
				      ? 0u - b->c->seg[SW_CS].selector
				      : ISYS_CS_NEVER;
	b->ro->de_fn = b->level0_armed[0]
			       ? (u32)(uintptr_t)(b->isys_base +
						  (bt_isys_de - bt_isys_start))
			       : b->ro->isys_leave;
}

/* SYSENTER, SYSEXIT, INT and IRETD in the translation, armed or not. */
static inline __attribute__((always_inline)) void
fast_inline_arm(struct bt_vm *b)
{
	bool ok = fast_inline_ok(b, b->c);

	fast_sysx_arm(b, ok);
	fast_isys_arm(b, ok);
}

/* The record after whichever of the four ran last (fast_sysx_sync for
 * SYSENTER and SYSEXIT); false as fast_sysx_sync is. */
static inline __attribute__((always_inline)) bool
fast_inline_sync(struct bt_vm *b, struct sw_cpu *c)
{
	u32 m = b->page->sysx, i = m - BT_SYSX_INT;

	if (m != BT_SYSX_INT && m != BT_SYSX_IRET)
		return fast_sysx_sync(b, c);
	if (!b->isys_armed[i] || c->hsel[SW_SS] != b->isys_sw[i].hss)
		return false;
	fast_switch(b, c, i ? 3 : 0, c->eflags, &b->isys_sw[i]);
	if (!i)
		c->irq_shadow = false;
	b->page->sysx = 0;
	return true;
}

#endif
