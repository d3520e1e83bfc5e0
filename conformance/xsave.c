/*
 * conformance.xsave: the XSAVE feature set (SDM Vol. 1 chapter 13; Vol. 2
 * XGETBV, XSETBV, XSAVE, XSAVEOPT, XSAVEC, XSAVES, XRSTOR, XRSTORS; AMD
 * APM Vol. 2 11.5 and Vol. 4). This file: the enumeration, the
 * instructions, CR4.OSXSAVE and CR0.TS. xsave_xcr.c: XGETBV and XSETBV.
 * xsave_area.c: the XSAVE area's header, layout and alignment rules.
 *
 * A monitor owns this state twice over: it must load the guest's XCR0
 * (a guest VEX instruction or XSAVE obeys the XCR0 in the CPU, not the
 * one the guest wrote), it must keep CPUID leaf 0DH in step with it, and
 * where it hides XSAVE the instructions must raise #UD although the host
 * CPU runs them. Every expectation is derived from the CPUID the guest
 * sees, never from one host.
 */
#include "xsave.h"
#include "setup_check.h"

POPEK_IMAGE(0, 0);

#define FEAT_XSAVE X86_FEATURE(1, 0, 2, 26, "xsave")
#define FEAT_AVX   X86_FEATURE(1, 0, 2, 28, "avx")

struct xsave_cpu xc;
u8 *xop_addr;
u64 xop_mask;
ulong xop_ecx;

#define EDX_EAX "a"((u32)xop_mask), "d"((u32)(xop_mask >> 32))

void op_xsave(void *a)
{
	(void)a;
	asm volatile("xsave (%0)" ::"r"(xop_addr), EDX_EAX : "memory");
}
void op_xrstor(void *a)
{
	(void)a;
	asm volatile("xrstor (%0)" ::"r"(xop_addr), EDX_EAX : "memory");
}
void op_xsaveopt(void *a)
{
	(void)a;
	asm volatile("xsaveopt (%0)" ::"r"(xop_addr), EDX_EAX : "memory");
}
void op_xsavec(void *a)
{
	(void)a;
	asm volatile("xsavec (%0)" ::"r"(xop_addr), EDX_EAX : "memory");
}
void op_xsaves(void *a)
{
	(void)a;
	asm volatile("xsaves (%0)" ::"r"(xop_addr), EDX_EAX : "memory");
}
void op_xrstors(void *a)
{
	(void)a;
	asm volatile("xrstors (%0)" ::"r"(xop_addr), EDX_EAX : "memory");
}
void op_xgetbv(void *a)
{
	u32 lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(xop_ecx));
	*(u64 *)a = lo | (u64)hi << 32;
}
void op_xsetbv(void *a)
{
	(void)a;
	asm volatile("xsetbv" ::"c"(xop_ecx), EDX_EAX);
}
void op_vxorps(void *a)
{
	(void)a;
	asm volatile(".byte 0xc5, 0xf8, 0x57, 0xc0"); /* vxorps xmm0 x3 */
}

void (*const xinsn_op[XI_N])(void *) = {
	op_xsave, op_xrstor, op_xsaveopt, op_xsavec, op_xsaves, op_xrstors,
};
const char *const xinsn_name[XI_N] = {
	"XSAVE", "XRSTOR", "XSAVEOPT", "XSAVEC", "XSAVES", "XRSTORS",
};

bool xinsn_enumerated(enum xinsn i)
{
	switch (i) {
	case XI_XSAVEOPT:
		return xc.xsave && xc.opt;
	case XI_XSAVEC:
		return xc.xsave && xc.compact;
	case XI_XSAVES:
	case XI_XRSTORS:
		return xc.xsave && xc.sup;
	default:
		return xc.xsave;
	}
}

u64 xgetbv0(void)
{
	u64 v = 0;
	struct fault f;

	xop_ecx = 0;
	if (try_call(op_xgetbv, &v, &f) != NO_FAULT)
		report_bail("XGETBV(0) raised %s with CR4.OSXSAVE=1",
			    vector_name(f.vector));
	return v;
}

