/*
 * conformance.trap: every privileged instruction raises #GP(0) at CPL 1,
 * 2 and 3, leaves no trace of its effect, and executes at CPL 0 (SDM Vol.
 * 3A, 5.9 "Privileged Instructions"; each instruction's "Protected Mode
 * Exceptions" in Vol. 2). These are the instructions a trap-and-emulate
 * monitor relies on: each #GP is its cue to emulate, and an instruction
 * that half-executes before the trap, or does not trap, breaks it.
 * RDTSC/RDTSCP follow CR4.TSD and RDPMC CR4.PCE (SDM Vol. 2B, RDTSC,
 * RDPMC). CLI/STI by IOPL are in popf.c, I/O in io.c, MOV DR in
 * debugreg.c, HLT at CPL 0 in interrupt.c.
 */
#include "common.h"

POPEK_IMAGE(0, 0);

#define MSR_SYSENTER_CS	   0x174
#define MSR_GS_BASE	   0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define LDT_INDEX	   GDT_FREE
#define ALT_TSS_INDEX	   (GDT_FREE + 2)

static u64 ldt[4] __aligned(8);
static struct descriptor_ptr table_arg;
static ulong value_arg;
static u16 sel_arg;

PROBE do_hlt(void *a)
{
	(void)a;
	asm volatile("hlt");
}
PROBE do_lgdt(void *a)
{
	asm volatile("lgdt %0" : : "m"(*(struct descriptor_ptr *)a));
}
PROBE do_lidt(void *a)
{
	asm volatile("lidt %0" : : "m"(*(struct descriptor_ptr *)a));
}
PROBE do_lldt(void *a)
{
	asm volatile("lldt %0" : : "m"(*(u16 *)a));
}
PROBE do_ltr(void *a)
{
	asm volatile("ltr %0" : : "m"(*(u16 *)a));
}
PROBE do_clts(void *a)
{
	(void)a;
	asm volatile("clts");
}
PROBE do_invd(void *a)
{
	(void)a;
	/* Write back first: INVD drops dirty lines on real hardware. */
	asm volatile("wbinvd\n\tinvd" ::: "memory");
}
PROBE do_invd_only(void *a)
{
	(void)a;
	asm volatile("invd" ::: "memory");
}
PROBE do_wbinvd(void *a)
{
	(void)a;
	asm volatile("wbinvd" ::: "memory");
}
PROBE do_invlpg(void *a)
{
	invlpg(a);
}
PROBE do_rdmsr(void *a)
{
	*(u64 *)a = rdmsr(MSR_SYSENTER_CS);
}
PROBE do_wrmsr(void *a)
{
	wrmsr(MSR_SYSENTER_CS, *(ulong *)a);
}
PROBE do_lmsw(void *a)
{
	asm volatile("lmsw %0" : : "r"(*(u16 *)a));
}
PROBE do_rdtsc(void *a)
{
	*(u64 *)a = rdtsc();
}
PROBE do_rdtscp(void *a)
{
	u32 lo, hi, aux;

	asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	*(u64 *)a = lo;
}
PROBE do_rdpmc(void *a)
{
	u32 lo, hi;

	(void)a;
	asm volatile("rdpmc" : "=a"(lo), "=d"(hi) : "c"(0));
}

