/*
 * Emulation of the privileged and sensitive instructions that trap when
 * a guest runs de-privileged (ARCHITECTURE.md, "privileged instruction
 * trap"), against the virtual CPU. Capstone decodes the instruction at
 * CS:EIP; each case cites the SDM Vol. 2 entry whose "Operation" and
 * "Protected Mode Exceptions" it follows. Memory accesses the host
 * cannot perform directly (the low page, MMIO, segments shadowed
 * not-present) are emulated for MOV/MOVZX/MOVSX.
 */
#include <stdio.h>
#include <string.h>

#include "monitor.h"
#include "refvmm/machine.h"
#include "refvmm/sw/segments.h"
#include "refvmm/sw/shadow_desc.h"
#include "refvmm/sw/shadow_pt.h"
#include "refvmm/sw/world_switch.h"
#include "refvmm/vcpu.h"

const cs_insn *emulate__decode(struct monitor *t, u32 eip)
{
	struct sw_cpu *c = t->c;
	u8 buf[16];
	const u8 *p = buf;
	size_t len = 0;
	u64 addr = eip;
	u32 lin = (u32)c->seg[SW_CS].base + eip;

	/* Byte by byte: an instruction may end just before a page the
	 * guest has not mapped. */
	while (len < 15 && sw_lin_read(c, lin + (u32)len, buf + len, 1) == 0)
		len++;
	if (!cs_disasm_iter(t->cs, &p, &len, &addr, t->insn))
		return NULL;
	t->last = t->insn;
	return t->insn;
}

/* --- operands --- */

static bool gpr_of(x86_reg r, int *idx, int *size, int *shift)
{
	static const x86_reg r32[] = {X86_REG_EAX, X86_REG_ECX, X86_REG_EDX,
				      X86_REG_EBX, X86_REG_ESP, X86_REG_EBP,
				      X86_REG_ESI, X86_REG_EDI};
	static const x86_reg r16[] = {X86_REG_AX, X86_REG_CX, X86_REG_DX,
				      X86_REG_BX, X86_REG_SP, X86_REG_BP,
				      X86_REG_SI, X86_REG_DI};
	static const x86_reg r8l[] = {X86_REG_AL, X86_REG_CL, X86_REG_DL,
				      X86_REG_BL};
	static const x86_reg r8h[] = {X86_REG_AH, X86_REG_CH, X86_REG_DH,
				      X86_REG_BH};
	int i;

	*shift = 0;
	for (i = 0; i < 8; i++) {
		if (r == r32[i]) {
			*idx = i;
			*size = 4;
			return true;
		}
		if (r == r16[i]) {
			*idx = i;
			*size = 2;
			return true;
		}
	}
	for (i = 0; i < 4; i++) {
		if (r == r8l[i] || r == r8h[i]) {
			*idx = i;
			*size = 1;
			*shift = r == r8h[i] ? 8 : 0;
			return true;
		}
	}
	return false;
}

int emulate__gpr_index(x86_reg r)
{
	int idx, size, shift;

	return gpr_of(r, &idx, &size, &shift) && shift == 0 ? idx : -1;
}

static u32 reg_get(struct sw_cpu *c, x86_reg r)
{
	int idx, size, shift;

	if (!gpr_of(r, &idx, &size, &shift))
		return 0;
	if (size == 4)
		return c->gpr[idx];
	if (size == 2)
		return c->gpr[idx] & 0xffff;
	return (c->gpr[idx] >> shift) & 0xff;
}

static void reg_set(struct sw_cpu *c, x86_reg r, u32 v)
{
	int idx, size, shift;

	if (!gpr_of(r, &idx, &size, &shift))
		return;
	if (size == 4)
		c->gpr[idx] = v;
	else if (size == 2)
		c->gpr[idx] = (c->gpr[idx] & ~0xffffu) | (v & 0xffff);
	else
		c->gpr[idx] = (c->gpr[idx] & ~(0xffu << shift)) |
			      ((v & 0xff) << shift);
}

int emulate__sreg_of(x86_reg r)
{
	switch (r) {
	case X86_REG_ES:
		return SW_ES;
	case X86_REG_CS:
		return SW_CS;
	case X86_REG_SS:
		return SW_SS;
	case X86_REG_DS:
		return SW_DS;
	case X86_REG_FS:
		return SW_FS;
	case X86_REG_GS:
		return SW_GS;
	default:
		return -1;
	}
}

/* Effective address and segment of a memory operand (SDM Vol. 1 3.7.5). */
static u32 mem_addr(struct sw_cpu *c, const cs_x86 *x, const cs_x86_op *op,
		    int *sreg)
{
	u32 ea = (u32)op->mem.disp;

	if (op->mem.base != X86_REG_INVALID)
		ea += reg_get(c, op->mem.base);
	if (op->mem.index != X86_REG_INVALID)
		ea += reg_get(c, op->mem.index) * (u32)op->mem.scale;
	if (x->addr_size == 2)
		ea &= 0xffff;
	*sreg = emulate__sreg_of(op->mem.segment);
	if (*sreg < 0)
		*sreg = (op->mem.base == X86_REG_ESP ||
			 op->mem.base == X86_REG_EBP ||
			 op->mem.base == X86_REG_SP ||
			 op->mem.base == X86_REG_BP)
				? SW_SS
				: SW_DS;
	return ea;
}

