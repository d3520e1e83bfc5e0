/*
 * CPUID as data: a table of (leaf, subleaf) -> EAX..EDX, and features
 * named by where they live (leaf, subleaf, register, bit), the habit of
 * kvm-unit-tests' X86_FEATURE_*. The host's table (host_cpu.h) and the
 * guest's virtual CPU (cpu_model.h) are both such tables.
 */
#ifndef REFVMM_CPUID_H
#define REFVMM_CPUID_H

#include "types.h"

enum cpuid_reg { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

struct cpuid_regs {
	u32 r[4]; /* indexed by enum cpuid_reg */
};

struct cpuid_entry {
	u32 leaf, subleaf;
	struct cpuid_regs v;
};

#define CPUID_TABLE_MAX 512

struct cpuid_table {
	struct cpuid_entry e[CPUID_TABLE_MAX];
	unsigned int n;
};

struct cpuid_feature {
	u32 leaf;
	u8 subleaf, reg, bit;
	const char *name;
};

#define CPUID_FEATURE(l, s, r, b, n) ((struct cpuid_feature){l, s, r, b, n})

/* SDM Vol. 2A CPUID, Tables 3-8 to 3-20; AMD APM Vol. 3 Appendix E. */
#define FEAT_FPU	CPUID_FEATURE(1, 0, CPUID_EDX, 0, "fpu")
#define FEAT_VME	CPUID_FEATURE(1, 0, CPUID_EDX, 1, "vme")
#define FEAT_DE		CPUID_FEATURE(1, 0, CPUID_EDX, 2, "de")
#define FEAT_PSE	CPUID_FEATURE(1, 0, CPUID_EDX, 3, "pse")
#define FEAT_TSC	CPUID_FEATURE(1, 0, CPUID_EDX, 4, "tsc")
#define FEAT_MSR	CPUID_FEATURE(1, 0, CPUID_EDX, 5, "msr")
#define FEAT_PAE	CPUID_FEATURE(1, 0, CPUID_EDX, 6, "pae")
#define FEAT_MCE	CPUID_FEATURE(1, 0, CPUID_EDX, 7, "mce")
#define FEAT_APIC	CPUID_FEATURE(1, 0, CPUID_EDX, 9, "apic")
#define FEAT_SEP	CPUID_FEATURE(1, 0, CPUID_EDX, 11, "sep")
#define FEAT_PGE	CPUID_FEATURE(1, 0, CPUID_EDX, 13, "pge")
#define FEAT_PAT	CPUID_FEATURE(1, 0, CPUID_EDX, 16, "pat")
#define FEAT_FXSR	CPUID_FEATURE(1, 0, CPUID_EDX, 24, "fxsr")
#define FEAT_SSE	CPUID_FEATURE(1, 0, CPUID_EDX, 25, "sse")
#define FEAT_VMX	CPUID_FEATURE(1, 0, CPUID_ECX, 5, "vmx")
#define FEAT_PCID	CPUID_FEATURE(1, 0, CPUID_ECX, 17, "pcid")
#define FEAT_XSAVE	CPUID_FEATURE(1, 0, CPUID_ECX, 26, "xsave")
#define FEAT_OSXSAVE	CPUID_FEATURE(1, 0, CPUID_ECX, 27, "osxsave")
#define FEAT_AVX	CPUID_FEATURE(1, 0, CPUID_ECX, 28, "avx")
#define FEAT_HYPERVISOR CPUID_FEATURE(1, 0, CPUID_ECX, 31, "hypervisor")
#define FEAT_FSGSBASE	CPUID_FEATURE(7, 0, CPUID_EBX, 0, "fsgsbase")
#define FEAT_BMI1	CPUID_FEATURE(7, 0, CPUID_EBX, 3, "bmi1")
#define FEAT_SMEP	CPUID_FEATURE(7, 0, CPUID_EBX, 7, "smep")
#define FEAT_BMI2	CPUID_FEATURE(7, 0, CPUID_EBX, 8, "bmi2")
#define FEAT_SMAP	CPUID_FEATURE(7, 0, CPUID_EBX, 20, "smap")
#define FEAT_AVX512F	CPUID_FEATURE(7, 0, CPUID_EBX, 16, "avx512f")
#define FEAT_UMIP	CPUID_FEATURE(7, 0, CPUID_ECX, 2, "umip")
#define FEAT_PKU	CPUID_FEATURE(7, 0, CPUID_ECX, 3, "pku")
#define FEAT_RDPID	CPUID_FEATURE(7, 0, CPUID_ECX, 22, "rdpid")
#define FEAT_MOVDIRI	CPUID_FEATURE(7, 0, CPUID_ECX, 27, "movdiri")
#define FEAT_SYSCALL	CPUID_FEATURE(0x80000001, 0, CPUID_EDX, 11, "syscall")
#define FEAT_NX		CPUID_FEATURE(0x80000001, 0, CPUID_EDX, 20, "nx")
#define FEAT_RDTSCP	CPUID_FEATURE(0x80000001, 0, CPUID_EDX, 27, "rdtscp")
#define FEAT_LM		CPUID_FEATURE(0x80000001, 0, CPUID_EDX, 29, "lm")

/* Leaves whose answer depends on ECX (SDM Vol. 2A Table 3-8). */
bool cpuid_leaf_indexed(u32 leaf);

/* The entry for (leaf, subleaf), or NULL; subleaf is ignored where the
 * leaf is not indexed. */
const struct cpuid_regs *cpuid_table__find(const struct cpuid_table *t,
					   u32 leaf, u32 subleaf);
/* Adds or replaces; -1 when the table is full. */
int cpuid_table__put(struct cpuid_table *t, u32 leaf, u32 subleaf,
		     const struct cpuid_regs *v);
bool cpuid_table__has(const struct cpuid_table *t, struct cpuid_feature f);

/*
 * Parses a dump, one "leaf subleaf eax ebx ecx edx" line (hex) per
 * entry, '#' comments. 0 or -1 with a one-line reason in @err.
 */
int cpuid_table__parse(struct cpuid_table *t, const char *text, char *err,
		       size_t errlen);

#endif
