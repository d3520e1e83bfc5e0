/*
 * conformance.debug: the debug registers (SDM Vol. 3B, chapter 18). MOV
 * DR is privileged (#GP(0) at CPL > 0, Vol. 2A "MOV—Move to/from Debug
 * Registers"); DR4/DR5 alias DR6/DR7 unless CR4.DE=1, then #UD (18.2.2);
 * DR7.GD makes any MOV DR raise #DB with DR6.BD (18.2.4); breakpoints
 * (18.2.4-18.2.5) raise #DB: faults for execution, traps for data and
 * I/O, with DR6.Bn naming the breakpoint (18.2.3). A monitor that uses
 * the debug registers itself must virtualize all of this for its guest.
 */
#include "common.h"

POPEK_IMAGE(0, 0);

extern char x0[], x1[], x2[], x3[], wr_after[], rd_after[], out_after[],
	gd_insn[];
static volatile u32 watched[4] __aligned(16);
static ulong arg;

PROBE rd_dr0(void *a)
{
	*(ulong *)a = read_dr(0);
}
PROBE rd_dr6(void *a)
{
	*(ulong *)a = read_dr(6);
}
PROBE rd_dr7(void *a)
{
	*(ulong *)a = read_dr(7);
}
PROBE wr_dr0(void *a)
{
	write_dr(0, *(ulong *)a);
}
PROBE wr_dr7(void *a)
{
	write_dr(7, *(ulong *)a);
}
PROBE rd_dr4(void *a)
{
	*(ulong *)a = read_dr(4);
}
PROBE rd_dr5(void *a)
{
	*(ulong *)a = read_dr(5);
}

/* MOV from and to the debug registers at CPL 1-3: #GP(0). */
static void movdr_cpl(int cpl)
{
	static void (*const rd[])(void *) = {rd_dr0, rd_dr6, rd_dr7};
	static void (*const wr[])(void *) = {wr_dr0, wr_dr7};
	const ulong wr_value[] = {0x1234, X86_DR7_FIXED1 | X86_DR7_G(0)};
	struct fault f;
	char id[CHECK_ID_MAX];

	for (int dr = 0; dr < (int)ARRAY_SIZE(rd); dr++) {
		run_at_cpl(cpl, rd[dr], &arg, &f);
		check_fault(CHECK_ID(id,
				     "conformance.debug.mov-from-dr{0,6,7}"
				     ".cpl{1..3}",
				     "MOV from DR{1} at CPL {2} raises #GP(0)",
				     dr, cpl),
			    GP_VECTOR, 0, &f);
	}
	for (int dr = 0; dr < (int)ARRAY_SIZE(wr); dr++) {
		arg = wr_value[dr];
		run_at_cpl(cpl, wr[dr], &arg, &f);
		check_fault(
			CHECK_ID(id,
				 "conformance.debug.mov-to-dr{0,7}.cpl{1..3}",
				 "MOV to DR{1} at CPL {2} raises #GP(0)", dr,
				 cpl),
			GP_VECTOR, 0, &f);
	}
}

