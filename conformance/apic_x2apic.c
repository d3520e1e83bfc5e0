/*
 * conformance.apic.x2apic: x2APIC mode (SDM Vol. 3A 12.12; APM Vol. 2
 * 16.11). Entered from xAPIC mode by setting EXTD; leaving it for xAPIC
 * mode directly raises #GP(0) (12.12.5). Registers are MSRs 800H + offset
 * / 16 (Table 12-6): RDMSR of a write-only one (EOI, SELF IPI) and WRMSR
 * of a read-only one (ID, version, PPR, LDR, ISR, TMR, IRR, current
 * count) raise #GP(0), as do the addresses the table leaves out and
 * non-zero writes of reserved bits (12.12.1.3, RsvdZ), including bits
 * 63:32 of every MSR but the ICR, a non-zero EOI or ESR write. The ID is
 * CPUID.0BH:EDX and the LDR is derived from it (12.12.10.2). Outside
 * x2APIC mode these MSRs #GP(0): conformance.msr.x2apic.
 */
#include "apic.h"

/* Every check here, in one table: read-only, write-only, reserved MSRs
 * and reserved bits, then the functional checks. */
static const u16 ro_msrs[] = {
	0x802, 0x803, 0x80a, 0x80d, 0x810, 0x811, 0x812, 0x813, 0x814, 0x815,
	0x816, 0x817, 0x818, 0x819, 0x81a, 0x81b, 0x81c, 0x81d, 0x81e, 0x81f,
	0x820, 0x821, 0x822, 0x823, 0x824, 0x825, 0x826, 0x827, 0x839,
};
#define RO_NAMES                                                               \
	"{id,version,ppr,ldr,isr0,isr1,isr2,isr3,isr4,isr5,isr6,isr7,tmr0,"    \
	"tmr1,tmr2,tmr3,tmr4,tmr5,tmr6,tmr7,irr0,irr1,irr2,irr3,irr4,irr5,"    \
	"irr6,irr7,timer-current}"

/* Intel's table leaves these out; 840H-8FFH hold AMD's extended APIC
 * registers, so those are checked on other vendors only. */
static const u16 rsvd_msrs[] = {0x800, 0x801, 0x804, 0x805, 0x806,
				0x807, 0x80e, 0x831, 0x83a, 0x83b,
				0x83c, 0x83d, 0x840, 0x8ff, 0xbff};
#define RSVD_NAMES                                                             \
	"{800,801,804,805,806,807,80e,831,83a,83b,83c,83d,840,8ff,bff}"

/* WRMSR values with a reserved bit set, each #GP(0). */
static const struct {
	u16 msr;
	u64 value;
} rsvd_bits[] = {
	{0x808, 0x100},		     /* TPR bit 8 */
	{0x808, 1ull << 32},	     /* TPR bit 32 */
	{0x80b, 1},		     /* EOI non-zero */
	{0x80f, 0x1ff | 1u << 13},   /* SVR bit 13 */
	{0x828, 1},		     /* ESR non-zero */
	{0x832, 0x10000 | 1u << 19}, /* LVT timer bit 19 */
	{0x835, 0x10000 | 1u << 17}, /* LVT LINT0 bit 17 */
	{0x837, 0x10000 | 1u << 8},  /* LVT error delivery mode */
	{0x83e, 1u << 4},	     /* divide configuration bit 4 */
	{0x83f, 0x100 | 0x55},	     /* SELF IPI bit 8 */
	{0x83f, 1ull << 32},	     /* SELF IPI bit 32 */
	{0x830, 1u << 20 | 0x55 | APIC_ICR_SELF}, /* ICR bit 20 */
};
#define BITS_NAMES                                                             \
	"{tpr-bit8,tpr-bit32,eoi-nonzero,svr-bit13,esr-nonzero,"               \
	"lvt-timer-bit19,lvt-lint0-bit17,lvt-error-bit8,divide-bit4,"          \
	"self-ipi-bit8,self-ipi-bit32,icr-bit20}"

