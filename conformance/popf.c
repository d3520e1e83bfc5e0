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

/* The five POPF checks (or three IRET ones) for one CPL x IOPL pair. */
#define FLAG_CHECKS(insn, NAME, fn, cpl, iopl)                                 \
	do {                                                                   \
		struct fault f;                                                \
		ulong a;                                                       \
		int want;                                                      \
		a = flag_write(fn, cpl, iopl, false, X86_EFLAGS_IF, &f);       \
		want = cpl <= iopl;                                            \
		report("conformance." insn ".cpl" #cpl ".iopl" #iopl           \
		       ".if-set",                                              \
		       NAME " loading IF=1 at CPL " #cpl ", IOPL " #iopl       \
			    " sets IF only if CPL <= IOPL",                    \
		       f.vector == NO_FAULT && flag_if(a) == want,             \
		       "expected IF=%d and no exception, saw IF=%d, %s", want, \
		       flag_if(a), vector_name(f.vector));                     \
		a = flag_write(fn, cpl, iopl, true, X86_EFLAGS_IF, &f);        \
		want = !(cpl <= iopl);                                         \
		report("conformance." insn ".cpl" #cpl ".iopl" #iopl           \
		       ".if-clear",                                            \
		       NAME " loading IF=0 at CPL " #cpl ", IOPL " #iopl       \
			    " clears IF only if CPL <= IOPL",                  \
		       f.vector == NO_FAULT && flag_if(a) == want,             \
		       "expected IF=%d and no exception, saw IF=%d, %s", want, \
		       flag_if(a), vector_name(f.vector));                     \
		a = flag_write(fn, cpl, iopl, false, X86_EFLAGS_IOPL, &f);     \
		want = cpl == 0 ? 3 - iopl : iopl;                             \
		report("conformance." insn ".cpl" #cpl ".iopl" #iopl ".iopl",  \
		       NAME " loading IOPL 3-" #iopl " at CPL " #cpl           \
			    " changes IOPL only at CPL 0, silently",           \
		       f.vector == NO_FAULT && flag_iopl(a) == want,           \
		       "expected IOPL %d and no exception, saw IOPL %d, %s",   \
		       want, flag_iopl(a), vector_name(f.vector));             \
	} while (0)

#define POPF_CHECKS(cpl, iopl)                                                 \
	do {                                                                   \
		struct fault f;                                                \
		ulong a;                                                       \
		FLAG_CHECKS("popf", "POPF", do_popf, cpl, iopl);               \
		a = flag_write(do_popf, cpl, iopl, false, ARITH, &f);          \
		report_eq("conformance.popf.cpl" #cpl ".iopl" #iopl ".arith",  \
			  "POPF at CPL " #cpl ", IOPL " #iopl                  \
			  " writes CF, PF, ZF, SF and OF at any CPL",          \
			  ARITH, a &ARITH);                                    \
		a = flag_write(do_popf, cpl, iopl, false, X86_EFLAGS_AC, &f);  \
		report_eq("conformance.popf.cpl" #cpl ".iopl" #iopl ".ac",     \
			  "POPF at CPL " #cpl ", IOPL " #iopl                  \
			  " writes AC at any CPL",                             \
			  X86_EFLAGS_AC, a &X86_EFLAGS_AC);                    \
	} while (0)

#define IRET_CHECKS(cpl, iopl) FLAG_CHECKS("iret", "IRET", do_iret, cpl, iopl)

/* CLI/STI: #GP(0) with IF unchanged if CPL > IOPL, else IF written. */
#define CLISTI_CHECKS(insn, NAME, fn, start_if, cpl, iopl)                     \
	do {                                                                   \
		struct fault f;                                                \
		ulong after = ~0ul;                                            \
		bool trap = cpl > iopl;                                        \
		run_at_cpl_flags(cpl, iopl_flags(iopl, start_if), fn, &after,  \
				 &f);                                          \
		report_fault("conformance.trap." insn ".cpl" #cpl              \
			     ".iopl" #iopl,                                    \
			     NAME " at CPL " #cpl ", IOPL " #iopl              \
				  ": #GP(0) if CPL > IOPL, else allowed",      \
			     trap ? GP_VECTOR : NO_FAULT, 0, &f);              \
		report("conformance.trap." insn ".cpl" #cpl ".iopl" #iopl      \
		       ".if",                                                  \
		       NAME " at CPL " #cpl ", IOPL " #iopl                    \
			    ": IF kept on #GP, written when allowed",          \
		       flag_if(trap ? f.flags : after) ==                      \
			       (trap ? start_if : !start_if),                  \
		       "expected IF=%d, saw IF=%d",                            \
		       trap ? start_if : !start_if,                            \
		       flag_if(trap ? f.flags : after));                       \
	} while (0)
#define CLI_CHECKS(cpl, iopl) CLISTI_CHECKS("cli", "CLI", do_cli, 1, cpl, iopl)
#define STI_CHECKS(cpl, iopl) CLISTI_CHECKS("sti", "STI", do_sti, 0, cpl, iopl)

#define FOR_IOPL(M, cpl)                                                       \
	do {                                                                   \
		M(cpl, 0);                                                     \
		M(cpl, 1);                                                     \
		M(cpl, 2);                                                     \
		M(cpl, 3);                                                     \
	} while (0)
#define FOR_CPL_IOPL(M)                                                        \
	do {                                                                   \
		FOR_IOPL(M, 0);                                                \
		FOR_IOPL(M, 1);                                                \
		FOR_IOPL(M, 2);                                                \
		FOR_IOPL(M, 3);                                                \
	} while (0)

void probe_main(void)
{
	/* Flags images with IF=1 are loaded below: mask every IRQ first. */
	pic_init();
	FOR_CPL_IOPL(POPF_CHECKS);
	FOR_CPL_IOPL(IRET_CHECKS);
	FOR_CPL_IOPL(CLI_CHECKS);
	FOR_CPL_IOPL(STI_CHECKS);
}
