/*
 * Runs the cases of one x86-instr image: each case's bytes go into an
 * executable buffer inside the harness the generator ran them in on the
 * build host (harness.h), and the registers, flags, memory window, XMM
 * registers or exception must match what the host produced, except what
 * the case's masks exclude (gen/masks.c). Variants: plain (CPL 0), the
 * memory operand on the pc-testdev MMIO page, and at CPL 3.
 */
#include "interp.h"
#include "fault.h"
#include "x86.h"

#define TESTDEV_MMIO 0xff000000ul

enum { V_PLAIN, V_MMIO, V_CPL3 };
static const char *const vsuffix[] = {"", ".mmio", ".cpl3"};

static u8 codebuf[XI_CODE_MAX] __aligned(64);
static struct xi_state st __aligned(64);
static u8 area[XI_MEM_AREA] __aligned(4096);
static const char *const rnames[8] = {"ax", "cx", "dx", "bx",
				      "sp", "bp", "si", "di"};
static const struct {
	u16 bit;
	const char *name;
} flagnames[] = {{XI_FL_CF, "CF"}, {XI_FL_PF, "PF"}, {XI_FL_AF, "AF"},
		 {XI_FL_ZF, "ZF"}, {XI_FL_SF, "SF"}, {XI_FL_DF, "DF"},
		 {XI_FL_OF, "OF"}};

/*
 * The .mmio variants need QEMU's pc-testdev scratch page (refvmm has one
 * too). Where nothing answers there (Bochs, bare metal: reads give 0xff,
 * writes vanish) they are skipped rather than failed on their data.
 */
static bool mmio_ok;

static bool testdev_present(void)
{
	volatile u8 *p = (volatile u8 *)TESTDEV_MMIO + XI_WIN_OFF;

	p[0] = 0x5a;
	if (p[0] != 0x5a)
		return false;
	p[0] = 0xa5;
	return p[0] == 0xa5;
}

static bool have(int feat, const char **why)
{
	struct cpuid c;

	switch (feat) {
	case XI_FEAT_BMI1:
		*why = "no BMI1 (CPUID.7.0:EBX[3]): TZCNT decodes as BSF";
		return cpuid(0, 0).a >= 7 && (cpuid(7, 0).b >> 3 & 1);
	case XI_FEAT_ABM:
		*why = "no LZCNT (CPUID.80000001:ECX[5]): LZCNT decodes as BSR";
		c = cpuid(0x80000001, 0);
		return c.c >> 5 & 1;
	case XI_FEAT_POPCNT:
		*why = "no POPCNT (CPUID.1:ECX[23])";
		return cpuid(1, 0).c >> 23 & 1;
	case XI_FEAT_SSE2:
		*why = "no SSE2 (CPUID.1:EDX[26])";
		return cpuid(1, 0).d >> 26 & 1;
	case XI_FEAT_LAHF64:
		*why = "no LAHF/SAHF in 64-bit mode (CPUID.80000001:ECX[0])";
		return cpuid(0x80000001, 0).c & 1;
	default:
		return true;
	}
}

static void run_code(void *arg)
{
	((void (*)(void *))codebuf)(arg);
}

/* "CF ZF" */
static void flag_list(char *s, size_t n, u16 diff)
{
	size_t o = 0;

	s[0] = 0;
	for (unsigned i = 0; i < ARRAY_SIZE(flagnames); i++)
		if (diff & flagnames[i].bit)
			o += snprintf(s + o, n - o, "%s%s", o ? " " : "",
				      flagnames[i].name);
}

