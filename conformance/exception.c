/*
 * conformance.exception: how exceptions are delivered, beyond the vector
 * (SDM Vol. 3A, chapter 6): the frame pushed on a privilege change
 * (6.12.1, Figure 6-4: SS, ESP, EFLAGS, CS, EIP, error code), #DF when a
 * contributory exception arises while delivering another (6.15, Table
 * 6-5), selector error codes of #TS/#NP/#SS (6.13), single-step traps
 * with TF and their interplay with faulting instructions, INT n and MOV
 * SS (Vol. 3B, 17.3.1.4, 6.8.3), RF (17.3.1.1) and priority (6.9, Table
 * 6-2). A monitor that reflects faults into its guest must build exactly
 * these frames; one that single-steps or emulates must keep TF/RF right.
 */
#include "common.h"
#include "ex_regs.h"

POPEK_IMAGE(0, 0);

#define I(n) (GDT_FREE + (n))

extern char hlt_insn[], hlt_insn2[], step_a[], step_b[], step_c[], step_d[],
	mss_b[], mss_d[], bp_insn[], tf_hlt[];
volatile ulong sp_before;

PROBE hlt_recording_sp(void *a)
{
	(void)a;
#ifdef __x86_64__
	asm volatile("mov %%rsp, sp_before(%%rip)\n\t" AT(hlt_insn) "hlt" ::
			     : "memory");
#else
	asm volatile("mov %%esp, sp_before\n\t" AT(hlt_insn) "hlt" ::
			     : "memory");
#endif
}

#ifdef __x86_64__
PROBE ud2_recording_sp(void *a)
{
	(void)a;
	asm volatile("mov %%rsp, sp_before(%%rip)\n\tud2" ::: "memory");
}
#endif

/* The frame a #GP from HLT at cpl (1, 2 or 3) pushes. */
static void frame_at(int cpl)
{
	ulong fl = iopl_flags(0, false) | X86_EFLAGS_AC;
	struct fault f;
	char id[CHECK_ID_MAX];

	run_at_cpl_flags(cpl, fl, hlt_recording_sp, NULL, &f);
	report_equal(CHECK_ID(id, "conformance.exception.frame.cpl{1..3}.ip",
			      "#GP from HLT at CPL {1}: saved IP is the HLT "
			      "(fault)",
			      cpl),
		     (ulong)hlt_insn, f.ip);
	report_equal(CHECK_ID(id, "conformance.exception.frame.cpl{1..3}.cs",
			      "#GP from CPL {1}: saved CS is the CPL {1} code "
			      "selector",
			      cpl),
		     sel_code_rpl(cpl), f.cs);
	report_equal(CHECK_ID(id, "conformance.exception.frame.cpl{1..3}.flags",
			      "#GP from CPL {1}: saved EFLAGS are the "
			      "interrupted flags",
			      cpl),
		     fl,
		     f.flags & (X86_EFLAGS_AC | X86_EFLAGS_IF |
				X86_EFLAGS_IOPL | X86_EFLAGS_FIXED));
	report_equal(CHECK_ID(id, "conformance.exception.frame.cpl{1..3}.ss",
			      "#GP from CPL {1}: the privilege change pushes "
			      "the old SS",
			      cpl),
		     sel_data_rpl(cpl), f.ss);
	report_equal(CHECK_ID(id, "conformance.exception.frame.cpl{1..3}.sp",
			      "#GP from CPL {1}: the privilege change pushes "
			      "the old stack pointer",
			      cpl),
		     sp_before, f.sp);
}

static void frames(void)
{
	for (int cpl = 1; cpl <= 3; cpl++)
		frame_at(cpl);
#ifdef __x86_64__
	/* 64-bit mode pushes SS:RSP even without a privilege change. */
	struct fault f;

	try_call(ud2_recording_sp, NULL, &f);
	report_eq("conformance.exception.frame.cpl0.sp",
		  "#UD at CPL 0 in 64-bit mode pushes the old RSP", sp_before,
		  f.sp);
#endif
}

