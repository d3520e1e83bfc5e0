/*
 * platform.apic: the local APIC of a PC as QEMU's `pc` machine has it,
 * in xAPIC mode (SDM Vol. 3A, "Advanced Programmable Interrupt
 * Controller (APIC)"): IA32_APIC_BASE, the ID and version registers,
 * TPR and PPR, a self-IPI through the ICR taken, in service until EOI,
 * the timer in one-shot and periodic mode, and the 8259 reaching the
 * CPU through LINT0 in virtual wire mode (ExtINT). Only what the SDM
 * fixes is compared exactly; how long a timer count takes is the
 * machine's business, so timer checks wait with generous bounds.
 */
#include "ex_regs.h"
#include "fault.h"
#include "pic.h"
#include "report.h"
#include "setup_check.h"
#include "x86.h"

POPEK_IMAGE(POPEK_FEAT_APIC, 0);

#define MSR_APIC_BASE 0x1b
#define APIC	      0xfee00000ul

#define APIC_ID	       0x020
#define APIC_VERSION   0x030
#define APIC_TPR       0x080
#define APIC_PPR       0x0a0
#define APIC_EOI       0x0b0
#define APIC_SVR       0x0f0
#define APIC_ISR       0x100
#define APIC_IRR       0x200
#define APIC_ICR_LO    0x300
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_LINT0 0x350
#define APIC_TMICT     0x380
#define APIC_TMCCT     0x390
#define APIC_TDCR      0x3e0

#define LVT_MASKED   (1u << 16)
#define LVT_PERIODIC (1u << 17)

#define IPI_VECTOR   0x40
#define TIMER_VECTOR 0x41

static volatile unsigned ipis, ticks, pit_ticks;
static volatile u32 isr_in_handler;
/* Why the checks that take an interrupt report skip (irq_setup()), or
 * NULL when they run. */
static const char *irq_skip;

static u32 apic_read(u32 reg)
{
	return *(volatile u32 *)(APIC + reg);
}

static void apic_write(u32 reg, u32 v)
{
	*(volatile u32 *)(APIC + reg) = v;
}

/* Bit @vector of the 256-bit ISR or IRR at @base. */
static bool vector_bit(u32 base, u8 vector)
{
	return apic_read(base + (vector / 32) * 16) >> (vector % 32) & 1;
}

static void ipi_irq(struct ex_regs *r)
{
	(void)r;
	isr_in_handler = vector_bit(APIC_ISR, IPI_VECTOR);
	ipis++;
	apic_write(APIC_EOI, 0);
}

static void timer_irq(struct ex_regs *r)
{
	(void)r;
	ticks++;
	apic_write(APIC_EOI, 0);
}

static void pit_irq(struct ex_regs *r)
{
	(void)r;
	pit_ticks++;
	pic_eoi(0);
}

/*
 * The windows in which an interrupt is taken run inside try_call(), or
 * start with irq_enable(): the handler's IRET is then part of the code
 * popek.skip can keep from running, on targets where it ends the run.
 */

/* Lets pending interrupts in for a moment: STI's shadow covers the NOP. */
static __attribute__((noinline)) void sti_window(void *a)
{
	(void)a;
	asm volatile("sti\n\tnop\n\tnop\n\tcli" ::: "memory");
}

static void window(void)
{
	struct fault f;

	try_call(sti_window, NULL, &f);
}

static __attribute__((noinline)) void sti_hlt(void *a)
{
	(void)a;
	asm volatile("sti\n\thlt\n\tcli" ::: "memory");
}

static void spin_for(volatile unsigned *count, unsigned n)
{
	for (unsigned long g = 0; *count < n && g < 400000000ul; g++)
		asm volatile("pause");
}

/* Waits with IF=1 until *count reaches n, or a generous bound passes;
 * not at all where popek.skip keeps IF 0. */
