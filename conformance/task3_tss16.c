/*
 * 16-bit TSSes (SDM Vol. 3A 8.6, Figure 8-10; Table 8-1 for the limit):
 * a task switch to a TSS of type 1 loads IP, FLAGS, the eight 16-bit
 * registers, ES, CS, SS, DS and LDTR from its 44 bytes, marks it busy
 * (type 3), and a switch out of it saves the same 16-bit fields and
 * nothing beyond them. "The upper 16 bits of the registers are modified
 * and not maintained" (8.6): only the low halves are checked.
 *
 * The task's code is 32-bit code in a segment based 0x100 bytes below
 * its entry, so that its IP fits in 16 bits. It touches no stack until
 * it has loaded ESP itself (ESP[31:16] is not defined) and calls no C
 * (a C function's absolute code addresses would miss the base).
 */
#include "common.h"
#include "task3.h"

struct tss16 {
	u16 link, sp0, ss0, sp1, ss1, sp2, ss2, ip, flags;
	u16 ax, cx, dx, bx, sp, bp, si, di;
	u16 es, cs, ss, ds, ldt;
};

#define ENTRY_IP   0x100
#define GUARD	   0x5afe5afeu
#define T16_FLAGS  0x08d7 /* arithmetic flags and the fixed bit */
#define ARITH	   0x08d5
#define LEAVE_BASE 0x0000a000u /* what the task leaves in EAX ... EDI */

static struct {
	struct tss16 t;
	u32 guard; /* must survive the 16-bit save */
} t16 __aligned(8);
static u64 ldt16[1] __aligned(8);

/* What the task saw: EAX ECX EDX EBX ESP EBP ESI EDI, CS SS DS ES LDTR. */
volatile u32 t16_gpr[8], t16_flags, t16_types, t16_cr3, t16_cr0;
volatile u16 t16_sreg[5];
volatile u32 t16_by_iret, t16_top;
volatile int t16_runs;
const u16 t16_es_out = SEL_DATA(1) | 1;

extern char t16_entry[], t16_jmp_back[], t16_iret_back[];

asm(".text\n"
    "t16_entry:\n\t"
    "mov %eax, t16_gpr\n\tmov %ecx, t16_gpr+4\n\t"
    "mov %edx, t16_gpr+8\n\tmov %ebx, t16_gpr+12\n\t"
    "mov %esp, t16_gpr+16\n\tmov %ebp, t16_gpr+20\n\t"
    "mov %esi, t16_gpr+24\n\tmov %edi, t16_gpr+28\n\t"
    "mov %cs, t16_sreg\n\tmov %ss, t16_sreg+2\n\t"
    "mov %ds, t16_sreg+4\n\tmov %es, t16_sreg+6\n\t"
    "sldt t16_sreg+8\n\t"
    "mov t16_top, %esp\n\t"
    "pushf\n\tpopl t16_flags\n\t"
    "mov %cr3, %eax\n\tmov %eax, t16_cr3\n\t"
    "mov %cr0, %eax\n\tmov %eax, t16_cr0\n\t"
    /* The GDT types of TSS_16 and of the runtime's TSS. */
    "movzbl gdt+" STR(TSS_16) "*8+5, %eax\n\t"
			      "shl $8, %eax\n\t"
			      "movb gdt+" STR(
				      GDT_FIRST) "*8+12*8+5, %al\n\t"
						 "and $0xf0f, %eax\n\t"
						 "mov %eax, t16_types\n\t"
						 "incl t16_runs\n\t"
						 "mov $0xa0a0a001, %eax\n\tmov "
						 "$0xa0a0a002, %ecx\n\t"
						 "mov $0xa0a0a003, %edx\n\tmov "
						 "$0xa0a0a004, %ebx\n\t"
						 "mov $0xa0a0a006, %ebp\n\tmov "
						 "$0xa0a0a007, %esi\n\t"
						 "mov $0xa0a0a008, %edi\n\t"
						 "mov t16_es_out, %es\n\t"
						 "std\n\t"
						 "testl $1, t16_by_iret\n\t"
						 "jnz 1f\n\t"
						 "ljmp *main_task\n"
						 "t16_jmp_back:\n\t"
						 "jmp t16_entry\n"
						 "1:\tiret\n"
						 "t16_iret_back:\n\t"
						 "jmp t16_entry\n");

static ulong t16_base(void)
{
	return (ulong)t16_entry - ENTRY_IP;
}

