/*
 * conformance.interrupt: external interrupts from the 8254 PIT through
 * the 8259A PIC (Intel 8259A and 8254 datasheets) and the CPU's rules for
 * accepting them (SDM Vol. 3A, 6.8.1 IF; 6.8.3 the STI shadow; Vol. 2A
 * HLT; 6.12.1.1: gate DPL is not checked for hardware interrupts; 6.12.1.3
 * interrupt gates clear IF). A monitor that virtualizes IF (POPF/CLI/STI
 * rewriting) and the interrupt controller must hold an interrupt while
 * the guest's IF is 0 or the line is masked or in service, and deliver it
 * at exactly the instruction boundary the hardware would.
 */
#include "common.h"
#include "ex_regs.h"
#include "pic.h"
#include "setup_check.h"

POPEK_IMAGE(0, 0);

#define PIT_HZ	1000
#define PIT_DIV (1193182 / PIT_HZ)

extern char sti_next[], sti_after[], hlt_after[];
static volatile unsigned ticks, cpl3_ticks;
static volatile ulong irq_ip, irq_flags;
static volatile u16 irq_cs;
static volatile bool send_eoi = true;
/* Why the checks that take an interrupt report skip (irq_setup()), or
 * NULL when they run. */
static const char *irq_skip;

static void timer_irq(struct ex_regs *r)
{
	if (!ticks) {
		irq_ip = r->ip;
		irq_cs = r->cs;
		irq_flags = read_flags();
	}
	ticks++;
	if ((r->cs & 3) == 3 && !cpl3_ticks++)
		irq_cs = r->cs;
	if (send_eoi)
		pic_eoi(0);
}

static void reset(void)
{
	ticks = 0;
	irq_ip = 0;
	irq_cs = 0;
	irq_flags = 0;
}

static u16 pit_count(void)
{
	u8 lo, hi;

	outb(0x43, 0x00); /* latch channel 0 */
	lo = inb(0x40);
	hi = inb(0x40);
	return lo | hi << 8;
}

/* Waits until PIT channel 0 (mode 2) has wrapped n times: n periods. */
static void wait_periods(unsigned n)
{
	u16 last = pit_count();
	unsigned long guard = 0;

	while (n && ++guard < 100000000ul) {
		u16 now = pit_count();

		if (now > last)
			n--;
		last = now;
	}
}

static u8 pic_isr(void)
{
	outb(0x20, 0x0b); /* OCW3: read ISR */
	return inb(0x20);
}

static u8 pic_irr(void)
{
	outb(0x20, 0x0a); /* OCW3: read IRR */
	return inb(0x20);
}

/*
 * The PIT's count wrapping and the PIC latching the edge are one moment on
 * hardware, but an emulated PIT may raise its line later (QEMU's timer
 * runs on a host thread that a loaded host schedules late). These waits
 * make the checks' preconditions explicit instead of assuming them: IRQ 0
 * latched in IRR, or a tick taken (IF=1), within a generous bound.
 */
static void wait_irr0(void)
{
	for (unsigned long g = 0; !(pic_irr() & 1) && g < 100000000ul; g++)
		;
}

static void wait_tick(void)
{
	for (unsigned i = 0; !ticks && i < 200; i++)
		wait_periods(1);
}

/*
 * The windows in which an interrupt is taken run inside try_call(), or
 * start with irq_enable(): the handler's IRET is then part of the code
 * popek.skip can keep from running, on targets where it ends the run.
 * A window popek.skip keeps closed does not wait for the ticks it would
 * have taken.
 */
static void irq_window(unsigned periods, bool want_tick)
{
	if (irq_enable()) {
		wait_periods(periods);
		if (want_tick)
			wait_tick();
	}
	asm volatile("cli" ::: "memory");
}

PROBE sti_shadow(void *a)
{
	(void)a;
	asm volatile("sti\n\t" AT(sti_next) "nop\n\t" AT(
			     sti_after) "nop\n\t"
					"cli" ::
						: "memory");
}

PROBE sti_hlt(void *a)
{
	(void)a;
	asm volatile("sti\n\thlt\n\t" AT(hlt_after) "cli" ::: "memory");
}

