/*
 * Fast callouts (fast.h). The gate calls bt_fast_callout for a
 * BT_EXIT_FAST stub before it leaves the guest's world: the guest's
 * x87/SSE/AVX registers, MXCSR, PKRU, FS base and data selectors are
 * still loaded, so this file is built with -mgeneral-regs-only and
 * -fno-stack-protector (the canary is FS-relative), calls no function
 * and copies no structure (no memcpy).
 *
 * It finishes an instruction only when the full path would do exactly
 * this and nothing more; anything else returns 0 before a single field
 * of the instruction's changed (the record of a translated SYSENTER or
 * SYSEXIT is brought up to date first either way: fast_sysx.h), and the
 * callout runs the full path at the same instruction:
 * - state the full path looks at around the emulation: a kick or stop
 *   pending, an NMI waiting (monitor__nmi_window), the trace-step or
 *   interrupt-window step, an interrupt shadow, guest TF, --trace
 *   traps (the log line), the integrity check's turn (bt.c);
 * - the instruction's own checks: MOV from CRn is #GP(0) above CPL 0
 *   and #UD for CR1, CR5-CR7 (SDM Vol. 2A MOV, Control Registers); the
 *   #DE round trip's are in fast_event.h, its memory in fast_mem.h;
 * - for those two, also an enabled breakpoint (RF and data breakpoints
 *   stay the full path's), a store the monitor is stepping or an MMIO
 *   page open (bt.c runs those alone).
 * An IN of a port whose device published the read as pure
 * (pio_pure.h) is answered from the machine's cells: the device model is
 * not called, as a pure read would not change it.
 * bt_page is translated code's scratch, so fast_op is a claim like
 * exit_code: every field is range-checked, and no value makes this do
 * more than a CPL-0 guest could do itself (read its control registers,
 * divide by zero, touch a page its tables do not map, return from its
 * handler, read a port its IOPL lets it).
 */
#include "fast.h"
#include "fast_shadow.h"
#include "fast_cpl.h"
#include "fast_event.h"
#include "fast_isys.h"
#include "fast_lookup.h"
#include "fast_seg.h"
#include "fast_sysx.h"
#include "integrity.h"
#include "refvmm/lapic.h"
#include "refvmm/log.h"
#include "refvmm/machine.h"

#if defined(__SSE__) || defined(__MMX__) || defined(__SSP__) ||                \
	defined(__SSP_STRONG__) || defined(__SSP_ALL__)
#error "fast.c must be built with -mgeneral-regs-only -fno-stack-protector"
#endif

const char *const bt_fast_names[BT_FAST_NOPS] = {
	[BT_FAST_MOV_FROM_CR - 1] = "mov", [BT_FAST_RAISE_DE - 1] = "raise_de",
	[BT_FAST_IRET - 1] = "iretd",	   [BT_FAST_IN - 1] = "in",
	[BT_FAST_INT - 1] = "int",	   [BT_FAST_SYSENTER - 1] = "sysenter",
	[BT_FAST_SYSEXIT - 1] = "sysexit", [BT_FAST_PUSH_SREG - 1] = "push",
	[BT_FAST_POP_SREG - 1] = "pop",	   [BT_FAST_STAC - 1] = "stac",
	[BT_FAST_CLAC - 1] = "clac",	   [BT_FAST_MOV_SREG - 1] = "mov",
	[BT_FAST_INVLPG - 1] = "invlpg",   [BT_FAST_ADAPT_MOV - 1] = "adapted",
};

extern struct sw_cpu *sw_cpu_current;

/* Whatever the instruction, the full path must see this callout. */
static bool must_take_full_path(const struct bt_vm *b, const struct sw_cpu *c)
{
	const struct monitor *t = b->t;
	const struct lapic *l = t->m->lapic;

	return c->kick || t->m->stop || t->trace_step || t->monitor_step ||
	       t->nmi_window || (l && lapic__nmi_pending(l)) || c->irq_shadow ||
	       (c->host_eflags & EFL_TF) || (c->eflags & EFL_TF) ||
	       (t->m->log_events & LOG_TRAPS) ||
	       b->fast_since_check >= BT_INTEGRITY_STEPS;
}

/* The guest-memory operations also leave these to the full path. */
static bool memory_op_allowed(const struct bt_vm *b, const struct sw_cpu *c)
{
	return !(c->dr[7] & 0xff) && !b->smc_active && !b->nmmio &&
	       c->acc_cpl < 0;
}

/* MOV r32, CRn at CPL 0: the register gets the value, nothing else
 * changes (the flags are undefined; the full path leaves them). */
