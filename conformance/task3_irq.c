/*
 * Task switches not started by an instruction of the old task, and what
 * the new TSS's flags do:
 *
 * - IRQ 0 (PIT through the PIC) through an IDT task gate (Vol. 3A
 *   6.12.2, 8.3): the interrupted task's EIP (after its HLT) and IF = 1
 *   are saved, the handler task starts with its TSS's EFLAGS (IF clear),
 *   NT set and the back link, no error code; its IRET resumes the
 *   interrupted task.
 * - The T flag (8.2.1, Vol. 3B 18.2.3, 18.3.1.5): a debug trap after the
 *   switch, before the new task's first instruction, with DR6.BT set.
 *   TF in the new TSS's EFLAGS single-steps its first instruction (BS).
 * - EFLAGS from a 32-bit TSS: IF and AC loaded, bit 1 reads 1 and the
 *   reserved bits 3, 5 and 15 read 0 whatever the image holds; the old
 *   task's saved image has VM and RF clear (Vol. 1 3.4.3).
 */
#include "common.h"
#include "pic.h"
#include "task3.h"

#define IRQ_VEC (PIC_VECTOR_BASE + 0)

static struct tss32 tss_i, tss_t, tss_e;

volatile u32 i_esp, i_flags, i_types, i_main_eip, i_main_flags, i_cr0;
volatile int i_runs;

extern char irq_entry[], irq_hlt_ret[];
void irq_body(void);

asm(".text\n"
    "irq_entry:\n\t"
    "mov %esp, i_esp\n\t"
    "pushf\n\tpopl i_flags\n\t"
    "call irq_body\n\t"
    "iret\n\t"
    "jmp irq_entry\n");

void irq_body(void)
{
	struct tss32 *m = runtime_tss();

	i_runs++;
	i_types = task3_types(TSS_A, SEL_TSS >> 3);
	i_main_eip = m->eip;
	i_main_flags = m->eflags;
	i_cr0 = read_cr0();
	pic_mask(0);
	pit_stop();
	pic_eoi(0);
}

static u8 pic_irr(void)
{
	outb(0x20, 0x0a); /* OCW3: read IRR */
	return inb(0x20);
}

/* The edge latched in IRR first, so that the HLT is sure to wake. */
static bool wait_irr0(void)
{
	for (unsigned long g = 0; g < 100000000ul; g++)
		if (pic_irr() & 1)
			return true;
	return false;
}

PROBE do_sti_hlt(void *a)
{
	(void)a;
	asm volatile("sti\n\thlt\n\t" AT(irq_hlt_ret) "cli" ::: "memory");
}

void check_irq_gate(void)
{
	volatile u64 *idt = idt_gates();
	u64 saved = idt[IRQ_VEC];
	bool latched;
	struct fault f = {.vector = NO_FAULT};
	u32 types;

	pic_init();
	task3_init(&tss_i, irq_entry, 1);
	gdt_set_tss(TSS_A, &tss_i, TSS_LIMIT, true);
	idt[IRQ_VEC] = task_gate(SEL(TSS_A), 0, true);
	i_runs = 0;
	pit_periodic(1000);
	pic_unmask(0);
	latched = wait_irr0();
	if (latched)
		try_call(do_sti_hlt, NULL, &f);
	pic_mask(0);
	pit_stop();
	types = task3_types(TSS_A, SEL_TSS >> 3);
	idt[IRQ_VEC] = saved;
	task3_reset();
	report("conformance.task.irq.run",
	       "IRQ 0 through an IDT task gate runs the task once, whose "
	       "IRET resumes the interrupted task",
	       latched && f.vector == NO_FAULT && i_runs == 1,
	       "expected IRQ 0 latched, one run and no fault, saw %s, %d runs "
	       "and %s",
	       latched ? "it latched" : "no IRQ 0", i_runs,
	       vector_name(f.vector));
	report_eq("conformance.task.irq.link",
		  "an IRQ through a task gate links the new TSS to the "
		  "interrupted task",
		  SEL_TSS, tss_i.link);
	report_eq("conformance.task.irq.busy",
		  "an IRQ through a task gate: both TSSes busy (0xb, 0xb)",
		  TYPE_TSS32_BUSY << 8 | TYPE_TSS32_BUSY, i_types);
	report_eq("conformance.task.irq.esp",
		  "an IRQ pushes no error code: the task starts at its TSS ESP",
		  tss_i.esp0 - 16, i_esp);
	report_eq("conformance.task.irq.nt",
		  "an IRQ through a task gate sets NT in the new task",
		  X86_EFLAGS_NT, i_flags & X86_EFLAGS_NT);
	report_eq("conformance.task.irq.if",
		  "the IRQ's task runs with IF from its TSS image (clear)", 0,
		  i_flags & X86_EFLAGS_IF);
	report_eq("conformance.task.irq.saved-eip",
		  "the interrupted task's TSS holds the EIP after its HLT",
		  (ulong)irq_hlt_ret, i_main_eip);
	report_eq("conformance.task.irq.saved-if",
		  "the interrupted task's TSS holds its EFLAGS with IF set",
		  X86_EFLAGS_IF, i_main_flags & X86_EFLAGS_IF);
	report_eq("conformance.task.irq.cr0-ts",
		  "a task switch by an IRQ sets CR0.TS", X86_CR0_TS,
		  i_cr0 & X86_CR0_TS);
	report_eq("conformance.task.irq.iret-busy",
		  "the handler task's IRET: its TSS available, the "
		  "interrupted one's busy (0x9, 0xb)",
		  TYPE_TSS32 << 8 | TYPE_TSS32_BUSY, types);
}

