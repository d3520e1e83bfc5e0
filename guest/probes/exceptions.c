/*
 * runtime.exception: the guest runtime's exception capture, checked
 * against the architected vector, error code and saved instruction
 * pointer of each exception class (SDM Vol. 3A, 6.5 "fault vs trap" and
 * Table 6-1). Runs in 32- and 64-bit images.
 */
#include "desc.h"
#include "fault.h"
#include "outcome.h"
#include "report.h"
#include "x86.h"

POPEK_IMAGE(0, 0);

#define PROBE static __attribute__((noinline, noclone)) void
/* Labels the instruction under test so its address can be compared. */
#define AT(label) ".globl " #label "\n" #label ":\n\t"

extern char de_insn[], idiv_insn[], ud_insn[], bp_insn[], bp_after[],
	int80_after[], lock_insn[], into_insn[], into_after[], bound_insn[];

PROBE do_div0(void *a)
{
	(void)a;
	asm volatile(
		"mov $1, %%eax\n\txor %%edx, %%edx\n\txor %%ecx, %%ecx\n\t" AT(
			de_insn) "divl %%ecx" ::
			: "eax", "ecx", "edx");
}

PROBE do_idiv_overflow(void *a)
{
	(void)a;
	/* INT_MIN / -1 does not fit: #DE, not a wrong quotient (SDM IDIV). */
	asm volatile("mov $0x80000000, %%eax\n\tcltd\n\tmov $-1, %%ecx\n\t" AT(
			     idiv_insn) "idivl %%ecx" ::
			     : "eax", "ecx", "edx");
}

PROBE do_ud2(void *a)
{
	(void)a;
	asm volatile(AT(ud_insn) "ud2");
}

PROBE do_lock_mov(void *a)
{
	(void)a;
	/* LOCK on a non-lockable instruction is #UD (SDM Vol. 2A, LOCK). */
	asm volatile(AT(lock_insn) ".byte 0xf0, 0x89, 0xc3" ::: "ebx");
}

PROBE do_int3(void *a)
{
	(void)a;
	asm volatile(AT(bp_insn) "int3\n\t" AT(bp_after) "nop");
}

PROBE do_int80(void *a)
{
	(void)a;
	asm volatile("int $0x80\n\t" AT(int80_after) "nop");
}

static void check_de(void)
{
	struct fault f;

	try_call(do_div0, NULL, &f);
	report_exception("runtime.exception.de.vector",
			 "DIV by zero raises #DE (vector 0)", DE_VECTOR,
			 ANY_ERROR, &f);
	report_eq("runtime.exception.de.ip",
		  "#DE is a fault: the saved IP is the DIV itself",
		  (ulong)de_insn, f.ip);
	report_eq("runtime.exception.de.cs",
		  "#DE taken at CPL 0 saves the kernel CS", KERNEL_CS, f.cs);
	try_call(do_idiv_overflow, NULL, &f);
	report_exception("runtime.exception.de.idiv-overflow",
			 "IDIV of INT_MIN by -1 raises #DE", DE_VECTOR,
			 ANY_ERROR, &f);
	report_eq("runtime.exception.de.idiv-overflow-ip",
		  "#DE on IDIV overflow saves the IDIV's address",
		  (ulong)idiv_insn, f.ip);
}

static void check_ud(void)
{
	struct fault f;

	try_call(do_ud2, NULL, &f);
	report_exception("runtime.exception.ud.vector",
			 "UD2 raises #UD (vector 6)", UD_VECTOR, ANY_ERROR, &f);
	report_eq("runtime.exception.ud.ip",
		  "#UD is a fault: the saved IP is the UD2", (ulong)ud_insn,
		  f.ip);
	try_call(do_lock_mov, NULL, &f);
	report_exception("runtime.exception.ud.lock-mov",
			 "LOCK MOV (non-lockable instruction) raises #UD",
			 UD_VECTOR, ANY_ERROR, &f);
	report_eq("runtime.exception.ud.lock-mov-ip",
		  "#UD for LOCK MOV saves the address of the LOCK prefix",
		  (ulong)lock_insn, f.ip);
}

static void check_bp_and_int(void)
{
	struct fault f;

	try_call(do_int3, NULL, &f);
	report_exception("runtime.exception.bp.vector",
			 "INT3 raises #BP (vector 3)", BP_VECTOR, ANY_ERROR,
			 &f);
	report_eq("runtime.exception.bp.ip",
		  "#BP is a trap: the saved IP follows the INT3",
		  (ulong)bp_after, f.ip);
	try_call(do_int80, NULL, &f);
	report_eq("runtime.exception.int.vector",
		  "INT 0x80 at CPL 0 is delivered through vector 0x80", 0x80,
		  f.vector);
	report_eq("runtime.exception.int.ip",
		  "INT n saves the address of the next instruction",
		  (ulong)int80_after, f.ip);
}

#ifdef __x86_64__
PROBE do_into(void *a)
{
	(void)a;
	asm volatile(AT(into_insn) ".byte 0xce");
}

static void check_of(void)
{
	struct fault f;

	/* INTO is invalid in 64-bit mode (SDM Vol. 2A, INTn/INTO). */
	try_call(do_into, NULL, &f);
	report_exception("runtime.exception.of.into-ud",
			 "INTO in 64-bit mode raises #UD", UD_VECTOR, ANY_ERROR,
			 &f);
	report_eq("runtime.exception.of.into-ud-ip",
		  "#UD for INTO saves the INTO's address", (ulong)into_insn,
		  f.ip);
}
#else
PROBE do_into_of(void *a)
{
	(void)a;
	/* 0x7fffffff + 1 sets OF */
	asm volatile("mov $0x7fffffff, %%eax\n\tadd $1, %%eax\n\t" AT(
			     into_insn) "into\n\t" AT(into_after) "nop" ::
			     : "eax", "cc");
}