static void mov_dr(void)
{
	const char *dr4, *dr5;
	struct fault f;
	ulong cr4 = read_cr4();

	write_dr(0, 0x5000);
	write_dr(7, X86_DR7_FIXED1);
	for (int cpl = 1; cpl <= 3; cpl++)
		movdr_cpl(cpl);
	report_eq("conformance.debug.mov-to-dr0.no-effect",
		  "MOV to DR0 that faulted at CPL 1-3 left DR0 unchanged",
		  0x5000, read_dr(0));
	report_eq("conformance.debug.mov-to-dr7.no-effect",
		  "MOV to DR7 that faulted at CPL 1-3 left DR7 unchanged",
		  X86_DR7_FIXED1, read_dr(7));
	arg = 0x6000;
	try_call(wr_dr0, &arg, &f);
	report("conformance.debug.mov-to-dr0.cpl0",
	       "MOV to DR0 at CPL 0 writes it",
	       f.vector == NO_FAULT && read_dr(0) == 0x6000,
	       "expected DR0 0x6000 and no exception, saw %#lx, %s", read_dr(0),
	       vector_name(f.vector));
	write_dr(6, 0);
	write_dr(7, 0);
	/* DR6/DR7 reserved bits (18.2.3, 18.2.4): bits 4-10 and 17-31 of
	 * DR6 read 1, bit 12 reads 0 (bits 11 and 16 depend on features);
	 * DR7 bit 10 reads 1. */
	report_eq("conformance.debug.dr6.reserved",
		  "DR6 written with 0 reads back its reserved bits as 1",
		  0xfffe07f0, read_dr(6) & 0xfffe17f0);
	report_eq("conformance.debug.dr7.reserved",
		  "DR7 written with 0 reads back bit 10 as 1", 0x400,
		  read_dr(7));

	write_cr4(cr4 & ~X86_CR4_DE);
	write_dr(6, 0);
	try_call(rd_dr4, &arg, &f);
	report("conformance.debug.dr4.de0",
	       "MOV from DR4 with CR4.DE=0 reads DR6",
	       f.vector == NO_FAULT && arg == read_dr(6),
	       "expected DR6's value and no exception, saw %#lx, %s", arg,
	       vector_name(f.vector));
	try_call(rd_dr5, &arg, &f);
	report("conformance.debug.dr5.de0",
	       "MOV from DR5 with CR4.DE=0 reads DR7",
	       f.vector == NO_FAULT && arg == read_dr(7),
	       "expected DR7's value and no exception, saw %#lx, %s", arg,
	       vector_name(f.vector));
	dr4 = DECLARE_CHECK("conformance.debug.dr4.de1",
			    "MOV from DR4 with CR4.DE=1 raises #UD");
	dr5 = DECLARE_CHECK("conformance.debug.dr5.de1",
			    "MOV from DR5 with CR4.DE=1 raises #UD");
	if (this_cpu_has(FEAT_DE)) {
		write_cr4(cr4 | X86_CR4_DE);
		try_call(rd_dr4, &arg, &f);
		check_fault(dr4, UD_VECTOR, 0, &f);
		try_call(rd_dr5, &arg, &f);
		check_fault(dr5, UD_VECTOR, 0, &f);
	} else {
		report_skipped(dr4, "CPU lacks de");
		report_skipped(dr5, "CPU lacks de");
	}
	write_cr4(cr4);
}

PROBE gd_probe(void *a)
{
	ulong v;

	(void)a;
	asm volatile(AT(gd_insn) "mov %%db0, %0" : "=r"(v));
}

static void general_detect(void)
{
	struct fault f;
	ulong dr6, dr7;

	write_dr(6, 0);
	write_dr(7, X86_DR7_FIXED1 | X86_DR7_GD);
	try_call(gd_probe, NULL, &f);
	dr6 = read_dr(6);
	dr7 = read_dr(7);
	write_dr(7, X86_DR7_FIXED1);
	report("conformance.debug.gd.fault",
	       "MOV DR with DR7.GD=1 raises #DB before executing (a fault)",
	       f.vector == DB_VECTOR && f.ip == (ulong)gd_insn,
	       "expected #DB at %#lx, saw %s at %#lx", (ulong)gd_insn,
	       vector_name(f.vector), f.ip);
	report_eq("conformance.debug.gd.dr6-bd",
		  "the general-detect #DB sets DR6.BD", X86_DR6_BD,
		  dr6 & X86_DR6_BD);
	report_eq("conformance.debug.gd.cleared",
		  "the processor clears DR7.GD on entry to the #DB handler", 0,
		  dr7 & X86_DR7_GD);
}