static void t16_setup(bool by_iret, u32 limit)
{
	memset(&t16, 0, sizeof(t16));
	t16.guard = GUARD;
	t16.t.ip = ENTRY_IP;
	t16.t.flags = T16_FLAGS;
	t16.t.ax = 0x1a01;
	t16.t.cx = 0x1a02;
	t16.t.dx = 0x1a03;
	t16.t.bx = 0x1a04;
	t16.t.sp = 0x1a05;
	t16.t.bp = 0x1a06;
	t16.t.si = 0x1a07;
	t16.t.di = 0x1a08;
	t16.t.es = SEL_DATA(3) | 3;
	t16.t.cs = SEL(CS_16);
	t16.t.ss = t16.t.ds = KERNEL_DS;
	t16.t.ldt = SEL(LDT_16);
	gdt[CS_16] = desc_rebase(gdt[KERNEL_CS32 >> 3], t16_base());
	gdt_set_system(LDT_16, (ulong)ldt16, sizeof(ldt16) - 1, TYPE_LDT, 0);
	gdt_set_system(TSS_16, (ulong)&t16.t, limit, TYPE_TSS16, 0);
	t16_top = STACK_TOP(5) - 0x123;
	t16_by_iret = by_iret;
	t16_runs = 0;
	memset((void *)t16_gpr, 0, sizeof(t16_gpr));
	memset((void *)t16_sreg, 0, sizeof(t16_sreg));
}

u32 tss16_cr3_seen(u32 main_cr3)
{
	struct farptr p = {0, SEL(TSS_16)};
	struct fault f;

	t16_setup(false, TSS16_LIMIT);
	t16_cr3 = 0;
	runtime_tss()->cr3 = main_cr3;
	try_call(task3_ljmp, &p, &f);
	task3_reset();
	return t16_cr3;
}

static void check_load_save(void)
{
	static const u16 sreg[5] = {SEL(CS_16), KERNEL_DS, KERNEL_DS,
				    SEL_DATA(3) | 3, SEL(LDT_16)};
	struct farptr p = {0, SEL(TSS_16)};
	const u16 *in = &t16.t.ax;
	char id[CHECK_ID_MAX];
	struct fault f;
	u16 loaded[8];
	u32 types;

	t16_setup(false, TSS16_LIMIT);
	memcpy(loaded, in, sizeof(loaded));
	try_call(task3_ljmp, &p, &f);
	types = task3_types(TSS_16, SEL_TSS >> 3);
	task3_reset();
	report("conformance.task.tss16.jmp.run",
	       "JMP far to an available 16-bit TSS runs the task, which "
	       "JMPs back",
	       f.vector == NO_FAULT && t16_runs == 1,
	       "expected one run and no fault, saw %d runs and %s", t16_runs,
	       vector_name(f.vector));
	for (int i = 0; i < 8; i++)
		report_equal(
			CHECK_ID(id,
				 "conformance.task.tss16.load."
				 "{ax,cx,dx,bx,sp,bp,si,di}",
				 "a switch to a 16-bit TSS loads {1} (the low "
				 "16 bits) from it",
				 i),
			loaded[i], (u16)t16_gpr[i]);
	for (int i = 0; i < 5; i++)
		report_equal(CHECK_ID(id,
				      "conformance.task.tss16.load."
				      "{cs,ss,ds,es,ldtr}",
				      "a switch to a 16-bit TSS loads {1} "
				      "from it",
				      i),
			     sreg[i], t16_sreg[i]);
	report_eq("conformance.task.tss16.load.flags",
		  "a switch to a 16-bit TSS loads the arithmetic flags from "
		  "its FLAGS word",
		  ARITH, t16_flags & ARITH);
	report_eq("conformance.task.tss16.jmp.busy",
		  "JMP to a 16-bit TSS: it becomes busy (type 3), the old "
		  "TSS available (types 0x3, 0x9)",
		  TYPE_TSS16_BUSY << 8 | TYPE_TSS32, t16_types);
	report_eq("conformance.task.tss16.cr0-ts",
		  "a switch to a 16-bit TSS sets CR0.TS", X86_CR0_TS,
		  t16_cr0 & X86_CR0_TS);
	for (int i = 0; i < 8; i++)
		report_equal(
			CHECK_ID(id,
				 "conformance.task.tss16.save."
				 "{ax,cx,dx,bx,sp,bp,si,di}",
				 "a switch out of a 16-bit task saves the low "
				 "16 bits of {1} in its TSS",
				 i),
			i == 4 ? (u16)t16_top : (u16)(LEAVE_BASE + i + 1),
			in[i]);
	report_eq("conformance.task.tss16.save.sregs",
		  "a switch out of a 16-bit task saves ES, CS, SS and DS",
		  (u64)(SEL_DATA(1) | 1) << 48 | (u64)SEL(CS_16) << 32 |
			  (u32)KERNEL_DS << 16 | KERNEL_DS,
		  (u64)t16.t.es << 48 | (u64)t16.t.cs << 32 |
			  (u32)t16.t.ss << 16 | t16.t.ds);
	report_eq("conformance.task.tss16.save.ip",
		  "a JMP out of a 16-bit task saves the IP after the JMP",
		  (u16)((ulong)t16_jmp_back - t16_base()), t16.t.ip);
	report_eq("conformance.task.tss16.save.flags",
		  "a switch out of a 16-bit task saves its FLAGS (DF set)",
		  X86_EFLAGS_DF, t16.t.flags & X86_EFLAGS_DF);
	report_eq("conformance.task.tss16.save.bounds",
		  "the save writes nothing past the 44-byte 16-bit TSS, and "
		  "not its LDT field",
		  (u64)GUARD << 16 | SEL(LDT_16),
		  (u64)t16.guard << 16 | t16.t.ldt);
	report_eq("conformance.task.tss16.back.busy",
		  "JMP back from a 16-bit task: its TSS available again "
		  "(type 1), the runtime's busy (types 0x1, 0xb)",
		  TYPE_TSS16 << 8 | TYPE_TSS32_BUSY, types);
}

