/*
 * Far control transfers against the guest's descriptor tables: far JMP
 * and CALL through code segments and 32-bit call gates (SDM Vol. 2A JMP,
 * CALL; Vol. 3A 5.8.3-5.8.6), far RET (Vol. 2A RET), and SYSENTER /
 * SYSEXIT against IA32_SYSENTER_* (Vol. 2B, protected mode). Each
 * returns 0, or -1 with c->exc_* raised.
 */
#include "far.h"
#include "refvmm/sw/segments.h"
#include "refvmm/sw/shadow_desc.h"
#include "stack.h"
#include "task_switch.h"
#include "vm.h"

static int check_code_target(struct sw_cpu *c, u16 sel, struct vcpu_seg *cs)
{
	if (!(sel & ~3u))
		return sw_gp(c, 0);
	if (sw_desc_fetch(c, sel, cs, NULL) < 0)
		return sw_gp(c, sel & ~3u);
	return 0;
}

static int set_cs(struct sw_cpu *c, struct vcpu_seg *cs, u16 sel, int cpl,
		  u32 eip)
{
	cs->selector = (u16)((sel & ~3u) | (u32)cpl);
	/* Loading CS sets its descriptor's accessed bit too (SDM Vol. 3A
	 * 3.4.5.1: every segment register load) */
	sw_desc_set_accessed_sel(c, sel);
	cs->type |= 1;
	if (sw_set_sreg(c, SW_CS, cs) < 0)
		return sw_gp(c, sel & ~3u);
	c->cpl = cpl;
	c->eip = eip;
	return 0;
}

/* CALL far to the same level: CS, then the return EIP. */
static int push_return(struct sw_cpu *c, u32 next_eip)
{
	if (stack__push(c, c->seg[SW_CS].selector, 4) < 0)
		return -1;
	return stack__push(c, next_eip, 4);
}

/* A call gate to a more privileged level: stack from the TSS, params. */
static int call_gate_inner(struct sw_cpu *c, struct vcpu_seg *cs, u16 tsel,
			   u32 off, int nparams, u32 next_eip)
{
	int newcpl = cs->dpl;
	u32 esp, params[32], frame[36], sp;
	struct vcpu_seg ss;
	u16 ssel = 0;
	u32 ss_lin;
	int i, n = 0;

	if (c->tr.unusable || 8u * (u32)newcpl + 4 + 5 > c->tr.limit)
		return sw_raise(c, 10, c->tr.selector & ~3u, true);
	sw_lin_read(c, (u32)c->tr.base + 4 + 8u * (u32)newcpl, &esp, 4);
	sw_lin_read(c, (u32)c->tr.base + 8 + 8u * (u32)newcpl, &ssel, 2);
	if (!(ssel & ~3u))
		return sw_raise(c, 10, 0, true);
	if (sw_desc_fetch(c, ssel, &ss, &ss_lin) < 0 || (ssel & 3) != newcpl ||
	    ss.dpl != newcpl || !desc__is_writable_data(&ss))
		return sw_raise(c, 10, ssel & ~3u, true);
	if (!ss.present)
		return sw_raise(c, 12, ssel & ~3u, true);
	if (!cs->present)
		return sw_raise(c, 11, tsel & ~3u, true);
	/* the gate's EIP within the new CS (SDM Vol. 2A CALL: #GP(0)) */
	if (off > cs->limit)
		return sw_gp(c, 0);
	for (i = 0; i < nparams; i++)
		if (sw_read(c, SW_SS, c->gpr[SW_ESP] + 4u * (u32)i, &params[i],
			    4) < 0)
			return -1;
	/* New stack, low to high: EIP, CS, params, ESP, SS. */
	frame[n++] = next_eip;
	frame[n++] = c->seg[SW_CS].selector;
	for (i = 0; i < nparams; i++)
		frame[n++] = params[i];
	frame[n++] = c->gpr[SW_ESP];
	frame[n++] = c->seg[SW_SS].selector;
	sp = esp - 4u * (u32)n;
	/* Loading SS sets its descriptor's accessed bit (SDM Vol. 3A
	 * 3.4.5.1), on a stack switch as on MOV SS. */
	sw_desc_set_accessed(c, ss_lin);
	ss.type |= 1;
	c->acc_cpl = newcpl; /* the pushes are the new level's */
	i = sw_seg_write(c, &ss, true, sp, frame, 4u * (u32)n);
	c->acc_cpl = -1;
	if (i < 0) {
		if (c->exc_vector == 12)
			c->exc_error = ssel & ~3u;
		return -1;
	}
	if (sw_set_sreg(c, SW_SS, &ss) < 0)
		return sw_raise(c, 10, ssel & ~3u, true);
	c->gpr[SW_ESP] = sp;
	return set_cs(c, cs, tsel, newcpl, off);
}

