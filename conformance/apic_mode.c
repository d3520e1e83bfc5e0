/*
 * conformance.apic.base, .id, .version, .mode: IA32_APIC_BASE and the
 * states it selects (SDM Vol. 3A 12.4.3-12.4.4, 12.12.5 "x2APIC State
 * Transitions"; APM Vol. 2 16.3.1). After power-up the APIC is enabled,
 * in xAPIC mode, at FEE00000H; bits 7:0, 9, 10 (without x2APIC) and
 * MAXPHYADDR-63 are reserved and a WRMSR setting one raises #GP(0). EN=0
 * with EXTD=1 is invalid (#GP(0)); disabled to x2APIC and x2APIC to
 * xAPIC are illegal transitions (#GP(0)). The transitions that disable
 * the APIC run last (apic_mode_last): a monitor that cannot re-enable
 * it loses only those checks.
 */
#include "apic.h"

static u32 version_at_entry;

static bool skip_all(const char *id)
{
	if (!apic.skip)
		return false;
	report_skipped(id, "%s", apic.skip);
	return true;
}

static void entry_state(void)
{
	const char *id;

	id = DECLARE_CHECK("conformance.apic.base.en",
			   "IA32_APIC_BASE.EN (bit 11) is 1: enabled after "
			   "power-up (Vol. 3A 12.4.4)");
	if (!this_cpu_has(FEAT_APIC))
		report_skipped(id, "CPUID.1:EDX.APIC is 0");
	else
		report_result(id, apic.base & APIC_BASE_EN,
			      "expected EN=1, saw IA32_APIC_BASE %#llx",
			      (unsigned long long)apic.base);
	id = DECLARE_CHECK("conformance.apic.base.bsp",
			   "IA32_APIC_BASE.BSP (bit 8) is 1 on the only "
			   "processor");
	if (!skip_all(id))
		report_result(id, apic.base & APIC_BASE_BSP,
			      "expected BSP=1, saw %#llx",
			      (unsigned long long)apic.base);
	id = DECLARE_CHECK("conformance.apic.base.address",
			   "IA32_APIC_BASE[MAXPHYADDR-1:12] is FEE00000H "
			   "after power-up");
	if (!skip_all(id))
		report_equal(id, APIC_MMIO, apic.base & ~0xfffull);
	id = DECLARE_CHECK("conformance.apic.base.xapic-mode",
			   "IA32_APIC_BASE.EXTD (bit 10) is 0: xAPIC mode "
			   "after reset (Vol. 3A 12.12.5)");
	if (!skip_all(id))
		report_equal(id, 0, apic.base & APIC_BASE_EXTD);
	id = DECLARE_CHECK("conformance.apic.base.rewrite",
			   "WRMSR of IA32_APIC_BASE's own value raises "
			   "nothing and changes nothing");
	if (!skip_all(id))
		msr_expect_write(id, MSR_APIC_BASE, apic.base, false, ~0ull);
}

/* Bits 7:0 and 9 reserved on both vendors; 10 is EXTD only with x2APIC. */
static void reserved_low(void)
{
	static const u8 bits[] = {0, 1, 2, 3, 4, 5, 6, 7, 9, 10};
	char id[CHECK_ID_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(bits); i++) {
		CHECK_ID(id,
			 "conformance.apic.base.reserved.bit{0,1,2,3,4,5,6,7,"
			 "9,10}",
			 "WRMSR setting reserved IA32_APIC_BASE bit {1} "
			 "raises #GP(0) and leaves the MSR (bit 10: without "
			 "x2APIC)",
			 (int)i);
		if (skip_all(id))
			continue;
		if (bits[i] == 10 && apic.x2apic) {
			report_skipped(id,
				       "CPUID.1:ECX.x2APIC is 1: bit 10 "
				       "is EXTD (conformance.apic.x2apic.*)");
			continue;
		}
		msr_expect_write(id, MSR_APIC_BASE, apic.base | 1ull << bits[i],
				 true, 0);
	}
}

/* Bits MAXPHYADDR-63; below MAXPHYADDR they move the APIC: not probed. */
static void reserved_high(void)
{
	char id[CHECK_ID_MAX];

	for (int b = 32; b < 64; b++) {
		CHECK_ID(id, "conformance.apic.base.reserved.bit{32..63}",
			 "WRMSR setting IA32_APIC_BASE bit {1} raises #GP(0) "
			 "when it is at or above MAXPHYADDR",
			 b);
		if (skip_all(id))
			continue;
		if (b < msr_cpu.maxphys) {
			report_skipped(id,
				       "bit %d is a base-address bit below "
				       "MAXPHYADDR %d",
				       b, msr_cpu.maxphys);
			continue;
		}
		msr_expect_write(id, MSR_APIC_BASE, apic.base | 1ull << b, true,
				 0);
	}
}