static void check_call(void)
{
	struct farptr p = {0, SEL(TSS_16)};
	struct fault f;
	u32 types;

	t16_setup(true, TSS16_LIMIT);
	try_call(task3_lcall, &p, &f);
	types = task3_types(TSS_16, SEL_TSS >> 3);
	task3_reset();
	report("conformance.task.tss16.call.run",
	       "CALL far to a 16-bit TSS runs the task, whose IRET (NT = 1) "
	       "returns",
	       f.vector == NO_FAULT && t16_runs == 1,
	       "expected one run and no fault, saw %d runs and %s", t16_runs,
	       vector_name(f.vector));
	report_eq("conformance.task.tss16.call.nt",
		  "CALL to a 16-bit TSS sets NT in the new task", X86_EFLAGS_NT,
		  t16_flags & X86_EFLAGS_NT);
	report_eq("conformance.task.tss16.call.link",
		  "CALL to a 16-bit TSS writes the caller's selector into its "
		  "back link",
		  SEL_TSS, t16.t.link);
	report_eq("conformance.task.tss16.call.busy",
		  "CALL to a 16-bit TSS: both busy (types 0x3, 0xb)",
		  TYPE_TSS16_BUSY << 8 | TYPE_TSS32_BUSY, t16_types);
	report_eq("conformance.task.tss16.iret.busy",
		  "IRET from a 16-bit task: its TSS available, the caller's "
		  "busy (types 0x1, 0xb)",
		  TYPE_TSS16 << 8 | TYPE_TSS32_BUSY, types);
	report_eq("conformance.task.tss16.iret.saved",
		  "IRET out of a 16-bit task saves the IP after the IRET and "
		  "FLAGS with NT clear",
		  (u64)(u16)((ulong)t16_iret_back - t16_base()) << 32 |
			  X86_EFLAGS_DF,
		  (u64)t16.t.ip << 32 |
			  (t16.t.flags & (X86_EFLAGS_DF | X86_EFLAGS_NT)));
}

static void check_limit(void)
{
	struct farptr p = {0, SEL(TSS_16)};
	struct fault f;

	t16_setup(false, TSS16_LIMIT - 1);
	try_call(task3_ljmp, &p, &f);
	task3_reset();
	report_fault("conformance.task.tss16.limit",
		     "JMP to a 16-bit TSS with limit 0x2a (less than 44 "
		     "bytes) raises #TS(selector)",
		     TS_VECTOR, SEL(TSS_16), &f);
	report_eq("conformance.task.tss16.limit-no-run",
		  "that #TS comes before the switch: the task never runs", 0,
		  t16_runs);
}

void check_tss16(void)
{
	check_load_save();
	check_call();
	check_limit();
}