#define NFUNC 9
#define FUNC_NAMES                                                             \
	"{enter,id,version,ldr,tpr-rw,self-ipi,icr-self,icr-readback,"         \
	"to-xapic}"

static const char *pat_ro, *pat_wo, *pat_rsvd, *pat_bits, *pat_func;

static void declare(void)
{
	pat_ro = DECLARE_CHECK("conformance.apic.x2apic.read-only." RO_NAMES,
			       "in x2APIC mode WRMSR of the read-only {1} "
			       "register (its own value) raises #GP(0)");
	pat_wo = DECLARE_CHECK("conformance.apic.x2apic.write-only.{eoi,"
			       "self-ipi}",
			       "in x2APIC mode RDMSR of the write-only {1} "
			       "register raises #GP(0)");
	pat_rsvd = DECLARE_CHECK(
		"conformance.apic.x2apic.reserved." RSVD_NAMES ".{read,write}",
		"in x2APIC mode {2:RDMSR,WRMSR} of MSR {1}H, no x2APIC "
		"register, raises #GP(0)");
	pat_bits = DECLARE_CHECK(
		"conformance.apic.x2apic.reserved-bit." BITS_NAMES,
		"in x2APIC mode WRMSR setting a reserved bit ({1}) raises "
		"#GP(0)");
	pat_func = DECLARE_CHECK(
		"conformance.apic.x2apic." FUNC_NAMES,
		"x2APIC mode: {1:WRMSR setting EXTD from xAPIC mode enters "
		"it,MSR 802H is the x2APIC ID of CPUID.0BH:EDX,MSR 803H is "
		"the xAPIC version register,MSR 80DH is (ID[19:4] << 16) | "
		"(1 << ID[3:0]),TPR (808H) reads back,a SELF IPI (83FH) is "
		"delivered,a 64-bit ICR write to its own ID is delivered,the "
		"ICR reads back vector and destination,WRMSR clearing EXTD "
		"with EN=1 raises #GP(0)}");
}

static void skip_everything(const char *why)
{
	char id[CHECK_ID_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(ro_msrs); i++)
		report_skipped(MEMBER(id, pat_ro, (int)i), "%s", why);
	for (int i = 0; i < 2; i++)
		report_skipped(MEMBER(id, pat_wo, i), "%s", why);
	for (size_t i = 0; i < ARRAY_SIZE(rsvd_msrs); i++)
		for (int w = 0; w < 2; w++)
			report_skipped(MEMBER(id, pat_rsvd, (int)i, w), "%s",
				       why);
	for (size_t i = 0; i < ARRAY_SIZE(rsvd_bits); i++)
		report_skipped(MEMBER(id, pat_bits, (int)i), "%s", why);
}

static bool expect_gp(const char *id, bool write, u32 msr, u64 value)
{
	return write ? msr_expect_write_gp(id, msr, value)
		     : msr_expect_read_gp(id, msr);
}

