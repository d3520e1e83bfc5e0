/*
 * conformance.far, conformance.int, conformance.iret: privilege rules of
 * far JMP/CALL/RET, call gates, INT n and IRET (SDM Vol. 3A, 5.8 "Privilege
 * Level Checking When Transferring Program Control"; Vol. 2A CALL, JMP,
 * INT n, IRET; Vol. 2B RET; 64-bit call gates 5.8.3.1). These are the
 * transfers that move between CPLs, or refuse to: a monitor that runs
 * guest kernel code at CPL 1 must make each look as if it ran at CPL 0,
 * and conforming segments keep the caller's CPL, which reveals it.
 */
#include "common.h"

POPEK_IMAGE(0, 0);

#define I(n)  (GDT_FREE + (n))
#define CONF0 I(0) /* conforming code, DPL 0 */
#define CONF3 I(1) /* conforming code, DPL 3 */
#define GATE3 I(2) /* call gate, DPL 3, to the CPL 0 code segment */
#define GATE0 I(4) /* call gate, DPL 0 */

#ifdef __x86_64__
#define CODE_FLAGS 0xa /* L=1 */
#define SLOT	   "8"
#define AX	   "%rax"
#define SP	   "%rsp"
#else
#define CODE_FLAGS 0xc /* D=1 */
#define SLOT	   "4"
#define AX	   "%eax"
#define SP	   "%esp"
#endif

volatile u16 seen_cs, seen_ss;
volatile ulong gate_frame[4];
extern char read_cs_target[], gate_target[], outer_target[];

/*
 * Landing pads. Each records what it sees and returns to the catch
 * context through INT 0x7f (fault.c), whatever its CPL.
 */
asm(".text\n"
    "read_cs_target:\n\t"
    "mov %cs, %ax\n\tmov %ax, seen_cs\n\t"
    "int $0x7f\n"
    "gate_target:\n\t"
    "mov %cs, %ax\n\tmov %ax, seen_cs\n\t"
    "mov %ss, %ax\n\tmov %ax, seen_ss\n\t"
    "mov 0(" SP "), " AX "\n\tmov " AX ", gate_frame\n\t"
    "mov " SLOT "(" SP "), " AX "\n\tmov " AX ", gate_frame+" SLOT "\n\t"
    "mov 2*" SLOT "(" SP "), " AX "\n\tmov " AX ", gate_frame+2*" SLOT "\n\t"
    "mov 3*" SLOT "(" SP "), " AX "\n\tmov " AX ", gate_frame+3*" SLOT "\n\t"
    "int $0x7f\n"
    "outer_target:\n\t"
    "mov $0xbb, %ax\n\tmov %ax, %ds\n\t" /* SEL_DATA(3) | 3 */
    "mov %cs, %ax\n\tmov %ax, seen_cs\n\t"
    "int $0x7f\n");

struct __attribute__((packed)) farptr {
	u32 off;
	u16 sel;
};

PROBE do_ljmp(void *a)
{
	asm volatile("ljmp *%0" : : "m"(*(struct farptr *)a));
}

PROBE do_lcall(void *a)
{
	asm volatile("lcall *%0" : : "m"(*(struct farptr *)a));
}

static u8 outer_stack[4096] __aligned(16);

/* Far RET to (sel, ip) with an outer-level stack SS:SP popped too. */
PROBE do_lret(void *a)
{
	struct farptr *p = a;
	ulong ss = SEL_DATA(3) | 3, sp = (ulong)outer_stack + 4096;

#ifdef __x86_64__
	asm volatile("pushq %0\n\tpushq %1\n\tpushq %2\n\tpushq %3\n\tlretq"
		     :
		     : "r"(ss), "r"(sp), "r"((ulong)p->sel), "r"((ulong)p->off)
		     : "memory");
#else
	asm volatile("pushl %0\n\tpushl %1\n\tpushl %2\n\tpushl %3\n\tlret"
		     :
		     : "r"(ss), "r"(sp), "r"((ulong)p->sel), "r"((ulong)p->off)
		     : "memory");
#endif
}

/* Far RET (same or inner level) to (sel, ip). */
PROBE do_lret_same(void *a)
{
	struct farptr *p = a;

#ifdef __x86_64__
	asm volatile("pushq %0\n\tpushq %1\n\tlretq"
		     :
		     : "r"((ulong)p->sel), "r"((ulong)p->off)
		     : "memory");
#else
	asm volatile("pushl %0\n\tpushl %1\n\tlret"
		     :
		     : "r"((ulong)p->sel), "r"((ulong)p->off)
		     : "memory");
#endif
}

