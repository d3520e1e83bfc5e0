/*
 * conformance.msr: the access rules of the architectural MSRs (SDM Vol.
 * 2B RDMSR/WRMSR, Vol. 4 Table 2-2; AMD APM Vol. 2 Appendix A). Which
 * MSRs exist, and which bits are valid, is derived from CPUID and the
 * vendor string, never from one host: docs/probes/msr.md.
 */
#include "msr.h"

POPEK_IMAGE(0, 0);

/*
 * Addresses no vendor defines (SDM Vol. 4 Table 2-2 and the per-family
 * tables; APM Vol. 2 Appendix A), away from the hypervisor range
 * 40000000H-4FFFFFFFH: RDMSR and WRMSR raise #GP(0) ("ECX specifies a
 * reserved or unimplemented MSR address", Vol. 2B RDMSR/WRMSR).
 */
static const u32 reserved_msrs[] = {
	0x00002000, 0x0000ffff, 0x00010000, 0x00ffffff, 0x0fffffff,
	0x12345678, 0x20000000, 0x30000000, 0x3fffffff, 0x50000000,
	0x7fffffff, 0x80000000, 0x80000001, 0x9abcdef0, 0xa0000000,
	0xbfffffff, 0xdeadbeef, 0xe0000000, 0xfffffffe, 0xffffffff,
};

#ifdef __x86_64__
struct rcx_access {
	u64 rcx, val;
};

PROBE rdmsr_rcx(void *a)
{
	struct rcx_access *r = a;
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(r->rcx));
	r->val = (u64)hi << 32 | lo;
}

PROBE wrmsr_rcx(void *a)
{
	struct rcx_access *r = a;

	asm volatile("wrmsr"
		     :
		     : "c"(r->rcx), "a"((u32)r->val), "d"((u32)(r->val >> 32))
		     : "memory");
}

/* RCX[63:32] are ignored (Vol. 2B RDMSR/WRMSR, 64-Bit Mode). SYSENTER_CS
 * exists on both vendors wherever SEP is enumerated. */
static void rcx_high(void)
{
	const char *rd = DECLARE_CHECK(
		"conformance.msr.reserved.rcx-high.read",
		"RDMSR ignores RCX[63:32]: 0xffffffff00000174 reads "
		"IA32_SYSENTER_CS");
	const char *wr = DECLARE_CHECK(
		"conformance.msr.reserved.rcx-high.write",
		"WRMSR ignores RCX[63:32]: 0xffffffff00000174 writes "
		"IA32_SYSENTER_CS");
	struct rcx_access r = {0xffffffff00000174ull, 0};
	struct fault f;
	u64 cs;
	char saw[32];
	int vec;

	if (!this_cpu_has(X86_FEATURE(1, 0, 3, 11, "sep"))) {
		report_skipped(rd, "CPUID.1:EDX.SEP is 0");
		report_skipped(wr, "CPUID.1:EDX.SEP is 0");
		return;
	}
	if (msr_try_read(0x174, &cs, &f) != NO_FAULT) {
		report_skipped(rd, "RDMSR of IA32_SYSENTER_CS raised an "
				   "exception (conformance.msr.gated."
				   "sysenter-cs)");
		report_skipped(wr, "the same");
		return;
	}
	wrmsr(0x174, 0x5a8);
	vec = try_call(rdmsr_rcx, &r, &f);
	report_result(rd, vec == NO_FAULT && r.val == 0x5a8,
		      "expected no exception and 0x5a8, saw %s and %#llx",
		      outcome_str(saw, sizeof(saw), vec, (long)f.error),
		      (unsigned long long)r.val);
	r.val = 0x7b0;
	vec = try_call(wrmsr_rcx, &r, &f);
	r.val = rdmsr(0x174);
	wrmsr(0x174, cs);
	report_result(wr, vec == NO_FAULT && r.val == 0x7b0,
		      "expected no exception and 0x7b0 in IA32_SYSENTER_CS, "
		      "saw %s and %#llx",
		      outcome_str(saw, sizeof(saw), vec, (long)f.error),
		      (unsigned long long)r.val);
}
#endif

void msr_reserved(void)
{
	char id[CHECK_ID_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(reserved_msrs); i++) {
		for (int w = 0; w < 2; w++) {
			CHECK_ID(id,
				 "conformance.msr.reserved.{00002000,0000ffff,"
				 "00010000,00ffffff,0fffffff,12345678,20000000,"
				 "30000000,3fffffff,50000000,7fffffff,80000000,"
				 "80000001,9abcdef0,a0000000,bfffffff,deadbeef,"
				 "e0000000,fffffffe,ffffffff}.{read,write}",
				 "{2:RDMSR,WRMSR} of the unimplemented MSR "
				 "{1} raises #GP(0)",
				 (int)i, w);
			if (w)
				msr_expect_write_gp(id, reserved_msrs[i], 0);
			else
				msr_expect_read_gp(id, reserved_msrs[i]);
		}
	}
#ifdef __x86_64__
	rcx_high();
#endif
}

void probe_main(void)
{
	msr_cpu_init();
	report_diag("CPU: %s, max extended leaf %#x, LM %d, NX %d, SYSCALL %d, "
		    "linear %d bits, MAXPHYADDR %d",
		    msr_vendor_name(), msr_cpu.max_ext, msr_cpu.lm, msr_cpu.nx,
		    msr_cpu.syscall, msr_cpu.vabits, msr_cpu.maxphys);
	msr_reserved();
	msr_gated();
	msr_canonical();
	msr_efer();
	msr_pat();
	msr_mtrr();
	msr_x2apic();
}
