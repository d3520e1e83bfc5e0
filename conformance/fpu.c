/*
 * conformance.fpu: CR0.EM, CR0.MP and CR0.TS decide whether x87, WAIT and
 * SSE instructions execute or raise #NM/#UD (SDM Vol. 3A, 2.5 and Table
 * 2-2 "Action Taken By x87 FPU Instructions for Different Combinations of
 * EM, MP, and TS"; SSE: 13.1 and Vol. 2 "Exceptions (SIMD)": #UD if EM=1
 * or CR4.OSFXSR=0, else #NM if TS=1). This is the lazy-FPU pattern: an OS
 * sets TS on a task switch and restores the FPU state on the #NM. A
 * monitor that keeps TS for itself must still deliver the guest's #NM
 * exactly when the guest's own CR0 says so.
 */
#include "common.h"

POPEK_IMAGE(0, 0);

extern char nm_insn[];

PROBE x87(void *a)
{
	(void)a;
	asm volatile(AT(nm_insn) "fnop");
}
PROBE fwait(void *a)
{
	(void)a;
	asm volatile("fwait");
}
PROBE sse(void *a)
{
	(void)a;
	/* No clobber: the runtime is built without SSE registers. */
	asm volatile("xorps %xmm0, %xmm0");
}

PROBE mmx(void *a)
{
	(void)a;
	asm volatile("pxor %mm0, %mm0\n\temms");
}

static ulong cr0_base;

static void set_cr0(int em, int mp, int ts)
{
	write_cr0(cr0_base | (em ? X86_CR0_EM : 0) | (mp ? X86_CR0_MP : 0) |
		  (ts ? X86_CR0_TS : 0));
}

static bool has_sse;

/* FNOP, FWAIT and XORPS under one combination of CR0.EM, MP and TS. */
static void fpu_one(int em, int mp, int ts)
{
	struct fault f;
	char id[CHECK_ID_MAX];

	set_cr0(em, mp, ts);
	try_call(x87, NULL, &f);
	set_cr0(0, 0, 0);
	check_fault(CHECK_ID(id,
			     "conformance.fpu.x87.em{0..1}.mp{0..1}.ts{0..1}",
			     "FNOP with CR0.EM={1}, MP={2}, TS={3}: #NM iff EM "
			     "or TS",
			     em, mp, ts),
		    (em || ts) ? NM_VECTOR : NO_FAULT, 0, &f);
	set_cr0(em, mp, ts);
	try_call(fwait, NULL, &f);
	set_cr0(0, 0, 0);
	check_fault(CHECK_ID(id,
			     "conformance.fpu.wait.em{0..1}.mp{0..1}.ts{0..1}",
			     "FWAIT with CR0.EM={1}, MP={2}, TS={3}: #NM iff "
			     "MP and TS",
			     em, mp, ts),
		    (mp && ts) ? NM_VECTOR : NO_FAULT, 0, &f);
	CHECK_ID(id, "conformance.fpu.sse.em{0..1}.mp{0..1}.ts{0..1}",
		 "XORPS with CR0.EM={1}, MP={2}, TS={3}: #UD if EM, else #NM "
		 "if TS",
		 em, mp, ts);
	if (!has_sse) {
		report_skipped(id, "CPU lacks sse/fxsr");
		return;
	}
	set_cr0(em, mp, ts);
	try_call(sse, NULL, &f);
	set_cr0(0, 0, 0);
	check_fault(id, em ? UD_VECTOR : ts ? NM_VECTOR : NO_FAULT, 0, &f);
}

/* CR4.OSFXSR=0: SSE raises #UD, MMX executes (SDM Vol. 3A 13.1.3,
 * Table 13-1). */
static void osfxsr_clear(ulong cr4)
{
	struct fault f;

	if (!has_sse) {
		report_skip("conformance.fpu.sse.osfxsr0",
			    "XORPS with CR4.OSFXSR=0 raises #UD",
			    "CPU lacks sse/fxsr");
		report_skip("conformance.fpu.mmx.osfxsr0",
			    "PXOR mm, EMMS with CR4.OSFXSR=0 execute (MMX does "
			    "not depend on OSFXSR)",
			    "CPU lacks sse/fxsr");
		return;
	}
	write_cr4(cr4 & ~X86_CR4_OSFXSR);
	set_cr0(0, 0, 0);
	try_call(sse, NULL, &f);
	report_fault("conformance.fpu.sse.osfxsr0",
		     "XORPS with CR4.OSFXSR=0 raises #UD", UD_VECTOR, 0, &f);
	try_call(mmx, NULL, &f);
	report_nofault("conformance.fpu.mmx.osfxsr0",
		       "PXOR mm, EMMS with CR4.OSFXSR=0 execute (MMX does not "
		       "depend on OSFXSR)",
		       &f);
	write_cr4(cr4 | X86_CR4_OSFXSR);
}

/* FNOP with CR0.TS=1 at a CPL: #NM at the FNOP. */
static void fpu_cpl(int cpl)
{
	struct fault f;
	char id[CHECK_ID_MAX];

	set_cr0(0, 1, 1);
	run_at_cpl(cpl, x87, NULL, &f);
	set_cr0(0, 0, 0);
	report_result(CHECK_ID(id, "conformance.fpu.x87.ts.cpl{0..3}",
			       "FNOP at CPL {1} with CR0.TS=1 raises #NM (a "
			       "fault at the FNOP), whatever the CPL",
			       cpl),
		      f.vector == NM_VECTOR && f.ip == (ulong)nm_insn,
		      "expected #NM at %#lx, saw %s at %#lx", (ulong)nm_insn,
		      vector_name(f.vector), f.ip);
}

void probe_main(void)
{
	ulong cr0 = read_cr0(), cr4 = read_cr4();
	struct fault f;

	has_sse = this_cpu_has(FEAT_SSE) && this_cpu_has(FEAT_FXSR);
	cr0_base = (cr0 & ~(X86_CR0_EM | X86_CR0_MP | X86_CR0_TS)) | X86_CR0_NE;
	if (has_sse)
		write_cr4(cr4 | X86_CR4_OSFXSR);
	set_cr0(0, 0, 0);
	asm volatile("fninit");

	for (int em = 0; em <= 1; em++)
		for (int mp = 0; mp <= 1; mp++)
			for (int ts = 0; ts <= 1; ts++)
				fpu_one(em, mp, ts);
	for (int cpl = 0; cpl <= 3; cpl++)
		fpu_cpl(cpl);

	/* The lazy switch: #NM, CLTS in the handler, the instruction runs. */
	set_cr0(0, 1, 1);
	try_call(x87, NULL, &f);
	asm volatile("clts");
	try_call(x87, NULL, &f);
	report_nofault("conformance.fpu.lazy.after-clts",
		       "after #NM and CLTS the same x87 instruction executes",
		       &f);
	osfxsr_clear(cr4);
	write_cr0(cr0);
	write_cr4(cr4);
}
