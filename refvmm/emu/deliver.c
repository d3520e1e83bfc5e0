/*
 * Event delivery through the guest IDT, and IRET (SDM Vol. 3A 6.12
 * "Exception and interrupt handling", 6.13 error codes, 6.15 #DF;
 * Vol. 2A INT n and IRET, protected mode, 32-bit gates; task gates and
 * IRET with NT = 1 switch tasks in task_switch.c).
 */
#include <string.h>

#include "deliver.h"
#include "far.h"
#include "refvmm/sw/segments.h"
#include "refvmm/sw/shadow_desc.h"
#include "task_switch.h"

#define IRET_FLAGS 0x254dd5u /* CF PF AF ZF SF TF DF OF NT RF AC ID */

void deliver__build_frame(struct deliver_frame *f, bool priv_switch, u16 old_ss,
			  u32 old_esp, u32 eflags, u16 cs, u32 eip,
			  bool has_error, u32 error)
{
	f->n = 0;
	if (priv_switch) {
		f->word[f->n++] = old_ss;
		f->word[f->n++] = old_esp;
	}
	f->word[f->n++] = eflags;
	f->word[f->n++] = cs;
	f->word[f->n++] = eip;
	if (has_error)
		f->word[f->n++] = error;
}

static bool contributory(int v)
{
	return v == 0 || (v >= 10 && v <= 13);
}

/* Fault-class exceptions push RF=1 (SDM Vol. 3B 17.3.1.1). */
static bool is_fault(int v)
{
	return v == 0 || v == 5 || v == 6 || v == 7 || (v >= 10 && v <= 14) ||
	       v == 16 || v == 17 || v == 19;
}

/* The stack the handler runs on: SS:ESP from the guest TSS (7.2.1). */
static int tss_stack(struct sw_cpu *c, int cpl, u32 ext, struct vcpu_seg *ss,
		     u32 *esp)
{
	u32 off = 4 + 8 * (u32)cpl;
	u16 sel = 0;
	u32 ts_err = (c->tr.selector & ~3u) | ext, lin;

	if (c->tr.unusable || off + 5 > c->tr.limit)
		return sw_raise(c, 10, ts_err, true);
	if (sw_lin_read(c, (u32)c->tr.base + off, esp, 4) < 0 ||
	    sw_lin_read(c, (u32)c->tr.base + off + 4, &sel, 2) < 0)
		return -1;
	if (!(sel & ~3u))
		return sw_raise(c, 10, ext, true);
	if (sw_desc_fetch(c, sel, ss, &lin) < 0 || (sel & 3) != cpl ||
	    ss->dpl != cpl || !desc__is_writable_data(ss))
		return sw_raise(c, 10, (sel & ~3u) | ext, true);
	if (!ss->present)
		return sw_raise(c, 12, (sel & ~3u) | ext, true);
	/* The new SS's accessed bit (SDM Vol. 3A 3.4.5.1). */
	sw_desc_set_accessed(c, lin);
	ss->type |= 1;
	return 0;
}

static int push_frame(struct sw_cpu *c, const struct vcpu_seg *ss, u32 *esp,
		      const struct deliver_frame *f)
{
	u32 mask = ss->db ? 0xffffffffu : 0xffffu;
	u32 sp = (*esp - 4u * (u32)f->n) & mask;
	u32 mem[6];
	int i;

	for (i = 0; i < f->n; i++)
		mem[i] = f->word[f->n - 1 - i];
	if (sw_seg_write(c, ss, true, sp, mem, 4u * (u32)f->n) < 0)
		return -1;
	*esp = (*esp & ~mask) | sp;
	return 0;
}

/* An IDT gate and the code segment it names, checked (SDM Vol. 3A
 * 6.12.1.1, 6.12.1.2). */
struct gate {
	struct vcpu_seg cs;
	u16 sel;
	u32 off;
	int type; /* with S */
};

