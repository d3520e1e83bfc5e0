/*
 * The virtual CPU the software modes show their guests (docs/refvmm.md,
 * "The virtual CPU"): the host's vendor, family and model, only the
 * features refvmm really virtualizes, the hypervisor bit and a
 * 0x40000000 leaf naming refvmm. Built from a host table by pure
 * functions, so unit tests build it from any CPU's dump.
 */
#ifndef REFVMM_CPU_MODEL_H
#define REFVMM_CPU_MODEL_H

#include "host_cpu.h"

#define CPU_MODEL_MAX_BASIC 7u
#define CPU_MODEL_MAX_EXT   0x80000008u
#define CPU_MODEL_MAX_HV    0x40000000u
#define CPU_MODEL_SIGNATURE "Popek refvmm" /* 12 bytes: EBX, ECX, EDX */

/* MSRs the model implies (SDM Vol. 4 Table 2-2, AMD APM Vol. 2 A.2). */
#define MSR_IA32_TSC	     0x10u
#define MSR_IA32_APIC_BASE   0x1bu
#define MSR_BIOS_SIGN_ID     0x8bu /* Intel; AMD's PATCH_LEVEL */
#define MSR_IA32_MISC_ENABLE 0x1a0u
#define MSR_IA32_PAT	     0x277u
#define MSR_EFER	     0xc0000080u
#define MSR_TSC_AUX	     0xc0000103u
#define MSR_AMD_HWCR	     0xc0010015u

#define MISC_ENABLE_FAST_STRINGS (1ull << 0)
#define MISC_ENABLE_LIMIT_CPUID	 (1ull << 22)
/* IA32_MISC_ENABLE at reset in the model: fast strings, BTS and PEBS
 * unavailable (bits 11, 12). */
#define MISC_ENABLE_RESET 0x1801ull
/* HWCR at reset in the model: TscFreqSel (bit 24, read as 1 on every
 * family 10h and later part). */
#define HWCR_RESET (1ull << 24)

struct cpu_model {
	struct cpuid_table t;
	enum cpu_vendor vendor;
	u32 max_basic, max_ext;
	u8 maxphyaddr;
	u32 cr4_valid;	/* CR4 bits MOV to CR4 may set (the rest #GP) */
	u64 efer_valid; /* EFER bits WRMSR may set */
};

void cpu_model__build(struct cpu_model *m, const struct host_cpu *h);
/* CPUID as the guest executes it, out-of-range leaves included. */
struct cpuid_regs cpu_model__cpuid(const struct cpu_model *m, u32 leaf,
				   u32 subleaf);
bool cpu_model__has(const struct cpu_model *m, struct cpuid_feature f);
/* Whether @msr exists in the model (reads and writes of others #GP). */
bool cpu_model__has_msr(const struct cpu_model *m, u32 msr);

#endif
