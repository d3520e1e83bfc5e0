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

/* #GP(0) at CPL 1, 2 and 3. */
#define TRAPS(name, fn, arg, what)                                             \
	do {                                                                   \
		struct fault f;                                                \
		run_at_cpl(1, fn, arg, &f);                                    \
		report_gp0("conformance.trap." name ".cpl1",                   \
			   what " at CPL 1 raises #GP(0)", &f);                \
		run_at_cpl(2, fn, arg, &f);                                    \
		report_gp0("conformance.trap." name ".cpl2",                   \
			   what " at CPL 2 raises #GP(0)", &f);                \
		run_at_cpl(3, fn, arg, &f);                                    \
		report_gp0("conformance.trap." name ".cpl3",                   \
			   what " at CPL 3 raises #GP(0)", &f);                \
	} while (0)

/* Executes without exception at CPL 0. */
#define WORKS(name, fn, arg, what)                                             \
	do {                                                                   \
		struct fault f;                                                \
		try_call(fn, arg, &f);                                         \
		report_nofault("conformance.trap." name ".cpl0",               \
			       what " at CPL 0 executes", &f);                 \
	} while (0)

static void descriptor_tables(void)
{
	struct descriptor_ptr gdtr, idtr, now;
	struct fault f;
	u16 tr = str(), ldtr;

	sgdt(&gdtr);
	sidt(&idtr);
	table_arg = gdtr;
	table_arg.limit = 0x7;
	TRAPS("lgdt", do_lgdt, &table_arg, "LGDT");
	sgdt(&now);
	report("conformance.trap.lgdt.no-effect",
	       "LGDT that faulted at CPL 1-3 left GDTR unchanged",
	       now.base == gdtr.base && now.limit == gdtr.limit,
	       "expected GDTR %#lx/%#x, saw %#lx/%#x", gdtr.base, gdtr.limit,
	       now.base, now.limit);
	WORKS("lgdt", do_lgdt, &gdtr, "LGDT of the current GDTR");

	table_arg = idtr;
	table_arg.limit = 0x7;
	TRAPS("lidt", do_lidt, &table_arg, "LIDT");
	sidt(&now);
	report("conformance.trap.lidt.no-effect",
	       "LIDT that faulted at CPL 1-3 left IDTR unchanged",
	       now.base == idtr.base && now.limit == idtr.limit,
	       "expected IDTR %#lx/%#x, saw %#lx/%#x", idtr.base, idtr.limit,
	       now.base, now.limit);
	WORKS("lidt", do_lidt, &idtr, "LIDT of the current IDTR");

	gdt_set_system(LDT_INDEX, (ulong)ldt, sizeof(ldt) - 1, 2, 0);
	sel_arg = LDT_INDEX << 3;
	TRAPS("lldt", do_lldt, &sel_arg, "LLDT");
	asm volatile("sldt %0" : "=r"(ldtr));
	report_eq("conformance.trap.lldt.no-effect",
		  "LLDT that faulted at CPL 1-3 left LDTR null", 0, ldtr);
	WORKS("lldt", do_lldt, &sel_arg, "LLDT of an LDT descriptor");
	asm volatile("sldt %0" : "=r"(ldtr));
	report_eq("conformance.trap.lldt.loads",
		  "LLDT at CPL 0 loads LDTR with the selector", sel_arg, ldtr);
	sel_arg = 0;
	WORKS("lldt-null", do_lldt, &sel_arg, "LLDT of the null selector");

	/* A second, available descriptor for the runtime's TSS. */
	gdt[ALT_TSS_INDEX] = gdt[tr >> 3] & ~(1ull << 41);
#ifdef __x86_64__
	gdt[ALT_TSS_INDEX + 1] = gdt[(tr >> 3) + 1];
#endif
	sel_arg = ALT_TSS_INDEX << 3;
	TRAPS("ltr", do_ltr, &sel_arg, "LTR");
	report("conformance.trap.ltr.no-effect",
	       "LTR that faulted at CPL 1-3 left TR and the descriptor's busy "
	       "bit unchanged",
	       str() == tr && !(gdt[ALT_TSS_INDEX] & (1ull << 41)),
	       "expected TR %#x and an available TSS, saw TR %#x, type %#x", tr,
	       str(), (unsigned)(gdt[ALT_TSS_INDEX] >> 40) & 0xf);
	WORKS("ltr", do_ltr, &sel_arg, "LTR of an available TSS");
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

	TRAPS("mov-from-cr0", do_read_cr0, &value_arg, "MOV from CR0");
	TRAPS("mov-from-cr2", do_read_cr2, &value_arg, "MOV from CR2");
	TRAPS("mov-from-cr3", do_read_cr3, &value_arg, "MOV from CR3");
	TRAPS("mov-from-cr4", do_read_cr4, &value_arg, "MOV from CR4");
	WORKS("mov-from-cr0", do_read_cr0, &value_arg, "MOV from CR0");
	WORKS("mov-from-cr2", do_read_cr2, &value_arg, "MOV from CR2");
	WORKS("mov-from-cr3", do_read_cr3, &value_arg, "MOV from CR3");
	WORKS("mov-from-cr4", do_read_cr4, &value_arg, "MOV from CR4");

	value_arg = cr0 ^ X86_CR0_TS;
	TRAPS("mov-to-cr0", do_write_cr0, &value_arg, "MOV to CR0");
	report_eq("conformance.trap.mov-to-cr0.no-effect",
		  "MOV to CR0 that faulted at CPL 1-3 left CR0 unchanged", cr0,
		  read_cr0());
	value_arg = cr0;
	WORKS("mov-to-cr0", do_write_cr0, &value_arg, "MOV to CR0");

	write_cr2(0x1000);
	value_arg = 0x2000;
	TRAPS("mov-to-cr2", do_write_cr2, &value_arg, "MOV to CR2");
	report_eq("conformance.trap.mov-to-cr2.no-effect",
		  "MOV to CR2 that faulted at CPL 1-3 left CR2 unchanged",
		  0x1000, read_cr2());
	WORKS("mov-to-cr2", do_write_cr2, &value_arg, "MOV to CR2");
	report_eq("conformance.trap.mov-to-cr2.value",
		  "MOV to CR2 at CPL 0 writes the value", 0x2000, read_cr2());

	/* The current value: a wrong emulation must not switch tables. */
	value_arg = read_cr3();
	TRAPS("mov-to-cr3", do_write_cr3, &value_arg, "MOV to CR3");
	WORKS("mov-to-cr3", do_write_cr3, &value_arg, "MOV to CR3");

	value_arg = cr4 ^ X86_CR4_TSD;
	TRAPS("mov-to-cr4", do_write_cr4, &value_arg, "MOV to CR4");
	report_eq("conformance.trap.mov-to-cr4.no-effect",
		  "MOV to CR4 that faulted at CPL 1-3 left CR4 unchanged", cr4,
		  read_cr4());
	value_arg = cr4;
	WORKS("mov-to-cr4", do_write_cr4, &value_arg, "MOV to CR4");

#ifdef __x86_64__
	/* CR8 is the task-priority register, 64-bit mode only (SDM 10.8.6). */
	TRAPS("mov-from-cr8", do_read_cr8, &value_arg, "MOV from CR8");
	WORKS("mov-from-cr8", do_read_cr8, &value_arg, "MOV from CR8");
	value_arg = 0xf;
	TRAPS("mov-to-cr8", do_write_cr8, &value_arg, "MOV to CR8");
	value_arg = ~0ul;
	do_read_cr8(&value_arg);
	report_eq("conformance.trap.mov-to-cr8.no-effect",
		  "MOV to CR8 that faulted at CPL 1-3 left CR8 (TPR) 0", 0,
		  value_arg);
	value_arg = 0;
	WORKS("mov-to-cr8", do_write_cr8, &value_arg, "MOV to CR8");
#endif

	write_cr0(cr0 | X86_CR0_TS);
	TRAPS("clts", do_clts, NULL, "CLTS");
	report_eq("conformance.trap.clts.no-effect",
		  "CLTS that faulted at CPL 1-3 left CR0.TS set", X86_CR0_TS,
		  read_cr0() & X86_CR0_TS);
	WORKS("clts", do_clts, NULL, "CLTS");
	report_eq("conformance.trap.clts.clears", "CLTS at CPL 0 clears CR0.TS",
		  0, read_cr0() & X86_CR0_TS);

	/* LMSW loads CR0[3:0] (it can set PE but never clear it). */
	value_arg = (cr0 ^ X86_CR0_TS) & 0xffff;
	TRAPS("lmsw", do_lmsw, &value_arg, "LMSW");
	report_eq("conformance.trap.lmsw.no-effect",
		  "LMSW that faulted at CPL 1-3 left CR0 unchanged", cr0,
		  read_cr0());
	WORKS("lmsw", do_lmsw, &value_arg, "LMSW");
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

	TRAPS("invd", do_invd_only, NULL, "INVD");
	WORKS("invd", do_invd, NULL, "INVD");
	TRAPS("wbinvd", do_wbinvd, NULL, "WBINVD");
	WORKS("wbinvd", do_wbinvd, NULL, "WBINVD");
	TRAPS("invlpg", do_invlpg, &value_arg, "INVLPG");
	WORKS("invlpg", do_invlpg, &value_arg, "INVLPG");
	TRAPS("rdmsr", do_rdmsr, &value_arg, "RDMSR");
	WORKS("rdmsr", do_rdmsr, &value_arg, "RDMSR of IA32_SYSENTER_CS");
	value_arg = sysenter_cs ^ 0x8;
	TRAPS("wrmsr", do_wrmsr, &value_arg, "WRMSR");
	report_eq("conformance.trap.wrmsr.no-effect",
		  "WRMSR that faulted at CPL 1-3 left IA32_SYSENTER_CS "
		  "unchanged",
		  sysenter_cs, rdmsr(MSR_SYSENTER_CS));
	WORKS("wrmsr", do_wrmsr, &value_arg, "WRMSR of IA32_SYSENTER_CS");
	report_eq("conformance.trap.wrmsr.value",
		  "WRMSR at CPL 0 writes the MSR", value_arg,
		  rdmsr(MSR_SYSENTER_CS));
	wrmsr(MSR_SYSENTER_CS, sysenter_cs);
	TRAPS("hlt", do_hlt, NULL, "HLT");
#ifdef __x86_64__
	{
		u64 gs = rdmsr(MSR_GS_BASE), kgs = rdmsr(MSR_KERNEL_GS_BASE);

		wrmsr(MSR_KERNEL_GS_BASE, 0x5000);
		TRAPS("swapgs", do_swapgs, NULL, "SWAPGS");
		report_eq("conformance.trap.swapgs.no-effect",
			  "SWAPGS that faulted at CPL 1-3 left the GS base "
			  "unchanged",
			  gs, rdmsr(MSR_GS_BASE));
		WORKS("swapgs", do_swapgs_twice, NULL, "SWAPGS");
		wrmsr(MSR_KERNEL_GS_BASE, kgs);
	}
#else
	TRAPS("sysexit", do_sysexit, NULL, "SYSEXIT");
#endif
}