#define MOV_CR(n)                                                              \
	PROBE do_read_cr##n(void *a)                                           \
	{                                                                      \
		ulong v;                                                       \
		asm volatile("mov %%cr" #n ", %0" : "=r"(v));                  \
		*(ulong *)a = v;                                               \
	}                                                                      \
	PROBE do_write_cr##n(void *a)                                          \
	{                                                                      \
		asm volatile("mov %0, %%cr" #n                                 \
			     :                                                 \
			     : "r"(*(ulong *)a)                                \
			     : "memory");                                      \
	}
MOV_CR(0)
MOV_CR(2)
MOV_CR(3)
MOV_CR(4)

#ifdef __x86_64__
MOV_CR(8)
PROBE do_swapgs(void *a)
{
	(void)a;
	asm volatile("swapgs" ::: "memory");
}
PROBE do_swapgs_twice(void *a)
{
	(void)a;
	asm volatile("swapgs\n\tswapgs" ::: "memory");
}
#else
PROBE do_sysexit(void *a)
{
	(void)a;
	asm volatile("sysexit");
}
#endif

/*
 * #GP(0) at CPL 1, 2 and 3. The caller declares the family,
 * "conformance.trap.NAME.cpl{1..3}", and its description.
 */
static void traps(const char *family, void (*fn)(void *), void *arg)
{
	struct fault f;
	char id[CHECK_ID_MAX];

	for (int cpl = 1; cpl <= 3; cpl++) {
		run_at_cpl(cpl, fn, arg, &f);
		check_fault(check_member_id(id, family, (const int[]){cpl}, 1),
			    GP_VECTOR, 0, &f);
	}
}

/* Executes without exception at CPL 0. */
static void works(const char *id, void (*fn)(void *), void *arg)
{
	struct fault f;

	try_call(fn, arg, &f);
	check_fault(id, NO_FAULT, 0, &f);
}

static void descriptor_tables(void)
{
	struct descriptor_ptr gdtr, idtr, now;
	struct fault f;
	u16 tr = str(), ldtr;

	sgdt(&gdtr);
	sidt(&idtr);
	table_arg = gdtr;
	table_arg.limit = 0x7;
	traps(DECLARE_CHECK("conformance.trap.lgdt.cpl{1..3}",
			    "LGDT at CPL {1} raises #GP(0)"),
	      do_lgdt, &table_arg);
	sgdt(&now);
	report("conformance.trap.lgdt.no-effect",
	       "LGDT that faulted at CPL 1-3 left GDTR unchanged",
	       now.base == gdtr.base && now.limit == gdtr.limit,
	       "expected GDTR %#lx/%#x, saw %#lx/%#x", gdtr.base, gdtr.limit,
	       now.base, now.limit);
	works(DECLARE_CHECK("conformance.trap.lgdt.cpl0",
			    "LGDT of the current GDTR at CPL 0 executes"),
	      do_lgdt, &gdtr);

	table_arg = idtr;
	table_arg.limit = 0x7;
	traps(DECLARE_CHECK("conformance.trap.lidt.cpl{1..3}",
			    "LIDT at CPL {1} raises #GP(0)"),
	      do_lidt, &table_arg);
	sidt(&now);
	report("conformance.trap.lidt.no-effect",
	       "LIDT that faulted at CPL 1-3 left IDTR unchanged",
	       now.base == idtr.base && now.limit == idtr.limit,
	       "expected IDTR %#lx/%#x, saw %#lx/%#x", idtr.base, idtr.limit,
	       now.base, now.limit);
	works(DECLARE_CHECK("conformance.trap.lidt.cpl0",
			    "LIDT of the current IDTR at CPL 0 executes"),
	      do_lidt, &idtr);

	gdt_set_system(LDT_INDEX, (ulong)ldt, sizeof(ldt) - 1, 2, 0);
	sel_arg = LDT_INDEX << 3;
	traps(DECLARE_CHECK("conformance.trap.lldt.cpl{1..3}",
			    "LLDT at CPL {1} raises #GP(0)"),
	      do_lldt, &sel_arg);
	asm volatile("sldt %0" : "=r"(ldtr));
	report_eq("conformance.trap.lldt.no-effect",
		  "LLDT that faulted at CPL 1-3 left LDTR null", 0, ldtr);
	works(DECLARE_CHECK("conformance.trap.lldt.cpl0",
			    "LLDT of an LDT descriptor at CPL 0 executes"),
	      do_lldt, &sel_arg);
	asm volatile("sldt %0" : "=r"(ldtr));
	report_eq("conformance.trap.lldt.loads",
		  "LLDT at CPL 0 loads LDTR with the selector", sel_arg, ldtr);
	sel_arg = 0;
	works(DECLARE_CHECK("conformance.trap.lldt-null.cpl0",
			    "LLDT of the null selector at CPL 0 executes"),
	      do_lldt, &sel_arg);

	/* A second, available descriptor for the runtime's TSS. */
	gdt[ALT_TSS_INDEX] = gdt[tr >> 3] & ~(1ull << 41);
#ifdef __x86_64__
	gdt[ALT_TSS_INDEX + 1] = gdt[(tr >> 3) + 1];
#endif
	sel_arg = ALT_TSS_INDEX << 3;
	traps(DECLARE_CHECK("conformance.trap.ltr.cpl{1..3}",
			    "LTR at CPL {1} raises #GP(0)"),
	      do_ltr, &sel_arg);
	report("conformance.trap.ltr.no-effect",
	       "LTR that faulted at CPL 1-3 left TR and the descriptor's busy "
	       "bit unchanged",
	       str() == tr && !(gdt[ALT_TSS_INDEX] & (1ull << 41)),
	       "expected TR %#x and an available TSS, saw TR %#x, type %#x", tr,
	       str(), (unsigned)(gdt[ALT_TSS_INDEX] >> 40) & 0xf);
	works(DECLARE_CHECK("conformance.trap.ltr.cpl0",
			    "LTR of an available TSS at CPL 0 executes"),
	      do_ltr, &sel_arg);
	report("conformance.trap.ltr.busy",
	       "LTR at CPL 0 loads TR and marks the TSS descriptor busy",
	       str() == sel_arg && (gdt[ALT_TSS_INDEX] & (1ull << 41)),
	       "expected TR %#x, busy type, saw TR %#x, type %#x", sel_arg,
	       str(), (unsigned)(gdt[ALT_TSS_INDEX] >> 40) & 0xf);
	try_call(do_ltr, &sel_arg, &f);
	report_fault("conformance.trap.ltr.busy-gp",
		     "LTR of a busy TSS at CPL 0 raises #GP(selector)",
		     GP_VECTOR, sel_arg, &f);
	gdt[tr >> 3] &= ~(1ull << 41);
	asm volatile("ltr %0" : : "r"(tr));
}

static void control_registers(void)
{
	ulong cr0 = read_cr0(), cr4 = read_cr4();
	struct fault f;

	traps(DECLARE_CHECK("conformance.trap.mov-from-cr0.cpl{1..3}",
			    "MOV from CR0 at CPL {1} raises #GP(0)"),
	      do_read_cr0, &value_arg);
	traps(DECLARE_CHECK("conformance.trap.mov-from-cr2.cpl{1..3}",
			    "MOV from CR2 at CPL {1} raises #GP(0)"),
	      do_read_cr2, &value_arg);
	traps(DECLARE_CHECK("conformance.trap.mov-from-cr3.cpl{1..3}",
			    "MOV from CR3 at CPL {1} raises #GP(0)"),
	      do_read_cr3, &value_arg);
	traps(DECLARE_CHECK("conformance.trap.mov-from-cr4.cpl{1..3}",
			    "MOV from CR4 at CPL {1} raises #GP(0)"),
	      do_read_cr4, &value_arg);
	works(DECLARE_CHECK("conformance.trap.mov-from-cr0.cpl0",
			    "MOV from CR0 at CPL 0 executes"),
	      do_read_cr0, &value_arg);
	works(DECLARE_CHECK("conformance.trap.mov-from-cr2.cpl0",
			    "MOV from CR2 at CPL 0 executes"),
	      do_read_cr2, &value_arg);
	works(DECLARE_CHECK("conformance.trap.mov-from-cr3.cpl0",
			    "MOV from CR3 at CPL 0 executes"),
	      do_read_cr3, &value_arg);
	works(DECLARE_CHECK("conformance.trap.mov-from-cr4.cpl0",
			    "MOV from CR4 at CPL 0 executes"),
	      do_read_cr4, &value_arg);

	value_arg = cr0 ^ X86_CR0_TS;
	traps(DECLARE_CHECK("conformance.trap.mov-to-cr0.cpl{1..3}",
			    "MOV to CR0 at CPL {1} raises #GP(0)"),
	      do_write_cr0, &value_arg);
	report_eq("conformance.trap.mov-to-cr0.no-effect",
		  "MOV to CR0 that faulted at CPL 1-3 left CR0 unchanged", cr0,
		  read_cr0());
	value_arg = cr0;
	works(DECLARE_CHECK("conformance.trap.mov-to-cr0.cpl0",
			    "MOV to CR0 at CPL 0 executes"),
	      do_write_cr0, &value_arg);

	write_cr2(0x1000);
	value_arg = 0x2000;
	traps(DECLARE_CHECK("conformance.trap.mov-to-cr2.cpl{1..3}",
			    "MOV to CR2 at CPL {1} raises #GP(0)"),
	      do_write_cr2, &value_arg);
	report_eq("conformance.trap.mov-to-cr2.no-effect",
		  "MOV to CR2 that faulted at CPL 1-3 left CR2 unchanged",
		  0x1000, read_cr2());
	works(DECLARE_CHECK("conformance.trap.mov-to-cr2.cpl0",
			    "MOV to CR2 at CPL 0 executes"),
	      do_write_cr2, &value_arg);
	report_eq("conformance.trap.mov-to-cr2.value",
		  "MOV to CR2 at CPL 0 writes the value", 0x2000, read_cr2());

	/* The current value: a wrong emulation must not switch tables. */
	value_arg = read_cr3();
	traps(DECLARE_CHECK("conformance.trap.mov-to-cr3.cpl{1..3}",
			    "MOV to CR3 at CPL {1} raises #GP(0)"),
	      do_write_cr3, &value_arg);
	works(DECLARE_CHECK("conformance.trap.mov-to-cr3.cpl0",
			    "MOV to CR3 at CPL 0 executes"),
	      do_write_cr3, &value_arg);

	value_arg = cr4 ^ X86_CR4_TSD;
	traps(DECLARE_CHECK("conformance.trap.mov-to-cr4.cpl{1..3}",
			    "MOV to CR4 at CPL {1} raises #GP(0)"),
	      do_write_cr4, &value_arg);
	report_eq("conformance.trap.mov-to-cr4.no-effect",
		  "MOV to CR4 that faulted at CPL 1-3 left CR4 unchanged", cr4,
		  read_cr4());
	value_arg = cr4;
	works(DECLARE_CHECK("conformance.trap.mov-to-cr4.cpl0",
			    "MOV to CR4 at CPL 0 executes"),
	      do_write_cr4, &value_arg);

#ifdef __x86_64__
	/* CR8 is the task-priority register, 64-bit mode only (SDM 10.8.6). */
	traps(DECLARE_CHECK("conformance.trap.mov-from-cr8.cpl{1..3}",
			    "MOV from CR8 at CPL {1} raises #GP(0)"),
	      do_read_cr8, &value_arg);
	works(DECLARE_CHECK("conformance.trap.mov-from-cr8.cpl0",
			    "MOV from CR8 at CPL 0 executes"),
	      do_read_cr8, &value_arg);
	value_arg = 0xf;
	traps(DECLARE_CHECK("conformance.trap.mov-to-cr8.cpl{1..3}",
			    "MOV to CR8 at CPL {1} raises #GP(0)"),
	      do_write_cr8, &value_arg);
	value_arg = ~0ul;
	do_read_cr8(&value_arg);
	report_eq("conformance.trap.mov-to-cr8.no-effect",
		  "MOV to CR8 that faulted at CPL 1-3 left CR8 (TPR) 0", 0,
		  value_arg);
	value_arg = 0;
	works(DECLARE_CHECK("conformance.trap.mov-to-cr8.cpl0",
			    "MOV to CR8 at CPL 0 executes"),
	      do_write_cr8, &value_arg);
#endif

	write_cr0(cr0 | X86_CR0_TS);
	traps(DECLARE_CHECK("conformance.trap.clts.cpl{1..3}",
			    "CLTS at CPL {1} raises #GP(0)"),
	      do_clts, NULL);
	report_eq("conformance.trap.clts.no-effect",
		  "CLTS that faulted at CPL 1-3 left CR0.TS set", X86_CR0_TS,
		  read_cr0() & X86_CR0_TS);
	works(DECLARE_CHECK("conformance.trap.clts.cpl0",
			    "CLTS at CPL 0 executes"),
	      do_clts, NULL);
	report_eq("conformance.trap.clts.clears", "CLTS at CPL 0 clears CR0.TS",
		  0, read_cr0() & X86_CR0_TS);

	/* LMSW loads CR0[3:0] (it can set PE but never clear it). */
	value_arg = (cr0 ^ X86_CR0_TS) & 0xffff;
	traps(DECLARE_CHECK("conformance.trap.lmsw.cpl{1..3}",
			    "LMSW at CPL {1} raises #GP(0)"),
	      do_lmsw, &value_arg);
	report_eq("conformance.trap.lmsw.no-effect",
		  "LMSW that faulted at CPL 1-3 left CR0 unchanged", cr0,
		  read_cr0());
	works(DECLARE_CHECK("conformance.trap.lmsw.cpl0",
			    "LMSW at CPL 0 executes"),
	      do_lmsw, &value_arg);
	report_eq("conformance.trap.lmsw.value",
		  "LMSW at CPL 0 loads CR0.TS from the operand",
		  (cr0 ^ X86_CR0_TS) & X86_CR0_TS, read_cr0() & X86_CR0_TS);
	value_arg = 0;
	try_call(do_lmsw, &value_arg, &f);
	report_eq("conformance.trap.lmsw.keeps-pe",
		  "LMSW with PE=0 at CPL 0 does not clear CR0.PE", X86_CR0_PE,
		  read_cr0() & X86_CR0_PE);
	write_cr0(cr0);
}

static void cache_tlb_msr(void)
{
	u64 sysenter_cs = rdmsr(MSR_SYSENTER_CS);

	traps(DECLARE_CHECK("conformance.trap.invd.cpl{1..3}",
			    "INVD at CPL {1} raises #GP(0)"),
	      do_invd_only, NULL);
	works(DECLARE_CHECK("conformance.trap.invd.cpl0",
			    "INVD at CPL 0 executes"),
	      do_invd, NULL);
	traps(DECLARE_CHECK("conformance.trap.wbinvd.cpl{1..3}",
			    "WBINVD at CPL {1} raises #GP(0)"),
	      do_wbinvd, NULL);
	works(DECLARE_CHECK("conformance.trap.wbinvd.cpl0",
			    "WBINVD at CPL 0 executes"),
	      do_wbinvd, NULL);
	traps(DECLARE_CHECK("conformance.trap.invlpg.cpl{1..3}",
			    "INVLPG at CPL {1} raises #GP(0)"),
	      do_invlpg, &value_arg);
	works(DECLARE_CHECK("conformance.trap.invlpg.cpl0",
			    "INVLPG at CPL 0 executes"),
	      do_invlpg, &value_arg);
	traps(DECLARE_CHECK("conformance.trap.rdmsr.cpl{1..3}",
			    "RDMSR at CPL {1} raises #GP(0)"),
	      do_rdmsr, &value_arg);
	works(DECLARE_CHECK("conformance.trap.rdmsr.cpl0",
			    "RDMSR of IA32_SYSENTER_CS at CPL 0 executes"),
	      do_rdmsr, &value_arg);
	value_arg = sysenter_cs ^ 0x8;
	traps(DECLARE_CHECK("conformance.trap.wrmsr.cpl{1..3}",
			    "WRMSR at CPL {1} raises #GP(0)"),
	      do_wrmsr, &value_arg);
	report_eq("conformance.trap.wrmsr.no-effect",
		  "WRMSR that faulted at CPL 1-3 left IA32_SYSENTER_CS "
		  "unchanged",
		  sysenter_cs, rdmsr(MSR_SYSENTER_CS));
	works(DECLARE_CHECK("conformance.trap.wrmsr.cpl0",
			    "WRMSR of IA32_SYSENTER_CS at CPL 0 executes"),
	      do_wrmsr, &value_arg);
	report_eq("conformance.trap.wrmsr.value",
		  "WRMSR at CPL 0 writes the MSR", value_arg,
		  rdmsr(MSR_SYSENTER_CS));
	wrmsr(MSR_SYSENTER_CS, sysenter_cs);
	traps(DECLARE_CHECK("conformance.trap.hlt.cpl{1..3}",
			    "HLT at CPL {1} raises #GP(0)"),
	      do_hlt, NULL);
#ifdef __x86_64__
	{
		u64 gs = rdmsr(MSR_GS_BASE), kgs = rdmsr(MSR_KERNEL_GS_BASE);

		wrmsr(MSR_KERNEL_GS_BASE, 0x5000);
		traps(DECLARE_CHECK("conformance.trap.swapgs.cpl{1..3}",
				    "SWAPGS at CPL {1} raises #GP(0)"),
		      do_swapgs, NULL);
		report_eq("conformance.trap.swapgs.no-effect",
			  "SWAPGS that faulted at CPL 1-3 left the GS base "
			  "unchanged",
			  gs, rdmsr(MSR_GS_BASE));
		works(DECLARE_CHECK("conformance.trap.swapgs.cpl0",
				    "SWAPGS at CPL 0 executes"),
		      do_swapgs_twice, NULL);
		wrmsr(MSR_KERNEL_GS_BASE, kgs);
	}
#else
	traps(DECLARE_CHECK("conformance.trap.sysexit.cpl{1..3}",
			    "SYSEXIT at CPL {1} raises #GP(0)"),
	      do_sysexit, NULL);
#endif
}

/* RDTSC and RDTSCP, in the order of {rdtsc,rdtscp} in the ids. */
enum { RDTSC, RDTSCP };

/*
 * Runs fn at cpl with CR4.TSD tsd (the rest of CR4 as cr4), or skips id
 * if the CPU lacks the instruction.
 */
static void tsc_run(const char *id, void (*fn)(void *), bool has, ulong cr4,
		    int cpl, bool tsd, int want)
{
	struct fault f;

	if (!has) {
		report_skipped(id, "CPU lacks the instruction");
		return;
	}
	write_cr4(tsd ? cr4 | X86_CR4_TSD : cr4 & ~X86_CR4_TSD);
	run_at_cpl(cpl, fn, &value_arg, &f);
	write_cr4(cr4);
	check_fault(id, want, 0, &f);
}

/*
 * RDTSC/RDTSCP fault at CPL > 0 only with CR4.TSD set. Each id is
 * skipped when the CPU lacks the instruction.
 */
static void tsc_checks(int insn, void (*fn)(void *), bool has, ulong cr4)
{
	char id[CHECK_ID_MAX];

	for (int cpl = 1; cpl <= 3; cpl++) {
		tsc_run(CHECK_ID(id,
				 "conformance.trap.{rdtsc,rdtscp}.tsd1"
				 ".cpl{1..3}",
				 "{1} at CPL {2} with CR4.TSD=1 raises #GP(0)",
				 insn, cpl),
			fn, has, cr4, cpl, true, GP_VECTOR);
		tsc_run(CHECK_ID(id,
				 "conformance.trap.{rdtsc,rdtscp}.tsd0"
				 ".cpl{1..3}",
				 "{1} at CPL {2} with CR4.TSD=0 executes", insn,
				 cpl),
			fn, has, cr4, cpl, false, NO_FAULT);
	}
	tsc_run(CHECK_ID(id, "conformance.trap.{rdtsc,rdtscp}.tsd1.cpl0",
			 "{1} at CPL 0 with CR4.TSD=1 executes", insn),
		fn, has, cr4, 0, true, NO_FAULT);
}

static void counters(void)
{
	ulong cr4 = read_cr4();
	struct fault f, f0;
	char id[CHECK_ID_MAX];

	tsc_checks(RDTSC, do_rdtsc, this_cpu_has(FEAT_TSC), cr4);
	tsc_checks(RDTSCP, do_rdtscp, this_cpu_has(FEAT_RDTSCP), cr4);

	write_cr4(cr4 & ~X86_CR4_PCE);
	for (int cpl = 1; cpl <= 3; cpl++) {
		run_at_cpl(cpl, do_rdpmc, NULL, &f);
		check_fault(
			CHECK_ID(
				id, "conformance.trap.rdpmc.pce0.cpl{1..3}",
				"RDPMC at CPL {1} with CR4.PCE=0 raises #GP(0)",
				cpl),
			GP_VECTOR, 0, &f);
	}
	/*
	 * Counter 0 may or may not exist (Intel: CPUID.0AH; AMD: the legacy
	 * counters), so at CPL 0 RDPMC either reads it or raises #GP(0) for
	 * an invalid counter; #UD is not among its exceptions.
	 */
	try_call(do_rdpmc, NULL, &f0);
	report("conformance.trap.rdpmc.cpl0",
	       "RDPMC of counter 0 at CPL 0 executes or raises #GP(0), "
	       "never #UD",
	       f0.vector == NO_FAULT ||
		       (f0.vector == GP_VECTOR && f0.error == 0),
	       "expected no exception or #GP(0), saw %s",
	       vector_name(f0.vector));
	write_cr4(cr4 | X86_CR4_PCE);
	run_at_cpl(3, do_rdpmc, NULL, &f);
	report("conformance.trap.rdpmc.pce1.cpl3",
	       "RDPMC at CPL 3 with CR4.PCE=1 behaves as at CPL 0",
	       f.vector == f0.vector && f.error == f0.error,
	       "expected %s as at CPL 0, saw %s", vector_name(f0.vector),
	       vector_name(f.vector));
	write_cr4(cr4);
}

void probe_main(void)
{
	descriptor_tables();
	control_registers();
	cache_tlb_msr();
	counters();
}
