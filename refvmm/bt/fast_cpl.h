/*
 * The fast callouts that change CPL (fast.c; included there alone, after
 * fast_event.h): INT n from CPL 3 through a 32-bit interrupt or trap
 * gate to a DPL-0 code segment, IRETD from CPL 0 back to CPL 3, SYSENTER
 * and SYSEXIT. Each does what emu/deliver.c or emu/far.c would do in
 * that case, and only that; any other case, and any check the full path
 * would fail, returns false before a field changed.
 *
 * Besides the instruction's own state, a change of CPL changes what the
 * monitor runs translated code with (bt.c run_block, vm__shadow_class):
 * - the host selectors of CS and SS: the new descriptor's shadow slot
 *   must already hold it at the current cut (sw_set_sreg would find
 *   nothing to write); the gate loads SS, bt_ro names CS;
 * - the shadow's privilege class and the segments' cut: taken only
 *   where the switch costs the shadow nothing, with guest paging off
 *   (shadow__set_user then only records the class: no split, no cut);
 *   with paging a class switch may need host calls (reclass), so it is
 *   the full path's;
 * - the translation key (CPL, CS base, SS.B): the lookup must use the
 *   new key word's table, so one must exist already (tcache.c
 *   table_select makes one on the full path).
 */
#ifndef REFVMM_BT_FAST_CPL_H
#define REFVMM_BT_FAST_CPL_H

#include "fast_seg.h"

/* A present non-conforming code segment of DPL @dpl whose accessed bit
 * is set already (loading it would set it: SDM Vol. 3A 3.4.5.1): where a
 * privilege change through a gate, or an IRET to an outer level, may go
 * here (conforming code keeps the CPL: the full path's). */
static bool fast_code_at(const struct vcpu_seg *d, u32 dpl)
{
	return d->s && (d->type & 8) && !(d->type & 4) && (d->type & 1) &&
	       d->dpl == dpl && d->present;
}

/* A present writable data segment of DPL @dpl whose accessed bit is
 * set already (loading it would set it: SDM Vol. 3A 3.4.5.1): the
 * stack of a privilege change to @dpl. */
static bool fast_stack_at(const struct vcpu_seg *d, bool accessed, u32 dpl)
{
	return accessed && d->s && !(d->type & 8) && (d->type & 2) &&
	       d->dpl == dpl && d->present;
}

/*
 * Whether CPL can become @cpl with CS and SS as in @s: the class switch
 * costs the shadow nothing, the new slots hold the descriptors, the new
 * key's lookup table exists, and the stack is one translated code runs
 * on (32-bit: SS.B = 0 keeps PUSHF a callout, another key).
 */
static bool fast_switch_ok(const struct bt_vm *b, const struct sw_cpu *c,
			   int cpl, u32 eflags, struct fast_switch *s)
{
	const struct shadow_pt *sp = c->shadow;
	struct bt_key k = {0};
	u32 keyw, t;

	if (!sp || sp->paging || sp->nexposed || c->seg_cut || !s->ss.db ||
	    !s->cs.db || !fast_slot(c, &s->cs, &s->hcs) ||
	    !fast_slot(c, &s->ss, &s->hss))
		return false;
	k.cs_base = (u32)s->cs.base;
	k.cpl = (u8)cpl;
	k.iopl = (u8)((eflags & EFL_IOPL) >> 12);
	k.fpu = bt_key_fpu(c);
	k.wreq = b->t->window_requested;
	keyw = bt_key_word(&k);
	for (t = 0; t < BT_NTABLES; t++)
		if (b->tables[t].keyw == keyw) {
			s->table = t;
			return true;
		}
	return false;
}

/* Commits the switch fast_switch_ok allowed: CPL, CS, SS (the gate loads
 * the new SS from sw_cpu.hsel), the shadow's class and AC as
 * vm__shadow_class records them with paging off (nothing exposed to
 * close), the lookup table. @eflags: the flags after the switch. */
