/*
 * Callouts for the sensitive instructions that do not trap at CPL 3, so
 * trap mode never emulates them (docs/refvmm-trap.md, the obstacles):
 * PUSHF/POPF against the virtual flags, PUSH of a segment register with
 * the guest's selector, SGDT/SIDT/SLDT/STR/SMSW from the virtual CPU,
 * LAR/LSL/VERR/VERW against the guest's descriptor tables, INT3/INTO/
 * INT1 through the guest IDT; and the near branches the translator
 * rewrites, so that a fault inside a rewritten sequence is emulated at
 * its guest instruction. Installed as trap_vm.emulate_hook: tried before
 * trap/emulate.c, which does everything else.
 */
#include <string.h>

#include "bt.h"
#include "refvmm/sw/segments.h"

#define EFL_ZF 0x40u

/* POPF writable bits by privilege (SDM Vol. 2B POPF, protected mode). */
#define POPF_ALWAYS 0x244dd5u /* CF PF AF ZF SF TF DF OF NT AC ID */

static int push(struct sw_cpu *c, u32 v, u32 size)
{
	u32 mask = c->seg[SW_SS].db ? 0xffffffffu : 0xffffu;
	u32 sp = (c->gpr[SW_ESP] - size) & mask;

	if (sw_write(c, SW_SS, sp, &v, size) < 0)
		return -1;
	c->gpr[SW_ESP] = (c->gpr[SW_ESP] & ~mask) | sp;
	return 0;
}

static int pop(struct sw_cpu *c, u32 *v, u32 size)
{
	u32 mask = c->seg[SW_SS].db ? 0xffffffffu : 0xffffu;
	u32 sp = c->gpr[SW_ESP] & mask;

	*v = 0;
	if (sw_read(c, SW_SS, sp, v, size) < 0)
		return -1;
	c->gpr[SW_ESP] = (c->gpr[SW_ESP] & ~mask) | ((sp + size) & mask);
	return 0;
}

static int iopl(const struct sw_cpu *c)
{
	return (int)((c->eflags & EFL_IOPL) >> 12);
}

static enum emu_result emu_popf(struct sw_cpu *c, u32 size)
{
	u32 v, writable = POPF_ALWAYS;

	if (pop(c, &v, size) < 0)
		return EMU_RAISE;
	if (c->cpl == 0)
		writable |= EFL_IF | EFL_IOPL;
	else if (c->cpl <= iopl(c))
		writable |= EFL_IF;
	if (size == 2)
		writable &= 0xffff;
	vm__set_eflags(c,
			    (c->eflags & ~writable & ~EFL_RF) | (v & writable));
	return EMU_DONE;
}

/* UMIP: SGDT/SIDT/SLDT/SMSW/STR at CPL > 0 are #GP(0) (SDM Vol. 3A 2.5). */
static bool umip_fault(struct sw_cpu *c)
{
	return c->cpl > 0 && (c->cr4 & CR4_UMIP);
}

static enum emu_result emu_store_table(struct sw_cpu *c, const cs_x86 *x,
				       bool idt)
{
	const cs_x86_op *o = &x->operands[0];
	u16 limit = idt ? c->idt_limit : c->gdt_limit;
	u32 base = idt ? c->idt_base : c->gdt_base, ea;
	int sreg;

	if (o->type != X86_OP_MEM)
		return (sw_raise(c, 6, 0, false), EMU_RAISE);
	if (umip_fault(c))
		return (sw_gp(c, 0), EMU_RAISE);
	ea = operand__addr(c, x, o, &sreg);
	if (sw_write(c, sreg, ea, &limit, 2) < 0 ||
	    sw_write(c, sreg, ea + 2, &base, 4) < 0)
		return EMU_RAISE;
	return EMU_DONE;
}

/* SLDT/STR/SMSW: a register gets the value, memory gets 16 bits. */
static enum emu_result emu_store_reg(struct sw_cpu *c, const cs_x86 *x, u32 v)
{
	const cs_x86_op *o = &x->operands[0];
	cs_x86_op m;

	if (umip_fault(c))
		return (sw_gp(c, 0), EMU_RAISE);
	if (o->type == X86_OP_MEM) {
		m = *o;
		m.size = 2;
		o = &m;
	}
	return operand__write(c, x, o, v) < 0 ? EMU_RAISE : EMU_DONE;
}

/* LAR/LSL/VERR/VERW (SDM Vol. 2A LAR, LSL; Vol. 2B VERR/VERW). */
enum desc_query { Q_LAR, Q_LSL, Q_VERR, Q_VERW };

static bool query_desc(struct sw_cpu *c, u16 sel, enum desc_query q, u32 *out)
{
	/* System types valid for LAR / LSL outside 64-bit mode. */
	static const u16 lar_sys = 1u << 1 | 1u << 2 | 1u << 3 | 1u << 4 |
				   1u << 5 | 1u << 9 | 1u << 11 | 1u << 12;
	static const u16 lsl_sys =
		1u << 1 | 1u << 2 | 1u << 3 | 1u << 9 | 1u << 11;
	struct vcpu_seg s;
	u32 lin, hi;
	int rpl = sel & 3;

	if (!(sel & ~3u) || sw_desc_fetch(c, sel, &s, &lin) < 0)
		return false;
	if (!s.s) {
		if (q == Q_VERR || q == Q_VERW)
			return false;
		if (!(((q == Q_LAR) ? lar_sys : lsl_sys) >> s.type & 1))
			return false;
	}
	if (!desc__is_conforming(&s) && (s.dpl < c->cpl || s.dpl < rpl))
		return false;
	if (desc__is_conforming(&s) && q == Q_VERR && !desc__is_readable(&s))
		return false;
	switch (q) {
	case Q_LAR:
		sw_lin_read(c, lin + 4, &hi, 4);
		*out = hi & 0x00f0ff00u;
		return true;
	case Q_LSL:
		*out = s.limit;
		return true;
	case Q_VERR:
		return desc__is_readable(&s);
	case Q_VERW:
		return desc__is_writable_data(&s);
	}
	return false;
}

