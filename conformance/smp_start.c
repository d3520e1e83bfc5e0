/*
 * conformance.smp.start: INIT-SIPI-SIPI (SDM Vol. 3A 9.4.4) and what the
 * architecture pins down about the AP it starts: the real-mode entry at
 * CS = vector << 8, IP = 0 (9.4.4.1, 10.1.4), the register state after
 * INIT (Table 10-1), its APIC ID and IA32_APIC_BASE.BSP (9.4.1, 12.4.4).
 * The trampoline records the entry state before it changes anything
 * (guest/smp_tramp.S).
 */
#include "smp_probe.h"
#include "x86.h"

/* A second page for the restart: another vector, another CS. */
#define RESTART_PAGE 0x9000
/* The page of a SIPI sent to the AP while it runs. */
#define STALE_PAGE 0xa000

static void ap_nothing(void *arg)
{
	(void)arg;
}

/*
 * A SIPI reaches a processor that is not in the wait-for-SIPI state: it
 * is ignored (SDM Vol. 3A 9.4.4.1, 12.6.1 "Start-Up"), then and after the
 * next INIT, which leaves the AP waiting for a SIPI of its own.
 */
static void stale_sipi_checks(void)
{
	u32 running = 0, after_init = 0;

	if (!smp_skip) {
		smp_tramp_install(STALE_PAGE);
		lapic_ipi(smp_apic_id(AP), ICR_STARTUP | (STALE_PAGE >> 12));
		delay_us(1000);
		smp_call(AP, ap_nothing, NULL);
		running = smp_tramp(STALE_PAGE)->entries;
		smp_park(AP);
		delay_us(20000);
		after_init = smp_tramp(STALE_PAGE)->entries;
	}
	SMP_EQ("conformance.smp.start.stale-sipi.running",
	       "A SIPI to an AP that runs is ignored: the AP goes on with its "
	       "work and never enters the vector's page (SDM Vol. 3A "
	       "9.4.4.1)",
	       0, running);
	SMP_EQ("conformance.smp.start.stale-sipi.after-init",
	       "A SIPI ignored while the AP ran is not kept for later: after "
	       "the next INIT the AP waits for a new SIPI and does not enter "
	       "the old vector's page (SDM Vol. 3A 9.4.4.1, 12.6.1)",
	       0, after_init);
}

static void init_state_checks(volatile struct smp_tramp_data *td, u32 sig)
{
	u32 gpr[] = {td->eax, td->ebx, td->ecx, td->esi,
		     td->edi, td->ebp, td->esp};
	u32 seg[] = {td->ds, td->es, td->fs, td->gs, td->ss};
	char id[CHECK_ID_MAX];

	SMP_EQ("conformance.smp.start.init.cs",
	       "The AP starts at CS = SIPI vector << 8 (SDM Vol. 3A 9.4.4.1)",
	       SMP_TRAMP_PAGE >> 4, td->cs);
	SMP_EQ("conformance.smp.start.init.ip",
	       "The AP starts at IP 0 of the SIPI vector's page (SDM Vol. 3A "
	       "9.4.4.1)",
	       0, td->ip);
	SMP_EQ("conformance.smp.start.init.cr0",
	       "After INIT the AP's CR0 is 60000010H (SDM Vol. 3A Table 10-1)",
	       0x60000010, td->cr0);
	SMP_EQ("conformance.smp.start.init.eflags",
	       "After INIT the AP's EFLAGS is 00000002H (SDM Vol. 3A Table "
	       "10-1)",
	       2, td->eflags);
	SMP_EQ("conformance.smp.start.init.edx",
	       "After INIT the AP's EDX holds the processor signature, "
	       "CPUID.1:EAX (SDM Vol. 3A 10.1.4, Table 10-1)",
	       sig, td->edx);
	SMP_EQ("conformance.smp.start.init.dr6",
	       "After INIT the AP's DR6 is FFFF0FF0H (SDM Vol. 3A Table 10-1)",
	       0xffff0ff0, td->dr6);
	SMP_EQ("conformance.smp.start.init.dr7",
	       "After INIT the AP's DR7 is 00000400H (SDM Vol. 3A Table 10-1)",
	       0x400, td->dr7);
	SMP_EQ("conformance.smp.start.init.cr2",
	       "After INIT the AP's CR2 is 0 (SDM Vol. 3A Table 10-1)", 0,
	       td->cr2);
	SMP_EQ("conformance.smp.start.init.cr3",
	       "After INIT the AP's CR3 is 0 (SDM Vol. 3A Table 10-1)", 0,
	       td->cr3);
	SMP_EQ("conformance.smp.start.init.cr4",
	       "After INIT the AP's CR4 is 0 (SDM Vol. 3A Table 10-1)", 0,
	       td->cr4);
	for (int i = 0; i < 7; i++)
		smp_eq(CHECK_ID(
			       id,
			       "conformance.smp.start.init.{eax,ebx,ecx,esi,"
			       "edi,ebp,esp}",
			       "After INIT the AP's {1:EAX,EBX,ECX,ESI,EDI,EBP,"
			       "ESP} is 0 (SDM Vol. 3A Table 10-1)",
			       i),
		       0, gpr[i]);
	for (int i = 0; i < 5; i++)
		smp_eq(CHECK_ID(id,
				"conformance.smp.start.init.{ds,es,fs,gs,ss}",
				"After INIT the AP's {1:DS,ES,FS,GS,SS} "
				"selector "
				"is 0 (SDM Vol. 3A Table 10-1)",
				i),
		       0, seg[i]);
	SMP_EQ("conformance.smp.start.init.gdtr",
	       "After INIT the AP's GDTR has base 0, limit FFFFH (SDM Vol. 3A "
	       "Table 10-1); value base << 16 | limit",
	       0xffff, (u64)td->sgdt_base << 16 | td->sgdt_limit);
	SMP_EQ("conformance.smp.start.init.idtr",
	       "After INIT the AP's IDTR has base 0, limit FFFFH (SDM Vol. 3A "
	       "Table 10-1); value base << 16 | limit",
	       0xffff, (u64)td->sidt_base << 16 | td->sidt_limit);
}

