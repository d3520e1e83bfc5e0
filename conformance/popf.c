/*
 * conformance.popf, conformance.iret, conformance.trap.{cli,sti}: the IF
 * and IOPL rules at every CPL x IOPL, Popek and Goldberg's classic x86
 * violation. POPF and IRET never fault over IF or IOPL in protected mode:
 * IF is written only if CPL <= IOPL, IOPL only at CPL 0, and otherwise the
 * old value is silently kept (SDM Vol. 2B, POPF "Operation"; Vol. 2A,
 * IRET; Vol. 1, 3.4.3.3 and Table 3-2 of Vol. 3A). CLI and STI instead
 * raise #GP(0) when CPL > IOPL (SDM Vol. 2A CLI, Vol. 2B STI, without
 * CR4.PVI/VME). A de-privileged guest kernel's POPF loses its IF change
 * without a trap, which a trap-and-emulate monitor cannot see.
 */
#include "common.h"
#include "pic.h"

POPEK_IMAGE(0, 0);

#define ARITH                                                                  \
	(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_ZF | X86_EFLAGS_SF |       \
	 X86_EFLAGS_OF)

struct flag_op {
	ulong write; /* the flags image POPF or IRET loads */
	ulong after; /* the flags read back by PUSHF */
};

PROBE do_popf(void *a)
{
	struct flag_op *op = a;
	ulong after;

	asm volatile("push %1\n\tpopf\n\tpushf\n\tpop %0"
		     : "=&r"(after)
		     : "r"(op->write)
		     : "cc", "memory");
	op->after = after;
}

PROBE do_iret(void *a)
{
	struct flag_op *op = a;
	ulong after;

#ifdef __x86_64__
	asm volatile("mov %%ss, %%eax\n\tmov %%rsp, %%rdx\n\t"
		     "pushq %%rax\n\tpushq %%rdx\n\tpushq %1\n\t"
		     "mov %%cs, %%eax\n\tpushq %%rax\n\t"
		     "leaq 1f(%%rip), %%rax\n\tpushq %%rax\n\tiretq\n"
		     "1:\tpushf\n\tpop %0"
		     : "=&r"(after)
		     : "r"(op->write)
		     : "rax", "rdx", "cc", "memory");
#else
	asm volatile("pushl %1\n\tmov %%cs, %%eax\n\tpushl %%eax\n\t"
		     "pushl $1f\n\tiret\n"
		     "1:\tpushf\n\tpop %0"
		     : "=&r"(after)
		     : "r"(op->write)
		     : "eax", "cc", "memory");
#endif
	op->after = after;
}

PROBE do_cli(void *a)
{
	asm volatile("cli\n\tpushf\n\tpop %0" : "=r"(*(ulong *)a) : : "memory");
}

PROBE do_sti(void *a)
{
	/* IF=1 here is harmless: pic_init() masked every IRQ. */
	asm volatile("sti\n\tpushf\n\tpop %0" : "=r"(*(ulong *)a) : : "memory");
}

/*
 * Runs POPF or IRET at cpl, starting with IOPL iopl and IF start_if, and
 * loading the same flags with the bits in toggle inverted.
 */
static ulong flag_write(void (*fn)(void *), int cpl, int iopl, bool start_if,
			ulong toggle, struct fault *f)
{
	ulong start = iopl_flags(iopl, start_if);
	struct flag_op op = {start ^ toggle, ~0ul};

	run_at_cpl_flags(cpl, start, fn, &op, f);
	return op.after;
}

static int flag_if(ulong fl)
{
	return !!(fl & X86_EFLAGS_IF);
}

static int flag_iopl(ulong fl)
{
	return (fl >> 12) & 3;
}

/* POPF and IRET, in the order of {popf,iret} in the ids. */
enum { POPF, IRET };
static void (*const flag_insn[])(void *) = {do_popf, do_iret};