static void access_rules(void)
{
	char id[CHECK_ID_MAX];
	struct fault f;

	for (size_t i = 0; i < ARRAY_SIZE(ro_msrs); i++) {
		u64 v = 0;

		msr_try_read(ro_msrs[i], &v, &f);
		expect_gp(MEMBER(id, pat_ro, (int)i), true, ro_msrs[i], v);
	}
	expect_gp(MEMBER(id, pat_wo, 0), false, 0x80b, 0);
	expect_gp(MEMBER(id, pat_wo, 1), false, 0x83f, 0);
	for (size_t i = 0; i < ARRAY_SIZE(rsvd_msrs); i++) {
		for (int w = 0; w < 2; w++) {
			MEMBER(id, pat_rsvd, (int)i, w);
			if (msr_cpu.vendor == VENDOR_AMD &&
			    rsvd_msrs[i] >= 0x840 && rsvd_msrs[i] < 0x900)
				report_skipped(id, "AMD: the extended APIC "
						   "register space");
			else
				expect_gp(id, w, rsvd_msrs[i], 0);
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(rsvd_bits); i++) {
		cli();
		expect_gp(MEMBER(id, pat_bits, (int)i), true, rsvd_bits[i].msr,
			  rsvd_bits[i].value);
	}
	apic_reset_state();
}

void apic_x2apic(void)
{
	char id[NFUNC][CHECK_ID_MAX];
	bool ok[NFUNC] = {0};
	const char *why = apic.skip;
	u32 x2id = 0, ldr = 0, ver = 0, want_ldr;
	u64 icr = 0, base;
	struct fault f;
	int vec;

	declare();
	if (!why && !apic.x2apic)
		why = "CPUID.1:ECX.x2APIC is 0";
	if (!why)
		why = apic_no_mode_change();
	for (int i = 0; i < NFUNC; i++)
		MEMBER(id[i], pat_func, i);
	if (why) {
		for (int i = 0; i < NFUNC; i++)
			report_skipped(id[i], "%s", why);
		skip_everything(why);
		return;
	}
	cli();
	apic_reset_state();
	ver = apic_read(APIC_VERSION);
	base = rdmsr(MSR_APIC_BASE);
	vec = msr_try_write(MSR_APIC_BASE, base | APIC_BASE_EXTD, &f);
	ok[0] = vec == NO_FAULT &&
		(rdmsr(MSR_APIC_BASE) & (APIC_BASE_EXTD | APIC_BASE_EN)) ==
			(APIC_BASE_EXTD | APIC_BASE_EN);
	report_result(id[0], ok[0], "WRMSR raised %s, IA32_APIC_BASE %#llx",
		      vector_name(vec),
		      (unsigned long long)rdmsr(MSR_APIC_BASE));
	if (!ok[0]) {
		for (int i = 1; i < NFUNC; i++)
			report_skipped(id[i], "x2APIC mode not entered");
		skip_everything("x2APIC mode not entered");
		return;
	}
	apic.x2mode = true;
	apic_reset_state();
	x2id = (u32)rdmsr(0x802);
	report_result(id[1],
		      apic.has_leaf_b ? x2id == apic.x2apic_id
				      : (x2id & 0xff) == apic.initial_id,
		      "expected %#x, saw %#x",
		      apic.has_leaf_b ? apic.x2apic_id : apic.initial_id, x2id);
	report_equal(id[2], ver, (u32)rdmsr(0x803));
	ldr = (u32)rdmsr(0x80d);
	want_ldr = (x2id & 0xffff0u) << 12 | 1u << (x2id & 0xf);
	report_equal(id[3], want_ldr, ldr);
	wrmsr(0x808, 0x5a);
	report_equal(id[4], 0x5a, (u32)rdmsr(0x808));
	wrmsr(0x808, 0);
	apic_hits_clear();
	wrmsr(0x83f, 0x65);
	irq_enable();
	apic_wait_hits(0x65, 1);
	report_equal(id[5], 1, apic_hits[0x65]);
	/* fixed, physical, no shorthand: destination is bits 63:32 */
	wrmsr(0x830, (u64)x2id << 32 | 0x66);
	apic_wait_hits(0x66, 1);
	cli();
	report_equal(id[6], 1, apic_hits[0x66]);
	icr = rdmsr(0x830);
	report_result(id[7], (icr & 0xff) == 0x66 && (icr >> 32) == x2id,
		      "expected vector 0x66 and destination %#x, saw ICR "
		      "%#llx",
		      x2id, (unsigned long long)icr);
	access_rules();
	vec = msr_try_write(MSR_APIC_BASE, base, &f);
	report_result(
		id[8],
		vec == GP_VECTOR && (rdmsr(MSR_APIC_BASE) & APIC_BASE_EXTD),
		"expected #GP(0) and EXTD kept, saw %s, IA32_APIC_BASE "
		"%#llx",
		vector_name(vec), (unsigned long long)rdmsr(MSR_APIC_BASE));
	/* stays in x2APIC mode: apic_mode_last() leaves it */
}