static void if_and_shadows(void)
{
	const char *shadow = DECLARE_CHECK(
		"conformance.interrupt.sti-shadow",
		"an interrupt pending at STI is taken after the next "
		"instruction, not before it");
	const char *clears =
		DECLARE_CHECK("conformance.interrupt.gate-clears-if",
			      "an interrupt gate clears IF for its handler");
	const char *vector = DECLARE_CHECK(
		"conformance.interrupt.vector",
		"IRQ 0 arrives on the vector programmed in ICW2 (0x20)");
	const char *wake = DECLARE_CHECK(
		"conformance.interrupt.hlt-wake",
		"HLT with IF=1 is woken by the PIT interrupt, which returns "
		"to the instruction after HLT");
	struct fault f;

	pic_unmask(0);
	reset();
	wait_periods(3);
	wait_irr0();
	report_eq("conformance.interrupt.if0-blocks",
		  "with IF=0 a pending IRQ 0 is not delivered", 0, ticks);
	if (irq_skip) {
		report_skipped(shadow, "%s", irq_skip);
		report_skipped(clears, "%s", irq_skip);
		report_skipped(vector, "%s", irq_skip);
		report_skipped(wake, "%s", irq_skip);
		return;
	}
	/* IRQ 0 is now pending: STI's shadow delays it by one instruction. */
	try_call(sti_shadow, NULL, &f);
	report_equal(shadow, (ulong)sti_after, irq_ip);
	report_equal(clears, 0, irq_flags & X86_EFLAGS_IF);
	report_equal(vector, 1, ticks >= 1);

	reset();
	try_call(sti_hlt, NULL, &f);
	report_result(
		wake, ticks >= 1 && irq_ip == (ulong)hlt_after,
		"expected a tick returning to %#lx, saw %u ticks, IP %#lx",
		(ulong)hlt_after, ticks, irq_ip);
}

/* The PIC checks that take IRQ 0, where irq_setup() failed. */
static void pic_skip(void)
{
	report_skip("conformance.interrupt.pic-unmask",
		    "unmasking IRQ 0 lets it through", "%s", irq_skip);
	report_skip("conformance.interrupt.pic-no-eoi",
		    "without EOI the in-service IRQ 0 blocks further IRQ 0s",
		    "%s", irq_skip);
	report_skip("conformance.interrupt.pic-isr",
		    "the PIC's ISR shows IRQ 0 in service until EOI", "%s",
		    irq_skip);
	report_skip("conformance.interrupt.pic-eoi-clears",
		    "a non-specific EOI clears IRQ 0 from the ISR", "%s",
		    irq_skip);
	report_skip("conformance.interrupt.pic-eoi-resumes",
		    "after EOI IRQ 0 is delivered again", "%s", irq_skip);
}

static void pic(void)
{
	u8 isr;

	pic_mask(0);
	wait_periods(1);
	reset();
	irq_window(3, false);
	report_eq("conformance.interrupt.pic-mask",
		  "a masked IRQ 0 is not delivered with IF=1", 0, ticks);
	pic_unmask(0);
	if (irq_skip) {
		pic_skip();
		return;
	}
	irq_window(2, true);
	report("conformance.interrupt.pic-unmask",
	       "unmasking IRQ 0 lets it through", ticks >= 1,
	       "expected at least one tick, saw %u", ticks);

	send_eoi = false;
	reset();
	irq_window(4, true);
	isr = pic_isr();
	report_eq("conformance.interrupt.pic-no-eoi",
		  "without EOI the in-service IRQ 0 blocks further IRQ 0s", 1,
		  ticks);
	report_eq("conformance.interrupt.pic-isr",
		  "the PIC's ISR shows IRQ 0 in service until EOI", 1, isr & 1);
	send_eoi = true;
	pic_eoi(0);
	report_eq("conformance.interrupt.pic-eoi-clears",
		  "a non-specific EOI clears IRQ 0 from the ISR", 0,
		  pic_isr() & 1);
	reset();
	irq_window(3, true);
	report("conformance.interrupt.pic-eoi-resumes",
	       "after EOI IRQ 0 is delivered again", ticks >= 1,
	       "expected at least one tick, saw %u", ticks);
}

PROBE wait_for_tick(void *a)
{
	(void)a;
	for (unsigned long i = 0; !cpl3_ticks && i < 200000000ul; i++)
		asm volatile("pause");
}

