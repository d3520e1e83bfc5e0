/*
 * conformance.xsave: the XSAVE area (SDM Vol. 1 13.4-13.12; Vol. 2
 * XSAVE, XSAVEOPT, XSAVEC, XSAVES, XRSTOR, XRSTORS). What each
 * instruction writes and leaves (the header fields, the legacy region,
 * components outside the requested-feature bitmap RFBM), the standard
 * and compacted layouts as CPUID leaf 0DH describes them, the header
 * checks of XRSTOR, the 64-byte alignment, XINUSE, and CPL.
 */
#include "xsave.h"

static u8 A[AREA_BYTES] __attribute__((aligned(64)));
static u8 B[AREA_BYTES] __attribute__((aligned(64)));
static u8 C[AREA_BYTES] __attribute__((aligned(64)));

static const u8 PAT[16] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
			   0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xf1, 0xf2};
static const u8 PAT2[16] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
			    0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10};
static const u8 ZERO[16];

static u64 get64(const u8 *p, unsigned off)
{
	u64 v;

	memcpy(&v, p + off, 8);
	return v;
}
static void put64(u8 *p, unsigned off, u64 v)
{
	memcpy(p + off, &v, 8);
}
static u32 get32(const u8 *p, unsigned off)
{
	u32 v;

	memcpy(&v, p + off, 4);
	return v;
}

/* Whether bytes [from, to) of p all hold b. */
static bool all(const u8 *p, unsigned from, unsigned to, u8 b)
{
	for (unsigned i = from; i < to; i++)
		if (p[i] != b)
			return false;
	return true;
}

/* Runs op on buf with mask at CPL 0; returns the vector. */
static int run(void (*op)(void *), u8 *buf, u64 mask, struct fault *f)
{
	xop_addr = buf;
	xop_mask = mask;
	return try_call(op, NULL, f);
}

/* A skip when the check's precondition is missing; true if skipped. */
static bool unmet(const char *id, bool need, const char *what)
{
	if (!xc.on) {
		report_skipped(id, "%s", xc.why);
		return true;
	}
	if (!need) {
		report_skipped(id, "%s", what);
		return true;
	}
	return false;
}

#define CHECK(var, id, desc) const char *var = DECLARE_CHECK(id, desc)
#define HAS_AVX		     (xc.avx && (xc.work & XF_AVX))
#define NO_AVX		     "CPUID does not enumerate AVX (or XCR0.AVX)"
#define NO_XSAVEC	     "CPUID.(0DH,1):EAX[1] (XSAVEC) is 0"
#define NO_XSAVES	     "CPUID.(0DH,1):EAX[3] (XSAVES) is 0"
#define NO_XINUSE	     "CPUID.(0DH,1):EAX[2] (XGETBV with ECX=1) is 0"
#define NOT_INTEL                                                              \
	"the rule is the Intel SDM's; the AMD APM does not state it (vendor "  \
	"is not GenuineIntel)"

/*
 * XSAVE and XSAVEOPT (Vol. 1 13.7, 13.9): XSTATE_BV[i] is written only
 * for i in RFBM (1 where component i is not in its initial state), no
 * other header byte and no byte of 511:464 is written, and a component
 * outside RFBM is not saved; MXCSR goes with RFBM[1] or RFBM[2].
 */
