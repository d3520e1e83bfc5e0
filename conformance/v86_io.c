/*
 * conformance.v86.io: I/O in virtual-8086 mode goes through the TSS's I/O
 * permission bitmap whatever IOPL is (SDM Vol. 3A 20.2.8.1; Vol. 1
 * 19.5.2): a clear bit for every byte of the port range runs, any set
 * bit is #GP(0), and with no bitmap every port faults. IN, OUT, INS and
 * OUTS alike; port 0x80 (the POST port) does nothing anyone sees.
 */
#include "v86.h"

#define PORT 0x80

static void run(struct v86_exit *e, char *label, int iopl)
{
	struct v86_ctx c;

	v86_ctx_init(&c, label, iopl);
	v86_run(&c, e);
}

static void check_in_out(void)
{
	static const int iopls[] = {0, 3};
	char *const entry[] = {v86_in, v86_out};
	char *const after[] = {v86_in_hlt, v86_out_hlt};
	char id[CHECK_ID_MAX];
	struct v86_exit e;

	for (int d = 0; d < 2; d++) {
		for (int i = 0; i < 2; i++) {
			v86_io_allow(PORT, true);
			run(&e, entry[d], iopls[i]);
			v86_check_exit(
				CHECK_ID(id,
					 "conformance.v86.io.{in,out}.iopl{0,3}"
					 ".allowed",
					 "virtual-8086 mode, IOPL {2:0,3}: "
					 "{1:IN,OUT} on a port the bitmap "
					 "allows runs",
					 d, i),
				&e, GP_VECTOR, 0, after[d]);
			v86_io_allow(PORT, false);
			run(&e, entry[d], iopls[i]);
			v86_check_exit(
				CHECK_ID(id,
					 "conformance.v86.io.{in,out}.iopl{0,3}"
					 ".denied",
					 "virtual-8086 mode, IOPL {2:0,3}: "
					 "{1:IN,OUT} on a port the bitmap "
					 "denies raises #GP(0)",
					 d, i),
				&e, GP_VECTOR, 0, entry[d]);
		}
	}
}

static void check_width_and_strings(void)
{
	struct v86_exit e;

	v86_io_allow(PORT, true);
	v86_io_allow(PORT + 1, false);
	run(&e, v86_outw, 3);
	report_exit("conformance.v86.io.outw.half-denied",
		    "virtual-8086 mode: OUT of a word needs both ports' bits "
		    "clear (0x81 set: #GP(0))",
		    &e, GP_VECTOR, 0, v86_outw);
	v86_io_allow(PORT + 1, true);
	run(&e, v86_outw, 0);
	report_exit("conformance.v86.io.outw.allowed",
		    "virtual-8086 mode, IOPL 0: OUT of a word with both bits "
		    "clear runs",
		    &e, GP_VECTOR, 0, v86_outw_hlt);
	v86_io_allow(PORT + 1, false);

	run(&e, v86_outsb, 0);
	report_exit("conformance.v86.io.outsb.allowed",
		    "virtual-8086 mode, IOPL 0: OUTSB to an allowed port runs",
		    &e, GP_VECTOR, 0, v86_outsb_hlt);
	run(&e, v86_insb, 0);
	report_exit("conformance.v86.io.insb.allowed",
		    "virtual-8086 mode, IOPL 0: INSB from an allowed port runs",
		    &e, GP_VECTOR, 0, v86_insb_hlt);
	v86_io_allow(PORT, false);
	run(&e, v86_outsb, 3);
	report_exit("conformance.v86.io.outsb.denied",
		    "virtual-8086 mode, IOPL 3: OUTSB to a denied port raises "
		    "#GP(0)",
		    &e, GP_VECTOR, 0, v86_outsb_insn);
	run(&e, v86_insb, 3);
	report_exit("conformance.v86.io.insb.denied",
		    "virtual-8086 mode, IOPL 3: INSB from a denied port raises "
		    "#GP(0)",
		    &e, GP_VECTOR, 0, v86_insb_insn);
}

void check_v86_io(void)
{
	struct v86_exit e;

	v86_iomap(true);
	check_in_out();
	check_width_and_strings();
	v86_iomap(false);
	run(&e, v86_out, 3);
	report_exit("conformance.v86.io.no-bitmap",
		    "virtual-8086 mode, IOPL 3: with the I/O map base past the "
		    "TSS limit every port raises #GP(0)",
		    &e, GP_VECTOR, 0, v86_out);
	v86_iomap(true);
}
