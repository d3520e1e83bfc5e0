/*
 * conformance.task, second image: what a 32-bit task switch saves and
 * loads register by register, INT n through an IDT task gate, CALL to a
 * TSS, JMP through a task gate, the descriptor checks of task gates and
 * of IRET's back link, and the #TS/#NP a bad selector in the new TSS
 * raises after the commit point, cause by cause (SDM Vol. 3A 8.2.1 the
 * TSS, 8.3 the switch and Table 8-1 its checks, 8.4 linking; Vol. 2A
 * CALL, JMP, INT n and IRET, the task-switch paths).
 *
 * As in taskswitch.c, everything is read back from memory or general
 * registers; after each check the runtime's TSS is current again.
 */
#include "common.h"
#include "task.h"

POPEK_IMAGE(0, 0);

#define I(n)	(GDT_FREE + (n))
#define TSS_A	I(0) /* records its registers, JMPs back */
#define TSS_C	I(1) /* returns by IRET */
#define TSS_BAD I(2) /* entered once, faults at its first instruction */
#define GATE	I(3) /* scratch task gate */
#define DS_NP	I(4) /* a data segment marked not present */
#define TSS_IO	I(5) /* a CPL-3 task with an I/O bitmap */
#define TSS_H	I(6) /* the #TS handler task, through an IDT task gate */
#define TSS_HNP I(7) /* the same TSS, for #NP */
#define TSS_HSS I(8) /* the same TSS, for #SS */
#define SEL(i)	((u16)((i) << 3))
#define INT_VEC 0x41 /* an IDT task gate for INT n */

#define TSS_LIMIT  0x67
#define BAD_SEL	   0x1f8 /* index 63: beyond the GDT's 48 entries */
#define TASK_FLAGS 0x8d7
#define MAIN_FLAGS 0xcd7 /* arithmetic flags, DF and the fixed bit */
#define CR3_MARK   0x00bad000
#define LDT_MARK   0x1234
#define NT_FLAG	   0x4000
#define XSTR(x)	   #x
#define STR(x)	   XSTR(x)

struct __attribute__((packed)) farptr {
	u32 off;
	u16 sel;
};

static struct tss32 tss_a, tss_c, tss_bad;
static struct tss32 tss_h;
static u8 stacks[5][4096] __aligned(16);

/* Ports 0-0x87 and the terminating byte of all ones (8.5.2). */
#define IO_ALLOWED 0x80
#define IO_DENIED  0x84
static struct __attribute__((packed)) {
	struct tss32 t;
	u8 map[IO_DENIED / 8 + 1 + 1];
} tss_io;

/* A's registers at entry: EAX ECX EDX EBX ESP EBP ESI EDI (PUSHAL order
 * reversed), then EFLAGS, CS SS DS ES FS GS LDTR. */
volatile u32 a_gpr[8], a_flags;
volatile u16 a_sreg[7];
volatile u32 a_main_cr3, a_main_ldt, a_types;
volatile u32 c_flags, c_esp, c_types;
volatile int a_runs, c_runs, h_runs;
volatile u32 h_err, h_vec;
volatile u32 main_esp;
struct farptr main_task = {0, SEL_TSS};
struct farptr target;
const u16 es_mark = SEL_DATA(3) | 3, fs_mark = SEL_DATA(1) | 1,
	  gs_mark = SEL_DATA(2) | 2, flat_ds = KERNEL_DS;

extern char task_a_entry[], task_c_entry[], bad_entry[], int_ret[];
extern char regs_ret[], io_entry[], io_denied[], io_end[], h_entry[];

void task_a_body(void);
void task_c_body(void);
void h_body(void);