/* The IF and IOPL checks of POPF or IRET for one CPL x IOPL pair. */
static void flag_checks(int insn, int cpl, int iopl)
{
	void (*fn)(void *) = flag_insn[insn];
	struct fault f;
	char id[CHECK_ID_MAX];
	ulong a;
	int want;

	a = flag_write(fn, cpl, iopl, false, X86_EFLAGS_IF, &f);
	want = cpl <= iopl;
	report_result(
		CHECK_ID(id,
			 "conformance.{popf,iret}.cpl{0..3}.iopl{0..3}"
			 ".if-set",
			 "{1:POPF,IRET} loading IF=1 at CPL {2}, IOPL {3} "
			 "sets IF only if CPL <= IOPL",
			 insn, cpl, iopl),
		f.vector == NO_FAULT && flag_if(a) == want,
		"expected IF=%d and no exception, saw IF=%d, %s", want,
		flag_if(a), vector_name(f.vector));
	a = flag_write(fn, cpl, iopl, true, X86_EFLAGS_IF, &f);
	want = !(cpl <= iopl);
	report_result(
		CHECK_ID(id,
			 "conformance.{popf,iret}.cpl{0..3}.iopl{0..3}"
			 ".if-clear",
			 "{1:POPF,IRET} loading IF=0 at CPL {2}, IOPL {3} "
			 "clears IF only if CPL <= IOPL",
			 insn, cpl, iopl),
		f.vector == NO_FAULT && flag_if(a) == want,
		"expected IF=%d and no exception, saw IF=%d, %s", want,
		flag_if(a), vector_name(f.vector));
	a = flag_write(fn, cpl, iopl, false, X86_EFLAGS_IOPL, &f);
	want = cpl == 0 ? 3 - iopl : iopl;
	report_result(CHECK_ID(id,
			       "conformance.{popf,iret}.cpl{0..3}.iopl{0..3}"
			       ".iopl",
			       "{1:POPF,IRET} loading IOPL 3-{3} at CPL {2} "
			       "changes IOPL only at CPL 0, silently",
			       insn, cpl, iopl),
		      f.vector == NO_FAULT && flag_iopl(a) == want,
		      "expected IOPL %d and no exception, saw IOPL %d, %s",
		      want, flag_iopl(a), vector_name(f.vector));
}

/* POPF's (insn: POPF): also the arithmetic flags and AC at any CPL. */
static void popf_checks(int insn, int cpl, int iopl)
{
	struct fault f;
	char id[CHECK_ID_MAX];
	ulong a;

	flag_checks(insn, cpl, iopl);
	a = flag_write(do_popf, cpl, iopl, false, ARITH, &f);
	report_equal(CHECK_ID(id, "conformance.popf.cpl{0..3}.iopl{0..3}.arith",
			      "POPF at CPL {1}, IOPL {2} writes CF, PF, ZF, SF "
			      "and OF at any CPL",
			      cpl, iopl),
		     ARITH, a & ARITH);
	a = flag_write(do_popf, cpl, iopl, false, X86_EFLAGS_AC, &f);
	report_equal(CHECK_ID(id, "conformance.popf.cpl{0..3}.iopl{0..3}.ac",
			      "POPF at CPL {1}, IOPL {2} writes AC at any CPL",
			      cpl, iopl),
		     X86_EFLAGS_AC, a & X86_EFLAGS_AC);
}

/* CLI and STI, in the order of {cli,sti} in the ids: each starts from the
 * IF it would change. */
enum { CLI, STI };
static const struct {
	void (*fn)(void *);
	bool start_if;
} clisti[] = {{do_cli, true}, {do_sti, false}};

/* CLI/STI: #GP(0) with IF unchanged if CPL > IOPL, else IF written. */
static void clisti_checks(int insn, int cpl, int iopl)
{
	bool start_if = clisti[insn].start_if, trap = cpl > iopl;
	ulong after = ~0ul;
	struct fault f;
	char id[CHECK_ID_MAX];

	run_at_cpl_flags(cpl, iopl_flags(iopl, start_if), clisti[insn].fn,
			 &after, &f);
	check_fault(CHECK_ID(id,
			     "conformance.trap.{cli,sti}.cpl{0..3}.iopl{0..3}",
			     "{1:CLI,STI} at CPL {2}, IOPL {3}: #GP(0) if CPL "
			     "> IOPL, else allowed",
			     insn, cpl, iopl),
		    trap ? GP_VECTOR : NO_FAULT, 0, &f);
	report_result(CHECK_ID(id,
			       "conformance.trap.{cli,sti}.cpl{0..3}.iopl{0..3}"
			       ".if",
			       "{1:CLI,STI} at CPL {2}, IOPL {3}: IF kept on "
			       "#GP, written when allowed",
			       insn, cpl, iopl),
		      flag_if(trap ? f.flags : after) ==
			      (trap ? start_if : !start_if),
		      "expected IF=%d, saw IF=%d", trap ? start_if : !start_if,
		      flag_if(trap ? f.flags : after));
}

/* Every CPL x IOPL pair, CPL slowest (the order of the ids). */
static void for_cpl_iopl(void (*checks)(int insn, int cpl, int iopl), int insn)
{
	for (int cpl = 0; cpl <= 3; cpl++)
		for (int iopl = 0; iopl <= 3; iopl++)
			checks(insn, cpl, iopl);
}

void probe_main(void)
{
	/* Flags images with IF=1 are loaded below: mask every IRQ first. */
	pic_init();
	for_cpl_iopl(popf_checks, POPF);
	for_cpl_iopl(flag_checks, IRET);
	for_cpl_iopl(clisti_checks, CLI);
	for_cpl_iopl(clisti_checks, STI);
}
