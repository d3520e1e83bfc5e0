/*
 * conformance.task, third image: task switches with paging on (each
 * task's CR3), 16-bit TSSes, an IRQ through an IDT task gate, the T
 * flag, a task's LDT, nested tasks, the I/O bitmap's edges, EFLAGS from
 * the TSS, and which fault wins when two are due (SDM Vol. 3A chapter
 * 8: 8.2.1 the TSS and its static fields, 8.3 the switch and Table 8-1,
 * 8.4 nesting, 8.6 16-bit tasks; Vol. 3B 18.2.3 DR6.BT; Vol. 1 19.5.2
 * the I/O bitmap; Vol. 2A JMP, CALL, INT n and IRET).
 *
 * This file: the helpers the image's files share, probe_main, and CR3.
 * As in the other task-switch images everything is read back from
 * memory, general registers or the fault a try_call() caught; after
 * each check the runtime's TSS is current again.
 */
#include "common.h"
#include "paging.h"
#include "setup_check.h"
#include "task3.h"

POPEK_IMAGE(0, 0);

struct farptr main_task = {0, SEL_TSS};
u8 task3_stacks[TASK3_STACKS][4096] __aligned(16);

void task3_init(struct tss32 *t, const char *entry, int n)
{
	task_init(t, entry, STACK_TOP(n));
}

u32 task3_types(int a, int b)
{
	return (u32)gdt_type(a) << 8 | gdt_type(b);
}

void task3_reset(void)
{
	for (int i = T3(0); i < GDT_ENTRIES; i++) {
		u8 t = (gdt[i] >> 40) & 0x1f; /* S and type */

		if (t == TYPE_TSS32_BUSY || t == TYPE_TSS16_BUSY)
			gdt[i] &= ~(2ull << 40);
	}
	gdt[SEL_TSS >> 3] &= ~(2ull << 40);
	runtime_tss()->link = 0;
	asm volatile("ltr %w0\n\tclts\n\tmov %1, %%fs\n\tmov %1, %%gs"
		     :
		     : "r"(SEL_TSS), "r"((u32)KERNEL_DS)
		     : "memory");
}

__attribute__((noinline)) void task3_ljmp(void *a)
{
	asm volatile("ljmp *%0" : : "m"(*(struct farptr *)a) : "memory");
}

__attribute__((noinline)) void task3_lcall(void *a)
{
	asm volatile("lcall *%0" : : "m"(*(struct farptr *)a) : "memory");
}

u64 desc_rebase(u64 d, u32 base)
{
	d &= ~(0xffffffull << 16 | 0xffull << 56);
	return d | (u64)(base & 0xffffff) << 16 | (u64)(base >> 24) << 56;
}

/*
 * CR3 (8.2.1, 8.3 steps 8 and 11): the new task's CR3 is loaded, the old
 * one is not saved (CR3 is a static field). Three page tables map one
 * linear page to three frames: the runtime runs on the first, the task's
 * TSS names the second, the runtime's TSS the third. The task switches
 * back to the first with MOV CR3 before it leaves.
 */
#define CR3_VA	   0x40000000ul
#define MAP_BYTES  (32ul << 20)
#define FRAME_MARK 0xc3c30000u

static struct tss32 cr3_tss;
volatile u32 cr3_seen, cr3_word, cr3_main_field, cr3_cr0, cr3_leave;
volatile u32 cr3_by_iret;
volatile int cr3_runs;

extern char cr3_entry[];
void cr3_body(void);

asm(".text\n"
    "cr3_entry:\n\t"
    "call cr3_body\n\t"
    "mov cr3_leave, %eax\n\t"
    "mov %eax, %cr3\n\t"
    "cmpl $0, cr3_by_iret\n\t"
    "jne 1f\n\t"
    "ljmp *main_task\n\t"
    "jmp cr3_entry\n"
    "1:\tiret\n\t"
    "jmp cr3_entry\n");

void cr3_body(void)
{
	cr3_runs++;
	cr3_seen = read_cr3();
	cr3_word = *(volatile u32 *)CR3_VA;
	cr3_main_field = runtime_tss()->cr3;
	cr3_cr0 = read_cr0();
}

/* Runs the CR3 task once by JMP or CALL; what the runtime sees after. */
static void run_cr3_task(const struct pgtable *pt, bool call, struct fault *f,
			 u32 *cr3_after, u32 *word_after)
{
	struct farptr p = {0, SEL(TSS_A)};

	write_cr3(pt[0].root);
	runtime_tss()->cr3 = pt[2].root;
	task3_init(&cr3_tss, cr3_entry, 0);
	cr3_tss.cr3 = pt[1].root;
	cr3_leave = pt[0].root;
	cr3_by_iret = call;
	gdt_set_tss(TSS_A, &cr3_tss, TSS_LIMIT, true);
	cr3_runs = 0;
	cr3_seen = cr3_word = cr3_main_field = 0;
	try_call(call ? task3_lcall : task3_ljmp, &p, f);
	*cr3_after = read_cr3();
	*word_after = *(volatile u32 *)CR3_VA;
	task3_reset();
}

/* The ids of check_cr3's checks; CR3_ID(buf, name, call) declares one
 * for both the report and the skip. */
#define CR3_RUN                                                                \
	"conformance.task.cr3.{jmp,call}.run",                                 \
		"{1:JMP,CALL} to a TSS with paging on runs the task once, "    \
		"which {1:JMPs back,returns by IRET}"
#define CR3_LOADED                                                             \
	"conformance.task.cr3.{jmp,call}.loaded",                              \
		"{1:JMP,CALL} to a task loads CR3 from the new TSS"
