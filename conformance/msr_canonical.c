/*
 * conformance.msr.canonical: WRMSR of a non-canonical address to a base
 * or address MSR raises #GP(0) and leaves it unchanged; a canonical one
 * is kept (SDM Vol. 2B WRMSR, "non-canonical address": FS_BASE, GS_BASE,
 * KERNEL_GS_BASE, LSTAR, SYSENTER_EIP, SYSENTER_ESP; APM Vol. 2 and
 * Vol. 3 WRMSR for FS/GS/KernelGS base, LSTAR and CSTAR). The check runs
 * in both widths: it depends on the processor supporting 64-bit mode,
 * not on the mode. Canonical means bits 63:N-1 equal, N the linear-
 * address width CPUID.80000008H:EAX[15:8] reports (48, or 57 with LA57).
 */
#include "msr.h"

struct base_msr {
	u32 msr;
	bool intel, amd; /* the vendor checks canonical form on it */
};

static const struct base_msr bases[] = {
	{0xc0000100, true, true},  {0xc0000101, true, true},
	{0xc0000102, true, true},  {0xc0000082, true, true},
	{0xc0000083, false, true}, {0x00000175, true, false},
	{0x00000176, true, false},
};

void msr_canonical(void)
{
	char id[CHECK_ID_MAX];
	int n = msr_cpu.vabits;
	u64 top = n ? 1ull << (n - 1) : 0;
	/* non-canonical at any width 48..57, then at exactly N; canonical
	 * at N: the highest lower-half page and the lowest upper-half one */
	const u64 values[] = {
		1ull << 63, 0x7fffffffffffffffull,
		1ull << 56, 0xfe00000000000000ull,
		top,	    top - 0x1000,
		~(top - 1),
	};

	for (size_t m = 0; m < ARRAY_SIZE(bases); m++) {
		const struct base_msr *b = &bases[m];
		bool checked = msr_cpu.vendor == VENDOR_AMD ? b->amd : b->intel;

		for (size_t c = 0; c < ARRAY_SIZE(values); c++) {
			CHECK_ID(id,
				 "conformance.msr.canonical.{fs-base,gs-base,"
				 "kernel-gs-base,lstar,cstar,sysenter-esp,"
				 "sysenter-eip}.{bit63,not-bit63,bit56,bits63-"
				 "57,"
				 "lowest-noncanonical,highest-lower,lowest-"
				 "upper}",
				 "WRMSR to {1:IA32_FS_BASE,IA32_GS_BASE,"
				 "IA32_KERNEL_GS_BASE,IA32_LSTAR,CSTAR,"
				 "IA32_SYSENTER_ESP,IA32_SYSENTER_EIP} of "
				 "{2:1 << 63,0x7fff...ffff,1 << 56,bits 63:57 "
				 "set,"
				 "1 << (N - 1),(1 << (N - 1)) - 0x1000,"
				 "-(1 << (N - 1))} {2:raises #GP(0),raises "
				 "#GP(0),"
				 "raises #GP(0),raises #GP(0),raises #GP(0),"
				 "is kept,is kept}",
				 (int)m, (int)c);
			if (!msr_cpu.lm) {
				report_skipped(id, "no 64-bit mode (CPUID."
						   "80000001H:EDX.LM is 0): "
						   "no canonical rule");
				continue;
			}
			if (!checked) {
				report_skipped(id,
					       "%s: the vendor does not "
					       "document a canonical check on "
					       "MSR %#x",
					       msr_vendor_name(), b->msr);
				continue;
			}
			msr_expect_write(id, b->msr, values[c], c < 5, ~0ull);
		}
	}
}