static void bsp_ap_checks(void)
{
	const struct smp_ap_info *ap = smp_ap_info(AP);
	u64 bsp_base = smp_skip ? 0 : rdmsr(MSR_APIC_BASE);
	u32 bsp_id = smp_skip ? 0 : lapic_id();
	u32 bsp_cpuid = cpuid(1, 0).b >> 24;

	SMP_CHECK("conformance.smp.start.apic-id.differs",
		  "The AP's APIC ID differs from the BSP's (SDM Vol. 3A 9.4.1)",
		  ap->apic_id != bsp_id,
		  "expected an APIC ID other than the BSP's %u, saw %u", bsp_id,
		  ap->apic_id);
	SMP_EQ("conformance.smp.start.apic-id.madt",
	       "The AP that starts has the APIC ID the INIT and SIPI were "
	       "sent to (the ACPI MADT's; SDM Vol. 3A 12.6.1)",
	       smp_skip ? 0 : smp_apic_id(AP), ap->apic_id);
	SMP_EQ("conformance.smp.start.apic-id.cpuid-ap",
	       "On the AP, CPUID.1:EBX[31:24] is its APIC ID register's "
	       "[31:24] (SDM Vol. 2A CPUID, Vol. 3A 12.4.6)",
	       ap->apic_id, ap->cpuid_apic_id);
	SMP_EQ("conformance.smp.start.apic-id.cpuid-bsp",
	       "On the BSP, CPUID.1:EBX[31:24] is its APIC ID register's "
	       "[31:24] (SDM Vol. 2A CPUID, Vol. 3A 12.4.6)",
	       bsp_id, bsp_cpuid);
	SMP_EQ("conformance.smp.start.apic-base.bsp-flag.ap",
	       "The AP's IA32_APIC_BASE.BSP (bit 8) is 0 (SDM Vol. 3A 9.4.1, "
	       "12.4.4)",
	       0, ap->apic_base & APIC_BASE_BSP);
	SMP_EQ("conformance.smp.start.apic-base.bsp-flag.bsp",
	       "The BSP's IA32_APIC_BASE.BSP (bit 8) is 1 (SDM Vol. 3A 9.4.1, "
	       "12.4.4)",
	       APIC_BASE_BSP, bsp_base & APIC_BASE_BSP);
	SMP_EQ("conformance.smp.start.apic-base.enabled",
	       "The AP's IA32_APIC_BASE.EN (bit 11) is 1: INIT leaves it "
	       "(SDM Vol. 3A 12.4.3, 12.4.7.3)",
	       APIC_BASE_ENABLE, ap->apic_base & APIC_BASE_ENABLE);
	SMP_EQ("conformance.smp.start.apic-base.address",
	       "The AP's IA32_APIC_BASE address is the BSP's, neither was "
	       "moved (SDM Vol. 3A 12.4.4)",
	       bsp_base & ~0xfffull, ap->apic_base & ~0xfffull);
	SMP_EQ("conformance.smp.start.signature",
	       "The AP's CPUID.1:EAX is the BSP's processor signature",
	       cpuid(1, 0).a, ap->cpuid1_eax);
}

