/*
 * conformance.segment: the privilege and type checks of segment register
 * loads (SDM Vol. 3A, 5.6 "Privilege Level Checking When Accessing Data
 * Segments", 5.7 for SS; Vol. 2A MOV "Operation"; Vol. 2B POP) and the
 * null-selector rules (Vol. 3A, 3.4.2; 64-bit mode, 3.4.4). DS may be
 * loaded with a data or readable code segment whose DPL >= max(CPL, RPL),
 * else #GP(selector); SS only with a writable data segment whose DPL and
 * RPL both equal the CPL. A monitor that runs the guest kernel at CPL 1
 * with rewritten DPLs must reproduce all of these for the guest's CPL.
 */
#include "common.h"

POPEK_IMAGE(0, 0);

#define I(n) (GDT_FREE + (n))

PROBE load_ds(void *a)
{
	u16 sel = (u16)(ulong)a, old = read_ds();

	asm volatile("mov %0, %%ds\n\tmov %1, %%ds" : : "r"(sel), "r"(old));
}

PROBE load_ss(void *a)
{
	u16 sel = (u16)(ulong)a, old = read_ss();

	asm volatile("mov %0, %%ss\n\tmov %1, %%ss" : : "r"(sel), "r"(old));
}

PROBE load_fs(void *a)
{
	asm volatile("mov %0, %%fs" : : "r"((u16)(ulong)a));
}

#define SEL(dpl, rpl) ((void *)(ulong)(SEL_DATA(dpl) | (rpl)))

/* MOV to DS: allowed iff DPL >= max(CPL, RPL), else #GP(selector). */
static void ds_one(int cpl, int dpl, int rpl)
{
	bool ok = dpl >= cpl && dpl >= rpl;
	struct fault f;
	char id[CHECK_ID_MAX];

	run_at_cpl(cpl, load_ds, SEL(dpl, rpl), &f);
	check_fault(CHECK_ID(id,
			     "conformance.segment.load-ds.cpl{0..3}.dpl{0..3}."
			     "rpl{0..3}",
			     "MOV to DS at CPL {1} of a DPL {2} data selector "
			     "with RPL {3}: allowed iff DPL >= max(CPL, RPL)",
			     cpl, dpl, rpl),
		    ok ? NO_FAULT : GP_VECTOR, SEL_DATA(dpl), &f);
}

/* MOV to SS: allowed iff DPL = RPL = CPL, else #GP(selector). */
static void ss_dpl(int cpl)
{
	struct fault f;
	char id[CHECK_ID_MAX];

	for (int dpl = 0; dpl <= 3; dpl++) {
		run_at_cpl(cpl, load_ss, SEL(dpl, cpl), &f);
		check_fault(CHECK_ID(id,
				     "conformance.segment.load-ss.cpl{0..3}."
				     "dpl{0..3}",
				     "MOV to SS at CPL {1} of a DPL {2} data "
				     "selector with RPL = CPL: allowed iff DPL "
				     "= CPL",
				     cpl, dpl),
			    cpl == dpl ? NO_FAULT : GP_VECTOR, SEL_DATA(dpl),
			    &f);
	}
	run_at_cpl(cpl, load_ss, SEL(cpl, (cpl + 1) % 4), &f);
	check_fault(
		CHECK_ID(id,
			 "conformance.segment.load-ss.cpl{0..3}.rpl-mismatch",
			 "MOV to SS at CPL {1} with DPL = CPL but RPL != CPL "
			 "raises #GP(selector)",
			 cpl),
		GP_VECTOR, SEL_DATA(cpl), &f);
}

#ifdef __x86_64__
/* Leaves SS null: the way back to CPL 0 (INT 0x7f) does not need it. */
PROBE load_null_ss(void *a)
{
	(void)a;
	asm volatile("mov %0, %%ss" : : "r"(1));
}

PROBE null_ss_then_cr0(void *a)
{
	ulong v;

	(void)a;
	asm volatile("mov %1, %%ss\n\tmov %%cr0, %0" : "=r"(v) : "r"(1));
}

