/*
 * conformance.task: hardware task switches between 32-bit TSSes (SDM
 * Vol. 3A chapter 8, "Task Management": 8.3 the switch, Table 8-1 its
 * checks, Table 8-2 busy flag, NT and back link; Vol. 2A JMP, CALL and
 * IRET, the TSS and task-gate paths; Vol. 3A 6.12.2 IDT task gates).
 * Debian's i386 kernel takes #DF through a task gate to its doublefault
 * TSS, so a monitor must switch tasks to survive a kernel stack overflow.
 *
 * Everything the switch does is read back from memory (the TSSes' saved
 * fields, the busy bits in the GDT) or from general registers, so the
 * checks hold under direct execution too; only the NT check reads
 * EFLAGS with PUSHF. After each check the runtime's TSS is made current
 * again with LTR, whatever the check left behind.
 */
#include "common.h"
#include "task.h"

POPEK_IMAGE(0, 0);

#define I(n)	  (GDT_FREE + (n))
#define TSS_A	  I(0) /* JMP target */
#define TSS_B	  I(1) /* CALL target, entered through GATE_B / GATE_B3 */
#define GATE_B	  I(2) /* task gate, DPL 0 */
#define GATE_B3	  I(3) /* task gate, DPL 3 */
#define TSS_DF	  I(4) /* the doublefault task */
#define TSS_SEG	  I(5) /* a task whose GS selector is outside the GDT */
#define TSS_BAD	  I(6) /* scratch: short limit, not present */
#define GATE_BAD  I(7) /* scratch: a task gate not present */
#define GATE_BUSY I(8) /* task gate to the runtime's (busy) TSS */
#define SEL(i)	  ((u16)((i) << 3))

#define TSS_LIMIT   0x67  /* 104 bytes: the least a 32-bit TSS may have */
#define BAD_SEL	    0x1f8 /* index 63: beyond the GDT's 48 entries */
#define TASK_FLAGS  0x8d7 /* CF PF AF ZF SF OF and the fixed bit */
#define ARITH_FLAGS 0x8d5
#define LINK_MARK   0x5a58 /* what JMP must leave in the back link */

struct __attribute__((packed)) farptr {
	u32 off;
	u16 sel;
};

static struct tss32 tss_a, tss_b, tss_df, tss_seg, tss_bad;
static u8 stacks[4][4096] __aligned(16);

/* What each task saw; written by the tasks, read by probe_main. */
volatile u32 a_seen[4]; /* EAX, EBX, ESP, EFLAGS at entry */
volatile u32 b_seen_flags, df_seen_esp, df_seen_error;
volatile u32 a_types, b_types, df_types, a_cr0, df_saved_eip;
volatile int a_runs, b_runs, df_runs;
struct farptr main_task = {0, SEL_TSS};

extern char task_a_entry[], task_a_back[], task_b_entry[], task_b_back[];
extern char df_entry[], seg_entry[], jmp_ret[], div_insn[];

void task_a_body(void);
void task_b_body(void);
void df_body(void);

/*
 * The tasks. A records its registers, then JMPs back to the runtime's
 * task; B and the doublefault task return by IRET (NT = 1, back link).
 * A task resumes after its last switch out, so each loops to its entry.
 */
asm(".text\n"
    "task_a_entry:\n\t"
    "mov %eax, a_seen\n\t"
    "mov %ebx, a_seen+4\n\t"
    "mov %esp, a_seen+8\n\t"
    "pushf\n\tpopl a_seen+12\n\t"
    "call task_a_body\n\t"
    "mov a_seen, %eax\n\t" /* what the JMP back must save */
    "ljmp *main_task\n"
    "task_a_back:\n\t"
    "jmp task_a_entry\n"
    "task_b_entry:\n\t"
    "pushf\n\tpopl b_seen_flags\n\t"
    "call task_b_body\n\t"
    "iret\n"
    "task_b_back:\n\t"
    "jmp task_b_entry\n"
    "df_entry:\n\t"
    "mov %esp, df_seen_esp\n\t"
    "popl df_seen_error\n\t"
    "call df_body\n\t"
    "iret\n\t"
    "jmp df_entry\n"
    "seg_entry:\n\t"
    "ud2\n");