asm(".text\n"
    "task_a_entry:\n\t"
    "mov %edi, a_gpr+28\n\tmov %esi, a_gpr+24\n\t"
    "mov %ebp, a_gpr+20\n\tmov %esp, a_gpr+16\n\t"
    "mov %ebx, a_gpr+12\n\tmov %edx, a_gpr+8\n\t"
    "mov %ecx, a_gpr+4\n\tmov %eax, a_gpr\n\t"
    "pushf\n\tpopl a_flags\n\t"
    "mov %cs, a_sreg\n\tmov %ss, a_sreg+2\n\tmov %ds, a_sreg+4\n\t"
    "mov %es, a_sreg+6\n\tmov %fs, a_sreg+8\n\tmov %gs, a_sreg+10\n\t"
    "sldt a_sreg+12\n\t"
    "mov $0x88, %eax\n\tmov %eax, %ds\n\tmov %eax, %es\n\t"
    "call task_a_body\n\t"
    "ljmp *main_task\n\t"
    "jmp task_a_entry\n"
    "task_c_entry:\n\t"
    "pushf\n\tpopl c_flags\n\t"
    "mov %esp, c_esp\n\t"
    "call task_c_body\n\t"
    "iret\n\t"
    "jmp task_c_entry\n"
    "bad_entry:\n\t"
    "ud2\n"
    "io_entry:\n\t"
    "inb $0x80, %al\n" /* IO_ALLOWED */
    "io_denied:\n\t"
    "inb $0x84, %al\n" /* IO_DENIED */
    "io_end:\n\t"
    "ud2\n"
    "h_entry:\n\t"
    "popl h_err\n\t"
    "call h_body\n\t"
    "ljmp *main_task\n\t"
    "jmp h_entry\n");

/* The static fields are not saved (8.2.1); put the real ones back so
 * that the switch back to the runtime's task loads them. */
void task_a_body(void)
{
	struct tss32 *m = runtime_tss();

	a_runs++;
	a_types = (u32)gdt_type(TSS_A) << 8 | gdt_type(SEL_TSS >> 3);
	a_main_cr3 = m->cr3;
	a_main_ldt = m->ldt;
	m->cr3 = read_cr3();
	m->ldt = 0;
}

void task_c_body(void)
{
	c_runs++;
	c_types = (u32)gdt_type(TSS_C) << 8 | gdt_type(SEL_TSS >> 3);
}

/* Three descriptors name the handler's TSS; the busy one tells which
 * IDT gate, so which exception, switched to it. */
void h_body(void)
{
	h_runs++;
	h_vec = gdt_type(TSS_H) == TYPE_TSS32_BUSY     ? TS_VECTOR
		: gdt_type(TSS_HNP) == TYPE_TSS32_BUSY ? NP_VECTOR
		: gdt_type(TSS_HSS) == TYPE_TSS32_BUSY ? SS_VECTOR
						       : 0xff;
}

static void init_task(struct tss32 *t, const char *entry, int stack)
{
	task_init(t, entry, (ulong)stacks[stack] + sizeof(stacks[0]));
}

static void set_task_gate(int index, u16 tss_sel)
{
	gdt_set_system(index, tss_sel, 0, TYPE_TASK_GATE, 0);
}

static void reset_tasks(void)
{
	static const int tss_index[] = {TSS_A, TSS_C,	TSS_BAD,
					TSS_H, TSS_HNP, TSS_HSS};

	for (size_t i = 0; i < ARRAY_SIZE(tss_index); i++)
		gdt[tss_index[i]] &= ~(2ull << 40);
	gdt[SEL_TSS >> 3] &= ~(2ull << 40);
	runtime_tss()->link = 0;
	asm volatile("ltr %w0\n\tclts\n\tmov %1, %%fs\n\tmov %1, %%gs"
		     :
		     : "r"(SEL_TSS), "r"((u32)KERNEL_DS)
		     : "memory");
}

/*
 * JMP to TSS_A with every general register, ES, FS, GS and EFLAGS set to
 * known values, so that the runtime's TSS shows what was saved. The
 * switch back reloads them from there, EBP is restored by hand.
 */
PROBE do_ljmp_regs(void *a)
{
	(void)a;
	asm volatile(
		"push %%ebp\n\t"
		"mov es_mark, %%es\n\tmov fs_mark, %%fs\n\t"
		"mov gs_mark, %%gs\n\t"
		"mov $0x11111111, %%eax\n\tmov $0x22222222, %%ecx\n\t"
		"mov $0x33333333, %%edx\n\tmov $0x44444444, %%ebx\n\t"
		"mov $0x55555555, %%ebp\n\tmov $0x66666666, %%esi\n\t"
		"mov $0x77777777, %%edi\n\t"
		"push $" STR(MAIN_FLAGS) "\n\tpopf\n\t"
					 "mov %%esp, main_esp\n\t"
					 "ljmp *target\n\t" AT(
						 regs_ret) "cld\n\t"
							   "pop %%ebp\n\t"
							   "mov flat_ds, %%es"
		:
		:
		: "eax", "ecx", "edx", "ebx", "esi", "edi", "memory", "cc");
}