static void save_checks(int opt)
{
	void (*op)(void *) = opt ? op_xsaveopt : op_xsave;
	bool has = !opt || xc.opt;
	const char *no = "CPUID.(0DH,1):EAX[0] (XSAVEOPT) is 0";
	char id[CHECK_ID_MAX];
	struct fault f;
	u64 pre = 0xa5a5a5a5a5a5a5a4ull, v;

#define SAVE_ID(name, desc)                                                    \
	CHECK_ID(id, "conformance.xsave.{xsave,xsaveopt}." name,               \
		 "{1:XSAVE,XSAVEOPT}: " desc, opt)

	SAVE_ID("rfbm0", "with EDX:EAX = 0 writes no byte of the area");
	if (!unmet(id, has, no)) {
		memset(C, 0x5a, sizeof(C));
		run(op, C, 0, &f);
		report_result(
			id, f.vector == NO_FAULT && all(C, 0, sizeof(C), 0x5a),
			"expected no exception and every byte 0x5a, saw "
			"%s, XSTATE_BV %#llx",
			vector_name(f.vector),
			(unsigned long long)get64(C, HDR));
	}
	SAVE_ID("xstate-bv-outside-rfbm",
		"keeps the XSTATE_BV bits outside RFBM (RFBM = x87)");
	if (!unmet(id, has, no)) {
		memset(C, 0, sizeof(C));
		put64(C, HDR, pre);
		run(op, C, XF_X87, &f);
		v = get64(C, HDR);
		report_result(id,
			      f.vector == NO_FAULT &&
				      (v & ~1ull) == (pre & ~1ull),
			      "expected no exception and XSTATE_BV[63:1] of "
			      "%#llx, saw %s, %#llx",
			      (unsigned long long)pre, vector_name(f.vector),
			      (unsigned long long)v);
	}
	SAVE_ID("header-rest",
		"writes no header byte but XSTATE_BV (XCOMP_BV, bytes 63:16)");
	if (!unmet(id, has, no)) {
		memset(C, 0xa5, sizeof(C));
		run(op, C, xc.work, &f);
		report_result(id,
			      f.vector == NO_FAULT &&
				      all(C, HDR + 8, HDR + 64, 0xa5),
			      "expected no exception and header bytes 63:8 "
			      "unchanged (0xa5), saw %s, XCOMP_BV %#llx",
			      vector_name(f.vector),
			      (unsigned long long)get64(C, HDR + 8));
	}
	SAVE_ID("legacy-464", "writes no byte of 511:464 of the legacy region");
	if (!unmet(id, has, no)) {
		memset(C, 0xa5, sizeof(C));
		run(op, C, xc.work, &f);
		report_result(id,
			      f.vector == NO_FAULT && all(C, 464, 512, 0xa5),
			      "expected no exception and bytes 511:464 "
			      "unchanged, saw %s",
			      vector_name(f.vector));
	}
	SAVE_ID("rfbm-x87", "with RFBM = x87 writes neither MXCSR nor the XMM "
			    "registers (bytes 31:24, 415:160)");
	if (!unmet(id, has, no)) {
		memset(C, 0xa5, sizeof(C));
		run(op, C, XF_X87, &f);
		report_result(id,
			      f.vector == NO_FAULT && all(C, 24, 32, 0xa5) &&
				      all(C, 160, 416, 0xa5),
			      "expected no exception and bytes 31:24 and "
			      "415:160 unchanged, saw %s, MXCSR field %#x",
			      vector_name(f.vector), get32(C, 24));
	}
	SAVE_ID("rfbm-sse",
		"with RFBM = SSE writes no x87 byte (23:0, 159:32)");
	if (!unmet(id, has, no)) {
		memset(C, 0xa5, sizeof(C));
		run(op, C, XF_SSE, &f);
		report_result(id,
			      f.vector == NO_FAULT && all(C, 0, 24, 0xa5) &&
				      all(C, 32, 160, 0xa5),
			      "expected no exception and the x87 bytes "
			      "unchanged, saw %s, FCW field %#x",
			      vector_name(f.vector), get32(C, 0) & 0xffff);
	}
	SAVE_ID("xmm0", "with RFBM = SSE saves XMM0 at byte 160 and sets "
			"XSTATE_BV[1] (XMM0 is not in its initial state)");
	if (!unmet(id, has, no)) {
		memset(C, 0, sizeof(C));
		set_xmm0(PAT);
		run(op, C, XF_SSE, &f);
		v = get64(C, HDR);
		report_result(id,
			      f.vector == NO_FAULT &&
				      !memcmp(C + 160, PAT, 16) && (v & XF_SSE),
			      "expected no exception, XMM0 %02x%02x.. at 160 "
			      "and XSTATE_BV[1], saw %s, %02x%02x.., XSTATE_BV "
			      "%#llx",
			      PAT[0], PAT[1], vector_name(f.vector), C[160],
			      C[161], (unsigned long long)v);
	}
	SAVE_ID("mxcsr", "with RFBM = SSE saves MXCSR at byte 24 and "
			 "MXCSR_MASK (as FXSAVE writes it) at byte 28");
	if (!unmet(id, has, no)) {
		u32 mask;

		set_mxcsr(0x9f80);
		memset(C, 0, sizeof(C));
		xstate_op(op_fxsave, C);
		mask = get32(C, 28);
		memset(C, 0, sizeof(C));
		run(op, C, XF_SSE, &f);
		set_mxcsr(0x1f80);
		report_result(id,
			      f.vector == NO_FAULT && get32(C, 24) == 0x9f80 &&
				      get32(C, 28) == mask,
			      "expected no exception, MXCSR 0x9f80, MXCSR_MASK "
			      "%#x, saw %s, %#x, %#x",
			      mask, vector_name(f.vector), get32(C, 24),
			      get32(C, 28));
	}
	SAVE_ID("mxcsr-rfbm-avx",
		"with RFBM = AVX alone saves MXCSR (Intel SDM Vol. 1 13.7)");
	if (!unmet(id, has && HAS_AVX && xc.intel,
		   !has	      ? no
		   : !HAS_AVX ? NO_AVX
			      : NOT_INTEL)) {
		set_mxcsr(0x9f80);
		memset(C, 0, sizeof(C));
		run(op, C, XF_AVX, &f);
		set_mxcsr(0x1f80);
		report_result(id,
			      f.vector == NO_FAULT && get32(C, 24) == 0x9f80,
			      "expected no exception and MXCSR 0x9f80, saw %s, "
			      "%#x",
			      vector_name(f.vector), get32(C, 24));
	}
	SAVE_ID("ymm0-hi", "with RFBM = AVX saves YMM0[255:128] at "
			   "CPUID.(0DH,2):EBX and sets XSTATE_BV[2]");
	if (!unmet(id, has && HAS_AVX, !has ? no : NO_AVX)) {
		memset(C, 0, sizeof(C));
		set_xmm0(PAT2);
		set_ymm0_hi(PAT);
		run(op, C, XF_AVX, &f);
		v = get64(C, HDR);
		report_result(id,
			      f.vector == NO_FAULT &&
				      !memcmp(C + xc.off[2], PAT, 16) &&
				      (v & XF_AVX),
			      "expected no exception, the pattern at %u and "
			      "XSTATE_BV[2], saw %s, %02x%02x.., XSTATE_BV "
			      "%#llx",
			      xc.off[2], vector_name(f.vector), C[xc.off[2]],
			      C[xc.off[2] + 1], (unsigned long long)v);
	}
	SAVE_ID("fcw", "with RFBM = x87 saves FCW at byte 0");
	if (!unmet(id, has, no)) {
		memset(C, 0, sizeof(C));
		set_fcw(0x027f);
		run(op, C, XF_X87, &f);
		asm volatile("fninit");
		report_result(id,
			      f.vector == NO_FAULT &&
				      (get32(C, 0) & 0xffff) == 0x027f,
			      "expected no exception and FCW 0x27f, saw %s, "
			      "%#x",
			      vector_name(f.vector), get32(C, 0) & 0xffff);
	}
#undef SAVE_ID
}

