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

#define IO_ONE(name, fn, cpl, iopl)                                            \
	do {                                                                   \
		run_at_cpl_flags(cpl, iopl_flags(iopl, false), fn, buf, &f);   \
		report_fault("conformance.io." name ".cpl" #cpl ".iopl" #iopl, \
			     name " at CPL " #cpl ", IOPL " #iopl              \
				  ", no bitmap: #GP(0) iff CPL > IOPL",        \
			     cpl > iopl ? GP_VECTOR : NO_FAULT, 0, &f);        \
	} while (0)
#define IO_IOPL(name, fn, cpl)                                                 \
	do {                                                                   \
		IO_ONE(name, fn, cpl, 0);                                      \
		IO_ONE(name, fn, cpl, 1);                                      \
		IO_ONE(name, fn, cpl, 2);                                      \
		IO_ONE(name, fn, cpl, 3);                                      \
	} while (0)
#define IO_INSN(name, fn)                                                      \
	do {                                                                   \
		IO_IOPL(name, fn, 0);                                          \
		IO_IOPL(name, fn, 1);                                          \
		IO_IOPL(name, fn, 2);                                          \
		IO_IOPL(name, fn, 3);                                          \
	} while (0)

/* With the bitmap enabled, at CPL 3 / IOPL 0. */
#define BITMAP(name, fn)                                                       \
	do {                                                                   \
		io_bitmap_allow(PORT, true);                                   \
		run_at_cpl(3, fn, buf, &f);                                    \
		report_nofault("conformance.io.bitmap." name ".allowed",       \
			       name                                            \
			       " at CPL 3, IOPL 0 to a port whose bitmap "     \
			       "bit is clear is allowed",                      \
			       &f);                                            \
		io_bitmap_allow(PORT, false);                                  \
		run_at_cpl(3, fn, buf, &f);                                    \
		report_gp0("conformance.io.bitmap." name ".denied",            \
			   name " at CPL 3, IOPL 0 to a port whose bitmap "    \
				"bit is set raises #GP(0)",                    \
			   &f);                                                \
	} while (0)

void probe_main(void)
{
	struct fault f;

	IO_INSN("in", do_in);
	IO_INSN("out", do_out);
	IO_INSN("ins", do_ins);
	IO_INSN("outs", do_outs);

	io_bitmap_enable(true);
	BITMAP("in", do_in);
	BITMAP("out", do_out);
	BITMAP("ins", do_ins);
	BITMAP("outs", do_outs);

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