PROBE do_ljmp(void *a)
{
	asm volatile("ljmp *%0" : : "m"(*(struct farptr *)a) : "memory");
}

PROBE do_lcall(void *a)
{
	asm volatile("lcall *%0" : : "m"(*(struct farptr *)a) : "memory");
}

PROBE do_int(void *a)
{
	(void)a;
	asm volatile("int $" STR(INT_VEC) "\n\t" AT(int_ret) "nop"
		     :
		     :
		     : "memory");
}

/* IRET with NT set: a return to the task in the back link. */
PROBE do_iret_nt(void *a)
{
	(void)a;
	asm volatile("pushf\n\torl $" STR(
			     NT_FLAG) ", (%%esp)\n\t"
				      "popf\n\t"
				      "push $0\n\tpush $0\n\tpush $0\n\tiret"
		     :
		     :
		     : "memory", "cc");
}

/* 8.3 steps 8 and 11: the old task's state saved, the new one loaded. */
static void check_jmp_regs(void)
{
	static const u32 loaded[8] = {0xa0a0a0a0, 0xa1a1a1a1, 0xa2a2a2a2,
				      0xa3a3a3a3, 0,	      0xa5a5a5a5,
				      0xa6a6a6a6, 0xa7a7a7a7};
	static const int gi[7] = {0, 1, 2, 3, 5, 6, 7};
	u16 sreg[7] = {KERNEL_CS32,
		       KERNEL_DS,
		       SEL_DATA(3) | 3,
		       SEL_DATA(3) | 3,
		       SEL_DATA(1) | 1,
		       SEL_DATA(2) | 2,
		       0};
	struct tss32 *m = runtime_tss();
	char id[CHECK_ID_MAX];
	struct fault f;
	u32 saved[8];

	init_task(&tss_a, task_a_entry, 0);
	tss_a.eax = loaded[0];
	tss_a.ecx = loaded[1];
	tss_a.edx = loaded[2];
	tss_a.ebx = loaded[3];
	tss_a.ebp = loaded[5];
	tss_a.esi = loaded[6];
	tss_a.edi = loaded[7];
	tss_a.eflags = TASK_FLAGS | NT_FLAG;
	tss_a.ds = tss_a.es = sreg[2];
	tss_a.fs = sreg[4];
	tss_a.gs = sreg[5];
	gdt_set_tss(TSS_A, &tss_a, TSS_LIMIT, true);
	m->cr3 = CR3_MARK;
	m->ldt = LDT_MARK;
	target = (struct farptr){0, SEL(TSS_A)};
	a_runs = 0;
	try_call(do_ljmp_regs, NULL, &f);
	m->cr3 = read_cr3();
	m->ldt = 0;
	saved[0] = m->eax;
	saved[1] = m->ecx;
	saved[2] = m->edx;
	saved[3] = m->ebx;
	saved[4] = m->esp;
	saved[5] = m->ebp;
	saved[6] = m->esi;
	saved[7] = m->edi;
	reset_tasks();
	report("conformance.task.regs.run",
	       "JMP to a TSS with every register set runs the task, which "
	       "JMPs back",
	       f.vector == NO_FAULT && a_runs == 1,
	       "expected one run and no fault, saw %d runs and %s", a_runs,
	       vector_name(f.vector));
	for (int i = 0; i < 7; i++)
		report_equal(
			CHECK_ID(id,
				 "conformance.task.load."
				 "{eax,ecx,edx,ebx,ebp,esi,edi}",
				 "a task switch loads {1} from the new TSS", i),
			loaded[gi[i]], a_gpr[gi[i]]);
	for (int i = 0; i < 7; i++)
		report_equal(
			CHECK_ID(id,
				 "conformance.task.load."
				 "{cs,ss,ds,es,fs,gs,ldtr}",
				 "a task switch loads {1} from the new TSS", i),
			sreg[i], a_sreg[i]);
	report_eq("conformance.task.load.nt",
		  "JMP loads EFLAGS.NT from the new TSS's image as it is (set)",
		  NT_FLAG, a_flags & NT_FLAG);
	for (int i = 0; i < 8; i++)
		report_equal(CHECK_ID(id,
				      "conformance.task.save."
				      "{eax,ecx,edx,ebx,esp,ebp,esi,edi}",
				      "JMP saves the old task's {1} in its TSS",
				      i),
			     i == 4 ? main_esp : 0x11111111u * (i + (i < 4)),
			     saved[i]);
	report_eq("conformance.task.save.sregs",
		  "JMP saves the old task's ES, FS and GS in its TSS",
		  (u64)(SEL_DATA(3) | 3) << 32 | (u32)(SEL_DATA(1) | 1) << 16 |
			  (SEL_DATA(2) | 2),
		  (u64)m->es << 32 | (u32)m->fs << 16 | m->gs);
	report_eq("conformance.task.save.eflags",
		  "JMP saves the old task's arithmetic flags and DF",
		  MAIN_FLAGS & ~2u, m->eflags & (MAIN_FLAGS & ~2u));
	report_eq("conformance.task.save.eip",
		  "JMP saves the EIP after the JMP in the old TSS",
		  (ulong)regs_ret, m->eip);
	report_eq("conformance.task.save.cr3-static",
		  "a task switch does not write CR3 into the old TSS", CR3_MARK,
		  a_main_cr3);
	report_eq("conformance.task.save.ldt-static",
		  "a task switch does not write LDTR into the old TSS",
		  LDT_MARK, a_main_ldt);
}

