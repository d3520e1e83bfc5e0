/*
 * conformance.visibility.{lar,lsl,verr,verw}: the descriptor-probing
 * instructions any CPL may execute. They read the GDT directly, so a
 * monitor that shadows the guest's descriptors (rewritten DPLs, truncated
 * limits) leaks its own values through them unless it intercepts them.
 * Each descriptor type below is probed at CPL 0 and 3 for ZF and, for
 * LAR/LSL, the value (SDM Vol. 2A LAR: Table 3-53 valid types, value =
 * second dword AND 00FxFF00H; Vol. 2A LSL: valid types, limit scaled by G;
 * Vol. 2B VERR/VERW). Accessibility: conforming code, or DPL >=
 * max(CPL, RPL). LAR and LSL do not check the present bit.
 */
#include "common.h"

POPEK_IMAGE(0, 0);

#ifdef __x86_64__
#define W64 1
#else
#define W64 0
#endif

struct desc_case {
	int index;
	int rpl;
	/* type valid (LAR, LSL), readable (VERR), writable (VERW);
	 * EITHER where Intel and AMD disagree */
	u8 lar, lsl, verr, verw;
	bool conforming;
	int dpl;
};

struct probe_arg {
	u16 sel;
	u8 zf;
	ulong val;
};

static u64 ldt[2] __aligned(8);
static u8 tss16[0x2c];

PROBE do_lar(void *a)
{
	struct probe_arg *p = a;

	asm volatile("lar %2, %1\n\tsetz %0"
		     : "=q"(p->zf), "+r"(p->val)
		     : "m"(p->sel)
		     : "cc");
}
PROBE do_lsl(void *a)
{
	struct probe_arg *p = a;

	asm volatile("lsl %2, %1\n\tsetz %0"
		     : "=q"(p->zf), "+r"(p->val)
		     : "m"(p->sel)
		     : "cc");
}
PROBE do_verr(void *a)
{
	struct probe_arg *p = a;

	asm volatile("verr %1\n\tsetz %0" : "=q"(p->zf) : "m"(p->sel) : "cc");
}
PROBE do_verw(void *a)
{
	struct probe_arg *p = a;

	asm volatile("verw %1\n\tsetz %0" : "=q"(p->zf) : "m"(p->sel) : "cc");
}

enum insn { LAR, LSL, VERR, VERW };
#define EITHER 2

static bool accessible(const struct desc_case *c, int cpl)
{
	int need = cpl > c->rpl ? cpl : c->rpl;

	return c->conforming || c->dpl >= need;
}

static ulong expected_value(const struct desc_case *c, enum insn i)
{
	u64 d = c->index < GDT_ENTRIES ? gdt[c->index] : 0;
	ulong limit = ((d >> 48) & 0xf) << 16 | (d & 0xffff);

	if (i == LAR)
		return (d >> 32) & 0x00f0ff00;
	return (d & (1ull << 55)) ? (limit << 12) | 0xfff : limit;
}

/* Runs one instruction at one CPL and reports ZF and the value. */
static bool probe(const char *id, const struct desc_case *c, enum insn i,
		  int cpl)
{
	static void (*const fns[])(void *) = {do_lar, do_lsl, do_verr, do_verw};
	const u8 valids[] = {c->lar, c->lsl, c->verr, c->verw};
	u8 valid = valids[i];
	struct probe_arg p = {(u16)(c->index << 3 | c->rpl), 0, 0x5a5a};
	bool want_zf;
	ulong want_val;
	struct fault f;

	run_at_cpl(cpl, fns[i], &p, &f);
	want_zf = (valid == EITHER ? p.zf : valid) && accessible(c, cpl);
	want_val = want_zf && i <= LSL ? expected_value(c, i) : 0x5a5a;
	if (i == LAR)
		p.val &= 0x00f0ff00 | (want_zf ? 0 : 0x5a5a);
	if (i >= VERR)
		p.val = want_val;
	return report_result(
		id,
		f.vector == NO_FAULT && p.zf == want_zf && p.val == want_val,
		"expected ZF=%d, value %#lx (destination kept "
		"when ZF=0), no exception; saw ZF=%d, value %#lx, "
		"%s",
		want_zf, want_val, p.zf, p.val, vector_name(f.vector));
}

/*
 * The selectors probed with each instruction at CPL 0 and 3, in the
 * order of the second group of the ids (descriptor types set up in
 * probe_main()).
 */