int far__transfer(struct sw_cpu *c, bool call, u16 sel, u32 off, u32 next_eip)
{
	struct vcpu_seg d, cs;
	int rpl = sel & 3, cpl = c->cpl;
	u32 lo_hi[2];
	u16 tsel;
	int nparams;

	if (check_code_target(c, sel, &d) < 0)
		return -1;
	if (desc__is_code(&d)) {
		if (desc__is_conforming(&d) ? d.dpl > cpl
					    : (rpl > cpl || d.dpl != cpl))
			return sw_gp(c, sel & ~3u);
		if (!d.present)
			return sw_raise(c, 11, sel & ~3u, true);
		if (off > d.limit)
			return sw_gp(c, 0);
		if (call && push_return(c, next_eip) < 0)
			return -1;
		return set_cs(c, &d, sel, cpl, off);
	}
	if (task_switch__is_task(&d))
		return task_switch__far(c, call, sel, &d, next_eip);
	if (d.s || d.type != 0xc)
		return sw_gp(c, sel & ~3u);
	/* 32-bit call gate (SDM Vol. 3A 5.8.3, 5.8.4) */
	if (d.dpl < cpl || d.dpl < rpl)
		return sw_gp(c, sel & ~3u);
	if (!d.present)
		return sw_raise(c, 11, sel & ~3u, true);
	{
		u64 raw = desc__encode(&d);

		lo_hi[0] = (u32)raw;
		lo_hi[1] = (u32)(raw >> 32);
	}
	tsel = (u16)(lo_hi[0] >> 16);
	off = desc__gate_offset(lo_hi[0], lo_hi[1]);
	nparams = lo_hi[1] & 0x1f;
	if (check_code_target(c, tsel, &cs) < 0)
		return -1;
	if (!desc__is_code(&cs) || cs.dpl > cpl)
		return sw_gp(c, tsel & ~3u);
	if (call && !desc__is_conforming(&cs) && cs.dpl < cpl)
		return call_gate_inner(c, &cs, tsel, off, nparams, next_eip);
	if (!call && !desc__is_conforming(&cs) && cs.dpl != cpl)
		return sw_gp(c, tsel & ~3u);
	if (!cs.present)
		return sw_raise(c, 11, tsel & ~3u, true);
	if (off > cs.limit)
		return sw_gp(c, 0);
	if (call && push_return(c, next_eip) < 0)
		return -1;
	return set_cs(c, &cs, tsel, cpl, off);
}

