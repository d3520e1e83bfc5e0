/*
 * The privileged and sensitive instructions that fault when a guest runs
 * de-privileged, emulated against the virtual CPU. Capstone decodes the
 * instruction at CS:EIP; a table keyed by instruction names the handler
 * and the SDM entry whose "Operation" and "Protected Mode Exceptions" it
 * follows. An instruction whose memory operand the host cannot reach
 * (the low page, MMIO, segments shadowed not-present) is emulated as a
 * memory access: MOV, MOVZX and MOVSX here, the rest through the stack,
 * string, implicit-operand (XLAT, MASKMOV*) and proxy emulators.
 */
#include <stdio.h>
#include <string.h>

#include "deliver.h"
#include "emulate.h"
#include "far.h"
#include "implicit_mem.h"
#include "insn_cache.h"
#include "operand.h"
#include "proxy.h"
#include "refvmm/lapic.h"
#include "refvmm/machine.h"
#include "refvmm/run.h"
#include "refvmm/sw/segments.h"
#include "refvmm/sw/shadow_desc.h"
#include "refvmm/sw/shadow_pt.h"
#include "refvmm/sw/world_switch.h"
#include "refvmm/vcpu.h"
#include "stack.h"
#include "string_insn.h"
#include "task_switch.h"

const cs_insn *emulate__decode(struct monitor *t, u32 eip)
{
	struct sw_cpu *c = t->c;
	u8 buf[16];
	size_t len = 0;
	u32 lin = (u32)c->seg[SW_CS].base + eip;
	u32 first = 4096 - (lin & 0xfff);
	const cs_insn *in;

	/* The bytes on the instruction's first page at once, then byte by
	 * byte: an instruction may end just before a page the guest has
	 * not mapped. */
	if (first > 15)
		first = 15;
	if (sw_code_read(c, lin, buf, first) == 0)
		len = first;
	while (len < 15 && sw_code_read(c, lin + (u32)len, buf + len, 1) == 0)
		len++;
	in = insn_cache__decode(t->icache, t->cs, eip, buf, len);
	if (in)
		t->last = in;
	return in;
}

