/* CPUID-based feature tests (SDM Vol. 2A, CPUID). */
#include "x86.h"

bool this_cpu_has(struct x86_feature f)
{
	u32 max = cpuid(f.leaf & 0x80000000, 0).a;
	struct cpuid r;
	u32 reg;

	if (f.leaf > max)
		return false;
	r = cpuid(f.leaf, f.subleaf);
	reg = f.reg == 0 ? r.a : f.reg == 1 ? r.b : f.reg == 2 ? r.c : r.d;
	return reg & (1u << f.bit);
}