static void fast_switch(struct bt_vm *b, struct sw_cpu *c, int cpl, u32 eflags,
			const struct fast_switch *s)
{
	struct shadow_pt *sp = c->shadow;
	const struct vcpu_seg *cs = &s->cs;

	c->cpl = cpl;
	c->seg[SW_CS] = s->cs;
	c->seg[SW_SS] = s->ss;
	c->seg_emulated[SW_CS] = c->seg_emulated[SW_SS] = false;
	c->hsel_set[SW_CS] = s->hcs;
	c->hsel[SW_SS] = c->hsel_set[SW_SS] = s->hss;
	b->page->cs_sel = cs->selector;
	b->page->ss_sel = s->ss.selector;
	/* desc__is_readable: an execute-only CS is not loaded into GS */
	b->ro->guest_cs_sel =
		cs->s && (!(cs->type & 8) || (cs->type & 2)) ? s->hcs : 0;
	sp->user = cpl == 3;
	sp->split = SW_WINDOW_BASE;
	sp->ac_open = cpl < 3 && (eflags & EFL_AC);
	/* table_select counts a change of key word only */
	if (s->table != b->table_cur)
		b->st.table_found++;
	b->table_cur = s->table;
	b->page->table_off = s->table * BT_TABLE_SIZE;
}

/*
 * INT imm8 at CPL 3 (SDM Vol. 2A INT n, INTER-PRIVILEGE-LEVEL-INTERRUPT;
 * Vol. 3A 6.12.1): a present 32-bit interrupt or trap gate of DPL 3
 * within the IDT limit, to a present non-conforming DPL-0 code segment
 * of the GDT; SS0:ESP0 from a 32-bit TSS (7.2.1), SS0 a present
 * writable DPL-0 data segment of the GDT whose accessed bit is set (the
 * full path would set it: 3.4.5.1); the frame SS, ESP, EFLAGS, CS, EIP
 * of the next instruction onto that stack. TF, NT, RF, VM clear after,
 * IF too through an interrupt gate. Declined: NT, TF or RF set (the
 * frame's flags or bt_page.vflags would differ), a task gate, and
 * whatever the full path would raise.
 */
static bool fast_int(struct bt_vm *b, struct sw_cpu *c, u32 vector, u32 len)
{
	u32 old = fast_eflags(b, c), efl = old, lo, hi, off, type, esp0, sel0;
	u32 sp;
	struct fast_switch s;
	volatile u32 *frame;
	bool acc;
	u64 p;

	if (c->cpl != 3 || vector * 8 + 7 > c->idt_limit ||
	    (efl & (EFL_NT | EFL_TF | EFL_RF | EFL_VM)) ||
	    !fast_phys(b, c, c->idt_base + vector * 8, 8, false, &p))
		return false;
	lo = fast_ram_u32(c, p);
	hi = fast_ram_u32(c, p + 4);
	off = desc__gate_offset(lo, hi);
	type = (hi >> 8) & 0x1f;
	if ((type != 0xe && type != 0xf) || ((hi >> 13) & 3) != 3 ||
	    !(hi & 0x8000) ||
	    !fast_gdt_desc(b, c, (lo >> 16) & 0xffff, &s.cs, &acc))
		return false;
	/* the handler's EIP within its CS (deliver.c: #GP(EXT) else) */
	if (!fast_code_at(&s.cs, 0) || off > s.cs.limit)
		return false;
	s.cs.selector &= ~3u;
	s.cs.type |= 1;
	/* the TSS's SS0:ESP0 (tss_stack: the limit must reach offset 9) */
	if (c->tr.unusable || c->tr.type != 0xb || c->tr.limit < 9 ||
	    !fast_phys(b, c, (u32)c->tr.base + 4, 8, false, &p))
		return false;
	esp0 = fast_ram_u32(c, p);
	sel0 = fast_ram_u32(c, p + 4) & 0xffff;
	if ((sel0 & 3) || !fast_gdt_desc(b, c, sel0, &s.ss, &acc) ||
	    !fast_stack_at(&s.ss, acc, 0) || esp0 < 20)
		return false;
	sp = esp0 - 20;
	if (!fast_stack_ok(&s.ss, sp, 20) ||
	    !fast_phys(b, c, (u32)s.ss.base + sp, 20, true, &p))
		return false;
	efl &= ~(EFL_TF | EFL_NT | EFL_RF | EFL_VM);
	if (type == 0xe)
		efl &= ~EFL_IF;
	if (!fast_switch_ok(b, c, 0, efl, &s))
		return false;
	frame = (volatile u32 *)(void *)(c->ram + p);
	frame[0] = c->eip + len;
	frame[1] = c->seg[SW_CS].selector;
	frame[2] = old;
	frame[3] = c->gpr[SW_ESP];
	frame[4] = c->seg[SW_SS].selector;
	fast_switch(b, c, 0, efl, &s);
	c->gpr[SW_ESP] = sp;
	c->eip = off;
	fast_set_eflags(b, c, efl);
	c->irq_shadow = false;
	b->t->delivered_int++;
	b->int_vec = (u8)vector; /* the one to arm in the translation */
	return true;
}