static void from_cpl3(void)
{
	struct fault f;

	if (irq_skip) {
		report_skip("conformance.interrupt.cpl3",
			    "an IRQ at CPL 3 goes through the DPL 0 gate (gate "
			    "DPL is not checked for hardware interrupts) and "
			    "saves CS with RPL 3",
			    "%s", irq_skip);
		return;
	}
	reset();
	cpl3_ticks = 0;
	run_at_cpl_flags(3, iopl_flags(0, true), wait_for_tick, NULL, &f);
	report("conformance.interrupt.cpl3",
	       "an IRQ at CPL 3 goes through the DPL 0 gate (gate DPL is not "
	       "checked for hardware interrupts) and saves CS with RPL 3",
	       f.vector == NO_FAULT && cpl3_ticks >= 1 &&
		       irq_cs == sel_code_rpl(3),
	       "expected a tick from CS %#x and no exception, saw %u ticks "
	       "at CPL 3, CS %#x, %s",
	       sel_code_rpl(3), cpl3_ticks, irq_cs, vector_name(f.vector));
}

static void pit_modes(void)
{
	bool on;
	u16 a, b;

	a = pit_count();
	spin(1000);
	b = pit_count();
	report("conformance.interrupt.pit-counts",
	       "PIT channel 0 counts down between two latched reads",
	       a != b && a <= PIT_DIV && b <= PIT_DIV,
	       "expected two different counts <= %u, saw %u then %u", PIT_DIV,
	       a, b);
	/*
	 * Mode 0: one interrupt at terminal count (about 55 ms), then the
	 * count wraps and goes on without another. A tick left pending by
	 * the periodic mode is taken right after STI and not counted.
	 */
	if (irq_skip) {
		report_skip("conformance.interrupt.pit-oneshot",
			    "PIT mode 0 raises IRQ 0 once at terminal count",
			    "%s", irq_skip);
		return;
	}
	outb(0x43, 0x30);
	outb(0x40, 0xff);
	outb(0x40, 0xff);
	on = irq_enable();
	asm volatile("nop\n\tnop" ::: "memory");
	reset();
	if (on) {
		wait_periods(2);
		wait_tick();
	}
	asm volatile("cli" ::: "memory");
	report_eq("conformance.interrupt.pit-oneshot",
		  "PIT mode 0 raises IRQ 0 once at terminal count", 1, ticks);
}

/*
 * An edge-triggered request withdrawn before the CPU acknowledges it (the
 * PIT's OUT drops when mode 0 is programmed over a pending tick) comes as
 * IR7 with no ISR bit set, and takes no EOI (Intel 8259A datasheet,
 * "Interrupt Sequence"; Bochs models it: docs/findings.md).
 */
static unsigned spurious;

static void spurious_irq7(struct ex_regs *r)
{
	(void)r;
	spurious++;
}

PROBE irq_return(void *a)
{
	(void)a;
	reset();
	sti();
	wait_tick();
	cli();
}

/*
 * The checks but if0-blocks, pic-mask and pit-counts take IRQ 0 and
 * return from its handler. Where that return ends the target (kvm_pvm
 * cannot run IRET for a 32-bit guest), this one set-up check ends it,
 * once, and those checks report skip naming it (docs/protocol.md,
 * "Restarts") without opening their windows, instead of each ending the
 * target in turn and the skipped ones waiting out their tick timeouts.
 */
static void irq_setup(void)
{
	static char why[SETUP_WHY_MAX];

	pic_unmask(0);
	irq_skip = SETUP_CHECK("conformance.interrupt.setup.irq-return",
			       "the set-up of the interrupt checks: IRQ 0 "
			       "taken with IF=1 runs its handler, which "
			       "returns (IRET) without an exception",
			       irq_return, NULL, why);
	pic_mask(0);
}

void probe_main(void)
{
	set_irq_handler(PIC_VECTOR_BASE, timer_irq);
	set_irq_handler(PIC_VECTOR_BASE + 7, spurious_irq7);
	pic_init();
	pit_periodic(PIT_HZ);
	irq_setup();
	if_and_shadows();
	pic();
	from_cpl3();
	pit_modes();
	pit_stop();
	pic_mask(0);
}