void task_a_body(void)
{
	a_runs++;
	a_types = (u32)gdt_type(TSS_A) << 8 | gdt_type(SEL_TSS >> 3);
	a_cr0 = read_cr0();
}

void task_b_body(void)
{
	b_runs++;
	b_types = (u32)gdt_type(TSS_B) << 8 | gdt_type(SEL_TSS >> 3);
}

void df_body(void)
{
	df_runs++;
	df_types = (u32)gdt_type(TSS_DF) << 8 | gdt_type(SEL_TSS >> 3);
	df_saved_eip = runtime_tss()->eip;
	idt_set_present(DE_VECTOR, true);
}

static void init_task(struct tss32 *t, const char *entry, int stack)
{
	task_init(t, entry, (ulong)stacks[stack] + sizeof(stacks[0]));
	t->link = LINK_MARK;
}

static void set_task_gate(int index, int tss_index, int dpl, bool present)
{
	/* The TSS selector sits where a segment's base[15:0] would. */
	gdt_set_system(index, SEL(tss_index), 0, TYPE_TASK_GATE, dpl);
	if (!present)
		gdt[index] &= ~(1ull << 47);
}

/* The runtime's TSS current again, every probe TSS available. */
static void reset_tasks(void)
{
	static const int tss_index[] = {TSS_A, TSS_B, TSS_DF, TSS_SEG, TSS_BAD};

	for (size_t i = 0; i < ARRAY_SIZE(tss_index); i++)
		gdt[tss_index[i]] &= ~(2ull << 40);
	gdt[SEL_TSS >> 3] &= ~(2ull << 40);
	asm volatile("ltr %w0\n\tclts\n\tmov %1, %%fs\n\tmov %1, %%gs"
		     :
		     : "r"(SEL_TSS), "r"((u32)KERNEL_DS)
		     : "memory");
}

PROBE do_ljmp(void *a)
{
	asm volatile("ljmp *%0\n\t" AT(jmp_ret) "nop"
		     :
		     : "m"(*(struct farptr *)a)
		     : "memory");
}

PROBE do_lcall(void *a)
{
	asm volatile("lcall *%0" : : "m"(*(struct farptr *)a) : "memory");
}

PROBE do_div0(void *a)
{
	(void)a;
	asm volatile("xor %%edx, %%edx\n\tmov $1, %%eax\n\t"
		     "xor %%ecx, %%ecx\n\t" AT(div_insn) "div %%ecx"
		     :
		     :
		     : "eax", "ecx", "edx", "memory");
}

static void check_jmp(void)
{
	struct farptr p = {0, SEL(TSS_A)};
	struct tss32 *m = runtime_tss();
	struct fault f;

	init_task(&tss_a, task_a_entry, 0);
	tss_a.eax = 0x600dcafe;
	tss_a.ebx = 0x12345678;
	tss_a.eflags = TASK_FLAGS;
	gdt_set_tss(TSS_A, &tss_a, TSS_LIMIT, true);
	a_runs = 0;
	try_call(do_ljmp, &p, &f);
	report("conformance.task.jmp.run",
	       "JMP far to an available 32-bit TSS runs the new "
	       "task, which JMPs back",
	       f.vector == NO_FAULT && a_runs == 1,
	       "expected the task to run once and come back, saw %d runs "
	       "and %s",
	       a_runs, vector_name(f.vector));
	report_eq("conformance.task.jmp.gpr",
		  "a task switch loads EAX and EBX from the new TSS",
		  0x600dcafe12345678ull, (u64)a_seen[0] << 32 | a_seen[1]);
	report_eq("conformance.task.jmp.esp",
		  "a task switch loads ESP from the new TSS", tss_a.esp0 - 16,
		  a_seen[2]);
	report_eq("conformance.task.jmp.eflags",
		  "a task switch loads the arithmetic flags from the new TSS",
		  ARITH_FLAGS, a_seen[3] & ARITH_FLAGS);
	report_eq("conformance.task.jmp.busy",
		  "JMP to a task: the new TSS busy, the old one available "
		  "(types 0xb, 0x9)",
		  TYPE_TSS32_BUSY << 8 | TYPE_TSS32, a_types);
	report_eq("conformance.task.jmp.cr0-ts", "a task switch sets CR0.TS",
		  X86_CR0_TS, a_cr0 & X86_CR0_TS);
	report_eq("conformance.task.jmp.saved-eip",
		  "the old TSS holds the EIP after the JMP", (ulong)jmp_ret,
		  m->eip);
	report_eq("conformance.task.jmp.saved-sregs",
		  "the old TSS holds the old task's CS, SS and DS",
		  (u64)KERNEL_CS32 << 32 | (u32)KERNEL_DS << 16 | KERNEL_DS,
		  (u64)m->cs << 32 | (u32)m->ss << 16 | m->ds);
	report_eq("conformance.task.jmp.back-busy",
		  "JMP back: the runtime's TSS busy again, the task's "
		  "available (types 0xb, 0x9)",
		  TYPE_TSS32_BUSY << 8 | TYPE_TSS32,
		  (u32)gdt_type(SEL_TSS >> 3) << 8 | gdt_type(TSS_A));
	report_eq("conformance.task.jmp.back-saved",
		  "JMP back saves the task's EIP (after its JMP) and EAX "
		  "in its TSS",
		  (u64)(ulong)task_a_back << 32 | 0x600dcafe,
		  (u64)tss_a.eip << 32 | tss_a.eax);
	report_eq("conformance.task.jmp.link",
		  "JMP leaves the new TSS's previous-task link alone",
		  LINK_MARK, tss_a.link);
	reset_tasks();
}

