/*
 * The virtual CPU (cpu_model.h). Each shown leaf is the host's value
 * filtered through a keep mask, plus bits the model sets: a table, one
 * row per leaf, with the reason for every hidden feature beside it.
 * What refvmm virtualizes decides a bit, not what the host has: a
 * feature the software monitor does not switch, enforce or emulate is
 * hidden, and the translator raises #UD for its instructions.
 */
#include <string.h>

#include "refvmm/cpu_model.h"
#include "refvmm/x86_regs.h"

#define B(n) (1u << (n))

/*
 * CPUID.1:EDX. Kept: FPU, DE, PSE, TSC, MSR, PAE, CX8, APIC (the xAPIC
 * of devices/lapic.c), SEP, PGE, CMOV, PAT, PSE-36, CLFSH, MMX, FXSR,
 * SSE, SSE2. Hidden: VME (no virtual-8086 mode), MCE/MCA (no
 * machine-check architecture), MTRR (no MTRRs), PSN, DS, ACPI, SS, HTT,
 * TM, PBE.
 */
#define L1_EDX                                                                 \
	(B(0) | B(2) | B(3) | B(4) | B(5) | B(6) | B(8) | B(9) | B(11) |       \
	 B(13) | B(15) | B(16) | B(17) | B(19) | B(23) | B(24) | B(25) |       \
	 B(26))
/*
 * CPUID.1:ECX. Kept: SSE3, PCLMULQDQ, SSSE3, CX16, SSE4.1, SSE4.2,
 * MOVBE, POPCNT, AES, RDRAND (unprivileged, legacy encodings: they run
 * as the host runs them). Hidden: MONITOR (MONITOR/MWAIT not emulated),
 * VMX/SMX, PCID (a 64-bit feature), x2APIC (xAPIC mode only),
 * TSC-deadline (the APIC timer has no TSC-deadline mode),
 * XSAVE/OSXSAVE and with them AVX, FMA, F16C (the guest's XCR0 is not
 * applied: a guest XSAVE would run with the host's XCR0), DTES64,
 * DS-CPL, EIST, TM2, CNXT-ID, SDBG, xTPR, PDCM, DCA.
 */
#define L1_ECX                                                                 \
	(B(0) | B(1) | B(9) | B(13) | B(19) | B(20) | B(22) | B(23) | B(25) |  \
	 B(30))
/*
 * CPUID.(7,0):EBX. Kept: BMI1, FDP_EXCPTN_ONLY, SMEP (the shadow walk
 * enforces it), BMI2, ERMS, FCS/FDS deprecation, RDSEED, ADX, SMAP,
 * CLFLUSHOPT, CLWB, SHA. Hidden: FSGSBASE (64-bit only), TSC_ADJUST
 * (no such MSR), SGX, HLE/RTM (no transactions across a world switch),
 * AVX2 and AVX-512 (XSAVE hidden), INVPCID, RDT, MPX, PT.
 */
#define L7_EBX                                                                 \
	(B(3) | B(6) | B(7) | B(8) | B(9) | B(13) | B(18) | B(19) | B(20) |    \
	 B(23) | B(24) | B(29))
/*
 * CPUID.(7,0):ECX. Kept: UMIP (emulated in the BT modes; trap mode's
 * obstacle), GFNI (its legacy SSE encodings). Hidden: PKU/OSPKE (no
 * PKRU switching), WAITPKG, CET, VAES/VPCLMULQDQ and the AVX-512 bits
 * (VEX/EVEX only), LA57, RDPID (TSC_AUX is the host's), MOVDIRI,
 * MOVDIR64B, ENQCMD, and the rest. EDX (speculation control, and the
 * rest) is hidden whole.
 */
#define L7_ECX (B(2) | B(8))
/* CPUID.80000001H:ECX. Kept: LAHF/SAHF, LZCNT, SSE4A, MisalignSSE,
 * PREFETCHW. Hidden: SVM, ExtApicSpace, AltMovCr8, OSVW, IBS, XOP, FMA4,
 * TBM, topology and counter extensions, and the rest. */
#define LX1_ECX (B(0) | B(5) | B(6) | B(7) | B(8))
/* CPUID.80000001H:EDX: AMD's copies of leaf 1's bits (0-9, 12-17, 23,
 * 24) under the same mask, NX, MMXEXT, RDTSCP (TSC_AUX emulated).
 * Hidden: SYSCALL (not emulated outside long mode), FFXSR, 1 GiB pages
 * and LM (32-bit guests only), 3DNow!. */
#define LX1_EDX ((L1_EDX & 0x0183f3ffu) | B(20) | B(22) | B(27))

enum leaf_how {
	LEAF_MASK, /* host & keep | set, every subleaf the host has */
	LEAF_ZERO, /* shown, all zero */
};