static enum emu_result emu_desc_query(struct sw_cpu *c, const cs_x86 *x,
				      enum desc_query q)
{
	const cs_x86_op *src = &x->operands[q <= Q_LSL ? 1 : 0];
	u32 v, out = 0;
	bool ok;

	if (operand__read(c, x, src, &v) < 0)
		return EMU_RAISE;
	ok = query_desc(c, (u16)v, q, &out);
	if (ok && q <= Q_LSL) {
		if (x->operands[0].size == 2)
			out &= q == Q_LAR ? 0xff00 : 0xffff;
		if (operand__write(c, x, &x->operands[0], out) < 0)
			return EMU_RAISE;
	}
	c->eflags = ok ? c->eflags | EFL_ZF : c->eflags & ~EFL_ZF;
	return EMU_DONE;
}

static enum emu_result soft_int(struct monitor *t, int vector,
				enum deliver_source src, u32 ret,
				struct vm_exit *exit)
{
	if (!monitor__deliver(t, vector, false, 0, src, ret, exit))
		return EMU_FATAL;
	return EMU_DONE;
}

/* Near JMP/CALL/RET, emulated when their rewritten sequence faulted. */
static enum emu_result emu_near(struct sw_cpu *c, const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	u32 size = x->prefix[2] == X86_PREFIX_OPSIZE ? 2 : 4;
	u32 next = c->eip + in->size, target = 0, imm = 0;

	if (in->id == X86_INS_RET) {
		if (x->op_count)
			imm = (u32)x->operands[0].imm;
		if (pop(c, &target, size) < 0)
			return EMU_RAISE;
		c->gpr[SW_ESP] += imm;
	} else {
		if (operand__read(c, x, &x->operands[0], &target) < 0)
			return EMU_RAISE;
		if (in->id == X86_INS_CALL && push(c, next, size) < 0)
			return EMU_RAISE;
	}
	if (size == 2)
		target &= 0xffff;
	if (target > c->seg[SW_CS].limit)
		return (sw_gp(c, 0), EMU_RAISE);
	c->eip = target;
	return EMU_DONE;
}

enum emu_result bt_callout_emulate(struct monitor *t, const cs_insn *in,
				   struct vm_exit *exit)
{
	struct sw_cpu *c = t->c;
	const cs_x86 *x = &in->detail->x86;
	const cs_x86_op *o0 = &x->operands[0];
	enum emu_result r = EMU_NOT;
	u32 next = c->eip + in->size;
	int sreg;

	switch (in->id) {
	case X86_INS_PUSHF:
	case X86_INS_PUSHFD:
		r = push(c, c->eflags & ~(EFL_RF | EFL_VM),
			 in->id == X86_INS_PUSHF ? 2 : 4) < 0
			    ? EMU_RAISE
			    : EMU_DONE;
		break;
	case X86_INS_POPF:
	case X86_INS_POPFD:
		r = emu_popf(c, in->id == X86_INS_POPF ? 2 : 4);
		break;
	case X86_INS_PUSH:
		if (o0->type != X86_OP_REG ||
		    (sreg = operand__sreg(o0->reg)) < 0)
			return EMU_NOT;
		r = push(c, c->seg[sreg].selector,
			 x->prefix[2] == X86_PREFIX_OPSIZE ? 2 : 4) < 0
			    ? EMU_RAISE
			    : EMU_DONE;
		break;
	case X86_INS_SGDT:
	case X86_INS_SIDT:
		r = emu_store_table(c, x, in->id == X86_INS_SIDT);
		break;
	case X86_INS_SLDT:
		r = emu_store_reg(c, x, c->ldtr.selector);
		break;
	case X86_INS_STR:
		r = emu_store_reg(c, x, c->tr.selector);
		break;
	case X86_INS_SMSW:
		r = emu_store_reg(c, x, c->cr0);
		break;
	case X86_INS_LAR:
		r = emu_desc_query(c, x, Q_LAR);
		break;
	case X86_INS_LSL:
		r = emu_desc_query(c, x, Q_LSL);
		break;
	case X86_INS_VERR:
		r = emu_desc_query(c, x, Q_VERR);
		break;
	case X86_INS_VERW:
		r = emu_desc_query(c, x, Q_VERW);
		break;
	case X86_INS_INT3:
		return soft_int(t, 3, DELIVER_SOFT, next, exit);
	case X86_INS_INTO:
		if (!(c->eflags & EFL_OF)) {
			r = EMU_DONE;
			break;
		}
		return soft_int(t, 4, DELIVER_SOFT, next, exit);
	case X86_INS_INT1:
		return soft_int(t, 1, DELIVER_EXCEPTION, next, exit);
	case X86_INS_JMP:
	case X86_INS_CALL:
	case X86_INS_RET:
		if (in->id != X86_INS_RET && o0->type == X86_OP_IMM &&
		    x->op_count == 1) {
			/* direct: only a faulting push gets here */
			u32 target = (u32)o0->imm;

			if (in->id == X86_INS_CALL &&
			    push(c, next,
				 x->prefix[2] == X86_PREFIX_OPSIZE ? 2 : 4) < 0)
				return EMU_RAISE;
			c->eip = target;
			return EMU_DONE;
		}
		return emu_near(c, in);
	default:
		return EMU_NOT;
	}
	if (r == EMU_DONE)
		c->eip = next;
	return r;
}
