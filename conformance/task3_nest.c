/*
 * Nested tasks and a task's LDT.
 *
 * Nesting (SDM Vol. 3A 8.4, Table 8-2): the runtime CALLs task B, B
 * CALLs task C. While C runs all three TSSes are busy and each back
 * link names the caller; a CALL or JMP to a task of the chain is a
 * #GP(its selector) (8.4.3: no recursion). C's IRET returns to B with
 * B's NT (saved set), B's IRET to the runtime; each IRET leaves its own
 * task available with NT clear in the saved image, and the links as
 * they were.
 *
 * LDT (8.3 step 11, 8.2.1): the new task's LDTR comes from its TSS,
 * and its CS and DS selectors (TI = 1) name descriptors in that LDT.
 */
#include "common.h"
#include "task3.h"

static struct tss32 tss_b, tss_c, tss_l;

volatile int nb_runs, nc_runs;
volatile u32 nc_types, nc_b_link, nc_c_link, nc_b_flags, nc_b_eip;
volatile u32 nb_types, nb_c_flags;
struct farptr nest_c = {0, SEL(TSS_C)};
static struct fault nc_call_f, nc_jmp_f;

extern char nb_entry[], nb_after[], nc_entry[];
void nb_body(void);
void nc_body(void);

asm(".text\n"
    "nb_entry:\n\t"
    "incl nb_runs\n\t"
    "lcall *nest_c\n"
    "nb_after:\n\t"
    "call nb_body\n\t"
    "iret\n\t"
    "jmp nb_entry\n"
    "nc_entry:\n\t"
    "call nc_body\n\t"
    "iret\n\t"
    "jmp nc_entry\n");

void nc_body(void)
{
	struct farptr to_b = {0, SEL(TSS_B)}, to_main = {0, SEL_TSS};

	nc_runs++;
	nc_types = task3_types(SEL_TSS >> 3, TSS_B) << 8 | gdt_type(TSS_C);
	nc_b_link = tss_b.link;
	nc_c_link = tss_c.link;
	nc_b_flags = tss_b.eflags;
	nc_b_eip = tss_b.eip;
	try_call(task3_lcall, &to_b, &nc_call_f);
	try_call(task3_ljmp, &to_main, &nc_jmp_f);
}

void nb_body(void)
{
	nb_types = task3_types(SEL_TSS >> 3, TSS_B) << 8 | gdt_type(TSS_C);
	nb_c_flags = tss_c.eflags;
}

void check_nested(void)
{
	struct farptr p = {0, SEL(TSS_B)};
	struct fault f;
	u32 types;

	task3_init(&tss_b, nb_entry, 1);
	task3_init(&tss_c, nc_entry, 2);
	gdt_set_tss(TSS_B, &tss_b, TSS_LIMIT, true);
	gdt_set_tss(TSS_C, &tss_c, TSS_LIMIT, true);
	nb_runs = nc_runs = 0;
	nb_types = 0;
	nb_c_flags = 0xffffffff; /* a body that never ran fails */
	nc_call_f.vector = nc_jmp_f.vector = 0;
	try_call(task3_lcall, &p, &f);
	types = task3_types(SEL_TSS >> 3, TSS_B) << 8 | gdt_type(TSS_C);
	task3_reset();
	report("conformance.task.nest.run",
	       "CALL to task B, whose CALL to task C nests a third task: "
	       "each runs once and the IRETs come back",
	       f.vector == NO_FAULT && nb_runs == 1 && nc_runs == 1,
	       "expected one run each and no fault, saw %d and %d runs and %s",
	       nb_runs, nc_runs, vector_name(f.vector));
	report_eq("conformance.task.nest.busy",
		  "while the third task runs all three TSSes are busy "
		  "(0xb, 0xb, 0xb)",
		  0x0b0b0b, nc_types);
	report_eq("conformance.task.nest.links",
		  "each back link names its caller: C's names B, B's the "
		  "runtime's TSS",
		  (u32)SEL(TSS_B) << 16 | SEL_TSS, nc_c_link << 16 | nc_b_link);
	report_eq("conformance.task.nest.b-saved-nt",
		  "B's CALL to C saves B's EFLAGS with NT set (B was called)",
		  X86_EFLAGS_NT, nc_b_flags & X86_EFLAGS_NT);
	report_eq("conformance.task.nest.b-saved-eip",
		  "B's CALL to C saves the EIP after the CALL in B's TSS",
		  (ulong)nb_after, nc_b_eip);
	report_fault("conformance.task.nest.call-busy",
		     "in C, CALL to B (busy, in the chain) raises "
		     "#GP(B's selector)",
		     GP_VECTOR, SEL(TSS_B), &nc_call_f);
	report_fault("conformance.task.nest.jmp-busy",
		     "in C, JMP to the runtime's task (busy, in the chain) "
		     "raises #GP(its selector)",
		     GP_VECTOR, SEL_TSS, &nc_jmp_f);
	report_eq("conformance.task.nest.iret-c.busy",
		  "C's IRET back to B: C available, B and the runtime's TSS "
		  "busy (0xb, 0xb, 0x9)",
		  0x0b0b09, nb_types);
	report_eq("conformance.task.nest.iret-c.saved-nt",
		  "C's IRET saves C's EFLAGS with NT clear", 0,
		  nb_c_flags & X86_EFLAGS_NT);
	report_eq("conformance.task.nest.iret-b.busy",
		  "B's IRET back to the runtime's task (B resumed with NT "
		  "from its TSS): only the runtime's TSS busy (0xb, 0x9, 0x9)",
		  0x0b0909, types);
	report_eq("conformance.task.nest.iret-b.saved-nt",
		  "B's IRET saves B's EFLAGS with NT clear", 0,
		  tss_b.eflags & X86_EFLAGS_NT);
	report_eq("conformance.task.nest.links-kept",
		  "the IRETs leave the back links in B's and C's TSSes as "
		  "they were",
		  (u32)SEL(TSS_B) << 16 | SEL_TSS,
		  (u32)tss_c.link << 16 | tss_b.link);
}

