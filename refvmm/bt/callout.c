/*
 * Callouts (callout.h): the monitor's side of every way translated code
 * leaves through the gate on purpose.
 *
 * callout__run reads what the stub asked (bt_page.exit_code): chain a
 * direct branch, fill an indirect-lookup miss, end a one-instruction
 * block (with the single-step and data-breakpoint #DB it owes), raise
 * what the translator found the instruction raises or what its
 * translation found (a zero divisor), drop stale code, perform an
 * adapted access (retranslate.c), or emulate the instruction exactly as
 * if it had trapped.
 *
 * callout__emulate emulates the sensitive instructions that do not trap
 * at CPL 3, so trap mode never emulates them (docs/refvmm-trap.md, the
 * obstacles): PUSHF/POPF against the virtual flags, PUSH of a segment
 * register with the guest's selector, SGDT/SIDT/SLDT/STR/SMSW from the
 * virtual CPU, LAR/LSL/VERR/VERW against the guest's descriptor tables,
 * INT3/INTO/INT1 through the guest IDT; and the near branches the
 * translator rewrites, so that a fault inside a rewritten sequence is
 * emulated at its guest instruction. Installed as the monitor's
 * emulate_first hook: tried before the shared emulator (emu/), which
 * does everything else.
 */
#include <stdio.h>
#include <string.h>

#include "../emu/stack.h"
#include "breakpoint.h"
#include "callout.h"
#include "codepage.h"
#include "fast.h"
#include "paging.h"
#include "refvmm/log.h"
#include "refvmm/machine.h"
#include "refvmm/stats.h"
#include "refvmm/sw/segments.h"
#include "retranslate.h"
#include "tcache.h"
#include "translate.h"

#define EFL_ZF 0x40u

/* POPF writable bits by privilege (SDM Vol. 2B POPF, protected mode). */
#define POPF_ALWAYS 0x244dd5u /* CF PF AF ZF SF TF DF OF NT AC ID */

/* The operand size of a stack access: 2 with a 66 prefix, else 4. */
static u32 op_size(const cs_x86 *x)
{
	return x->prefix[2] == X86_PREFIX_OPSIZE ? 2 : 4;
}

static enum emu_result emu_popf(struct sw_cpu *c, u32 size)
{
	u32 v, writable = POPF_ALWAYS;

	if (stack__pop(c, &v, size) < 0)
		return EMU_RAISE;
	if (c->cpl == 0)
		writable |= EFL_IF | EFL_IOPL;
	else if (c->cpl <= vm__iopl(c))
		writable |= EFL_IF;
	if (size == 2)
		writable &= 0xffff;
	vm__set_eflags(c, (c->eflags & ~writable & ~EFL_RF) | (v & writable));
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
	u32 size = op_size(x);
	u32 next = c->eip + in->size, target = 0, imm = 0;

	if (in->id == X86_INS_RET) {
		if (x->op_count)
			imm = (u32)x->operands[0].imm;
		if (stack__pop(c, &target, size) < 0)
			return EMU_RAISE;
		c->gpr[SW_ESP] += imm;
	} else {
		if (operand__read(c, x, &x->operands[0], &target) < 0)
			return EMU_RAISE;
		if (in->id == X86_INS_CALL && stack__push(c, next, size) < 0)
			return EMU_RAISE;
	}
	if (size == 2)
		target &= 0xffff;
	if (target > c->seg[SW_CS].limit)
		return (sw_gp(c, 0), EMU_RAISE);
	c->eip = target;
	return EMU_DONE;
}

/* SGDT/SIDT/SLDT/STR/SMSW and LAR/LSL/VERR/VERW; EMU_NOT for others. */
static enum emu_result emu_system(struct sw_cpu *c, const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;

	switch (in->id) {
	case X86_INS_SGDT:
	case X86_INS_SIDT:
		return emu_store_table(c, x, in->id == X86_INS_SIDT);
	case X86_INS_SLDT:
		return emu_store_reg(c, x, c->ldtr.selector);
	case X86_INS_STR:
		return emu_store_reg(c, x, c->tr.selector);
	case X86_INS_SMSW:
		return emu_store_reg(c, x, c->cr0);
	case X86_INS_LAR:
		return emu_desc_query(c, x, Q_LAR);
	case X86_INS_LSL:
		return emu_desc_query(c, x, Q_LSL);
	case X86_INS_VERR:
		return emu_desc_query(c, x, Q_VERR);
	case X86_INS_VERW:
		return emu_desc_query(c, x, Q_VERW);
	default:
		return EMU_NOT;
	}
}

