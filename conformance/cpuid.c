/*
 * conformance.cpuid: what CPUID enumerates is what the CPU does (SDM
 * Vol. 2A CPUID; Vol. 3A 2.5). A monitor that shows its guest one CPU
 * and runs it on another fails here: a CR4 bit of an enumerated feature
 * must be settable, CPUID.1:ECX.OSXSAVE mirrors CR4.OSXSAVE, XGETBV
 * raises #UD while CR4.OSXSAVE is 0, and RDTSCP/RDPID return the
 * TSC_AUX the guest wrote, or raise #UD where not enumerated.
 */
#include "common.h"

POPEK_IMAGE(0, 0);

#define MSR_TSC_AUX 0xc0000103u
#define CR4_OSXSAVE (1ul << 18)

#define FEAT_VME      X86_FEATURE(1, 0, 3, 1, "vme")
#define FEAT_MCE      X86_FEATURE(1, 0, 3, 7, "mce")
#define FEAT_XSAVE    X86_FEATURE(1, 0, 2, 26, "xsave")
#define FEAT_OSXSAVE  X86_FEATURE(1, 0, 2, 27, "osxsave")
#define FEAT_FSGSBASE X86_FEATURE(7, 0, 1, 0, "fsgsbase")
#define FEAT_PKU      X86_FEATURE(7, 0, 2, 3, "pku")
#define FEAT_RDPID    X86_FEATURE(7, 0, 2, 22, "rdpid")

struct cr4_case {
	const char *id;
	ulong bit;
	struct x86_feature f;
};

static ulong cr4_value;

PROBE set_cr4(void *a)
{
	(void)a;
	write_cr4(cr4_value);
}

/* A CR4 bit of an enumerated feature is not reserved: MOV to CR4 sets
 * it without #GP (SDM Vol. 3A 2.5, Vol. 2A MOV CR). */
static void cr4_settable(void)
{
	const struct cr4_case cases[] = {
		{DECLARE_CHECK("conformance.cpuid.cr4-settable.vme",
			       "CPUID.1:EDX.VME=1: MOV to CR4 sets VME"),
		 1ul << 0, FEAT_VME},
		{DECLARE_CHECK("conformance.cpuid.cr4-settable.de",
			       "CPUID.1:EDX.DE=1: MOV to CR4 sets DE"),
		 1ul << 3, FEAT_DE},
		{DECLARE_CHECK("conformance.cpuid.cr4-settable.mce",
			       "CPUID.1:EDX.MCE=1: MOV to CR4 sets MCE"),
		 1ul << 6, FEAT_MCE},
		{DECLARE_CHECK("conformance.cpuid.cr4-settable.pge",
			       "CPUID.1:EDX.PGE=1: MOV to CR4 sets PGE"),
		 1ul << 7, FEAT_PGE},
		{DECLARE_CHECK("conformance.cpuid.cr4-settable.osfxsr",
			       "CPUID.1:EDX.FXSR=1: MOV to CR4 sets OSFXSR"),
		 1ul << 9, FEAT_FXSR},
		{DECLARE_CHECK("conformance.cpuid.cr4-settable.umip",
			       "CPUID.7.0:ECX.UMIP=1: MOV to CR4 sets UMIP"),
		 1ul << 11, FEAT_UMIP},
		{DECLARE_CHECK("conformance.cpuid.cr4-settable.fsgsbase",
			       "CPUID.7.0:EBX.FSGSBASE=1: MOV to CR4 sets "
			       "FSGSBASE"),
		 1ul << 16, FEAT_FSGSBASE},
		{DECLARE_CHECK("conformance.cpuid.cr4-settable.osxsave",
			       "CPUID.1:ECX.XSAVE=1: MOV to CR4 sets OSXSAVE"),
		 1ul << 18, FEAT_XSAVE},
		{DECLARE_CHECK("conformance.cpuid.cr4-settable.smep",
			       "CPUID.7.0:EBX.SMEP=1: MOV to CR4 sets SMEP"),
		 1ul << 20, FEAT_SMEP},
		{DECLARE_CHECK("conformance.cpuid.cr4-settable.smap",
			       "CPUID.7.0:EBX.SMAP=1: MOV to CR4 sets SMAP"),
		 1ul << 21, FEAT_SMAP},
		{DECLARE_CHECK("conformance.cpuid.cr4-settable.pke",
			       "CPUID.7.0:ECX.PKU=1: MOV to CR4 sets PKE"),
		 1ul << 22, FEAT_PKU},
	};
	struct fault f;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct cr4_case *c = &cases[i];
		ulong before = read_cr4(), after;
		char saw[32];

		if (!this_cpu_has(c->f)) {
			report_skipped(c->id, "CPUID does not enumerate %s",
				       c->f.name);
			continue;
		}
		if (before & c->bit) {
			report_skipped(c->id, "the runtime already set it");
			continue;
		}
		/* The runtime's pages are user pages: SMEP/SMAP with paging
		 * on would stop its own fetches and accesses. */
		if ((c->bit & ((1ul << 20) | (1ul << 21))) &&
		    (read_cr0() & (1ul << 31))) {
			report_skipped(c->id, "paging is on (the runtime runs "
					      "from user pages)");
			continue;
		}
		cr4_value = before | c->bit;
		try_call(set_cr4, NULL, &f);
		after = read_cr4();
		cr4_value = before;
		set_cr4(NULL);
		report_result(
			c->id, f.vector == NO_FAULT && (after & c->bit),
			"expected no exception and the bit set (%s is "
			"enumerated), saw %s, CR4 %#lx",
			c->f.name,
			outcome_str(saw, sizeof(saw), f.vector, (long)f.error),
			after);
	}
}