/*
 * The LDT task's code runs with a DS based at ldt_buf, so it writes
 * what it sees through ES (flat) and calls no C.
 */
#define LDT_CS	  ((u16)(1 << 3 | 4))
#define LDT_DS	  ((u16)(2 << 3 | 4))
#define BUF_LIMIT 0xfff
#define BUF_MARK  0x1d7b0f00u

static u64 ldt_tab[3] __aligned(8);
static u32 ldt_buf[BUF_LIMIT / 4 + 1] __aligned(4096);
volatile u16 l_sreg[3]; /* LDTR, CS, DS */
volatile u32 l_word, l_limit;
volatile int l_runs;

extern char ldt_entry[];

asm(".text\n"
    "ldt_entry:\n\t"
    "sldt %es:l_sreg\n\t"
    "mov %cs, %es:l_sreg+2\n\t"
    "mov %ds, %es:l_sreg+4\n\t"
    "mov %ds:0, %eax\n\t"
    "mov %eax, %es:l_word\n\t"
    "mov %ds, %ecx\n\t"
    "lsl %ecx, %eax\n\t"
    "mov %eax, %es:l_limit\n\t"
    "incl %es:l_runs\n\t"
    "ljmp *%es:main_task\n\t"
    "jmp ldt_entry\n");

/* A flat-derived descriptor with this base and a byte-granular limit. */
static u64 data_desc(u32 base, u32 limit)
{
	u64 d = desc_rebase(gdt[KERNEL_DS >> 3], base);

	d &= ~(0xffffull | 0xfull << 48 | 1ull << 55 | 1ull << 40);
	return d | (limit & 0xffff) | (u64)(limit >> 16) << 48;
}

void check_ldt(void)
{
	struct farptr p = {0, SEL(TSS_A)};
	struct fault f;
	u16 ldtr_after;

	ldt_tab[0] = 0;
	ldt_tab[1] = gdt[KERNEL_CS32 >> 3] & ~(1ull << 40);
	ldt_tab[2] = data_desc((ulong)ldt_buf, BUF_LIMIT);
	ldt_buf[0] = BUF_MARK;
	gdt_set_system(LDT_DESC, (ulong)ldt_tab, sizeof(ldt_tab) - 1, TYPE_LDT,
		       0);
	task3_init(&tss_l, ldt_entry, 3);
	tss_l.ldt = SEL(LDT_DESC);
	tss_l.cs = LDT_CS;
	tss_l.ds = LDT_DS;
	gdt_set_tss(TSS_A, &tss_l, TSS_LIMIT, true);
	l_runs = 0;
	try_call(task3_ljmp, &p, &f);
	asm volatile("sldt %0" : "=r"(ldtr_after));
	task3_reset();
	report("conformance.task.ldt.run",
	       "JMP to a TSS whose CS and DS name descriptors in its LDT runs "
	       "the task, which JMPs back",
	       f.vector == NO_FAULT && l_runs == 1,
	       "expected one run and no fault, saw %d runs and %s", l_runs,
	       vector_name(f.vector));
	report_eq("conformance.task.ldt.ldtr",
		  "a task switch loads LDTR from the new TSS's LDT field",
		  SEL(LDT_DESC), l_sreg[0]);
	report_eq("conformance.task.ldt.cs",
		  "the new task's CS is the LDT selector (TI = 1) of its TSS",
		  LDT_CS, l_sreg[1]);
	report_eq("conformance.task.ldt.ds",
		  "the new task's DS is the LDT selector (TI = 1) of its TSS",
		  LDT_DS, l_sreg[2]);
	report_eq("conformance.task.ldt.ds-base",
		  "DS:0 in the new task reads the base its LDT descriptor "
		  "names",
		  BUF_MARK, l_word);
	report_eq("conformance.task.ldt.ds-limit",
		  "LSL of the new task's DS gives its LDT descriptor's limit",
		  BUF_LIMIT, l_limit);
	report_eq("conformance.task.ldt.accessed",
		  "loading CS and DS from the new task's LDT sets their "
		  "descriptors' accessed bits (3.4.5.1)",
		  3, (ldt_tab[1] >> 40 & 1) << 1 | (ldt_tab[2] >> 40 & 1));
	report_eq("conformance.task.ldt.saved-sregs",
		  "the switch out saves the task's LDT selectors for CS and DS",
		  (u32)LDT_CS << 16 | LDT_DS, (u32)tss_l.cs << 16 | tss_l.ds);
	report_eq("conformance.task.ldt.back",
		  "the switch back loads the runtime TSS's LDTR (null)", 0,
		  ldtr_after);
}