/*
 * RDTSC/RDTSCP fault at CPL > 0 only with CR4.TSD set. Each id is declared
 * once, and skipped when the CPU lacks the instruction.
 */
#define TSC_RUN(id, cpl, tsd, want)                                            \
	do {                                                                   \
		const char *id_ = id;                                          \
		if (!has) {                                                    \
			report_skipped(id_, "CPU lacks the instruction");      \
			break;                                                 \
		}                                                              \
		write_cr4(tsd ? cr4 | X86_CR4_TSD : cr4 & ~X86_CR4_TSD);       \
		run_at_cpl(cpl, fn, &value_arg, &f);                           \
		write_cr4(cr4);                                                \
		check_fault(id_, want, 0, &f);                                 \
	} while (0)
#define TSC_CPL(name, cpl)                                                     \
	do {                                                                   \
		TSC_RUN(DECLARE_CHECK("conformance.trap." name                 \
				      ".tsd1.cpl" #cpl,                        \
				      name " at CPL " #cpl                     \
					   " with CR4.TSD=1 raises #GP(0)"),   \
			cpl, 1, GP_VECTOR);                                    \
		TSC_RUN(DECLARE_CHECK("conformance.trap." name                 \
				      ".tsd0.cpl" #cpl,                        \
				      name " at CPL " #cpl                     \
					   " with CR4.TSD=0 executes"),        \
			cpl, 0, NO_FAULT);                                     \
	} while (0)