static bool mov_from_cr(struct sw_cpu *c, u32 reg, u32 cr)
{
	if (c->cpl != 0)
		return false;
	switch (cr) {
	case 0:
		c->gpr[reg] = c->cr0;
		return true;
	case 2:
		c->gpr[reg] = c->cr2;
		return true;
	case 3:
		c->gpr[reg] = c->cr3;
		return true;
	case 4:
		c->gpr[reg] = c->cr4;
		return true;
	default:
		return false;
	}
}

/*
 * IN AL, imm8 / IN AL, DX of a port published as pure, where no I/O
 * permission check applies: CPL <= IOPL in protected mode (SDM Vol. 2A
 * IN; bt runs no virtual-8086 code), and with the bitmap's check the
 * full path's. AL gets the byte; the flags and the rest of EAX stay.
 * --trace io-all logs every access: the full path's.
 */
static bool in_byte(const struct bt_vm *b, struct sw_cpu *c, u32 op)
{
	const struct machine *m = b->t->m;
	u16 port = (op >> 8) & 1 ? (u16)c->gpr[SW_EDX] : (u16)(op >> 24);
	u8 v;

	if (c->cpl < 0 || (u32)c->cpl > ((fast_eflags(b, c) >> 12) & 3) ||
	    (m->log_events & LOG_IO_ALL) ||
	    !pio_pure__read(&m->pio_pure, port, &v))
		return false;
	c->gpr[SW_EAX] = (c->gpr[SW_EAX] & ~0xffu) | v;
	return true;
}

/*
 * CLAC/STAC at CPL 0 (emulate.c emu_clac_stac; SDM Vol. 2A CLAC, Vol. 2B
 * STAC; the translator emits them only where the virtual CPU shows
 * SMAP): EFLAGS.AC, the copy translated PUSHF and POPF read
 * (bt_page.vflags), and the shadow's AC as vm__shadow_class records it.
 * A CLAC with user pages exposed to the supervisor while AC was 1 is
 * the full path's: closing them takes host calls (shadow__set_ac).
 */
static bool set_ac(struct bt_vm *b, struct sw_cpu *c, bool ac)
{
	struct shadow_pt *sp = c->shadow;
	u32 efl = fast_eflags(b, c);

	/* the translator emits them only where SMAP is shown; fast_op is
	 * a claim, so the handler checks again (else #UD: the full path) */
	if (c->cpl != 0 || !sp || !(b->feats & (1u << BT_FEAT_SMAP)) ||
	    (!ac && sp->nexposed))
		return false;
	fast_set_eflags(b, c, ac ? efl | EFL_AC : efl & ~EFL_AC);
	b->page->vflags = (b->page->vflags & ~EFL_AC) | (ac ? EFL_AC : 0);
	sp->ac_open = ac;
	return true;
}

/* Back to translated code at c->eip through the indirect lookup. */
static u64 fast_back(struct bt_vm *b, const struct sw_cpu *c)
{
	b->page->target = c->eip;
	b->ro->fast_ip = (u32)(uintptr_t)b->lookup_fn;
	b->ro->fast_cs = b->sel_code;
	return (u64)(uintptr_t)b->lookup_fn;
}