void smp_start_checks(void)
{
	struct smp_start s = {0}, r = {0};
	volatile struct smp_tramp_data *td = smp_tramp(SMP_TRAMP_PAGE);
	static struct smp_tramp_data zero;

	if (!smp_skip)
		smp_start_ap(AP, SMP_TRAMP_PAGE, &s);
	else
		td = &zero;
	if (!SMP_CHECK("conformance.smp.start.started",
		       "INIT-SIPI-SIPI starts the AP: it reaches the "
		       "trampoline's C entry (SDM Vol. 3A 9.4.4)",
		       s.started,
		       "expected AP %d to start, saw nothing in %llu cycles",
		       AP, (unsigned long long)s.waited))
		report_bail("no AP: the remaining checks need one");
	SMP_CHECK("conformance.smp.start.icr-idle.init",
		  "The ICR's delivery status returns to idle after the INIT "
		  "(SDM Vol. 3A 12.6.1)",
		  s.init_idle, "expected idle, saw send pending");
	SMP_CHECK("conformance.smp.start.icr-idle.sipi",
		  "The ICR's delivery status returns to idle after each SIPI "
		  "(SDM Vol. 3A 12.6.1)",
		  s.sipi_idle, "expected idle, saw send pending");
	SMP_EQ("conformance.smp.start.entries",
	       "The AP runs the trampoline once: the second SIPI finds it "
	       "out of wait-for-SIPI and is ignored (SDM Vol. 3A 9.4.4.1)",
	       1, td->entries);
	init_state_checks(td, cpuid(1, 0).a);
	bsp_ap_checks();

	/* INIT-SIPI-SIPI again, at another vector: the AP, which ran in
	 * protected/long mode before, starts over there. */
	if (!smp_skip) {
		smp_start_ap(AP, RESTART_PAGE, &r);
		td = smp_tramp(RESTART_PAGE);
		report_diag("restart: the page of the first start was "
			    "entered %u times",
			    smp_tramp(SMP_TRAMP_PAGE)->entries);
	}
	SMP_CHECK("conformance.smp.start.restart.started",
		  "INIT-SIPI-SIPI starts the AP a second time (SDM Vol. 3A "
		  "9.4.4)",
		  r.started,
		  "expected AP %d to start again, saw nothing in %llu cycles",
		  AP, (unsigned long long)r.waited);
	SMP_EQ("conformance.smp.start.restart.entries",
	       "The restarted AP enters the new vector's page once (SDM Vol. "
	       "3A 9.4.4.1)",
	       1, td->entries);
	SMP_EQ("conformance.smp.start.restart.cs",
	       "The restarted AP starts at CS = the new vector << 8 (SDM "
	       "Vol. 3A 9.4.4.1)",
	       RESTART_PAGE >> 4, td->cs);
	SMP_EQ("conformance.smp.start.restart.cr0",
	       "The restarted AP, which had PE and PG set, starts with CR0 "
	       "60000010H (SDM Vol. 3A Table 10-1)",
	       0x60000010, td->cr0);
	SMP_EQ("conformance.smp.start.restart.eflags",
	       "The restarted AP, which had IF set, starts with EFLAGS "
	       "00000002H (SDM Vol. 3A Table 10-1)",
	       2, td->eflags);
	SMP_EQ("conformance.smp.start.restart.dr7",
	       "The restarted AP starts with DR7 00000400H (SDM Vol. 3A "
	       "Table 10-1)",
	       0x400, td->dr7);
	stale_sipi_checks();
	/* The stale-SIPI checks leave the AP in wait-for-SIPI: start it again
	 * for the other areas. */
	if (!smp_skip)
		smp_start_ap(AP, SMP_TRAMP_PAGE, &r);
	SMP_CHECK(
		"conformance.smp.start.after-stale.started",
		"After the ignored SIPI and an INIT, INIT-SIPI-SIPI starts the "
		"AP again (SDM Vol. 3A 9.4.4)",
		r.started,
		"expected AP %d to start again, saw nothing in %llu cycles", AP,
		(unsigned long long)r.waited);
	if (!r.started && !smp_skip)
		report_bail("no AP: the remaining checks need one");
	SMP_EQ("conformance.smp.start.after-stale.entries",
	       "The AP enters the page of the new SIPI once, not the page "
	       "of the ignored one (SDM Vol. 3A 9.4.4.1)",
	       1, smp_tramp(SMP_TRAMP_PAGE)->entries);
}
