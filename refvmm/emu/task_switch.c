/*
 * Hardware task switches to 32-bit and 16-bit TSSes (SDM Vol. 3A chapter
 * 8, "Task Management": 8.3 the switch, Table 8-1 its checks, Table 8-2
 * busy, NT, back link and TS, 8.6 16-bit TSSes; Vol. 2A JMP, CALL, IRET
 * and INT n, the TSS and task-gate paths; Vol. 3A 6.11-6.12.2 IDT task
 * gates). A new task with EFLAGS.VM = 1 is refused with #GP(selector):
 * the monitor does not model virtual-8086 mode. A 16-bit TSS as the
 * current task serves switches and I/O permission checks, not the
 * inner-level stacks of a privilege change (which read Figure 8-2's
 * ESPn/SSn only).
 */
#include <string.h>

#include "refvmm/sw/segments.h"
#include "refvmm/sw/shadow_desc.h"
#include "refvmm/x86_regs.h"
#include "stack.h"
#include "task_switch.h"
#include "vm.h"

/* The 32-bit TSS (SDM Vol. 3A 8.2.1, Figure 8-2): the fields only it
 * has. Segment selectors follow in ES CS SS DS FS GS order, which is
 * enum sw_sreg's, in both formats. */
#define TSS_LINK 0x00
#define TSS_CR3	 0x1c
#define TSS_TRAP 0x64
#define TSS_SIZE 0x68
/* The dynamic fields a switch saves: EIP up to the last selector. */
#define TSS_DYN_LEN (0x60 - 0x20)

/* Where a TSS keeps what a switch saves and loads: the 32-bit format
 * and the 16-bit one (Figure 8-10: 16-bit fields, ES CS SS DS only). */
struct tss_layout {
	u32 size, eip, eflags, gpr, seg, ldt;
	u32 width; /* of a register field and of a selector slot */
	int nsegs;
};

static const struct tss_layout layout32 = {0x68, 0x20, 0x24, 0x28,
					   0x48, 0x60, 4,    SW_NSREGS};
static const struct tss_layout layout16 = {0x2c, 0x0e, 0x10, 0x12,
					   0x22, 0x2a, 2,    4};

static const struct tss_layout *layout_of(const struct vcpu_seg *d)
{
	return d->type & 0x8 ? &layout32 : &layout16;
}

#define TSS_TYPE_BUSY 0x2 /* in the descriptor's type field */
#define DR6_BT	      0x8000u
#define DR7_LOCAL     0x55u /* L0-L3 */

#define VEC_DB 1
#define VEC_TS 10
#define VEC_NP 11
#define VEC_SS 12
#define VEC_GP 13

enum task_source { TASK_JMP, TASK_CALL, TASK_IRET, TASK_INT };

static const char *const source_names[] = {"jmp", "call", "iret", "int"};

/* The new task's TSS: selector, descriptor, and its contents. */
struct task {
	u16 sel;
	struct vcpu_seg d;
	u8 tss[TSS_SIZE];
};

static u32 get32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, 4);
	return v;
}

static u16 get16(const u8 *p)
{
	u16 v;

	memcpy(&v, p, 2);
	return v;
}

/* A register field of @width bytes (the guest is little-endian). */
static u32 get_field(const u8 *p, u32 width)
{
	return width == 4 ? get32(p) : get16(p);
}

static void put_field(u8 *p, u32 v, u32 width)
{
	memcpy(p, &v, width);
}

/* A fault once the switch has committed belongs to the new task: it
 * returns to the new task's EIP (Vol. 3A 6.15, #TS "Saved Instruction
 * Pointer"). */
static int in_new_task(struct sw_cpu *c)
{
	c->exc_new_task = true;
	return -1;
}

static struct monitor *monitor_of(const struct sw_cpu *c)
{
	return c->vcpu ? c->vcpu->mode_priv : NULL;
}

bool task_switch__is_task(const struct vcpu_seg *d)
{
	return !d->s && (d->type == 0x5 || (d->type & 0x5) == 0x1);
}

/* The busy bit of the TSS descriptor @sel names in the GDT (8.2.2). */
static int set_busy(struct sw_cpu *c, u16 sel, bool busy)
{
	u32 lin = c->gdt_base + (sel & ~7u) + 5;
	u8 b;

	if (sw_lin_read(c, lin, &b, 1) < 0)
		return -1;
	b = busy ? b | TSS_TYPE_BUSY : b & ~TSS_TYPE_BUSY;
	return sw_lin_write(c, lin, &b, 1);
}