PROBE exec_bps(void *a)
{
	(void)a;
	asm volatile(AT(x0) "nop\n\t" AT(x1) "nop\n\t" AT(x2) "nop\n\t" AT(
		x3) "nop");
}

/* write_dr() with n known only at run time (MOV DR encodes it). */
static void write_dr_n(int n, ulong v)
{
	switch (n) {
	case 0:
		write_dr(0, v);
		break;
	case 1:
		write_dr(1, v);
		break;
	case 2:
		write_dr(2, v);
		break;
	default:
		write_dr(3, v);
		break;
	}
}

/* Execute breakpoint n on its NOP: #DB fault at that NOP, DR6.Bn set. */
static void exec_bp(int n, int cpl)
{
	static char *const x[] = {x0, x1, x2, x3};
	struct fault f;
	char id[CHECK_ID_MAX];
	ulong dr6;

	write_dr_n(n, (ulong)x[n]);
	write_dr(6, 0);
	write_dr(7, X86_DR7_FIXED1 | X86_DR7_L(n));
	run_at_cpl(cpl, exec_bps, NULL, &f);
	dr6 = read_dr(6);
	write_dr(7, X86_DR7_FIXED1);
	report_result(CHECK_ID(id, "conformance.debug.exec-bp{0..3}.cpl{0,3}",
			       "execute breakpoint in DR{1} at CPL {2}: #DB "
			       "fault at the instruction, DR6.B{1}",
			       n, cpl == 3),
		      f.vector == DB_VECTOR && f.ip == (ulong)x[n] &&
			      (dr6 & 0xf) == X86_DR6_B(n),
		      "expected #DB at %#lx with DR6[3:0]=%#lx, saw %s at "
		      "%#lx, DR6 %#lx",
		      (ulong)x[n], X86_DR6_B(n), vector_name(f.vector), f.ip,
		      dr6);
}

PROBE write_watched(void *a)
{
	asm volatile("movl $1, %0\n\t" AT(wr_after) "nop"
		     : "=m"(*(volatile u32 *)a));
}
PROBE read_watched(void *a)
{
	u32 v;

	asm volatile("movl %1, %0\n\t" AT(rd_after) "nop"
		     : "=r"(v)
		     : "m"(*(volatile u32 *)a));
}

/* A data breakpoint on bp with R/W rw and LEN len, then fn(at). */
static void data_bp_at(volatile void *bp, int rw, int len, void (*fn)(void *),
		       volatile void *at, struct fault *f, ulong *dr6)
{
	write_dr(1, (ulong)bp);
	write_dr(6, 0);
	write_dr(7, X86_DR7_FIXED1 | X86_DR7_L(1) | X86_DR7_RW(1, rw) |
			    X86_DR7_LEN(1, len));
	run_at_cpl(3, fn, (void *)at, f);
	*dr6 = read_dr(6);
	write_dr(7, X86_DR7_FIXED1);
}

/* A data breakpoint on watched[1] with R/W rw, then fn(at). */
static void data_bp(int rw, int len, void (*fn)(void *), volatile void *at,
		    struct fault *f, ulong *dr6)
{
	data_bp_at(&watched[1], rw, len, fn, at, f, dr6);
}

