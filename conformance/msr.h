/*
 * The msr family (docs/probes/msr.md): helpers shared by its files.
 * Every access goes through try_call(), so a target that raises nothing,
 * or the wrong exception, is reported instead of killing the image.
 */
#ifndef CONFORMANCE_MSR_H
#define CONFORMANCE_MSR_H

#include "common.h"

enum msr_vendor { VENDOR_OTHER, VENDOR_INTEL, VENDOR_AMD };

/* What the CPU reports, read once by msr_cpu_init(). */
struct msr_cpu {
	enum msr_vendor vendor;
	u32 max_ext;
	int vabits;  /* linear-address width, CPUID.80000008H:EAX[15:8] */
	int maxphys; /* MAXPHYADDR, CPUID.80000008H:EAX[7:0] (36 without) */
	bool lm, nx, syscall;
};
extern struct msr_cpu msr_cpu;
void msr_cpu_init(void);
const char *msr_vendor_name(void);

/* RDMSR/WRMSR at CPL 0: the vector raised (NO_FAULT if none). */
int msr_try_read(u32 msr, u64 *v, struct fault *f);
int msr_try_write(u32 msr, u64 v, struct fault *f);

/*
 * WRMSR of value to an MSR that exists: with gp, #GP(0) and the MSR
 * unchanged; without, no exception and (read back & mask) == (value &
 * mask). The MSR's earlier value is restored either way.
 */
bool msr_expect_write(const char *id, u32 msr, u64 value, bool gp, u64 mask);
/* RDMSR and WRMSR (of value) both raise #GP(0): the MSR does not exist
 * or is not accessible in this mode. */
bool msr_expect_read_gp(const char *id, u32 msr);
bool msr_expect_write_gp(const char *id, u32 msr, u64 value);

void msr_reserved(void);
void msr_gated(void);
void msr_canonical(void);
void msr_efer(void);
void msr_pat(void);
void msr_mtrr(void);
void msr_x2apic(void);

#endif