/* Vol. 3A 6.12.2, Table 8-2: INT n through an IDT task gate. */
static void check_int_gate(void)
{
	volatile u64 *idt = idt_gates();
	u64 saved;
	struct fault f;

	init_task(&tss_c, task_c_entry, 1);
	gdt_set_tss(TSS_C, &tss_c, TSS_LIMIT, true);
	saved = idt[INT_VEC];
	idt[INT_VEC] = task_gate(SEL(TSS_C), 0, true);
	c_runs = 0;
	try_call(do_int, NULL, &f);
	idt[INT_VEC] = saved;
	report("conformance.task.int.run",
	       "INT n through an IDT task gate runs the task, whose IRET "
	       "returns after the INT",
	       f.vector == NO_FAULT && c_runs == 1,
	       "expected one run and no fault, saw %d runs and %s", c_runs,
	       vector_name(f.vector));
	report_eq("conformance.task.int.nt",
		  "INT n through a task gate sets EFLAGS.NT in the new task",
		  NT_FLAG, c_flags & NT_FLAG);
	report_eq("conformance.task.int.esp",
		  "INT n pushes no error code: the new task starts at its "
		  "TSS ESP",
		  tss_c.esp0 - 16, c_esp);
	report_eq("conformance.task.int.link",
		  "INT n through a task gate links the new TSS to the caller",
		  SEL_TSS, tss_c.link);
	report_eq("conformance.task.int.busy",
		  "INT n through a task gate: both TSSes busy (0xb, 0xb)",
		  TYPE_TSS32_BUSY << 8 | TYPE_TSS32_BUSY, c_types);
	report_eq("conformance.task.int.saved-eip",
		  "INT n saves the EIP after the INT in the old TSS",
		  (ulong)int_ret, runtime_tss()->eip);
	report_eq("conformance.task.int.iret-busy",
		  "IRET back from that task: its TSS available, the caller's "
		  "busy (0x9, 0xb)",
		  TYPE_TSS32 << 8 | TYPE_TSS32_BUSY,
		  (u32)gdt_type(TSS_C) << 8 | gdt_type(SEL_TSS >> 3));
	reset_tasks();
}

/* CALL straight to a TSS, and JMP through a task gate. */
static void check_call_tss(void)
{
	struct farptr p = {0, SEL(TSS_C)};
	struct fault f;

	init_task(&tss_c, task_c_entry, 1);
	gdt_set_tss(TSS_C, &tss_c, TSS_LIMIT, true);
	c_runs = 0;
	try_call(do_lcall, &p, &f);
	report("conformance.task.call-tss.run",
	       "CALL far to a TSS runs the task, whose IRET returns",
	       f.vector == NO_FAULT && c_runs == 1,
	       "expected one run and no fault, saw %d runs and %s", c_runs,
	       vector_name(f.vector));
	report_eq("conformance.task.call-tss.nt",
		  "CALL to a TSS sets EFLAGS.NT in the new task", NT_FLAG,
		  c_flags & NT_FLAG);
	report_eq("conformance.task.call-tss.link",
		  "CALL to a TSS writes the caller's selector into its link",
		  SEL_TSS, tss_c.link);
	report_eq("conformance.task.call-tss.busy",
		  "CALL to a TSS: both TSSes busy (0xb, 0xb)",
		  TYPE_TSS32_BUSY << 8 | TYPE_TSS32_BUSY, c_types);
	reset_tasks();

	init_task(&tss_a, task_a_entry, 0);
	gdt_set_tss(TSS_A, &tss_a, TSS_LIMIT, true);
	set_task_gate(GATE, SEL(TSS_A));
	p.sel = SEL(GATE);
	a_runs = 0;
	try_call(do_ljmp, &p, &f);
	report("conformance.task.jmp-gate.run",
	       "JMP far through a task gate runs the task, which JMPs back",
	       f.vector == NO_FAULT && a_runs == 1,
	       "expected one run and no fault, saw %d runs and %s", a_runs,
	       vector_name(f.vector));
	report_eq("conformance.task.jmp-gate.busy",
		  "JMP through a task gate: the new TSS busy, the old one "
		  "available (0xb, 0x9)",
		  TYPE_TSS32_BUSY << 8 | TYPE_TSS32, a_types);
	report_eq("conformance.task.jmp-gate.nt",
		  "JMP through a task gate leaves NT as the TSS image has it "
		  "(clear)",
		  0, a_flags & NT_FLAG);
	reset_tasks();
}