static int op_read(struct sw_cpu *c, const cs_x86 *x, const cs_x86_op *op,
		   u32 *v)
{
	int sreg;
	u32 ea;

	*v = 0;
	switch (op->type) {
	case X86_OP_REG:
		*v = reg_get(c, op->reg);
		return 0;
	case X86_OP_IMM:
		*v = (u32)op->imm;
		return 0;
	case X86_OP_MEM:
		ea = mem_addr(c, x, op, &sreg);
		return sw_read(c, sreg, ea, v, op->size > 4 ? 4 : op->size);
	default:
		return sw_raise(c, 6, 0, false);
	}
}

static int op_write(struct sw_cpu *c, const cs_x86 *x, const cs_x86_op *op,
		    u32 v)
{
	int sreg;
	u32 ea;

	if (op->type == X86_OP_REG) {
		reg_set(c, op->reg, v);
		return 0;
	}
	ea = mem_addr(c, x, op, &sreg);
	return sw_write(c, sreg, ea, &v, op->size > 4 ? 4 : op->size);
}

/* --- helpers --- */

static int need_cpl0(struct sw_cpu *c)
{
	return c->cpl ? sw_gp(c, 0) : 0;
}

static int iopl(const struct sw_cpu *c)
{
	return (int)((c->eflags & EFL_IOPL) >> 12);
}

static void next(struct sw_cpu *c, const cs_insn *in)
{
	c->eip += in->size;
}

/* I/O permission (SDM Vol. 1 19.5 and 19.5.2: the TSS bitmap). */
static int io_allowed(struct sw_cpu *c, u16 port, u32 size)
{
	u16 base;
	u16 bits;
	u32 byte;

	if (c->cpl <= iopl(c))
		return 0;
	if (c->tr.unusable || c->tr.limit < 0x67)
		return sw_gp(c, 0);
	sw_lin_read(c, (u32)c->tr.base + 0x66, &base, 2);
	byte = (u32)base + port / 8;
	if (byte + 1 > c->tr.limit)
		return sw_gp(c, 0);
	sw_lin_read(c, (u32)c->tr.base + byte, &bits, 2);
	if ((bits >> (port & 7)) & ((1u << size) - 1))
		return sw_gp(c, 0);
	return 0;
}

static enum emu_result emu_io(struct monitor *t, const cs_insn *in,
			      struct vm_exit *exit)
{
	struct sw_cpu *c = t->c;
	const cs_x86 *x = &in->detail->x86;
	struct monitor_io *io = &t->io;
	bool string = false, is_in = false, rep;
	u32 size = 1, count = 1, i, port;
	int step;

	switch (in->id) {
	case X86_INS_INSB:
	case X86_INS_INSW:
	case X86_INS_INSD:
		string = true;
		is_in = true;
		break;
	case X86_INS_OUTSB:
	case X86_INS_OUTSW:
	case X86_INS_OUTSD:
		string = true;
		break;
	case X86_INS_IN:
		is_in = true;
		break;
	default:
		break;
	}
	if (string) {
		size = in->id == X86_INS_INSB || in->id == X86_INS_OUTSB   ? 1
		       : in->id == X86_INS_INSW || in->id == X86_INS_OUTSW ? 2
									   : 4;
		port = c->gpr[SW_EDX] & 0xffff;
	} else {
		const cs_x86_op *data = &x->operands[is_in ? 0 : 1];
		const cs_x86_op *p = &x->operands[is_in ? 1 : 0];

		size = data->size;
		port = p->type == X86_OP_IMM ? (u32)p->imm & 0xff
					     : c->gpr[SW_EDX] & 0xffff;
	}
	if (io_allowed(c, (u16)port, size) < 0)
		return EMU_RAISE;
	rep = string && (x->prefix[0] == X86_PREFIX_REP ||
			 x->prefix[0] == X86_PREFIX_REPNE);
	if (rep) {
		count = c->gpr[SW_ECX];
		if (!count) {
			next(c, in);
			return EMU_DONE;
		}
		if (count > sizeof(io->data) / size)
			count = sizeof(io->data) / size;
	}
	step = (c->eflags & EFL_DF) ? -(int)size : (int)size;
	memset(io, 0, sizeof(*io));
	io->in = is_in;
	io->string = string;
	io->rep = rep;
	io->size = (u8)size;
	io->port = (u16)port;
	io->count = count;
	io->next_eip = c->eip + in->size;
	if (string && !is_in) {
		int sreg = emulate__sreg_of(x->operands[1].mem.segment);
		u32 si = c->gpr[SW_ESI];

		if (x->operands[1].type != X86_OP_MEM || sreg < 0)
			sreg = SW_DS;
		for (i = 0; i < count; i++, si += (u32)step)
			if (sw_read(c, sreg, si, io->data + i * size, size) < 0)
				return EMU_RAISE;
	} else if (!is_in) {
		memcpy(io->data, &c->gpr[SW_EAX], size);
	}
	io->pending = true;
	exit->reason = VM_EXIT_IO;
	exit->io.port = io->port;
	exit->io.size = io->size;
	exit->io.is_write = !is_in;
	exit->io.count = count;
	exit->io.data = io->data;
	return EMU_EXIT;
}