static void check_call(void)
{
	struct farptr p = {0, SEL(GATE_B)};
	struct fault f;

	init_task(&tss_b, task_b_entry, 1);
	tss_b.eflags = TASK_FLAGS;
	gdt_set_tss(TSS_B, &tss_b, TSS_LIMIT, true);
	set_task_gate(GATE_B, TSS_B, 0, true);
	b_runs = 0;
	try_call(do_lcall, &p, &f);
	report("conformance.task.call-gate.run",
	       "CALL far through a task gate runs the task, "
	       "whose IRET (NT = 1) returns to the caller",
	       f.vector == NO_FAULT && b_runs == 1,
	       "expected the task to run once and IRET back, saw %d runs "
	       "and %s",
	       b_runs, vector_name(f.vector));
	report_eq("conformance.task.call-gate.nt",
		  "CALL to a task sets EFLAGS.NT in the new task",
		  X86_EFLAGS_NT, b_seen_flags & X86_EFLAGS_NT);
	report_eq("conformance.task.call-gate.link",
		  "CALL to a task writes the caller's TSS selector into the "
		  "new TSS's back link",
		  SEL_TSS, tss_b.link);
	report_eq("conformance.task.call-gate.busy",
		  "CALL to a task: both TSSes busy (types 0xb, 0xb)",
		  TYPE_TSS32_BUSY << 8 | TYPE_TSS32_BUSY, b_types);
	report_eq("conformance.task.iret.busy",
		  "IRET to the back link: the returning task's TSS available, "
		  "the caller's busy (types 0x9, 0xb)",
		  TYPE_TSS32 << 8 | TYPE_TSS32_BUSY,
		  (u32)gdt_type(TSS_B) << 8 | gdt_type(SEL_TSS >> 3));
	report_eq("conformance.task.iret.saved",
		  "IRET saves the task's EIP (after IRET) with NT clear",
		  (u64)(ulong)task_b_back << 32,
		  (u64)tss_b.eip << 32 | (tss_b.eflags & X86_EFLAGS_NT));
	reset_tasks();
}

static void run_lcall_cpl3(void *a)
{
	do_lcall(a);
}

static void run_ljmp_cpl3(void *a)
{
	do_ljmp(a);
}

/* JMP/CALL: a task gate's or a TSS's DPL must be >= CPL and RPL; the
 * TSS a gate names is not checked (Vol. 2A JMP, CALL). */
