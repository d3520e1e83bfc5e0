/*
 * conformance.msr.x2apic: the x2APIC MSRs 800H-8FFH are reachable only
 * in x2APIC mode (IA32_APIC_BASE.EXTD = 1). In xAPIC mode, or on a CPU
 * without x2APIC, RDMSR and WRMSR of them raise #GP(0) (SDM Vol. 3A
 * 12.12.1.2, "x2APIC Register Address Space", in older editions
 * 10.12.1.2; APM Vol. 2 16.11).
 */
#include "msr.h"

#define APIC_BASE_EXTD (1ull << 10)

/* The registers x2APIC mode defines (Vol. 3A Table 12-6 / 10-6). */
static const u16 regs[] = {
	0x802, 0x803, 0x808, 0x80a, 0x80b, 0x80d, 0x80f, 0x810, 0x811,
	0x812, 0x813, 0x814, 0x815, 0x816, 0x817, 0x818, 0x819, 0x81a,
	0x81b, 0x81c, 0x81d, 0x81e, 0x81f, 0x820, 0x821, 0x822, 0x823,
	0x824, 0x825, 0x826, 0x827, 0x828, 0x82f, 0x830, 0x832, 0x833,
	0x834, 0x835, 0x836, 0x837, 0x838, 0x839, 0x83e, 0x83f,
};

void msr_x2apic(void)
{
	char id[CHECK_ID_MAX];
	const char *skip = NULL;
	struct fault f;
	u64 base = 0;

	if (this_cpu_has(FEAT_APIC) &&
	    msr_try_read(0x1b, &base, &f) == NO_FAULT &&
	    (base & APIC_BASE_EXTD))
		skip = "the runtime runs the APIC in x2APIC mode";
	for (size_t i = 0; i < ARRAY_SIZE(regs); i++) {
		for (int w = 0; w < 2; w++) {
			CHECK_ID(
				id,
				"conformance.msr.x2apic.{id,version,tpr,ppr,"
				"eoi,ldr,svr,isr0,isr1,isr2,isr3,isr4,isr5,"
				"isr6,isr7,tmr0,tmr1,tmr2,tmr3,tmr4,tmr5,tmr6,"
				"tmr7,irr0,irr1,irr2,irr3,irr4,irr5,irr6,irr7,"
				"esr,lvt-cmci,icr,lvt-timer,lvt-thermal,"
				"lvt-pmi,lvt-lint0,lvt-lint1,lvt-error,"
				"timer-initial,timer-current,timer-divide,"
				"self-ipi}.{read,write}",
				"{2:RDMSR,WRMSR} of the x2APIC {1} MSR outside "
				"x2APIC mode raises #GP(0)",
				(int)i, w);
			if (skip) {
				report_skipped(id, "%s", skip);
				continue;
			}
			/* LVTs written masked, the rest 0: harmless if a
			 * target wrongly accepts the write */
			if (w)
				msr_expect_write_gp(
					id, regs[i],
					regs[i] >= 0x82f && regs[i] <= 0x837 &&
							regs[i] != 0x830
						? 0x10000
						: 0);
			else
				msr_expect_read_gp(id, regs[i]);
		}
	}
}