static void run_case(const struct xi_image *img, const struct xi_form *f,
		     unsigned k, int v)
{
	const struct xi_case *c = &img->cases[f->first + k];
	const struct xi_win *w = c->win >= 0 ? &img->wins[c->win] : NULL;
	const struct xi_xmm *x = c->xmm >= 0 ? &img->xmms[c->xmm] : NULL;
	u8 *win = (v == V_MMIO ? (u8 *)TESTDEV_MMIO : area) + XI_WIN_OFF;
	ulong bases[8], obases[8];
	struct fault flt;
	char id[160], why[384], hex[64];
	size_t o = 0;
	int vector;
	u16 fdiff;

	snprintf(id, sizeof(id), "%sx86.%s.case%u%s%s", img->prefix, f->name, k,
		 vsuffix[v], POPEK_WIDTH_SUFFIX);
	xi_build(codebuf, sizeof(long) == 8, (u32)(ulong)&st, f->code, f->len,
		 f->flags & XI_F_SSE, c->lazy_imm);
	memset(&st, 0, sizeof(st));
	st.lazy = c->lazy_m;
	for (int r = 0; r < 8; r++) {
		bases[r] = 0;
		if (f->ptr & (1u << r))
			bases[r] = (ulong)win;
		if (r == XI_RSP && !(f->flags & XI_F_STACK))
			bases[r] = (ulong)(area + XI_SCRATCH_SP);
		obases[r] = f->noptr_out & (1u << r) ? 0 : bases[r];
		if (f->noptr_in & (1u << r))
			bases[r] = 0;
		st.in[r] = c->in[r] + bases[r];
	}
	st.fin = c->fin;
	if (x)
		memcpy(st.xin, x->in, 32);
	if (w)
		for (unsigned i = 0; i < XI_WIN; i++)
			((volatile u8 *)win)[i] = w->in[i];

	if (v == V_CPL3)
		run_at_cpl(3, run_code, &st, &flt);
	else
		try_call(run_code, &st, &flt);
	/* done: the harness ran to its end (whatever the way back did) */
	vector = st.done ? -1 : flt.vector;

	hex[0] = 0;
	for (unsigned i = 0, h = 0; i < f->len; i++)
		h += snprintf(hex + h, sizeof(hex) - h, "%s%02x", i ? " " : "",
			      f->code[i]);
	why[0] = 0;
	if (vector != c->vector) {
		o += snprintf(why + o, sizeof(why) - o, "expected %s, saw %s",
			      c->vector < 0 ? "no exception"
					    : vector_name(c->vector),
			      vector_name(vector));
	} else if (vector < 0) {
		for (int r = 0; r < 8; r++) {
			ulong seen = st.out[r] - obases[r];
			if ((c->regmask & (1u << r)) && seen != c->out[r] &&
			    o < sizeof(why))
				o += snprintf(why + o, sizeof(why) - o,
					      "%s%s expected %#lx, saw %#lx",
					      o ? "; " : "", rnames[r],
					      c->out[r], seen);
		}
		fdiff = (c->fout ^ (u16)st.fout) & c->fmask;
		if (fdiff && o < sizeof(why)) {
			char fl[40];
			flag_list(fl, sizeof(fl), fdiff);
			o += snprintf(
				why + o, sizeof(why) - o,
				"%sflags expected %#x, saw %#x (differ: %s)",
				o ? "; " : "", c->fout & c->fmask,
				(u16)st.fout & c->fmask, fl);
		}
		if (w)
			for (unsigned i = 0; i < XI_WIN && o < sizeof(why); i++)
				if (((volatile u8 *)win)[i] != w->out[i]) {
					o += snprintf(why + o, sizeof(why) - o,
						      "%smemory +%#x expected "
						      "%#x, saw %#x",
						      o ? "; " : "", i - 0x20,
						      w->out[i],
						      ((volatile u8 *)win)[i]);
					break;
				}
		if (x && memcmp(x->out, st.xout, 32) && o < sizeof(why)) {
			/* bytes: st.xout is [2][16], so st.xout + 8 would be
			 * row 8, past the state */
			const u8 *xo = (const u8 *)st.xout;
			u64 e0, e1, s0, s1;
			memcpy(&e0, x->out, 8), memcpy(&e1, x->out + 8, 8);
			memcpy(&s0, xo, 8), memcpy(&s1, xo + 8, 8);
			o += snprintf(why + o, sizeof(why) - o,
				      "%sxmm0 expected %016llx%016llx, saw "
				      "%016llx%016llx%s",
				      o ? "; " : "", (unsigned long long)e1,
				      (unsigned long long)e0,
				      (unsigned long long)s1,
				      (unsigned long long)s0,
				      memcmp(x->out + 16, xo + 16, 16)
					      ? " (xmm1 differs too)"
					      : "");
		}
	}
	if (o) {
		char in[384];
		size_t n = 0;
		for (int r = 0; r < 8; r++)
			n += snprintf(in + n, sizeof(in) - n, "%s%s=%#lx",
				      r ? " " : "", rnames[r], c->in[r]);
		snprintf(in + n, sizeof(in) - n, " flags=%#x%s", c->fin,
			 c->lazy_imm ? XI_LAZY_NOTE : "");
		report_diag("%s: `%s` %s; inputs (pointer registers as window "
			    "offsets): %s",
			    id, hex, f->text, in);
	}
	report_result(id, o == 0, "`%s` %s: %s", hex, f->text, why);
}