static volatile unsigned db_count;
static volatile ulong db_ip[8], db_dr6[8];
static volatile bool db_set_rf;

static void db_handler(struct ex_regs *r)
{
	if (db_count < ARRAY_SIZE(db_ip)) {
		db_ip[db_count] = r->ip;
		db_dr6[db_count] = read_dr(6);
	}
	write_dr(6, 0);
	if (++db_count >= 3 && !db_set_rf) {
		write_dr(7, X86_DR7_FIXED1); /* stop a re-firing breakpoint */
		r->flags &= ~X86_EFLAGS_TF;
	}
	if (db_set_rf)
		r->flags |= X86_EFLAGS_RF;
}

/* Counts #DB in db_handler() from now on, or stops (keeping the count). */
static void db_counting(bool on)
{
	if (on) {
		db_count = 0;
		memset((void *)db_ip, 0, sizeof(db_ip));
		write_dr(6, 0);
	}
	set_irq_handler(DB_VECTOR, on ? db_handler : NULL);
}

/* POPF sets TF: the trap comes after the instruction after the POPF. */
PROBE step_sequence(void *a)
{
	ulong fl = read_flags();

	(void)a;
	asm volatile(
		"push %0\n\tpopf\n\t" AT(step_a) "nop\n\t" AT(
			step_b) "nop\n\t" AT(step_c) "nop\n\t" AT(step_d) "push"
									  " %"
									  "1\n"
									  "\tpo"
									  "pf"
		:
		: "r"(fl | X86_EFLAGS_TF), "r"(fl)
		: "memory", "cc");
}

/* MOV SS inhibits the single-step trap of the instruction after it. */
PROBE step_mov_ss(void *a)
{
	ulong fl = read_flags();

	(void)a;
	asm volatile(
		"push %0\n\tpopf\n\tmov %%ss, %%eax\n\t" AT(
			mss_b) "mov %%eax, %%ss\n\tnop\n\t" AT(mss_d) "push "
								      "%1\n\tpo"
								      "pf"
		:
		: "r"(fl | X86_EFLAGS_TF), "r"(fl)
		: "eax", "memory", "cc");
}

PROBE tf_then_hlt(void *a)
{
	ulong fl = read_flags() | X86_EFLAGS_TF;

	(void)a;
	asm volatile("push %0\n\tpopf\n\t" AT(tf_hlt) "hlt"
		     :
		     : "r"(fl)
		     : "memory");
}

PROBE tf_nop_hlt(void *a)
{
	ulong fl = read_flags() | X86_EFLAGS_TF;

	(void)a;
	asm volatile("push %0\n\tpopf\n\tnop\n\thlt" : : "r"(fl) : "memory");
}

PROBE tf_int80(void *a)
{
	ulong fl = read_flags() | X86_EFLAGS_TF;

	(void)a;
	asm volatile("push %0\n\tpopf\n\tint $0x80" : : "r"(fl) : "memory");
}