void emulate__complete_io(struct monitor *t)
{
	struct sw_cpu *c = t->c;
	struct monitor_io *io = &t->io;
	int step = (c->eflags & EFL_DF) ? -(int)io->size : (int)io->size;
	u32 i, v = 0;

	io->pending = false;
	if (!io->string) {
		if (io->in) {
			memcpy(&v, io->data, io->size);
			if (io->size == 4)
				c->gpr[SW_EAX] = v;
			else if (io->size == 2)
				c->gpr[SW_EAX] =
					(c->gpr[SW_EAX] & ~0xffffu) | v;
			else
				c->gpr[SW_EAX] = (c->gpr[SW_EAX] & ~0xffu) | v;
		}
		c->eip = io->next_eip;
		return;
	}
	for (i = 0; i < io->count; i++) {
		if (io->in) {
			if (sw_write(c, SW_ES, c->gpr[SW_EDI],
				     io->data + i * io->size, io->size) < 0)
				break;
			c->gpr[SW_EDI] += (u32)step;
		} else {
			c->gpr[SW_ESI] += (u32)step;
		}
	}
	if (io->rep)
		c->gpr[SW_ECX] -= io->count;
	if (!io->rep || !c->gpr[SW_ECX])
		c->eip = io->next_eip;
}

/* --- control and debug registers (SDM Vol. 2A MOV CR, MOV DR) --- */

static enum emu_result emu_mov_cr(struct monitor *t, const cs_insn *in,
				  x86_reg cr, x86_reg gpr, bool to_cr)
{
	struct sw_cpu *c = t->c;
	u32 v;
	int n = cr - X86_REG_CR0;

	if (need_cpl0(c) < 0)
		return EMU_RAISE;
	if (n != 0 && n != 2 && n != 3 && n != 4)
		return (sw_raise(c, 6, 0, false), EMU_RAISE);
	if (!to_cr) {
		v = n == 0   ? c->cr0
		    : n == 2 ? c->cr2
		    : n == 3 ? c->cr3
			     : c->cr4;
		reg_set(c, gpr, v);
		next(c, in);
		return EMU_DONE;
	}
	v = reg_get(c, gpr);
	switch (n) {
	case 0:
		if (((v & CR0_PG) && !(v & CR0_PE)) ||
		    ((v & CR0_NW) && !(v & CR0_CD)))
			return (sw_gp(c, 0), EMU_RAISE);
		v |= CR0_ET;
		if (!(v & CR0_PE)) {
			machine__stop(t->m, 68,
				      "guest left protected mode (mov to CR0 "
				      "with PE=0 at 0x%x): not supported by "
				      "--mode trap",
				      c->eip);
			return EMU_FATAL;
		}
		c->cr0 = v;
		monitor__paging_changed(t, false);
		break;
	case 2:
		c->cr2 = v;
		break;
	case 3:
		c->cr3 = v;
		monitor__paging_changed(t, true);
		break;
	case 4:
		if (v & ~t->m->cpu.cr4_valid)
			return (sw_gp(c, 0), EMU_RAISE);
		c->cr4 = v;
		monitor__paging_changed(t, false);
		break;
	}
	if (t->m->stop)
		return EMU_FATAL;
	next(c, in);
	return EMU_DONE;
}

static enum emu_result emu_mov_dr(struct monitor *t, const cs_insn *in,
				  x86_reg dr, x86_reg gpr, bool to_dr)
{
	struct sw_cpu *c = t->c;
	int n = dr - X86_REG_DR0;

	if (need_cpl0(c) < 0)
		return EMU_RAISE;
	if (n == 4 || n == 5) {
		if (c->cr4 & CR4_DE) {
			sw_raise(c, 6, 0, false);
			return EMU_RAISE;
		}
		n += 2;
	}
	if (c->dr[7] & 0x2000) {
		/* DR7.GD: #DB before the access, BD set, GD cleared (18.2.4) */
		c->dr[6] |= 0x2000;
		c->dr[7] &= ~0x2000u;
		sw_raise(c, 1, 0, false);
		return EMU_RAISE;
	}
	if (to_dr) {
		u32 v = reg_get(c, gpr);

		if (n == 6)
			v = (v & 0x0000e00f) | 0xffff0ff0;
		else if (n == 7)
			v = (v & ~0x0000d800u) | 0x400;
		c->dr[n] = v;
	} else {
		reg_set(c, gpr, c->dr[n]);
	}
	next(c, in);
	return EMU_DONE;
}

/* --- descriptor tables --- */

static enum emu_result emu_lxdt(struct monitor *t, const cs_insn *in, bool idt)
{
	struct sw_cpu *c = t->c;
	const cs_x86 *x = &in->detail->x86;
	int sreg;
	u32 ea, base;
	u16 limit;

	if (need_cpl0(c) < 0)
		return EMU_RAISE;
	ea = mem_addr(c, x, &x->operands[0], &sreg);
	if (sw_read(c, sreg, ea, &limit, 2) < 0 ||
	    sw_read(c, sreg, ea + 2, &base, 4) < 0)
		return EMU_RAISE;
	if (x->prefix[2] == X86_PREFIX_OPSIZE)
		base &= 0xffffff;
	if (idt) {
		c->idt_base = base;
		c->idt_limit = limit;
	} else {
		c->gdt_base = base;
		c->gdt_limit = limit;
	}
	next(c, in);
	return EMU_DONE;
}