void xi_run(const struct xi_image *img)
{
	bool sse = false;
	const char *why;

	report_diag("%s: %u forms; expectations from the build host CPU %s; "
		    "table digest %s",
		    img->name, img->nforms, img->cpu, img->digest);
	for (unsigned i = 0; i < img->nforms; i++)
		sse |= img->forms[i].flags & XI_F_SSE;
	if (sse && have(XI_FEAT_SSE2, &why)) {
		/* MXCSR keeps its reset value 0x1f80, the build host's
		 * default too (LDMXCSR would end the run on kvm_pvm) */
		write_cr0((read_cr0() & ~(X86_CR0_EM | X86_CR0_TS)) |
			  X86_CR0_MP);
		write_cr4(read_cr4() | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT);
	}
	mmio_ok = testdev_present();
	/* 32-bit: CPL 0 variants first, so a target that cannot enter CPL 3
	 * (a 32-bit guest on kvm_pvm) still reports every one of them.
	 * 64-bit: CPL 3 first, so a target whose CPL 0 emulation gives up on
	 * an instruction (kvm_pvm: SSE, POPCNT, CMPXCHG16B) still reports
	 * the CPL 3 variants, which it runs natively. */
	for (int i = 0; i < 2; i++) {
		int pass = sizeof(long) == 8 ? !i : i;
		for (unsigned i = 0; i < img->nforms; i++) {
			const struct xi_form *f = &img->forms[i];
			bool ok = !img->no_oracle && have(f->feat, &why);

			if (img->no_oracle)
				why = img->no_oracle;
			for (unsigned k = 0; k < f->n; k++) {
				for (int v = pass ? V_CPL3 : V_PLAIN;
				     v <= (pass ? V_CPL3 : V_MMIO); v++) {
					char id[160];
					if (v == V_MMIO &&
					    !(f->flags & XI_F_MEM))
						continue;
					if (v == V_MMIO && !mmio_ok) {
						snprintf(id, sizeof(id),
							 "%sx86.%s.case%u%s%s",
							 img->prefix, f->name,
							 k, vsuffix[v],
							 POPEK_WIDTH_SUFFIX);
						report_skipped(
							id,
							"no pc-testdev MMIO "
							"page "
							"at %#lx (QEMU's test "
							"device): nothing to "
							"emulate the access",
							TESTDEV_MMIO);
						continue;
					}
					if (v == V_CPL3 &&
					    (f->flags & XI_F_NOCPL3))
						continue;
					if (ok) {
						run_case(img, f, k, v);
						continue;
					}
					snprintf(id, sizeof(id),
						 "%sx86.%s.case%u%s%s",
						 img->prefix, f->name, k,
						 vsuffix[v],
						 POPEK_WIDTH_SUFFIX);
					report_skipped(id, "%s", why);
				}
			}
		}
	}
}