u64 bt_fast_callout(void)
{
	struct sw_cpu *c = sw_cpu_current;
	struct bt_vm *b = vm__of(c);
	u32 op, kind, len;
	enum fast_adapted ad;

	if (!b || b->c != c || !fast_inline_sync(b, c) ||
	    must_take_full_path(b, c))
		return 0;
	if (b->page->exit_code == BT_EXIT_MISS) {
		/* the branch's target is the guest's EIP (callout.c) */
		if (!fast_miss(b, c))
			return 0;
		b->fast_since_check++;
		c->eip = b->page->target;
		return fast_back(b, c);
	}
	if (b->page->exit_code != BT_EXIT_FAST)
		return 0;
	op = b->page->fast_op;
	kind = op & 0xff;
	len = (op >> 16) & 0xf;
	if (!len || (op >> 20 & 0xf & ~(BT_FAST_IMM >> 20)) ||
	    ((op & BT_FAST_IMM) && kind != BT_FAST_ADAPT_MOV) ||
	    (op >> 24 && kind != BT_FAST_IN && kind != BT_FAST_INT))
		return 0;
	switch (kind) {
	case BT_FAST_MOV_FROM_CR:
		/* 0F 20 /r */
		if (len != 3 || !mov_from_cr(c, (op >> 8) & 7, (op >> 12) & 0xf))
			return 0;
		break;
	case BT_FAST_ADAPT_MOV:
		/* an adapted callout, counted as retranslate.c counts one
		 * (fast_shadow.h), not as an emulated callout; C7 /0 is
		 * 6-11 bytes, the others 2-7 */
		if (len < ((op & BT_FAST_IMM) ? 6u : 2u) ||
		    len > ((op & BT_FAST_IMM) ? 11u : 7u) ||
		    !memory_op_allowed(b, c))
			return 0;
		ad = adapted_mov(b, c, op);
		if (ad == FAST_ADAPTED_DECLINED)
			return 0;
		b->fast_since_check++;
		if (ad == FAST_ADAPTED_RAISED) {
			/* EIP is the handler's */
			b->fast_pf++;
			return fast_back(b, c);
		}
		b->fast_done[kind - 1]++;
		c->eip += len;
		return fast_back(b, c);
	case BT_FAST_INVLPG:
		if (len < 3 || len > 8 || !memory_op_allowed(b, c) ||
		    !fast_invlpg(b, c, op))
			return 0;
		break;
	case BT_FAST_RAISE_DE:
		/* a raise, not an emulation: EIP stays the DIV's for the
		 * frame, and raise_de's counters (fast_event.h) */
		if (!memory_op_allowed(b, c) || !fast_raise_de(b, c))
			return 0;
		/* the routine declined it, or was not armed: arm it for
		 * the gate and descriptor this one found (fast_isys.h) */
		fast_inline_arm(b);
		b->fast_done[kind - 1]++;
		b->fast_since_check++;
		return fast_back(b, c);
	case BT_FAST_IRET:
		/* to the same level, else to CPL 3 (fast_cpl.h) */
		if (len != 1 || !memory_op_allowed(b, c))
			return 0;
		if (!fast_iret(b, c) && !fast_iret_outer(b, c))
			return 0;
		/* either way, arm the routine for what this one found */
		fast_inline_arm(b);
		len = 0; /* EIP is the frame's */
		break;
	case BT_FAST_INT:
		if (len != 2 || !memory_op_allowed(b, c) ||
		    !fast_int(b, c, op >> 24, len))
			return 0;
		fast_inline_arm(b);
		len = 0; /* EIP is the gate's */
		break;
	case BT_FAST_PUSH_SREG:
	case BT_FAST_POP_SREG:
		/* FS and GS have the two-byte opcodes (0F A0/A1, A8/A9) */
		if (len != ((op >> 8 & 7) >= SW_FS ? 2u : 1u) ||
		    !memory_op_allowed(b, c) ||
		    !(kind == BT_FAST_PUSH_SREG ? push_sreg(b, c, op >> 8 & 7)
						: pop_sreg(b, c, op >> 8 & 7)))
			return 0;
		/* a data segment IRETD to CPL 3 would null (fast_isys.h) */
		if (kind == BT_FAST_POP_SREG)
			fast_isys_arm(b, fast_inline_ok(b, c));
		break;
	case BT_FAST_MOV_SREG:
		if (len != 2 || !memory_op_allowed(b, c) ||
		    !mov_sreg(b, c, op >> 8 & 7, op >> 12 & 0xf))
			return 0;
		fast_isys_arm(b, fast_inline_ok(b, c));
		break;
	case BT_FAST_STAC:
	case BT_FAST_CLAC:
		if (len != 3 || !set_ac(b, c, kind == BT_FAST_STAC))
			return 0;
		fast_inline_arm(b);
		break;
	case BT_FAST_SYSENTER:
	case BT_FAST_SYSEXIT:
		/* no memory, but the new key must be an ordinary one: no
		 * breakpoint, no store or MMIO step (bt.c current_key) */
		if (len != 2 || !memory_op_allowed(b, c) ||
		    !(kind == BT_FAST_SYSENTER ? fast_sysenter(b, c)
					       : fast_sysexit(b, c)))
			return 0;
		len = 0;
		break;
	case BT_FAST_IN:
		/* an enabled I/O breakpoint (DR7, CR4.DE) is the full
		 * path's, as the data breakpoints are */
		if (len != ((op >> 8 & 1) ? 1u : 2u) ||
		    !memory_op_allowed(b, c) || !in_byte(b, c, op))
			return 0;
		break;
	default:
		return 0;
	}
	/* Done: what the full path counts, in plain slots. */
	b->fast_done[kind - 1]++;
	b->fast_since_check++;
	b->st.exits[BT_EXIT_CALLOUT]++;
	b->st.callouts++;
	b->t->emulated++;
	c->eip += len;
	return fast_back(b, c);
}

void fast__inline_arm(struct bt_vm *b)
{
	fast_inline_arm(b);
}

bool fast__inline_sync(struct bt_vm *b)
{
	return fast_inline_sync(b, b->c);
}

void fast__checked(struct bt_vm *b)
{
	b->fast_since_check = 0;
}