PROBE do_xgetbv(void *a)
{
	u32 lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	*(u64 *)a = lo | (u64)hi << 32;
}

/* CPUID.1:ECX.OSXSAVE reflects CR4.OSXSAVE; XGETBV raises #UD while it
 * is 0 (SDM Vol. 2A CPUID Table 3-10, XGETBV). */
static void osxsave(void)
{
	ulong cr4 = read_cr4();
	bool xsave = this_cpu_has(FEAT_XSAVE);
	struct fault f;
	u64 xcr0 = 0;
	char saw[32], saw2[32];

	if (xsave && (cr4 & CR4_OSXSAVE))
		write_cr4(cr4 & ~CR4_OSXSAVE);
	report("conformance.cpuid.osxsave-clear",
	       "with CR4.OSXSAVE=0, CPUID.1:ECX.OSXSAVE reads 0",
	       !this_cpu_has(FEAT_OSXSAVE),
	       "expected OSXSAVE 0 with CR4.OSXSAVE=0, saw 1 (CR4 %#lx)",
	       read_cr4());
	try_call(do_xgetbv, &xcr0, &f);
	report("conformance.cpuid.xgetbv-ud",
	       "XGETBV raises #UD while CR4.OSXSAVE=0", f.vector == UD_VECTOR,
	       "expected #UD (CR4.OSXSAVE=0), saw %s, XCR0 %#llx",
	       outcome_str(saw, sizeof(saw), f.vector, (long)f.error),
	       (unsigned long long)xcr0);
	if (!xsave) {
		report_skip("conformance.cpuid.osxsave-set",
			    "with CR4.OSXSAVE=1, CPUID.1:ECX.OSXSAVE reads 1 "
			    "and XGETBV runs",
			    "CPUID does not enumerate xsave");
	} else {
		struct fault fs;

		cr4_value = cr4 | CR4_OSXSAVE;
		try_call(set_cr4, NULL, &fs);
		try_call(do_xgetbv, &xcr0, &f);
		report("conformance.cpuid.osxsave-set",
		       "with CR4.OSXSAVE=1, CPUID.1:ECX.OSXSAVE reads 1 and "
		       "XGETBV runs",
		       fs.vector == NO_FAULT && this_cpu_has(FEAT_OSXSAVE) &&
			       f.vector == NO_FAULT && (xcr0 & 1),
		       "expected CR4.OSXSAVE set, OSXSAVE 1 and XCR0.X87 set "
		       "without exception, saw MOV to CR4 %s, OSXSAVE %d, "
		       "XGETBV %s, XCR0 %#llx",
		       outcome_str(saw, sizeof(saw), fs.vector, (long)fs.error),
		       this_cpu_has(FEAT_OSXSAVE),
		       outcome_str(saw2, sizeof(saw2), f.vector, (long)f.error),
		       (unsigned long long)xcr0);
	}
	write_cr4(cr4);
}

PROBE do_rdtscp(void *a)
{
	u32 lo, hi, aux;

	asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	*(u32 *)a = aux;
}

PROBE do_rdpid(void *a)
{
	ulong v;

	asm volatile(".byte 0xf3, 0x0f, 0xc7, 0xf8" : "=a"(v)); /* rdpid eax */
	*(u32 *)a = (u32)v;
}

/* RDTSCP loads ECX and RDPID its register from IA32_TSC_AUX; without
 * the feature both raise #UD (SDM Vol. 2B RDTSCP, RDPID). */
static void tsc_aux(void)
{
	const struct {
		const char *id;
		void (*fn)(void *);
		struct x86_feature f;
	} cases[] = {
		{DECLARE_CHECK("conformance.cpuid.rdtscp-tsc-aux",
			       "RDTSCP returns the IA32_TSC_AUX the guest "
			       "wrote, or #UD without "
			       "CPUID.80000001H:EDX.RDTSCP"),
		 do_rdtscp, FEAT_RDTSCP},
		{DECLARE_CHECK(
			 "conformance.cpuid.rdpid-tsc-aux",
			 "RDPID returns the IA32_TSC_AUX the guest wrote, "
			 "or #UD without CPUID.7.0:ECX.RDPID"),
		 do_rdpid, FEAT_RDPID},
	};

	if (this_cpu_has(FEAT_RDTSCP) || this_cpu_has(FEAT_RDPID))
		wrmsr(MSR_TSC_AUX, 0x5a5a1234);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		bool has = this_cpu_has(cases[i].f);
		struct fault f;
		u32 aux = 0;
		char saw[32];

		try_call(cases[i].fn, &aux, &f);
		report_result(
			cases[i].id,
			has ? f.vector == NO_FAULT && aux == 0x5a5a1234
			    : f.vector == UD_VECTOR,
			"expected %s, saw %s, TSC_AUX read %#x",
			has ? "0x5a5a1234 without exception"
			    : "#UD (not enumerated)",
			outcome_str(saw, sizeof(saw), f.vector, (long)f.error),
			aux);
	}
}

void probe_main(void)
{
	cr4_settable();
	osxsave();
	tsc_aux();
}
