/*
 * conformance.msr.efer: IA32_EFER's bits (SDM Vol. 3A 2.2.1 and 10.8.5,
 * Vol. 4 Table 2-2; APM Vol. 2 3.1.7). Every bit is written on its own:
 * a bit the CPU does not define raises #GP(0) and changes nothing; a
 * defined bit is kept. LME cannot change while paging is on, and LMA is
 * the processor's: WRMSR does not change it.
 */
#include "msr.h"

#define EFER_SCE   (1ull << 0)
#define EFER_SVME  (1ull << 12)
#define EFER_LMSLE (1ull << 13)
#define EFER_FFXSR (1ull << 14)
#define EFER_TCE   (1ull << 15)

enum bit_rule {
	B_VALID,    /* defined: set without #GP, read back */
	B_RESERVED, /* #GP(0), EFER unchanged */
	B_RAZ,	    /* AMD "reserved, read as zero": #GP or ignored */
	B_SKIP,
};

static const char *skip_why;

static enum bit_rule rule_of(int bit)
{
	bool amd = msr_cpu.vendor == VENDOR_AMD;
	struct cpuid x8 = {0};

	if (msr_cpu.max_ext >= 0x80000008)
		x8 = cpuid(0x80000008, 0);
	switch (bit) {
	case 0:
		if (msr_cpu.syscall || msr_cpu.lm)
			return B_VALID;
		if (amd)
			return B_RESERVED;
		skip_why = "Intel without 64-bit mode: the SDM does not say "
			   "whether SCE exists";
		return B_SKIP;
	case 8:
	case 10:
		skip_why = "LME and LMA follow the mode rules "
			   "(conformance.msr.efer.lme-*, lma-*)";
		return msr_cpu.lm ? B_SKIP : B_RESERVED;
	case 11:
		return msr_cpu.nx ? B_VALID : B_RESERVED;
	}
	if (!amd)
		return B_RESERVED; /* Intel: only 0, 8, 10 and 11 */
	if (bit >= 1 && bit <= 7)
		return B_RAZ;
	switch (bit) {
	case 12: /* SVME: CPUID.80000001H:ECX.SVM[2] */
		return this_cpu_has(X86_FEATURE(0x80000001, 0, 2, 2, "svm"))
			       ? B_VALID
			       : B_RESERVED;
	case 13:
		/* LMSLE: reserved where 80000008H:EBX[20] says so; where
		 * the bit is 0, parts that dropped LMSLE before the bit
		 * existed cannot be told from parts that have it */
		if (x8.b & (1u << 20))
			return B_RESERVED;
		skip_why = "AMD LMSLE with CPUID.80000008H:EBX[20]=0: support "
			   "is not enumerated either way";
		return B_SKIP;
	case 14: /* FFXSR: 80000001H:EDX[25] */
		return this_cpu_has(X86_FEATURE(0x80000001, 0, 3, 25, "ffxsr"))
			       ? B_VALID
			       : B_RESERVED;
	case 15: /* TCE: 80000001H:ECX[17] */
		return this_cpu_has(X86_FEATURE(0x80000001, 0, 2, 17, "tce"))
			       ? B_VALID
			       : B_RESERVED;
	}
	if (bit >= 16 && bit <= 21) {
		skip_why = "AMD: EFER bits 21:16 belong to features this "
			   "probe does not enumerate (MCOMMIT, INTWB, UAIE, "
			   "AutoIBRS)";
		return B_SKIP;
	}
	return B_RESERVED; /* 9, 63:22: MBZ */
}

static const char *bit_id(char *id, int bit)
{
	return CHECK_ID(id, "conformance.msr.efer.bit{0..63}",
			"WRMSR setting IA32_EFER bit {1}: #GP(0) if the CPU "
			"does not define it, kept if it does",
			bit);
}

static void efer_bits(u64 efer)
{
	char id[CHECK_ID_MAX];

	for (int bit = 0; bit < 64; bit++) {
		u64 b = 1ull << bit;
		enum bit_rule r;
		struct fault f, g;
		u64 after;
		char saw[32];
		int vec;

		bit_id(id, bit);
		skip_why = NULL;
		r = rule_of(bit);
		if (r == B_SKIP) {
			report_skipped(id, "%s", skip_why);
			continue;
		}
		if (r == B_RESERVED) {
			msr_expect_write(id, MSR_EFER, efer | b, true, 0);
			continue;
		}
		if (r == B_VALID) {
			/* a set bit is written as it is: NXE may be in use */
			msr_expect_write(id, MSR_EFER, efer | b, false, ~0ull);
			continue;
		}
		vec = msr_try_write(MSR_EFER, efer | b, &f);
		msr_try_read(MSR_EFER, &after, &g);
		msr_try_write(MSR_EFER, efer, &g);
		report_result(
			id,
			(vec == GP_VECTOR || vec == NO_FAULT) && !(after & b),
			"expected #GP(0) or no exception with bit %d "
			"reading 0 (AMD: reserved, read as zero), saw "
			"%s, EFER %#llx",
			bit, outcome_str(saw, sizeof(saw), vec, (long)f.error),
			(unsigned long long)after);
	}
}

