/*
 * conformance.ssload: the descriptor table set-up, the expectations shared
 * by every path, and the explicit loads MOV SS, POP SS and LSS (SDM Vol.
 * 2A MOV and LSS, Vol. 2B POP; Vol. 3A 5.7). The SS checks are the
 * strictest of any segment register: the selector's RPL and the
 * descriptor's DPL must both equal the CPL and the segment must be a
 * writable data segment (#GP(selector) otherwise), checked before P
 * (#SS(selector), not #NP). A null selector raises #GP(0), except in
 * 64-bit mode at CPL 0-2 with RPL = CPL (Vol. 3A 6.15 "#GP", Vol. 2A
 * MOV 64-bit operation). A monitor that runs the guest kernel at another
 * ring and rewrites DPLs must still give each combination the outcome
 * the guest's CPL implies.
 */
#include "ssload.h"

POPEK_IMAGE(0, 0);

volatile struct ss_state st;
volatile u32 ss_marker = 0x55aa1234;

#define LDT_ENTRIES 5
static u64 ldt[LDT_ENTRIES] __aligned(8);
#define LDT_SLOT SS_SLOT(12)

u16 kind_sel(enum kind k, int dpl, int rpl)
{
	switch (k) {
	case K_RW:
		return SS_SLOT(dpl) << 3 | rpl;
	case K_NP:
		return SS_SLOT(4 + dpl) << 3 | rpl;
	case K_RO:
		return SS_SLOT(8 + dpl) << 3 | rpl;
	case K_CODE:
		return SEL_CODE(dpl) | rpl;
	case K_SYS:
		return LDT_SLOT << 3 | rpl;
	case K_NULL:
		return rpl;
	case K_BEYOND:
		return GDT_ENTRIES << 3 | rpl;
	case K_LDT:
		return (1 + dpl) << 3 | 4 | rpl;
	default:
		return 8 << 3 | 4 | rpl;
	}
}

struct outcome expect_load(enum kind k, int cpl, int dpl, int rpl)
{
	u16 err = kind_sel(k, dpl, rpl) & 0xfffc;
	bool priv = rpl == cpl && dpl == cpl;

	switch (k) {
	case K_NULL:
		if (W64 && cpl != 3 && rpl == cpl)
			return (struct outcome){NO_FAULT, 0};
		return (struct outcome){GP_VECTOR, 0};
	case K_RW:
	case K_LDT:
		if (priv)
			return (struct outcome){NO_FAULT, 0};
		break;
	case K_NP:
		if (priv)
			return (struct outcome){SS_VECTOR, err};
		break;
	default:
		break;
	}
	return (struct outcome){GP_VECTOR, err};
}

/* The accessed bit of the kind's descriptor (Vol. 3A, 3.4.5.1), or NULL. */
static volatile u64 *desc_of(enum kind k, int dpl)
{
	if (k == K_RW)
		return &gdt[SS_SLOT(dpl)];
	if (k == K_LDT)
		return &ldt[1 + dpl];
	return NULL;
}
#define ACCESSED (1ull << 40)

void ss_prepare(enum kind k, int dpl)
{
	volatile u64 *d = desc_of(k, dpl);

	if (d)
		*d &= ~ACCESSED;
	st.ss_before = st.ss_after = 0xffff;
	st.sp_before = st.sp_after = 0;
	st.val = 0;
	/* Outside 64-bit mode the segment base applies; in 64-bit mode it
	 * is ignored for SS (Vol. 3A, 3.2.4). */
	st.off = (ulong)&ss_marker -
		 (!W64 && (k == K_RW || k == K_LDT) ? SS_BASE : 0);
}

bool ss_check_state(const char *id, enum kind k, int dpl, u16 sel,
		    ulong want_sp, const struct fault *f, bool loaded)
{
	volatile u64 *d = desc_of(k, dpl);
	bool acc = !d || (*d & ACCESSED);

	if (!loaded)
		return report_result(
			id, f->ss == st.ss_before && f->sp == st.sp_before,
			"expected the fault frame to hold SS:SP %#x:%#lx (as "
			"before the instruction), saw %#x:%#lx after %s",
			st.ss_before, st.sp_before, f->ss, f->sp,
			vector_name(f->vector));
	return report_result(
		id,
		st.ss_after == sel && st.sp_after == want_sp &&
			st.val == ss_marker && acc,
		"expected SS %#x, SP %#lx, %#x read through SS, accessed bit "
		"set; saw SS %#x, SP %#lx, read %#x, accessed bit %s (%s)",
		sel, want_sp, ss_marker, st.ss_after, st.sp_after, st.val,
		acc ? "set" : "clear", vector_name(f->vector));
}

static volatile u16 cur_sel;
static volatile struct __attribute__((packed)) {
	u32 off;
	u16 sel;
} lss_new, lss_old;

/* Each probe records SS:SP before, the state after a load, one read
 * through the new SS, then restores SS without touching the stack. */