static enum emu_result emu_lldt_ltr(struct monitor *t, const cs_insn *in,
				    bool ltr)
{
	struct sw_cpu *c = t->c;
	const cs_x86 *x = &in->detail->x86;
	struct vcpu_seg s;
	u32 v, lin;
	u16 sel;
	u8 b;

	if (need_cpl0(c) < 0)
		return EMU_RAISE;
	if (op_read(c, x, &x->operands[0], &v) < 0)
		return EMU_RAISE;
	sel = (u16)v;
	if (!(sel & ~3u)) {
		if (ltr)
			return (sw_gp(c, 0), EMU_RAISE);
		sw_null_seg(&c->ldtr, sel);
		next(c, in);
		return EMU_DONE;
	}
	if ((sel & 4) || sw_desc_fetch(c, sel, &s, &lin) < 0 || s.s ||
	    (ltr ? (s.type != 9 && s.type != 1) : s.type != 2))
		return (sw_gp(c, sel & ~3u), EMU_RAISE);
	if (!s.present) {
		sw_raise(c, 11, sel & ~3u, true);
		return EMU_RAISE;
	}
	if (ltr) {
		/* Mark it busy in the guest GDT (SDM Vol. 2A LTR). */
		sw_lin_read(c, lin + 5, &b, 1);
		b |= 2;
		sw_lin_write(c, lin + 5, &b, 1);
		s.type |= 2;
		c->tr = s;
	} else {
		c->ldtr = s;
	}
	next(c, in);
	return EMU_DONE;
}

/* --- far transfers (SDM Vol. 2A JMP, CALL, RET far) --- */

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
	cs->type |= 1;
	if (sw_set_sreg(c, SW_CS, cs) < 0)
		return sw_gp(c, sel & ~3u);
	c->cpl = cpl;
	c->eip = eip;
	return 0;
}

/* A call gate to a more privileged level: stack from the TSS, params. */
static int call_gate_inner(struct sw_cpu *c, struct vcpu_seg *cs, u16 tsel,
			   u32 off, int nparams, u32 next_eip)
{
	int newcpl = cs->dpl;
	u32 esp, params[32], frame[36], sp;
	struct vcpu_seg ss;
	u16 ssel = 0;
	int i, n = 0;

	if (c->tr.unusable || 8u * (u32)newcpl + 4 + 5 > c->tr.limit)
		return sw_raise(c, 10, c->tr.selector & ~3u, true);
	sw_lin_read(c, (u32)c->tr.base + 4 + 8u * (u32)newcpl, &esp, 4);
	sw_lin_read(c, (u32)c->tr.base + 8 + 8u * (u32)newcpl, &ssel, 2);
	if (!(ssel & ~3u))
		return sw_raise(c, 10, 0, true);
	if (sw_desc_fetch(c, ssel, &ss, NULL) < 0 || (ssel & 3) != newcpl ||
	    ss.dpl != newcpl || !desc__is_writable_data(&ss))
		return sw_raise(c, 10, ssel & ~3u, true);
	if (!ss.present)
		return sw_raise(c, 12, ssel & ~3u, true);
	if (!cs->present)
		return sw_raise(c, 11, tsel & ~3u, true);
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

static int far_transfer(struct sw_cpu *c, bool call, u16 sel, u32 off,
			u32 next_eip)
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
		if (call && (sw_push32(c, c->seg[SW_CS].selector) < 0 ||
			     sw_push32(c, next_eip) < 0))
			return -1;
		return set_cs(c, &d, sel, cpl, off);
	}
	if (d.s || d.type != 0xc)
		return sw_gp(c, sel & ~3u); /* TSS/task gate: not modelled */
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
	off = (lo_hi[0] & 0xffff) | (lo_hi[1] & 0xffff0000u);
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
	if (call && (sw_push32(c, c->seg[SW_CS].selector) < 0 ||
		     sw_push32(c, next_eip) < 0))
		return -1;
	return set_cs(c, &cs, tsel, cpl, off);
}

static int far_return(struct sw_cpu *c, u32 imm)
{
	struct vcpu_seg cs, ss;
	u32 frame[4], sp = c->gpr[SW_ESP];
	int rpl, cpl = c->cpl, r;
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
		c->gpr[SW_ESP] = sp + 8 + imm;
		return set_cs(c, &cs, sel, cpl, frame[0]);
	}
	if (sw_read(c, SW_SS, sp + 8 + imm, frame + 2, 8) < 0)
		return -1;
	ssel = (u16)frame[3];
	if (!(ssel & ~3u))
		return sw_gp(c, 0);
	if (sw_desc_fetch(c, ssel, &ss, NULL) < 0 || (ssel & 3) != rpl ||
	    ss.dpl != rpl || !desc__is_writable_data(&ss))
		return sw_gp(c, ssel & ~3u);
	if (!ss.present)
		return sw_raise(c, 12, ssel & ~3u, true);
	if (set_cs(c, &cs, sel, rpl, frame[0]) < 0)
		return -1;
	ss.type |= 1;
	sw_set_sreg(c, SW_SS, &ss);
	c->gpr[SW_ESP] = frame[2] + imm;
	for (r = 0; r < SW_NSREGS; r++) {
		struct vcpu_seg *s = &c->seg[r], null;

		if (r == SW_CS || r == SW_SS || s->unusable)
			continue;
		if ((!desc__is_code(s) || !desc__is_conforming(s)) &&
		    s->dpl < rpl) {
			sw_null_seg(&null, 0);
			sw_set_sreg(c, r, &null);
		}
	}
	return 0;
}