#define TSC_CHECKS(name, fn_, has_)                                            \
	do {                                                                   \
		void (*fn)(void *) = fn_;                                      \
		bool has = has_;                                               \
		TSC_CPL(name, 1);                                              \
		TSC_CPL(name, 2);                                              \
		TSC_CPL(name, 3);                                              \
		TSC_RUN(DECLARE_CHECK("conformance.trap." name ".tsd1.cpl0",   \
				      name                                     \
				      " at CPL 0 with CR4.TSD=1 executes"),    \
			0, 1, NO_FAULT);                                       \
	} while (0)

#define PMC_CPL(cpl)                                                           \
	do {                                                                   \
		run_at_cpl(cpl, do_rdpmc, NULL, &f);                           \
		report_gp0("conformance.trap.rdpmc.pce0.cpl" #cpl,             \
			   "RDPMC at CPL " #cpl                                \
			   " with CR4.PCE=0 raises #GP(0)",                    \
			   &f);                                                \
	} while (0)

static void counters(void)
{
	ulong cr4 = read_cr4();
	struct fault f, f0;

	TSC_CHECKS("rdtsc", do_rdtsc, this_cpu_has(FEAT_TSC));
	TSC_CHECKS("rdtscp", do_rdtscp, this_cpu_has(FEAT_RDTSCP));

	write_cr4(cr4 & ~X86_CR4_PCE);
	PMC_CPL(1);
	PMC_CPL(2);
	PMC_CPL(3);
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