PROBE do_mov(void *a)
{
	(void)a;
	asm volatile("mov %%ss, %[ssb]\n\t"
		     "mov " SP ", %[spb]\n\t"
		     "mov %[sel], %%ss\n\t"
		     "mov %%ss, %[ssa]\n\t"
		     "mov " SP ", %[spa]\n\t"
		     "mov %%ss:(%[off]), %%eax\n\t"
		     "mov %%eax, %[val]\n\t"
		     "mov %[ssb], %%ss"
		     : [ssb] "+m"(st.ss_before), [spb] "+m"(st.sp_before),
		       [ssa] "+m"(st.ss_after), [spa] "+m"(st.sp_after),
		       [val] "+m"(st.val)
		     : [sel] "r"(cur_sel), [off] "r"(st.off)
		     : "eax", "memory");
}

/* LSS with ESP as the destination, the usual stack switch: the new
 * offset is 64 bytes below the current one. */
PROBE do_lss(void *a)
{
	(void)a;
	asm volatile("mov %%ss, %[ssb]\n\t"
		     "mov " SP ", %[spb]\n\t"
		     "mov %%ss, %[osel]\n\t"
		     "mov %%esp, %[ooff]\n\t"
		     "lea -64(" SP "), %%eax\n\t"
		     "mov %%eax, %[noff]\n\t"
		     "lss %[nfp], %%esp\n\t"
		     "mov %%ss, %[ssa]\n\t"
		     "mov " SP ", %[spa]\n\t"
		     "mov %%ss:(%[off]), %%eax\n\t"
		     "mov %%eax, %[val]\n\t"
		     "lss %[ofp], %%esp"
		     : [ssb] "+m"(st.ss_before), [spb] "+m"(st.sp_before),
		       [ssa] "+m"(st.ss_after), [spa] "+m"(st.sp_after),
		       [val] "+m"(st.val), [osel] "+m"(lss_old.sel),
		       [ooff] "+m"(lss_old.off), [noff] "+m"(lss_new.off)
		     : [off] "r"(st.off), [nfp] "m"(lss_new), [ofp] "m"(lss_old)
		     : "eax", "memory");
}

#ifndef __x86_64__
PROBE do_pop(void *a)
{
	(void)a;
	asm volatile("mov %%ss, %[ssb]\n\t"
		     "push %[sel]\n\t"
		     "mov %%esp, %[spb]\n\t"
		     "pop %%ss\n\t"
		     "mov %%ss, %[ssa]\n\t"
		     "mov %%esp, %[spa]\n\t"
		     "mov %%ss:(%[off]), %%eax\n\t"
		     "mov %%eax, %[val]\n\t"
		     "mov %[ssb], %%ss"
		     : [ssb] "+m"(st.ss_before), [spb] "+m"(st.sp_before),
		       [ssa] "+m"(st.ss_after), [spa] "+m"(st.sp_after),
		       [val] "+m"(st.val)
		     : [sel] "r"((ulong)cur_sel), [off] "r"(st.off)
		     : "eax", "memory");
}
#else
/* POP SS is invalid in 64-bit mode (Vol. 2B POP: #UD). */
PROBE do_pop(void *a)
{
	(void)a;
	asm volatile("mov %%ss, %[ssb]\n\t"
		     "mov %%rsp, %[spb]\n\t"
		     ".byte 0x17"
		     : [ssb] "+m"(st.ss_before), [spb] "+m"(st.sp_before)
		     :
		     : "memory");
}
#endif

enum path { P_MOV, P_LSS, P_POP };
static void (*const probes[])(void *) = {do_mov, do_lss, do_pop};

/* The SP a successful load leaves. */
static ulong sp_after(enum path p)
{
	if (p == P_LSS)
		return (u32)(st.sp_before - 64);
	return st.sp_before + (p == P_POP ? sizeof(ulong) : 0);
}

#ifdef __x86_64__
#define PATHS  "{mov,lss}"
#define PATHN  "MOV,LSS"
#define NPATHS 2
#else
#define PATHS  "{mov,lss,pop}"
#define PATHN  "MOV,LSS,POP"
#define NPATHS 3
#endif

static const enum kind dpl_kinds[] = {K_RW, K_NP};
static const enum kind other_kinds[] = {K_RO,	  K_CODE, K_SYS,       K_NULL,
					K_BEYOND, K_LDT,  K_LDT_BEYOND};

