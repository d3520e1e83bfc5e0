/*
 * conformance.visibility: the sensitive but unprivileged instructions
 * (Robin and Irvine, 2000) that let code at any CPL read privileged state:
 * SGDT, SIDT, SLDT, STR and SMSW return the real GDTR, IDTR, LDTR, TR and
 * CR0 at every CPL unless CR4.UMIP is set, in which case they raise #GP(0)
 * at CPL > 0 (SDM Vol. 3A, 2.5 "CR4.UMIP"; Vol. 2B, SGDT ... "#GP(0) If
 * CR4.UMIP = 1 and CPL > 0"). MOV from CS/SS and PUSH CS/SS reveal the CPL
 * in the RPL (SDM Vol. 3A, 5.5), PUSHF reveals IOPL and IF. A monitor that
 * runs its guest kernel de-privileged must intercept all of them, or the
 * guest sees the monitor's tables and its own demotion.
 */
#include "common.h"
#include "pic.h"

POPEK_IMAGE(0, 0);

#define LDT_INDEX GDT_FREE

struct state {
	struct descriptor_ptr gdtr, idtr;
	u16 ldtr, tr;
	ulong msw;
};

static u64 ldt[2] __aligned(8);
static struct state ref;

PROBE do_sgdt(void *a)
{
	sgdt(&((struct state *)a)->gdtr);
}
PROBE do_sidt(void *a)
{
	sidt(&((struct state *)a)->idtr);
}
PROBE do_sldt(void *a)
{
	asm volatile("sldt %0" : "=m"(((struct state *)a)->ldtr));
}
PROBE do_str(void *a)
{
	asm volatile("str %0" : "=m"(((struct state *)a)->tr));
}
PROBE do_smsw(void *a)
{
	ulong v;

	asm volatile("smsw %0" : "=r"(v));
	((struct state *)a)->msw = v;
}

static bool same_table(const struct descriptor_ptr *a,
		       const struct descriptor_ptr *b)
{
	return a->base == b->base && a->limit == b->limit;
}

static bool gdtr_ok(const struct state *s)
{
	return same_table(&s->gdtr, &ref.gdtr);
}
static bool idtr_ok(const struct state *s)
{
	return same_table(&s->idtr, &ref.idtr);
}
static bool ldtr_ok(const struct state *s)
{
	return s->ldtr == ref.ldtr;
}
static bool tr_ok(const struct state *s)
{
	return s->tr == ref.tr;
}
/* SMSW r32: bits 31:16 are undefined (SDM Vol. 2B, SMSW). */
static bool msw_ok(const struct state *s)
{
	return (s->msw & 0xffff) == (ref.msw & 0xffff);
}

/* The instructions, in the order of {sgdt,sidt,sldt,str,smsw} in the ids:
 * each stores into a struct state, ok() compares with what was loaded. */
static const struct {
	void (*fn)(void *);
	bool (*ok)(const struct state *s);
} vis[] = {
	{do_sgdt, gdtr_ok}, {do_sidt, idtr_ok}, {do_sldt, ldtr_ok},
	{do_str, tr_ok},    {do_smsw, msw_ok},
};

/*
 * One instruction at one CPL: with UMIP clear it returns the value the guest
 * loaded; with UMIP set it raises #GP(0) at CPL > 0 and still works at CPL 0.
 */