/* JMP/CALL rel: only a faulting push gets here; the rest: emu_near. */
static enum emu_result emu_branch(struct sw_cpu *c, const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	const cs_x86_op *o0 = &x->operands[0];
	u32 next = c->eip + in->size;

	if (in->id == X86_INS_RET || o0->type != X86_OP_IMM || x->op_count != 1)
		return emu_near(c, in);
	if (in->id == X86_INS_CALL && stack__push(c, next, op_size(x)) < 0)
		return EMU_RAISE;
	c->eip = (u32)o0->imm;
	return EMU_DONE;
}

enum emu_result callout__emulate(struct monitor *t, const cs_insn *in,
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
		r = stack__push(c, c->eflags & ~(EFL_RF | EFL_VM),
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
		r = stack__push(c, c->seg[sreg].selector, op_size(x)) < 0
			    ? EMU_RAISE
			    : EMU_DONE;
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
		return emu_branch(c, in);
	default:
		r = emu_system(c, in);
		break;
	}
	if (r == EMU_DONE)
		c->eip = next;
	return r;
}

/* --- what the stub asked for --- */

/* BT_EXIT_BRANCH: continue at EIP; chain the branch at patch_site to
 * its translation, unless translating it flushed the cache. */
static void chain(struct bt_vm *b, const struct bt_key *k)
{
	u32 site = b->page->patch_site;
	struct bt_key nk = *k;
	struct bt_block *tb;
	u64 gen;

	if (!site || !b->chaining)
		return;
	nk.eip = b->c->eip;
	gen = b->generation;
	tb = translate__get(b, &nk);
	if (gen != b->generation)
		return;
	tcache__chain(b, site, tb->tc, b->c->eip);
}

/* The run stops to open the interrupt window the monitor stepped for. */
static bool window_open(struct monitor *t, struct vm_exit *exit)
{
	t->monitor_step = false;
	exit->reason = VM_EXIT_IRQ_WINDOW;
	return true;
}

/* BT_EXIT_STEP: a one-instruction block ended. The single-step trap
 * after the instruction (SDM Vol. 3B 17.3.1.4, DR6.BS) and the data
 * breakpoints it hit (17.2.4, DR6.Bn) are one #DB. */
static bool step_done(struct bt_vm *b, u32 entry_efl, bool was_mstep,
		      struct vm_exit *exit)
{
	struct sw_cpu *c = b->c;

	b->st.steps++;
	c->irq_shadow = false;
	c->eflags &= ~EFL_RF;
	if (entry_efl & EFL_TF)
		c->dr[6] |= 0x4000;
	if (b->dbp_fire) {
		c->dr[6] = (c->dr[6] & ~0xfu) | b->dbp_fire;
		b->st.dbp_hits++;
	}
	if ((entry_efl & EFL_TF) || b->dbp_fire) {
		b->dbp_fire = 0;
		if (!monitor__deliver(b->t, 1, false, 0, DELIVER_EXCEPTION,
				      c->eip, exit))
			return true;
	}
	/* a one-instruction block may have sent an NMI (an MMIO store) */
	return was_mstep ? window_open(b->t, exit)
			 : monitor__nmi_window(b->t, exit);
}

/* An exception at EIP, before the instruction ran. */
static bool raise_exc(struct bt_vm *b, int vector, bool has_error, u32 error,
		      struct vm_exit *exit)
{
	return !monitor__deliver(b->t, vector, has_error, error,
				 DELIVER_EXCEPTION, b->c->eip, exit);
}

/* BT_EXIT_RAISE_DE: DIV/IDIV found its divisor zero. What the host's
 * SIGFPE would have led to (monitor__handle): the monitor's step to an
 * interrupt window ends, the #DE is delivered at the DIV. */
bool callout__raise_de(struct bt_vm *b, struct vm_exit *exit)
{
	b->t->monitor_step = false;
	return raise_exc(b, 0, false, 0, exit);
}

/* BT_EXIT_RAISE_PF: fetch again; the walk gives CR2 and the error code
 * now. */
static bool raise_pf(struct bt_vm *b, struct vm_exit *exit)
{
	struct sw_cpu *c = b->c;
	u8 g[16];
	u32 pf_lin = 0, pf_err = 0;

	if (paging__fetch(b, (u32)c->seg[SW_CS].base + c->eip, g, 15, &pf_lin,
			  &pf_err) == 15) {
		tcache__flush(b, "fetch no longer faults");
		return false;
	}
	c->cr2 = pf_lin;
	return raise_exc(b, 14, true, pf_err, exit);
}

/* BT_EXIT_DEBUG: DR6.Bn for every breakpoint that matches. The frame's
 * RF stays as it was: an instruction breakpoint is the one fault that
 * does not set it; the handler does. */