PROBE pop_ds(void *a)
{
	(void)a;
	asm volatile("push %%rax\n\t.byte 0x1f" : : "a"(0ul) : "memory");
}
#else
PROBE pop_ds(void *a)
{
	u16 old = read_ds();

	asm volatile("push %0\n\tpop %%ds\n\tmov %1, %%ds"
		     :
		     : "r"((ulong)a), "r"(old)
		     : "memory");
}
#endif

/* A null DS is loadable; using it faults outside 64-bit mode (3.4.2). */
PROBE use_null_ds(void *a)
{
	u16 old = read_ds();

	(void)a;
	asm volatile("mov %1, %%ds\n\tmovl (%2), %%eax\n\tmov %0, %%ds"
		     :
		     : "r"(old), "r"(0), "r"(&old)
		     : "eax", "memory");
}

static void types(void)
{
	struct fault f;

	gdt_set(I(0), 0, 0xfffff, 0x9f, 0xc); /* conforming readable, DPL 0 */
	gdt_set(I(1), 0, 0xfffff, 0x99, 0xc); /* execute-only code, DPL 0 */
	gdt_set(I(2), 0, 0xfffff, 0x73, 0xc); /* data DPL 3, P=0 */
	gdt_set(I(3), 0, 0xfffff, 0xf1, 0xc); /* read-only data DPL 3 */
	gdt_set(I(4), 0, 0xfffff, 0xfb, 0xc); /* readable code DPL 3 */
	gdt_set_system(I(5), 0x1000, 0xf, 2, 3); /* LDT, DPL 3 */

	run_at_cpl(3, load_ds, (void *)(ulong)(I(0) << 3 | 3), &f);
	report_nofault("conformance.segment.load-ds.conforming-dpl0.cpl3",
		       "MOV to DS at CPL 3 of a readable conforming DPL 0 code "
		       "segment is allowed (no DPL check)",
		       &f);
	run_at_cpl(0, load_ds, (void *)(ulong)(I(1) << 3), &f);
	report_fault("conformance.segment.load-ds.exec-only.cpl0",
		     "MOV to DS of an execute-only code segment raises "
		     "#GP(selector)",
		     GP_VECTOR, I(1) << 3, &f);
	run_at_cpl(3, load_ds, (void *)(ulong)(I(4) << 3 | 3), &f);
	report_nofault("conformance.segment.load-ds.code-readable.cpl3",
		       "MOV to DS at CPL 3 of a readable DPL 3 code segment is "
		       "allowed",
		       &f);
	run_at_cpl(3, load_ds, (void *)(ulong)(I(2) << 3 | 3), &f);
	report_fault("conformance.segment.load-ds.not-present.cpl3",
		     "MOV to DS of a not-present data segment raises "
		     "#NP(selector)",
		     NP_VECTOR, I(2) << 3, &f);
	run_at_cpl(3, load_ds, (void *)(ulong)(I(5) << 3 | 3), &f);
	report_fault("conformance.segment.load-ds.ldt.cpl3",
		     "MOV to DS of an LDT (system) descriptor raises "
		     "#GP(selector)",
		     GP_VECTOR, I(5) << 3, &f);
	run_at_cpl(3, load_ds, (void *)(ulong)(GDT_ENTRIES << 3 | 3), &f);
	report_fault("conformance.segment.load-ds.beyond-limit.cpl3",
		     "MOV to DS of a selector beyond the GDT limit raises "
		     "#GP(selector)",
		     GP_VECTOR, GDT_ENTRIES << 3, &f);
	run_at_cpl(3, load_ss, (void *)(ulong)(I(2) << 3 | 3), &f);
	report_fault("conformance.segment.load-ss.not-present.cpl3",
		     "MOV to SS of a not-present data segment raises "
		     "#SS(selector)",
		     SS_VECTOR, I(2) << 3, &f);
	run_at_cpl(3, load_ss, (void *)(ulong)(I(3) << 3 | 3), &f);
	report_fault("conformance.segment.load-ss.read-only.cpl3",
		     "MOV to SS of a read-only data segment raises "
		     "#GP(selector)",
		     GP_VECTOR, I(3) << 3, &f);
	run_at_cpl(3, load_ss, (void *)(ulong)(I(4) << 3 | 3), &f);
	report_fault("conformance.segment.load-ss.code.cpl3",
		     "MOV to SS of a code segment raises #GP(selector)",
		     GP_VECTOR, I(4) << 3, &f);
	run_at_cpl(3, load_fs, (void *)(ulong)(SEL_DATA(0) | 3), &f);
	report_fault("conformance.segment.load-fs.dpl0.cpl3",
		     "MOV to FS at CPL 3 of a DPL 0 data segment raises "
		     "#GP(selector)",
		     GP_VECTOR, SEL_DATA(0), &f);
}