/* T flag and TF: the task's first instruction, then a #UD. */
extern char t_entry[], t_second[];
asm(".text\n"
    "t_entry:\n\t"
    "nop\n"
    "t_second:\n\t"
    "ud2\n");

#define DR6_BT (1ul << 15)

static ulong read_dr6(void)
{
	ulong v;

	asm volatile("mov %%dr6, %0" : "=r"(v));
	return v;
}

static void write_dr6(ulong v)
{
	asm volatile("mov %0, %%dr6" : : "r"(v));
}

/* Switches to tss_t by JMP (or CALL through GATE); returns DR6. */
static ulong run_t(bool t, ulong eflags, bool call, struct fault *f, u32 *types)
{
	struct farptr p = {0, call ? SEL(GATE) : SEL(TSS_A)};
	ulong dr6;

	task3_init(&tss_t, t_entry, 2);
	tss_t.trap = t;
	tss_t.eflags |= eflags;
	gdt_set_tss(TSS_A, &tss_t, TSS_LIMIT, true);
	gdt_set_system(GATE, SEL(TSS_A), 0, TYPE_TASK_GATE, 0);
	write_dr6(X86_DR6_FIXED1);
	try_call(call ? task3_lcall : task3_ljmp, &p, f);
	dr6 = read_dr6();
	*types = task3_types(TSS_A, SEL_TSS >> 3);
	write_dr6(X86_DR6_FIXED1);
	task3_reset();
	return dr6;
}

