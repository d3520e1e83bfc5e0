/*
 * The few xAPIC registers the nmi family needs (SDM Vol. 3A, "Advanced
 * Programmable Interrupt Controller"): its page at IA32_APIC_BASE, reached
 * 1:1 (32-bit images run unpaged, 64-bit images identity-map 4 GiB).
 */
#include "nmi.h"

#define MSR_APIC_BASE	 0x1b
#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_X2APIC (1ull << 10)
#define APIC_SVR_ENABLE	 (1u << 8)

static ulong lapic_base;

volatile u32 *lapic_reg(u32 reg)
{
	return (volatile u32 *)(lapic_base + reg);
}

u32 lapic_read(u32 reg)
{
	return *lapic_reg(reg);
}

void lapic_write(u32 reg, u32 v)
{
	*lapic_reg(reg) = v;
}

u8 lapic_id(void)
{
	return lapic_read(APIC_ID) >> 24;
}

void lapic_send(u32 dest, u32 lo)
{
	lapic_write(APIC_ICR_HI, dest << 24);
	lapic_write(APIC_ICR_LO, lo);
}

void send_self_nmi(void)
{
	lapic_send(lapic_id(), APIC_DM_NMI);
}

void nmi_lapic_init(void)
{
	u64 base;

	if (!this_cpu_has(FEAT_APIC))
		report_bail("no local APIC (CPUID.1:EDX.APIC[9] = 0): the nmi "
			    "family sends its NMIs through it");
	base = rdmsr(MSR_APIC_BASE);
	/* Firmware leaves xAPIC mode; leaving x2APIC mode would need the
	 * disabled state in between (SDM Vol. 3A, "x2APIC State
	 * Transitions"), so this family insists on the reset mode. */
	if (base & APIC_BASE_X2APIC)
		report_bail("the local APIC is in x2APIC mode (IA32_APIC_BASE "
			    "%#llx); the nmi family uses the xAPIC page",
			    (unsigned long long)base);
	if (!(base & APIC_BASE_ENABLE))
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
	lapic_base = (ulong)(base & 0xfffff000u);
	/* Software enable, spurious vector 0xff (its handler is set by
	 * nmi.c): a disabled APIC masks its LVT entries. */
	lapic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
}