/* No data segment register a return to CPL 3 would null: each is
 * unusable, conforming code, or of DPL 3 (far__drop_data_segs: SDM
 * Vol. 2A IRET). */
static bool fast_user_data_segs(const struct sw_cpu *c)
{
	for (u32 i = 0; i < SW_NSREGS; i++) {
		const struct vcpu_seg *d = &c->seg[i];

		if (i == SW_CS || i == SW_SS || d->unusable)
			continue;
		/* desc__is_code && desc__is_conforming, as far.c tests */
		if (!(d->s && (d->type & 0xc) == 0xc) && d->dpl < 3)
			return false;
	}
	return true;
}

/*
 * IRETD from CPL 0 to CPL 3 (SDM Vol. 2A IRET,
 * RETURN-TO-OUTER-PRIVILEGE-LEVEL): the 20-byte frame readable on the
 * stack, VM clear in the image, the image's CS a present non-conforming
 * DPL-3 code segment of the GDT at RPL 3, its SS a present writable
 * DPL-3 data segment at RPL 3 with the accessed bit set. Declined as
 * fast_iret declines (NMIs blocked, NT, TF, a change of a flag
 * bt_page.vflags holds, IF opening with a window requested), and when
 * a data segment register would be nulled (far__drop_data_segs).
 */
static bool fast_iret_outer(struct bt_vm *b, struct sw_cpu *c)
{
	const struct vcpu_seg *ss = &c->seg[SW_SS];
	u32 efl = fast_eflags(b, c), sp = c->gpr[SW_ESP], f[5], nf, i;
	u32 writable = FAST_IRET_FLAGS | EFL_IOPL | EFL_IF | EFL_VIF | EFL_VIP;
	struct fast_switch s;
	bool acc;
	u64 p;

	if (c->cpl != 0 || c->nmi_blocked || (efl & (EFL_NT | EFL_TF)) ||
	    !fast_stack_ok(ss, sp, 20) ||
	    !fast_phys(b, c, (u32)ss->base + sp, 20, false, &p))
		return false;
	for (i = 0; i < 5; i++)
		f[i] = fast_ram_u32(c, p + 4 * i);
	if ((f[2] & EFL_VM) || (f[1] & 3) != 3 || (f[4] & 3) != 3 ||
	    !fast_gdt_desc(b, c, f[1] & 0xffff, &s.cs, &acc) ||
	    !fast_gdt_desc(b, c, f[4] & 0xffff, &s.ss, &acc) ||
	    !fast_code_at(&s.cs, 3) || !fast_stack_at(&s.ss, acc, 3) ||
	    f[0] > s.cs.limit)
		return false;
	s.cs.type |= 1;
	if (!fast_user_data_segs(c))
		return false;
	nf = (efl & ~writable) | (f[2] & writable) | EFL_FIXED;
	nf = (nf & ~0x8028u) | EFL_FIXED;
	if ((nf ^ efl) & FAST_VFLAGS)
		return false;
	if (!(efl & EFL_IF) && (nf & EFL_IF) && b->t->window_requested)
		return false;
	if (!fast_switch_ok(b, c, 3, nf, &s))
		return false;
	fast_switch(b, c, 3, nf, &s);
	b->iret_cs3 = (u16)f[1]; /* the pair to arm in the translation */
	b->iret_ss3 = (u16)f[4];
	c->eip = f[0];
	c->gpr[SW_ESP] = f[3];
	fast_set_eflags(b, c, nf & ~EFL_RF);
	return true;
}