static void single_step(void)
{
	struct fault f;
	ulong dr6;

	write_dr(6, 0);
	try_call(step_sequence, NULL, &f);
	dr6 = read_dr(6);
	report_fault("conformance.exception.tf.vector",
		     "TF set by POPF raises a single-step #DB", DB_VECTOR, 0,
		     &f);
	report_eq("conformance.exception.tf.ip",
		  "the first single-step #DB follows the instruction after "
		  "the POPF that set TF",
		  (ulong)step_b, f.ip);
	report_eq("conformance.exception.tf.dr6",
		  "a single-step #DB sets DR6.BS (reserved bits read 1)",
		  X86_DR6_FIXED1 | X86_DR6_BS,
		  dr6 & (X86_DR6_FIXED1 | X86_DR6_BS | 0xf));
	report_eq("conformance.exception.tf.saved-tf",
		  "the #DB frame holds EFLAGS with TF still set", X86_EFLAGS_TF,
		  f.flags & X86_EFLAGS_TF);

	db_counting(true);
	try_call(step_sequence, NULL, &f);
	db_counting(false);
	report("conformance.exception.tf.each-insn",
	       "with TF set every instruction is followed by a #DB",
	       db_count >= 3 && db_ip[0] == (ulong)step_b &&
		       db_ip[1] == (ulong)step_c && db_ip[2] == (ulong)step_d,
	       "expected #DB at %#lx, %#lx, %#lx, saw %u: %#lx, %#lx, %#lx",
	       (ulong)step_b, (ulong)step_c, (ulong)step_d, db_count, db_ip[0],
	       db_ip[1], db_ip[2]);

	db_counting(true);
	try_call(step_mov_ss, NULL, &f);
	db_counting(false);
	report("conformance.exception.tf.mov-ss-shadow",
	       "MOV SS suppresses the single-step trap until after the "
	       "next instruction",
	       db_count >= 2 && db_ip[0] == (ulong)mss_b &&
		       db_ip[1] == (ulong)mss_d,
	       "expected #DB at %#lx then %#lx, saw %u: %#lx, %#lx",
	       (ulong)mss_b, (ulong)mss_d, db_count, db_ip[0], db_ip[1]);

	run_at_cpl(3, tf_then_hlt, NULL, &f);
	report("conformance.exception.tf.faulting-insn.cpl3",
	       "single-stepping a HLT at CPL 3 delivers its #GP(0), not #DB, "
	       "with TF in the saved EFLAGS",
	       f.vector == GP_VECTOR && f.ip == (ulong)tf_hlt &&
		       (f.flags & X86_EFLAGS_TF),
	       "expected #GP at %#lx with TF=1, saw %s at %#lx, flags %#lx",
	       (ulong)tf_hlt, vector_name(f.vector), f.ip, f.flags);
	run_at_cpl(3, tf_nop_hlt, NULL, &f);
	report_fault("conformance.exception.priority.trap-before-fault.cpl3",
		     "a single-step trap of the previous instruction comes "
		     "before the #GP of the next (Table 6-2)",
		     DB_VECTOR, 0, &f);
	run_at_cpl(3, tf_int80, NULL, &f);
	report("conformance.exception.tf.int-n.cpl3",
	       "INT 0x80 executed with TF set is delivered (no #DB first), "
	       "with TF in the saved EFLAGS",
	       f.vector == 0x80 && (f.flags & X86_EFLAGS_TF),
	       "expected INT 0x80 with TF=1 saved, saw %s, flags %#lx",
	       vector_name(f.vector), f.flags);
}

PROBE run_bp_insn(void *a)
{
	(void)a;
	asm volatile(AT(bp_insn) "nop");
}

PROBE bp_on_hlt(void *a)
{
	(void)a;
	asm volatile(AT(hlt_insn2) "hlt");
}

static void resume_flag(void)
{
	struct fault f;

	write_dr(0, (ulong)bp_insn);
	write_dr(7, X86_DR7_FIXED1 | X86_DR7_L(0));
	db_set_rf = true;
	db_counting(true);
	try_call(run_bp_insn, NULL, &f);
	db_counting(false);
	report("conformance.exception.rf.resume",
	       "an instruction breakpoint handler returning with RF=1 lets "
	       "the instruction run: one #DB",
	       db_count == 1 && db_ip[0] == (ulong)bp_insn,
	       "expected one #DB at %#lx, saw %u, first at %#lx",
	       (ulong)bp_insn, db_count, db_ip[0]);
	db_set_rf = false;
	write_dr(7, X86_DR7_FIXED1 | X86_DR7_L(0));
	db_counting(true);
	try_call(run_bp_insn, NULL, &f);
	db_counting(false);
	report_eq("conformance.exception.rf.refire",
		  "returning with RF=0 to a breakpointed instruction raises "
		  "#DB again (3 times until disabled)",
		  3, db_count);

	write_dr(0, (ulong)hlt_insn2);
	write_dr(7, X86_DR7_FIXED1 | X86_DR7_L(0));
	run_at_cpl(3, bp_on_hlt, NULL, &f);
	write_dr(7, X86_DR7_FIXED1);
	report("conformance.exception.priority.bp-before-gp.cpl3",
	       "an instruction breakpoint on HLT at CPL 3 raises #DB before "
	       "the HLT's #GP (Table 6-2)",
	       f.vector == DB_VECTOR && f.ip == (ulong)hlt_insn2,
	       "expected #DB at %#lx, saw %s at %#lx", (ulong)hlt_insn2,
	       vector_name(f.vector), f.ip);
}