/* Vol. 2A CALL/JMP: the checks on a task gate's TSS and on the TSS
 * itself, all before the switch. */
static void check_gate_faults(void)
{
	struct farptr p = {0, SEL(GATE)};
	struct fault f;

	init_task(&tss_bad, bad_entry, 2);
	gdt_set_tss(TSS_BAD, &tss_bad, TSS_LIMIT - 1, true);
	set_task_gate(GATE, SEL(TSS_BAD));
	try_call(do_lcall, &p, &f);
	report_fault("conformance.task.gate.limit",
		     "CALL through a task gate to a TSS with limit 0x66 "
		     "raises #TS(TSS selector)",
		     TS_VECTOR, SEL(TSS_BAD), &f);
	reset_tasks();
	gdt_set_tss(TSS_BAD, &tss_bad, TSS_LIMIT, false);
	try_call(do_lcall, &p, &f);
	report_fault("conformance.task.gate.np-tss",
		     "CALL through a task gate to a TSS not present raises "
		     "#NP(TSS selector)",
		     NP_VECTOR, SEL(TSS_BAD), &f);
	reset_tasks();
	set_task_gate(GATE, KERNEL_DS);
	try_call(do_lcall, &p, &f);
	report_fault("conformance.task.gate.not-tss",
		     "CALL through a task gate naming a data segment raises "
		     "#GP(that selector)",
		     GP_VECTOR, KERNEL_DS, &f);
	reset_tasks();
	set_task_gate(GATE, BAD_SEL);
	try_call(do_ljmp, &p, &f);
	report_fault("conformance.task.gate.outside",
		     "JMP through a task gate naming a selector beyond the "
		     "GDT raises #GP(that selector)",
		     GP_VECTOR, BAD_SEL, &f);
	reset_tasks();
	set_task_gate(GATE, SEL(TSS_BAD) | 4);
	gdt_set_tss(TSS_BAD, &tss_bad, TSS_LIMIT, true);
	try_call(do_ljmp, &p, &f);
	report_fault("conformance.task.gate.ldt-sel",
		     "JMP through a task gate naming an LDT selector raises "
		     "#GP(that selector)",
		     GP_VECTOR, SEL(TSS_BAD) | 4, &f);
	reset_tasks();

	p.sel = SEL(TSS_BAD);
	gdt_set_tss(TSS_BAD, &tss_bad, TSS_LIMIT - 1, true);
	try_call(do_lcall, &p, &f);
	report_fault("conformance.task.call.limit",
		     "CALL to a TSS with limit 0x66 raises #TS(selector)",
		     TS_VECTOR, SEL(TSS_BAD), &f);
	reset_tasks();
	gdt_set_tss(TSS_BAD, &tss_bad, TSS_LIMIT, false);
	try_call(do_lcall, &p, &f);
	report_fault("conformance.task.call.np",
		     "CALL to a TSS not present raises #NP(selector)",
		     NP_VECTOR, SEL(TSS_BAD), &f);
	reset_tasks();
}

/* Vol. 2A IRET, task return: the back link must name a busy TSS in the
 * GDT, else #TS(back link). */
static void iret_with_link(u16 link, struct fault *f)
{
	runtime_tss()->link = link;
	try_call(do_iret_nt, NULL, f);
	reset_tasks();
}

