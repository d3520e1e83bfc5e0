/*
 * xAPIC register access and IPIs (SDM Vol. 3A 12.4, 12.6). Each CPU
 * reaches its own local APIC at the address in its IA32_APIC_BASE; the
 * runtime's identity mappings cover it (32-bit: paging off; 64-bit: the
 * boot tables map the first 4 GiB).
 */
#include "smp.h"
#include "x86.h"

static volatile u32 *reg(u32 r)
{
	ulong base = (ulong)(rdmsr(MSR_APIC_BASE) & 0xfffff000ull);

	return (volatile u32 *)(base + r);
}

u32 lapic_read(u32 r)
{
	return *reg(r);
}

void lapic_write(u32 r, u32 v)
{
	*reg(r) = v;
}

u32 lapic_id(void)
{
	return lapic_read(APIC_ID) >> 24;
}

/* Software enable (SVR bit 8) with spurious vector 0xff. */
void lapic_enable(void)
{
	lapic_write(APIC_SVR, 0x1ff);
}

void lapic_eoi(void)
{
	lapic_write(APIC_EOI, 0);
}

bool lapic_ipi(u32 dest, u32 lo)
{
	u64 t0;

	lapic_write(APIC_ICR_HI, dest << 24);
	lapic_write(APIC_ICR_LO, lo);
	t0 = rdtsc();
	while (lapic_read(APIC_ICR_LO) & ICR_BUSY)
		if (rdtsc() - t0 > SMP_TIMEOUT / 10)
			return false;
	return true;
}

/* ISR and IRR: eight 32-bit registers, 16 bytes apart (Table 12-1). */
bool lapic_isr_bit(int v)
{
	return lapic_read(APIC_ISR + 0x10 * (v / 32)) & (1u << (v % 32));
}

bool lapic_irr_bit(int v)
{
	return lapic_read(APIC_IRR + 0x10 * (v / 32)) & (1u << (v % 32));
}

void delay_us(u64 us)
{
	u64 t0 = rdtsc();

	while (rdtsc() - t0 < us * 4000)
		asm volatile("pause");
}

bool spin_until(const volatile u32 *p, u32 v, u64 cycles)
{
	u64 t0 = rdtsc();

	while (*p != v)
		if (rdtsc() - t0 > cycles)
			return *p == v;
		else
			asm volatile("pause");
	return true;
}
