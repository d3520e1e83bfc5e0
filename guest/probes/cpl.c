/*
 * runtime.cpl: entering CPL 1, 2 and 3 from a check and coming back, and
 * the protection checks that follow from the CPL (SDM Vol. 3A, 5.5-5.9;
 * HLT, CLI and IN in Vol. 2). Runs in 32- and 64-bit images.
 */
#include "desc.h"
#include "fault.h"
#include "outcome.h"
#include "report.h"
#include "x86.h"

POPEK_IMAGE(0, 0);

struct seen {
	u16 cs, ss;
};

static void read_selectors(void *arg)
{
	struct seen *s = arg;

	s->cs = read_cs();
	s->ss = read_ss();
}

static void do_hlt(void *a)
{
	(void)a;
	asm volatile("hlt");
}

static void do_cli(void *a)
{
	(void)a;
	asm volatile("cli");
}

static void do_in(void *a)
{
	(void)a;
	inb(0x80);
}

static void do_int40(void *a)
{
	(void)a;
	asm volatile("int $0x40");
}

static void do_int80(void *a)
{
	(void)a;
	asm volatile("int $0x80");
}

/* Entering CPL n (1, 2 or 3) and what runs there. */
static void check_level(int n)
{
	struct seen s = {0, 0};
	struct fault f;
	char id[CHECK_ID_MAX];

	run_at_cpl(n, read_selectors, &s, &f);
	report_exception_result(
		CHECK_ID(id, "runtime.cpl.{1..3}.enter",
			 "code run at CPL {1} returns without exception", n),
		NO_FAULT, ANY_ERROR, &f);
	report_equal(CHECK_ID(id, "runtime.cpl.{1..3}.cs-rpl",
			      "CS read at CPL {1} has RPL {1}", n),
		     n, s.cs & 3);
	report_equal(CHECK_ID(id, "runtime.cpl.{1..3}.ss-rpl",
			      "SS read at CPL {1} has RPL {1}", n),
		     n, s.ss & 3);
	report_equal(CHECK_ID(id, "runtime.cpl.{1..3}.return",
			      "after the return the CPL is 0 again", n),
		     0, read_cs() & 3);
	run_at_cpl(n, do_hlt, NULL, &f);
	report_exception_result(CHECK_ID(id, "runtime.cpl.{1..3}.hlt",
					 "HLT at CPL {1} raises #GP(0)", n),
				GP_VECTOR, 0, &f);
	report_equal(CHECK_ID(id, "runtime.cpl.{1..3}.fault-cs",
			      "a fault at CPL {1} saves a CS with RPL {1}", n),
		     n, f.cs & 3);
}

static void with_iopl(int iopl)
{
	write_flags((read_flags() & ~X86_EFLAGS_IOPL) | ((ulong)iopl << 12));
}

void probe_main(void)
{
	struct fault f;

	for (int n = 1; n <= 3; n++)
		check_level(n);

	with_iopl(0);
	run_at_cpl(3, do_cli, NULL, &f);
	report_exception("runtime.cpl.3.cli-iopl0",
			 "CLI at CPL 3 with IOPL 0 raises #GP(0)", GP_VECTOR, 0,
			 &f);
	run_at_cpl(3, do_in, NULL, &f);
	report_exception(
		"runtime.cpl.3.in-iopl0",
		"IN at CPL 3 with IOPL 0 and no I/O bitmap raises #GP(0)",
		GP_VECTOR, 0, &f);
	with_iopl(3);
	run_at_cpl(3, do_cli, NULL, &f);
	report_exception("runtime.cpl.3.cli-iopl3",
			 "CLI at CPL 3 with IOPL 3 is allowed", NO_FAULT,
			 ANY_ERROR, &f);
	with_iopl(0);

	/* INT n checks the gate's DPL against the CPL; the error code names
	 * the IDT entry: vector << 3 | IDT bit (SDM Vol. 3A, 6.12.1.1, 6.13).
	 */
	run_at_cpl(3, do_int40, NULL, &f);
	report_exception(
		"runtime.cpl.3.int-dpl0",
		"INT 0x40 at CPL 3 through a DPL 0 gate raises #GP(0x202)",
		GP_VECTOR, 0x202, &f);
	run_at_cpl(3, do_int80, NULL, &f);
	report_eq("runtime.cpl.3.int-dpl3",
		  "INT 0x80 at CPL 3 through a DPL 3 gate is delivered", 0x80,
		  f.vector);
	report_eq("runtime.cpl.3.int-dpl3-cs",
		  "INT 0x80 from CPL 3 saves a CS with RPL 3", 3, f.cs & 3);
}