static int read_gate(struct sw_cpu *c, int vector, enum deliver_source src,
		     u32 ext, struct gate *g)
{
	u32 idt_err = (u32)vector * 8 + 2 + ext;
	u32 lo, hi;
	int gdpl;

	if ((u32)vector * 8 + 7 > c->idt_limit)
		return sw_gp(c, idt_err);
	if (sw_lin_read(c, c->idt_base + (u32)vector * 8, &lo, 4) < 0 ||
	    sw_lin_read(c, c->idt_base + (u32)vector * 8 + 4, &hi, 4) < 0)
		return -1;
	g->type = (hi >> 8) & 0x1f;
	gdpl = (hi >> 13) & 3;
	if (g->type != 0xe && g->type != 0xf && g->type != 0x5 &&
	    g->type != 0x6 && g->type != 0x7)
		return sw_gp(c, idt_err);
	if (src == DELIVER_SOFT && gdpl < c->cpl)
		return sw_gp(c, idt_err);
	if (!(hi & 0x8000))
		return sw_raise(c, 11, idt_err, true);
	g->sel = (u16)(lo >> 16);
	if (g->type == 0x5)
		return 1; /* a task gate: g->sel is the TSS */
	if (g->type == 0x6 || g->type == 0x7)
		return -2; /* 16-bit gates: not modelled */
	g->off = desc__gate_offset(lo, hi);
	if (!(g->sel & ~3u))
		return sw_gp(c, ext);
	if (sw_desc_fetch(c, g->sel, &g->cs, NULL) < 0 ||
	    !desc__is_code(&g->cs) || g->cs.dpl > c->cpl)
		return sw_gp(c, (g->sel & ~3u) | ext);
	if (!g->cs.present)
		return sw_raise(c, 11, (g->sel & ~3u) | ext, true);
	return 0;
}

/* The frame onto the handler's stack: the TSS's for level @newcpl when
 * that is inner (6.12.1). */
static int push_event_frame(struct sw_cpu *c, int newcpl, u32 ext, u32 eflags,
			    u32 ret_eip, bool has_error, u32 error)
{
	struct deliver_frame f;
	struct vcpu_seg ss;
	u32 esp;
	int r;

	if (newcpl >= c->cpl) {
		esp = c->gpr[SW_ESP];
		deliver__build_frame(&f, false, 0, 0, eflags,
				     c->seg[SW_CS].selector, ret_eip, has_error,
				     error);
		if (push_frame(c, &c->seg[SW_SS], &esp, &f) < 0)
			return -1;
		c->gpr[SW_ESP] = esp;
		return 0;
	}
	if (tss_stack(c, newcpl, ext, &ss, &esp) < 0)
		return -1;
	deliver__build_frame(&f, true, c->seg[SW_SS].selector, c->gpr[SW_ESP],
			     eflags, c->seg[SW_CS].selector, ret_eip, has_error,
			     error);
	c->acc_cpl = newcpl; /* pushes onto the inner stack */
	r = push_frame(c, &ss, &esp, &f);
	c->acc_cpl = -1;
	if (r < 0) {
		if (c->exc_vector == 12)
			c->exc_error = (ss.selector & ~3u) | ext;
		return -1;
	}
	if (sw_set_sreg(c, SW_SS, &ss) < 0)
		return sw_raise(c, 10, (ss.selector & ~3u) | ext, true);
	c->gpr[SW_ESP] = esp;
	return 0;
}

static int deliver_once(struct monitor *t, int vector, bool has_error,
			u32 error, enum deliver_source src, u32 ret_eip)
{
	struct sw_cpu *c = t->c;
	u32 ext = src != DELIVER_SOFT, eflags;
	struct gate g;
	int newcpl, r;

	r = read_gate(c, vector, src, ext, &g);
	if (r < 0)
		return r;
	eflags = c->eflags;
	if (src == DELIVER_EXCEPTION && is_fault(vector))
		eflags |= EFL_RF;
	if (r == 1)
		return task_switch__gate(c, g.sel, ext, eflags, ret_eip,
					 has_error, error);
	newcpl = desc__is_conforming(&g.cs) ? c->cpl : g.cs.dpl;
	/* the handler's EIP within its CS, before anything is pushed (SDM
	 * Vol. 2A INT n: #GP(EXT)) */
	if (g.off > g.cs.limit)
		return sw_gp(c, ext);
	if (push_event_frame(c, newcpl, ext, eflags, ret_eip, has_error,
			     error) < 0)
		return -1;
	g.cs.selector = (u16)((g.sel & ~3u) | (u32)newcpl);
	/* the handler's CS descriptor is loaded: its accessed bit (SDM
	 * Vol. 3A 3.4.5.1) */
	sw_desc_set_accessed_sel(c, g.sel);
	g.cs.type |= 1;
	sw_set_sreg(c, SW_CS, &g.cs);
	c->cpl = newcpl;
	c->eip = g.off;
	eflags &= ~(EFL_TF | EFL_NT | EFL_RF | EFL_VM);
	if (g.type == 0xe)
		eflags &= ~EFL_IF;
	vm__set_eflags(c, eflags);
	c->irq_shadow = false;
	return 0;
}

int deliver__event(struct monitor *t, int vector, bool has_error, u32 error,
		   enum deliver_source src, u32 return_eip)
{
	struct sw_cpu *c = t->c;
	int first = vector, second, r, depth;

