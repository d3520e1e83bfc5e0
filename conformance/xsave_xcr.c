/*
 * conformance.xsave: XGETBV and XSETBV with CR4.OSXSAVE=1 (SDM Vol. 2D
 * XGETBV, XSETBV; Vol. 3A 2.6; Vol. 1 13.3), and what XCR0 decides:
 * CPUID leaf 0DH's sizes (Vol. 2A CPUID) and whether VEX instructions
 * run (Vol. 2A 2.3.10.1). The #UD with OSXSAVE=0 is in xsave.c.
 */
#include "xsave.h"

/* Ids and descriptions used by both a check and its skip; XID expands
 * them into CHECK_ID's pattern and description arguments. */
#define XID(buf, ...) CHECK_ID(buf, __VA_ARGS__)
#define XGETBV_ECX                                                             \
	"conformance.xsave.xgetbv.ecx.{1,2,3,64,bit31,all-ones}",              \
		"XGETBV with ECX={1:1,2,3,64,0x80000000,0xffffffff}: #GP(0) "  \
		"unless ECX=1 and CPUID.(0DH,1):EAX[2]=1 (XINUSE, a subset "   \
		"of XCR0)"
#define XSETBV_ECX                                                             \
	"conformance.xsave.xsetbv.ecx.{2,64,bit31,all-ones}",                  \
		"XSETBV with ECX={1:2,64,0x80000000,0xffffffff} (no such "     \
		"XCR) "                                                        \
		"raises #GP(0)"
#define TOGGLE                                                                 \
	"conformance.xsave.xsetbv.toggle{0..63}",                              \
		"XSETBV of XCR0 = 3 with bit {1} flipped: #GP(0) unless "      \
		"CPUID.(0DH,0) allows the bit and the result keeps the XCR0 "  \
		"rules"
#define COMBO                                                                  \
	"conformance.xsave.xsetbv.combo.{x87-only,avx,avx-no-sse,avx512,"      \
	"avx512-no-avx,opmask-only,zmm-no-opmask,mpx,bndregs-only,"            \
	"bndcsr-only,amx,tiledata-only,tilecfg-only,pkru,all-supported}",      \
		"XSETBV of the XCR0 combination {1}: #GP(0) unless every bit " \
		"is supported and the combination keeps SDM Vol. 3A 2.6"
#define SIZE_EBX                                                               \
	"conformance.xsave.size.ebx.{x87-sse,work}",                           \
		"CPUID.(0DH,0):EBX is the standard-format size for XCR0 = "    \
		"{1:x87|SSE,every plantable component}"

static void skip_all(const char *why);

/* One XSETBV(ECX=0) of v: #GP(0) iff !xcr0_valid(v), XCR0 reads back v
 * if it ran and is unchanged if it faulted. XCR0 is base afterwards. */
static void xsetbv_case(const char *id, u64 base, u64 v)
{
	bool ok = xcr0_valid(v);
	u64 after;
	struct fault f;
	char saw[32];

	xsetbv0(base);
	xop_ecx = 0;
	xop_mask = v;
	try_call(op_xsetbv, NULL, &f);
	after = xgetbv0();
	report_result(id,
		      (ok ? f.vector == NO_FAULT
			  : f.vector == GP_VECTOR && f.error == 0) &&
			      after == (ok ? v : base),
		      "expected %s and XCR0 %#llx, saw %s and XCR0 %#llx "
		      "(XCR0 was %#llx, wrote %#llx, CPUID.(0DH,0) allows "
		      "%#llx)",
		      ok ? "no exception" : "#GP(0)",
		      (unsigned long long)(ok ? v : base),
		      outcome_str(saw, sizeof(saw), f.vector, (long)f.error),
		      (unsigned long long)after, (unsigned long long)base,
		      (unsigned long long)v, (unsigned long long)xc.supported);
	xsetbv0(base);
}

/* Toggling each XCR0 bit in turn of x87|SSE: the rules one bit at a time. */
static void xsetbv_bits(void)
{
	char id[CHECK_ID_MAX];

	for (int b = 0; b < 64; b++)
		xsetbv_case(XID(id, TOGGLE, b), XF_X87 | XF_SSE,
			    (XF_X87 | XF_SSE) ^ (1ull << b));
}