void xsetbv0(u64 v)
{
	struct fault f;

	xop_ecx = 0;
	xop_mask = v;
	if (try_call(op_xsetbv, NULL, &f) != NO_FAULT)
		report_bail("XSETBV(0, %#llx) raised %s", (unsigned long long)v,
			    vector_name(f.vector));
}

/*
 * SDM Vol. 3A 2.6: XSETBV raises #GP for a bit CPUID.(0DH,0) does not
 * report, X87 clear, AVX without SSE, one MPX bit without the other,
 * an AVX-512 bit without all three or without AVX; Vol. 1 13.3 adds
 * XTILECFG (17) and XTILEDATA (18) only together. The APM states the
 * same for the components AMD implements.
 */
bool xcr0_valid(u64 v)
{
	u64 z = v & XF_AVX512;

	if ((v & ~xc.supported) || !(v & XF_X87))
		return false;
	if ((v & (XF_SSE | XF_AVX)) == XF_AVX)
		return false;
	if (!!(v & (1ull << 3)) != !!(v & (1ull << 4)))
		return false;
	if (z && (z != XF_AVX512 || !(v & XF_AVX)))
		return false;
	return !!(v & (1ull << 17)) == !!(v & (1ull << 18));
}

/*
 * The state planters and readers run their instruction through
 * try_call(): on a target where an SSE, AVX or x87 memory operand ends
 * the run, popek.skip can then skip it with the check it prepares.
 */
void xstate_op(void (*fn)(void *), void *p)
{
	struct fault f;

	if (try_call(fn, p, &f) != NO_FAULT)
		report_bail("planting or reading register state raised %s at "
			    "%#lx",
			    vector_name(f.vector), f.ip);
}

PROBE op_set_xmm0(void *v)
{
	asm volatile("movups (%0), %%xmm0" ::"r"(v) : "memory");
}
PROBE op_get_xmm0(void *v)
{
	asm volatile("movups %%xmm0, (%0)" ::"r"(v) : "memory");
}
PROBE op_set_ymm0_hi(void *v)
{
	asm volatile("vinsertf128 $1, (%0), %%ymm0, %%ymm0" ::"r"(v)
		     : "memory");
}
PROBE op_get_ymm0_hi(void *v)
{
	asm volatile("vextractf128 $1, %%ymm0, (%0)" ::"r"(v) : "memory");
}
PROBE op_get_fcw(void *v)
{
	asm volatile("fnstcw (%0)" ::"r"(v) : "memory");
}
PROBE op_set_fcw(void *v)
{
	asm volatile("fldcw (%0)" ::"r"(v) : "memory");
}
PROBE op_get_mxcsr(void *v)
{
	asm volatile("stmxcsr (%0)" ::"r"(v) : "memory");
}
PROBE op_set_mxcsr(void *v)
{
	asm volatile("ldmxcsr (%0)" ::"r"(v) : "memory");
}
void op_fxsave(void *a)
{
	asm volatile("fxsave (%0)" ::"r"(a) : "memory");
}

void set_xmm0(const u8 v[16])
{
	xstate_op(op_set_xmm0, (void *)v);
}
void get_xmm0(u8 v[16])
{
	xstate_op(op_get_xmm0, v);
}
void set_ymm0_hi(const u8 v[16])
{
	xstate_op(op_set_ymm0_hi, (void *)v);
}
void get_ymm0_hi(u8 v[16])
{
	xstate_op(op_get_ymm0_hi, v);
}
u16 get_fcw(void)
{
	u16 v = 0;

	xstate_op(op_get_fcw, &v);
	return v;
}
void set_fcw(u16 v)
{
	xstate_op(op_set_fcw, &v);
}
u32 get_mxcsr(void)
{
	u32 v = 0;

	xstate_op(op_get_mxcsr, &v);
	return v;
}
void set_mxcsr(u32 v)
{
	xstate_op(op_set_mxcsr, &v);
}