/*
 * XRSTOR (Vol. 1 13.8, Vol. 2 XRSTOR): RFBM[i]=1 loads component i if
 * XSTATE_BV[i]=1 and initialises it otherwise; RFBM[i]=0 leaves it. The
 * standard form raises #GP(0) for an XSTATE_BV bit outside XCR0, for
 * header bytes 23:8 not zero, and for MXCSR reserved bits it would load;
 * XCOMP_BV[63]=1 without compaction support is #GP(0) too.
 */
static void restore_checks(void)
{
	struct fault f;
	u8 r[16];
	u64 bad = 0;

	for (int b = 2; b < 63 && !bad; b++)
		if (!(xc.work >> b & 1))
			bad = 1ull << b;

	CHECK(rt_xmm, "conformance.xsave.xrstor.xmm0",
	      "XRSTOR loads XMM0 from the image XSAVE wrote");
	if (!unmet(rt_xmm, true, "")) {
		set_xmm0(PAT);
		run(op_xsave, A, xc.work, &f);
		set_xmm0(PAT2);
		run(op_xrstor, A, xc.work, &f);
		get_xmm0(r);
		report_result(
			rt_xmm, f.vector == NO_FAULT && !memcmp(r, PAT, 16),
			"expected no exception and XMM0 %02x%02x.., saw "
			"%s, %02x%02x..",
			PAT[0], PAT[1], vector_name(f.vector), r[0], r[1]);
	}
	CHECK(rt_ymm, "conformance.xsave.xrstor.ymm0-hi",
	      "XRSTOR loads YMM0[255:128] from the image XSAVE wrote");
	if (!unmet(rt_ymm, HAS_AVX, NO_AVX)) {
		set_ymm0_hi(PAT);
		run(op_xsave, A, xc.work, &f);
		set_ymm0_hi(PAT2);
		run(op_xrstor, A, xc.work, &f);
		get_ymm0_hi(r);
		report_result(
			rt_ymm, f.vector == NO_FAULT && !memcmp(r, PAT, 16),
			"expected no exception and %02x%02x.., saw %s, "
			"%02x%02x..",
			PAT[0], PAT[1], vector_name(f.vector), r[0], r[1]);
	}
	CHECK(rt_fcw, "conformance.xsave.xrstor.fcw",
	      "XRSTOR loads FCW from the image XSAVE wrote");
	if (!unmet(rt_fcw, true, "")) {
		u16 w;

		set_fcw(0x027f);
		run(op_xsave, A, xc.work, &f);
		asm volatile("fninit");
		run(op_xrstor, A, xc.work, &f);
		w = get_fcw();
		asm volatile("fninit");
		report_result(rt_fcw, f.vector == NO_FAULT && w == 0x027f,
			      "expected no exception and FCW 0x27f, saw %s, "
			      "%#x",
			      vector_name(f.vector), w);
	}
	CHECK(in_xmm, "conformance.xsave.xrstor.init-xmm0",
	      "XRSTOR with RFBM[1]=1 and XSTATE_BV[1]=0 sets XMM0 to 0");
	if (!unmet(in_xmm, true, "")) {
		set_xmm0(PAT);
		run(op_xsave, A, xc.work, &f);
		put64(A, HDR, get64(A, HDR) & ~XF_SSE);
		run(op_xrstor, A, xc.work, &f);
		get_xmm0(r);
		report_result(in_xmm,
			      f.vector == NO_FAULT && !memcmp(r, ZERO, 16),
			      "expected no exception and XMM0 0, saw %s, "
			      "%02x%02x..",
			      vector_name(f.vector), r[0], r[1]);
	}
	CHECK(in_fcw, "conformance.xsave.xrstor.init-fcw",
	      "XRSTOR with RFBM[0]=1 and XSTATE_BV[0]=0 sets FCW to 0x37f");
	if (!unmet(in_fcw, true, "")) {
		u16 w;

		set_fcw(0x027f);
		run(op_xsave, A, xc.work, &f);
		put64(A, HDR, get64(A, HDR) & ~XF_X87);
		run(op_xrstor, A, xc.work, &f);
		w = get_fcw();
		asm volatile("fninit");
		report_result(in_fcw, f.vector == NO_FAULT && w == 0x037f,
			      "expected no exception and FCW 0x37f, saw %s, "
			      "%#x",
			      vector_name(f.vector), w);
	}
	CHECK(in_ymm, "conformance.xsave.xrstor.init-ymm0-hi",
	      "XRSTOR with RFBM[2]=1 and XSTATE_BV[2]=0 sets YMM0[255:128] "
	      "to 0");
	if (!unmet(in_ymm, HAS_AVX, NO_AVX)) {
		set_ymm0_hi(PAT);
		run(op_xsave, A, xc.work, &f);
		put64(A, HDR, get64(A, HDR) & ~XF_AVX);
		run(op_xrstor, A, xc.work, &f);
		get_ymm0_hi(r);
		report_result(in_ymm,
			      f.vector == NO_FAULT && !memcmp(r, ZERO, 16),
			      "expected no exception and 0, saw %s, "
			      "%02x%02x..",
			      vector_name(f.vector), r[0], r[1]);
	}
	CHECK(keep, "conformance.xsave.xrstor.rfbm-keeps",
	      "XRSTOR with RFBM = x87 leaves XMM0 (SSE outside RFBM)");
	if (!unmet(keep, true, "")) {
		set_xmm0(PAT);
		run(op_xsave, A, xc.work, &f);
		set_xmm0(PAT2);
		run(op_xrstor, A, XF_X87, &f);
		get_xmm0(r);
		report_result(
			keep, f.vector == NO_FAULT && !memcmp(r, PAT2, 16),
			"expected no exception and XMM0 %02x%02x.., saw "
			"%s, %02x%02x..",
			PAT2[0], PAT2[1], vector_name(f.vector), r[0], r[1]);
	}
	CHECK(mx_avx, "conformance.xsave.xrstor.mxcsr-rfbm-avx",
	      "XRSTOR (standard form) with RFBM = AVX alone loads MXCSR "
	      "(Intel SDM Vol. 2 XRSTOR)");
	if (!unmet(mx_avx, HAS_AVX && xc.intel,
		   !HAS_AVX ? NO_AVX : NOT_INTEL)) {
		u32 m;

		set_mxcsr(0x1f80);
		run(op_xsave, A, xc.work, &f);
		memcpy(A + 24, &(u32){0x9f80}, 4);
		run(op_xrstor, A, XF_AVX, &f);
		m = get_mxcsr();
		set_mxcsr(0x1f80);
		report_result(mx_avx, f.vector == NO_FAULT && m == 0x9f80,
			      "expected no exception and MXCSR 0x9f80, saw %s, "
			      "%#x",
			      vector_name(f.vector), m);
	}

	/* The #GP(0) cases, each on a fresh valid image. */
	static const char *const gp_what[] = {
		"an XSTATE_BV bit outside XCR0",
		"XCOMP_BV = 1 (bit 63 clear, header bytes 23:8 not zero)",
		"header byte 16 not zero",
		"MXCSR bit 31 (reserved) set, RFBM[1]=1",
	};
	char id[CHECK_ID_MAX];

	for (int i = 0; i < 4; i++) {
		CHECK_ID(id,
			 "conformance.xsave.xrstor.gp.{xstate-bv-not-xcr0,"
			 "xcomp-bv,header-16,mxcsr-reserved}",
			 "XRSTOR (standard form) of an image with {1:an "
			 "XSTATE_BV bit outside XCR0,XCOMP_BV = 1,header byte "
			 "16 set,a reserved MXCSR bit} raises #GP(0)",
			 i);
		if (unmet(id, true, ""))
			continue;
		run(op_xsave, A, xc.work, &f);
		if (i == 0)
			put64(A, HDR, get64(A, HDR) | bad);
		else if (i == 1)
			put64(A, HDR + 8, 1);
		else if (i == 2)
			A[HDR + 16] = 1;
		else
			memcpy(A + 24, &(u32){0x80001f80u}, 4);
		run(op_xrstor, A, xc.work, &f);
		report_result(id, f.vector == GP_VECTOR && f.error == 0,
			      "expected #GP(0) for %s (XCR0 %#llx), saw %s",
			      gp_what[i], (unsigned long long)xc.work,
			      vector_name(f.vector));
	}
	CHECK(mx_un, "conformance.xsave.xrstor.mxcsr-not-loaded",
	      "XRSTOR with RFBM = x87 ignores a reserved MXCSR bit in the "
	      "image (MXCSR is not loaded)");
	if (!unmet(mx_un, true, "")) {
		run(op_xsave, A, xc.work, &f);
		memcpy(A + 24, &(u32){0x80001f80u}, 4);
		run(op_xrstor, A, XF_X87, &f);
		check_fault(mx_un, NO_FAULT, 0, &f);
	}
	CHECK(cf, "conformance.xsave.xrstor.compacted-unsupported",
	      "XRSTOR of an image with XCOMP_BV[63]=1 raises #GP(0) where "
	      "CPUID.(0DH,1):EAX[1] (compaction) is 0");
	if (!unmet(cf, !xc.compact,
		   "compaction is enumerated (xsavec.* check the form)")) {
		run(op_xsave, A, xc.work, &f);
		put64(A, HDR + 8, XCOMP_FORM | xc.work);
		run(op_xrstor, A, xc.work, &f);
		check_fault(cf, GP_VECTOR, 0, &f);
	}
}