/* The combinations SDM Vol. 3A 2.6 names, each from XCR0 = 3. */
static void xsetbv_combos(void)
{
	static const struct {
		u64 v;
	} c[] = {
		{XF_X87},
		{XF_X87 | XF_SSE | XF_AVX},
		{XF_X87 | XF_AVX},
		{XF_X87 | XF_SSE | XF_AVX | XF_AVX512},
		{XF_X87 | XF_SSE | XF_AVX512},
		{XF_X87 | XF_SSE | XF_AVX | XF_OPMASK},
		{XF_X87 | XF_SSE | XF_AVX | XF_ZMM_HI | XF_HI16},
		{XF_X87 | XF_SSE | (3ull << 3)},
		{XF_X87 | XF_SSE | (1ull << 3)},
		{XF_X87 | XF_SSE | (1ull << 4)},
		{XF_X87 | XF_SSE | XF_AVX | (3ull << 17)},
		{XF_X87 | XF_SSE | XF_AVX | (1ull << 18)},
		{XF_X87 | XF_SSE | XF_AVX | (1ull << 17)},
		{XF_X87 | XF_SSE | XF_PKRU},
		{0},
	};
	char id[CHECK_ID_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(c); i++)
		xsetbv_case(XID(id, COMBO, (int)i), XF_X87 | XF_SSE,
			    c[i].v ? c[i].v : xc.supported);
}

PROBE xsetbv_ecx_fn(void *a)
{
	(void)a;
	op_xsetbv(NULL);
}

/* XSETBV at CPL 1-3 and of an XCR other than XCR0 raise #GP(0) and leave
 * XCR0 as it was (Vol. 2D XSETBV "#GP(0) If the current privilege level
 * is not 0. If an invalid XCR is specified in ECX"). */
static void xsetbv_faults(void)
{
	static const u32 ecx[] = {2, 64, 0x80000000u, 0xffffffffu};
	char id[CHECK_ID_MAX];
	struct fault f;
	u64 base = XF_X87 | XF_SSE, after;

	for (size_t i = 0; i < ARRAY_SIZE(ecx); i++) {
		xsetbv0(base);
		xop_ecx = ecx[i];
		xop_mask = base;
		try_call(op_xsetbv, NULL, &f);
		after = xgetbv0();
		report_result(
			XID(id, XSETBV_ECX, (int)i),
			f.vector == GP_VECTOR && f.error == 0 && after == base,
			"expected #GP(0) and XCR0 %#llx, saw %s(%#lx), XCR0 "
			"%#llx",
			(unsigned long long)base, vector_name(f.vector),
			f.error, (unsigned long long)after);
	}
}

/* CPL 1-3 (run late: a CPL change ends some targets' runs). */
void xsave_xcr_cpl(void)
{
	char id[CHECK_ID_MAX];
	struct fault f;
	u64 base = XF_X87 | XF_SSE, v[4], after;
	const char *cid;

	for (int cpl = 1; cpl <= 3; cpl++) {
		CHECK_ID(id, "conformance.xsave.xsetbv.cpl{1..3}",
			 "XSETBV at CPL {1} raises #GP(0) and leaves XCR0",
			 cpl);
		if (!xc.on) {
			report_skipped(id, "%s", xc.why);
			continue;
		}
		xsetbv0(base);
		xop_ecx = 0;
		xop_mask = xc.work;
		run_at_cpl(cpl, xsetbv_ecx_fn, NULL, &f);
		after = xgetbv0();
		report_result(id,
			      f.vector == GP_VECTOR && f.error == 0 &&
				      after == base,
			      "expected #GP(0) and XCR0 %#llx, saw %s(%#lx), "
			      "XCR0 %#llx",
			      (unsigned long long)base, vector_name(f.vector),
			      f.error, (unsigned long long)after);
	}
	/* XGETBV is not privileged: every CPL reads the same XCR0. */
	for (int cpl = 0; cpl <= 3; cpl++) {
		CHECK_ID(id, "conformance.xsave.xgetbv.cpl{0..3}",
			 "XGETBV(0) at CPL {1} runs and reads the XCR0 written "
			 "at CPL 0",
			 cpl);
		if (!xc.on) {
			report_skipped(id, "%s", xc.why);
			continue;
		}
		xsetbv0(xc.work);
		xop_ecx = 0;
		v[cpl] = 0;
		run_at_cpl(cpl, op_xgetbv, &v[cpl], &f);
		report_result(id, f.vector == NO_FAULT && v[cpl] == xc.work,
			      "expected no exception and %#llx, saw %s, %#llx",
			      (unsigned long long)xc.work,
			      vector_name(f.vector),
			      (unsigned long long)v[cpl]);
	}
	cid = DECLARE_CHECK("conformance.xsave.xgetbv.xinuse-cpl3",
			    "XGETBV(1) at CPL 3 returns XCR0 AND XINUSE where "
			    "CPUID.(0DH,1):EAX[2]=1, else raises #GP(0)");
	if (!xc.on) {
		report_skipped(cid, "%s", xc.why);
	} else {
		xop_ecx = 1;
		v[0] = ~0ull;
		run_at_cpl(3, op_xgetbv, &v[0], &f);
		report_result(cid,
			      xc.xinuse ? f.vector == NO_FAULT &&
						  !(v[0] & ~xc.work)
					: f.vector == GP_VECTOR && !f.error,
			      "expected %s, saw %s, %#llx (XCR0 %#llx)",
			      xc.xinuse ? "a subset of XCR0" : "#GP(0)",
			      vector_name(f.vector), (unsigned long long)v[0],
			      (unsigned long long)xc.work);
	}
	cid = DECLARE_CHECK("conformance.xsave.xgetbv.ecx2-cpl3",
			    "XGETBV with ECX=2 at CPL 3 raises #GP(0)");
	if (!xc.on) {
		report_skipped(cid, "%s", xc.why);
	} else {
		xop_ecx = 2;
		run_at_cpl(3, op_xgetbv, &v[0], &f);
		check_fault(cid, GP_VECTOR, 0, &f);
	}
}

