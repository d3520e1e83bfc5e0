/*
 * conformance.msr.gated: an architectural MSR exists exactly when CPUID
 * enumerates what it belongs to (SDM Vol. 4 Table 2-2, the "Comment"
 * column; APM Vol. 2 Appendix A). Where it exists RDMSR works and WRMSR
 * of its own value works, or raises #GP(0) for a read-only MSR; where it
 * does not, both raise #GP(0) (Vol. 2B RDMSR/WRMSR).
 */
#include "msr.h"

enum gate {
	G_FEAT,	 /* any of the features */
	G_EFER,	 /* Intel: NX or LM; AMD: also SYSCALL */
	G_STAR,	 /* Intel: LM; AMD: SYSCALL */
	G_CSTAR, /* AMD: LM; Intel does not define C000_0083H */
};

#define RO    1 /* read-only: WRMSR raises #GP(0) */
#define VOLAT 2 /* the value moves by itself: read-back not compared */

struct gated {
	const char *rd, *wr;
	u32 msr;
	enum gate gate;
	u8 flags;
	const char *needs;
	struct x86_feature any[6];
};

#define GATED(name, msr, gate, flags, needs, ...)                              \
	{                                                                      \
		DECLARE_CHECK("conformance.msr.gated." name ".read",           \
			      "RDMSR of " name " works iff " needs ", #GP(0) " \
			      "otherwise"),                                    \
			DECLARE_CHECK("conformance.msr.gated." name ".write",  \
				      "WRMSR of " name                         \
				      "'s own value works iff " needs          \
				      " (#GP(0) if read-only or absent)"),     \
			msr, gate, flags, needs,                               \
		{                                                              \
			__VA_ARGS__                                            \
		}                                                              \
	}

#define F(l, s, r, b) X86_FEATURE(l, s, r, b, "")

static bool present(const struct gated *g, const char **skip)
{
	bool any = false;

	*skip = NULL;
	switch (g->gate) {
	case G_EFER:
		return msr_cpu.nx || msr_cpu.lm ||
		       (msr_cpu.vendor == VENDOR_AMD && msr_cpu.syscall);
	case G_STAR:
		return msr_cpu.vendor == VENDOR_AMD ? msr_cpu.syscall
						    : msr_cpu.lm;
	case G_CSTAR:
		if (msr_cpu.vendor != VENDOR_AMD)
			*skip = "the Intel SDM does not define C000_0083H "
				"(AMD's CSTAR)";
		return msr_cpu.lm;
	case G_FEAT:
		break;
	}
	for (int i = 0; i < 6 && g->any[i].leaf; i++)
		any |= this_cpu_has(g->any[i]);
	return any;
}