/*
 * The TSS descriptor @sel names, as JMP, CALL and INT n through a task
 * gate check it (Vol. 2A JMP "TASK-GATE", INT n "TASK-GATE"): in the
 * GDT, a TSS, available (@busy = false) or busy (IRET), present. A
 * selector or descriptor that fails raises @vec (#GP; #TS for IRET).
 */
static int fetch_tss(struct sw_cpu *c, u16 sel, u32 ext, int vec, bool busy,
		     struct task *n)
{
	u32 err = (sel & ~3u) | ext;

	if ((sel & 4) || sw_desc_fetch(c, sel, &n->d, NULL) < 0)
		return sw_raise(c, vec, err, true);
	if (n->d.s || (n->d.type & 0x5) != 0x1 ||
	    !!(n->d.type & TSS_TYPE_BUSY) != busy)
		return sw_raise(c, vec, err, true);
	if (!n->d.present)
		return sw_raise(c, VEC_NP, err, true);
	n->sel = sel;
	return 0;
}

/* The outgoing task's dynamic fields into its TSS (8.3 step 8); a
 * 16-bit TSS keeps the low halves only (8.6). */
static int save_old(struct sw_cpu *c, u32 eflags, u32 eip)
{
	const struct tss_layout *l = layout_of(&c->tr);
	u8 dyn[TSS_DYN_LEN];
	u32 base = (u32)c->tr.base, len = l->ldt - l->eip, w = l->width;
	int r;

	if (c->tr.unusable || c->tr.limit < l->size - 1)
		return sw_raise(c, VEC_TS, c->tr.selector & ~3u, true);
	/* Read first: the selector slots' upper halves are reserved. */
	if (sw_lin_read(c, base + l->eip, dyn, len) < 0)
		return -1;
	put_field(dyn, eip, w);
	put_field(dyn + l->eflags - l->eip, eflags, w);
	for (r = 0; r < 8; r++)
		put_field(dyn + l->gpr - l->eip + w * r, c->gpr[r], w);
	for (r = 0; r < l->nsegs; r++)
		memcpy(dyn + l->seg - l->eip + w * r, &c->seg[r].selector, 2);
	return sw_lin_write(c, base + l->eip, dyn, len);
}

/* The new task's LDT (8.3 step 12; Table 8-1: #TS(LDT selector)). */
static int load_ldt(struct sw_cpu *c, u16 sel, u32 ext)
{
	struct vcpu_seg s;

	if (!(sel & ~3u)) {
		sw_null_seg(&c->ldtr, sel);
		return 0;
	}
	if ((sel & 4) || sw_desc_fetch(c, sel, &s, NULL) < 0 || s.s ||
	    s.type != 2 || !s.present) {
		sw_null_seg(&c->ldtr, sel);
		return sw_raise(c, VEC_TS, (sel & ~3u) | ext, true);
	}
	c->ldtr = s;
	return 0;
}

/*
 * One segment register of the new task, qualified as Table 8-1 lists:
 * CS's DPL matches its RPL (conforming: DPL <= RPL), SS is writable data
 * at the new CPL with a matching RPL, DS/ES/FS/GS readable and, unless
 * conforming code, DPL >= CPL and RPL. #TS for each, #NP (#SS for SS)
 * when not present.
 */
static int load_task_seg(struct sw_cpu *c, int r, u16 sel, u32 ext)
{
	u32 err = (sel & ~3u) | ext, lin;
	int rpl = sel & 3, cpl = c->cpl;
	struct vcpu_seg s;
	bool bad;

	if (!(sel & ~3u)) {
		if (r == SW_CS || r == SW_SS)
			return sw_raise(c, VEC_TS, ext, true);
		sw_null_seg(&s, sel);
		sw_set_sreg(c, r, &s);
		return 0;
	}
	if (sw_desc_fetch(c, sel, &s, &lin) < 0 || !s.s)
		return sw_raise(c, VEC_TS, err, true);
	if (r == SW_CS)
		bad = !desc__is_code(&s) ||
		      (desc__is_conforming(&s) ? s.dpl > rpl : s.dpl != rpl);
	else if (r == SW_SS)
		bad = !desc__is_writable_data(&s) || s.dpl != cpl || rpl != cpl;
	else
		bad = !desc__is_readable(&s) || (!desc__is_conforming(&s) &&
						 (s.dpl < cpl || s.dpl < rpl));
	if (bad)
		return sw_raise(c, VEC_TS, err, true);
	if (!s.present)
		return sw_raise(c, r == SW_SS ? VEC_SS : VEC_NP, err, true);
	sw_desc_set_accessed(c, lin);
	s.type |= 1;
	if (sw_set_sreg(c, r, &s) < 0)
		return sw_raise(c, VEC_TS, err, true);
	return 0;
}