/* Mode rules: LMA = LME && PG, set by the processor (SDM Vol. 3A 10.8.5;
 * APM Vol. 2 14.6). WRMSR that changes LME with CR0.PG=1 raises #GP(0). */
static void efer_modes(u64 efer, const char *skip)
{
	const char *lma = DECLARE_CHECK(
		"conformance.msr.efer.lma-state",
		"IA32_EFER.LMA reads 1 in 64-bit mode and 0 in 32-bit mode");
	const char *lma_wr = DECLARE_CHECK(
		"conformance.msr.efer.lma-write",
		"WRMSR toggling IA32_EFER.LMA alone leaves LMA as the mode "
		"has it (or raises #GP(0))");
	const char *lme_pg =
		DECLARE_CHECK("conformance.msr.efer.lme-toggle-paging",
			      "WRMSR toggling IA32_EFER.LME with CR0.PG=1 "
			      "raises #GP(0)");
	const char *lme_nopg =
		DECLARE_CHECK("conformance.msr.efer.lme-set-no-paging",
			      "WRMSR setting IA32_EFER.LME with CR0.PG=0 works "
			      "and leaves LMA 0");
	u64 after;
	bool pg = read_cr0() & (1ul << 31);
	struct fault f, g;
	char saw[32];
	int vec;

	if (!msr_cpu.lm)
		skip = "no 64-bit mode: LMA/LME not defined (their bits are "
		       "checked as reserved)";
	if (skip) {
		report_skipped(lma, "%s", skip);
		report_skipped(lma_wr, "%s", skip);
		report_skipped(lme_pg, "%s", skip);
		report_skipped(lme_nopg, "%s", skip);
		return;
	}
#ifdef __x86_64__
	report_equal(lma, EFER_LMA, efer & EFER_LMA);
#else
	report_equal(lma, 0, efer & EFER_LMA);
#endif
	vec = msr_try_write(MSR_EFER, efer ^ EFER_LMA, &f);
	msr_try_read(MSR_EFER, &after, &g);
	msr_try_write(MSR_EFER, efer, &g);
	report_result(lma_wr,
		      (vec == NO_FAULT || (vec == GP_VECTOR && f.error == 0)) &&
			      (after & EFER_LMA) == (efer & EFER_LMA),
		      "expected LMA %d after the write (no exception or "
		      "#GP(0)), saw %s, EFER %#llx",
		      !!(efer & EFER_LMA),
		      outcome_str(saw, sizeof(saw), vec, (long)f.error),
		      (unsigned long long)after);
	if (pg)
		msr_expect_write(lme_pg, MSR_EFER, efer ^ EFER_LME, true, 0);
	else
		report_skipped(lme_pg, "the runtime runs without paging");
	if (pg) {
		report_skipped(lme_nopg, "the runtime runs with paging on");
		return;
	}
	vec = msr_try_write(MSR_EFER, efer | EFER_LME, &f);
	msr_try_read(MSR_EFER, &after, &g);
	msr_try_write(MSR_EFER, efer, &g);
	report_result(lme_nopg,
		      vec == NO_FAULT && (after & EFER_LME) &&
			      !(after & EFER_LMA),
		      "expected no exception, LME 1 and LMA 0, saw %s, EFER "
		      "%#llx",
		      outcome_str(saw, sizeof(saw), vec, (long)f.error),
		      (unsigned long long)after);
}

void msr_efer(void)
{
	const char *skip = NULL;
	char id[CHECK_ID_MAX];
	struct fault f;
	u64 efer = 0;

	if (msr_cpu.max_ext < 0x80000001 ||
	    !(msr_cpu.nx || msr_cpu.lm || msr_cpu.syscall))
		skip = "no IA32_EFER (conformance.msr.gated.efer)";
	else if (msr_try_read(MSR_EFER, &efer, &f) != NO_FAULT)
		skip = "RDMSR of IA32_EFER raised an exception although CPUID "
		       "enumerates it (conformance.msr.gated.efer)";
	if (skip) {
		for (int bit = 0; bit < 64; bit++)
			report_skipped(bit_id(id, bit), "%s", skip);
	} else {
		efer_bits(efer);
	}
	efer_modes(efer, skip);
}