/* IRET to (sel, ip), with SS:SP when sel has another RPL. */
PROBE do_iret_to(void *a)
{
	struct farptr *p = a;
	ulong ss = SEL_DATA(0), fl = read_flags();

#ifdef __x86_64__
	asm volatile("mov %%rsp, %%rax\n\tpushq %0\n\tpushq %%rax\n\t"
		     "pushq %1\n\tpushq %2\n\tpushq %3\n\tiretq"
		     :
		     : "r"(ss), "r"(fl), "r"((ulong)p->sel), "r"((ulong)p->off)
		     : "rax", "memory");
#else
	asm volatile("mov %%esp, %%eax\n\tpushl %0\n\tpushl %%eax\n\t"
		     "pushl %1\n\tpushl %2\n\tpushl %3\n\tiret"
		     :
		     : "r"(ss), "r"(fl), "r"((ulong)p->sel), "r"((ulong)p->off)
		     : "eax", "memory");
#endif
}

#define FAR(ip, s) (&(struct farptr){(u32)(ulong)(ip), (u16)(s)})

static void jumps_and_calls(void)
{
	struct fault f;

	seen_cs = 0;
	run_at_cpl(3, do_ljmp, FAR(read_cs_target, CONF0 << 3 | 3), &f);
	report("conformance.far.jmp-conforming.cpl3",
	       "far JMP at CPL 3 to a DPL 0 conforming segment runs it at "
	       "CPL 3 (CS.RPL = 3)",
	       f.vector == NO_FAULT && seen_cs == (CONF0 << 3 | 3),
	       "expected CS %#x and no exception, saw CS %#x, %s",
	       CONF0 << 3 | 3, seen_cs, vector_name(f.vector));
	seen_cs = 0;
	run_at_cpl(3, do_lcall, FAR(read_cs_target, CONF0 << 3 | 3), &f);
	report("conformance.far.call-conforming.cpl3",
	       "far CALL at CPL 3 to a DPL 0 conforming segment keeps CPL 3",
	       f.vector == NO_FAULT && seen_cs == (CONF0 << 3 | 3),
	       "expected CS %#x and no exception, saw CS %#x, %s",
	       CONF0 << 3 | 3, seen_cs, vector_name(f.vector));
	run_at_cpl(0, do_ljmp, FAR(read_cs_target, CONF3 << 3), &f);
	report_fault("conformance.far.jmp-conforming-dpl3.cpl0",
		     "far JMP at CPL 0 to a DPL 3 conforming segment raises "
		     "#GP(selector) (DPL > CPL)",
		     GP_VECTOR, CONF3 << 3, &f);
	run_at_cpl(3, do_ljmp, FAR(read_cs_target, KERNEL_CS | 3), &f);
	report_fault("conformance.far.jmp-dpl0.cpl3",
		     "far JMP at CPL 3 to a DPL 0 non-conforming segment "
		     "raises #GP(selector)",
		     GP_VECTOR, KERNEL_CS, &f);
	run_at_cpl(3, do_lcall, FAR(read_cs_target, KERNEL_CS | 3), &f);
	report_fault("conformance.far.call-dpl0.cpl3",
		     "far CALL at CPL 3 to a DPL 0 non-conforming segment "
		     "raises #GP(selector)",
		     GP_VECTOR, KERNEL_CS, &f);
	run_at_cpl(0, do_lcall, FAR(read_cs_target, SEL_CODE(3) | 3), &f);
	report_fault("conformance.far.call-dpl3.cpl0",
		     "far CALL at CPL 0 directly to a DPL 3 segment raises "
		     "#GP(selector) (only RET/IRET go outward)",
		     GP_VECTOR, SEL_CODE(3), &f);
	run_at_cpl(2, do_ljmp, FAR(read_cs_target, SEL_CODE(1) | 1), &f);
	report_fault("conformance.far.jmp-dpl1.cpl2",
		     "far JMP at CPL 2 to a DPL 1 non-conforming segment "
		     "raises #GP(selector)",
		     GP_VECTOR, SEL_CODE(1), &f);
}

static void call_gates(void)
{
	struct fault f;

	memset((void *)gate_frame, 0, sizeof(gate_frame));
	seen_cs = seen_ss = 0;
	run_at_cpl(3, do_lcall, FAR(0, GATE3 << 3 | 3), &f);
	report("conformance.far.call-gate.cpl3",
	       "far CALL at CPL 3 through a DPL 3 call gate enters the CPL 0 "
	       "target",
	       f.vector == NO_FAULT && seen_cs == KERNEL_CS,
	       "expected CS %#x and no exception, saw CS %#x, %s", KERNEL_CS,
	       seen_cs, vector_name(f.vector));
	report_eq("conformance.far.call-gate.cpl3.frame-cs",
		  "a call gate from CPL 3 pushes the caller's CS (RPL 3)",
		  SEL_CODE(3) | 3, gate_frame[1] & 0xffff);
	report_eq("conformance.far.call-gate.cpl3.frame-ss",
		  "a call gate from CPL 3 pushes the caller's SS",
		  SEL_DATA(3) | 3, gate_frame[3] & 0xffff);
#ifdef __x86_64__
	/* The new SS is a null selector with RPL = new CPL (5.8.5.1). */
	report_eq("conformance.far.call-gate.cpl3.new-ss",
		  "a 64-bit call gate to CPL 0 loads a null SS", 0, seen_ss);
#else
	report_eq("conformance.far.call-gate.cpl3.new-ss",
		  "a call gate to CPL 0 loads SS from TSS.SS0", KERNEL_DS,
		  seen_ss);
#endif
	run_at_cpl(3, do_lcall, FAR(0, GATE0 << 3 | 3), &f);
	report_fault("conformance.far.call-gate-dpl0.cpl3",
		     "far CALL at CPL 3 through a DPL 0 call gate raises "
		     "#GP(gate selector)",
		     GP_VECTOR, GATE0 << 3, &f);
	run_at_cpl(3, do_ljmp, FAR(0, GATE3 << 3 | 3), &f);
	report_fault("conformance.far.jmp-gate-inner.cpl3",
		     "far JMP at CPL 3 through a call gate to CPL 0 code "
		     "raises #GP(code selector) (JMP never changes CPL)",
		     GP_VECTOR, KERNEL_CS, &f);
}