/* --- MSRs, CPUID, TSC --- */

static const struct cpu_model *model_of(const struct sw_cpu *c)
{
	return &c->vcpu->machine->cpu;
}

/* RDMSR of the MSRs the virtual CPU implies (cpu_model.h); #GP(0) for
 * the rest (SDM Vol. 2B RDMSR). */
static int msr_read(struct sw_cpu *c, u32 msr, u64 *v)
{
	if (!cpu_model__has_msr(model_of(c), msr))
		return sw_gp(c, 0);
	switch (msr) {
	case MSR_IA32_TSC:
		*v = sw_world__host_tsc() + (u64)c->tsc_offset;
		return 0;
	case 0x174:
		*v = c->msr_sysenter_cs;
		return 0;
	case 0x175:
		*v = c->msr_sysenter_esp;
		return 0;
	case 0x176:
		*v = c->msr_sysenter_eip;
		return 0;
	case MSR_IA32_PAT:
		*v = c->msr_pat;
		return 0;
	case MSR_EFER:
		*v = c->msr_efer;
		return 0;
	case MSR_TSC_AUX:
		*v = c->msr_tsc_aux;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		*v = c->msr_misc_enable;
		return 0;
	case MSR_AMD_HWCR:
		*v = c->msr_hwcr;
		return 0;
	default:
		return sw_gp(c, 0);
	}
}

/* PAT memory types 0, 1, 4-7 are valid; 2, 3 and >7 reserved (SDM Vol.
 * 3A 12.12.2). */
static bool pat_valid(u64 v)
{
	for (int i = 0; i < 8; i++) {
		u8 t = (u8)(v >> (i * 8));

		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}

static int msr_write(struct sw_cpu *c, u32 msr, u64 v)
{
	const struct cpu_model *m = model_of(c);

	if (!cpu_model__has_msr(m, msr))
		return sw_gp(c, 0);
	switch (msr) {
	case MSR_IA32_TSC:
		c->tsc_offset = (s64)(v - sw_world__host_tsc());
		return 0;
	case 0x174:
		c->msr_sysenter_cs = v & 0xffff;
		return 0;
	case 0x175:
		c->msr_sysenter_esp = v;
		return 0;
	case 0x176:
		c->msr_sysenter_eip = v;
		return 0;
	case MSR_IA32_PAT:
		if (!pat_valid(v))
			return sw_gp(c, 0);
		c->msr_pat = v;
		return 0;
	case MSR_EFER:
		if (v & ~m->efer_valid)
			return sw_gp(c, 0);
		c->msr_efer = v;
		return 0;
	case MSR_TSC_AUX:
		if (v >> 32)
			return sw_gp(c, 0);
		c->msr_tsc_aux = (u32)v;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		/* fast strings (bit 0) and limit-CPUID (bit 22) writable;
		 * the rest reads as the model fixes it */
		if ((v ^ c->msr_misc_enable) &
		    ~(MISC_ENABLE_FAST_STRINGS | MISC_ENABLE_LIMIT_CPUID))
			return sw_gp(c, 0);
		c->msr_misc_enable = v;
		return 0;
	case MSR_AMD_HWCR:
		c->msr_hwcr = v;
		return 0;
	default:
		return sw_gp(c, 0);
	}
}

static void emu_cpuid(struct sw_cpu *c)
{
	u32 leaf = c->gpr[SW_EAX];
	struct cpuid_regs v;

	/* IA32_MISC_ENABLE[22] caps basic leaves at 2 (SDM Vol. 4 2-2) */
	if ((c->msr_misc_enable & MISC_ENABLE_LIMIT_CPUID) &&
	    leaf < 0x40000000u && leaf > 2)
		leaf = 2;
	v = cpu_model__cpuid(model_of(c), leaf, c->gpr[SW_ECX]);
	if (leaf == 0 && (c->msr_misc_enable & MISC_ENABLE_LIMIT_CPUID))
		v.r[CPUID_EAX] = v.r[CPUID_EAX] < 2 ? v.r[CPUID_EAX] : 2;
	c->gpr[SW_EAX] = v.r[CPUID_EAX];
	c->gpr[SW_EBX] = v.r[CPUID_EBX];
	c->gpr[SW_ECX] = v.r[CPUID_ECX];
	c->gpr[SW_EDX] = v.r[CPUID_EDX];
}

/* --- SYSENTER / SYSEXIT (SDM Vol. 2B, protected mode) --- */

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

int emulate__sysenter(struct sw_cpu *c)
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
	monitor__set_eflags(c, c->eflags & ~(EFL_VM | EFL_IF | EFL_RF));
	c->gpr[SW_ESP] = (u32)c->msr_sysenter_esp;
	c->eip = (u32)c->msr_sysenter_eip;
	return 0;
}