/* Where component c lies in a compacted image whose XCOMP_BV is xcomp
 * (Vol. 1 13.4.3): after every lower component in xcomp, 64-byte
 * aligned where CPUID.(0DH,c):ECX[1] says so. */
static unsigned compact_off(u64 xcomp, int c)
{
	unsigned off = EXT;

	for (int i = 2; i < c; i++) {
		if (!(xcomp >> i & 1))
			continue;
		if (xc.align64[i])
			off = (off + 63) & ~63u;
		off += xc.size[i];
	}
	if (xc.align64[c])
		off = (off + 63) & ~63u;
	return off;
}

/* Components whose first bytes the layout checks plant through XRSTOR
 * and find again after XSAVEC: AVX, opmask, ZMM_Hi256 and PKRU. */
static const int plant[] = {2, 5, 6, 9};

/*
 * XSAVEC (Vol. 1 13.10): XCOMP_BV = RFBM with bit 63 set, XSTATE_BV =
 * RFBM AND XINUSE, bytes 511:464 kept, the compacted layout; the
 * compacted XRSTOR's own #GP(0) cases (13.8.2).
 */
static void compact_checks(void)
{
	char id[CHECK_ID_MAX];
	struct fault f;
	u8 r[16];
	u64 v;

	for (int i = 0; i < 2; i++) {
		u64 m = i ? XF_SSE : xc.work;

		CHECK_ID(id, "conformance.xsave.xsavec.xcomp-bv.{work,sse}",
			 "XSAVEC writes XCOMP_BV = RFBM | bit 63 (RFBM = "
			 "{1:XCR0,SSE})",
			 i);
		if (unmet(id, xc.compact, NO_XSAVEC))
			continue;
		memset(B, 0xa5, sizeof(B));
		run(op_xsavec, B, m, &f);
		v = get64(B, HDR + 8);
		report_result(id, f.vector == NO_FAULT && v == (XCOMP_FORM | m),
			      "expected no exception and %#llx, saw %s, %#llx",
			      (unsigned long long)(XCOMP_FORM | m),
			      vector_name(f.vector), (unsigned long long)v);
	}
	CHECK(sub, "conformance.xsave.xsavec.xstate-bv",
	      "XSAVEC writes XSTATE_BV = RFBM AND XINUSE: 0 outside RFBM, "
	      "bit 1 for XMM0 not 0 (RFBM = SSE)");
	if (!unmet(sub, xc.compact, NO_XSAVEC)) {
		memset(B, 0xff, sizeof(B));
		set_xmm0(PAT);
		run(op_xsavec, B, XF_SSE, &f);
		v = get64(B, HDR);
		report_result(
			sub,
			f.vector == NO_FAULT && v == XF_SSE &&
				!memcmp(B + 160, PAT, 16),
			"expected no exception, XSTATE_BV 0x2 and XMM0 at "
			"160, saw %s, %#llx, %02x%02x..",
			vector_name(f.vector), (unsigned long long)v, B[160],
			B[161]);
	}
	CHECK(leg, "conformance.xsave.xsavec.legacy-464",
	      "XSAVEC writes no byte of 511:464 of the legacy region");
	if (!unmet(leg, xc.compact, NO_XSAVEC)) {
		memset(B, 0xa5, sizeof(B));
		run(op_xsavec, B, xc.work, &f);
		report_result(leg,
			      f.vector == NO_FAULT && all(B, 464, 512, 0xa5),
			      "expected no exception and bytes 511:464 "
			      "unchanged, saw %s",
			      vector_name(f.vector));
	}

	/* Plant a pattern in each component through a standard image. */
	u64 planted = 0;
	int planted_by = NO_FAULT;

	if (xc.on && xc.compact) {
		memset(A, 0, sizeof(A));
		run(op_xsave, A, xc.work, &f);
		for (size_t k = 0; k < ARRAY_SIZE(plant); k++) {
			int c = plant[k];

			if (!(xc.work >> c & 1))
				continue;
			for (unsigned j = 0; j < (c == 9 ? 4u : 16u); j++)
				A[xc.off[c] + j] = (u8)(0x30 + c * 16 + j);
			planted |= 1ull << c;
		}
		put64(A, HDR, get64(A, HDR) | planted);
		planted_by = run(op_xrstor, A, xc.work, &f);
	}
	for (int skip = 0; skip < 2; skip++)
		for (size_t k = 0; k < ARRAY_SIZE(plant); k++) {
			int c = plant[k];
			u64 m = skip ? xc.work & ~XF_AVX : xc.work;
			unsigned at, n = c == 9 ? 4 : 16;
			bool same = true;

			CHECK_ID(id,
				 "conformance.xsave.xsavec.layout.{all,no-avx}."
				 "{avx,opmask,zmm-hi256,pkru}",
				 "XSAVEC with RFBM = {1:XCR0,XCR0 without AVX} "
				 "puts the {2:AVX,opmask,ZMM_Hi256,PKRU} "
				 "component at its compacted offset "
				 "(Vol. 1 13.4.3)",
				 skip, (int)k);
			if (unmet(id, xc.compact, NO_XSAVEC))
				continue;
			if (!(planted >> c & 1) || (skip && c == 2)) {
				report_skipped(id, "%s",
					       skip && c == 2
						       ? "AVX is outside RFBM"
						       : "XCR0 lacks the "
							 "component");
				continue;
			}
			memset(B, 0, sizeof(B));
			run(op_xsavec, B, m, &f);
			at = compact_off(m, c);
			for (unsigned j = 0; j < n; j++)
				same &= B[at + j] == (u8)(0x30 + c * 16 + j);
			report_result(id,
				      planted_by == NO_FAULT &&
					      f.vector == NO_FAULT && same,
				      "expected the planted bytes %02x.. at "
				      "%u (XCOMP_BV %#llx), saw XRSTOR %s, "
				      "XSAVEC %s, %02x..",
				      0x30 + c * 16, at,
				      (unsigned long long)get64(B, HDR + 8),
				      vector_name(planted_by),
				      vector_name(f.vector), B[at]);
		}

	CHECK(rt, "conformance.xsave.xsavec.xrstor",
	      "XRSTOR (compacted form) loads XMM0 from the image XSAVEC "
	      "wrote");
	if (!unmet(rt, xc.compact, NO_XSAVEC)) {
		set_xmm0(PAT);
		run(op_xsavec, B, xc.work, &f);
		set_xmm0(PAT2);
		run(op_xrstor, B, xc.work, &f);
		get_xmm0(r);
		report_result(rt, f.vector == NO_FAULT && !memcmp(r, PAT, 16),
			      "expected no exception and XMM0 %02x%02x.., saw "
			      "%s, %02x%02x..",
			      PAT[0], PAT[1], vector_name(f.vector), r[0],
			      r[1]);
	}
	for (int i = 0; i < 3; i++) {
		u64 bad = 0;

		CHECK_ID(id,
			 "conformance.xsave.xsavec.gp.{xcomp-not-xcr0,"
			 "xstate-not-xcomp,header-40}",
			 "XRSTOR (compacted form) of an image with {1:an "
			 "XCOMP_BV bit outside XCR0,an XSTATE_BV bit outside "
			 "XCOMP_BV,header byte 40 set} raises #GP(0)",
			 i);
		if (unmet(id, xc.compact, NO_XSAVEC))
			continue;
		for (int b = 2; b < 63 && !bad; b++)
			if (!(xc.work >> b & 1))
				bad = 1ull << b;
		run(op_xsavec, B, i == 1 ? XF_X87 : xc.work, &f);
		if (i == 0)
			put64(B, HDR + 8, get64(B, HDR + 8) | bad);
		else if (i == 1)
			put64(B, HDR, get64(B, HDR) | XF_SSE);
		else
			B[HDR + 40] = 1;
		run(op_xrstor, B, xc.work, &f);
		check_fault(id, GP_VECTOR, 0, &f);
	}
}