static int need_cpl0(struct sw_cpu *c)
{
	return c->cpl ? sw_gp(c, 0) : 0;
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

	if (c->cpl <= vm__iopl(c))
		return 0;
	/* A 16-bit TSS has no I/O map (SDM Vol. 3A 8.6). */
	if (c->tr.unusable || !(c->tr.type & 0x8) || c->tr.limit < 0x67)
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

/* The width, port and direction of IN, OUT, INS, OUTS (SDM Vol. 2A IN,
 * INS; Vol. 2B OUT, OUTS). */
static u32 io_decode(const struct sw_cpu *c, const cs_insn *in, bool *string,
		     bool *is_in, u32 *port)
{
	const cs_x86 *x = &in->detail->x86;
	const cs_x86_op *data, *p;

	*string = in->id == X86_INS_INSB || in->id == X86_INS_INSW ||
		  in->id == X86_INS_INSD || in->id == X86_INS_OUTSB ||
		  in->id == X86_INS_OUTSW || in->id == X86_INS_OUTSD;
	*is_in = in->id == X86_INS_IN || in->id == X86_INS_INSB ||
		 in->id == X86_INS_INSW || in->id == X86_INS_INSD;
	if (*string) {
		*port = c->gpr[SW_EDX] & 0xffff;
		return in->id == X86_INS_INSB || in->id == X86_INS_OUTSB   ? 1
		       : in->id == X86_INS_INSW || in->id == X86_INS_OUTSW ? 2
									   : 4;
	}
	data = &x->operands[*is_in ? 0 : 1];
	p = &x->operands[*is_in ? 1 : 0];
	*port = p->type == X86_OP_IMM ? (u32)p->imm & 0xff
				      : c->gpr[SW_EDX] & 0xffff;
	return data->size;
}

/* OUTS: the elements to write, read from DS:ESI (or the override) on. */
static int outs_gather(struct sw_cpu *c, const cs_x86 *x, struct monitor_io *io,
		       int step)
{
	int sreg = operand__sreg(x->operands[1].mem.segment);
	u32 si = c->gpr[SW_ESI];

	if (x->operands[1].type != X86_OP_MEM || sreg < 0)
		sreg = SW_DS;
	for (u32 i = 0; i < io->count; i++, si += (u32)step)
		if (sw_read(c, sreg, si, io->data + i * io->size, io->size) < 0)
			return -1;
	return 0;
}

/* Port I/O goes to the run loop; emulate__complete_io finishes it. */
static enum emu_result emu_io(struct monitor *t, const cs_insn *in,
			      struct vm_exit *exit)
{
	struct sw_cpu *c = t->c;
	const cs_x86 *x = &in->detail->x86;
	struct monitor_io *io = &t->io;
	bool string, is_in, rep;
	u32 size, count = 1, port;

	size = io_decode(c, in, &string, &is_in, &port);
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
	memset(io, 0, sizeof(*io));
	io->in = is_in;
	io->string = string;
	io->rep = rep;
	io->size = (u8)size;
	io->port = (u16)port;
	io->count = count;
	io->next_eip = c->eip + in->size;
	if (string && !is_in) {
		if (outs_gather(c, x, io,
				(c->eflags & EFL_DF) ? -(int)size : (int)size) <
		    0)
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
		operand__set_reg(c, gpr, v);
		next(c, in);
		return EMU_DONE;
	}
	v = operand__get_reg(c, gpr);
	switch (n) {
	case 0:
		if (((v & CR0_PG) && !(v & CR0_PE)) ||
		    ((v & CR0_NW) && !(v & CR0_CD)))
			return (sw_gp(c, 0), EMU_RAISE);
		v |= CR0_ET;
		if (!(v & CR0_PE)) {
			machine__stop(t->m, 68,
				      "guest left protected mode (mov to CR0 "
				      "with PE=0 at 0x%x): the software modes "
				      "run in a 64-bit host process, which has "
				      "no real-address mode",
				      c->eip);
			return EMU_FATAL;
		}
		c->cr0 = v;
		vm__paging_changed(t, false);
		break;
	case 2:
		c->cr2 = v;
		break;
	case 3:
		c->cr3 = v;
		vm__paging_changed(t, true);
		break;
	case 4:
		if (v & ~t->m->cpu.cr4_valid)
			return (sw_gp(c, 0), EMU_RAISE);
		c->cr4 = v;
		vm__paging_changed(t, false);
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
		u32 v = operand__get_reg(c, gpr);

		if (n == 6)
			v = (v & 0x0000e00f) | 0xffff0ff0;
		else if (n == 7)
			v = (v & ~0x0000d800u) | 0x400;
		c->dr[n] = v;
	} else {
		operand__set_reg(c, gpr, c->dr[n]);
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
	ea = operand__addr(c, x, &x->operands[0], &sreg);
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
	if (operand__read(c, x, &x->operands[0], &v) < 0)
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
	case MSR_IA32_APIC_BASE:
		if (!c->vcpu->machine->lapic)
			return sw_gp(c, 0);
		*v = lapic__get_base(c->vcpu->machine->lapic);
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
	case MSR_BIOS_SIGN_ID:
		*v = 0; /* no microcode update: revision 0 (bits 63:32) */
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
	case MSR_IA32_APIC_BASE:
		/* reserved bits, x2APIC (hidden), beyond MAXPHYADDR: #GP */
		if (!c->vcpu->machine->lapic ||
		    lapic__set_base(c->vcpu->machine->lapic, v) < 0)
			return sw_gp(c, 0);
		kick__now(); /* enabled or disabled: the 8259's path changed */
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
	case MSR_BIOS_SIGN_ID:
		/* Intel: software writes 0 before CPUID.1 to read the
		 * revision after it (SDM Vol. 3A 10.11.7.1); nothing to
		 * keep. AMD's PATCH_LEVEL is read-only. */
		if (model_of(c)->vendor != VENDOR_INTEL)
			return sw_gp(c, 0);
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
	if (leaf == 1 && c->vcpu->machine->lapic)
		v.r[CPUID_EDX] = lapic__cpuid1_edx(c->vcpu->machine->lapic,
						   v.r[CPUID_EDX]);
	c->gpr[SW_EAX] = v.r[CPUID_EAX];
	c->gpr[SW_EBX] = v.r[CPUID_EBX];
	c->gpr[SW_ECX] = v.r[CPUID_ECX];
	c->gpr[SW_EDX] = v.r[CPUID_EDX];
}

/* --- memory accesses the host could not do --- */

/* Anything else on such memory: stack, string and implicit-operand
 * instructions, or execution by proxy on a copy of the operand
 * (proxy.c). */
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
	r = implicit_mem__emulate(t, in);
	if (r == 0) {
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
		ea = operand__addr(c, x, op, &sreg);
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
		if (operand__read(c, x, &x->operands[1], &v) < 0 ||
		    operand__write(c, x, &x->operands[0], v) < 0)
			return EMU_RAISE;
		break;
	case X86_INS_MOVZX:
	case X86_INS_MOVSX:
		if (operand__read(c, x, &x->operands[1], &v) < 0)
			return EMU_RAISE;
		if (in->id == X86_INS_MOVSX)
			v = x->operands[1].size == 1 ? (u32)(int32_t)(int8_t)v
						     : (u32)(int32_t)(int16_t)v;
		if (operand__write(c, x, &x->operands[0], v) < 0)
			return EMU_RAISE;
		break;
	default:
		return EMU_NOT;
	}
	next(c, in);
	return EMU_DONE;
}

/* --- the instruction table's handlers --- */

typedef enum emu_result (*emu_fn)(struct monitor *t, const cs_insn *in,
				  struct vm_exit *exit);

static enum emu_result done(struct sw_cpu *c, const cs_insn *in)
{
	next(c, in);
	return EMU_DONE;
}

static enum emu_result raise_ud(struct sw_cpu *c)
{
	sw_raise(c, 6, 0, false);
	return EMU_RAISE;
}

static enum emu_result emu_cli_sti(struct monitor *t, const cs_insn *in,
				   struct vm_exit *exit)
{
	struct sw_cpu *c = t->c;
	bool old_if = c->eflags & EFL_IF;

	(void)exit;
	if (c->cpl > vm__iopl(c))
		return (sw_gp(c, 0), EMU_RAISE);
	if (in->id == X86_INS_CLI) {
		vm__set_eflags(c, c->eflags & ~EFL_IF);
	} else {
		vm__set_eflags(c, c->eflags | EFL_IF);
		if (!old_if)
			c->irq_shadow = true;
	}
	return done(c, in);
}

static enum emu_result emu_hlt(struct monitor *t, const cs_insn *in,
			       struct vm_exit *exit)
{
	struct sw_cpu *c = t->c;

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
}

static bool is_reg_in(const cs_x86_op *o, x86_reg lo, x86_reg hi)
{
	return o->type == X86_OP_REG && o->reg >= lo && o->reg <= hi;
}

/* MOV to a segment register (SDM Vol. 2A MOV), or from one to the
 * memory operand it faulted on. */
static enum emu_result emu_mov_sreg(struct sw_cpu *c, const cs_insn *in,
				    int sreg, bool to_sreg)
{
	const cs_x86 *x = &in->detail->x86;
	u32 v;

	if (!to_sreg) {
		v = c->seg[sreg].selector;
		if (operand__write(c, x, &x->operands[0], v) < 0)
			return EMU_RAISE;
		return done(c, in);
	}
	if (sreg == SW_CS)
		return raise_ud(c);
	if (operand__read(c, x, &x->operands[1], &v) < 0 ||
	    sw_load_data_sreg(c, sreg, (u16)v) < 0)
		return EMU_RAISE;
	return done(c, in);
}

/* MOV with a control, debug or segment register; EMU_NOT for the rest. */
static enum emu_result emu_mov(struct monitor *t, const cs_insn *in,
			       struct vm_exit *exit)
{
	const cs_x86 *x = &in->detail->x86;
	const cs_x86_op *o0 = &x->operands[0], *o1 = &x->operands[1];
	int sreg;

	(void)exit;
	if (x->op_count != 2)
		return EMU_NOT;
	if (is_reg_in(o0, X86_REG_CR0, X86_REG_CR15))
		return emu_mov_cr(t, in, o0->reg, o1->reg, true);
	if (is_reg_in(o1, X86_REG_CR0, X86_REG_CR15))
		return emu_mov_cr(t, in, o1->reg, o0->reg, false);
	if (is_reg_in(o0, X86_REG_DR0, X86_REG_DR7))
		return emu_mov_dr(t, in, o0->reg, o1->reg, true);
	if (is_reg_in(o1, X86_REG_DR0, X86_REG_DR7))
		return emu_mov_dr(t, in, o1->reg, o0->reg, false);
	if (o0->type == X86_OP_REG && (sreg = operand__sreg(o0->reg)) >= 0)
		return emu_mov_sreg(t->c, in, sreg, true);
	if (o1->type == X86_OP_REG && (sreg = operand__sreg(o1->reg)) >= 0)
		return emu_mov_sreg(t->c, in, sreg, false);
	return EMU_NOT;
}

/* POP to a segment register; EMU_NOT for the other POPs. */
static enum emu_result emu_pop_sreg(struct monitor *t, const cs_insn *in,
				    struct vm_exit *exit)
{
	struct sw_cpu *c = t->c;
	const cs_x86_op *o0 = &in->detail->x86.operands[0];
	u32 v, old_esp = c->gpr[SW_ESP];
	int sreg;

	(void)exit;
	if (o0->type != X86_OP_REG || (sreg = operand__sreg(o0->reg)) < 0)
		return EMU_NOT;
	if (stack__pop(c, &v, 4) < 0)
		return EMU_RAISE;
	if (sw_load_data_sreg(c, sreg, (u16)v) < 0) {
		c->gpr[SW_ESP] = old_esp;
		return EMU_RAISE;
	}
	return done(c, in);
}

/* LDS, LES, LFS, LGS, LSS: a far pointer from memory. */
static enum emu_result emu_load_far_ptr(struct monitor *t, const cs_insn *in,
					struct vm_exit *exit)
{
	struct sw_cpu *c = t->c;
	const cs_x86 *x = &in->detail->x86;
	int target = in->id == X86_INS_LDS   ? SW_DS
		     : in->id == X86_INS_LES ? SW_ES
		     : in->id == X86_INS_LFS ? SW_FS
		     : in->id == X86_INS_LGS ? SW_GS
					     : SW_SS;
	int sreg;
	u32 ea = operand__addr(c, x, &x->operands[1], &sreg), v;
	u16 sel;

	(void)exit;
	if (sw_read(c, sreg, ea, &v, 4) < 0 ||
	    sw_read(c, sreg, ea + 4, &sel, 2) < 0 ||
	    sw_load_data_sreg(c, target, sel) < 0)
		return EMU_RAISE;
	operand__set_reg(c, x->operands[0].reg, v);
	return done(c, in);
}

static enum emu_result emu_far_jmp_call(struct monitor *t, const cs_insn *in,
					struct vm_exit *exit)
{
	struct sw_cpu *c = t->c;
	const cs_x86 *x = &in->detail->x86;
	u32 off;
	u16 sel;

	(void)exit;
	if (x->op_count == 2) {
		sel = (u16)x->operands[0].imm;
		off = (u32)x->operands[1].imm;
	} else {
		int sreg;
		u32 ea = operand__addr(c, x, &x->operands[0], &sreg);

		if (sw_read(c, sreg, ea, &off, 4) < 0 ||
		    sw_read(c, sreg, ea + 4, &sel, 2) < 0)
			return EMU_RAISE;
	}
	if (far__transfer(c, in->id == X86_INS_LCALL, sel, off,
			  c->eip + in->size) < 0)
		return EMU_RAISE;
	return EMU_DONE;
}

static enum emu_result emu_retf(struct monitor *t, const cs_insn *in,
				struct vm_exit *exit)
{
	const cs_x86 *x = &in->detail->x86;

	(void)exit;
	return far__return(t->c, x->op_count ? (u32)x->operands[0].imm : 0) < 0
		       ? EMU_RAISE
		       : EMU_DONE;
}

static enum emu_result emu_iret(struct monitor *t, const cs_insn *in,
				struct vm_exit *exit)
{
	struct sw_cpu *c = t->c;
	int r;

	(void)exit;
	/* A task return needs the address after IRET (SDM Vol. 2A IRET). */
	if (c->eflags & EFL_NT)
		r = task_switch__iret(c, c->eip + in->size);
	else
		r = deliver__iret(c);
	return r < 0 ? EMU_RAISE : EMU_DONE;
}

static enum emu_result emu_int(struct monitor *t, const cs_insn *in,
			       struct vm_exit *exit)
{
	struct sw_cpu *c = t->c;
	u32 v = (u32)in->detail->x86.operands[0].imm & 0xff;
	int r = deliver__event(t, (int)v, false, 0, DELIVER_SOFT,
			       c->eip + in->size);

	if (r == -2) {
		snprintf(exit->detail, sizeof(exit->detail),
			 "trap mode: INT 0x%x through a 16-bit gate is "
			 "not modelled",
			 v);
		exit->reason = VM_EXIT_INTERNAL;
		return EMU_FATAL;
	}
	if (r == -1) {
		exit->reason = VM_EXIT_SHUTDOWN;
		return EMU_FATAL;
	}
	return EMU_DONE;
}

static enum emu_result emu_lgdt_lidt(struct monitor *t, const cs_insn *in,
				     struct vm_exit *exit)
{
	(void)exit;
	return emu_lxdt(t, in, in->id == X86_INS_LIDT);
}

static enum emu_result emu_lldt_or_ltr(struct monitor *t, const cs_insn *in,
				       struct vm_exit *exit)
{
	(void)exit;
	return emu_lldt_ltr(t, in, in->id == X86_INS_LTR);
}

static enum emu_result emu_lmsw(struct monitor *t, const cs_insn *in,
				struct vm_exit *exit)
{
	struct sw_cpu *c = t->c;
	const cs_x86 *x = &in->detail->x86;
	u32 v;

	(void)exit;
	if (need_cpl0(c) < 0 || operand__read(c, x, &x->operands[0], &v) < 0)
		return EMU_RAISE;
	/* PE can be set, not cleared; MP, EM, TS written. */
	c->cr0 = (c->cr0 & ~0xeu) | (v & 0xf) | (c->cr0 & CR0_PE);
	return done(c, in);
}

static enum emu_result emu_clts(struct monitor *t, const cs_insn *in,
				struct vm_exit *exit)
{
	struct sw_cpu *c = t->c;

	(void)exit;
	if (need_cpl0(c) < 0)
		return EMU_RAISE;
	c->cr0 &= ~CR0_TS;
	return done(c, in);
}

static enum emu_result emu_invlpg(struct monitor *t, const cs_insn *in,
				  struct vm_exit *exit)
{
	struct sw_cpu *c = t->c;
	const cs_x86 *x = &in->detail->x86;

	(void)exit;
	if (need_cpl0(c) < 0)
		return EMU_RAISE;
	if (x->op_count == 1 && x->operands[0].type == X86_OP_MEM) {
		int sreg;
		u32 ea = operand__addr(c, x, &x->operands[0], &sreg);

		shadow__invlpg(&t->sp, (u32)c->seg[sreg].base + ea);
	}
	return done(c, in);
}

/* WBINVD, INVD: the caches are the host's, nothing to do. */
static enum emu_result emu_cache(struct monitor *t, const cs_insn *in,
				 struct vm_exit *exit)
{
	(void)exit;
	if (need_cpl0(t->c) < 0)
		return EMU_RAISE;
	return done(t->c, in);
}

static enum emu_result emu_rdmsr(struct monitor *t, const cs_insn *in,
				 struct vm_exit *exit)
{
	struct sw_cpu *c = t->c;
	u64 q = 0;

	(void)exit;
	if (need_cpl0(c) < 0 || msr_read(c, c->gpr[SW_ECX], &q) < 0)
		return EMU_RAISE;
	c->gpr[SW_EAX] = (u32)q;
	c->gpr[SW_EDX] = (u32)(q >> 32);
	return done(c, in);
}

/* XSETBV traps at host CPL 3 (#GP). The virtual CPU has no XSAVE, so
 * CR4.OSXSAVE stays 0 and the answer is always #UD, which the SDM gives
 * both conditions before any privilege check (Vol. 2D XSETBV). */
static enum emu_result emu_xsetbv(struct monitor *t, const cs_insn *in,
				  struct vm_exit *exit)
{
	(void)in;
	(void)exit;
	return raise_ud(t->c);
}

/* XSAVES and XRSTORS trap at host CPL 3 too (#GP(0), CPL > 0), while the
 * rest of the XSAVE family runs natively (the hidden-features obstacle
 * of docs/refvmm-trap.md). The virtual CPU enumerates neither XSAVE nor
 * XSAVES, so the guest's answer is #UD, which the SDM checks before
 * CPL (Vol. 2D XSAVES, XRSTORS: #UD if CPUID.(0DH,1):EAX.XSS = 0 or
 * CR4.OSXSAVE = 0). Reflecting the host's #GP told the guest that a
 * hidden instruction exists. */
static enum emu_result emu_xsaves(struct monitor *t, const cs_insn *in,
				  struct vm_exit *exit)
{
	(void)in;
	(void)exit;
	return raise_ud(t->c);
}

static enum emu_result emu_wrmsr(struct monitor *t, const cs_insn *in,
				 struct vm_exit *exit)
{
	struct sw_cpu *c = t->c;
	u64 q = (u64)c->gpr[SW_EDX] << 32 | c->gpr[SW_EAX];

	(void)exit;
	if (need_cpl0(c) < 0 || msr_write(c, c->gpr[SW_ECX], q) < 0)
		return EMU_RAISE;
	if (c->gpr[SW_ECX] == MSR_EFER)
		vm__paging_changed(t, false);
	return done(c, in);
}

static enum emu_result emu_cpuid_insn(struct monitor *t, const cs_insn *in,
				      struct vm_exit *exit)
{
	(void)exit;
	emu_cpuid(t->c);
	return done(t->c, in);
}

static enum emu_result emu_rdtsc(struct monitor *t, const cs_insn *in,
				 struct vm_exit *exit)
{
	struct sw_cpu *c = t->c;
	u64 q;

	(void)exit;
	if (in->id == X86_INS_RDTSCP &&
	    !cpu_model__has(model_of(c), FEAT_RDTSCP))
		return raise_ud(c);
	if (c->cpl && (c->cr4 & CR4_TSD))
		return (sw_gp(c, 0), EMU_RAISE);
	q = sw_world__host_tsc() + (u64)c->tsc_offset;
	c->gpr[SW_EAX] = (u32)q;
	c->gpr[SW_EDX] = (u32)(q >> 32);
	if (in->id == X86_INS_RDTSCP)
		c->gpr[SW_ECX] = c->msr_tsc_aux;
	return done(c, in);
}

/* CLAC/STAC (SDM Vol. 2A CLAC, Vol. 2B STAC): #UD outside CPL 0 or
 * without SMAP; otherwise only EFLAGS.AC changes. The shadow walk reads
 * AC at each supervisor access to a user page, so nothing is flushed. */
static enum emu_result emu_clac_stac(struct monitor *t, const cs_insn *in,
				     struct vm_exit *exit)
{
	struct sw_cpu *c = t->c;

	(void)exit;
	if (c->cpl || !cpu_model__has(model_of(c), FEAT_SMAP))
		return raise_ud(c);
	if (in->id == X86_INS_STAC)
		vm__set_eflags(c, c->eflags | EFL_AC);
	else
		vm__set_eflags(c, c->eflags & ~EFL_AC);
	return done(c, in);
}

static enum emu_result emu_rdpmc(struct monitor *t, const cs_insn *in,
				 struct vm_exit *exit)
{
	struct sw_cpu *c = t->c;

	(void)exit;
	if (c->cpl && !(c->cr4 & CR4_PCE))
		return (sw_gp(c, 0), EMU_RAISE);
	if (c->gpr[SW_ECX] > 5)
		return (sw_gp(c, 0), EMU_RAISE);
	c->gpr[SW_EAX] = c->gpr[SW_EDX] = 0;
	return done(c, in);
}

/* AMD raises #UD for SYSENTER in compatibility mode; Intel lets seccomp
 * stop it (monitor.c). The same emulation. */
static enum emu_result emu_sysenter(struct monitor *t, const cs_insn *in,
				    struct vm_exit *exit)
{
	(void)in, (void)exit;
	return far__sysenter(t->c) < 0 ? EMU_RAISE : EMU_DONE;
}

static enum emu_result emu_sysexit(struct monitor *t, const cs_insn *in,
				   struct vm_exit *exit)
{
	(void)in, (void)exit;
	return far__sysexit(t->c) < 0 ? EMU_RAISE : EMU_DONE;
}

/* EFER.SCE is never set outside long mode here: #UD. */
static enum emu_result emu_syscall(struct monitor *t, const cs_insn *in,
				   struct vm_exit *exit)
{
	(void)in, (void)exit;
	return raise_ud(t->c);
}

/* --- the table --- */

static const struct {
	x86_insn id;
	emu_fn fn;
} insns[] = {
	{X86_INS_CLI, emu_cli_sti},	   /* Vol. 2A CLI */
	{X86_INS_STI, emu_cli_sti},	   /* Vol. 2B STI */
	{X86_INS_HLT, emu_hlt},		   /* Vol. 2A HLT */
	{X86_INS_IN, emu_io},		   /* Vol. 2A IN; Vol. 1 19.5 */
	{X86_INS_OUT, emu_io},		   /* Vol. 2B OUT */
	{X86_INS_INSB, emu_io},		   /* Vol. 2A INS */
	{X86_INS_INSW, emu_io},		   /* Vol. 2A INS */
	{X86_INS_INSD, emu_io},		   /* Vol. 2A INS */
	{X86_INS_OUTSB, emu_io},	   /* Vol. 2B OUTS */
	{X86_INS_OUTSW, emu_io},	   /* Vol. 2B OUTS */
	{X86_INS_OUTSD, emu_io},	   /* Vol. 2B OUTS */
	{X86_INS_MOV, emu_mov},		   /* Vol. 2A MOV CR, MOV DR, MOV */
	{X86_INS_POP, emu_pop_sreg},	   /* Vol. 2B POP */
	{X86_INS_LDS, emu_load_far_ptr},   /* Vol. 2A LDS/LES/LFS/LGS/LSS */
	{X86_INS_LES, emu_load_far_ptr},   /* Vol. 2A LDS/LES/LFS/LGS/LSS */
	{X86_INS_LFS, emu_load_far_ptr},   /* Vol. 2A LDS/LES/LFS/LGS/LSS */
	{X86_INS_LGS, emu_load_far_ptr},   /* Vol. 2A LDS/LES/LFS/LGS/LSS */
	{X86_INS_LSS, emu_load_far_ptr},   /* Vol. 2A LDS/LES/LFS/LGS/LSS */
	{X86_INS_LJMP, emu_far_jmp_call},  /* Vol. 2A JMP; Vol. 3A 5.8 */
	{X86_INS_LCALL, emu_far_jmp_call}, /* Vol. 2A CALL; Vol. 3A 5.8 */
	{X86_INS_RETF, emu_retf},	   /* Vol. 2B RET */
	{X86_INS_IRETD, emu_iret},	   /* Vol. 2A IRET */
	{X86_INS_INT, emu_int},		   /* Vol. 2A INT n; Vol. 3A 6.12 */
	{X86_INS_LGDT, emu_lgdt_lidt},	   /* Vol. 2A LGDT/LIDT */
	{X86_INS_LIDT, emu_lgdt_lidt},	   /* Vol. 2A LGDT/LIDT */
	{X86_INS_LLDT, emu_lldt_or_ltr},   /* Vol. 2A LLDT */
	{X86_INS_LTR, emu_lldt_or_ltr},	   /* Vol. 2A LTR */
	{X86_INS_LMSW, emu_lmsw},	   /* Vol. 2A LMSW */
	{X86_INS_CLTS, emu_clts},	   /* Vol. 2A CLTS */
	{X86_INS_INVLPG, emu_invlpg},	   /* Vol. 2A INVLPG */
	{X86_INS_WBINVD, emu_cache},	   /* Vol. 2B WBINVD */
	{X86_INS_INVD, emu_cache},	   /* Vol. 2A INVD */
	{X86_INS_RDMSR, emu_rdmsr},	   /* Vol. 2B RDMSR */
	{X86_INS_WRMSR, emu_wrmsr},	   /* Vol. 2B WRMSR */
	{X86_INS_XSETBV, emu_xsetbv},	   /* Vol. 2D XSETBV */
	{X86_INS_XSAVES, emu_xsaves},	   /* Vol. 2D XSAVES */
	{X86_INS_XRSTORS, emu_xsaves},	   /* Vol. 2D XRSTORS */
	{X86_INS_CPUID, emu_cpuid_insn},   /* Vol. 2A CPUID */
	{X86_INS_RDTSC, emu_rdtsc},	   /* Vol. 2B RDTSC */
	{X86_INS_RDTSCP, emu_rdtsc},	   /* Vol. 2B RDTSCP */
	{X86_INS_RDPMC, emu_rdpmc},	   /* Vol. 2B RDPMC */
	{X86_INS_CLAC, emu_clac_stac},	   /* Vol. 2A CLAC */
	{X86_INS_STAC, emu_clac_stac},	   /* Vol. 2B STAC */
	{X86_INS_SYSENTER, emu_sysenter},  /* Vol. 2B SYSENTER */
	{X86_INS_SYSEXIT, emu_sysexit},	   /* Vol. 2B SYSEXIT */
	{X86_INS_SYSCALL, emu_syscall},	   /* Vol. 2B SYSCALL */
	{X86_INS_SYSRET, emu_syscall},	   /* Vol. 2B SYSRET */
};

static emu_fn handler_of(x86_insn id)
{
	for (size_t i = 0; i < sizeof(insns) / sizeof(insns[0]); i++)
		if (insns[i].id == id)
			return insns[i].fn;
	return NULL;
}

/* A memory access the host could not make (low page, MMIO, a segment
 * shadowed not-present or truncated by the window). */
static enum emu_result emu_memory_access(struct monitor *t, const cs_insn *in)
{
	enum emu_result r = emu_mem(t, in);

	if (r == EMU_NOT)
		r = emulate__generic(t, in);
	if (r != EMU_NOT) {
		vm__count(t, "emulated", "memory_access");
		t->emulated++;
	}
	return r;
}

enum emu_result emulate__insn(struct monitor *t, const struct sw_event *ev,
			      struct vm_exit *exit)
{
	const cs_insn *in = emulate__decode(t, t->c->eip);
	char name[sizeof(in->mnemonic)];
	enum emu_result r;
	emu_fn fn;

	if (!in)
		return EMU_NOT;
	/* fn may decode again: the name is the instruction's now. */
	memcpy(name, in->mnemonic, sizeof(name));
	name[sizeof(name) - 1] = 0;
	/* the engine's own emulations (bt: PUSH Sreg, PUSHF, POPF, INT3,
	 * branches) count as the shared ones do */
	r = t->hooks.emulate_first ? t->hooks.emulate_first(t, in, exit)
				   : EMU_NOT;
	fn = r == EMU_NOT ? handler_of(in->id) : NULL;
	if (fn)
		r = fn(t, in, exit);
	if (r != EMU_NOT) {
		vm__count(t, "emulated", name);
		t->emulated++;
		return r;
	}
	if (ev->vector == 14 || (ev->vector == 13 && !ev->error) ||
	    (ev->vector == 12 && !ev->error))
		return emu_memory_access(t, in);
	return EMU_NOT;
}
