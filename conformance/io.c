/*
 * conformance.io: IN, OUT, INS and OUTS against IOPL and the TSS I/O
 * permission bitmap (SDM Vol. 1, 19.5 "Protected-Mode I/O"): at CPL <= IOPL
 * every port is accessible; at CPL > IOPL the access is allowed only if
 * every bit for the accessed ports is clear in the bitmap, else #GP(0). A
 * monitor that gives a de-privileged guest kernel IOPL 3 to avoid traps
 * also gives it to the guest's user code; one that keeps IOPL 0 must
 * emulate every access, and must honour the guest's own bitmap.
 */
#include "common.h"

POPEK_IMAGE(0, 0);

/* POST diagnostic port: reads and writes have no effect a probe can see. */
#define PORT 0x80

static u8 buf[4];

PROBE do_in(void *a)
{
	(void)a;
	inb(PORT);
}
PROBE do_out(void *a)
{
	(void)a;
	outb(PORT, 0);
}
PROBE do_ins(void *a)
{
	void *p = a;

	asm volatile("insb" : "+D"(p) : "d"(PORT) : "memory");
}
PROBE do_outs(void *a)
{
	const void *p = a;

	asm volatile("outsb" : "+S"(p) : "d"(PORT) : "memory");
}
PROBE do_inw(void *a)
{
	u16 v;

	(void)a;
	asm volatile("inw %1, %0" : "=a"(v) : "Nd"((u16)PORT));
}

/* IN, OUT, INS and OUTS, in the order of {in,out,ins,outs} in the ids. */
static void (*const io_insn[])(void *) = {do_in, do_out, do_ins, do_outs};

/* Without the bitmap: #GP(0) iff CPL > IOPL. */
static void io_iopl(int insn, int cpl, int iopl)
{
	struct fault f;
	char id[CHECK_ID_MAX];

	run_at_cpl_flags(cpl, iopl_flags(iopl, false), io_insn[insn], buf, &f);
	check_fault(
		CHECK_ID(
			id,
			"conformance.io.{in,out,ins,outs}.cpl{0..3}.iopl{0..3}",
			"{1} at CPL {2}, IOPL {3}, no bitmap: #GP(0) iff CPL > "
			"IOPL",
			insn, cpl, iopl),
		cpl > iopl ? GP_VECTOR : NO_FAULT, 0, &f);
}

/* With the bitmap enabled, at CPL 3 / IOPL 0. */
static void io_bitmap(int insn)
{
	struct fault f;
	char id[CHECK_ID_MAX];

	io_bitmap_allow(PORT, true);
	run_at_cpl(3, io_insn[insn], buf, &f);
	check_fault(CHECK_ID(id,
			     "conformance.io.bitmap.{in,out,ins,outs}.allowed",
			     "{1} at CPL 3, IOPL 0 to a port whose bitmap bit "
			     "is clear is allowed",
			     insn),
		    NO_FAULT, 0, &f);
	io_bitmap_allow(PORT, false);
	run_at_cpl(3, io_insn[insn], buf, &f);
	check_fault(CHECK_ID(id,
			     "conformance.io.bitmap.{in,out,ins,outs}.denied",
			     "{1} at CPL 3, IOPL 0 to a port whose bitmap bit "
			     "is set raises #GP(0)",
			     insn),
		    GP_VECTOR, 0, &f);
}

void probe_main(void)
{
	struct fault f;

	for (int insn = 0; insn < (int)ARRAY_SIZE(io_insn); insn++)
		for (int cpl = 0; cpl <= 3; cpl++)
			for (int iopl = 0; iopl <= 3; iopl++)
				io_iopl(insn, cpl, iopl);

	io_bitmap_enable(true);
	for (int insn = 0; insn < (int)ARRAY_SIZE(io_insn); insn++)
		io_bitmap(insn);

	/* A 2-byte access needs both ports' bits clear. */
	io_bitmap_allow(PORT, true);
	io_bitmap_allow(PORT + 1, false);
	run_at_cpl(3, do_inw, NULL, &f);
	report_gp0("conformance.io.bitmap.in-word-half",
		   "IN of a word at CPL 3 with only the first port's bit clear "
		   "raises #GP(0)",
		   &f);
	io_bitmap_allow(PORT + 1, true);
	run_at_cpl(3, do_inw, NULL, &f);
	report_nofault("conformance.io.bitmap.in-word-both",
		       "IN of a word at CPL 3 with both ports' bits clear is "
		       "allowed",
		       &f);
	io_bitmap_allow(PORT, false);
	io_bitmap_allow(PORT + 1, false);

	run_at_cpl_flags(3, iopl_flags(3, false), do_in, NULL, &f);
	report_nofault("conformance.io.bitmap.iopl-first",
		       "IN at CPL 3 with IOPL 3 ignores a bitmap that denies "
		       "the port",
		       &f);
	run_at_cpl(1, do_in, NULL, &f);
	report_gp0("conformance.io.bitmap.cpl1-denied",
		   "IN at CPL 1, IOPL 0 consults the bitmap like CPL 3", &f);
	io_bitmap_enable(false);
}
