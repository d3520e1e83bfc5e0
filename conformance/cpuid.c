/*
 * conformance.cpuid: what CPUID enumerates is what the CPU does (SDM
 * Vol. 2A CPUID; Vol. 3A 2.5). A monitor that shows its guest one CPU
 * and runs it on another fails here: a CR4 bit of an enumerated feature
 * must be settable, CPUID.1:ECX.OSXSAVE mirrors CR4.OSXSAVE, XGETBV and
 * XSETBV raise #UD while CR4.OSXSAVE is 0 and XSETBV keeps XCR0's rules
 * when it is 1, and RDTSCP/RDPID return the
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

static u32 xsetbv_ecx;
static u64 xsetbv_value;

PROBE do_xsetbv(void *a)
{
	(void)a;
	asm volatile("xsetbv" ::"c"(xsetbv_ecx), "a"((u32)xsetbv_value),
		     "d"((u32)(xsetbv_value >> 32)));
}

/* The lowest XCR0 bit from 2 up that CPUID leaf 0DH does not report as
 * supported (there is always one: bit 63 is reserved). */
static u64 unsupported_xcr0_bit(void)
{
	struct cpuid d = cpuid(0xd, 0);
	u64 supported = d.a | (u64)d.d << 32;

	for (int b = 2; b < 63; b++)
		if (!(supported & (1ull << b)))
			return 1ull << b;
	return 1ull << 63;
}

/*
 * XSETBV's rules with CR4.OSXSAVE=1 (SDM Vol. 2D XSETBV, Vol. 1 13.3):
 * writing XCR0's own value works; #GP(0) for an XCR other than XCR0, for
 * XCR0.X87 clear, for XCR0[2:1] = 10b (AVX without SSE) and for a bit
 * the CPU does not support. The faulting writes change nothing.
 */
enum xsetbv_write { SAME, X87_CLEAR, AVX_NO_SSE, UNSUPPORTED, XCR1, NWRITES };

/* The checks' ids, in enum xsetbv_write order. */
static void xsetbv_ids(const char *ids[NWRITES])
{
	const char *const v[NWRITES] = {
		DECLARE_CHECK("conformance.cpuid.xsetbv-same",
			      "XSETBV of XCR0's own value runs"),
		DECLARE_CHECK("conformance.cpuid.xsetbv-x87-clear",
			      "XSETBV with XCR0.X87=0 raises #GP(0)"),
		DECLARE_CHECK("conformance.cpuid.xsetbv-avx-without-sse",
			      "XSETBV with XCR0[2:1]=10b raises #GP(0)"),
		DECLARE_CHECK("conformance.cpuid.xsetbv-unsupported",
			      "XSETBV of an XCR0 bit CPUID leaf 0DH does not "
			      "report raises #GP(0)"),
		DECLARE_CHECK("conformance.cpuid.xsetbv-xcr1",
			      "XSETBV to an XCR other than XCR0 (ECX=1) "
			      "raises #GP(0)"),
	};

	for (int i = 0; i < NWRITES; i++)
		ids[i] = v[i];
}

static void xsetbv_rules(u64 xcr0)
{
	const char *ids[NWRITES];

	xsetbv_ids(ids);
	for (int i = 0; i < NWRITES; i++) {
		enum xsetbv_write w = (enum xsetbv_write)i;
		struct fault f, g;
		u64 after = 0;
		char saw[32];

		xsetbv_ecx = w == XCR1;
		xsetbv_value = w == SAME	 ? xcr0
			       : w == X87_CLEAR	 ? xcr0 & ~1ull
			       : w == AVX_NO_SSE ? (xcr0 | 4) & ~2ull
			       : w == UNSUPPORTED
				       ? xcr0 | unsupported_xcr0_bit()
				       : 1;
		try_call(do_xsetbv, NULL, &f);
		try_call(do_xgetbv, &after, &g);
		report_result(
			ids[i],
			(w == SAME ? f.vector == NO_FAULT
				   : f.vector == GP_VECTOR && !f.error) &&
				after == xcr0,
			"expected %s and XCR0 %#llx after, saw %s, XCR0 %#llx "
			"(ECX %u, value %#llx)",
			w == SAME ? "no exception" : "#GP(0)",
			(unsigned long long)xcr0,
			outcome_str(saw, sizeof(saw), f.vector, (long)f.error),
			(unsigned long long)after, xsetbv_ecx,
			(unsigned long long)xsetbv_value);
	}
}

/* CPUID.1:ECX.OSXSAVE reflects CR4.OSXSAVE; XGETBV and XSETBV raise #UD
 * while it is 0 (SDM Vol. 2A CPUID Table 3-10, Vol. 2D XGETBV, XSETBV). */
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
	xsetbv_ecx = 0;
	xsetbv_value = 3;
	try_call(do_xsetbv, NULL, &f);
	report("conformance.cpuid.xsetbv-ud",
	       "XSETBV raises #UD while CR4.OSXSAVE=0", f.vector == UD_VECTOR,
	       "expected #UD (CR4.OSXSAVE=0), saw %s",
	       outcome_str(saw, sizeof(saw), f.vector, (long)f.error));
	if (!xsave) {
		report_skip("conformance.cpuid.osxsave-set",
			    "with CR4.OSXSAVE=1, CPUID.1:ECX.OSXSAVE reads 1 "
			    "and XGETBV runs",
			    "CPUID does not enumerate xsave");
		const char *ids[NWRITES];

		xsetbv_ids(ids);
		for (int i = 0; i < NWRITES; i++)
			report_skipped(ids[i],
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
		if (fs.vector == NO_FAULT && this_cpu_has(FEAT_OSXSAVE) &&
		    f.vector == NO_FAULT) {
			xsetbv_rules(xcr0);
		} else {
			const char *ids[NWRITES];

			xsetbv_ids(ids);
			for (int i = 0; i < NWRITES; i++)
				report_skipped(ids[i],
					       "CR4.OSXSAVE could not be set "
					       "(osxsave-set)");
		}
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
