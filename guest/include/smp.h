/*
 * Application processors: finding them (ACPI MADT), starting them with
 * INIT-SIPI-SIPI (SDM Vol. 3A 9.4) and running a function on one, plus the
 * xAPIC accesses that takes (SDM Vol. 3A chapter 12). CPU 0 is the
 * bootstrap processor that runs probe_main(); 1.. are the MADT's other
 * enabled processors, in table order.
 *
 * An AP runs on the image's GDT and IDT, with its own stack and (64-bit)
 * its own TSS in the last GDT slots (2 per AP, from GDT_ENTRIES down), so
 * its NMI/#DF/#MC IST stack is its own. Interrupt and exception handlers
 * are the runtime's (set_irq_handler()); a fault on an AP without one
 * reaches exception_dispatch() like any other and bails the image out.
 * try_call()/run_at_cpl() are the BSP's alone.
 */
#ifndef GUEST_SMP_H
#define GUEST_SMP_H

#include "lib.h"
#include "smp_tramp.h"

#define SMP_MAX_CPUS 4

/* xAPIC registers (SDM Vol. 3A Table 12-1), offsets from the base. */
#define APIC_ID	       0x20
#define APIC_EOI       0xb0
#define APIC_SVR       0xf0
#define APIC_ISR       0x100
#define APIC_IRR       0x200
#define APIC_ICR_LO    0x300
#define APIC_ICR_HI    0x310
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360

/* ICR low fields (SDM Vol. 3A 12.6.1, Figure 12-12). */
#define ICR_FIXED	 (0u << 8)
#define ICR_NMI		 (4u << 8)
#define ICR_INIT	 (5u << 8)
#define ICR_STARTUP	 (6u << 8)
#define ICR_BUSY	 (1u << 12) /* delivery status: send pending */
#define ICR_ASSERT	 (1u << 14)
#define ICR_LEVEL	 (1u << 15)
#define ICR_SELF	 (1u << 18)
#define ICR_ALL		 (2u << 18)
#define ICR_ALL_BUT_SELF (3u << 18)

#define MSR_APIC_BASE	 0x1b
#define APIC_BASE_BSP	 (1ull << 8)
#define APIC_BASE_ENABLE (1ull << 11)

/* The xAPIC of the CPU that runs this (every CPU maps it at one base). */
u32 lapic_read(u32 reg);
void lapic_write(u32 reg, u32 v);
u32 lapic_id(void);
void lapic_enable(void);
void lapic_eoi(void);
/*
 * Writes ICR (high, then low) and waits, bounded, for its delivery status
 * to read idle again; false if it stayed "send pending".
 */
bool lapic_ipi(u32 dest_apic_id, u32 icr_lo);
bool lapic_isr_bit(int vector);
bool lapic_irr_bit(int vector);

/* Spins about us microseconds (TSC, at most 4 GHz assumed: never less). */
void delay_us(u64 us);
/* Waits until *p == v or cycles TSC cycles pass; true if it saw v. */
bool spin_until(const volatile u32 *p, u32 v, u64 cycles);

/*
 * The CPUs the firmware describes: NULL when there are two or more,
 * else why this target has no AP to start (the skip reason).
 */
const char *smp_uniprocessor_reason(void);
int smp_cpus(void);
u32 smp_apic_id(int cpu);
/* The index of the CPU running this (by its APIC ID), -1 if unknown. */
int smp_this_cpu(void);

struct smp_start {
	bool started;	/* checked in within the bound */
	bool init_idle; /* ICR idle after the INIT */
	bool sipi_idle; /* ICR idle after each SIPI */
	u64 waited;	/* TSC cycles spent waiting for the check-in */
};
/*
 * INIT-SIPI-SIPI to AP cpu with the trampoline at page (below 1 MiB,
 * 4 KiB aligned). The AP then idles in smp_ap_entry() waiting for work.
 */
void smp_start_ap(int cpu, u32 page, struct smp_start *s);
/* Copies the trampoline to page and clears its data area. */
void smp_tramp_install(u32 page);
/* What the AP recorded in real mode at its last start from page. */
volatile struct smp_tramp_data *smp_tramp(u32 page);
/* What the AP saw of itself once in protected/long mode. */
struct smp_ap_info {
	u32 apic_id;	   /* APIC ID register [31:24] */
	u32 cpuid_apic_id; /* CPUID.1:EBX[31:24] */
	u32 cpuid1_eax;	   /* processor signature */
	u64 apic_base;	   /* IA32_APIC_BASE */
};
const struct smp_ap_info *smp_ap_info(int cpu);

/* Hands fn(arg) to AP cpu, which runs it with IF=1 (it idles so). */
void smp_post(int cpu, void (*fn)(void *), void *arg);
/* Waits for the posted function to return; false after cycles. */
bool smp_wait(int cpu, u64 cycles);
/* smp_post() + smp_wait(), bailing out when the AP does not finish. */
void smp_call(int cpu, void (*fn)(void *), void *arg);
/* INIT: the AP stops and waits for a SIPI (before the image ends). */
void smp_park(int cpu);

/* Upper bound of any wait for another CPU, in TSC cycles. */
#define SMP_TIMEOUT 20000000000ull

#endif