static void visibility(int insn, int cpl, ulong cr4, bool umip)
{
	struct state s;
	struct fault f;
	char id[CHECK_ID_MAX];
	bool ok;

	memset(&s, 0xa5, sizeof(s));
	write_cr4(cr4 & ~X86_CR4_UMIP);
	run_at_cpl(cpl, vis[insn].fn, &s, &f);
	ok = vis[insn].ok(&s);
	report_result(
		CHECK_ID(id,
			 "conformance.visibility.{sgdt,sidt,sldt,str,smsw}"
			 ".cpl{0..3}.umip0",
			 "{1} at CPL {2} with CR4.UMIP=0 returns the value "
			 "the guest loaded",
			 insn, cpl),
		f.vector == NO_FAULT && ok,
		"expected the loaded value and no exception, saw %s, "
		"value %s",
		vector_name(f.vector), ok ? "same" : "differs");
	CHECK_ID(id,
		 "conformance.visibility.{sgdt,sidt,sldt,str,smsw}.cpl{0..3}"
		 ".umip1",
		 "{1} at CPL {2} with CR4.UMIP=1: #GP(0) at CPL > 0, the "
		 "loaded value at CPL 0",
		 insn, cpl);
	if (!umip) {
		report_skipped(id, "CPU lacks umip");
		return;
	}
	write_cr4(cr4 | X86_CR4_UMIP);
	memset(&s, 0xa5, sizeof(s));
	run_at_cpl(cpl, vis[insn].fn, &s, &f);
	write_cr4(cr4);
	if (cpl == 0)
		report_result(id, f.vector == NO_FAULT && vis[insn].ok(&s),
			      "expected the loaded value at CPL 0, saw %s",
			      vector_name(f.vector));
	else
		check_fault(id, GP_VECTOR, 0, &f);
}

static void descriptor_registers(void)
{
	ulong cr4 = read_cr4();
	bool umip = this_cpu_has(FEAT_UMIP);

	gdt_set_system(LDT_INDEX, (ulong)ldt, sizeof(ldt) - 1, 2, 0);
	asm volatile("lldt %w0" : : "r"(LDT_INDEX << 3));
	/*
	 * The values this guest loaded, not read back with SGDT & co: under
	 * a trap-and-emulate monitor those read the monitor's tables at
	 * every CPL, and comparing with them would prove nothing.
	 */
	ref.gdtr.limit = sizeof(gdt) - 1;
	ref.gdtr.base = (ulong)gdt;
	idt_loaded(&ref.idtr);
	ref.ldtr = LDT_INDEX << 3;
	ref.tr = SEL_TSS;
	ref.msw = read_cr0();

	for (unsigned insn = 0; insn < ARRAY_SIZE(vis); insn++)
		for (int cpl = 0; cpl <= 3; cpl++)
			visibility(insn, cpl, cr4, umip);
	asm volatile("lldt %w0" : : "r"(0));
}

struct sels {
	u16 cs, ss, pushed_cs, pushed_ss;
	ulong flags;
};

PROBE read_sels(void *a)
{
	struct sels *s = a;
	ulong v;

	s->cs = read_cs();
	s->ss = read_ss();
#ifndef __x86_64__
	asm volatile("push %%cs\n\tpop %0" : "=r"(v));
	s->pushed_cs = v;
	asm volatile("push %%ss\n\tpop %0" : "=r"(v));
	s->pushed_ss = v;
#else
	(void)v;
#endif
	s->flags = read_flags();
}

/* The IOPLs the selector checks run under, as {0,3} in the ids. */
static const int sel_iopl[] = {0, 3};

#ifdef __x86_64__
PROBE do_push_cs(void *a)
{
	(void)a;
	asm volatile(".byte 0x0e" ::: "memory"); /* PUSH CS */
}
PROBE do_push_ss(void *a)
{
	(void)a;
	asm volatile(".byte 0x16" ::: "memory"); /* PUSH SS */
}

static void push_invalid(void)
{
	struct fault f;

	/* PUSH CS/SS/DS/ES are invalid in 64-bit mode (SDM Vol. 2B, PUSH). */
	run_at_cpl(3, do_push_cs, NULL, &f);
	report_fault("conformance.visibility.push-cs.cpl3",
		     "PUSH CS at CPL 3 in 64-bit mode raises #UD", UD_VECTOR, 0,
		     &f);
	run_at_cpl(3, do_push_ss, NULL, &f);
	report_fault("conformance.visibility.push-ss.cpl3",
		     "PUSH SS at CPL 3 in 64-bit mode raises #UD", UD_VECTOR, 0,
		     &f);
}
#else
/* PUSH CS and PUSH SS, as read_sels() saw them (iopl_at: in sel_iopl). */
static void push_checks(const struct sels *s, int cpl, int iopl_at)
{
	char id[CHECK_ID_MAX];

	report_equal(CHECK_ID(id,
			      "conformance.visibility.push-cs.cpl{0..3}"
			      ".iopl{0,3}",
			      "PUSH CS at CPL {1} pushes CS with RPL = CPL",
			      cpl, iopl_at),
		     sel_code_rpl(cpl), s->pushed_cs);
	report_equal(CHECK_ID(id,
			      "conformance.visibility.push-ss.cpl{0..3}"
			      ".iopl{0,3}",
			      "PUSH SS at CPL {1} pushes SS with RPL = CPL",
			      cpl, iopl_at),
		     sel_data_rpl(cpl), s->pushed_ss);
}