/* The ID register's bits 31:24 are the initial APIC ID (Vol. 3A 12.4.6). */
static void id_version(void)
{
	const char *id;
	u32 v, w;

	id = DECLARE_CHECK("conformance.apic.id.initial",
			   "the xAPIC ID register's bits 31:24 equal "
			   "CPUID.1:EBX[31:24], the initial APIC ID");
	if (!skip_all(id))
		report_equal(id, apic.initial_id, apic_read(APIC_ID) >> 24);
	id = DECLARE_CHECK("conformance.apic.id.leaf-0b",
			   "the low 8 bits of the x2APIC ID (CPUID.0BH:EDX) "
			   "equal the initial APIC ID (Vol. 3A 12.12.5.1)");
	if (!apic.has_leaf_b)
		report_skipped(id, "CPUID leaf 0BH is not reported");
	else
		report_equal(id, apic.initial_id, apic.x2apic_id & 0xff);
	if (apic.skip) {
		version_at_entry = 0;
	} else {
		version_at_entry = apic_read(APIC_VERSION);
	}
	v = version_at_entry;
	id = DECLARE_CHECK("conformance.apic.version.integrated",
			   "the version register's bits 7:0 are 1XH, an "
			   "integrated APIC (Vol. 3A 12.4.8)");
	if (!skip_all(id))
		report_result(id, (v & 0xf0) == 0x10,
			      "expected version 10H-1FH, saw %#x (register "
			      "%#x)",
			      v & 0xff, v);
	id = DECLARE_CHECK("conformance.apic.version.max-lvt",
			   "the version register's Max LVT Entry (bits "
			   "23:16) is 3-6: timer, LINT0, LINT1 and error at "
			   "least, CMCI at most");
	if (!skip_all(id))
		report_result(id, apic.max_lvt >= 3 && apic.max_lvt <= 6,
			      "expected 3-6, saw %d (register %#x)",
			      apic.max_lvt, v);
	id = DECLARE_CHECK("conformance.apic.version.cmci",
			   "with IA32_MCG_CAP.MCG_CMCI_P (bit 10) the "
			   "version register counts the CMCI LVT entry: Max "
			   "LVT Entry >= 6 (Vol. 3B 17.5.1)");
	if (!skip_all(id)) {
		struct fault f;
		u64 cap = 0;

		if (!(cpuid(1, 0).d & (1u << 14)) ||
		    msr_try_read(0x179, &cap, &f) != NO_FAULT ||
		    !(cap & (1u << 10)))
			report_skipped(id, "no CMCI: CPUID.1:EDX.MCA or "
					   "IA32_MCG_CAP[10] is 0");
		else
			report_result(id, apic.max_lvt >= 6,
				      "expected Max LVT Entry >= 6, saw %d",
				      apic.max_lvt);
	}
	id = DECLARE_CHECK("conformance.apic.version.read-only",
			   "a write to the xAPIC version register leaves it");
	if (!skip_all(id)) {
		apic_write(APIC_VERSION, ~v);
		w = apic_read(APIC_VERSION);
		report_equal(id, v, w);
	}
	id = DECLARE_CHECK("conformance.apic.version.eoi-suppress",
			   "SVR bit 12 (suppress EOI broadcasts) is writable "
			   "exactly when version bit 24 says so (Vol. 3A "
			   "12.9)");
	if (!skip_all(id)) {
		u32 svr = apic_read(APIC_SVR);

		apic_write(APIC_SVR, svr | 1u << 12);
		w = apic_read(APIC_SVR);
		apic_write(APIC_SVR, svr);
		report_result(id, !!(w & 1u << 12) == !!(v & 1u << 24),
			      "version %#x (bit 24 %d), SVR bit 12 read back "
			      "%d",
			      v, !!(v & 1u << 24), !!(w & 1u << 12));
	}
	apic_reset_state();
}

void apic_mode(void)
{
	entry_state();
	reserved_low();
	reserved_high();
	id_version();
}

/* WRMSR IA32_APIC_BASE = value, expecting #GP(0) (gp) or acceptance. */
static bool base_write(const char *id, u64 value, bool gp)
{
	struct fault f;
	u64 after = 0;
	char saw[32];
	int vec = msr_try_write(MSR_APIC_BASE, value, &f);

	msr_try_read(MSR_APIC_BASE, &after, &f);
	outcome_str(saw, sizeof(saw), vec, (long)f.error);
	if (gp)
		return report_result(id, vec == GP_VECTOR,
				     "expected #GP(0) writing %#llx, saw %s "
				     "(MSR now %#llx)",
				     (unsigned long long)value, saw,
				     (unsigned long long)after);
	return report_result(id, vec == NO_FAULT && after == value,
			     "expected %#llx accepted, saw %s, MSR %#llx",
			     (unsigned long long)value, saw,
			     (unsigned long long)after);
}