static void nulls(void)
{
	struct fault f;

	run_at_cpl(3, load_ds, (void *)3ul, &f);
	report_nofault("conformance.segment.null.load-ds.cpl3",
		       "MOV of a null selector (RPL 3) to DS at CPL 3 is "
		       "allowed",
		       &f);
	run_at_cpl(3, load_fs, (void *)0ul, &f);
	report_nofault("conformance.segment.null.load-fs.cpl3",
		       "MOV of a null selector to FS at CPL 3 is allowed", &f);
	run_at_cpl(3, load_ss, (void *)3ul, &f);
	report_gp0("conformance.segment.null.load-ss.cpl3",
		   "MOV of a null selector to SS at CPL 3 raises #GP(0)", &f);
	run_at_cpl(1, load_ss, (void *)1ul, &f);
#ifdef __x86_64__
	run_at_cpl(1, load_null_ss, NULL, &f);
	report_nofault("conformance.segment.null.load-ss.cpl1",
		       "MOV of a null selector with RPL = CPL to SS at CPL 1 "
		       "is allowed in 64-bit mode",
		       &f);
	run_at_cpl(1, null_ss_then_cr0, NULL, &f);
	report_gp0("conformance.segment.null.load-ss.cpl1.keeps-cpl",
		   "after loading a null SS at CPL 1, MOV from CR0 still "
		   "raises #GP(0): the CPL stays 1",
		   &f);
	run_at_cpl(0, use_null_ds, NULL, &f);
	report_nofault("conformance.segment.null.use-ds",
		       "a data access through a null DS does not fault in "
		       "64-bit mode (DS is not checked)",
		       &f);
	run_at_cpl(3, pop_ds, NULL, &f);
	report_fault("conformance.segment.pop-ds.cpl3",
		     "POP DS in 64-bit mode raises #UD", UD_VECTOR, 0, &f);
#else
	report_gp0("conformance.segment.null.load-ss.cpl1",
		   "MOV of a null selector to SS at CPL 1 raises #GP(0) "
		   "outside 64-bit mode",
		   &f);
	run_at_cpl(0, use_null_ds, NULL, &f);
	report_gp0("conformance.segment.null.use-ds",
		   "a data access through a null DS raises #GP(0)", &f);
	run_at_cpl(3, pop_ds, (void *)(ulong)(SEL_DATA(0) | 3), &f);
	report_fault("conformance.segment.pop-ds.cpl3",
		     "POP DS at CPL 3 of a DPL 0 selector raises "
		     "#GP(selector)",
		     GP_VECTOR, SEL_DATA(0), &f);
#endif
}

PROBE mov_cs(void *a)
{
	(void)a;
	asm volatile(".byte 0x8e, 0xc8"); /* mov %ax, %cs */
}

void probe_main(void)
{
	struct fault f;

	for (int cpl = 0; cpl <= 3; cpl++)
		for (int dpl = 0; dpl <= 3; dpl++)
			for (int rpl = 0; rpl <= 3; rpl++)
				ds_one(cpl, dpl, rpl);
	for (int cpl = 0; cpl <= 3; cpl++)
		ss_dpl(cpl);
	types();
	nulls();
	run_at_cpl(3, mov_cs, NULL, &f);
	report_fault("conformance.segment.mov-cs.cpl3",
		     "MOV to CS raises #UD (SDM Vol. 2A, MOV)", UD_VECTOR, 0,
		     &f);
}