static void wait_for(volatile unsigned *count, unsigned n)
{
	if (!irq_enable())
		return;
	spin_for(count, n);
	asm volatile("cli" ::: "memory");
}

static void identity(void)
{
	u64 base = rdmsr(MSR_APIC_BASE);
	u32 v = apic_read(APIC_VERSION);

	report_eq("platform.apic.base-msr",
		  "IA32_APIC_BASE: the default base 0xfee00000, enabled (bit "
		  "11), this processor the BSP (bit 8)",
		  0xfee00900ull, base);
	wrmsr(MSR_APIC_BASE, base);
	report_eq("platform.apic.base-msr-write",
		  "IA32_APIC_BASE written with its own value reads back the "
		  "same",
		  base, rdmsr(MSR_APIC_BASE));
	report_eq("platform.apic.id",
		  "the APIC ID register (bits 31:24) of a one-processor PC's "
		  "BSP is 0",
		  0, apic_read(APIC_ID) >> 24);
	report("platform.apic.version",
	       "the version register names an integrated APIC (0x10-0x15) "
	       "with at least the timer, LINT0, LINT1 and error LVT entries "
	       "(max LVT entry >= 3)",
	       (v & 0xff) >= 0x10 && (v & 0xff) <= 0x15 &&
		       ((v >> 16) & 0xff) >= 3,
	       "saw %#x", v);
}

static void priorities(void)
{
	apic_write(APIC_SVR, 0x1ff);
	report_eq("platform.apic.svr",
		  "SVR takes the spurious vector and the software enable bit "
		  "8",
		  0x1ff, apic_read(APIC_SVR) & 0x1ff);
	apic_write(APIC_TPR, 0x20);
	report_eq("platform.apic.ppr-tpr",
		  "with nothing in service the PPR is the TPR", 0x20,
		  apic_read(APIC_PPR) & 0xff);
	apic_write(APIC_TPR, 0);
	report_eq("platform.apic.ppr-zero", "TPR 0, nothing in service: PPR 0",
		  0, apic_read(APIC_PPR) & 0xff);
}

/* The self-IPI checks that take it, where irq_setup() failed. */
static void self_ipi_skip(void)
{
	report_skip("platform.apic.ipi-taken", "STI lets the self-IPI in, once",
		    "%s", irq_skip);
	report_skip("platform.apic.ipi-in-service",
		    "its handler sees the vector in service (ISR)", "%s",
		    irq_skip);
	report_skip("platform.apic.eoi-clears-isr",
		    "EOI took the vector out of service", "%s", irq_skip);
	report_skip("platform.apic.tpr-blocks",
		    "a TPR in the vector's priority class holds it back", "%s",
		    irq_skip);
	report_skip("platform.apic.tpr-lowered",
		    "lowering the TPR lets the held interrupt in", "%s",
		    irq_skip);
}

static void self_ipi(void)
{
	ipis = 0;
	isr_in_handler = 0;
	apic_write(APIC_ICR_LO, 0x40000 | IPI_VECTOR); /* fixed, self */
	report("platform.apic.ipi-pending",
	       "a self-IPI with IF=0 waits in the IRR",
	       ipis == 0 && vector_bit(APIC_IRR, IPI_VECTOR),
	       "saw %u interrupts, IRR bit %d", ipis,
	       vector_bit(APIC_IRR, IPI_VECTOR));
	if (irq_skip) {
		self_ipi_skip();
		return;
	}
	window();
	report_eq("platform.apic.ipi-taken", "STI lets the self-IPI in, once",
		  1, ipis);
	report_eq("platform.apic.ipi-in-service",
		  "its handler sees the vector in service (ISR)", 1,
		  isr_in_handler);
	report_eq("platform.apic.eoi-clears-isr",
		  "EOI took the vector out of service", 0,
		  vector_bit(APIC_ISR, IPI_VECTOR) |
			  vector_bit(APIC_IRR, IPI_VECTOR));

	apic_write(APIC_TPR, (IPI_VECTOR & 0xf0) | 0xf);
	ipis = 0;
	apic_write(APIC_ICR_LO, 0x40000 | IPI_VECTOR);
	window();
	report_eq("platform.apic.tpr-blocks",
		  "a TPR in the vector's priority class holds it back", 0,
		  ipis);
	apic_write(APIC_TPR, 0);
	window();
	report_eq("platform.apic.tpr-lowered",
		  "lowering the TPR lets the held interrupt in", 1, ipis);
}