PROBE load_bad_ds(void *a)
{
	u16 old = read_ds();

	(void)a;
	asm volatile("mov %0, %%ds\n\tmov %1, %%ds"
		     :
		     : "r"((u16)(GDT_ENTRIES << 3)), "r"(old));
}

PROBE divide_error(void *a)
{
	(void)a;
	asm volatile("xor %%edx, %%edx\n\txor %%ecx, %%ecx\n\tmov $1, %%eax\n\t"
		     "divl %%ecx" ::
			     : "eax", "ecx", "edx");
}

PROBE int3(void *a)
{
	(void)a;
	asm volatile("int3");
}

static void double_fault(void)
{
	struct fault f;

	/* #GP whose gate is not present: #NP while delivering a
	 * contributory exception is a double fault (Table 6-5). */
	idt_set_present(GP_VECTOR, false);
	try_call(load_bad_ds, NULL, &f);
	idt_set_present(GP_VECTOR, true);
	report_fault("conformance.exception.df.gp-np",
		     "#GP whose IDT gate is not present becomes #DF with "
		     "error code 0",
		     DF_VECTOR, 0, &f);
	idt_set_present(DE_VECTOR, false);
	try_call(divide_error, NULL, &f);
	idt_set_present(DE_VECTOR, true);
	report_fault("conformance.exception.df.de-np",
		     "#DE whose IDT gate is not present becomes #DF (#DE and "
		     "#NP are contributory)",
		     DF_VECTOR, 0, &f);
	idt_set_present(BP_VECTOR, false);
	try_call(int3, NULL, &f);
	idt_set_present(BP_VECTOR, true);
	report_fault("conformance.exception.df.benign-np",
		     "INT3 through a not-present gate is a plain #NP with "
		     "error code 3 << 3 | IDT (no #DF: #BP is benign)",
		     NP_VECTOR, 0x1a, &f);
	idt_set_present(DE_VECTOR, false);
	try_call(divide_error, NULL, &f);
	idt_set_present(DE_VECTOR, true);
}

/*
 * #DE is a fault (SDM Vol. 3A 6.15, interrupt 0): the handler sees every
 * register and flag as before the DIV, at the DIV. A monitor that finds
 * the zero divisor itself (a binary translator testing it first) must
 * leave no trace of the test: a divisor ECX names, a byte in memory,
 * and a word and a byte of ECX whose other bits are not zero.
 */
extern char de_r32[], de_m8[], de_r16[], de_r8h[];
static volatile struct ex_regs de_regs;
static volatile u8 de_zero8;

#ifdef __x86_64__
#define R(x)	 r##x
#define DE_FLAGS "pushq %[fl]\n\tpopfq\n\t"
#else
#define R(x)	 e##x
#define DE_FLAGS "pushl %[fl]\n\tpopfl\n\t"
#endif

/* Records the frame and skips the DIV (lengths of the four below). */
static void de_record(struct ex_regs *r)
{
	de_regs = *r;
	r->ip += r->ip == (ulong)de_m8 ? 6 : r->ip == (ulong)de_r16 ? 3 : 2;
}

