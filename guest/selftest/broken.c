/*
 * Deliberately broken images that prove the runner's error paths end to
 * end (tests/e2e): each is built from this file with one BROKEN_* mode.
 * They are flagged POPEK_IMAGE_SELFTEST and built into build/test-images,
 * never into the suite.
 */
#include "desc.h"
#include "ex_regs.h"
#include "fault.h"
#include "pic.h"
#include "report.h"
#include "setup_check.h"
#include "x86.h"

POPEK_IMAGE(0, POPEK_IMAGE_SELFTEST);

#if defined(BROKEN_RESTART) || defined(BROKEN_IRQRESTART) ||                   \
	defined(BROKEN_SETUPRESTART)
/* An empty IDT: INT3 -> #GP -> #DF -> shutdown (SDM Vol. 3A 6.15,
 * "Interrupt 8"), which no catch context survives. */
static void shut_down(void *arg)
{
	struct descriptor_ptr none = {0, 0};

	(void)arg;
	lidt(&none);
	asm volatile("int3");
}

static void nothing(void *arg)
{
	(void)arg;
}
#endif

#if defined(BROKEN_IRQRESTART)
/* An interrupt handler that ends the target, as the return from every
 * handler (IRET) does on some monitors. */
static void end_in_handler(struct ex_regs *r)
{
	(void)r;
	shut_down(NULL);
}

/* IRQ 0 latched in the master PIC's IRR (OCW3 read IRR), IF still 0. */
static void wait_irq0_pending(void)
{
	for (unsigned long g = 0; g < 100000000ul; g++) {
		outb(0x20, 0x0a);
		if (inb(0x20) & 1)
			return;
	}
}
#endif

void probe_main(void)
{
	report("selftest.broken.first", "the check reported before it breaks",
	       true, "unreachable");
#if defined(BROKEN_HANG)
	/* never reports the second check, never exits */
	for (;;)
		asm volatile("cli; hlt");
	report("selftest.broken.second", "never reported", true, "-");
#elif defined(BROKEN_TRIPLEFAULT)
	/* an empty IDT: INT3 -> #GP -> #DF -> shutdown */
	struct descriptor_ptr none = {0, 0};

	lidt(&none);
	asm volatile("int3");
	report("selftest.broken.second", "never reported", true, "-");
#elif defined(BROKEN_MIDWAY)
	/* declares three checks and a family of two, reports one of each,
	 * ends "properly" */
	char id[CHECK_ID_MAX];

	report_result(CHECK_ID(id, "selftest.broken.family.{a,b}",
			       "member {1} of a family", 0),
		      true, "-");
	if (read_cr0() == 0x12345678) {
		report("selftest.broken.second", "skipped by a bug", true, "-");
		report("selftest.broken.third", "skipped by a bug", true, "-");
	}
#elif defined(BROKEN_FLOOD)
	for (unsigned n = 0;; n++)
		printf("# flooding the serial port, line %u\n", n);
	report("selftest.broken.second", "never reported", true, "-");
#elif defined(BROKEN_BAILOUT)
	asm volatile("ud2"); /* outside any try_call: the runtime bails out */
	report("selftest.broken.second", "never reported", true, "-");
#elif defined(BROKEN_NOEXIT)
	/* garbage, a check, and the debug-exit port without the exit line */
	puts_raw("\x01\x02\xff garbage \x7f\n\x80\x81\n");
	report("selftest.broken.second", "reported after garbage", true, "-");
	if (read_cr0() == 0x12345678)
		report("selftest.broken.third", "never reported", true, "-");
	outb(POPEK_DEBUG_EXIT_PORT, 0);
#elif defined(BROKEN_MIXED)
	/* one of each result, for classification and xfail/xpass */
	report("selftest.broken.fail", "fails on purpose", false,
	       "expected 0x1, saw 0x2");
	report_skip("selftest.broken.skip", "skips on purpose",
		    "not applicable");
	report("selftest.broken.xfail", "fails, listed as an infidelity", false,
	       "expected 0x3, saw 0x4");
	report("selftest.broken.xpass", "passes, listed as an infidelity", true,
	       "-");
#elif defined(BROKEN_RESTART)
	/* check 2 ends the target inside try_call (popek.skip can skip it,
	 * and check 3 judges its outcome); check 5 ends it in plain code
	 * (popek.skip cannot) */
	struct fault f;

	try_call(shut_down, NULL, &f);
	report("selftest.broken.killer", "ends the target in try_call",
	       f.vector == NO_FAULT, "saw %s", vector_name(f.vector));
	report("selftest.broken.shares", "judges the killer's outcome",
	       f.vector == NO_FAULT, "saw %s", vector_name(f.vector));
	try_call(nothing, NULL, &f);
	report("selftest.broken.after", "runs after the killer",
	       f.vector == NO_FAULT, "saw %s", vector_name(f.vector));
	shut_down(NULL);
	report("selftest.broken.plain", "ends the target in plain code", true,
	       "-");
	report("selftest.broken.never", "never reported", true, "-");
#elif defined(BROKEN_IRQRESTART)
	/* The interrupt pending at check 2's irq_enable() and at check 4's
	 * run_at_cpl_flags() with IF=1 ends the target in its handler:
	 * popek.skip must keep both interrupts from being taken, so that
	 * three boots report every check. */
	struct fault f;

	set_irq_handler(PIC_VECTOR_BASE, end_in_handler);
	pic_init();
	pit_periodic(1000);
	pic_unmask(0);
	wait_irq0_pending();
	irq_enable();
	/* Some monitors deliver only at an exit: give them port reads. */
	for (unsigned i = 0; i < 100000; i++)
		inb(0x21);
	asm volatile("cli" ::: "memory");
	report("selftest.broken.irq-killer",
	       "its interrupt handler ends the target", false,
	       "the handler returned");
	try_call(nothing, NULL, &f);
	report("selftest.broken.irq-after", "runs after the killer",
	       f.vector == NO_FAULT, "saw %s", vector_name(f.vector));
	wait_irq0_pending();
	run_at_cpl_flags(3, X86_EFLAGS_IF, nothing, NULL, &f);
	report("selftest.broken.irq-ring",
	       "its interrupt, taken with IF=1 at CPL 3, ends the target",
	       false, "the handler returned");
	pic_mask(0);
	pit_stop();
	try_call(nothing, NULL, &f);
	report("selftest.broken.irq-last", "reported on the third boot",
	       f.vector == NO_FAULT, "saw %s", vector_name(f.vector));
#elif defined(BROKEN_SETUPRESTART)
	/* Set-up that ends the target, as a check of its own: boot 2 skips
	 * it, the two checks that need it report skip naming it, and the
	 * check after them runs. */
	char why[SETUP_WHY_MAX];
	const char *need = SETUP_CHECK("selftest.broken.setup",
				       "set-up that ends the target", shut_down,
				       NULL, why);
	struct fault f;

	if (need) {
		report_skip("selftest.broken.needs-setup", "needs the set-up",
			    "%s", need);
		report_skip("selftest.broken.needs-setup-too",
			    "needs the set-up too", "%s", need);
	} else {
		report("selftest.broken.needs-setup", "needs the set-up", true,
		       "-");
		report("selftest.broken.needs-setup-too",
		       "needs the set-up too", true, "-");
	}
	try_call(nothing, NULL, &f);
	report("selftest.broken.after-setup", "runs after the set-up",
	       f.vector == NO_FAULT, "saw %s", vector_name(f.vector));
#else
#error "one BROKEN_* mode"
#endif
}