static void enumerate(void)
{
	struct cpuid v = cpuid(0, 0), d0, d1;

	xc.intel = v.b == 0x756e6547 && v.d == 0x49656e69 && v.c == 0x6c65746e;
	xc.xsave = this_cpu_has(FEAT_XSAVE) && v.a >= 0xd;
	xc.avx = this_cpu_has(FEAT_AVX);
	if (!xc.xsave)
		return;
	d0 = cpuid(0xd, 0);
	d1 = cpuid(0xd, 1);
	xc.supported = d0.a | (u64)d0.d << 32;
	xc.max_size = d0.c;
	xc.opt = d1.a & 1;
	xc.compact = d1.a & 2;
	xc.xinuse = d1.a & 4;
	xc.sup = d1.a & 8;
	for (int i = 2; i < 63; i++) {
		struct cpuid c = cpuid(0xd, (u32)i);

		xc.size[i] = c.a;
		xc.off[i] = c.b;
		xc.align64[i] = c.c & 2;
	}
}

/* MOV to CR4 setting OSXSAVE: #GP(0) unless CPUID enumerates XSAVE
 * (SDM Vol. 3A 2.5, Vol. 2B MOV CR "#GP(0) ... reserved bit"). */
static ulong cr4_target;
PROBE write_cr4_target(void *a)
{
	(void)a;
	write_cr4(cr4_target);
}

static void osxsave_set(ulong cr4)
{
	struct fault f;

	cr4_target = cr4 | CR4_OSXSAVE;
	try_call(write_cr4_target, NULL, &f);
	xc.on = f.vector == NO_FAULT && (read_cr4() & CR4_OSXSAVE);
	xc.why = xc.xsave ? "CR4.OSXSAVE could not be set"
			  : "CPUID does not enumerate xsave";
	report_fault("conformance.xsave.cr4.osxsave-set",
		     "MOV to CR4 sets OSXSAVE where CPUID.1:ECX.XSAVE=1, and "
		     "raises #GP(0) where it is 0",
		     xc.xsave ? NO_FAULT : GP_VECTOR, 0, &f);
}

/*
 * With CR4.OSXSAVE=0 every instruction of the feature set and every VEX
 * instruction raise #UD (Vol. 2 "#UD If CR4.OSXSAVE[bit 18] = 0", Vol. 1
 * 13.3, Vol. 2A 2.3.10 / Table 2-21). XGETBV with ECX=0 and XSETBV are
 * conformance.cpuid's; here ECX=1 (XINUSE), the save/restore family, VEX
 * and XSAVE at CPL 3.
 */
static void osxsave_clear(ulong cr4)
{
	static u8 area[4096] __attribute__((aligned(64)));
	char id[CHECK_ID_MAX];
	u64 v = 0;
	struct fault f;

	write_cr4(cr4 & ~CR4_OSXSAVE);
	xop_addr = area;
	xop_mask = 3;
	for (int i = 0; i < XI_N; i++) {
		try_call(xinsn_op[i], NULL, &f);
		check_fault(CHECK_ID(id,
				     "conformance.xsave.cr4.osxsave0.{xsave,"
				     "xrstor,xsaveopt,xsavec,xsaves,xrstors}",
				     "{1:XSAVE,XRSTOR,XSAVEOPT,XSAVEC,XSAVES,"
				     "XRSTORS} raises #UD while CR4.OSXSAVE=0",
				     i),
			    UD_VECTOR, 0, &f);
	}
	xop_ecx = 1;
	try_call(op_xgetbv, &v, &f);
	report_fault("conformance.xsave.cr4.osxsave0.xgetbv1",
		     "XGETBV with ECX=1 (XINUSE) raises #UD while "
		     "CR4.OSXSAVE=0",
		     UD_VECTOR, 0, &f);
	try_call(op_vxorps, NULL, &f);
	report_fault(
		"conformance.xsave.cr4.osxsave0.vex",
		"a VEX instruction (VXORPS) raises #UD while CR4.OSXSAVE=0",
		UD_VECTOR, 0, &f);
	run_at_cpl(3, op_xsave, NULL, &f);
	report_fault("conformance.xsave.cr4.osxsave0.cpl3",
		     "XSAVE at CPL 3 raises #UD while CR4.OSXSAVE=0", UD_VECTOR,
		     0, &f);
	write_cr4(cr4);
}