#define DE_ARITH                                                               \
	(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | X86_EFLAGS_ZF |       \
	 X86_EFLAGS_SF | X86_EFLAGS_OF)

/* The registers each DIV starts with: EAX, EBX, ECX, EDX, ESI, EDI. */
static const ulong de_in[4][6] = {
	{0x11111111, 0x22222222, 0, 0x4444, 0x55555555, 0x66666666},
	{0x1111, 0x22222222, 0x5a5a5a5a, 0x44444444, 0x5555, 0x6666},
	{0x1111, 0x2222, 0xabcd0000, 0x4444, 0x5555, 0x6666},
	{0x1111, 0x2222, 0xff, 0x4444, 0x5555, 0x6666},
};

/* Every GPR an address could use holds a value under test: the memory
 * divisor is absolute (32-bit) or RIP-relative. */
#define DE_IN(v)                                                               \
	"a"(v[0]), "b"(v[1]), "c"(v[2]), "d"(v[3]), "S"(v[4]),                 \
		"D"(v[5]), [fl] "m"(fl), [z] "m"(de_zero8)

PROBE de_run(void *a)
{
	int k = *(int *)a;
	const ulong *v = de_in[k];
	ulong fl = read_flags() | DE_ARITH;

	if (k == 0)
		asm volatile(DE_FLAGS AT(de_r32) "divl %%ecx" ::DE_IN(v)
			     : "cc", "memory");
	else if (k == 1)
		asm volatile(DE_FLAGS AT(de_m8) "divb %[z]" ::DE_IN(v)
			     : "cc", "memory");
	else if (k == 2)
		asm volatile(DE_FLAGS AT(de_r16) "idivw %%cx" ::DE_IN(v)
			     : "cc", "memory");
	else
		asm volatile(DE_FLAGS AT(de_r8h) "divb %%ch" ::DE_IN(v)
			     : "cc", "memory");
}

static void divide_state(void)
{
	static char *const at[4] = {de_r32, de_m8, de_r16, de_r8h};
	const volatile struct ex_regs *r = &de_regs;
	char id[CHECK_ID_MAX];
	struct fault f;

	set_irq_handler(DE_VECTOR, de_record);
	for (int k = 0; k < 4; k++) {
		const ulong *v = de_in[k];
		bool same;

		memset((void *)&de_regs, 0xee, sizeof(de_regs));
		try_call(de_run, &k, &f);
		same = r->R(ax) == v[0] && r->R(bx) == v[1] &&
		       r->R(cx) == v[2] && r->R(dx) == v[3] &&
		       r->R(si) == v[4] && r->R(di) == v[5];
		report_result(
			CHECK_ID(id,
				 "conformance.exception.de.state.{r32,m8,r16,"
				 "r8h}",
				 "#DE of a zero divisor ({1:ECX,a byte in "
				 "memory,CX with ECX's high bits set,CH with "
				 "CL set}): the handler sees the DIV's IP, "
				 "every GPR and the arithmetic flags as before "
				 "it",
				 k),
			f.vector == NO_FAULT && r->vector == DE_VECTOR &&
				r->ip == (ulong)at[k] && same &&
				(r->flags & DE_ARITH) == DE_ARITH,
			"vector %lu at %#lx (the DIV at %#lx, then %s); "
			"AX..DI %#lx %#lx %#lx %#lx %#lx %#lx; flags %#lx",
			r->vector, r->ip, (ulong)at[k],
			f.vector == NO_FAULT ? "resumed"
					     : vector_name(f.vector),
			r->R(ax), r->R(bx), r->R(cx), r->R(dx), r->R(si),
			r->R(di), r->flags);
	}
	set_irq_handler(DE_VECTOR, NULL);
}

struct __attribute__((packed)) farptr {
	u32 off;
	u16 sel;
};

#ifndef __x86_64__
PROBE do_lcall(void *a)
{
	asm volatile("lcall *%0" : : "m"(*(struct farptr *)a));
}
#endif

