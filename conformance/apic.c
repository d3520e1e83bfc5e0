/*
 * conformance.apic: the local APIC (docs/probes/apic.md). This file reads
 * what the CPU reports, gives the other files one way to reach a
 * register in either mode, and counts the interrupts they cause. What is
 * checked comes from CPUID (APIC, x2APIC and TSC-deadline flags, the
 * initial APIC ID) and the version register, never from one host.
 */
#include "apic.h"
#include "ex_regs.h"
#include "pic.h"
#include "setup_check.h"

POPEK_IMAGE(0, 0);

struct apic_cpu apic;
volatile unsigned apic_hits[256];
volatile u8 apic_order[16];
volatile unsigned apic_norder;
volatile bool apic_no_eoi;
struct apic_seen apic_seen[256];

/* Set by the runtime when the ISO sequencer started this image. */
extern u32 seq_return_addr;

const char *apic_no_mode_change(void)
{
	return seq_return_addr ? "started by the ISO sequencer: the next "
				 "image shares this APIC, which may not "
				 "come back from x2APIC or disabled mode"
			       : NULL;
}

bool apic_skipped(const char *id)
{
	if (!apic.skip)
		return false;
	report_skipped(id, "%s", apic.skip);
	return true;
}

static volatile u32 *mmio(u32 off)
{
	return (volatile u32 *)(ulong)(APIC_MMIO + off);
}

u32 apic_read(u32 off)
{
	if (apic.x2mode)
		return (u32)rdmsr(0x800 + off / 16);
	return *mmio(off);
}

void apic_write(u32 off, u32 v)
{
	if (apic.x2mode)
		wrmsr(0x800 + off / 16, v);
	else
		*mmio(off) = v;
}

void apic_self_ipi(u8 vector)
{
	if (apic.x2mode) {
		wrmsr(0x83f, vector);
		return;
	}
	apic_write(APIC_ICR_HI, 0);
	apic_write(APIC_ICR, APIC_ICR_SELF | vector);
}

bool apic_bit(u32 off, u8 n)
{
	return apic_read(off + (n / 32) * 16) & (1u << (n % 32));
}

static void handler(struct ex_regs *r)
{
	u8 v = (u8)r->vector;
	struct apic_seen *s = &apic_seen[v];

	s->isr = apic_bit(APIC_ISR, v);
	s->irr = apic_bit(APIC_IRR, v);
	s->ppr = apic_read(APIC_PPR);
	s->cur = apic_read(APIC_TIMER_CUR);
	s->tsc = rdtsc();
	if (apic_norder < ARRAY_SIZE(apic_order))
		apic_order[apic_norder] = v;
	apic_norder++;
	apic_hits[v]++;
	if (apic.nest_hook && v == apic.nest_vector)
		apic.nest_hook();
	/* the spurious vector sets no ISR bit and takes no EOI (Vol. 3A
	 * 12.9) */
	if (!apic_no_eoi && v != 0xff)
		apic_write(APIC_EOI, 0);
}

void apic_handlers_install(void)
{
	for (int v = 0x30; v < 0x100; v++)
		if (v != RET_VECTOR && v != SYSCALL_VECTOR)
			set_irq_handler(v, handler);
}

void apic_illegal_handlers(bool on)
{
	static const u8 v[] = {0, 1, 2, 3, 4, 5, 6, 7, 9, 15};

	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		set_irq_handler(v[i], on ? handler : NULL);
}

void apic_hits_clear(void)
{
	for (int v = 0; v < 256; v++)
		apic_hits[v] = 0;
	apic_norder = 0;
	memset(apic_seen, 0, sizeof(apic_seen));
}

/*
 * About 1 s of a 2 GHz TSC: far beyond any delivery latency of hardware
 * (a few instructions) and of an emulator whose timer thread a loaded
 * host schedules late; a wait this long is spent only where an
 * interrupt is missing. SETTLE_TSC (10 ms) is how long a held
 * interrupt is given to arrive wrongly.
 */
#define WAIT_TSC   2000000000ull
#define SETTLE_TSC 20000000ull

bool apic_wait_hits(u8 v, unsigned n)
{
	u64 t0 = rdtsc();

	while (apic_hits[v] < n && rdtsc() - t0 < WAIT_TSC)
		asm volatile("pause" ::: "memory");
	return apic_hits[v] >= n;
}

void apic_settle(void)
{
	u64 t0 = rdtsc();

	while (rdtsc() - t0 < SETTLE_TSC)
		asm volatile("pause" ::: "memory");
}

/* EOIs until no ISR bit is left (at most 256: one per vector). */
static void drain_isr(void)
{
	for (int i = 0; i < 256; i++) {
		bool any = false;

		for (int r = 0; r < 8; r++)
			any |= apic_read(APIC_ISR + r * 16) != 0;
		if (!any)
			return;
		apic_write(APIC_EOI, 0);
	}
}