void apic_mode_last(void)
{
	u64 base = apic.base & ~(APIC_BASE_EXTD | APIC_BASE_EN);
	const char *id, *skip = apic.skip ? apic.skip : apic_no_mode_change();

	id = DECLARE_CHECK("conformance.apic.mode.invalid",
			   "WRMSR of EN=0 EXTD=1 (the invalid state) raises "
			   "#GP(0) (Vol. 3A 12.12.5)");
	if (skip)
		report_skipped(id, "%s", skip);
	else
		base_write(id, base | APIC_BASE_EXTD, true);
	id = DECLARE_CHECK("conformance.apic.mode.disable",
			   "WRMSR of EN=0 EXTD=0 disables the APIC, from "
			   "xAPIC or x2APIC mode");
	if (skip) {
		report_skipped(id, "%s", skip);
		report_skip("conformance.apic.mode.disabled-cpuid",
			    "while IA32_APIC_BASE.EN=0, CPUID.1:EDX.APIC is 0 "
			    "(Vol. 3A 12.4.3)",
			    "%s", skip);
		report_skip("conformance.apic.mode.disabled-invalid",
			    "from disabled, WRMSR of EN=0 EXTD=1 raises #GP(0)",
			    "%s", skip);
		report_skip(
			"conformance.apic.mode.disabled-to-x2apic",
			"from disabled, WRMSR of EN=1 EXTD=1 raises #GP(0): "
			"x2APIC mode is entered from xAPIC mode only",
			"%s", skip);
		report_skip("conformance.apic.mode.reenable",
			    "from disabled, WRMSR of EN=1 EXTD=0 enables the "
			    "APIC again in xAPIC mode (FSB processors, Vol. 3A "
			    "12.4.3)",
			    "%s", skip);
		report_skip("conformance.apic.mode.reenable-cpuid",
			    "re-enabled, CPUID.1:EDX.APIC is 1 again", "%s",
			    skip);
		report_skip("conformance.apic.mode.reenable-version",
			    "re-enabled, the xAPIC version register reads as "
			    "before (reset leaves it, Vol. 3A 12.12.5.1)",
			    "%s", skip);
		return;
	}
	cli();
	apic_reset_state();
	base_write(id, base, false);
	apic.x2mode = false;
	report_eq("conformance.apic.mode.disabled-cpuid",
		  "while IA32_APIC_BASE.EN=0, CPUID.1:EDX.APIC is 0 (Vol. 3A "
		  "12.4.3)",
		  0, cpuid(1, 0).d & (1u << 9));
	base_write(DECLARE_CHECK("conformance.apic.mode.disabled-invalid",
				 "from disabled, WRMSR of EN=0 EXTD=1 raises "
				 "#GP(0)"),
		   base | APIC_BASE_EXTD, true);
	id = DECLARE_CHECK("conformance.apic.mode.disabled-to-x2apic",
			   "from disabled, WRMSR of EN=1 EXTD=1 raises "
			   "#GP(0): x2APIC mode is entered from xAPIC mode "
			   "only");
	if (!apic.x2apic)
		report_skipped(id, "CPUID.1:ECX.x2APIC is 0 (EXTD is a "
				   "reserved bit: conformance.apic.base."
				   "reserved.bit10)");
	else
		base_write(id, base | APIC_BASE_EN | APIC_BASE_EXTD, true);
	base_write(
		DECLARE_CHECK("conformance.apic.mode.reenable",
			      "from disabled, WRMSR of EN=1 EXTD=0 enables "
			      "the APIC again in xAPIC mode (FSB processors, "
			      "Vol. 3A 12.4.3)"),
		base | APIC_BASE_EN, false);
	report_eq("conformance.apic.mode.reenable-cpuid",
		  "re-enabled, CPUID.1:EDX.APIC is 1 again", 1u << 9,
		  cpuid(1, 0).d & (1u << 9));
	id = DECLARE_CHECK("conformance.apic.mode.reenable-version",
			   "re-enabled, the xAPIC version register reads as "
			   "before (reset leaves it, Vol. 3A 12.12.5.1)");
	if (rdmsr(MSR_APIC_BASE) & APIC_BASE_EN)
		report_equal(id, version_at_entry, apic_read(APIC_VERSION));
	else
		report_skipped(id, "the APIC stayed disabled "
				   "(conformance.apic.mode.reenable)");
}