static const struct leaf_rule {
	u32 leaf;
	enum leaf_how how;
	struct cpuid_regs keep, set;
} leaf_rules[] = {
	/* vendor string; EAX is set from the model's range below */
	{0, LEAF_MASK, {{0, ~0u, ~0u, ~0u}}, {{CPU_MODEL_MAX_BASIC}}},
	/* signature; CLFLUSH line size; one logical CPU, APIC ID 0 */
	{1,
	 LEAF_MASK,
	 {{0x0fff3fffu, 0xff00u, L1_ECX, L1_EDX}},
	 {{0, 0, B(31)}}},
	{2, LEAF_MASK, {{~0u, ~0u, ~0u, ~0u}}, {{0}}}, /* cache descriptors */
	{3, LEAF_ZERO, {{0}}, {{0}}},
	/* cache parameters; one core and one thread share each */
	{4, LEAF_MASK, {{0x3fffu, ~0u, ~0u, ~0u}}, {{0}}},
	{5, LEAF_ZERO, {{0}}, {{0}}}, /* MONITOR/MWAIT hidden */
	{6, LEAF_ZERO, {{0}}, {{0}}}, /* no thermal and power management */
	{7, LEAF_MASK, {{0, L7_EBX, L7_ECX, 0}}, {{0}}},
	{0x80000000u, LEAF_MASK, {{0}}, {{CPU_MODEL_MAX_EXT}}},
	{0x80000001u, LEAF_MASK, {{~0u, 0, LX1_ECX, LX1_EDX}}, {{0}}},
	{0x80000002u, LEAF_MASK, {{~0u, ~0u, ~0u, ~0u}}, {{0}}}, /* brand */
	{0x80000003u, LEAF_MASK, {{~0u, ~0u, ~0u, ~0u}}, {{0}}},
	{0x80000004u, LEAF_MASK, {{~0u, ~0u, ~0u, ~0u}}, {{0}}},
	{0x80000005u, LEAF_MASK, {{~0u, ~0u, ~0u, ~0u}}, {{0}}}, /* caches */
	{0x80000006u, LEAF_MASK, {{~0u, ~0u, ~0u, ~0u}}, {{0}}},
	/* only the invariant TSC: the guest's TSC is the host's plus an
	 * offset */
	{0x80000007u, LEAF_MASK, {{0, 0, 0, B(8)}}, {{0}}},
	/* address sizes (the shadow walk uses the host's MAXPHYADDR); no
	 * extended features, one core */
	{0x80000008u, LEAF_MASK, {{0xffffu, 0, 0, 0}}, {{0}}},
};

/* CR4 bits and the feature that makes each valid (SDM Vol. 3A 2.5). */
static const struct {
	u32 bit;
	struct cpuid_feature f;
} cr4_bits[] = {
	{CR4_VME | CR4_PVI, FEAT_VME},
	{CR4_TSD, FEAT_TSC},
	{CR4_DE, FEAT_DE},
	{CR4_PSE, FEAT_PSE},
	{CR4_PAE, FEAT_PAE},
	{CR4_MCE, FEAT_MCE},
	{CR4_PGE, FEAT_PGE},
	{CR4_OSFXSR, FEAT_FXSR},
	{CR4_OSXMMEXCPT, FEAT_SSE},
	{CR4_UMIP, FEAT_UMIP},
	{CR4_VMXE, FEAT_VMX},
	{CR4_FSGSBASE, FEAT_FSGSBASE},
	{CR4_PCIDE, FEAT_PCID},
	{CR4_OSXSAVE, FEAT_XSAVE},
	{CR4_SMEP, FEAT_SMEP},
	{CR4_SMAP, FEAT_SMAP},
	{CR4_PKE, FEAT_PKU},
};

static void put_masked(struct cpu_model *m, const struct leaf_rule *r, u32 sub,
		       const struct cpuid_regs *host)
{
	struct cpuid_regs v = {{0}};

	for (int i = 0; i < 4; i++)
		v.r[i] = (host ? host->r[i] & r->keep.r[i] : 0) | r->set.r[i];
	cpuid_table__put(&m->t, r->leaf, sub, &v);
}

static void build_leaf(struct cpu_model *m, const struct host_cpu *h,
		       const struct leaf_rule *r)
{
	const struct cpuid_regs *hv;

	if (r->how == LEAF_ZERO || !cpuid_leaf_indexed(r->leaf) ||
	    r->leaf == 7) {
		/* leaf 7: subleaf 0 only (its EAX, the last subleaf, is 0) */
		hv = cpuid_table__find(&h->t, r->leaf, 0);
		put_masked(m, r, 0, r->how == LEAF_ZERO ? NULL : hv);
		return;
	}
	for (u32 s = 0; (hv = cpuid_table__find(&h->t, r->leaf, s)); s++)
		put_masked(m, r, s, hv);
	if (!cpuid_table__find(&m->t, r->leaf, 0))
		put_masked(m, r, 0, NULL);
}

static u32 min_u32(u32 a, u32 b)
{
	return a < b ? a : b;
}