/* XSAVES/XRSTORS at CPL 0 (Vol. 1 13.11, 13.12): XCOMP_BV = RFBM | bit
 * 63; XRSTORS refuses a standard-form image (#GP(0)). */
static void supervisor_checks(void)
{
	struct fault f;
	u8 r[16];
	u64 v;

	CHECK(xb, "conformance.xsave.xsaves.xcomp-bv",
	      "XSAVES writes XCOMP_BV = RFBM | bit 63 (RFBM = XCR0)");
	if (!unmet(xb, xc.sup, NO_XSAVES)) {
		memset(B, 0xa5, sizeof(B));
		run(op_xsaves, B, xc.work, &f);
		v = get64(B, HDR + 8);
		report_result(
			xb, f.vector == NO_FAULT && v == (XCOMP_FORM | xc.work),
			"expected no exception and %#llx, saw %s, %#llx",
			(unsigned long long)(XCOMP_FORM | xc.work),
			vector_name(f.vector), (unsigned long long)v);
	}
	CHECK(rt, "conformance.xsave.xsaves.xrstors",
	      "XRSTORS loads XMM0 from the image XSAVES wrote");
	if (!unmet(rt, xc.sup, NO_XSAVES)) {
		set_xmm0(PAT);
		run(op_xsaves, B, xc.work, &f);
		set_xmm0(PAT2);
		run(op_xrstors, B, xc.work, &f);
		get_xmm0(r);
		report_result(rt, f.vector == NO_FAULT && !memcmp(r, PAT, 16),
			      "expected no exception and XMM0 %02x%02x.., saw "
			      "%s, %02x%02x..",
			      PAT[0], PAT[1], vector_name(f.vector), r[0],
			      r[1]);
	}
	CHECK(sf, "conformance.xsave.xsaves.standard-form",
	      "XRSTORS of a standard-form image (XCOMP_BV[63]=0) raises "
	      "#GP(0)");
	if (!unmet(sf, xc.sup, NO_XSAVES)) {
		run(op_xsave, A, xc.work, &f);
		run(op_xrstors, A, xc.work, &f);
		check_fault(sf, GP_VECTOR, 0, &f);
	}
	CHECK(sz, "conformance.xsave.size.xsaves-ebx",
	      "CPUID.(0DH,1):EBX is the compacted size for XCR0 | IA32_XSS");
	if (!unmet(sz, xc.sup, NO_XSAVES)) {
		u64 set = xc.work | rdmsr(0xda0);
		unsigned want = EXT, got = cpuid(0xd, 1).b;

		for (int i = 2; i < 63; i++) {
			if (!(set >> i & 1))
				continue;
			if (xc.align64[i])
				want = (want + 63) & ~63u;
			want += xc.size[i];
		}
		report_result(sz, got == want,
			      "expected %u (XCR0 | IA32_XSS = %#llx), saw %u",
			      want, (unsigned long long)set, got);
	}
}