/*
 * CR0.TS=1: the save/restore family raises #NM (Vol. 2 "#NM If
 * CR0.TS[bit 3] = 1"), as VEX instructions do (Vol. 2A 2.8, Table
 * 2-21); XGETBV and XSETBV do not touch the FPU and run. An instruction
 * CPUID does not enumerate raises #UD instead.
 */
static void nm_checks(ulong cr0)
{
	static u8 area[AREA_BYTES] __attribute__((aligned(64)));
	char id[CHECK_ID_MAX];
	u64 v;
	struct fault f;

	xop_addr = area;
	xop_mask = xc.work;
	xsetbv0(xc.work);
	xstate_op(op_xsave, NULL); /* a valid image for the restores */
	for (int i = 0; i < XI_N; i++) {
		bool has = xinsn_enumerated((enum xinsn)i);

		if (i == XI_XRSTORS && has)
			xstate_op(op_xsaves, NULL);
		write_cr0(cr0 | X86_CR0_TS);
		try_call(xinsn_op[i], NULL, &f);
		write_cr0(cr0);
		check_fault(CHECK_ID(id,
				     "conformance.xsave.nm.{xsave,xrstor,"
				     "xsaveopt,xsavec,xsaves,xrstors}",
				     "{1:XSAVE,XRSTOR,XSAVEOPT,XSAVEC,XSAVES,"
				     "XRSTORS} with CR0.TS=1 raises #NM (#UD "
				     "where CPUID does not enumerate it)",
				     i),
			    has ? NM_VECTOR : UD_VECTOR, 0, &f);
	}
	xop_ecx = 0;
	write_cr0(cr0 | X86_CR0_TS);
	try_call(op_xgetbv, &v, &f);
	write_cr0(cr0);
	report_nofault("conformance.xsave.nm.xgetbv",
		       "XGETBV runs with CR0.TS=1 (no #NM)", &f);
	xop_mask = xc.work;
	write_cr0(cr0 | X86_CR0_TS);
	try_call(op_xsetbv, NULL, &f);
	write_cr0(cr0);
	report_nofault("conformance.xsave.nm.xsetbv",
		       "XSETBV runs with CR0.TS=1 (no #NM)", &f);
	write_cr0(cr0 | X86_CR0_TS);
	try_call(op_vxorps, NULL, &f);
	write_cr0(cr0);
	report_fault("conformance.xsave.nm.vex",
		     "VXORPS with CR0.TS=1 and XCR0.AVX=1 raises #NM (#UD "
		     "without AVX)",
		     (xc.avx && (xc.work & XF_AVX)) ? NM_VECTOR : UD_VECTOR, 0,
		     &f);
	xop_mask = xc.work;
	write_cr0(cr0 | X86_CR0_TS);
	run_at_cpl(3, op_xsave, NULL, &f);
	write_cr0(cr0);
	report_fault("conformance.xsave.nm.cpl3",
		     "XSAVE at CPL 3 with CR0.TS=1 raises #NM", NM_VECTOR, 0,
		     &f);
}