#define CR3_MAPPING                                                            \
	"conformance.task.cr3.{jmp,call}.mapping",                             \
		"after {1:JMP,CALL} to a task a linear page maps to the "      \
		"frame the new task's page tables name"
#define CR3_OLD_FIELD                                                          \
	"conformance.task.cr3.{jmp,call}.old-field",                           \
		"{1:JMP,CALL} to a task does not write the old CR3 into the "  \
		"old TSS"
#define CR3_BACK                                                               \
	"conformance.task.cr3.{jmp,iret}.back",                                \
		"{1:JMP,IRET} back to the runtime's task loads the CR3 of "    \
		"its TSS"
#define CR3_BACK_MAPPING                                                       \
	"conformance.task.cr3.{jmp,iret}.back-mapping",                        \
		"after {1:JMP,IRET} back the linear page maps to the frame "   \
		"of the runtime TSS's page tables"
#define CR3_NOT_SAVED                                                          \
	"conformance.task.cr3.{jmp,iret}.not-saved",                           \
		"{1:JMP,IRET} out of a task that changed CR3 leaves its "      \
		"TSS's CR3 field as it was"
#define CR3_ID(buf, name, call) CHECK_ID(buf, name, call)
#define CR3_PAGING_ID                                                          \
	DECLARE_CHECK("conformance.task.cr3.paging",                           \
		      "a task switch leaves CR0.PG set")
#define CR3_TSS16_ID                                                           \
	DECLARE_CHECK("conformance.task.cr3.tss16",                            \
		      "a 16-bit TSS has no CR3: the 16-bit task runs on the "  \
		      "previous task's page tables (8.6)")

PROBE cr3_paging_on(void *pt)
{
	pg_enable(pt);
}

/*
 * Turning paging on is the set-up of every CR3 check, and a check of its
 * own (SDM Vol. 3A 4.1.2: MOV to CR0 setting PG with PE=1 and CR3 naming
 * 32-bit page tables): where it faults, or popek.skip skipped it because
 * it ended the target, the CR3 checks are reported skipped.
 */
static bool cr3_paging(struct pgtable *pt)
{
	char id[CHECK_ID_MAX], why[SETUP_WHY_MAX];

	if (!SETUP_CHECK("conformance.task.cr3.pg-enable",
			 "MOV to CR0 setting PG with CR4.PAE=0 and CR3 naming "
			 "32-bit page tables turns paging on",
			 cr3_paging_on, pt, why))
		return true;
	for (int call = 0; call < 2; call++) {
		report_skipped(CR3_ID(id, CR3_RUN, call), "%s", why);
		report_skipped(CR3_ID(id, CR3_LOADED, call), "%s", why);
		report_skipped(CR3_ID(id, CR3_MAPPING, call), "%s", why);
		report_skipped(CR3_ID(id, CR3_OLD_FIELD, call), "%s", why);
		report_skipped(CR3_ID(id, CR3_BACK, call), "%s", why);
		report_skipped(CR3_ID(id, CR3_BACK_MAPPING, call), "%s", why);
		report_skipped(CR3_ID(id, CR3_NOT_SAVED, call), "%s", why);
	}
	report_skipped(CR3_PAGING_ID, "%s", why);
	report_skipped(CR3_TSS16_ID, "%s", why);
	return false;
}

void check_cr3(void)
{
	struct tss32 *m = runtime_tss();
	u32 saved_cr3 = m->cr3, after, word, seen16;
	struct pgtable pt[3];
	void *mark = alloc_page();
	char id[CHECK_ID_MAX];
	struct fault f;

	for (int i = 0; i < 3; i++) {
		u32 *frame;

		pg_identity(&pt[i], PG_2LEVEL, MAP_BYTES, PT_RW);
		frame = alloc_page();
		frame[0] = FRAME_MARK + i;
		pg_map(&pt[i], CR3_VA, (ulong)frame, PT_RW);
	}
	if (!cr3_paging(&pt[0])) {
		free_all_pages_after(mark);
		return;
	}
	for (int call = 0; call < 2; call++) {
		run_cr3_task(pt, call, &f, &after, &word);
		report_equal(CR3_ID(id, CR3_RUN, call), (u64)NO_FAULT << 32 | 1,
			     (u64)(u32)f.vector << 32 | (u32)cr3_runs);
		report_equal(CR3_ID(id, CR3_LOADED, call), (u32)pt[1].root,
			     cr3_seen);
		report_equal(CR3_ID(id, CR3_MAPPING, call), FRAME_MARK + 1,
			     cr3_word);
		report_equal(CR3_ID(id, CR3_OLD_FIELD, call), (u32)pt[2].root,
			     cr3_main_field);
		report_equal(CR3_ID(id, CR3_BACK, call), (u32)pt[2].root,
			     after);
		report_equal(CR3_ID(id, CR3_BACK_MAPPING, call), FRAME_MARK + 2,
			     word);
		report_equal(CR3_ID(id, CR3_NOT_SAVED, call), (u32)pt[1].root,
			     cr3_tss.cr3);
	}
	report_equal(CR3_PAGING_ID, X86_CR0_PG, cr3_cr0 & X86_CR0_PG);
	write_cr3(pt[0].root);
	seen16 = tss16_cr3_seen(pt[0].root);
	report_equal(CR3_TSS16_ID, (u32)pt[0].root, seen16);
	pg_disable();
	m->cr3 = saved_cr3;
	free_all_pages_after(mark);
}

void probe_main(void)
{
	check_tss16();
	check_nested();
	check_ldt();
	check_irq_gate();
	check_t_flag();
	check_eflags();
	check_io_edges();
	check_order();
	/* Last: a target that cannot page a 32-bit guest dies here. */
	check_cr3();
}