/* Every save/restore instruction raises #GP(0) for an area not 64-byte
 * aligned (Vol. 2 "#GP(0) If a memory operand is not aligned on a
 * 64-byte boundary, regardless of segment"); #UD where CPUID does not
 * enumerate the instruction. */
static void align_checks(void)
{
	static const unsigned offs[] = {8, 16, 32};
	char id[CHECK_ID_MAX];
	struct fault f;

	for (int i = 0; i < XI_N; i++)
		for (int o = 0; o < 3; o++) {
			bool has = xinsn_enumerated((enum xinsn)i);

			CHECK_ID(id,
				 "conformance.xsave.align.{xsave,xrstor,"
				 "xsaveopt,xsavec,xsaves,xrstors}.off{8,16,32}",
				 "{1:XSAVE,XRSTOR,XSAVEOPT,XSAVEC,XSAVES,"
				 "XRSTORS} on an area {2:8,16,32} bytes past a "
				 "64-byte boundary raises #GP(0) (#UD where "
				 "CPUID does not enumerate it)",
				 i, o);
			if (unmet(id, true, ""))
				continue;
			memset(C, 0, 1024);
			run(xinsn_op[i], C + offs[o], xc.work, &f);
			check_fault(id, has ? GP_VECTOR : UD_VECTOR, 0, &f);
		}
}