PROBE do_ljmp(void *a)
{
	asm volatile("ljmp *%0" : : "m"(*(struct farptr *)a));
}

#ifdef __x86_64__
PROBE stack_noncanonical(void *a)
{
	(void)a;
	asm volatile("movq (%%rsp,%0,1), %%rax"
		     :
		     : "r"(0x8000000000000000ul)
		     : "rax");
}
#endif

static void selector_errors(void)
{
	struct fault f;
	struct farptr np = {(u32)(ulong)int3, I(0) << 3};

	gdt_set(I(0), 0, 0xfffff, 0x1b, 0xc); /* code, DPL 0, P=0 */
#ifdef __x86_64__
	gdt[I(0)] |= 1ull << 53; /* L=1 */
	gdt[I(0)] &= ~(1ull << 54);
#endif
	try_call(do_ljmp, &np, &f);
	report_fault("conformance.exception.np.far-jmp",
		     "far JMP to a not-present code segment raises "
		     "#NP(selector)",
		     NP_VECTOR, I(0) << 3, &f);
#ifdef __x86_64__
	/* A stack (RSP-based) access to a non-canonical address is #SS(0). */
	try_call(stack_noncanonical, NULL, &f);
	report_fault("conformance.exception.ss.noncanonical",
		     "a non-canonical RSP-based access raises #SS(0)",
		     SS_VECTOR, 0, &f);
#else
	/* A call gate to CPL 1 code takes SS:ESP from TSS.SS1/ESP1. */
	static u8 stack1[1024] __aligned(16);
	struct farptr gate = {0, I(2) << 3 | 3};

	gdt_set_call_gate(I(2), SEL_CODE32(1), (ulong)int3, 3);
	gdt_set(I(3), 0, 0xfffff, 0x33, 0xc); /* data, DPL 1, P=0 */
	set_tss_stack(1, (ulong)stack1 + sizeof(stack1));
	set_tss_ss(1, SEL_DATA(0));
	run_at_cpl(3, do_lcall, &gate, &f);
	report_fault("conformance.exception.ts.call-gate-ss-dpl",
		     "a call gate to CPL 1 with TSS.SS1 of DPL 0 raises "
		     "#TS(SS1 selector)",
		     TS_VECTOR, SEL_DATA(0), &f);
	set_tss_ss(1, SEL_CODE32(1) | 1);
	run_at_cpl(3, do_lcall, &gate, &f);
	report_fault("conformance.exception.ts.call-gate-ss-code",
		     "a call gate to CPL 1 with a code segment in TSS.SS1 "
		     "raises #TS(SS1 selector)",
		     TS_VECTOR, SEL_CODE32(1), &f);
	set_tss_ss(1, I(3) << 3 | 1);
	run_at_cpl(3, do_lcall, &gate, &f);
	report_fault("conformance.exception.ss.call-gate-ss-np",
		     "a call gate to CPL 1 with a not-present TSS.SS1 raises "
		     "#SS(SS1 selector)",
		     SS_VECTOR, I(3) << 3, &f);
	set_tss_ss(1, SEL_DATA(1) | 1);
	run_at_cpl(3, do_lcall, &gate, &f);
	report("conformance.exception.ts.call-gate-ok",
	       "a call gate to CPL 1 with a valid TSS.SS1 enters CPL 1",
	       f.vector == BP_VECTOR && (f.cs & 3) == 1,
	       "expected #BP from CPL 1, saw %s from CPL %d",
	       vector_name(f.vector), (int)(f.cs & 3));
	set_tss_ss(1, 0);
#endif
}

void probe_main(void)
{
	frames();
	single_step();
	resume_flag();
	/* before the #DFs: on kvm_pvm, checks after those are not reported
	 * (targets/kvm_pvm.infidelities) */
	divide_state();
	double_fault();
	selector_errors();
}
