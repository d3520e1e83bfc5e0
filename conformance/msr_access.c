/*
 * The MSR access helpers of the msr family (msr.h), shared with the apic
 * family: what the CPU reports, and RDMSR/WRMSR through try_call() so a
 * target that raises nothing, or the wrong exception, is reported instead
 * of killing the image.
 */
#include "msr.h"

struct msr_cpu msr_cpu;

void msr_cpu_init(void)
{
	struct cpuid v = cpuid(0, 0), x;

	msr_cpu.vendor = VENDOR_OTHER;
	if (v.b == 0x756e6547 && v.d == 0x49656e69 && v.c == 0x6c65746e)
		msr_cpu.vendor = VENDOR_INTEL; /* "GenuineIntel" */
	else if ((v.b == 0x68747541 && v.d == 0x69746e65 &&
		  v.c == 0x444d4163) || /* "AuthenticAMD" */
		 (v.b == 0x6f677948 && v.d == 0x6e65476e &&
		  v.c == 0x656e6975)) /* "HygonGenuine": AMD's rules */
		msr_cpu.vendor = VENDOR_AMD;
	msr_cpu.max_ext = cpuid(0x80000000, 0).a;
	msr_cpu.maxphys = 36;
	msr_cpu.vabits = 0;
	if (msr_cpu.max_ext >= 0x80000001) {
		x = cpuid(0x80000001, 0);
		msr_cpu.lm = x.d & (1u << 29);
		msr_cpu.nx = x.d & (1u << 20);
		msr_cpu.syscall = x.d & (1u << 11);
	}
	if (msr_cpu.max_ext >= 0x80000008) {
		x = cpuid(0x80000008, 0);
		msr_cpu.maxphys = x.a & 0xff;
		msr_cpu.vabits = (x.a >> 8) & 0xff;
	}
	if (msr_cpu.lm && !msr_cpu.vabits)
		msr_cpu.vabits = 48;
}

const char *msr_vendor_name(void)
{
	return msr_cpu.vendor == VENDOR_INTEL ? "Intel"
	       : msr_cpu.vendor == VENDOR_AMD ? "AMD"
					      : "unknown vendor";
}

struct msr_access {
	u32 msr;
	u64 val;
};

PROBE do_rdmsr(void *a)
{
	struct msr_access *m = a;

	m->val = rdmsr(m->msr);
}

PROBE do_wrmsr(void *a)
{
	struct msr_access *m = a;

	wrmsr(m->msr, m->val);
}

int msr_try_read(u32 msr, u64 *v, struct fault *f)
{
	struct msr_access m = {msr, 0};
	int vec = try_call(do_rdmsr, &m, f);

	*v = m.val;
	return vec;
}

int msr_try_write(u32 msr, u64 v, struct fault *f)
{
	struct msr_access m = {msr, v};

	return try_call(do_wrmsr, &m, f);
}

bool msr_expect_write(const char *id, u32 msr, u64 value, bool gp, u64 mask)
{
	struct fault f, g;
	u64 before, after;
	char saw[32];
	int vec;

	if (msr_try_read(msr, &before, &f) != NO_FAULT) {
		return report_result(
			id, false,
			"expected MSR %#x to exist, saw %s on "
			"RDMSR",
			msr,
			outcome_str(saw, sizeof(saw), f.vector, (long)f.error));
	}
	vec = msr_try_write(msr, value, &f);
	msr_try_read(msr, &after, &g);
	msr_try_write(msr, before, &g);
	outcome_str(saw, sizeof(saw), vec, (long)f.error);
	if (gp)
		return report_result(
			id, vec == GP_VECTOR && f.error == 0 && after == before,
			"expected #GP(0) and MSR %#x unchanged writing %#llx, "
			"saw %s, MSR %#llx -> %#llx",
			msr, (unsigned long long)value, saw,
			(unsigned long long)before, (unsigned long long)after);
	return report_result(
		id, vec == NO_FAULT && (after & mask) == (value & mask),
		"expected no exception and %#llx read back from "
		"MSR %#x (mask %#llx), saw %s, read %#llx",
		(unsigned long long)value, msr, (unsigned long long)mask, saw,
		(unsigned long long)after);
}

bool msr_expect_read_gp(const char *id, u32 msr)
{
	struct fault f;
	u64 v;
	char saw[32];
	int vec = msr_try_read(msr, &v, &f);

	return report_result(id, vec == GP_VECTOR && f.error == 0,
			     "expected #GP(0) on RDMSR of %#x, saw %s (%#llx)",
			     msr,
			     outcome_str(saw, sizeof(saw), vec, (long)f.error),
			     (unsigned long long)v);
}

bool msr_expect_write_gp(const char *id, u32 msr, u64 value)
{
	struct fault f;
	char saw[32];
	int vec = msr_try_write(msr, value, &f);

	return report_result(id, vec == GP_VECTOR && f.error == 0,
			     "expected #GP(0) on WRMSR of %#llx to %#x, saw %s",
			     (unsigned long long)value, msr,
			     outcome_str(saw, sizeof(saw), vec, (long)f.error));
}