/*
 * XINUSE (Vol. 1 13.6): XGETBV with ECX=1 returns XCR0 AND XINUSE, and
 * XINUSE[i] is 1 whenever component i is not in its initial state.
 * Intel (13.7) also ties XSAVE's XSTATE_BV[i] to XINUSE[i]; the AMD APM
 * does not.
 */
static u64 xinuse(void)
{
	u64 v = 0;
	struct fault f;

	xop_ecx = 1;
	try_call(op_xgetbv, &v, &f);
	return f.vector == NO_FAULT ? v : ~0ull;
}

static void xinuse_checks(void)
{
	struct fault f;
	u64 v;

	CHECK(sse, "conformance.xsave.xinuse.sse",
	      "XINUSE[1] is 1 while XMM0 is not 0");
	if (!unmet(sse, xc.xinuse, NO_XINUSE)) {
		set_xmm0(PAT);
		v = xinuse();
		report_result(sse, v != ~0ull && (v & XF_SSE),
			      "expected XINUSE[1]=1, saw %#llx",
			      (unsigned long long)v);
	}
	CHECK(x87, "conformance.xsave.xinuse.x87",
	      "XINUSE[0] is 1 after FLD1 (a register is not empty)");
	if (!unmet(x87, xc.xinuse, NO_XINUSE)) {
		asm volatile("fninit\n\tfld1");
		v = xinuse();
		asm volatile("fninit");
		report_result(x87, v != ~0ull && (v & XF_X87),
			      "expected XINUSE[0]=1, saw %#llx",
			      (unsigned long long)v);
	}
	CHECK(avx, "conformance.xsave.xinuse.avx",
	      "XINUSE[2] is 1 while YMM0[255:128] is not 0");
	if (!unmet(avx, xc.xinuse && HAS_AVX, xc.xinuse ? NO_AVX : NO_XINUSE)) {
		set_ymm0_hi(PAT);
		v = xinuse();
		report_result(avx, v != ~0ull && (v & XF_AVX),
			      "expected XINUSE[2]=1, saw %#llx",
			      (unsigned long long)v);
	}
	CHECK(agree, "conformance.xsave.xinuse.xsave-agrees",
	      "XSAVE writes XSTATE_BV[i] = XINUSE[i] for i in RFBM (Intel SDM "
	      "Vol. 1 13.7)");
	if (!unmet(agree, xc.xinuse && xc.intel,
		   xc.xinuse ? NOT_INTEL : NO_XINUSE)) {
		u64 s;

		set_xmm0(PAT);
		memset(A, 0, sizeof(A));
		v = xinuse();
		run(op_xsave, A, xc.work, &f);
		s = get64(A, HDR);
		report_result(
			agree, f.vector == NO_FAULT && s == (v & xc.work),
			"expected XSTATE_BV %#llx (XINUSE), saw %s, %#llx",
			(unsigned long long)(v & xc.work),
			vector_name(f.vector), (unsigned long long)s);
	}
}