static bool debug(struct bt_vm *b, struct vm_exit *exit)
{
	struct sw_cpu *c = b->c;

	c->dr[6] |= breakpoint__exec(c, (u32)c->seg[SW_CS].base + c->eip);
	return raise_exc(b, 1, false, 0, exit);
}

static void count(struct bt_vm *b)
{
	const cs_insn *in = b->t->last;

	b->st.callouts++;
	stats__add_in(&b->t->m->stats, "bt.callouts",
		      in ? in->mnemonic : "(undecodable)", 1);
}

/* The debug registers changed: translations must check the new
 * instruction breakpoints, and data breakpoints protect other pages. */
static void debug_registers_changed(struct bt_vm *b)
{
	u32 old[BT_MAX_DBP_PAGES], nold, i;

	tcache__flush(b, "debug registers");
	nold = breakpoint__update(b, old);
	for (i = 0; i < nold; i++)
		codepage__protect(b, old[i]);
	for (i = 0; i < b->ndbp; i++)
		codepage__protect(b, b->dbp_pfn[i]);
}

/* BT_EXIT_CALLOUT: emulation, exactly as if the instruction had
 * trapped: #GP(0). */
static bool emulate(struct bt_vm *b, bool was_mstep, struct vm_exit *exit)
{
	struct monitor *t = b->t;
	struct sw_cpu *c = b->c;
	struct sw_event ev = vm__callout_event("callout");
	u32 dr[5];
	bool r;

	t->last = NULL;
	memcpy(dr, c->dr, 4 * sizeof(u32));
	dr[4] = c->dr[7];
	r = monitor__handle(t, &ev, exit);
	count(b);
	if (memcmp(dr, c->dr, 4 * sizeof(u32)) || dr[4] != c->dr[7])
		debug_registers_changed(b);
	if (!r && was_mstep && !c->irq_shadow)
		return window_open(t, exit);
	return r;
}

bool callout__run(struct bt_vm *b, const struct bt_key *k, u32 entry_efl,
		  struct vm_exit *exit)
{
	struct sw_cpu *c = b->c;
	u32 code = b->page->exit_code;
	struct sw_event ev = {.kind = SW_EV_FAULT,
			      .vector = 6,
			      .syscall_nr = -1,
			      .what = "invalid opcode"};
	bool was_mstep = b->t->monitor_step;

	if (code >= BT_EXIT_NR || !code) {
		exit->reason = VM_EXIT_INTERNAL;
		snprintf(exit->detail, sizeof(exit->detail),
			 "bt-simple: bad callout code %u at 0x%x", code,
			 c->eip);
		return true;
	}
	/* a fast callout the gate left to this path is the callout it is:
	 * a raise of #DE, or an emulation */
	if (code == BT_EXIT_FAST)
		code = (b->page->fast_op & 0xff) == BT_FAST_RAISE_DE
			       ? BT_EXIT_RAISE_DE
		       : (b->page->fast_op & 0xff) == BT_FAST_ADAPT_MOV
			       ? BT_EXIT_ADAPT
			       : BT_EXIT_CALLOUT;
	b->st.exits[code]++;
	switch (code) {
	case BT_EXIT_BRANCH:
		chain(b, k);
		return false;
	case BT_EXIT_MISS:
		b->st.lookup_miss++;
		c->eip = b->page->target;
		return false;
	case BT_EXIT_STEP:
		return step_done(b, entry_efl, was_mstep, exit);
	case BT_EXIT_RAISE_GP:
		return raise_exc(b, 13, true, 0, exit);
	case BT_EXIT_ADAPT:
		/* a claim: bt-simple adapts nothing, so none is its */
		if (!b->adapt)
			return emulate(b, was_mstep, exit);
		return retranslate__callout(b, k, exit);
	case BT_EXIT_STALE:
		b->st.stale++;
		tcache__flush(b, "self-check found changed code");
		return false;
	case BT_EXIT_RAISE_NM:
		return raise_exc(b, 7, false, 0, exit);
	case BT_EXIT_RAISE_PF:
		return raise_pf(b, exit);
	case BT_EXIT_DEBUG:
		return debug(b, exit);
	case BT_EXIT_RAISE_UD:
		return monitor__handle(b->t, &ev, exit);
	case BT_EXIT_RAISE_DE:
		return callout__raise_de(b, exit);
	case BT_EXIT_SHADOW:
		/* the instruction after an inline STI starts another
		 * block: the monitor runs it alone, in the shadow */
		c->irq_shadow = true;
		return false;
	default:
		return emulate(b, was_mstep, exit);
	}
}