static void push_invalid(void)
{
}
#endif

/* MOV from CS/SS, PUSH CS/SS and PUSHF at one CPL and IOPL (iopl_at: the
 * position in sel_iopl). */
static void sel_checks(int cpl, int iopl_at)
{
	int iopl = sel_iopl[iopl_at];
	struct sels s;
	struct fault f;
	char id[CHECK_ID_MAX];

	memset(&s, 0, sizeof(s));
	run_at_cpl_flags(cpl, iopl_flags(iopl, true), read_sels, &s, &f);
	report_equal(CHECK_ID(id,
			      "conformance.visibility.mov-cs.cpl{0..3}"
			      ".iopl{0,3}",
			      "MOV from CS at CPL {1} reads the code selector "
			      "with RPL = CPL",
			      cpl, iopl_at),
		     sel_code_rpl(cpl), s.cs);
	report_equal(CHECK_ID(id,
			      "conformance.visibility.mov-ss.cpl{0..3}"
			      ".iopl{0,3}",
			      "MOV from SS at CPL {1} reads a stack selector "
			      "with RPL = CPL",
			      cpl, iopl_at),
		     cpl, s.ss & 3);
	report_equal(
		CHECK_ID(id,
			 "conformance.visibility.pushf.cpl{0..3}"
			 ".iopl{0,3}",
			 "PUSHF at CPL {1} shows the real IOPL {2} and "
			 "IF=1",
			 cpl, iopl_at),
		iopl_flags(iopl, true),
		s.flags & (X86_EFLAGS_IOPL | X86_EFLAGS_IF | X86_EFLAGS_FIXED));
#ifndef __x86_64__
	push_checks(&s, cpl, iopl_at);
#endif
}

/* PUSHF never copies RF or VM into the image (SDM Vol. 2B, PUSHF). */
PROBE pushf_with_rf(void *a)
{
	ulong v, fl = read_flags() | X86_EFLAGS_RF;

#ifdef __x86_64__
	asm volatile("mov %%rsp, %%rdx\n\tpushq %2\n\tpushq %%rdx\n\t"
		     "pushq %1\n\tpushq %3\n\tleaq 1f(%%rip), %%rdx\n\t"
		     "pushq %%rdx\n\tiretq\n1:\tpushf\n\tpop %0"
		     : "=&r"(v)
		     : "r"(fl), "r"((ulong)KERNEL_DS), "r"((ulong)KERNEL_CS)
		     : "rdx", "memory");
#else
	asm volatile("pushl %1\n\tpushl %2\n\tpushl $1f\n\tiret\n"
		     "1:\tpushf\n\tpop %0"
		     : "=&r"(v)
		     : "r"(fl), "r"((ulong)KERNEL_CS)
		     : "memory");
#endif
	*(ulong *)a = v;
}

void probe_main(void)
{
	struct fault f;
	ulong v = ~0ul;

	pic_init(); /* IF=1 runs below */
	descriptor_registers();
	for (int cpl = 0; cpl <= 3; cpl++)
		for (unsigned i = 0; i < ARRAY_SIZE(sel_iopl); i++)
			sel_checks(cpl, i);
	push_invalid();
	try_call(pushf_with_rf, &v, &f);
	report_eq("conformance.visibility.pushf.rf-cleared",
		  "PUSHF executed with RF=1 pushes an image with RF=0", 0,
		  v & (X86_EFLAGS_RF | X86_EFLAGS_VM));
}
