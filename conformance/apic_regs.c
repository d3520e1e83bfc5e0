/*
 * conformance.apic.tpr, .ppr, .cr8, .ldr, .dfr, .svr, .icr, .isr, .tmr,
 * .irr: the registers of an idle xAPIC. TPR bits 7:0 are read/write; with
 * no vector in service PPR[7:4] = TPR[7:4] and PPR[3:0] is TPR[3:0]
 * (Intel, Vol. 3A 12.8.3.1) or 0 (left open here: both accepted). MOV to
 * CR8 writes TPR[7:4] = CR8[3:0] and clears TPR[3:0]; MOV from CR8 reads
 * TPR[7:4] (Vol. 3A 12.8.6.1; APM Vol. 2 16.6.4). LDR bits 31:24 and DFR
 * bits 31:28 are read/write, DFR bits 27:0 read as 1s (12.6.2.2); SVR
 * bits 7:0 hold the spurious vector (12.9); ISR, TMR and IRR are
 * read-only and empty with nothing pending (12.8.4).
 */
#include "apic.h"

static bool skipped(const char *id)
{
	if (!apic.skip)
		return false;
	report_skipped(id, "%s", apic.skip);
	return true;
}

static void tpr_ppr(void)
{
	const char *rw = DECLARE_CHECK(
		"conformance.apic.tpr.rw.class{0..15}",
		"TPR bits 7:0 read back as written, priority class {1}");
	const char *idle = DECLARE_CHECK(
		"conformance.apic.ppr.idle.class{0..15}",
		"with no vector in service PPR[7:4] = TPR[7:4] (class {1}) "
		"and PPR[3:0] is TPR[3:0] or 0");
	char id[CHECK_ID_MAX], id2[CHECK_ID_MAX];

	for (int c = 0; c < 16; c++) {
		/* TPR[3:0] never 0, so a target that drops them fails */
		u32 tpr = (u32)c << 4 | (u32)(c ^ 9) | 1;
		u32 r, p;

		MEMBER(id, rw, c);
		MEMBER(id2, idle, c);
		if (apic_skipped(id) | apic_skipped(id2))
			continue;
		apic_write(APIC_TPR, tpr);
		r = apic_read(APIC_TPR);
		p = apic_read(APIC_PPR);
		report_equal(id, tpr, r & 0xff);
		report_result(id2,
			      (p & 0xf0) == (tpr & 0xf0) &&
				      ((p & 0xf) == (tpr & 0xf) || !(p & 0xf)),
			      "TPR %#x, expected PPR %#x (or %#x), saw %#x",
			      tpr, tpr, tpr & 0xf0, p);
	}
	if (!apic.skip)
		apic_write(APIC_TPR, 0);
}

#ifdef __x86_64__
static inline ulong read_cr8(void)
{
	ulong v;

	asm volatile("mov %%cr8, %0" : "=r"(v));
	return v;
}

static inline void write_cr8(ulong v)
{
	asm volatile("mov %0, %%cr8" : : "r"(v) : "memory");
}

static void cr8(void)
{
	const char *wr = DECLARE_CHECK(
		"conformance.apic.cr8.write.class{0..15}",
		"MOV to CR8 of {1} sets TPR[7:4] to {1} and clears TPR[3:0]");
	const char *rd = DECLARE_CHECK(
		"conformance.apic.cr8.read.class{0..15}",
		"MOV from CR8 reads TPR[7:4] ({1}) with TPR[3:0] set");
	char id[CHECK_ID_MAX], id2[CHECK_ID_MAX];

	for (int c = 0; c < 16; c++) {
		MEMBER(id, wr, c);
		MEMBER(id2, rd, c);
		if (apic_skipped(id) | apic_skipped(id2))
			continue;
		apic_write(APIC_TPR, 0x0f);
		write_cr8((ulong)c);
		report_equal(id, (u32)c << 4, apic_read(APIC_TPR) & 0xff);
		apic_write(APIC_TPR, (u32)c << 4 | 0xa);
		report_equal(id2, c, read_cr8());
	}
	if (!apic.skip)
		apic_write(APIC_TPR, 0);
}
#endif