#ifdef __x86_64__
/* RAX and RDX into r[0] and r[1]. */
PROBE xgetbv_rcx_high(void *r)
{
	u64 a, d;

	asm volatile("mov $-1, %%rax\n\tmov $-1, %%rdx\n\txgetbv"
		     : "=&a"(a), "=&d"(d)
		     : "c"(1ull << 32));
	((u64 *)r)[0] = a;
	((u64 *)r)[1] = d;
}

PROBE xsetbv_high_halves(void *a)
{
	(void)a;
	asm volatile("xsetbv" ::"c"(1ull << 32),
		     "a"(0xdead000000000000ull | xc.work),
		     "d"(0xbeef000000000000ull));
}
#endif

/* XGETBV of an XCR the CPU lacks raises #GP(0); ECX=1 is XINUSE where
 * CPUID.(0DH,1):EAX[2] says so (Vol. 2D XGETBV). */
static void xgetbv_checks(void)
{
	static const u32 ecx[] = {1, 2, 3, 64, 0x80000000u, 0xffffffffu};
	char id[CHECK_ID_MAX];
	struct fault f;

	for (size_t i = 0; i < ARRAY_SIZE(ecx); i++) {
		bool ok = ecx[i] == 1 && xc.xinuse;
		u64 v = ~0ull;

		xop_ecx = ecx[i];
		try_call(op_xgetbv, &v, &f);
		XID(id, XGETBV_ECX, (int)i);
		report_result(
			id,
			ok ? f.vector == NO_FAULT && !(v & ~xc.work)
			   : f.vector == GP_VECTOR && f.error == 0,
			"expected %s, saw %s(%#lx), EDX:EAX %#llx",
			ok ? "no exception and a subset of XCR0" : "#GP(0)",
			vector_name(f.vector), f.error, (unsigned long long)v);
	}
#ifdef __x86_64__
	/* The high halves of RCX are ignored; RAX and RDX are written as
	 * 32-bit registers, so their high halves are cleared (Vol. 2D
	 * XGETBV, XSETBV; Vol. 1 3.4.1.1). */
	{
		u64 r[2] = {~0ull, ~0ull}, a, d, v;

		try_call(xgetbv_rcx_high, r, &f);
		a = r[0];
		d = r[1];
		v = (a & 0xffffffffu) | d << 32;
		report("conformance.xsave.xgetbv.rcx-high",
		       "64-bit: XGETBV ignores RCX[63:32] and clears "
		       "RAX[63:32] and RDX[63:32]",
		       a >> 32 == 0 && d >> 32 == 0 && v == xc.work,
		       "expected RAX %#llx, RDX 0, saw RAX %#llx, RDX %#llx",
		       (unsigned long long)xc.work, (unsigned long long)a,
		       (unsigned long long)d);
		xsetbv0(XF_X87 | XF_SSE);
		try_call(xsetbv_high_halves, NULL, &f);
		v = xgetbv0();
		report("conformance.xsave.xsetbv.high-halves",
		       "64-bit: XSETBV ignores RCX[63:32], RAX[63:32] and "
		       "RDX[63:32]",
		       f.vector == NO_FAULT && v == xc.work,
		       "expected no exception and XCR0 %#llx, saw %s and "
		       "%#llx",
		       (unsigned long long)xc.work, vector_name(f.vector),
		       (unsigned long long)v);
	}
#endif
}

/*
 * CPUID.(0DH,0):EBX is the XSAVE area size for the XCR0 in force, ECX
 * the size for every supported component (Vol. 2A CPUID leaf 0DH): a
 * monitor must recompute EBX when its guest writes XCR0.
 */
static u32 std_size(u64 xcr0)
{
	u32 s = EXT;

	for (int i = 2; i < 63; i++)
		if ((xcr0 >> i & 1) && xc.off[i] + xc.size[i] > s)
			s = xc.off[i] + xc.size[i];
	return s;
}