	r = deliver_once(t, vector, has_error, error, src, return_eip);
	for (depth = 0; r == -1 && depth < 4; depth++) {
		second = c->exc_vector;
		if (first == 8)
			return -1; /* triple fault */
		if ((contributory(first) && contributory(second)) ||
		    (first == 14 && (second == 14 || contributory(second)))) {
			first = 8;
			r = deliver_once(t, 8, true, 0, DELIVER_EXCEPTION,
					 c->eip);
		} else {
			first = second;
			r = deliver_once(t, second, c->exc_has_error,
					 c->exc_error, DELIVER_EXCEPTION,
					 c->eip);
		}
	}
	if (r == 0) {
		if (src == DELIVER_EXTERNAL)
			t->delivered_irq++;
		else if (src == DELIVER_SOFT)
			t->delivered_int++;
		else
			t->delivered_exc++;
	}
	return r;
}

int deliver__iret(struct sw_cpu *c)
{
	struct vcpu_seg cs, ss;
	u32 frame[5], mask, sp = c->gpr[SW_ESP], ss_lin = 0;
	u32 newflags, writable = IRET_FLAGS;
	int rpl, cpl = c->cpl, r;
	u16 sel, ssel = 0;
	bool outer;

	/* Any IRET unblocks NMIs, "even if the instruction causes a fault"
	 * (SDM Vol. 3A 6.7.1). */
	c->nmi_blocked = false;
	if (c->eflags & EFL_NT)
		return sw_gp(c, 0); /* emulate.c takes the task return */
	if (!c->seg[SW_SS].db)
		sp &= 0xffff;
	if (sw_read(c, SW_SS, sp, frame, 12) < 0)
		return -1;
	/* VM = 1 in the image at CPL 0 is the way to virtual-8086 mode,
	 * taken before any check of CS, which is then an 8086 segment (SDM
	 * Vol. 2A IRET, RETURN-TO-VIRTUAL-8086-MODE). That mode does not
	 * exist in the host process's IA-32e mode: refused with #GP(0)
	 * whatever the CS, so the guest sees one documented answer
	 * (docs/refvmm.md, "Real and virtual-8086 mode"). */
	if (cpl == 0 && (frame[2] & EFL_VM))
		return sw_gp(c, 0);
	sel = (u16)frame[1];
	rpl = sel & 3;
	if (!(sel & ~3u))
		return sw_gp(c, 0);
	if (sw_desc_fetch(c, sel, &cs, NULL) < 0 || !desc__is_code(&cs) ||
	    rpl < cpl)
		return sw_gp(c, sel & ~3u);
	if (desc__is_conforming(&cs) ? cs.dpl > rpl : cs.dpl != rpl)
		return sw_gp(c, sel & ~3u);
	if (!cs.present)
		return sw_raise(c, 11, sel & ~3u, true);
	outer = rpl > cpl;
	if (outer) {
		if (sw_read(c, SW_SS, sp + 12, frame + 3, 8) < 0)
			return -1;
		ssel = (u16)frame[4];
		if (!(ssel & ~3u))
			return sw_gp(c, 0);
		if (sw_desc_fetch(c, ssel, &ss, &ss_lin) < 0 ||
		    (ssel & 3) != rpl || !desc__is_writable_data(&ss) ||
		    ss.dpl != rpl)
			return sw_gp(c, ssel & ~3u);
		if (!ss.present)
			return sw_raise(c, 12, ssel & ~3u, true);
	}
	/* the return EIP within the new CS (SDM Vol. 2A IRET: #GP(0)) */
	if (frame[0] > cs.limit)
		return sw_gp(c, 0);
	if (outer) {
		sw_desc_set_accessed(c, ss_lin);
		ss.type |= 1;
	}
	if (cpl == 0)
		writable |= EFL_IOPL | EFL_IF | EFL_VIF | EFL_VIP;
	else if (cpl <= vm__iopl(c))
		writable |= EFL_IF;
	newflags = (c->eflags & ~writable) | (frame[2] & writable) | EFL_FIXED;
	sw_desc_set_accessed_sel(c, sel);
	cs.type |= 1;
	if (sw_set_sreg(c, SW_CS, &cs) < 0)
		return sw_gp(c, sel & ~3u);
	c->cpl = rpl;
	c->eip = frame[0];
	if (outer) {
		r = sw_set_sreg(c, SW_SS, &ss);
		if (r < 0)
			return sw_gp(c, ssel & ~3u);
		c->gpr[SW_ESP] = frame[3];
		far__drop_data_segs(c, rpl);
	} else {
		mask = c->seg[SW_SS].db ? 0xffffffffu : 0xffffu;
		c->gpr[SW_ESP] = (c->gpr[SW_ESP] & ~mask) | ((sp + 12) & mask);
	}
	vm__set_eflags(c, newflags);
	return 0;
}