int far__return(struct sw_cpu *c, u32 imm)
{
	struct vcpu_seg cs, ss;
	u32 frame[4], sp = c->gpr[SW_ESP], ss_lin;
	int rpl, cpl = c->cpl;
	u16 sel, ssel;

	if (sw_read(c, SW_SS, sp, frame, 8) < 0)
		return -1;
	sel = (u16)frame[1];
	rpl = sel & 3;
	if (check_code_target(c, sel, &cs) < 0)
		return -1;
	if (!desc__is_code(&cs) || rpl < cpl ||
	    (desc__is_conforming(&cs) ? cs.dpl > rpl : cs.dpl != rpl))
		return sw_gp(c, sel & ~3u);
	if (!cs.present)
		return sw_raise(c, 11, sel & ~3u, true);
	if (rpl == cpl) {
		/* the return EIP within the CS (SDM Vol. 2B RET: #GP(0)) */
		if (frame[0] > cs.limit)
			return sw_gp(c, 0);
		c->gpr[SW_ESP] = sp + 8 + imm;
		return set_cs(c, &cs, sel, cpl, frame[0]);
	}
	if (sw_read(c, SW_SS, sp + 8 + imm, frame + 2, 8) < 0)
		return -1;
	ssel = (u16)frame[3];
	if (!(ssel & ~3u))
		return sw_gp(c, 0);
	if (sw_desc_fetch(c, ssel, &ss, &ss_lin) < 0 || (ssel & 3) != rpl ||
	    ss.dpl != rpl || !desc__is_writable_data(&ss))
		return sw_gp(c, ssel & ~3u);
	if (!ss.present)
		return sw_raise(c, 12, ssel & ~3u, true);
	if (frame[0] > cs.limit)
		return sw_gp(c, 0);
	if (set_cs(c, &cs, sel, rpl, frame[0]) < 0)
		return -1;
	/* Loading SS sets its descriptor's accessed bit (SDM Vol. 3A
	 * 3.4.5.1), on a stack switch as on MOV SS. */
	sw_desc_set_accessed(c, ss_lin);
	ss.type |= 1;
	sw_set_sreg(c, SW_SS, &ss);
	c->gpr[SW_ESP] = frame[2] + imm;
	far__drop_data_segs(c, rpl);
	return 0;
}

void far__drop_data_segs(struct sw_cpu *c, int rpl)
{
	for (int r = 0; r < SW_NSREGS; r++) {
		struct vcpu_seg *s = &c->seg[r], null;

		if (r == SW_CS || r == SW_SS || s->unusable)
			continue;
		if ((!desc__is_code(s) || !desc__is_conforming(s)) &&
		    s->dpl < rpl) {
			sw_null_seg(&null, 0);
			sw_set_sreg(c, r, &null);
		}
	}
}

static void flat_seg(struct vcpu_seg *s, u16 sel, u8 type, int dpl)
{
	*s = (struct vcpu_seg){.base = 0,
			       .limit = 0xffffffffu,
			       .selector = sel,
			       .type = type,
			       .s = 1,
			       .dpl = (u8)dpl,
			       .present = 1,
			       .db = 1,
			       .g = 1};
}

int far__sysenter(struct sw_cpu *c)
{
	u16 cs = (u16)c->msr_sysenter_cs & 0xfffc;
	struct vcpu_seg code, stack;

	if (!(cs & ~3u))
		return sw_gp(c, 0);
	/* The descriptors are loaded fixed, not from the GDT. */
	flat_seg(&code, cs, 0xb, 0);
	flat_seg(&stack, (u16)(cs + 8), 0x3, 0);
	if (sw_set_sreg(c, SW_CS, &code) < 0 ||
	    sw_set_sreg(c, SW_SS, &stack) < 0)
		return sw_gp(c, 0);
	c->cpl = 0;
	vm__set_eflags(c, c->eflags & ~(EFL_VM | EFL_IF | EFL_RF));
	c->gpr[SW_ESP] = (u32)c->msr_sysenter_esp;
	c->eip = (u32)c->msr_sysenter_eip;
	return 0;
}

int far__sysexit(struct sw_cpu *c)
{
	u16 base = (u16)c->msr_sysenter_cs & 0xfffc;
	struct vcpu_seg code, stack;

	if (!(base & ~3u) || c->cpl)
		return sw_gp(c, 0);
	flat_seg(&code, (u16)((base + 16) | 3), 0xb, 3);
	flat_seg(&stack, (u16)((base + 24) | 3), 0x3, 3);
	if (sw_set_sreg(c, SW_CS, &code) < 0 ||
	    sw_set_sreg(c, SW_SS, &stack) < 0)
		return sw_gp(c, 0);
	c->cpl = 3;
	c->gpr[SW_ESP] = c->gpr[SW_ECX];
	c->eip = c->gpr[SW_EDX];
	return 0;
}