static void explicit_one(enum path p, int cpl, enum kind k, int dpl, int rpl,
			 int ki, bool has_dpl)
{
	struct outcome o = expect_load(k, cpl, dpl, rpl);
	struct fault f;
	char id[CHECK_ID_MAX];
	u16 sel = kind_sel(k, dpl, rpl);

	ss_prepare(k, dpl);
	cur_sel = lss_new.sel = sel;
	run_at_cpl(cpl, probes[p], NULL, &f);
	if (has_dpl) {
		check_fault(CHECK_ID(id,
				     "conformance.ssload." PATHS ".cpl{0..3}."
				     "{rw,np}.dpl{0..3}.rpl{0..3}",
				     "{1:" PATHN "} to SS at CPL {2} of a "
				     "{3:writable,not-present writable} data "
				     "segment of DPL {4}, RPL {5}: loads iff "
				     "RPL = DPL = CPL, else #GP(selector); "
				     "P = 0 is #SS(selector), checked last",
				     p, cpl, ki, dpl, rpl),
			    o.vec, o.err, &f);
		ss_check_state(CHECK_ID(id,
					"conformance.ssload." PATHS
					".cpl{0..3}.{rw,np}.dpl{0..3}."
					"rpl{0..3}.state",
					"{1:" PATHN "} to SS at CPL {2}, "
					"{3:writable,not-present} DPL {4} "
					"RPL {5}: SS:SP unchanged after a "
					"fault; after a load the selector, "
					"SP, base and accessed bit",
					p, cpl, ki, dpl, rpl),
			       k, dpl, sel, sp_after(p), &f, o.vec == NO_FAULT);
		return;
	}
	check_fault(
		CHECK_ID(id,
			 "conformance.ssload." PATHS ".cpl{0..3}."
			 "{ro,code,sys,null,beyond,ldt,ldt-beyond}.rpl{0..3}",
			 "{1:" PATHN "} to SS at CPL {2}, RPL {4}, of "
			 "{3:a read-only data segment,a readable code "
			 "segment,an LDT descriptor,a null selector,a "
			 "selector past the GDT limit,a writable LDT data "
			 "segment,a selector past the LDT limit} (DPL = "
			 "CPL): #GP(selector) unless a writable data segment "
			 "with RPL = CPL; null: #GP(0), in 64-bit mode "
			 "allowed at CPL < 3 with RPL = CPL",
			 p, cpl, ki, rpl),
		o.vec, o.err, &f);
	ss_check_state(CHECK_ID(id,
				"conformance.ssload." PATHS ".cpl{0..3}."
				"{ro,code,sys,null,beyond,ldt,ldt-beyond}."
				"rpl{0..3}.state",
				"{1:" PATHN "} to SS at CPL {2}, {3:ro,"
				"code,sys,null,beyond,ldt,ldt-beyond} RPL "
				"{4}: SS:SP unchanged after a fault; after a "
				"load the selector, SP and base",
				p, cpl, ki, rpl),
		       k, dpl, sel, sp_after(p), &f, o.vec == NO_FAULT);
}

void ssload_explicit(void)
{
	for (int p = 0; p < NPATHS; p++)
		for (int cpl = 0; cpl <= 3; cpl++)
			for (int rpl = 0; rpl <= 3; rpl++) {
				for (int i = 0; i < 2; i++)
					for (int dpl = 0; dpl <= 3; dpl++)
						explicit_one(p, cpl,
							     dpl_kinds[i], dpl,
							     rpl, i, true);
				for (int i = 0;
				     i < (int)ARRAY_SIZE(other_kinds); i++)
					explicit_one(p, cpl, other_kinds[i],
						     cpl, rpl, i, false);
			}
#ifdef __x86_64__
	struct fault f;
	char id[CHECK_ID_MAX];

	for (int cpl = 0; cpl <= 3; cpl++) {
		ss_prepare(K_RW, cpl);
		run_at_cpl(cpl, do_pop, NULL, &f);
		check_fault(CHECK_ID(id, "conformance.ssload.pop.cpl{0..3}.ud",
				     "POP SS at CPL {1} in 64-bit mode raises "
				     "#UD (Vol. 2B POP)",
				     cpl),
			    UD_VECTOR, 0, &f);
		ss_check_state(
			CHECK_ID(id,
				 "conformance.ssload.pop.cpl{0..3}.ud.state",
				 "POP SS at CPL {1} in 64-bit mode: SS:RSP "
				 "unchanged after the #UD",
				 cpl),
			K_RW, cpl, 0, 0, &f, false);
	}
#endif
}

static void setup(void)
{
	for (int dpl = 0; dpl <= 3; dpl++) {
		/* Writable (type 2, accessed clear), not present, read-only;
		 * page-granular 4 GiB, B = 1. */
		gdt_set(SS_SLOT(dpl), SS_BASE, 0xfffff, 0x92 | dpl << 5, 0xc);
		gdt_set(SS_SLOT(4 + dpl), 0, 0xfffff, 0x12 | dpl << 5, 0xc);
		gdt_set(SS_SLOT(8 + dpl), 0, 0xfffff, 0x91 | dpl << 5, 0xc);
		ldt[1 + dpl] = gdt[SS_SLOT(dpl)];
	}
	gdt_set_system(LDT_SLOT, (ulong)ldt, sizeof(ldt) - 1, 2, 0);
	asm volatile("lldt %w0" : : "r"(LDT_SLOT << 3));
}

void probe_main(void)
{
	setup();
	ssload_explicit();
	ssload_xfer();
	ssload_sys();
	asm volatile("lldt %w0" : : "r"(0));
}