static void check_privilege(void)
{
	struct farptr p;
	struct fault f;

	init_task(&tss_a, task_a_entry, 0);
	gdt_set_tss(TSS_A, &tss_a, TSS_LIMIT, true);
	init_task(&tss_b, task_b_entry, 1);
	gdt_set_tss(TSS_B, &tss_b, TSS_LIMIT, true);
	set_task_gate(GATE_B, TSS_B, 0, true);
	set_task_gate(GATE_B3, TSS_B, 3, true);

	p = (struct farptr){0, SEL(TSS_A) | 3};
	try_call(do_ljmp, &p, &f);
	report_fault("conformance.task.dpl.tss-rpl",
		     "JMP to a DPL-0 TSS with RPL 3 raises #GP(selector)",
		     GP_VECTOR, SEL(TSS_A), &f);
	reset_tasks();
	p = (struct farptr){0, SEL(GATE_B) | 3};
	try_call(do_lcall, &p, &f);
	report_fault("conformance.task.dpl.gate-rpl",
		     "CALL through a DPL-0 task gate with RPL 3 raises "
		     "#GP(selector)",
		     GP_VECTOR, SEL(GATE_B), &f);
	reset_tasks();
	p = (struct farptr){0, SEL(TSS_A) | 3};
	run_at_cpl(3, run_ljmp_cpl3, &p, &f);
	report_fault("conformance.task.dpl.tss-cpl3",
		     "JMP to a DPL-0 TSS at CPL 3 raises #GP(selector)",
		     GP_VECTOR, SEL(TSS_A), &f);
	reset_tasks();
	p = (struct farptr){0, SEL(GATE_B3) | 3};
	b_runs = 0;
	run_at_cpl(3, run_lcall_cpl3, &p, &f);
	report("conformance.task.dpl.gate-cpl3",
	       "CALL through a DPL-3 task gate at CPL 3 runs the "
	       "DPL-0 TSS's task and IRETs back to CPL 3",
	       f.vector == NO_FAULT && b_runs == 1,
	       "expected the task to run once and return, saw %d runs and %s",
	       b_runs, vector_name(f.vector));
	reset_tasks();
}

/* Table 8-1 and Vol. 2A JMP: busy #GP, not present #NP, short #TS, each
 * before anything changes. */
static void check_faults(void)
{
	struct farptr p = {0, SEL_TSS};
	struct fault f;

	try_call(do_ljmp, &p, &f);
	report_fault("conformance.task.busy.jmp",
		     "JMP to the current (busy) TSS raises #GP(selector)",
		     GP_VECTOR, SEL_TSS, &f);
	reset_tasks();
	try_call(do_lcall, &p, &f);
	report_fault("conformance.task.busy.call",
		     "CALL to the current (busy) TSS raises #GP(selector)",
		     GP_VECTOR, SEL_TSS, &f);
	reset_tasks();
	set_task_gate(GATE_BUSY, SEL_TSS >> 3, 0, true);
	p.sel = SEL(GATE_BUSY);
	try_call(do_lcall, &p, &f);
	report_fault("conformance.task.busy.gate",
		     "CALL through a task gate to a busy TSS raises "
		     "#GP(TSS selector)",
		     GP_VECTOR, SEL_TSS, &f);
	reset_tasks();

	init_task(&tss_bad, seg_entry, 3);
	gdt_set_tss(TSS_BAD, &tss_bad, TSS_LIMIT - 1, true);
	p.sel = SEL(TSS_BAD);
	try_call(do_ljmp, &p, &f);
	report_fault("conformance.task.limit.jmp",
		     "JMP to a TSS with limit 0x66 raises #TS(selector)",
		     TS_VECTOR, SEL(TSS_BAD), &f);
	report_eq("conformance.task.limit.unchanged",
		  "after that #TS no busy bit has changed (types 0x9, 0xb)",
		  TYPE_TSS32 << 8 | TYPE_TSS32_BUSY,
		  (u32)gdt_type(TSS_BAD) << 8 | gdt_type(SEL_TSS >> 3));
	reset_tasks();
	gdt_set_tss(TSS_BAD, &tss_bad, TSS_LIMIT, false);
	try_call(do_ljmp, &p, &f);
	report_fault("conformance.task.np.tss",
		     "JMP to a TSS marked not present raises #NP(selector)",
		     NP_VECTOR, SEL(TSS_BAD), &f);
	reset_tasks();
	gdt_set_tss(TSS_BAD, &tss_bad, TSS_LIMIT, true);
	set_task_gate(GATE_BAD, TSS_BAD, 0, false);
	p.sel = SEL(GATE_BAD);
	try_call(do_lcall, &p, &f);
	report_fault("conformance.task.np.gate",
		     "CALL through a task gate marked not present raises "
		     "#NP(gate selector)",
		     NP_VECTOR, SEL(GATE_BAD), &f);
	reset_tasks();
}