static void size_checks(void)
{
	static const u64 sets[] = {XF_X87 | XF_SSE, 0};
	char id[CHECK_ID_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
		u64 v = sets[i] ? sets[i] : xc.work;
		u32 b;

		xsetbv0(v);
		b = cpuid(0xd, 0).b;
		XID(id, SIZE_EBX, (int)i);
		report_result(id, b == std_size(v),
			      "expected %u (XCR0 %#llx), saw %u", std_size(v),
			      (unsigned long long)v, b);
	}
	report_eq("conformance.xsave.size.ecx",
		  "CPUID.(0DH,0):ECX is the standard-format size for every "
		  "supported user component",
		  std_size(xc.supported), cpuid(0xd, 0).c);
	xsetbv0(xc.work);
}

PROBE op_xorps(void *a)
{
	(void)a;
	asm volatile("xorps %xmm0, %xmm0");
}

/*
 * VEX instructions need XCR0[2:1] = 11b (Vol. 2A 2.3.10.1, Table 2-21
 * "#UD if XCR0[2:1] != 11b"); legacy SSE does not look at XCR0.
 */
static void avx_checks(void)
{
	struct fault f;

	xsetbv0(XF_X87 | XF_SSE);
	try_call(op_vxorps, NULL, &f);
	report_fault("conformance.xsave.avx.xcr0-sse",
		     "VXORPS raises #UD with XCR0 = x87|SSE (AVX not enabled)",
		     UD_VECTOR, 0, &f);
	xsetbv0(xc.supported & XF_AVX ? XF_X87 | XF_SSE | XF_AVX
				      : XF_X87 | XF_SSE);
	try_call(op_vxorps, NULL, &f);
	report_fault(
		"conformance.xsave.avx.xcr0-avx",
		"VXORPS runs with XCR0 = x87|SSE|AVX where CPUID.1:ECX.AVX "
		"and XCR0.AVX are supported, #UD otherwise",
		xc.avx && (xc.supported & XF_AVX) ? NO_FAULT : UD_VECTOR, 0,
		&f);
	xsetbv0(XF_X87);
	try_call(op_xorps, NULL, &f);
	report_nofault("conformance.xsave.avx.xcr0-x87-sse-legacy",
		       "XORPS (legacy SSE) runs with XCR0 = x87 only", &f);
	xsetbv0(xc.work);
}

void xsave_xcr_checks(void)
{
	if (!xc.on) {
		skip_all(xc.why);
		return;
	}
	xsetbv0(xc.work);
	xgetbv_checks();
	xsetbv_faults();
	xsetbv_bits();
	xsetbv_combos();
	size_checks();
	avx_checks();
	xsetbv0(xc.work);
}

static void skip_all(const char *why)
{
	char id[CHECK_ID_MAX];

	for (int i = 0; i < 6; i++)
		report_skipped(XID(id, XGETBV_ECX, i), "%s", why);
#ifdef __x86_64__
	report_skip("conformance.xsave.xgetbv.rcx-high",
		    "64-bit: XGETBV ignores RCX[63:32] and clears RAX[63:32] "
		    "and RDX[63:32]",
		    "%s", why);
	report_skip("conformance.xsave.xsetbv.high-halves",
		    "64-bit: XSETBV ignores RCX[63:32], RAX[63:32] and "
		    "RDX[63:32]",
		    "%s", why);
#endif
	for (int i = 0; i < 4; i++)
		report_skipped(XID(id, XSETBV_ECX, i), "%s", why);
	for (int b = 0; b < 64; b++)
		report_skipped(XID(id, TOGGLE, b), "%s", why);
	for (int i = 0; i < 15; i++)
		report_skipped(XID(id, COMBO, i), "%s", why);
	for (int i = 0; i < 2; i++)
		report_skipped(XID(id, SIZE_EBX, i), "%s", why);
	report_skip("conformance.xsave.size.ecx",
		    "CPUID.(0DH,0):ECX is the standard-format size for every "
		    "supported user component",
		    "%s", why);
	report_skip("conformance.xsave.avx.xcr0-sse",
		    "VXORPS raises #UD with XCR0 = x87|SSE (AVX not enabled)",
		    "%s", why);
	report_skip("conformance.xsave.avx.xcr0-avx",
		    "VXORPS runs with XCR0 = x87|SSE|AVX where CPUID.1:ECX.AVX "
		    "and XCR0.AVX are supported, #UD otherwise",
		    "%s", why);
	report_skip("conformance.xsave.avx.xcr0-x87-sse-legacy",
		    "XORPS (legacy SSE) runs with XCR0 = x87 only", "%s", why);
}
