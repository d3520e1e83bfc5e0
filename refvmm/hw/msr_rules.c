#include "refvmm/msr_rules.h"

bool msr_canonical(u64 v, int vabits)
{
	s64 top = (s64)v >> (vabits - 1);

	return top == 0 || top == -1;
}

/* PAT entries: 0, 1, 4-7 valid; 2, 3 and 8-255 reserved. */
static bool pat_valid(u64 v)
{
	for (int i = 0; i < 8; i++) {
		u8 t = (u8)(v >> (i * 8));

		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}

bool msr_write_faults(u32 msr, u64 v, bool intel, int vabits)
{
	switch (msr) {
	case MSR_RULES_PAT:
		return !pat_valid(v);
	case MSR_RULES_SYSENTER_ESP:
	case MSR_RULES_SYSENTER_EIP:
		return intel && !msr_canonical(v, vabits);
	default:
		return false;
	}
}
