/*
 * Starting application processors and handing them work (smp.h). The
 * start-up is the SDM's INIT-SIPI-SIPI sequence (Vol. 3A 9.4.4.1, and
 * 9.4.3's "typical" BSP steps): INIT, 10 ms, SIPI, 200 us, SIPI. The
 * second SIPI is sent whatever happened to the first: an AP that already
 * left the wait-for-SIPI state ignores it (9.4.4.1), which the smp probe
 * checks.
 */
#include "smp.h"
#include "desc.h"
#include "report.h"
#include "x86.h"

extern char smp_tramp_start[], smp_tramp_end[];
void smp_ap_entry(void);

/* Read by smp_tramp.S before the AP has a stack. */
u32 smp_boot_cr0, smp_boot_cr3, smp_boot_cr4, smp_boot_efer;
ulong smp_ap_stack;
static volatile int smp_starting;

#define AP_STACK 16384

struct ap {
	volatile u32 started;
	struct smp_ap_info info;
	void (*volatile fn)(void *);
	void *volatile arg;
	volatile u32 posted, done;
	u8 stack[AP_STACK] __aligned(16);
#ifdef __x86_64__
	u8 ist[8192] __aligned(16);
#endif
};
static struct ap aps[SMP_MAX_CPUS];

#ifdef __x86_64__
/* The 64-bit TSS (SDM Vol. 3A 8.7, Figure 8-11). */
struct __attribute__((packed)) tss64 {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3, iomap_base;
};
static struct tss64 ap_tss[SMP_MAX_CPUS] __aligned(16);

/*
 * The runtime's IDT sends NMI, #DF and #MC to IST 1 (desc.c): each AP
 * needs a TSS of its own for that, in two GDT slots counted from the end
 * (a 64-bit TSS descriptor is 16 bytes, SDM Vol. 3A 8.2.3).
 */
static void ap_tss_load(int cpu)
{
	struct tss64 *t = &ap_tss[cpu];
	ulong base = (ulong)t;
	u64 limit = sizeof(*t) - 1;
	int slot = GDT_ENTRIES - 2 * cpu;

	memset(t, 0, sizeof(*t));
	t->ist[0] = (ulong)aps[cpu].ist + sizeof(aps[cpu].ist);
	t->rsp[0] = (ulong)aps[cpu].stack + AP_STACK;
	t->iomap_base = sizeof(*t);
	gdt[slot] = (limit & 0xffff) | ((u64)(base & 0xffffff) << 16) |
		    (0x89ull << 40) | (((limit >> 16) & 0xf) << 48) |
		    ((u64)((base >> 24) & 0xff) << 56);
	gdt[slot + 1] = base >> 32;
	asm volatile("ltr %w0" : : "r"((u16)(slot << 3)));
}
#endif

void smp_ap_entry(void)
{
	int me = smp_starting;
	struct ap *ap = &aps[me];
	struct descriptor_ptr idtr;
	struct cpuid c = cpuid(1, 0);

	load_gdt();
	idt_loaded(&idtr);
	lidt(&idtr);
#ifdef __x86_64__
	ap_tss_load(me);
#else
	write_cr4(smp_boot_cr4);
	write_cr0(smp_boot_cr0);
#endif
	lapic_enable();
	ap->info.apic_id = lapic_id();
	ap->info.cpuid_apic_id = c.b >> 24;
	ap->info.cpuid1_eax = c.a;
	ap->info.apic_base = rdmsr(MSR_APIC_BASE);
	ap->started = 1;
	sti();
	for (;;) {
		u32 n = ap->posted;

		if (n != ap->done) {
			ap->fn(ap->arg);
			sti();
			ap->done = n;
		}
		asm volatile("pause" ::: "memory");
	}
}

volatile struct smp_tramp_data *smp_tramp(u32 page)
{
	return (volatile struct smp_tramp_data *)(ulong)(page + TD_BASE);
}

const struct smp_ap_info *smp_ap_info(int cpu)
{
	return &aps[cpu].info;
}

void smp_tramp_install(u32 page)
{
	volatile struct smp_tramp_data *td = smp_tramp(page);

	memcpy((void *)(ulong)page, smp_tramp_start,
	       smp_tramp_end - smp_tramp_start);
	memset((void *)td, 0, sizeof(*td));
	td->gdtr_limit = sizeof(gdt) - 1;
	td->gdtr_base = (u32)(ulong)gdt;
}

void smp_start_ap(int cpu, u32 page, struct smp_start *s)
{
	u32 id = smp_apic_id(cpu), vec = page >> 12;
	struct ap *ap = &aps[cpu];
	u64 t0;

	memset(s, 0, sizeof(*s));
	smp_tramp_install(page);
	smp_boot_cr0 = read_cr0();
	smp_boot_cr3 = read_cr3();
	/* CR4.PCIDE cannot be set outside IA-32e mode (SDM Vol. 3A 2.5) */
	smp_boot_cr4 = read_cr4() & ~(1ul << 17);
#ifdef __x86_64__
	smp_boot_efer = rdmsr(MSR_EFER) & ~EFER_LMA;
#endif
	smp_ap_stack = (ulong)ap->stack + AP_STACK;
	smp_starting = cpu;
	ap->started = 0;
	ap->posted = ap->done = 0;
	lapic_enable();
	asm volatile("mfence" ::: "memory");

	s->init_idle = lapic_ipi(id, ICR_INIT | ICR_ASSERT);
	delay_us(10000);
	s->sipi_idle = lapic_ipi(id, ICR_STARTUP | vec);
	delay_us(200);
	s->sipi_idle &= lapic_ipi(id, ICR_STARTUP | vec);
	t0 = rdtsc();
	s->started = spin_until(&ap->started, 1, SMP_TIMEOUT);
	s->waited = rdtsc() - t0;
}

void smp_post(int cpu, void (*fn)(void *), void *arg)
{
	struct ap *ap = &aps[cpu];

	ap->fn = fn;
	ap->arg = arg;
	asm volatile("" ::: "memory");
	ap->posted = ap->done + 1;
}

bool smp_wait(int cpu, u64 cycles)
{
	struct ap *ap = &aps[cpu];

	return spin_until(&ap->done, ap->posted, cycles);
}

void smp_call(int cpu, void (*fn)(void *), void *arg)
{
	smp_post(cpu, fn, arg);
	if (!smp_wait(cpu, SMP_TIMEOUT))
		report_bail("expected AP %d to finish its work, saw nothing in "
			    "%llu cycles",
			    cpu, (unsigned long long)SMP_TIMEOUT);
}

void smp_park(int cpu)
{
	lapic_ipi(smp_apic_id(cpu), ICR_INIT | ICR_ASSERT);
	aps[cpu].started = 0;
}
