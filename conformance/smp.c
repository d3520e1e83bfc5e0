/*
 * conformance.smp: two processors (docs/probes/smp.md). The BSP finds an
 * AP in the ACPI MADT, starts it with INIT-SIPI-SIPI (SDM Vol. 3A 9.4)
 * and runs the areas' checks with it: start-up state, IPIs, NMIs, TLB
 * shootdown, cross-modifying code, LOCK and memory ordering. With one
 * CPU every check is a skip that says so.
 */
#include "pic.h"
#include "smp_probe.h"
#include "x86.h"

POPEK_IMAGE(0, 0);

const char *smp_skip;

bool smp_eq(const char *id, u64 expected, u64 seen)
{
	if (smp_skip) {
		report_skipped(id, "%s", smp_skip);
		return true;
	}
	return report_equal(id, expected, seen);
}

bool smp_check(const char *id, bool pass, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	if (smp_skip) {
		report_skipped(id, "%s", smp_skip);
		return true;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return report_result(id, pass, "%s", buf);
}

bool smp_wait_for(const volatile u32 *p, u32 v)
{
	bool seen;

	sti();
	seen = spin_until(p, v, SMP_TIMEOUT / 10);
	cli();
	return seen;
}

void probe_main(void)
{
	smp_skip = smp_uniprocessor_reason();
	if (!smp_skip) {
		/* the BSP takes IPIs with IF=1: the 8259s must not deliver */
		pic_init();
		lapic_enable();
		report_diag("%d CPUs in the ACPI MADT; BSP APIC ID %u, AP %u",
			    smp_cpus(), smp_apic_id(0), smp_apic_id(AP));
	}
	static void (*const areas[])(void) = {smp_start_checks, smp_ipi_checks,
					      smp_nmi_checks,	smp_lock_checks,
					      smp_order_checks, smp_xmc_checks,
					      smp_tlb_checks};

	for (size_t i = 0; i < ARRAY_SIZE(areas); i++) {
		u64 t0 = rdtsc();

		areas[i]();
		if (!smp_skip)
			report_diag("area %u: %llu Mcycles", (unsigned)i,
				    (unsigned long long)(rdtsc() - t0) >> 20);
	}
	if (!smp_skip)
		smp_park(AP);
}
