/*
 * conformance.smp.nmi: NMI IPIs (ICR delivery mode 100b, SDM Vol. 3A
 * 12.6.1): taken on the destination whatever its IF (6.8.1), once, not
 * by the sender; and NMI blocking: a second NMI that arrives while the
 * handler of the first runs is held until its IRET, then taken (6.7.1).
 */
#include "ex_regs.h"
#include "fault.h"
#include "smp_probe.h"
#include "x86.h"

static volatile u32 nmis[SMP_MAX_CPUS], depth[SMP_MAX_CPUS],
	max_depth[SMP_MAX_CPUS];
static volatile u32 hold, holding, release, seen_while_held;

static void nmi_handler(struct ex_regs *r)
{
	int c = smp_this_cpu();

	(void)r;
	if (c < 0)
		return;
	if (++depth[c] > max_depth[c])
		max_depth[c] = depth[c];
	nmis[c]++;
	if (hold && c == AP) {
		hold = 0;
		holding = 1;
		spin_until(&release, 1, SMP_TIMEOUT);
		delay_us(2000);
		seen_while_held = nmis[c];
	}
	depth[c]--;
}

static void reset(void)
{
	for (int c = 0; c < SMP_MAX_CPUS; c++)
		nmis[c] = depth[c] = max_depth[c] = 0;
}

static volatile u32 ap_ready;
static u32 ap_got;

/* The AP waits for the BSP's NMI with IF=0. */
static void ap_wait_nmi(void *arg)
{
	(void)arg;
	cli();
	ap_ready = 1;
	spin_until(&nmis[AP], 1, SMP_TIMEOUT / 10);
	delay_us(2000);
	ap_got = nmis[AP];
}

static bool ap_idle;
static void ap_send_nmi(void *arg)
{
	ap_idle = lapic_ipi(*(u32 *)arg, ICR_NMI);
}

static void to_ap(void)
{
	bool idle = false;

	if (!smp_skip) {
		reset();
		ap_ready = 0;
		smp_post(AP, ap_wait_nmi, NULL);
		spin_until(&ap_ready, 1, SMP_TIMEOUT);
		idle = lapic_ipi(smp_apic_id(AP), ICR_NMI);
		smp_wait(AP, SMP_TIMEOUT);
	}
	SMP_EQ("conformance.smp.nmi.bsp-to-ap.ap-count",
	       "An NMI IPI from the BSP is taken once by the AP although its "
	       "IF is 0 (SDM Vol. 3A 6.8.1, 12.6.1)",
	       1, ap_got);
	SMP_EQ("conformance.smp.nmi.bsp-to-ap.bsp-count",
	       "An NMI IPI from the BSP to the AP is not taken by the BSP", 0,
	       nmis[0]);
	SMP_CHECK("conformance.smp.nmi.bsp-to-ap.icr-idle",
		  "After an NMI IPI the BSP's ICR delivery status returns to "
		  "idle (SDM Vol. 3A 12.6.1)",
		  idle, "expected idle, saw send pending");
}

static void to_bsp(void)
{
	u32 dest = smp_skip ? 0 : smp_apic_id(0), got = 0;

	if (!smp_skip) {
		reset();
		ap_idle = false;
		cli();
		smp_post(AP, ap_send_nmi, &dest);
		spin_until(&nmis[0], 1, SMP_TIMEOUT / 10);
		smp_wait(AP, SMP_TIMEOUT);
		delay_us(2000);
		got = nmis[0];
	}
	SMP_EQ("conformance.smp.nmi.ap-to-bsp.bsp-count",
	       "An NMI IPI from the AP is taken once by the BSP although its "
	       "IF is 0 (SDM Vol. 3A 6.8.1, 12.6.1)",
	       1, got);
	SMP_EQ("conformance.smp.nmi.ap-to-bsp.ap-count",
	       "An NMI IPI from the AP to the BSP is not taken by the AP", 0,
	       nmis[AP]);
	SMP_CHECK("conformance.smp.nmi.ap-to-bsp.icr-idle",
		  "After an NMI IPI the AP's ICR delivery status returns to "
		  "idle (SDM Vol. 3A 12.6.1)",
		  ap_idle, "expected idle, saw send pending");
}

static void all_but_self(void)
{
	if (!smp_skip) {
		reset();
		lapic_ipi(0, ICR_NMI | ICR_ALL_BUT_SELF);
		spin_until(&nmis[AP], 1, SMP_TIMEOUT / 10);
		delay_us(2000);
	}
	SMP_EQ("conformance.smp.nmi.all-but-self.ap-count",
	       "An NMI IPI with shorthand all excluding self from the BSP is "
	       "taken once by the AP (SDM Vol. 3A 12.6.1)",
	       1, nmis[AP]);
	SMP_EQ("conformance.smp.nmi.all-but-self.bsp-count",
	       "An NMI IPI with shorthand all excluding self is not taken by "
	       "its sender (SDM Vol. 3A 12.6.1)",
	       0, nmis[0]);
}

static void blocking(void)
{
	u32 total = 0;

	if (!smp_skip) {
		reset();
		holding = release = seen_while_held = 0;
		hold = 1;
		lapic_ipi(smp_apic_id(AP), ICR_NMI);
		if (!spin_until(&holding, 1, SMP_TIMEOUT))
			report_bail("expected the AP's NMI handler to run, saw "
				    "nothing");
		lapic_ipi(smp_apic_id(AP), ICR_NMI);
		release = 1;
		spin_until(&nmis[AP], 2, SMP_TIMEOUT / 10);
		delay_us(2000);
		total = nmis[AP];
	}
	SMP_EQ("conformance.smp.nmi.blocking.held",
	       "An NMI that arrives while the AP runs its NMI handler is not "
	       "taken before the handler's IRET (SDM Vol. 3A 6.7.1)",
	       1, seen_while_held);
	SMP_EQ("conformance.smp.nmi.blocking.after-iret",
	       "The held NMI is taken after the IRET: two in all (SDM Vol. 3A "
	       "6.7.1)",
	       2, total);
	SMP_EQ("conformance.smp.nmi.blocking.no-nesting",
	       "The AP's NMI handler never runs nested (SDM Vol. 3A 6.7.1)", 1,
	       max_depth[AP]);
}

void smp_nmi_checks(void)
{
	set_irq_handler(NMI_VECTOR, nmi_handler);
	to_ap();
	to_bsp();
	all_but_self();
	blocking();
}