/* Leaves every component in its initial state: XRSTOR of a zero header. */
static void init_all(void)
{
	struct fault f;

	if (!xc.on)
		return;
	memset(A, 0, sizeof(A));
	set_mxcsr(0x1f80);
	memcpy(A + 24, &(u32){0x1f80}, 4);
	run(op_xrstor, A, xc.work, &f);
}

void xsave_area_checks(void)
{
	if (xc.on)
		xsetbv0(xc.work);
	save_checks(0);
	save_checks(1);
	restore_checks();
	compact_checks();
	supervisor_checks();
	align_checks();
	xinuse_checks();
	init_all();
}

/*
 * CPL: XSAVE, XSAVEOPT, XSAVEC and XRSTOR run at CPL 3; XSAVES and
 * XRSTORS raise #GP(0) at CPL 1-3 (Vol. 2 XSAVES, XRSTORS "#GP(0) If
 * CPL > 0").
 */
void xsave_cpl_checks(void)
{
	char id[CHECK_ID_MAX];
	struct fault f;
	u8 r[16];

	xsave_xcr_cpl();
	if (xc.on)
		xsetbv0(xc.work);
	for (int i = 0; i < 4; i++) {
		static const enum xinsn ins[] = {XI_XSAVE, XI_XSAVEOPT,
						 XI_XSAVEC, XI_XRSTOR};
		bool has = xinsn_enumerated(ins[i]);

		CHECK_ID(id,
			 "conformance.xsave.cpl3.{xsave,xsaveopt,xsavec,"
			 "xrstor}",
			 "{1:XSAVE,XSAVEOPT,XSAVEC,XRSTOR} runs at CPL 3 and "
			 "{1:saves,saves,saves,loads} XMM0",
			 i);
		if (unmet(id, has, "CPUID does not enumerate the instruction"))
			continue;
		memset(B, 0, sizeof(B));
		set_xmm0(PAT);
		if (ins[i] == XI_XRSTOR) {
			run(op_xsave, B, xc.work, &f);
			set_xmm0(PAT2);
		}
		xop_addr = B;
		xop_mask = xc.work;
		run_at_cpl(3, xinsn_op[ins[i]], NULL, &f);
		get_xmm0(r);
		report_result(id,
			      f.vector == NO_FAULT &&
				      !memcmp(ins[i] == XI_XRSTOR ? r : B + 160,
					      PAT, 16),
			      "expected no exception and XMM0 %02x%02x.. %s, "
			      "saw %s",
			      PAT[0], PAT[1],
			      ins[i] == XI_XRSTOR ? "loaded" : "at byte 160",
			      vector_name(f.vector));
	}
	for (int s = 0; s < 2; s++)
		for (int cpl = 1; cpl <= 3; cpl++) {
			CHECK_ID(id,
				 "conformance.xsave.{xsaves,xrstors}.cpl{1..3}",
				 "{1:XSAVES,XRSTORS} at CPL {2} raises #GP(0) "
				 "(#UD where CPUID does not enumerate it)",
				 s, cpl);
			if (unmet(id, true, ""))
				continue;
			if (s && xc.sup)
				run(op_xsaves, B, xc.work, &f);
			xop_addr = B;
			xop_mask = xc.work;
			run_at_cpl(cpl, s ? op_xrstors : op_xsaves, NULL, &f);
			check_fault(id, xc.sup ? GP_VECTOR : UD_VECTOR, 0, &f);
		}
	init_all();
}
