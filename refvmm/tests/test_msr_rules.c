/* The WRMSR rules hw mode adds to KVM's (refvmm/msr_rules.h). */
#include "refvmm/msr_rules.h"

#include <criterion/criterion.h>

Test(msr_rules, canonical_at_48_and_57_bits)
{
	cr_assert(msr_canonical(0x00007ffffffff000ull, 48));
	cr_assert(msr_canonical(0xffff800000000000ull, 48));
	cr_assert_not(msr_canonical(0x0000800000000000ull, 48));
	cr_assert(msr_canonical(0x0000800000000000ull, 57));
	cr_assert_not(msr_canonical(0x0100000000000000ull, 57));
	cr_assert(msr_canonical(0xff00000000000000ull, 57));
	cr_assert_not(msr_canonical(0x8000000000000000ull, 57));
}

Test(msr_rules, pat_types)
{
	u64 reset = 0x0007040600070406ull; /* the power-up PAT */

	cr_assert_not(msr_write_faults(MSR_RULES_PAT, reset, true, 48));
	for (int e = 0; e < 8; e++) {
		u64 clear = reset & ~(0xffull << (e * 8));

		cr_assert(msr_write_faults(
			MSR_RULES_PAT, clear | (2ull << (e * 8)), true, 48));
		cr_assert(msr_write_faults(
			MSR_RULES_PAT, clear | (3ull << (e * 8)), true, 48));
		cr_assert(msr_write_faults(
			MSR_RULES_PAT, clear | (8ull << (e * 8)), true, 48));
		cr_assert_not(msr_write_faults(
			MSR_RULES_PAT, clear | (7ull << (e * 8)), true, 48));
	}
}

Test(msr_rules, sysenter_canonical_on_intel_only)
{
	u64 bad = 0x8000000000000000ull;

	cr_assert(msr_write_faults(MSR_RULES_SYSENTER_EIP, bad, true, 48));
	cr_assert(msr_write_faults(MSR_RULES_SYSENTER_ESP, bad, true, 57));
	cr_assert_not(msr_write_faults(MSR_RULES_SYSENTER_EIP, bad, false, 48));
	cr_assert_not(msr_write_faults(MSR_RULES_SYSENTER_ESP,
				       0xffffffff80001000ull, true, 48));
	cr_assert_not(msr_write_faults(0x174, bad, true, 48));
}