#define I(n) (GDT_FREE + (n))
static const struct desc_case cases[] = {
	{I(0), 0, 1, 1, 1, 1, 0, 0}, /* data-dpl0 */
	{I(0), 3, 1, 1, 1, 1, 0, 0}, /* data-dpl0-rpl3 */
	{I(1), 3, 1, 1, 1, 1, 0, 3}, /* data-dpl3 */
	{I(2), 3, 1, 1, 1, 0, 0, 3}, /* data-ro-dpl3-g */
	{I(3), 0, 1, 1, 1, 0, 0, 0}, /* code-dpl0 */
	{I(4), 3, 1, 1, 0, 0, 0, 3}, /* code-xo-dpl3 */
	{I(5), 3, 1, 1, 1, 0, 1, 0}, /* conforming-dpl0 */
	{I(7), 2, 1, 1, 1, 0, 0, 2}, /* code-dpl2 */
	/*
	 * ldt-dpl3. An LDT descriptor in 64-bit mode: the Intel SDM's LAR
	 * table marks it invalid in IA-32e mode, AMD's APM (LAR, LSL) valid;
	 * either outcome passes there, with the right value if ZF=1.
	 */
	{I(8), 3, W64 ? EITHER : 1, W64 ? EITHER : 1, 0, 0, 0, 3},
	{I(10), 3, 1, 1, 0, 0, 0, 3},	    /* tss-dpl3 */
	{I(12), 3, 0, 0, 0, 0, 0, 3},	    /* int-gate-dpl3 */
	{I(14), 3, 1, 0, 0, 0, 0, 3},	    /* call-gate-dpl3 */
	{I(16), 3, !W64, !W64, 0, 0, 0, 3}, /* tss16-dpl3 */
	{0, 0, 0, 0, 0, 0, 0, 3},	    /* null */
	{GDT_ENTRIES, 3, 0, 0, 0, 0, 0, 3}, /* beyond-limit */
};

/* LAR, LSL, VERR and VERW at one CPL on one selector of cases[]. */
static void desc_cpl(int sel, int cpl)
{
	char id[CHECK_ID_MAX];

	for (int i = LAR; i <= VERW; i++)
		probe(CHECK_ID(id,
			       "conformance.visibility.{lar,lsl,verr,verw}."
			       "{data-dpl0,data-dpl0-rpl3,data-dpl3,"
			       "data-ro-dpl3-g,code-dpl0,code-xo-dpl3,"
			       "conforming-dpl0,code-dpl2,ldt-dpl3,tss-dpl3,"
			       "int-gate-dpl3,call-gate-dpl3,tss16-dpl3,null,"
			       "beyond-limit}.cpl{0,3}",
			       "{1:LAR,LSL,VERR,VERW} at CPL {3} on a {2} "
			       "selector: {1:ZF and access rights,"
			       "ZF and byte limit,ZF,ZF}",
			       i, sel, cpl == 3),
		      &cases[sel], (enum insn)i, cpl);
}

void probe_main(void)
{
	gdt_set(I(0), 0x10000, 0x1234, 0x93, 0x4); /* data, DPL 0, byte */
	gdt_set(I(1), 0x20000, 0x1234, 0xf3, 0x4); /* data, DPL 3 */
	gdt_set(I(2), 0, 0xabcde, 0xf1, 0xc);	   /* read-only, G=1 */
	gdt_set(I(3), 0, 0xfffff, 0x9b, 0xc);	   /* code, DPL 0, readable */
	gdt_set(I(4), 0, 0xffff, 0xf9, 0x4);	   /* code, DPL 3, exec-only */
	gdt_set(I(5), 0, 0xfffff, 0x9f, 0xc);	   /* conforming, DPL 0 */
	gdt_set(I(6), 0, 0x5678, 0x73, 0x4);	   /* data, DPL 3, P=0 */
	gdt_set(I(7), 0, 0xfffff, 0xdb, 0xc);	   /* code, DPL 2 */
	gdt_set_system(I(8), (ulong)ldt, sizeof(ldt) - 1, 2, 3);
	gdt_set_system(I(10), 0x30000, 0x67, 9, 3);   /* available TSS */
	gdt_set_system(I(12), 0x30000, 0x67, 0xe, 3); /* as an int gate */
	gdt_set_call_gate(I(14), KERNEL_CS, 0x1000, 3);
	/* 16-bit TSS: valid for LAR/LSL only outside 64-bit mode. */
	gdt_set(I(16), (ulong)tss16, sizeof(tss16) - 1, 0xe1, 0);
	gdt[I(17)] = 0;

	for (int sel = 0; sel < (int)ARRAY_SIZE(cases); sel++) {
		desc_cpl(sel, 0);
		desc_cpl(sel, 3);
	}
	/* LAR and LSL ignore P; VERR/VERW are left out for P=0: the SDM's
	 * pseudocode does not check P but its text compares with a load. */
	{
		static const struct desc_case np = {I(6), 3, 1, 1, 0, 0, 0, 3};

		probe(DECLARE_CHECK("conformance.visibility.lar.data-np.cpl3",
				    "LAR at CPL 3 on a not-present data "
				    "selector succeeds"),
		      &np, LAR, 3);
		probe(DECLARE_CHECK("conformance.visibility.lsl.data-np.cpl3",
				    "LSL at CPL 3 on a not-present data "
				    "selector succeeds"),
		      &np, LSL, 3);
	}
}