/* CS and SS first: the data segments' checks need the new CPL. */
static const int load_order[SW_NSREGS] = {SW_CS, SW_SS, SW_ES,
					  SW_DS, SW_FS, SW_GS};

/*
 * After the switch commits, registers are loaded first and descriptors
 * qualified after, so a fault leaves the new task's selectors in place:
 * a data register whose descriptor was not reached is left unusable,
 * CS and SS keep their old hidden parts under the new selector.
 */
static int load_segments(struct sw_cpu *c, const u8 *tss,
			 const struct tss_layout *l, u32 ext)
{
	u16 sel[SW_NSREGS];
	struct vcpu_seg null;
	int i, j, r;

	/* A 16-bit TSS has no FS and GS: they become null, as QEMU and
	 * Bochs do (8.6 does not say). */
	for (r = 0; r < SW_NSREGS; r++)
		sel[r] = r < l->nsegs ? get16(tss + l->seg + l->width * r) : 0;
	c->cpl = sel[SW_CS] & 3;
	if (load_ldt(c, get16(tss + l->ldt), ext) < 0)
		i = 0;
	else
		for (i = 0; i < SW_NSREGS; i++)
			if (load_task_seg(c, load_order[i], sel[load_order[i]],
					  ext) < 0)
				break;
	if (i == SW_NSREGS)
		return 0;
	for (j = i; j < SW_NSREGS; j++) {
		r = load_order[j];
		if (r == SW_CS || r == SW_SS) {
			c->seg[r].selector = sel[r];
			continue;
		}
		sw_null_seg(&null, sel[r]);
		sw_set_sreg(c, r, &null);
	}
	return -1;
}

/* CR3 is loaded only with paging on (8.2.1 "CR3 control register"). */
static void load_cr3(struct sw_cpu *c, u32 cr3)
{
	struct monitor *t = monitor_of(c);

	if (!(c->cr0 & CR0_PG))
		return;
	c->cr3 = cr3;
	if (t)
		vm__paging_changed(t, true);
}

/*
 * SDM Vol. 3A 8.3 steps 5-12 for a new task @n whose descriptor passed
 * its source's checks. Everything that can fault before the commit
 * (the new TSS's limit and contents, the old TSS) is done before any
 * state changes; @old_eflags and @old_eip are what the outgoing TSS
 * keeps.
 */
static int switch_to(struct sw_cpu *c, enum task_source src, struct task *n,
		     u32 ext, u32 old_eflags, u32 old_eip)
{
	const struct tss_layout *l = layout_of(&n->d);
	u16 old_sel = c->tr.selector;
	bool nest = src == TASK_CALL || src == TASK_INT;
	u32 eflags, w = l->width;
	struct monitor *t;
	int r;

	if (n->d.limit < l->size - 1)
		return sw_raise(c, VEC_TS, (n->sel & ~3u) | ext, true);
	if (sw_lin_read(c, (u32)n->d.base, n->tss, l->size) < 0)
		return -1;
	/* A 16-bit FLAGS image leaves EFLAGS[31:16] as they are. */
	eflags = w == 4 ? get32(n->tss + l->eflags)
			: (c->eflags & 0xffff0000u) | get16(n->tss + l->eflags);
	if (eflags & EFL_VM)
		return sw_gp(c, (n->sel & ~3u) | ext); /* not modelled */
	if (src == TASK_IRET)
		old_eflags &= ~EFL_NT;
	if (save_old(c, old_eflags, old_eip) < 0)
		return -1;
	/* Committed (Table 8-2): busy bits, back link, NT. */
	if (src == TASK_JMP || src == TASK_IRET)
		set_busy(c, old_sel, false);
	if (nest) {
		sw_lin_write(c, (u32)n->d.base + TSS_LINK, &old_sel, 2);
		eflags |= EFL_NT;
	}
	if (src != TASK_IRET)
		set_busy(c, n->sel, true);
	c->tr = n->d;
	c->tr.selector = n->sel;
	c->tr.type |= TSS_TYPE_BUSY;
	c->cr0 |= CR0_TS;
	/* Local breakpoints belong to the old task (Vol. 3B 17.2.4). */
	c->dr[7] &= ~DR7_LOCAL;
	if (w == 4)
		load_cr3(c, get32(n->tss + TSS_CR3)); /* 16-bit: none (8.6) */
	vm__set_eflags(c, eflags);
	c->eip = get_field(n->tss + l->eip, w);
	/* From a 16-bit TSS the upper halves "are modified and not
	 * maintained" (8.6): all ones, as QEMU and Bochs load them. */
	for (r = 0; r < 8; r++)
		c->gpr[r] =
			w == 4 ? get32(n->tss + l->gpr + 4 * r)
			       : 0xffff0000u | get16(n->tss + l->gpr + 2 * r);
	c->irq_shadow = false;
	t = monitor_of(c);
	if (t)
		vm__count(t, "emulated.task_switch", source_names[src]);
	if (load_segments(c, n->tss, l, ext) < 0)
		return in_new_task(c);
	return 0;
}