static void check_iret_faults(void)
{
	struct fault f;

	init_task(&tss_bad, bad_entry, 2);
	gdt_set_tss(TSS_BAD, &tss_bad, TSS_LIMIT, true);
	iret_with_link(SEL(TSS_BAD), &f);
	report_fault("conformance.task.iret.link-available",
		     "IRET with NT to a back link naming an available TSS "
		     "raises #TS(link)",
		     TS_VECTOR, SEL(TSS_BAD), &f);
	iret_with_link(BAD_SEL, &f);
	report_fault("conformance.task.iret.link-outside",
		     "IRET with NT to a back link beyond the GDT raises "
		     "#TS(link)",
		     TS_VECTOR, BAD_SEL, &f);
	iret_with_link(KERNEL_DS, &f);
	report_fault("conformance.task.iret.link-not-tss",
		     "IRET with NT to a back link naming a data segment "
		     "raises #TS(link)",
		     TS_VECTOR, KERNEL_DS, &f);
}

/*
 * Table 8-1, after the commit: one bad DS or FS selector in the new TSS,
 * and the fault comes in the new task, at its first instruction (8.3
 * step 12). DS and FS are loaded after SS and CS, so the handler's
 * stack is the new task's.
 */
static void check_after_commit(void)
{
	static const struct {
		bool fs;
		int vector;
		u16 sel;
	} c[] = {
		{false, TS_VECTOR, BAD_SEL},
		{true, TS_VECTOR, BAD_SEL},
		{false, TS_VECTOR, SEL(TSS_C)},
		{false, NP_VECTOR, SEL(DS_NP)},
	};
	struct farptr p = {0, SEL(TSS_BAD)};
	char id[CHECK_ID_MAX];
	struct fault f;

	gdt[DS_NP] = gdt[KERNEL_DS >> 3] & ~(1ull << 47);
	init_task(&tss_c, task_c_entry, 1);
	gdt_set_tss(TSS_C, &tss_c, TSS_LIMIT, true);
	for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
		init_task(&tss_bad, bad_entry, 2);
		if (c[i].fs)
			tss_bad.fs = c[i].sel;
		else
			tss_bad.ds = c[i].sel;
		gdt_set_tss(TSS_BAD, &tss_bad, TSS_LIMIT, true);
		try_call(do_ljmp, &p, &f);
		reset_tasks();
		check_fault(CHECK_ID(id,
				     "conformance.task.after."
				     "{ds,fs,ds-system,ds-np}",
				     "{1:a DS selector beyond the GDT,an FS "
				     "selector beyond the GDT,a DS selector "
				     "naming a TSS,a DS selector naming a "
				     "segment not present} in the new TSS "
				     "raises {1:#TS,#TS,#TS,#NP}(selector)",
				     (int)i),
			    c[i].vector, c[i].sel, &f);
		report_equal(
			CHECK_ID(id,
				 "conformance.task.after-eip."
				 "{ds,fs,ds-system,ds-np}",
				 "the fault for {1:a DS beyond the GDT,an "
				 "FS beyond the GDT,a DS naming a TSS,a DS "
				 "not present} is raised at the new task's "
				 "first instruction",
				 (int)i),
			(ulong)bad_entry, f.ip);
	}
}

/*
 * A bad LDT, SS, CS or ES selector: in the SDM's order LDTR, SS and CS
 * load before the data segments, so a fault for one of these leaves the
 * new task without a usable stack for an interrupt gate (QEMU TCG even
 * zeroes the caches of all of them first). #TS goes through an IDT task
 * gate instead, as Linux does for #DF: the handler task gets the error
 * code on its own stack, the faulting task's EIP is saved in its TSS,
 * and the handler's back link names that task. The handler JMPs back to
 * the runtime's task, which resumes after its JMP.
 */