/* The ids nm_checks would report, skipped with a reason. */
static void nm_skip(const char *why)
{
	char id[CHECK_ID_MAX];

	for (int i = 0; i < XI_N; i++)
		report_skipped(
			CHECK_ID(id,
				 "conformance.xsave.nm.{xsave,xrstor,"
				 "xsaveopt,xsavec,xsaves,xrstors}",
				 "{1:XSAVE,XRSTOR,XSAVEOPT,XSAVEC,XSAVES,"
				 "XRSTORS} with CR0.TS=1 raises #NM (#UD "
				 "where CPUID does not enumerate it)",
				 i),
			"%s", why);
	report_skip("conformance.xsave.nm.xgetbv",
		    "XGETBV runs with CR0.TS=1 (no #NM)", "%s", why);
	report_skip("conformance.xsave.nm.xsetbv",
		    "XSETBV runs with CR0.TS=1 (no #NM)", "%s", why);
	report_skip("conformance.xsave.nm.vex",
		    "VXORPS with CR0.TS=1 and XCR0.AVX=1 raises #NM (#UD "
		    "without AVX)",
		    "%s", why);
	report_skip("conformance.xsave.nm.cpl3",
		    "XSAVE at CPL 3 with CR0.TS=1 raises #NM", "%s", why);
}

static u64 xcr0_boot;

PROBE xcr0_rw(void *a)
{
	(void)a;
	xop_ecx = 0;
	op_xgetbv(&xcr0_boot);
	xop_mask = xcr0_boot;
	op_xsetbv(NULL);
}

/*
 * Every check from here on reads or writes XCR0 (xgetbv0(), xsetbv0()):
 * where XGETBV or XSETBV ends the target, this set-up check is the one
 * killer, and the checks that need XCR0 report skip naming it.
 */
#define XCR0_SETUP_ID "conformance.xsave.setup.xcr0"
#define XCR0_SETUP_DESC                                                        \
	"with CR4.OSXSAVE=1, XGETBV(0) reads XCR0 and XSETBV(0) writes it "    \
	"back without an exception (the set-up of every check that needs "     \
	"XCR0)"

/* Reported on every target, so an id in the catalogue never goes
 * unreported: skipped, with the reason, where XSAVE is off. */
static void xcr0_setup(void)
{
	static char why[SETUP_WHY_MAX];

	if (!xc.on) {
		report_skip(XCR0_SETUP_ID, XCR0_SETUP_DESC, "%s", xc.why);
		return;
	}
	xc.why =
		SETUP_CHECK(XCR0_SETUP_ID, XCR0_SETUP_DESC, xcr0_rw, NULL, why);
	xc.on = !xc.why;
}

void probe_main(void)
{
	ulong cr0 = read_cr0() & ~(X86_CR0_TS | X86_CR0_EM);
	ulong cr4 = read_cr4();
	u64 xcr0 = 0;

	write_cr0(cr0 | X86_CR0_MP | X86_CR0_NE);
	cr0 = read_cr0();
	write_cr4(cr4 | X86_CR4_OSFXSR);
	cr4 = read_cr4();
	asm volatile("fninit");
	enumerate();
	if (xc.xsave && xc.max_size > AREA_BYTES)
		report_bail("CPUID.(0DH,0):ECX %u exceeds the probe's %u-byte "
			    "areas",
			    xc.max_size, AREA_BYTES);
	osxsave_set(cr4 & ~CR4_OSXSAVE);
	xcr0_setup();
	if (xc.on) {
		xcr0 = xcr0_boot;
		/* The area checks run with every user component whose
		 * content they can plant and whose restore cannot fault
		 * on that content: no MPX (BNDCSR), no AMX (TILECFG). */
		xc.work = xc.supported &
			  (XF_X87 | XF_SSE | XF_AVX | XF_AVX512 | XF_PKRU);
		if (!xcr0_valid(xc.work))
			xc.work = XF_X87 | XF_SSE;
	}
	xsave_xcr_checks();
	xsave_area_checks();
	if (xc.on) {
		nm_checks(cr0);
	} else {
		nm_skip(xc.why);
	}
	xsave_cpl_checks();
	if (xc.on)
		xsetbv0(xcr0);
	/* Last: on some targets the first #UD here ends the image. */
	osxsave_clear(cr4 | (xc.on ? CR4_OSXSAVE : 0));
	write_cr4(cr4);
}