PROBE do_into_no_of(void *a)
{
	(void)a;
	asm volatile("xor %%eax, %%eax\n\tinto" ::: "eax", "cc");
}

PROBE do_bound(void *a)
{
	static const int bounds[2] = {10, 20};

	(void)a;
	asm volatile("mov $21, %%eax\n\t" AT(bound_insn) "bound %%eax, %0"
		     :
		     : "m"(bounds)
		     : "eax");
}

static void check_of(void)
{
	struct fault f;

	try_call(do_into_of, NULL, &f);
	report_exception("runtime.exception.of.vector",
			 "INTO with OF=1 raises #OF (vector 4)", OF_VECTOR,
			 ANY_ERROR, &f);
	report_eq("runtime.exception.of.ip",
		  "#OF is a trap: the saved IP follows the INTO",
		  (ulong)into_after, f.ip);
	try_call(do_into_no_of, NULL, &f);
	report_exception("runtime.exception.of.no-of",
			 "INTO with OF=0 raises nothing", NO_FAULT, ANY_ERROR,
			 &f);
	try_call(do_bound, NULL, &f);
	report_exception(
		"runtime.exception.br.vector",
		"BOUND with the index above the upper bound raises #BR",
		BR_VECTOR, ANY_ERROR, &f);
	report_eq("runtime.exception.br.ip",
		  "#BR is a fault: the saved IP is the BOUND",
		  (ulong)bound_insn, f.ip);
}
#endif

static void load_ds(void *sel)
{
	u16 old = read_ds();

	asm volatile("mov %0, %%ds\n\tmov %1, %%ds"
		     :
		     : "r"((u16)(ulong)sel), "r"(old)
		     : "memory");
}

static void load_null_ss(void *a)
{
	u16 old = read_ss();

	(void)a;
	asm volatile("mov %0, %%ss\n\tmov %1, %%ss" : : "r"(0), "r"(old));
}

#ifdef __x86_64__
static void read_noncanonical(void *a)
{
	(void)a;
	(void)*(volatile u32 *)0x8000000000000000ul;
}
#else
static void read_past_es_limit(void *a)
{
	(void)a;
	/* ES is a byte-granular data segment with limit 0xfff */
	asm volatile("mov %0, %%es\n\t"
		     "movl %%es:0x2000, %%eax\n\t"
		     "mov %1, %%es"
		     :
		     : "r"((u16)(GDT_FREE + 1) << 3), "r"((u16)KERNEL_DS)
		     : "eax", "memory");
}
#endif

static void check_gp_np(void)
{
	struct fault f;

	/* Selector error codes carry index and TI, never the RPL (SDM 6.13). */
	try_call(load_ds, (void *)0x1fb, &f);
	report_exception("runtime.exception.gp.gdt-limit",
			 "loading DS beyond the GDT limit raises #GP",
			 GP_VECTOR, ANY_ERROR, &f);
	report_eq("runtime.exception.gp.gdt-limit-error",
		  "#GP for a selector beyond the GDT limit has error code = "
		  "selector without RPL",
		  0x1f8, f.error);
	try_call(load_ds, (void *)0x1c, &f);
	report_exception(
		"runtime.exception.gp.null-ldt",
		"loading DS from the LDT while LDTR is null raises #GP(sel)",
		GP_VECTOR, 0x1c, &f);

	gdt_set(GDT_FREE, 0, 0xfffff, 0x13, 0xc); /* data, P=0 */
	try_call(load_ds, (void *)(ulong)(GDT_FREE << 3), &f);
	report_exception("runtime.exception.np.vector",
			 "loading DS with a not-present descriptor raises #NP",
			 NP_VECTOR, ANY_ERROR, &f);
	report_eq("runtime.exception.np.error",
		  "#NP error code is the selector", GDT_FREE << 3, f.error);

#ifdef __x86_64__
	try_call(read_noncanonical, NULL, &f);
	report_exception("runtime.exception.gp.noncanonical",
			 "a read from a non-canonical address raises #GP(0)",
			 GP_VECTOR, 0, &f);
#else
	gdt_set(GDT_FREE + 1, 0, 0xfff, 0x93, 0x4); /* data, byte limit 0xfff */
	try_call(read_past_es_limit, NULL, &f);
	report_exception("runtime.exception.gp.es-limit",
			 "a read past the ES limit raises #GP(0)", GP_VECTOR, 0,
			 &f);
#endif

	try_call(load_null_ss, NULL, &f);
#ifdef __x86_64__
	/* 64-bit mode allows a null SS at CPL 0 (SDM Vol. 2A, MOV). */
	report_exception(
		"runtime.exception.gp.null-ss-allowed",
		"MOV of a null selector to SS at CPL 0 in 64-bit mode is "
		"allowed",
		NO_FAULT, ANY_ERROR, &f);
#else
	report_exception(
		"runtime.exception.gp.null-ss",
		"MOV of a null selector to SS in protected mode raises #GP(0)",
		GP_VECTOR, 0, &f);
#endif
}

static void nothing(void *a)
{
	(void)a;
}

void probe_main(void)
{
	struct fault f;

	try_call(nothing, NULL, &f);
	report_exception("runtime.exception.none",
			 "code that does not fault reports no exception",
			 NO_FAULT, ANY_ERROR, &f);
	check_de();
	check_ud();
	check_bp_and_int();
	check_of();
	check_gp_np();
}