/* The flat descriptors SYSENTER and SYSEXIT load (far.c flat_seg: SDM
 * Vol. 2B SYSENTER, SYSEXIT; not read from the GDT). */
static void fast_flat(struct vcpu_seg *s, u32 sel, u8 type, u8 dpl)
{
	s->base = 0;
	s->limit = 0xffffffffu;
	s->selector = (u16)sel;
	s->type = type;
	s->s = 1;
	s->dpl = dpl;
	s->present = 1;
	s->db = 1;
	s->l = 0;
	s->g = 1;
	s->avl = 0;
	s->unusable = 0;
}

/* The CS and SS SYSENTER (@cpl 0) or SYSEXIT (@cpl 3) loads from
 * IA32_SYSENTER_CS's selector @sel (SDM Vol. 2B: CS, CS + 8; CS + 16 and
 * + 24 at RPL 3). */
static void fast_sysx_segs(u32 sel, u32 cpl, struct fast_switch *s)
{
	u32 off = cpl ? 16 : 0;

	fast_flat(&s->cs, ((sel + off) | cpl) & 0xffff, 0xb, (u8)cpl);
	fast_flat(&s->ss, ((sel + off + 8) | cpl) & 0xffff, 0x3, (u8)cpl);
}

/* SYSENTER (far__sysenter): IA32_SYSENTER_CS[15:2] not 0; CS and SS
 * flat at CPL 0, ESP and EIP from the MSRs, VM IF RF clear. */
static bool fast_sysenter(struct bt_vm *b, struct sw_cpu *c)
{
	u32 cs = (u32)c->msr_sysenter_cs & 0xfffc;
	u32 efl = fast_eflags(b, c) & ~(EFL_VM | EFL_IF | EFL_RF);
	struct fast_switch s;

	if (!(cs & ~3u))
		return false;
	fast_sysx_segs(cs, 0, &s);
	if (!fast_switch_ok(b, c, 0, efl, &s))
		return false;
	fast_switch(b, c, 0, efl, &s);
	c->gpr[SW_ESP] = (u32)c->msr_sysenter_esp;
	c->eip = (u32)c->msr_sysenter_eip;
	fast_set_eflags(b, c, efl);
	return true;
}

/* SYSEXIT (far__sysexit): at CPL 0 with IA32_SYSENTER_CS[15:2] not 0;
 * CS and SS flat at CPL 3, ESP = ECX, EIP = EDX, EFLAGS as it is. */
static bool fast_sysexit(struct bt_vm *b, struct sw_cpu *c)
{
	u32 base = (u32)c->msr_sysenter_cs & 0xfffc, efl = fast_eflags(b, c);
	struct fast_switch s;

	if (!(base & ~3u) || c->cpl != 0)
		return false;
	fast_sysx_segs(base, 3, &s);
	if (!fast_switch_ok(b, c, 3, efl, &s))
		return false;
	fast_switch(b, c, 3, efl, &s);
	c->gpr[SW_ESP] = c->gpr[SW_ECX];
	c->eip = c->gpr[SW_EDX];
	/* the same flags, but AC is the host's at CPL 3 with CR0.AM */
	fast_set_eflags(b, c, efl);
	return true;
}

#endif