static void ldr_dfr_icr(void)
{
	const char *id;
	u32 old, v;

	id = DECLARE_CHECK("conformance.apic.ldr.rw",
			   "xAPIC LDR bits 31:24 (logical APIC ID) read back "
			   "as written");
	if (!skipped(id)) {
		old = apic_read(APIC_LDR);
		apic_write(APIC_LDR, 0xa5000000u);
		v = apic_read(APIC_LDR);
		apic_write(APIC_LDR, old);
		report_equal(id, 0xa5000000u, v & 0xff000000u);
	}
	id = DECLARE_CHECK("conformance.apic.dfr.cluster",
			   "DFR model 0000b (cluster) reads back, bits 27:0 "
			   "as 1s");
	if (!skipped(id)) {
		old = apic_read(0xe0);
		apic_write(0xe0, 0x0fffffffu);
		v = apic_read(0xe0);
		report_equal(id, 0x0fffffffu, v);
		id = DECLARE_CHECK("conformance.apic.dfr.flat",
				   "DFR model 1111b (flat) reads back "
				   "FFFFFFFFH");
		apic_write(0xe0, 0xffffffffu);
		report_equal(id, 0xffffffffu, apic_read(0xe0));
		apic_write(0xe0, old);
	} else {
		report_skip("conformance.apic.dfr.flat",
			    "DFR model 1111b (flat) reads back FFFFFFFFH", "%s",
			    apic.skip);
	}
	id = DECLARE_CHECK("conformance.apic.icr.high-rw",
			   "ICR bits 63:56 (destination) read back as "
			   "written");
	if (!skipped(id)) {
		apic_write(APIC_ICR_HI, 0x5a000000u);
		v = apic_read(APIC_ICR_HI);
		apic_write(APIC_ICR_HI, 0);
		report_equal(id, 0x5a000000u, v & 0xff000000u);
	}
}

static void svr(void)
{
	char id[CHECK_ID_MAX];

	for (int c = 1; c < 16; c++) {
		u32 vec = (u32)c << 4 | 0xf, v;

		CHECK_ID(id, "conformance.apic.svr.vector.class{1..15}",
			 "SVR bits 7:0 hold the spurious vector class {1} * 16 "
			 "+ 15 as written",
			 c);
		if (skipped(id))
			continue;
		apic_write(APIC_SVR, APIC_SVR_ENABLE | vec);
		v = apic_read(APIC_SVR);
		report_result(id, (v & 0x1ff) == (APIC_SVR_ENABLE | vec),
			      "expected %#x in bits 8:0, saw %#x",
			      APIC_SVR_ENABLE | vec, v);
	}
	if (!apic.skip)
		apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
}

/* Idle and read-only: written all 1s, each still reads 0. */
static void vectors_idle(void)
{
	char id[CHECK_ID_MAX];

	for (int k = 0; k < 3; k++) {
		for (int r = 0; r < 8; r++) {
			u32 off = (k == 0   ? APIC_ISR
				   : k == 1 ? APIC_TMR
					    : APIC_IRR) +
				  (u32)r * 16;
			u32 before, after;

			CHECK_ID(id,
				 "conformance.apic.{isr,tmr,irr}.idle{0..7}",
				 "{1:ISR,TMR,IRR} register {2} (of 8) reads "
				 "0 with nothing pending or in service, and a "
				 "write of 1s leaves them",
				 k, r);
			if (skipped(id))
				continue;
			before = apic_read(off);
			apic_write(off, 0xffffffffu);
			after = apic_read(off);
			report_result(id, !before && !after,
				      "expected 0 and 0, saw %#x before and "
				      "%#x after writing 1s",
				      before, after);
		}
	}
	if (!apic.skip)
		apic_reset_state();
}

void apic_regs(void)
{
	tpr_ppr();
#ifdef __x86_64__
	cr8();
#endif
	ldr_dfr_icr();
	svr();
	vectors_idle();
}