void check_t_flag(void)
{
	const ulong steps = X86_DR6_BS | 0xf; /* BS and B0-B3 */
	struct fault f;
	u32 types;
	ulong dr6;

	dr6 = run_t(true, 0, false, &f, &types);
	report_fault("conformance.task.t-flag.db",
		     "JMP to a TSS with T = 1 raises #DB after the switch",
		     DB_VECTOR, 0, &f);
	report_eq("conformance.task.t-flag.eip",
		  "that #DB comes before the new task's first instruction",
		  (ulong)t_entry, f.ip);
	report_eq("conformance.task.t-flag.dr6-bt",
		  "that #DB sets DR6.BT (bit 15)", DR6_BT, dr6 & DR6_BT);
	report_eq("conformance.task.t-flag.dr6-other",
		  "that #DB sets neither DR6.BS nor B0-B3", 0, dr6 & steps);
	report_eq("conformance.task.t-flag.busy",
		  "the T-flag #DB comes after the commit: the new TSS busy, "
		  "the old one available (0xb, 0x9)",
		  TYPE_TSS32_BUSY << 8 | TYPE_TSS32, types);
	dr6 = run_t(true, 0, true, &f, &types);
	report_eq("conformance.task.t-flag.call",
		  "CALL through a task gate to a TSS with T = 1: #DB at the "
		  "new task's first instruction, DR6.BT set",
		  (u64)DB_VECTOR << 40 | (u64)DR6_BT << 24 | (ulong)t_entry,
		  (u64)(u8)f.vector << 40 | (u64)(dr6 & DR6_BT) << 24 |
			  (u32)f.ip);
	report_eq("conformance.task.t-flag.call-link",
		  "the #DB of that CALL comes after the link was written",
		  SEL_TSS, tss_t.link);
	dr6 = run_t(false, 0, false, &f, &types);
	report_eq("conformance.task.t-flag.clear",
		  "with T = 0 no #DB: the new task runs into its UD2, DR6.BT "
		  "stays clear",
		  (u64)UD_VECTOR << 40 | (ulong)t_second,
		  (u64)(u8)f.vector << 40 | (u64)(dr6 & DR6_BT) << 24 |
			  (u32)f.ip);
	dr6 = run_t(false, X86_EFLAGS_TF, false, &f, &types);
	report_eq("conformance.task.tf.db",
		  "TF set in the new TSS's EFLAGS: #DB after the new task's "
		  "first instruction",
		  (u64)DB_VECTOR << 32 | (ulong)t_second,
		  (u64)(u8)f.vector << 32 | (u32)f.ip);
	report_eq("conformance.task.tf.dr6", "that #DB sets DR6.BS, not DR6.BT",
		  X86_DR6_BS, dr6 & (X86_DR6_BS | DR6_BT));
	dr6 = run_t(true, X86_EFLAGS_TF, false, &f, &types);
	report_eq("conformance.task.t-flag.with-tf",
		  "T = 1 and TF set: the #DB comes before the first "
		  "instruction, with DR6.BT",
		  (u64)DB_VECTOR << 40 | (u64)DR6_BT << 24 | (ulong)t_entry,
		  (u64)(u8)f.vector << 40 | (u64)(dr6 & DR6_BT) << 24 |
			  (u32)f.ip);
}

volatile u32 e_flags;
volatile int e_runs;
extern char e_entry[];

asm(".text\n"
    "e_entry:\n\t"
    "pushf\n\tpopl e_flags\n\t"
    "incl e_runs\n\t"
    "ljmp *main_task\n\t"
    "jmp e_entry\n");

/* Runs tss_e with this EFLAGS image; what its PUSHF saw. */
static u32 run_e(u32 image, struct fault *f)
{
	struct farptr p = {0, SEL(TSS_A)};

	task3_init(&tss_e, e_entry, 2);
	tss_e.eflags = image;
	gdt_set_tss(TSS_A, &tss_e, TSS_LIMIT, true);
	e_runs = 0;
	e_flags = 0xffffffff;
	try_call(task3_ljmp, &p, f);
	task3_reset();
	return e_runs == 1 ? e_flags : 0xffffffff;
}

void check_eflags(void)
{
	const u32 reserved = 1u << 3 | 1u << 5 | 1u << 15;
	struct fault f;
	u32 fl;

	fl = run_e(X86_EFLAGS_FIXED | X86_EFLAGS_IF, &f);
	report_eq("conformance.task.eflags.if",
		  "a task switch loads IF from the new TSS (set)",
		  X86_EFLAGS_IF, fl & X86_EFLAGS_IF);
	fl = run_e(X86_EFLAGS_FIXED | X86_EFLAGS_AC, &f);
	report_eq("conformance.task.eflags.ac",
		  "a task switch loads AC from the new TSS (set)",
		  X86_EFLAGS_AC, fl & X86_EFLAGS_AC);
	report_eq("conformance.task.eflags.saved-vm-rf",
		  "the old task's saved EFLAGS has VM and RF clear", 0,
		  runtime_tss()->eflags & (X86_EFLAGS_VM | X86_EFLAGS_RF));
	fl = run_e(0, &f);
	report_eq("conformance.task.eflags.fixed",
		  "an EFLAGS image of 0 in the new TSS: bit 1 reads 1 in the "
		  "new task",
		  X86_EFLAGS_FIXED, fl & (X86_EFLAGS_FIXED | reserved));
	fl = run_e(X86_EFLAGS_FIXED | reserved, &f);
	report_eq("conformance.task.eflags.reserved",
		  "bits 3, 5 and 15 set in the new TSS's EFLAGS image read 0 "
		  "in the new task",
		  0, fl & reserved);
}
