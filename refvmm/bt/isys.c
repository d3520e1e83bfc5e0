/*
 * INT n and IRETD in the translation (isys.h): the routines' copy in
 * the cache, and the way back from a host fault inside one. The
 * routines (isys.S) address bt_page and bt_ro by the offsets isys.h
 * gives; the assertions below keep those the C layout's.
 */
#include <stddef.h>
#include <string.h>

#include "emit.h"
#include "isys.h"

#define PG_AT(f, off) _Static_assert(BT_PG(f) == (off), "isys.h: bt_page." #f)
#define RO_AT(f, off)                                                          \
	_Static_assert(offsetof(struct bt_ro, f) == (off), "isys.h: "          \
							   "bt_ro." #f)

PG_AT(target, ISYS_PG_TARGET);
PG_AT(vif, ISYS_PG_VIF);
PG_AT(sysx, ISYS_PG_SYSX);
PG_AT(eip, ISYS_PG_EIP);
PG_AT(vflags, ISYS_PG_VFLAGS);
PG_AT(fast_op, ISYS_PG_FAST_OP);
PG_AT(table_off, ISYS_PG_TABLE_OFF);
PG_AT(inline_isys, ISYS_PG_INLINE);
PG_AT(cs_sel, ISYS_PG_CS_SEL);
PG_AT(ss_sel, ISYS_PG_CS_SEL + 2);
PG_AT(isys_eax, ISYS_PG_EAX);
PG_AT(isys_ecx, ISYS_PG_ECX);
PG_AT(isys_edx, ISYS_PG_EDX);
PG_AT(isys_esp, ISYS_PG_ESP);
PG_AT(isys_newesp, ISYS_PG_NEWESP);
PG_AT(isys_ss, ISYS_PG_SS);
PG_AT(isys_es, ISYS_PG_ES);
PG_AT(isys_frame, ISYS_PG_FRAME);
PG_AT(isys_stack, ISYS_PG_STACK);
PG_AT(inline_de, ISYS_PG_INLINE_DE);
_Static_assert(ISYS_PG_STACK_TOP == ISYS_PG_STACK + 12, "isys.h: the stack");
_Static_assert(BT_RO_ADDR == ISYS_RO_ADDR, "isys.h: bt_ro's address");
RO_AT(mon_gs_sel, ISYS_RO_MON_GS);
RO_AT(sysx_sels, ISYS_RO_SYSX_SELS);
RO_AT(isys_fn, ISYS_RO_FN);
RO_AT(isys_leave, ISYS_RO_LEAVE);
RO_AT(lookup_ip, ISYS_RO_LOOKUP);
RO_AT(int_op, ISYS_RO_INT_OP);
RO_AT(int_idt, ISYS_RO_INT_IDT);
RO_AT(int_gate, ISYS_RO_INT_GATE);
RO_AT(int_cs_addr, ISYS_RO_INT_CS_ADDR);
RO_AT(int_cs_desc, ISYS_RO_INT_CS_DESC);
RO_AT(int_ss_addr, ISYS_RO_INT_SS_ADDR);
RO_AT(int_ss_desc, ISYS_RO_INT_SS_DESC);
RO_AT(int_tss, ISYS_RO_INT_TSS);
RO_AT(int_sp_max, ISYS_RO_INT_SP_MAX);
RO_AT(int_eip, ISYS_RO_INT_EIP);
RO_AT(int_table_off, ISYS_RO_INT_TABLE);
RO_AT(int_ss0, ISYS_RO_INT_SS0);
RO_AT(int_hss, ISYS_RO_INT_HSS);
RO_AT(int_sels, ISYS_RO_INT_SELS);
RO_AT(int_keep_if, ISYS_RO_INT_KEEP_IF);
RO_AT(iret_cs_addr, ISYS_RO_IRET_CS_ADDR);
RO_AT(iret_cs_desc, ISYS_RO_IRET_CS_DESC);
RO_AT(iret_ss_addr, ISYS_RO_IRET_SS_ADDR);
RO_AT(iret_ss_desc, ISYS_RO_IRET_SS_DESC);
RO_AT(iret_table_off, ISYS_RO_IRET_TABLE);
RO_AT(iret_sels, ISYS_RO_IRET_SELS);
RO_AT(iret_hss, ISYS_RO_IRET_HSS);
RO_AT(iret_cs_neg, ISYS_RO_IRET_CS_NEG);
RO_AT(de_fn, ISYS_RO_DE_FN);
RO_AT(cs0_addr, ISYS_RO_CS0_ADDR);
RO_AT(cs0_desc, ISYS_RO_CS0_DESC);
RO_AT(de_idt, ISYS_RO_DE_IDT);
RO_AT(de_gate, ISYS_RO_DE_GATE);
RO_AT(de_eip, ISYS_RO_DE_EIP);
RO_AT(cs0_sel, ISYS_RO_CS0_SEL);
RO_AT(de_hss, ISYS_RO_DE_HSS);
RO_AT(de_keep_if, ISYS_RO_DE_KEEP_IF);
RO_AT(iret0_cs_neg, ISYS_RO_IRET0_CS_NEG);
/* isys.S same_at: each address's bytes follow it */
_Static_assert(ISYS_RO_INT_GATE == ISYS_RO_INT_IDT + 4 &&
		       ISYS_RO_INT_CS_DESC == ISYS_RO_INT_CS_ADDR + 4 &&
		       ISYS_RO_INT_SS_DESC == ISYS_RO_INT_SS_ADDR + 4 &&
		       ISYS_RO_IRET_CS_DESC == ISYS_RO_IRET_CS_ADDR + 4 &&
		       ISYS_RO_IRET_SS_DESC == ISYS_RO_IRET_SS_ADDR + 4 &&
		       ISYS_RO_CS0_DESC == ISYS_RO_CS0_ADDR + 4 &&
		       ISYS_RO_DE_GATE == ISYS_RO_DE_IDT + 4,
	       "isys.h: bt_ro's addresses and bytes");
_Static_assert(BT_SYSX_INT == ISYS_SYSX_INT && BT_SYSX_IRET == ISYS_SYSX_IRET,
	       "isys.h: bt_page.sysx");

u8 *isys__build(struct bt_vm *b, u8 *at)
{
	size_t n = (size_t)(bt_isys_end - bt_isys_start);
	struct emit e;

	memcpy(at, bt_isys_start, n);
	b->isys_base = at;
	/* declined or disarmed: the site's fast callout (its EIP and
	 * fast_op are in the page already) */
	e.p = at + n;
	b->isys_leave_fn = e.p;
	emit__exit(&e, BT_EXIT_FAST);
	b->ro->isys_leave = (u32)(uintptr_t)b->isys_leave_fn;
	b->ro->isys_fn[0] = b->ro->isys_fn[1] = b->ro->isys_leave;
	b->ro->de_fn = b->ro->isys_leave;
	b->ro->iret_cs_neg = b->ro->iret0_cs_neg = ISYS_CS_NEVER;
	b->ro->lookup_ip = (u32)(uintptr_t)b->lookup_fn;
	b->isys_armed[0] = b->isys_armed[1] = false;
	b->level0_armed[0] = b->level0_armed[1] = false;
	return e.p;
}

/* Whether host address @rip is in [@from, @to) of the routines' copy. */
static bool within(const struct bt_vm *b, u64 rip, const char *from,
		   const char *to)
{
	u64 base = (u64)(uintptr_t)b->isys_base;

	return rip >= base + (u64)(from - bt_isys_start) &&
	       rip < base + (u64)(to - bt_isys_start);
}

bool isys__flags_pushed(const struct bt_vm *b, u64 rip)
{
	return b->isys_base &&
	       (within(b, rip, bt_isys_int_rbf, bt_isys_int_popped) ||
		within(b, rip, bt_isys_iret_rbf, bt_isys_iret_popped) ||
		within(b, rip, bt_isys_iret0_rbf, bt_isys_iret0_popped) ||
		within(b, rip, bt_isys_de_rbf, bt_isys_de_popped) ||
		within(b, rip, bt_isys_decline, bt_isys_decline_popped));
}

/* The host SS translated code ran with when the routine started: the
 * record's while no claim is pending, else the one the claimed
 * routine loads (fast_sysx.h, fast_isys.h); 0 for a claim that names
 * nothing. */
static u16 ss_found(const struct bt_vm *b)
{
	u32 m = b->page->sysx;

	if (!m)
		return b->c->hsel_set[SW_SS];
	if (m == BT_SYSX_ENTER || m == BT_SYSX_EXIT)
		return b->ro->sysx_ss[m - 1];
	if (m == BT_SYSX_INT || m == BT_SYSX_IRET)
		return b->isys_sw[m - BT_SYSX_INT].hss;
	return 0;
}

int isys__rollback(struct bt_vm *b)
{
	struct sw_cpu *c = b->c;
	const struct bt_page *pg = b->page;
	u64 rip = c->eip;
	bool pushed, de;
	u16 ss;

	if (!b->isys_base)
		return 0;
	de = within(b, rip, bt_isys_de_rbf, bt_isys_de_commit);
	if (de || within(b, rip, bt_isys_int_rbf, bt_isys_int_commit) ||
	    within(b, rip, bt_isys_iret_rbf, bt_isys_iret_commit) ||
	    within(b, rip, bt_isys_iret0_rbf, bt_isys_iret0_commit))
		pushed = true;
	else if (within(b, rip, bt_isys_iret_rb, bt_isys_iret_rbf) ||
		 within(b, rip, bt_isys_iret0, bt_isys_iret0_rbf))
		pushed = false;
	else
		return 0;
	/* SS and ES come from the monitor's own record, which only the
	 * fast callouts (which keep it) change during a run; the page's
	 * copies must agree */
	ss = ss_found(b);
	if (!ss || pg->isys_ss != ss || pg->isys_es != c->hsel_set[SW_ES])
		return -1;
	c->gpr[SW_EAX] = pg->isys_eax;
	c->gpr[SW_ECX] = pg->isys_ecx;
	c->gpr[SW_EDX] = pg->isys_edx;
	c->gpr[SW_ESP] = pg->isys_esp;
	c->hsel[SW_SS] = ss;
	c->hsel[SW_ES] = c->hsel_set[SW_ES];
	/* the arithmetic flags and DF the routine's PUSHF kept, once it
	 * ran; nothing else of the host's flags comes from the page */
	if (pushed)
		c->host_eflags = (c->host_eflags & ~ISYS_LIVE_FLAGS) |
				 (pg->isys_stack[2] & ISYS_LIVE_FLAGS);
	b->st.isys_rollbacks++;
	return de ? 2 : 1;
}