/* The new task's first instruction: within CS (#GP(0), with EXT for an
 * event), then the T flag's debug trap (8.2.1, DR6.BT; Vol. 3B 18.2.3),
 * which only a 32-bit TSS has. */
static int first_insn(struct sw_cpu *c, const struct task *n, u32 ext)
{
	if (!desc__offset_ok(&c->seg[SW_CS], c->eip, 1)) {
		sw_gp(c, ext);
		return in_new_task(c);
	}
	if ((n->d.type & 0x8) && (get16(n->tss + TSS_TRAP) & 1)) {
		c->dr[6] |= DR6_BT;
		sw_raise(c, VEC_DB, 0, false);
		return in_new_task(c);
	}
	return 0;
}

int task_switch__far(struct sw_cpu *c, bool call, u16 sel,
		     const struct vcpu_seg *d, u32 next_eip)
{
	int cpl = c->cpl, rpl = sel & 3;
	struct task n;
	u16 tsel = sel;

	/* Vol. 2A JMP/CALL: the gate's or the TSS's DPL >= CPL and RPL;
	 * a busy TSS is not available, so it fails the same #GP. */
	if (d->dpl < cpl || d->dpl < rpl)
		return sw_gp(c, sel & ~3u);
	if (d->type == 0x5) {
		if (!d->present)
			return sw_raise(c, VEC_NP, sel & ~3u, true);
		tsel = (u16)d->base; /* the gate's TSS selector */
	}
	if (fetch_tss(c, tsel, 0, VEC_GP, false, &n) < 0)
		return -1;
	if (switch_to(c, call ? TASK_CALL : TASK_JMP, &n, 0, c->eflags,
		      next_eip) < 0)
		return -1;
	return first_insn(c, &n, 0);
}

int task_switch__gate(struct sw_cpu *c, u16 tss_sel, u32 ext, u32 eflags,
		      u32 ret_eip, bool has_error, u32 error)
{
	struct task n;

	if (fetch_tss(c, tss_sel, ext, VEC_GP, false, &n) < 0)
		return -1;
	if (switch_to(c, TASK_INT, &n, ext, eflags, ret_eip) < 0)
		return -1;
	/* The error code goes on the new task's stack (6.12.2); #SS(EXT)
	 * when it does not fit. */
	if (has_error && stack__push(c, error, 4) < 0) {
		if (c->exc_vector == VEC_SS)
			c->exc_error = ext;
		return in_new_task(c);
	}
	return first_insn(c, &n, ext);
}

int task_switch__iret(struct sw_cpu *c, u32 next_eip)
{
	struct task n;
	u16 link;

	c->nmi_blocked = false; /* as deliver__iret() */
	/* Vol. 2A IRET "TASK-RETURN": the back link must name a busy TSS
	 * in the GDT, else #TS(link). */
	if (sw_lin_read(c, (u32)c->tr.base + TSS_LINK, &link, 2) < 0)
		return -1;
	if (fetch_tss(c, link, 0, VEC_TS, true, &n) < 0)
		return -1;
	if (switch_to(c, TASK_IRET, &n, 0, c->eflags, next_eip) < 0)
		return -1;
	return first_insn(c, &n, 0);
}