static void returns(void)
{
	struct fault f;

	seen_cs = 0;
	run_at_cpl(0, do_lret, FAR(outer_target, SEL_CODE(3) | 3), &f);
	report("conformance.far.ret-outer.cpl0",
	       "far RET at CPL 0 to an RPL 3 code selector enters CPL 3",
	       f.vector == RET_VECTOR && seen_cs == (SEL_CODE(3) | 3) &&
		       (f.cs & 3) == 3,
	       "expected CS %#x at the target, saw CS %#x, then %s from CPL "
	       "%d",
	       SEL_CODE(3) | 3, seen_cs, vector_name(f.vector),
	       (int)(f.cs & 3));
	run_at_cpl(3, do_lret_same, FAR(read_cs_target, KERNEL_CS), &f);
	report_fault("conformance.far.ret-inner.cpl3",
		     "far RET at CPL 3 to an RPL 0 code selector raises "
		     "#GP(selector)",
		     GP_VECTOR, KERNEL_CS, &f);
	run_at_cpl(3, do_iret_to, FAR(read_cs_target, KERNEL_CS), &f);
	report_fault("conformance.iret.inner.cpl3",
		     "IRET at CPL 3 to an RPL 0 code selector raises "
		     "#GP(selector)",
		     GP_VECTOR, KERNEL_CS, &f);
	run_at_cpl(1, do_iret_to, FAR(read_cs_target, KERNEL_CS), &f);
	report_fault("conformance.iret.inner.cpl1",
		     "IRET at CPL 1 to an RPL 0 code selector raises "
		     "#GP(selector)",
		     GP_VECTOR, KERNEL_CS, &f);
}

PROBE do_int41(void *a)
{
	(void)a;
	asm volatile("int $0x41");
}

/* INT n through a gate of DPL d at CPL c: delivered iff CPL <= DPL. */
static void int_one(int cpl, int dpl)
{
	struct fault f;
	char id[CHECK_ID_MAX];

	idt_set_dpl(0x41, dpl);
	run_at_cpl(cpl, do_int41, NULL, &f);
	check_fault(CHECK_ID(id, "conformance.int.gate-dpl{0..3}.cpl{0..3}",
			     "INT 0x41 at CPL {2} through a DPL {1} gate: "
			     "delivered iff CPL <= DPL, else #GP",
			     dpl, cpl),
		    cpl <= dpl ? 0x41 : GP_VECTOR, ANY_ERR, &f);
}

static void int_gates(void)
{
	struct fault f;

	for (int cpl = 0; cpl <= 3; cpl++)
		for (int dpl = 0; dpl <= 3; dpl++)
			int_one(cpl, dpl);
	idt_set_dpl(0x41, 2);
	run_at_cpl(3, do_int41, NULL, &f);
	report_fault("conformance.int.gate-dpl2.cpl3.error",
		     "INT 0x41 at CPL 3 through a DPL 2 gate raises #GP with "
		     "error code vector << 3 | IDT (0x20a)",
		     GP_VECTOR, 0x20a, &f);
	idt_set_dpl(0x41, 0);
	idt_set_present(0x41, false);
	run_at_cpl(0, do_int41, NULL, &f);
	report_fault("conformance.int.not-present.cpl0",
		     "INT 0x41 at CPL 0 through a not-present gate raises #NP "
		     "with error code 0x20a",
		     NP_VECTOR, 0x20a, &f);
	idt_set_present(0x41, true);
}

void probe_main(void)
{
	gdt_set(CONF0, 0, 0xfffff, 0x9f, CODE_FLAGS);
	gdt_set(CONF3, 0, 0xfffff, 0xff, CODE_FLAGS);
	gdt_set_call_gate(GATE3, KERNEL_CS, (ulong)gate_target, 3);
	gdt_set_call_gate(GATE0, KERNEL_CS, (ulong)gate_target, 0);
	jumps_and_calls();
	call_gates();
	returns();
	int_gates();
}