static bool irr_pending(void)
{
	/* vectors 0-15 never leave IRR on a target that accepts them */
	if (apic_read(APIC_IRR) & 0xffff0000u)
		return true;
	for (int r = 1; r < 8; r++)
		if (apic_read(APIC_IRR + r * 16))
			return true;
	return false;
}

/*
 * Takes an interrupt a target held wrongly (a TPR lowered through CR8
 * that it did not see), so it cannot disturb the next check's order.
 * The loop reads the APIC on purpose: on a target that delivers only at
 * an exit each read is one, so the interrupt comes here and not later.
 */
static void drain_irr(void)
{
	u64 t0 = rdtsc();

	irq_enable();
	while (irr_pending() && rdtsc() - t0 < WAIT_TSC)
		;
	cli();
}

void apic_reset_state(void)
{
	static const u32 lvts[] = {APIC_LVT_TIMER, APIC_LVT_LINT0,
				   APIC_LVT_LINT1, APIC_LVT_ERROR};

	cli();
	apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
	apic_write(APIC_TIMER_INIT, 0);
	for (size_t i = 0; i < ARRAY_SIZE(lvts); i++)
		apic_write(lvts[i], APIC_LVT_MASKED);
	if (apic.max_lvt >= 4)
		apic_write(APIC_LVT_PERF, APIC_LVT_MASKED);
	if (apic.max_lvt >= 5)
		apic_write(APIC_LVT_THERMAL, APIC_LVT_MASKED);
	apic_write(APIC_TPR, 0);
	drain_isr();
	drain_irr();
	drain_isr();
	if (!apic.x2mode)
		apic_write(APIC_ESR, 0);
	apic_write(APIC_ESR, 0);
	apic.nest_hook = NULL;
	apic_no_eoi = false;
}

static void apic_init(void)
{
	struct cpuid c1 = cpuid(1, 0);
	struct fault f;

	apic.x2apic = c1.c & (1u << 21);
	apic.deadline = c1.c & (1u << 24);
	apic.initial_id = c1.b >> 24;
	if (cpuid(0, 0).a >= 0xb) {
		struct cpuid b = cpuid(0xb, 0);

		apic.has_leaf_b = b.b != 0;
		apic.x2apic_id = b.d;
	}
	if (!(c1.d & (1u << 9))) {
		apic.skip = "CPUID.1:EDX.APIC is 0: no local APIC";
		return;
	}
	if (msr_try_read(MSR_APIC_BASE, &apic.base, &f) != NO_FAULT) {
		apic.skip = "RDMSR of IA32_APIC_BASE raised an exception";
		return;
	}
	if (!(apic.base & APIC_BASE_EN)) {
		apic.skip = "IA32_APIC_BASE.EN is 0 at entry";
		return;
	}
	if (apic.base & APIC_BASE_EXTD) {
		apic.skip = "the runtime left the APIC in x2APIC mode";
		return;
	}
	if ((apic.base & ~0xfffull) != APIC_MMIO) {
		apic.skip = "the APIC is not at FEE00000H";
		return;
	}
	apic.present = true;
	apic.max_lvt = (apic_read(APIC_VERSION) >> 16) & 0xff;
}

PROBE irq_return(void *a)
{
	(void)a;
	cli();
	apic_self_ipi(0x45);
	sti();
	apic_wait_hits(0x45, 1);
	apic_settle();
	cli();
}

/*
 * Every check from apic_irq() on takes interrupts or runs after them.
 * Where the return from a handler ends the target (kvm_pvm cannot run
 * IRET for a 32-bit guest), this one set-up check ends it, once, and the
 * rest report skip naming it (docs/protocol.md, "Restarts"), instead of
 * each of them ending the target in turn: one restart, not a hundred.
 */
static void irq_setup(void)
{
	static char why[SETUP_WHY_MAX];

	if (apic.skip)
		return;
	apic_hits_clear();
	apic.skip = SETUP_CHECK("conformance.apic.setup.irq-return",
				"the set-up of the interrupt checks: a pending "
				"self-IPI taken with IF=1 runs its handler, "
				"which returns (IRET) without an exception",
				irq_return, NULL, why);
}

void probe_main(void)
{
	msr_cpu_init();
	apic_init();
	report_diag("CPU: %s, APIC %d, x2APIC %d, TSC-deadline %d, initial "
		    "APIC ID %u, leaf 0BH %d (x2APIC ID %u), IA32_APIC_BASE "
		    "%#llx, max LVT %d",
		    msr_vendor_name(), apic.present, apic.x2apic, apic.deadline,
		    apic.initial_id, apic.has_leaf_b, apic.x2apic_id,
		    (unsigned long long)apic.base, apic.max_lvt);
	pic_init(); /* the 8259s masked: nothing but the APIC interrupts */
	if (apic.present) {
		apic_handlers_install();
		apic_reset_state();
	}
	apic_mode();
	apic_regs();
	apic_lvt();
	irq_setup();
	apic_irq();
	apic_timer();
	apic_deadline();
	apic_x2apic();
	apic_mode_last();
}