int emulate__sysexit(struct sw_cpu *c)
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

/* --- memory accesses the host could not do --- */

/* Anything else on such memory: string instructions, or execution by
 * proxy on a copy of the operand (proxy.c). */
enum emu_result emulate__generic(struct monitor *t, const cs_insn *in)
{
	struct sw_cpu *c = t->c;
	const cs_x86 *x = &in->detail->x86;
	bool done;
	int r, sreg;

	r = stack__emulate(t, in);
	if (r == 0) {
		next(c, in);
		return EMU_DONE;
	}
	if (r < 0)
		return EMU_RAISE;
	r = string_insn__emulate(t, in, &done);
	if (r == 0) {
		if (done)
			next(c, in);
		return EMU_DONE;
	}
	if (r < 0)
		return EMU_RAISE;
	for (int i = 0; i < x->op_count; i++) {
		const cs_x86_op *op = &x->operands[i];
		u32 ea;

		if (op->type != X86_OP_MEM)
			continue;
		ea = mem_addr(c, x, op, &sreg);
		r = proxy__run(t, in, sreg, ea);
		if (r == 0) {
			next(c, in);
			return EMU_DONE;
		}
		return r < 0 ? EMU_RAISE : EMU_NOT;
	}
	return EMU_NOT;
}

static enum emu_result emu_mem(struct monitor *t, const cs_insn *in)
{
	struct sw_cpu *c = t->c;
	const cs_x86 *x = &in->detail->x86;
	u32 v;

	if (x->op_count != 2)
		return EMU_NOT;
	switch (in->id) {
	case X86_INS_MOV:
		if (op_read(c, x, &x->operands[1], &v) < 0 ||
		    op_write(c, x, &x->operands[0], v) < 0)
			return EMU_RAISE;
		break;
	case X86_INS_MOVZX:
	case X86_INS_MOVSX:
		if (op_read(c, x, &x->operands[1], &v) < 0)
			return EMU_RAISE;
		if (in->id == X86_INS_MOVSX)
			v = x->operands[1].size == 1 ? (u32)(int32_t)(int8_t)v
						     : (u32)(int32_t)(int16_t)v;
		if (op_write(c, x, &x->operands[0], v) < 0)
			return EMU_RAISE;
		break;
	default:
		return EMU_NOT;
	}
	next(c, in);
	return EMU_DONE;
}

/* --- the dispatcher --- */

enum emu_result emulate__insn(struct monitor *t, const struct sw_event *ev,
			      struct vm_exit *exit)
{
	struct sw_cpu *c = t->c;
	const cs_insn *in = emulate__decode(t, c->eip);
	const cs_x86 *x;
	const cs_x86_op *o0, *o1;
	char name[64];
	u32 v;
	u64 q = 0;
	int sreg;
	bool old_if = c->eflags & EFL_IF;