void cpu_model__build(struct cpu_model *m, const struct host_cpu *h)
{
	static const char signature[] = CPU_MODEL_SIGNATURE;
	struct cpuid_regs hv = {{CPU_MODEL_MAX_HV}};
	u32 leaf;

	memset(m, 0, sizeof(*m));
	m->vendor = h->vendor;
	m->max_basic = min_u32(h->max_basic, CPU_MODEL_MAX_BASIC);
	m->max_ext = h->max_ext >= 0x80000000u
			     ? min_u32(h->max_ext, CPU_MODEL_MAX_EXT)
			     : 0x80000000u;
	m->maxphyaddr = h->maxphyaddr;
	for (size_t i = 0; i < ARRAY_SIZE(leaf_rules); i++) {
		leaf = leaf_rules[i].leaf;
		if (leaf <= m->max_basic ||
		    (leaf >= 0x80000000u && leaf <= m->max_ext))
			build_leaf(m, h, &leaf_rules[i]);
	}
	/* the ranges the model shows, not the host's */
	((struct cpuid_regs *)cpuid_table__find(&m->t, 0, 0))->r[CPUID_EAX] =
		m->max_basic;
	((struct cpuid_regs *)cpuid_table__find(&m->t, 0x80000000u, 0))
		->r[CPUID_EAX] = m->max_ext;
	memcpy(&hv.r[CPUID_EBX], &signature[0], 4);
	memcpy(&hv.r[CPUID_ECX], &signature[4], 4);
	memcpy(&hv.r[CPUID_EDX], &signature[8], 4);
	cpuid_table__put(&m->t, CPU_MODEL_MAX_HV, 0, &hv);

	m->cr4_valid = CR4_PCE; /* not enumerated: always there */
	for (size_t i = 0; i < ARRAY_SIZE(cr4_bits); i++)
		if (cpu_model__has(m, cr4_bits[i].f))
			m->cr4_valid |= cr4_bits[i].bit;
	/* SCE: Intel defines it wherever IA32_EFER exists (SDM Vol. 4
	 * Table 2-2); AMD only with CPUID.80000001H:EDX.SYSCALL, which the
	 * model hides (APM Vol. 2 3.1.7, Vol. 3 Appendix E) */
	m->efer_valid = 0;
	if (m->vendor != VENDOR_AMD || cpu_model__has(m, FEAT_SYSCALL))
		m->efer_valid |= EFER_SCE;
	if (cpu_model__has(m, FEAT_NX))
		m->efer_valid |= EFER_NXE;
}

bool cpu_model__has(const struct cpu_model *m, struct cpuid_feature f)
{
	return cpuid_table__has(&m->t, f);
}

/*
 * Beyond the model's ranges: Intel answers with the highest basic leaf
 * (SDM Vol. 2A CPUID, "If a value entered for CPUID.EAX is higher than
 * the maximum input value ..."); AMD returns zeros (APM Vol. 3 CPUID).
 */
struct cpuid_regs cpu_model__cpuid(const struct cpu_model *m, u32 leaf,
				   u32 subleaf)
{
	const struct cpuid_regs *v;
	bool shown = leaf <= m->max_basic ||
		     (leaf >= 0x40000000u && leaf <= CPU_MODEL_MAX_HV) ||
		     (leaf >= 0x80000000u && leaf <= m->max_ext);

	if (!shown) {
		if (m->vendor != VENDOR_INTEL)
			return (struct cpuid_regs){{0}};
		leaf = m->max_basic;
	}
	v = cpuid_table__find(&m->t, leaf, subleaf);
	return v ? *v : (struct cpuid_regs){{0}};
}

bool cpu_model__has_msr(const struct cpu_model *m, u32 msr)
{
	switch (msr) {
	case MSR_IA32_TSC:
		return cpu_model__has(m, FEAT_TSC);
	case MSR_IA32_APIC_BASE:
		return cpu_model__has(m, FEAT_APIC);
	case 0x174: /* IA32_SYSENTER_CS, _ESP, _EIP */
	case 0x175:
	case 0x176:
		return cpu_model__has(m, FEAT_SEP);
	case MSR_IA32_PAT:
		return cpu_model__has(m, FEAT_PAT);
	case MSR_EFER:
		return m->max_ext >= 0x80000001u;
	case MSR_TSC_AUX:
		return cpu_model__has(m, FEAT_RDTSCP);
	case MSR_IA32_MISC_ENABLE:
		return m->vendor == VENDOR_INTEL;
	case MSR_BIOS_SIGN_ID:
		/* Every P6-and-later Intel CPU and every AMD one: Linux reads
		 * the microcode revision through it. */
		return m->vendor == VENDOR_INTEL || m->vendor == VENDOR_AMD;
	case MSR_AMD_HWCR:
		return m->vendor == VENDOR_AMD;
	default:
		return false;
	}
}