static void breakpoints(void)
{
	struct fault f;
	ulong dr6;

	for (int cpl = 0; cpl <= 3; cpl += 3)
		for (int n = 0; n <= 3; n++)
			exec_bp(n, cpl);

	data_bp(1, 3, write_watched, &watched[1], &f, &dr6);
	report("conformance.debug.write-bp.hit.cpl3",
	       "a 4-byte write breakpoint hit at CPL 3 raises a #DB trap "
	       "after the write, DR6.B1",
	       f.vector == DB_VECTOR && f.ip == (ulong)wr_after &&
		       (dr6 & 0xf) == X86_DR6_B(1),
	       "expected #DB at %#lx with DR6.B1, saw %s at %#lx, DR6 %#lx",
	       (ulong)wr_after, vector_name(f.vector), f.ip, dr6);
	data_bp(1, 3, read_watched, &watched[1], &f, &dr6);
	report_nofault("conformance.debug.write-bp.read",
		       "a read of a write-only breakpoint's address raises "
		       "nothing",
		       &f);
	data_bp(1, 3, write_watched, &watched[2], &f, &dr6);
	report_nofault("conformance.debug.write-bp.miss",
		       "a write next to a 4-byte breakpoint's range raises "
		       "nothing",
		       &f);
	data_bp(3, 3, read_watched, &watched[1], &f, &dr6);
	report("conformance.debug.rw-bp.read",
	       "a read/write breakpoint hit by a read raises a #DB trap, "
	       "DR6.B1",
	       f.vector == DB_VECTOR && f.ip == (ulong)rd_after &&
		       (dr6 & 0xf) == X86_DR6_B(1),
	       "expected #DB at %#lx with DR6.B1, saw %s at %#lx, DR6 %#lx",
	       (ulong)rd_after, vector_name(f.vector), f.ip, dr6);
	/* 1-byte breakpoint on watched[1]'s second byte: a 4-byte write to
	 * watched[1] overlaps it (18.2.5). */
	write_dr(1, (ulong)&watched[1] + 1);
	write_dr(6, 0);
	write_dr(7, X86_DR7_FIXED1 | X86_DR7_L(1) | X86_DR7_RW(1, 1));
	run_at_cpl(3, write_watched, (void *)&watched[1], &f);
	write_dr(7, X86_DR7_FIXED1);
	report_fault("conformance.debug.write-bp.overlap",
		     "a 4-byte write that overlaps a 1-byte breakpoint raises "
		     "#DB",
		     DB_VECTOR, 0, &f);
#ifdef __x86_64__
	/* The CPU masks the low address bits by LEN (SDM Vol. 3B 18.2.5):
	 * an 8-byte range starts qword-aligned, here at watched[0]. Found
	 * on Bochs; docs/findings.md. */
	data_bp_at(&watched[0], 1, 2, write_watched, &watched[1], &f, &dr6);
	report_fault("conformance.debug.write-bp.len8",
		     "an 8-byte write breakpoint (LEN=10b) covers the second "
		     "dword",
		     DB_VECTOR, 0, &f);
#endif
}

PROBE out_port(void *a)
{
	(void)a;
	asm volatile("outb %%al, $0x80\n\t" AT(out_after) "nop" : : "a"(0));
}

static void io_breakpoint(void)
{
	const char *id = DECLARE_CHECK("conformance.debug.io-bp.hit",
				       "an I/O breakpoint (CR4.DE=1) on port "
				       "0x80 raises a #DB trap after OUT, "
				       "DR6.B2");
	ulong cr4 = read_cr4(), dr6;
	struct fault f;

	if (!this_cpu_has(FEAT_DE)) {
		report_skipped(id, "CPU lacks de");
		return;
	}
	write_cr4(cr4 | X86_CR4_DE);
	write_dr(2, 0x80);
	write_dr(6, 0);
	write_dr(7, X86_DR7_FIXED1 | X86_DR7_L(2) | X86_DR7_RW(2, 2));
	try_call(out_port, NULL, &f);
	dr6 = read_dr(6);
	write_dr(7, X86_DR7_FIXED1);
	write_cr4(cr4);
	report_result(
		id,
		f.vector == DB_VECTOR && f.ip == (ulong)out_after &&
			(dr6 & 0xf) == X86_DR6_B(2),
		"expected #DB at %#lx with DR6.B2, saw %s at %#lx, DR6 %#lx",
		(ulong)out_after, vector_name(f.vector), f.ip, dr6);
}

void probe_main(void)
{
	mov_dr();
	general_detect();
	breakpoints();
	io_breakpoint();
	write_dr(7, X86_DR7_FIXED1);
}