	if (!in)
		return EMU_NOT;
	if (t->hooks.emulate_first) {
		enum emu_result hr = t->hooks.emulate_first(t, in, exit);

		if (hr != EMU_NOT)
			return hr;
	}
	x = &in->detail->x86;
	o0 = &x->operands[0];
	o1 = &x->operands[1];
	snprintf(name, sizeof(name), "emulated.%s", in->mnemonic);

#define COUNT() stats__add(&t->m->stats, name, 1), t->emulated++
	switch (in->id) {
	case X86_INS_CLI:
	case X86_INS_STI:
		COUNT();
		if (c->cpl > iopl(c))
			return (sw_gp(c, 0), EMU_RAISE);
		if (in->id == X86_INS_CLI) {
			monitor__set_eflags(c, c->eflags & ~EFL_IF);
		} else {
			monitor__set_eflags(c, c->eflags | EFL_IF);
			if (!old_if)
				c->irq_shadow = true;
		}
		next(c, in);
		return EMU_DONE;
	case X86_INS_HLT:
		COUNT();
		if (need_cpl0(c) < 0)
			return EMU_RAISE;
		next(c, in);
		exit->reason = VM_EXIT_HLT;
		exit->hlt.if_flag = c->eflags & EFL_IF;
		if (!exit->hlt.if_flag)
			snprintf(exit->detail, sizeof(exit->detail),
				 " at cs:eip 0x%x:0x%x (cpl %d)",
				 c->seg[SW_CS].selector, c->eip - 1, c->cpl);
		return EMU_EXIT;
	case X86_INS_IN:
	case X86_INS_OUT:
	case X86_INS_INSB:
	case X86_INS_INSW:
	case X86_INS_INSD:
	case X86_INS_OUTSB:
	case X86_INS_OUTSW:
	case X86_INS_OUTSD:
		COUNT();
		return emu_io(t, in, exit);
	case X86_INS_MOV:
		if (x->op_count == 2 && o0->type == X86_OP_REG &&
		    o0->reg >= X86_REG_CR0 && o0->reg <= X86_REG_CR15) {
			COUNT();
			return emu_mov_cr(t, in, o0->reg, o1->reg, true);
		}
		if (x->op_count == 2 && o1->type == X86_OP_REG &&
		    o1->reg >= X86_REG_CR0 && o1->reg <= X86_REG_CR15) {
			COUNT();
			return emu_mov_cr(t, in, o1->reg, o0->reg, false);
		}
		if (x->op_count == 2 && o0->type == X86_OP_REG &&
		    o0->reg >= X86_REG_DR0 && o0->reg <= X86_REG_DR7) {
			COUNT();
			return emu_mov_dr(t, in, o0->reg, o1->reg, true);
		}
		if (x->op_count == 2 && o1->type == X86_OP_REG &&
		    o1->reg >= X86_REG_DR0 && o1->reg <= X86_REG_DR7) {
			COUNT();
			return emu_mov_dr(t, in, o1->reg, o0->reg, false);
		}
		if (x->op_count == 2 && o0->type == X86_OP_REG &&
		    (sreg = emulate__sreg_of(o0->reg)) >= 0) {
			COUNT();
			if (sreg == SW_CS) {
				sw_raise(c, 6, 0, false);
				return EMU_RAISE;
			}
			if (op_read(c, x, o1, &v) < 0 ||
			    sw_load_data_sreg(c, sreg, (u16)v) < 0)
				return EMU_RAISE;
			next(c, in);
			return EMU_DONE;
		}
		if (x->op_count == 2 && o1->type == X86_OP_REG &&
		    (sreg = emulate__sreg_of(o1->reg)) >= 0) {
			/* Faulted on its memory operand: store the guest's. */
			COUNT();
			v = c->seg[sreg].selector;
			if (op_write(c, x, o0, v) < 0)
				return EMU_RAISE;
			next(c, in);
			return EMU_DONE;
		}
		break;
	case X86_INS_POP:
		if (o0->type == X86_OP_REG &&
		    (sreg = emulate__sreg_of(o0->reg)) >= 0) {
			u32 sp = c->gpr[SW_ESP];

			COUNT();
			if (sw_read(c, SW_SS, sp, &v, 4) < 0 ||
			    sw_load_data_sreg(c, sreg, (u16)v) < 0)
				return EMU_RAISE;
			c->gpr[SW_ESP] = sp + 4;
			next(c, in);
			return EMU_DONE;
		}
		break;
	case X86_INS_LDS:
	case X86_INS_LES:
	case X86_INS_LFS:
	case X86_INS_LGS:
	case X86_INS_LSS: {
		int target = in->id == X86_INS_LDS   ? SW_DS
			     : in->id == X86_INS_LES ? SW_ES
			     : in->id == X86_INS_LFS ? SW_FS
			     : in->id == X86_INS_LGS ? SW_GS
						     : SW_SS;
		u32 ea = mem_addr(c, x, o1, &sreg);
		u16 sel;

		COUNT();
		if (sw_read(c, sreg, ea, &v, 4) < 0 ||
		    sw_read(c, sreg, ea + 4, &sel, 2) < 0 ||
		    sw_load_data_sreg(c, target, sel) < 0)
			return EMU_RAISE;
		reg_set(c, o0->reg, v);
		next(c, in);
		return EMU_DONE;
	}
	case X86_INS_LJMP:
	case X86_INS_LCALL: {
		u32 off;
		u16 sel;

		COUNT();
		if (x->op_count == 2) {
			sel = (u16)o0->imm;
			off = (u32)o1->imm;
		} else {
			u32 ea = mem_addr(c, x, o0, &sreg);

			if (sw_read(c, sreg, ea, &off, 4) < 0 ||
			    sw_read(c, sreg, ea + 4, &sel, 2) < 0)
				return EMU_RAISE;
		}
		if (far_transfer(c, in->id == X86_INS_LCALL, sel, off,
				 c->eip + in->size) < 0)
			return EMU_RAISE;
		return EMU_DONE;
	}
	case X86_INS_RETF:
		COUNT();
		if (far_return(c, x->op_count ? (u32)o0->imm : 0) < 0)
			return EMU_RAISE;
		return EMU_DONE;
	case X86_INS_IRETD:
		COUNT();
		if (deliver__iret(c) < 0)
			return EMU_RAISE;
		return EMU_DONE;
	case X86_INS_INT:
		COUNT();
		v = (u32)o0->imm & 0xff;
		q = deliver__event(t, (int)v, false, 0, DELIVER_SOFT,
				   c->eip + in->size);
		if ((s64)q == -2) {
			snprintf(exit->detail, sizeof(exit->detail),
				 "trap mode: INT 0x%x through a task gate or "
				 "16-bit gate is not modelled",
				 v);
			exit->reason = VM_EXIT_INTERNAL;
			return EMU_FATAL;
		}
		if ((s64)q == -1) {
			exit->reason = VM_EXIT_SHUTDOWN;
			return EMU_FATAL;
		}
		return EMU_DONE;
	case X86_INS_LGDT:
	case X86_INS_LIDT:
		COUNT();
		return emu_lxdt(t, in, in->id == X86_INS_LIDT);
	case X86_INS_LLDT:
	case X86_INS_LTR:
		COUNT();
		return emu_lldt_ltr(t, in, in->id == X86_INS_LTR);
	case X86_INS_LMSW:
		COUNT();
		if (need_cpl0(c) < 0 || op_read(c, x, o0, &v) < 0)
			return EMU_RAISE;
		/* PE can be set, not cleared; MP, EM, TS written. */
		c->cr0 = (c->cr0 & ~0xeu) | (v & 0xf) | (c->cr0 & CR0_PE);
		next(c, in);
		return EMU_DONE;
	case X86_INS_CLTS:
		COUNT();
		if (need_cpl0(c) < 0)
			return EMU_RAISE;
		c->cr0 &= ~CR0_TS;
		next(c, in);
		return EMU_DONE;
	case X86_INS_INVLPG:
		COUNT();
		if (need_cpl0(c) < 0)
			return EMU_RAISE;
		if (x->op_count == 1 && x->operands[0].type == X86_OP_MEM) {
			int sreg;
			u32 ea = mem_addr(c, x, &x->operands[0], &sreg);

			shadow__invlpg(&t->sp, (u32)c->seg[sreg].base + ea);
		}
		next(c, in);
		return EMU_DONE;
	case X86_INS_WBINVD:
	case X86_INS_INVD:
		COUNT();
		if (need_cpl0(c) < 0)
			return EMU_RAISE;
		next(c, in); /* caches are the host's: nothing to do */
		return EMU_DONE;
	case X86_INS_RDMSR:
		COUNT();
		if (need_cpl0(c) < 0 || msr_read(c, c->gpr[SW_ECX], &q) < 0)
			return EMU_RAISE;
		c->gpr[SW_EAX] = (u32)q;
		c->gpr[SW_EDX] = (u32)(q >> 32);
		next(c, in);
		return EMU_DONE;
	case X86_INS_WRMSR:
		COUNT();
		q = (u64)c->gpr[SW_EDX] << 32 | c->gpr[SW_EAX];
		if (need_cpl0(c) < 0 || msr_write(c, c->gpr[SW_ECX], q) < 0)
			return EMU_RAISE;
		if (c->gpr[SW_ECX] == 0xc0000080)
			monitor__paging_changed(t, false);
		next(c, in);
		return EMU_DONE;
	case X86_INS_CPUID:
		COUNT();
		emu_cpuid(c);
		next(c, in);
		return EMU_DONE;
	case X86_INS_RDTSC:
	case X86_INS_RDTSCP:
		COUNT();
		if (in->id == X86_INS_RDTSCP &&
		    !cpu_model__has(model_of(c), FEAT_RDTSCP))
			return (sw_raise(c, 6, 0, false), EMU_RAISE);
		if (c->cpl && (c->cr4 & CR4_TSD))
			return (sw_gp(c, 0), EMU_RAISE);
		q = sw_world__host_tsc() + (u64)c->tsc_offset;
		c->gpr[SW_EAX] = (u32)q;
		c->gpr[SW_EDX] = (u32)(q >> 32);
		if (in->id == X86_INS_RDTSCP)
			c->gpr[SW_ECX] = c->msr_tsc_aux;
		next(c, in);
		return EMU_DONE;
	case X86_INS_RDPMC:
		COUNT();
		if (c->cpl && !(c->cr4 & CR4_PCE))
			return (sw_gp(c, 0), EMU_RAISE);
		if (c->gpr[SW_ECX] > 5)
			return (sw_gp(c, 0), EMU_RAISE);
		c->gpr[SW_EAX] = c->gpr[SW_EDX] = 0;
		next(c, in);
		return EMU_DONE;
	case X86_INS_SYSENTER:
		/* AMD raises #UD for SYSENTER in compatibility mode; Intel
		 * lets seccomp stop it (trap.c). The same emulation. */
		COUNT();
		return emulate__sysenter(c) < 0 ? EMU_RAISE : EMU_DONE;
	case X86_INS_SYSEXIT:
		COUNT();
		if (emulate__sysexit(c) < 0)
			return EMU_RAISE;
		return EMU_DONE;
	case X86_INS_SYSCALL:
	case X86_INS_SYSRET:
		COUNT();
		/* EFER.SCE is never set outside long mode here: #UD. */
		sw_raise(c, 6, 0, false);
		return EMU_RAISE;
	default:
		break;
	}
#undef COUNT
	/* A memory access the host could not make (low page, MMIO, a
	 * segment shadowed not-present or truncated by the window). */
	if (ev->vector == 14 || (ev->vector == 13 && !ev->error) ||
	    (ev->vector == 12 && !ev->error)) {
		enum emu_result r = emu_mem(t, in);

		if (r == EMU_NOT)
			r = emulate__generic(t, in);
		if (r != EMU_NOT) {
			stats__add(&t->m->stats, "emulated.memory_access", 1);
			t->emulated++;
		}
		return r;
	}
	return EMU_NOT;
}

/* Operand access for the engines' own emulation (monitor.h). */
int emulate__op_read(struct sw_cpu *c, const cs_x86 *x, const cs_x86_op *op,
		     u32 *v)
{
	return op_read(c, x, op, v);
}

int emulate__op_write(struct sw_cpu *c, const cs_x86 *x, const cs_x86_op *op,
		      u32 v)
{
	return op_write(c, x, op, v);
}

u32 emulate__mem_addr(struct sw_cpu *c, const cs_x86 *x, const cs_x86_op *op,
		      int *sreg)
{
	return mem_addr(c, x, op, sreg);
}