/* The timer checks that take its interrupt, where irq_setup() failed. */
static void timer_skip(void)
{
	report_skip("platform.apic.timer-oneshot",
		    "a one-shot count raises the LVT timer vector", "%s",
		    irq_skip);
	report_skip("platform.apic.timer-stops",
		    "after a one-shot expiry the current count stays 0", "%s",
		    irq_skip);
	report_skip("platform.apic.timer-once", "one shot, one interrupt", "%s",
		    irq_skip);
	report_skip("platform.apic.timer-periodic",
		    "a periodic count raises the vector again and again", "%s",
		    irq_skip);
	report_skip("platform.apic.timer-masked",
		    "a masked LVT timer entry counts to 0 and raises nothing",
		    "%s", irq_skip);
}

static void timer(void)
{
	struct fault f;
	u32 a, b;

	apic_write(APIC_TDCR, 0xb); /* divide by 1 */
	apic_write(APIC_LVT_TIMER, TIMER_VECTOR);
	ticks = 0;
	/* The largest count, so that it cannot expire between the two reads
	 * however long a loaded host deschedules the CPU (4.3 s on a 1 GHz
	 * bus, where 10 ms is one host time slice too few), then a short one
	 * for the interrupt: writing the initial count restarts the count (SDM
	 * Vol. 3A 12.5.4). */
	apic_write(APIC_TMICT, 0xffffffffu);
	a = apic_read(APIC_TMCCT);
	b = apic_read(APIC_TMCCT);
	apic_write(APIC_TMICT, 200000);
	report("platform.apic.timer-counts",
	       "the current count runs down from the initial count",
	       b < a && b > 0, "saw %u then %u", a, b);
	if (irq_skip) {
		/* Its interrupt stays pending: no window opens after this. */
		timer_skip();
		return;
	}
	try_call(sti_hlt, NULL, &f);
	wait_for(&ticks, 1);
	report_eq("platform.apic.timer-oneshot",
		  "a one-shot count raises the LVT timer vector", 1, ticks);
	report_eq("platform.apic.timer-stops",
		  "after a one-shot expiry the current count stays 0", 0,
		  apic_read(APIC_TMCCT));
	window();
	report_eq("platform.apic.timer-once", "one shot, one interrupt", 1,
		  ticks);

	ticks = 0;
	apic_write(APIC_LVT_TIMER, LVT_PERIODIC | TIMER_VECTOR);
	apic_write(APIC_TMICT, 200000); /* about 0.2 ms on a 1 GHz bus */
	wait_for(&ticks, 3);
	apic_write(APIC_TMICT, 0);
	report("platform.apic.timer-periodic",
	       "a periodic count raises the vector again and again", ticks >= 3,
	       "saw %u interrupts", ticks);
	/* A period may have ended between wait_for's CLI and the stop: its
	 * interrupt waits in the IRR (one bit per vector). Let it in now,
	 * not into the masked check's window. */
	window();

	ticks = 0;
	apic_write(APIC_LVT_TIMER, LVT_MASKED | TIMER_VECTOR);
	apic_write(APIC_TMICT, 100000);
	for (unsigned long g = 0; apic_read(APIC_TMCCT) && g < 400000000ul; g++)
		asm volatile("pause");
	window();
	report("platform.apic.timer-masked",
	       "a masked LVT timer entry counts to 0 and raises nothing",
	       ticks == 0 && apic_read(APIC_TMCCT) == 0,
	       "saw %u interrupts, current count %u", ticks,
	       apic_read(APIC_TMCCT));
}

