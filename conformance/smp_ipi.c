/*
 * conformance.smp.ipi: fixed IPIs between the BSP and the AP through the
 * xAPIC ICR (SDM Vol. 3A 12.6.1): by physical APIC ID and with each
 * destination shorthand, taken once and on the right CPU, the sender's
 * delivery status back to idle, the vector in the receiver's ISR while its
 * handler runs (12.8.4); and a fixed IPI held in IRR while the receiver
 * has IF=0, taken after STI (12.8.3, 6.8.1).
 */
#include "ex_regs.h"
#include "fault.h"
#include "smp_probe.h"
#include "x86.h"

#define IPI_VECTOR 0x40

static volatile u32 hits[SMP_MAX_CPUS], in_isr[SMP_MAX_CPUS];

static void ipi_handler(struct ex_regs *r)
{
	int c = smp_this_cpu();

	(void)r;
	if (c >= 0) {
		hits[c]++;
		in_isr[c] = lapic_isr_bit(IPI_VECTOR);
	}
	lapic_eoi();
}

struct send {
	u32 dest, icr;
	bool idle;
};

static void send_from_ap(void *arg)
{
	struct send *s = arg;

	s->idle = lapic_ipi(s->dest, s->icr);
}

/* Lets late or duplicate deliveries arrive before counting. */
static void settle(void)
{
	sti();
	delay_us(2000);
	cli();
}

enum { FROM_BSP, FROM_AP };
static const struct {
	int from;
	u32 shorthand;
	bool to_bsp, to_ap;
} cases[] = {
	{FROM_BSP, 0, false, true},
	{FROM_AP, 0, true, false},
	{FROM_BSP, ICR_SELF, true, false},
	{FROM_AP, ICR_SELF, false, true},
	{FROM_BSP, ICR_ALL_BUT_SELF, false, true},
	{FROM_AP, ICR_ALL_BUT_SELF, true, false},
	{FROM_BSP, ICR_ALL, true, true},
	{FROM_AP, ICR_ALL, true, true},
};

#define CASES                                                                  \
	"{bsp-to-ap,ap-to-bsp,bsp-self,ap-self,bsp-all-but-self,"              \
	"ap-all-but-self,bsp-all,ap-all}"
#define CASE_TEXT                                                              \
	"{1:from the BSP to the AP's APIC ID,from the AP to the BSP's APIC "   \
	"ID,from the BSP with shorthand self,from the AP with shorthand "      \
	"self,from the BSP with shorthand all excluding self,from the AP "     \
	"with shorthand all excluding self,from the BSP with shorthand all "   \
	"including self,from the AP with shorthand all including self}"

static void run_case(int i, char *id)
{
	struct send s = {0};
	bool live = !smp_skip;

	if (live) {
		hits[0] = hits[AP] = in_isr[0] = in_isr[AP] = 0;
		s.dest = cases[i].shorthand	     ? 0
			 : cases[i].from == FROM_BSP ? smp_apic_id(AP)
						     : smp_apic_id(0);
		s.icr = ICR_FIXED | IPI_VECTOR | cases[i].shorthand;
		if (cases[i].from == FROM_BSP) {
			s.idle = lapic_ipi(s.dest, s.icr);
		} else {
			smp_post(AP, send_from_ap, &s);
			sti();
			if (!smp_wait(AP, SMP_TIMEOUT))
				report_bail("expected AP %d to send its IPI, "
					    "saw nothing",
					    AP);
			cli();
		}
		if (cases[i].to_ap)
			smp_wait_for(&hits[AP], 1);
		if (cases[i].to_bsp)
			smp_wait_for(&hits[0], 1);
		settle();
	}
	smp_eq(CHECK_ID(id, "conformance.smp.ipi." CASES ".bsp-count",
			"A fixed IPI " CASE_TEXT
			" is taken by the BSP once if it is a destination, "
			"else never (SDM Vol. 3A 12.6.1)",
			i),
	       cases[i].to_bsp, hits[0]);
	smp_eq(CHECK_ID(id, "conformance.smp.ipi." CASES ".ap-count",
			"A fixed IPI " CASE_TEXT
			" is taken by the AP once if it is a destination, "
			"else never (SDM Vol. 3A 12.6.1)",
			i),
	       cases[i].to_ap, hits[AP]);
	smp_check(CHECK_ID(id, "conformance.smp.ipi." CASES ".icr-idle",
			   "After a fixed IPI " CASE_TEXT
			   " the sender's ICR delivery status returns to idle "
			   "(SDM Vol. 3A 12.6.1)",
			   i),
		  s.idle, "expected idle, saw send pending");
	smp_eq(CHECK_ID(id, "conformance.smp.ipi." CASES ".isr",
			"While a fixed IPI " CASE_TEXT
			" is handled, the vector is in each receiver's ISR "
			"(SDM Vol. 3A 12.8.4); value BSP << 1 | AP",
			i),
	       (u64)cases[i].to_bsp << 1 | cases[i].to_ap,
	       (u64)(in_isr[0] && cases[i].to_bsp) << 1 |
		       (in_isr[AP] && cases[i].to_ap));
}

static struct {
	volatile u32 ready, sent;
	u32 before, irr, after;
} held;

static void ap_if_clear(void *arg)
{
	(void)arg;
	cli();
	held.ready = 1;
	spin_until(&held.sent, 1, SMP_TIMEOUT);
	delay_us(2000);
	held.before = hits[AP];
	held.irr = lapic_irr_bit(IPI_VECTOR);
	/* taken after the instruction following STI (SDM Vol. 2B STI) */
	asm volatile("sti; nop; nop" ::: "memory");
	held.after = hits[AP];
	cli();
}

static void if_clear_checks(void)
{
	if (!smp_skip) {
		hits[AP] = 0;
		held.ready = held.sent = 0;
		smp_post(AP, ap_if_clear, NULL);
		spin_until(&held.ready, 1, SMP_TIMEOUT);
		lapic_ipi(smp_apic_id(AP), ICR_FIXED | IPI_VECTOR);
		held.sent = 1;
		if (!smp_wait(AP, SMP_TIMEOUT))
			report_bail("expected AP %d to finish, saw nothing",
				    AP);
	}
	SMP_EQ("conformance.smp.ipi.if-clear.held",
	       "A fixed IPI to an AP with IF=0 is not taken (SDM Vol. 3A "
	       "6.8.1)",
	       0, held.before);
	SMP_EQ("conformance.smp.ipi.if-clear.irr",
	       "A fixed IPI to an AP with IF=0 waits in its IRR (SDM Vol. 3A "
	       "12.8.3)",
	       1, held.irr);
	SMP_EQ("conformance.smp.ipi.if-clear.after-sti",
	       "The held IPI is taken once the AP sets IF (SDM Vol. 2B STI)", 1,
	       held.after);
}

void smp_ipi_checks(void)
{
	char id[CHECK_ID_MAX];

	set_irq_handler(IPI_VECTOR, ipi_handler);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		run_case((int)i, id);
	if_clear_checks();
	/* the handler stays: a late duplicate is counted, not a bail-out */
}