/* 8.3 step 12: a bad selector in the new TSS faults after the switch,
 * in the new task: its EIP, its TSS current. */
static void check_after_commit(void)
{
	struct farptr p = {0, SEL(TSS_SEG)};
	struct fault f;
	u32 types;

	init_task(&tss_seg, seg_entry, 3);
	tss_seg.gs = BAD_SEL;
	gdt_set_tss(TSS_SEG, &tss_seg, TSS_LIMIT, true);
	try_call(do_ljmp, &p, &f);
	types = (u32)gdt_type(TSS_SEG) << 8 | gdt_type(SEL_TSS >> 3);
	reset_tasks();
	report_fault("conformance.task.after.ts",
		     "a GS selector outside the GDT in the new TSS raises "
		     "#TS(selector)",
		     TS_VECTOR, BAD_SEL, &f);
	report_eq("conformance.task.after.eip",
		  "that #TS is raised at the new task's first instruction",
		  (ulong)seg_entry, f.ip);
	report_eq("conformance.task.after.busy",
		  "that #TS comes after the switch: the new TSS busy, the old "
		  "one available (types 0xb, 0x9)",
		  TYPE_TSS32_BUSY << 8 | TYPE_TSS32, types);
}

/*
 * Linux's pattern: IDT vector 8 is a task gate to a doublefault TSS. A
 * #DE whose gate is not present becomes #NP, two contributory faults
 * make #DF (Vol. 3A 6.15, Table 6-5), and #DF switches tasks, pushing
 * its error code (0) on the new task's stack. The task marks gate 0
 * present and IRETs back to the DIV, whose #DE the runtime then catches.
 */
static void check_double_fault(void)
{
	volatile u64 *idt = idt_gates();
	u64 saved;
	struct fault f;

	init_task(&tss_df, df_entry, 2);
	gdt_set_tss(TSS_DF, &tss_df, TSS_LIMIT, true);
	saved = idt[DF_VECTOR];
	idt[DF_VECTOR] = task_gate(SEL(TSS_DF), 0, true);
	idt_set_present(DE_VECTOR, false);
	df_runs = 0;
	try_call(do_div0, NULL, &f);
	idt_set_present(DE_VECTOR, true);
	idt[DF_VECTOR] = saved;
	report("conformance.task.df.run",
	       "#DF through an IDT task gate runs the doublefault "
	       "task, whose IRET re-executes the faulting DIV",
	       df_runs == 1 && f.vector == DE_VECTOR,
	       "expected one doublefault task run and then #DE, saw %d runs "
	       "and %s",
	       df_runs, vector_name(f.vector));
	report_eq("conformance.task.df.error-code",
		  "the #DF error code (0) is on the new task's stack, below "
		  "its TSS ESP",
		  (u64)(tss_df.esp0 - 20) << 32,
		  (u64)df_seen_esp << 32 | df_seen_error);
	report_eq("conformance.task.df.link",
		  "#DF through a task gate links the new TSS to the "
		  "interrupted task",
		  SEL_TSS, tss_df.link);
	report_eq("conformance.task.df.busy",
		  "#DF through a task gate: both TSSes busy (types 0xb, 0xb)",
		  TYPE_TSS32_BUSY << 8 | TYPE_TSS32_BUSY, df_types);
	report_eq("conformance.task.df.saved-eip",
		  "the interrupted TSS holds the EIP of the faulting DIV",
		  (ulong)div_insn, df_saved_eip);
	reset_tasks();
}

void probe_main(void)
{
	check_jmp();
	check_call();
	check_privilege();
	check_faults();
	check_after_commit();
	check_double_fault();
}