/* The 8259 through LINT0, as firmware leaves the BSP (virtual wire). */
static void extint(void)
{
	if (irq_skip) {
		report_skip("platform.apic.extint",
			    "with the APIC enabled and LINT0 ExtINT, PIT ticks "
			    "come through the 8259",
			    "%s", irq_skip);
		report_skip("platform.apic.lint0-masked",
			    "a masked LINT0 keeps the 8259 from the CPU", "%s",
			    irq_skip);
		return;
	}
	pit_periodic(1000);
	apic_write(APIC_LVT_LINT0, 0x700); /* ExtINT */
	pic_unmask(0);
	pit_ticks = 0;
	wait_for(&pit_ticks, 2);
	report("platform.apic.extint",
	       "with the APIC enabled and LINT0 ExtINT, PIT ticks come "
	       "through the 8259",
	       pit_ticks >= 2, "saw %u ticks", pit_ticks);
	/* A tick raised after wait_for's CLI is an ExtINT request already
	 * on its way to the CPU: whether masking LINT0 withdraws it the SDM
	 * does not say (QEMU keeps it, and then delivers it as vector -1: a
	 * #GP with error code 0xfffffffa). Masking IRQ 0 at the 8259 drops
	 * its INT output (8259A datasheet, IMR), so none is in flight when
	 * LINT0 is masked; unmasked again, IRQ 0 meets only the LVT mask. */
	pic_mask(0);
	apic_write(APIC_LVT_LINT0, LVT_MASKED | 0x700);
	pic_unmask(0);
	pit_ticks = 0;
	/* IRQ 0 requested at the 8259 (OCW3: read IRR), then a window */
	outb(0x20, 0x0a);
	for (unsigned long g = 0; !(inb(0x20) & 1) && g < 400000000ul; g++)
		;
	window();
	report_eq("platform.apic.lint0-masked",
		  "a masked LINT0 keeps the 8259 from the CPU", 0, pit_ticks);
	pit_stop();
	pic_mask(0);
	apic_write(APIC_LVT_LINT0, 0x700);
}

static __attribute__((noinline)) void irq_return(void *a)
{
	(void)a;
	ipis = 0;
	apic_write(APIC_ICR_LO, 0x40000 | IPI_VECTOR);
	asm volatile("sti" ::: "memory");
	spin_for(&ipis, 1);
	asm volatile("cli" ::: "memory");
}

/*
 * Every check from ipi-taken on opens an STI window in which an interrupt
 * is taken, or would be if one were left pending. Where the return from
 * a handler ends the target (kvm_pvm cannot run IRET for a 32-bit guest),
 * this one set-up check ends it, once: its code runs through try_call(),
 * which popek.skip can keep from running on a restart, and the checks
 * after it then report skip naming it without opening their windows
 * (docs/protocol.md, "Restarts"), instead of each ending the target
 * in turn.
 */
static void irq_setup(void)
{
	static char why[SETUP_WHY_MAX];

	irq_skip = SETUP_CHECK("platform.apic.setup.irq-return",
			       "the set-up of the interrupt checks: a self-IPI "
			       "taken with IF=1 runs its handler, which "
			       "returns (IRET) without an exception",
			       irq_return, NULL, why);
}

void probe_main(void)
{
	set_irq_handler(IPI_VECTOR, ipi_irq);
	set_irq_handler(TIMER_VECTOR, timer_irq);
	set_irq_handler(PIC_VECTOR_BASE, pit_irq);
	/* Firmware leaves the 8259 at vector 8 with the BIOS tick unmasked,
	 * and LINT0 lets it through once the APIC is enabled: move it to
	 * 0x20 and mask it before any STI. */
	pic_init();
	identity();
	priorities();
	irq_setup();
	self_ipi();
	timer();
	extint();
}