static void check_after_commit_gate(void)
{
	enum { LDT, SS, CS, ES };
	static const struct {
		int field;
		u16 sel;
	} c[] = {
		{LDT, BAD_SEL},	   {LDT, KERNEL_DS}, {SS, BAD_SEL},
		{SS, KERNEL_CS32}, {CS, BAD_SEL},    {CS, KERNEL_DS},
		{ES, BAD_SEL},	   {SS, SEL(DS_NP)}, {ES, SEL(DS_NP)},
	};
	static const u8 vec[] = {TS_VECTOR, TS_VECTOR, TS_VECTOR,
				 TS_VECTOR, TS_VECTOR, TS_VECTOR,
				 TS_VECTOR, SS_VECTOR, NP_VECTOR};
	static const int gate_vec[] = {TS_VECTOR, NP_VECTOR, SS_VECTOR};
	static const int gate_tss[] = {TSS_H, TSS_HNP, TSS_HSS};
	struct farptr p = {0, SEL(TSS_BAD)};
	char id[CHECK_ID_MAX];
	volatile u64 *idt = idt_gates();
	u64 saved[3];
	struct fault f;

	gdt[DS_NP] = gdt[KERNEL_DS >> 3] & ~(1ull << 47);
	for (int g = 0; g < 3; g++) {
		saved[g] = idt[gate_vec[g]];
		idt[gate_vec[g]] = task_gate(SEL(gate_tss[g]), 0, true);
	}
	for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
		init_task(&tss_h, h_entry, 4);
		for (int g = 0; g < 3; g++)
			gdt_set_tss(gate_tss[g], &tss_h, TSS_LIMIT, true);
		init_task(&tss_bad, bad_entry, 2);
		switch (c[i].field) {
		case LDT:
			tss_bad.ldt = c[i].sel;
			break;
		case SS:
			tss_bad.ss = c[i].sel;
			break;
		case CS:
			tss_bad.cs = c[i].sel;
			break;
		case ES:
			tss_bad.es = c[i].sel;
			break;
		}
		gdt_set_tss(TSS_BAD, &tss_bad, TSS_LIMIT, true);
		h_runs = 0;
		h_err = 0xffffffff;
		h_vec = 0;
		try_call(do_ljmp, &p, &f);
		reset_tasks();
		report_equal(
			CHECK_ID(
				id,
				"conformance.task.after."
				"{ldt,ldt-type,ss,ss-type,cs,cs-type,es,ss-np,"
				"es-np}",
				"{1:an LDT selector beyond the GDT,an LDT "
				"selector naming a data segment,an SS selector "
				"beyond the GDT,an SS selector naming a code "
				"segment,a CS selector beyond the GDT,a CS "
				"selector naming a data segment,an ES selector "
				"beyond the GDT,an SS selector naming a "
				"segment "
				"not present,an ES selector naming a segment "
				"not "
				"present} in the new TSS raises {1:#TS,#TS,#TS,"
				"#TS,#TS,#TS,#TS,#SS,#NP}(selector) once "
				"(through an IDT task gate)",
				(int)i),
			(u64)vec[i] << 48 | (u64)1 << 32 | c[i].sel,
			(u64)h_vec << 48 | (u64)(f.vector != NO_FAULT) << 40 |
				(u64)h_runs << 32 | h_err);
		report_equal(
			CHECK_ID(id,
				 "conformance.task.after-eip."
				 "{ldt,ldt-type,ss,ss-type,cs,cs-type,es,ss-np,"
				 "es-np}",
				 "the fault for {1:a bad LDT selector,an LDT "
				 "naming a data segment,a bad SS,an SS naming "
				 "code,a bad CS,a CS naming data,a bad ES,an "
				 "SS not present,an ES not present} is "
				 "raised at the new task's first instruction "
				 "(saved in its TSS)",
				 (int)i),
			(ulong)bad_entry, tss_bad.eip);
		report_equal(
			CHECK_ID(id,
				 "conformance.task.after-link."
				 "{ldt,ldt-type,ss,ss-type,cs,cs-type,es,ss-np,"
				 "es-np}",
				 "the fault for {1:a bad LDT selector,an LDT "
				 "naming a data segment,a bad SS,an SS naming "
				 "code,a bad CS,a CS naming data,a bad ES,an "
				 "SS not present,an ES not present} "
				 "comes "
				 "after the commit: the handler task's back "
				 "link "
				 "names the new task",
				 (int)i),
			SEL(TSS_BAD), tss_h.link);
	}
	for (int g = 0; g < 3; g++)
		idt[gate_vec[g]] = saved[g];
}

/* A software INT n checks the task gate's DPL against CPL (Vol. 2A
 * INT n: #GP(vector * 8 + 2)); a gate not present is #NP(same). */
static void run_int_cpl3(void *a)
{
	do_int(a);
}