void msr_gated(void)
{
	const struct gated t[] = {
		GATED("tsc", 0x10, G_FEAT, VOLAT, "CPUID.1:EDX.TSC[4]",
		      F(1, 0, 3, 4)),
		GATED("apic-base", 0x1b, G_FEAT, 0, "CPUID.1:EDX.APIC[9]",
		      F(1, 0, 3, 9)),
		GATED("tsc-adjust", 0x3b, G_FEAT, VOLAT,
		      "CPUID.7.0:EBX.TSC_ADJUST[1]", F(7, 0, 1, 1)),
		GATED("spec-ctrl", 0x48, G_FEAT, 0,
		      "IBRS, STIBP or SSBD (CPUID.7.0:EDX[26,27,31]; AMD: "
		      "80000008H:EBX[14,15,24])",
		      F(7, 0, 3, 26), F(7, 0, 3, 27), F(7, 0, 3, 31),
		      F(0x80000008, 0, 1, 14), F(0x80000008, 0, 1, 15),
		      F(0x80000008, 0, 1, 24)),
		GATED("mtrrcap", 0xfe, G_FEAT, RO, "CPUID.1:EDX.MTRR[12]",
		      F(1, 0, 3, 12)),
		GATED("arch-capabilities", 0x10a, G_FEAT, RO,
		      "CPUID.7.0:EDX[29]", F(7, 0, 3, 29)),
		GATED("sysenter-cs", 0x174, G_FEAT, 0, "CPUID.1:EDX.SEP[11]",
		      F(1, 0, 3, 11)),
		GATED("sysenter-esp", 0x175, G_FEAT, 0, "CPUID.1:EDX.SEP[11]",
		      F(1, 0, 3, 11)),
		GATED("sysenter-eip", 0x176, G_FEAT, 0, "CPUID.1:EDX.SEP[11]",
		      F(1, 0, 3, 11)),
		GATED("mcg-cap", 0x179, G_FEAT, RO, "CPUID.1:EDX.MCA[14]",
		      F(1, 0, 3, 14)),
		GATED("mcg-status", 0x17a, G_FEAT, 0, "CPUID.1:EDX.MCA[14]",
		      F(1, 0, 3, 14)),
		GATED("mperf", 0xe7, G_FEAT, VOLAT, "CPUID.6:ECX[0]",
		      F(6, 0, 2, 0)),
		GATED("aperf", 0xe8, G_FEAT, VOLAT, "CPUID.6:ECX[0]",
		      F(6, 0, 2, 0)),
		GATED("umwait-control", 0xe1, G_FEAT, 0,
		      "CPUID.7.0:ECX.WAITPKG[5]", F(7, 0, 2, 5)),
		GATED("xfd", 0x1c4, G_FEAT, 0, "CPUID.0DH.1:EAX.XFD[4]",
		      F(0xd, 1, 0, 4)),
		GATED("pat", 0x277, G_FEAT, 0, "CPUID.1:EDX.PAT[16]",
		      F(1, 0, 3, 16)),
		GATED("mtrr-def-type", 0x2ff, G_FEAT, 0, "CPUID.1:EDX.MTRR[12]",
		      F(1, 0, 3, 12)),
		GATED("perf-capabilities", 0x345, G_FEAT, RO,
		      "CPUID.1:ECX.PDCM[15]", F(1, 0, 2, 15)),
		GATED("u-cet", 0x6a0, G_FEAT, 0,
		      "CET (CPUID.7.0:ECX[7] or EDX[20])", F(7, 0, 2, 7),
		      F(7, 0, 3, 20)),
		GATED("s-cet", 0x6a2, G_FEAT, 0,
		      "CET (CPUID.7.0:ECX[7] or EDX[20])", F(7, 0, 2, 7),
		      F(7, 0, 3, 20)),
		GATED("tsc-deadline", 0x6e0, G_FEAT, VOLAT,
		      "CPUID.1:ECX.TSC_DEADLINE[24]", F(1, 0, 2, 24)),
		GATED("pkrs", 0x6e1, G_FEAT, 0, "CPUID.7.0:ECX.PKS[31]",
		      F(7, 0, 2, 31)),
		GATED("xss", 0xda0, G_FEAT, 0, "CPUID.0DH.1:EAX[3]",
		      F(0xd, 1, 0, 3)),
		GATED("efer", 0xc0000080, G_EFER, 0,
		      "NX or LM (AMD: or SYSCALL) in CPUID.80000001H:EDX"),
		GATED("star", 0xc0000081, G_STAR, 0,
		      "Intel: CPUID.80000001H:EDX.LM; AMD: .SYSCALL"),
		GATED("lstar", 0xc0000082, G_FEAT, 0,
		      "CPUID.80000001H:EDX.LM[29]", F(0x80000001, 0, 3, 29)),
		GATED("cstar", 0xc0000083, G_CSTAR, 0,
		      "AMD and CPUID.80000001H:EDX.LM[29]"),
		GATED("fmask", 0xc0000084, G_FEAT, 0,
		      "CPUID.80000001H:EDX.LM[29]", F(0x80000001, 0, 3, 29)),
		GATED("fs-base", 0xc0000100, G_FEAT, 0,
		      "CPUID.80000001H:EDX.LM[29]", F(0x80000001, 0, 3, 29)),
		GATED("gs-base", 0xc0000101, G_FEAT, 0,
		      "CPUID.80000001H:EDX.LM[29]", F(0x80000001, 0, 3, 29)),
		GATED("kernel-gs-base", 0xc0000102, G_FEAT, 0,
		      "CPUID.80000001H:EDX.LM[29]", F(0x80000001, 0, 3, 29)),
		GATED("tsc-aux", 0xc0000103, G_FEAT, 0,
		      "RDTSCP or RDPID (CPUID.80000001H:EDX[27], 7.0:ECX[22])",
		      F(0x80000001, 0, 3, 27), F(7, 0, 2, 22)),
	};
	struct fault f;
	char saw[32];
	u64 v;

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		const struct gated *g = &t[i];
		const char *skip;
		bool has = present(g, &skip);
		int vec;

		if (skip) {
			report_skipped(g->rd, "%s", skip);
			report_skipped(g->wr, "%s", skip);
			continue;
		}
		if (!has) {
			msr_expect_read_gp(g->rd, g->msr);
			msr_expect_write_gp(g->wr, g->msr, 0);
			continue;
		}
		vec = msr_try_read(g->msr, &v, &f);
		report_result(
			g->rd, vec == NO_FAULT,
			"expected no exception (%s), saw %s", g->needs,
			outcome_str(saw, sizeof(saw), vec, (long)f.error));
		if (vec != NO_FAULT) {
			report_skipped(g->wr, "RDMSR failed: no value to "
					      "write back");
			continue;
		}
		msr_expect_write(g->wr, g->msr, v, g->flags & RO,
				 g->flags & VOLAT ? 0 : ~0ull);
	}
}
