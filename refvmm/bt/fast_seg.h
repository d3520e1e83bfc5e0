/*
 * Segment registers for the fast callouts (fast.c; included there and by
 * fast_cpl.h): the host selector a descriptor (fast_mem.h
 * fast_gdt_desc) gets from its shadow slot when loading it would write
 * nothing (sw_set_sreg), and PUSH, POP and MOV of a data segment
 * register at CPL 0. The gate loads the data segment registers the handler changed
 * (sw_cpu.hsel) before it returns; GS is the monitor's while translated
 * code runs, so a new guest GS goes to bt_ro.guest_gs_sel.
 */
#ifndef REFVMM_BT_FAST_SEG_H
#define REFVMM_BT_FAST_SEG_H

#include "fast_event.h"

/* The host selector segment @d gets (sw_set_sreg): its GDT slot holds
 * exactly @d at the current cut, so loading it writes nothing. */
static bool fast_slot(const struct sw_cpu *c, const struct vcpu_seg *d,
		      u16 *hsel)
{
	u32 idx = d->selector >> 3;

	if ((d->selector & 4) || !idx || idx >= SW_SHADOW_SLOTS ||
	    !c->slot_used[idx] || !sw_slot_current(c, (int)idx) ||
	    !fast_seg_eq(&c->slot[idx], d))
		return false;
	*hsel = sw_slot_sel(sw_slot_phys(c, (int)idx));
	return true;
}

/*
 * PUSH Sreg at CPL 0, 32-bit operand (stack.c stack__push): the selector,
 * zero-extended, at ESP - 4 on a 32-bit stack, through fast_mem.h (a
 * supervisor store); ESP goes down by 4 (SDM Vol. 2B PUSH).
 */
static bool push_sreg(struct bt_vm *b, struct sw_cpu *c, u32 sreg)
{
	const struct vcpu_seg *ss = &c->seg[SW_SS];
	u32 sp = c->gpr[SW_ESP] - 4;
	u64 p;

	if (c->cpl != 0 || sreg >= SW_NSREGS || c->gpr[SW_ESP] < 4 ||
	    !fast_stack_ok(ss, sp, 4) ||
	    !fast_phys(b, c, (u32)ss->base + sp, 4, true, &p))
		return false;
	*(volatile u32 *)(void *)(c->ram + p) = c->seg[sreg].selector;
	c->gpr[SW_ESP] = sp;
	return true;
}

/*
 * DS, ES, FS or GS becomes @sel at CPL 0 (segments.c sw_load_data_sreg;
 * SDM Vol. 2B MOV and POP, "IF DS, ES, FS, or GS is loaded"): a null
 * selector, or a GDT selector of a present readable segment whose DPL
 * allows the RPL (conforming code aside) and whose accessed bit is set
 * already (the full path would set it), in its shadow slot at the
 * current cut. Declined: an LDT selector, and whatever the full path
 * would raise. Nothing changes when it declines.
 */
static bool load_data_sreg(struct bt_vm *b, struct sw_cpu *c, u32 sreg, u32 sel)
{
	struct vcpu_seg d;
	bool acc;
	u16 h;

	if (c->cpl != 0 || sreg == SW_CS || sreg == SW_SS || sreg >= SW_NSREGS)
		return false;
	if (!(sel & ~3u)) {
		d = (struct vcpu_seg){.selector = (u16)sel, .unusable = 1};
		h = (u16)(sel & 3);
	} else {
		if (!fast_gdt_desc(b, c, sel, &d, &acc) || !acc || !d.s ||
		    ((d.type & 8) && !(d.type & 2)) || !d.present)
			return false;
		/* desc__is_conforming: conforming code may have any DPL */
		if ((d.type & 0xc) != 0xc && (sel & 3) > d.dpl)
			return false;
		if (!fast_slot(c, &d, &h))
			return false;
	}
	c->seg[sreg] = d;
	c->seg_emulated[sreg] = false;
	c->hsel_set[sreg] = h;
	if (sreg == SW_GS)
		b->ro->guest_gs_sel = h;
	else
		c->hsel[sreg] = h;
	return true;
}

/* POP DS/ES/FS/GS at CPL 0, 32-bit operand (emulate.c emu_pop_sreg):
 * the selector from the stack, then ESP goes up by 4. */
static bool pop_sreg(struct bt_vm *b, struct sw_cpu *c, u32 sreg)
{
	const struct vcpu_seg *ss = &c->seg[SW_SS];
	u32 sp = c->gpr[SW_ESP];
	u64 p;

	if (c->cpl != 0 || !fast_stack_ok(ss, sp, 4) ||
	    !fast_phys(b, c, (u32)ss->base + sp, 4, false, &p) ||
	    !load_data_sreg(b, c, sreg, fast_ram_u32(c, p) & 0xffff))
		return false;
	c->gpr[SW_ESP] = sp + 4;
	return true;
}

/* MOV DS/ES/FS/GS, r16 at CPL 0 (8E /r, mod 3): the selector from
 * general register @src (its low 16 bits; SDM Vol. 2A MOV). */
static bool mov_sreg(struct bt_vm *b, struct sw_cpu *c, u32 sreg, u32 src)
{
	return src < 8 && load_data_sreg(b, c, sreg, c->gpr[src] & 0xffff);
}

#endif