static void check_int_gate_faults(void)
{
	volatile u64 *idt = idt_gates();
	u64 saved;
	struct fault f;

	init_task(&tss_c, task_c_entry, 1);
	gdt_set_tss(TSS_C, &tss_c, TSS_LIMIT, true);
	saved = idt[INT_VEC];
	idt[INT_VEC] = task_gate(SEL(TSS_C), 0, true);
	run_at_cpl(3, run_int_cpl3, NULL, &f);
	reset_tasks();
	report_fault("conformance.task.int.dpl0-cpl3",
		     "INT n at CPL 3 through a DPL-0 IDT task gate raises "
		     "#GP(vector * 8 + 2)",
		     GP_VECTOR, INT_VEC * 8 + 2, &f);
	idt[INT_VEC] = task_gate(SEL(TSS_C), 3, true);
	c_runs = 0;
	run_at_cpl(3, run_int_cpl3, NULL, &f);
	reset_tasks();
	report("conformance.task.int.dpl3-cpl3",
	       "INT n at CPL 3 through a DPL-3 IDT task gate runs the DPL-0 "
	       "task, whose IRET returns to CPL 3",
	       f.vector == NO_FAULT && c_runs == 1,
	       "expected one run and no fault, saw %d runs and %s", c_runs,
	       vector_name(f.vector));
	idt[INT_VEC] = task_gate(SEL(TSS_C), 0, false);
	try_call(do_int, NULL, &f);
	reset_tasks();
	report_fault("conformance.task.int.np",
		     "INT n through an IDT task gate not present raises "
		     "#NP(vector * 8 + 2)",
		     NP_VECTOR, INT_VEC * 8 + 2, &f);
	idt[INT_VEC] = saved;
}

/*
 * The new task's I/O permission bitmap and IOPL (8.5.2, Vol. 1 19.5):
 * a CPL-3 task runs IN from an allowed port, then from a denied one,
 * which faults in the task with #GP(0).
 */
static void run_io_task(u16 iomap, u32 eflags, struct fault *f)
{
	struct farptr p = {0, SEL(TSS_IO)};
	ulong top = (ulong)stacks[3] + sizeof(stacks[3]);

	init_task(&tss_io.t, io_entry, 3);
	tss_io.t.esp = top - 2048;
	tss_io.t.cs = SEL_CODE32(3) | 3;
	tss_io.t.ss = tss_io.t.ds = tss_io.t.es = SEL_DATA(3) | 3;
	tss_io.t.fs = tss_io.t.gs = SEL_DATA(3) | 3;
	tss_io.t.eflags = eflags;
	tss_io.t.iomap_base = iomap;
	memset(tss_io.map, 0xff, sizeof(tss_io.map));
	tss_io.map[IO_ALLOWED / 8] &= ~(1u << (IO_ALLOWED % 8));
	gdt_set_tss(TSS_IO, &tss_io.t, sizeof(tss_io) - 1, true);
	try_call(do_ljmp, &p, f);
	reset_tasks();
}

static void check_io_bitmap(void)
{
	struct fault f;

	run_io_task(sizeof(struct tss32), X86_EFLAGS_FIXED, &f);
	report_fault("conformance.task.io.denied",
		     "in a CPL-3 task with IOPL 0, IN from a port whose bit "
		     "is set in the new TSS's bitmap raises #GP(0)",
		     GP_VECTOR, 0, &f);
	report_eq("conformance.task.io.allowed",
		  "IN from a port whose bit is clear runs: the #GP is at the "
		  "second IN",
		  (ulong)io_denied, f.ip);
	run_io_task(sizeof(tss_io), X86_EFLAGS_FIXED, &f);
	report_eq("conformance.task.io.no-bitmap",
		  "with the I/O map base at the TSS limit every port is "
		  "denied: the #GP is at the first IN",
		  (ulong)io_entry << 8 | GP_VECTOR,
		  (u64)f.ip << 8 | (u8)f.vector);
	run_io_task(sizeof(tss_io), X86_EFLAGS_FIXED | 0x3000, &f);
	report_eq("conformance.task.io.iopl3",
		  "IOPL 3 from the new TSS's EFLAGS allows both INs at CPL 3 "
		  "without a bitmap: #UD at the UD2 after them",
		  (ulong)io_end << 8 | UD_VECTOR,
		  (u64)f.ip << 8 | (u8)f.vector);
}

void probe_main(void)
{
	check_jmp_regs();
	check_int_gate();
	check_call_tss();
	check_gate_faults();
	check_iret_faults();
	check_after_commit();
	check_int_gate_faults();
	check_io_bitmap();
	check_after_commit_gate();
}
