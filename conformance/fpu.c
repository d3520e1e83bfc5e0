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

static ulong cr0_base;

static void set_cr0(int em, int mp, int ts)
{
	write_cr0(cr0_base | (em ? X86_CR0_EM : 0) | (mp ? X86_CR0_MP : 0) |
		  (ts ? X86_CR0_TS : 0));
}

#define FPU_ONE(em, mp, ts)                                                    \
	do {                                                                   \
		set_cr0(em, mp, ts);                                           \
		try_call(x87, NULL, &f);                                       \
		set_cr0(0, 0, 0);                                              \
		report_fault("conformance.fpu.x87.em" #em ".mp" #mp ".ts" #ts, \
			     "FNOP with CR0.EM=" #em ", MP=" #mp ", TS=" #ts   \
			     ": #NM iff EM or TS",                             \
			     (em || ts) ? NM_VECTOR : NO_FAULT, 0, &f);        \
		set_cr0(em, mp, ts);                                           \
		try_call(fwait, NULL, &f);                                     \
		set_cr0(0, 0, 0);                                              \
		report_fault("conformance.fpu.wait.em" #em ".mp" #mp           \
			     ".ts" #ts,                                        \
			     "FWAIT with CR0.EM=" #em ", MP=" #mp ", TS=" #ts  \
			     ": #NM iff MP and TS",                            \
			     (mp && ts) ? NM_VECTOR : NO_FAULT, 0, &f);        \
		sse_id = DECLARE_CHECK(                                        \
			"conformance.fpu.sse.em" #em ".mp" #mp ".ts" #ts,      \
			"XORPS with CR0.EM=" #em ", MP=" #mp ", TS=" #ts       \
			": #UD if EM, else #NM if TS");                        \
		if (!has_sse) {                                                \
			report_skipped(sse_id, "CPU lacks sse/fxsr");          \
			break;                                                 \
		}                                                              \
		set_cr0(em, mp, ts);                                           \
		try_call(sse, NULL, &f);                                       \
		set_cr0(0, 0, 0);                                              \
		check_fault(sse_id,                                            \
			    em	 ? UD_VECTOR                                   \
			    : ts ? NM_VECTOR                                   \
				 : NO_FAULT,                                   \
			    0, &f);                                            \
	} while (0)

#define FPU_CPL(cpl)                                                           \
	do {                                                                   \
		set_cr0(0, 1, 1);                                              \
		run_at_cpl(cpl, x87, NULL, &f);                                \
		set_cr0(0, 0, 0);                                              \
		report("conformance.fpu.x87.ts.cpl" #cpl,                      \
		       "FNOP at CPL " #cpl " with CR0.TS=1 raises #NM (a "     \
		       "fault at the FNOP), whatever the CPL",                 \
		       f.vector == NM_VECTOR && f.ip == (ulong)nm_insn,        \
		       "expected #NM at %#lx, saw %s at %#lx", (ulong)nm_insn, \
		       vector_name(f.vector), f.ip);                           \
	} while (0)

void probe_main(void)
{
	bool has_sse = this_cpu_has(FEAT_SSE) && this_cpu_has(FEAT_FXSR);
	ulong cr0 = read_cr0(), cr4 = read_cr4();
	const char *sse_id;
	struct fault f;

	cr0_base = (cr0 & ~(X86_CR0_EM | X86_CR0_MP | X86_CR0_TS)) | X86_CR0_NE;
	if (has_sse)
		write_cr4(cr4 | X86_CR4_OSFXSR);
	set_cr0(0, 0, 0);
	asm volatile("fninit");

	FPU_ONE(0, 0, 0);
	FPU_ONE(0, 0, 1);
	FPU_ONE(0, 1, 0);
	FPU_ONE(0, 1, 1);
	FPU_ONE(1, 0, 0);
	FPU_ONE(1, 0, 1);
	FPU_ONE(1, 1, 0);
	FPU_ONE(1, 1, 1);
	FPU_CPL(0);
	FPU_CPL(1);
	FPU_CPL(2);
	FPU_CPL(3);

	/* The lazy switch: #NM, CLTS in the handler, the instruction runs. */
	set_cr0(0, 1, 1);
	try_call(x87, NULL, &f);
	asm volatile("clts");
	try_call(x87, NULL, &f);
	report_nofault("conformance.fpu.lazy.after-clts",
		       "after #NM and CLTS the same x87 instruction executes",
		       &f);
	write_cr0(cr0);
	write_cr4(cr4);
}
