/*
 * conformance.apic.timer: the APIC timer in one-shot and periodic mode
 * (SDM Vol. 3A 12.5.4; APM Vol. 2 16.4.1). The current count starts at
 * the initial count and counts down at the bus clock divided by the
 * divide configuration (bits 3, 1:0: 000b = 2 ... 110b = 128, 111b = 1);
 * one-shot stops at 0, periodic reloads; the interrupt comes when the
 * count reaches 0, and not at all while the LVT entry is masked. Nothing
 * here assumes a bus frequency: times are measured against the TSC, and
 * only ratios (the divider) and orders (interrupt after expiry) are
 * checked, with generous bounds, so a loaded host or an emulator passes.
 */
#include "apic.h"

#define TIMER_VEC 0xd5
/* The divide values in the order of their encodings' names. */
static const u8 div_enc[8] = {0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xa, 0xb};
static const u32 div_val[8] = {2, 4, 8, 16, 32, 64, 128, 1};
#define DIV_NAMES "{div2,div4,div8,div16,div32,div64,div128,div1}"
/* A count that lasts at least a few hundred microseconds at any bus
 * clock up to 1 GHz, and expires quickly enough on an emulator. */
#define SHORT 200000u

static void timer_start(u32 lvt, u8 enc, u32 count)
{
	apic_write(APIC_TIMER_INIT, 0);
	apic_write(APIC_LVT_TIMER, lvt);
	apic_write(APIC_TIMER_DIV, enc);
	apic_write(APIC_TIMER_INIT, count);
}

/* Waits for the current count to reach 0, at most ~2 s of a 2 GHz TSC. */
static bool wait_zero(void)
{
	u64 t0 = rdtsc();

	while (apic_read(APIC_TIMER_CUR) != 0)
		if (rdtsc() - t0 > 4000000000ull)
			return false;
	return true;
}

static void divide_rw(void)
{
	const char *pat = DECLARE_CHECK(
		"conformance.apic.timer.divide-rw." DIV_NAMES,
		"the divide configuration for {1} (bits 3, 1:0) reads back "
		"as written");
	char id[CHECK_ID_MAX];

	for (int i = 0; i < 8; i++) {
		MEMBER(id, pat, i);
		if (apic_skipped(id))
			continue;
		apic_write(APIC_TIMER_DIV, div_enc[i]);
		report_equal(id, div_enc[i], apic_read(APIC_TIMER_DIV) & 0xb);
	}
}

static void oneshot(void)
{
	const char *pat = DECLARE_CHECK(
		"conformance.apic.timer.oneshot.{zero-initial,loaded,"
		"initial-kept,decreases,reaches-zero,stays-zero,restart,"
		"irq-once,irq-after-expiry,masked-no-irq}",
		"one-shot timer: {1:with initial count 0 the current count "
		"reads 0,after loading 7FFFFFFFH the current count is "
		"between 1 and 7FFFFFFFH,the initial count reads back while "
		"counting,the current count decreases,a short count reaches "
		"0,it stays 0 (no reload),rewriting the initial count "
		"restarts the count,unmasked it interrupts exactly once,the "
		"handler sees the current count 0 (not before expiry),masked "
		"it expires without an interrupt or an IRR bit}");
	char id[10][CHECK_ID_MAX];
	bool ok[10] = {0};
	u32 a = 0, b = 0;
	bool skip = false;

	for (int i = 0; i < 10; i++) {
		MEMBER(id[i], pat, i);
		skip |= apic_skipped(id[i]);
	}
	if (skip)
		return;
	cli();
	timer_start(APIC_LVT_MASKED, 0xb, 0);
	ok[0] = apic_read(APIC_TIMER_CUR) == 0;
	timer_start(APIC_LVT_MASKED, 0xb, 0x7fffffffu);
	a = apic_read(APIC_TIMER_CUR);
	ok[1] = a > 0 && a <= 0x7fffffffu;
	ok[2] = apic_read(APIC_TIMER_INIT) == 0x7fffffffu;
	apic_settle();
	b = apic_read(APIC_TIMER_CUR);
	ok[3] = b < a;
	apic_write(APIC_TIMER_INIT, 0x7fffffffu);
	ok[6] = apic_read(APIC_TIMER_CUR) > b;
	timer_start(APIC_LVT_MASKED, 0xb, SHORT);
	ok[4] = wait_zero();
	apic_settle();
	ok[5] = ok[4] && apic_read(APIC_TIMER_CUR) == 0;
	apic_hits_clear();
	timer_start(TIMER_VEC, 0xb, SHORT);
	irq_enable();
	apic_wait_hits(TIMER_VEC, 1);
	apic_settle();
	cli();
	ok[7] = apic_hits[TIMER_VEC] == 1;
	ok[8] = apic_hits[TIMER_VEC] && apic_seen[TIMER_VEC].cur == 0;
	apic_hits_clear();
	timer_start(APIC_LVT_MASKED | TIMER_VEC, 0xb, SHORT);
	irq_enable();
	wait_zero();
	apic_settle();
	cli();
	ok[9] = !apic_hits[TIMER_VEC] && !apic_bit(APIC_IRR, TIMER_VEC);
	apic_write(APIC_TIMER_INIT, 0);
	for (int i = 0; i < 10; i++)
		report_result(id[i], ok[i],
			      "current count read %#x then %#x, %u interrupts, "
			      "handler saw count %#x",
			      a, b, apic_hits[TIMER_VEC],
			      apic_seen[TIMER_VEC].cur);
}

static void periodic(void)
{
	const char *pat = DECLARE_CHECK(
		"conformance.apic.timer.periodic.{irqs,reloads,bounded,stop}",
		"periodic timer: {1:unmasked it interrupts again and again "
		"(3 times),the current count goes back up after reaching "
		"0,the current count never exceeds the initial count,writing "
		"initial count 0 stops it: no more interrupts}");
	char id[4][CHECK_ID_MAX];
	bool ok[4] = {0}, skip = false;
	u32 prev, cur, max = 0;
	unsigned hits;
	u64 t0;

	for (int i = 0; i < 4; i++) {
		MEMBER(id[i], pat, i);
		skip |= apic_skipped(id[i]);
	}
	if (skip)
		return;
	apic_hits_clear();
	cli();
	timer_start(APIC_LVT_PERIODIC | TIMER_VEC, 0xb, SHORT);
	irq_enable();
	ok[0] = apic_wait_hits(TIMER_VEC, 3);
	cli();
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | APIC_LVT_PERIODIC);
	prev = apic_read(APIC_TIMER_CUR);
	t0 = rdtsc();
	while (rdtsc() - t0 < 2000000000ull && !ok[1]) {
		cur = apic_read(APIC_TIMER_CUR);
		if (cur > max)
			max = cur;
		ok[1] = cur > prev;
		prev = cur;
	}
	ok[2] = max <= SHORT;
	apic_write(APIC_LVT_TIMER, APIC_LVT_PERIODIC | TIMER_VEC);
	irq_enable();
	apic_write(APIC_TIMER_INIT, 0);
	hits = apic_hits[TIMER_VEC];
	apic_settle();
	cli();
	/* one interrupt already pending at the write may still arrive */
	ok[3] = apic_hits[TIMER_VEC] <= hits + 1 &&
		apic_read(APIC_TIMER_CUR) == 0;
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
	for (int i = 0; i < 4; i++)
		report_result(id[i], ok[i],
			      "%u interrupts, largest count seen %#x (initial "
			      "%#x), %u after stopping",
			      apic_hits[TIMER_VEC], max, SHORT,
			      apic_hits[TIMER_VEC] - hits);
}

/* Bus ticks per 2^16 TSC cycles with divide encoding enc, the median of
 * three windows of ~4M TSC cycles (a preempted window is an outlier). */
static u64 rate(u8 enc)
{
	u64 r[3];

	for (int i = 0; i < 3; i++) {
		u32 c0, c1;
		u64 t0, t1;

		timer_start(APIC_LVT_MASKED, enc, 0xffffffffu);
		c0 = apic_read(APIC_TIMER_CUR);
		t0 = rdtsc();
		while (rdtsc() - t0 < 4000000)
			;
		c1 = apic_read(APIC_TIMER_CUR);
		t1 = rdtsc();
		r[i] = c0 > c1 ? ((u64)(c0 - c1) << 16) / (t1 - t0) : 0;
	}
	apic_write(APIC_TIMER_INIT, 0);
	if (r[0] > r[1]) {
		u64 t = r[0];
		r[0] = r[1];
		r[1] = t;
	}
	return r[2] < r[0] ? r[0] : r[2] > r[1] ? r[1] : r[2];
}

static void divide_ratio(void)
{
	const char *pat = DECLARE_CHECK(
		"conformance.apic.timer.divide-ratio."
		"{div2,div4,div8,div16,div32,div64,div128}",
		"the timer counts {1} times slower than with divide by 1, "
		"within a factor of 2, measured against the TSC");
	char id[CHECK_ID_MAX];
	u64 ref = 0;

	if (!apic.skip) {
		cli();
		ref = rate(0xb);
	}
	for (int i = 0; i < 7; i++) {
		u64 r;

		MEMBER(id, pat, i);
		if (apic_skipped(id))
			continue;
		r = rate(div_enc[i]);
		/* ref / r within [d / 2, 2d], in integers */
		report_result(id,
			      r && ref && 2 * ref >= r * div_val[i] &&
				      ref <= 2 * r * div_val[i],
			      "divide by %u: %llu bus ticks per 64K TSC "
			      "cycles, %llu with divide by 1",
			      div_val[i], (unsigned long long)r,
			      (unsigned long long)ref);
	}
}

void apic_timer(void)
{
	divide_rw();
	oneshot();
	periodic();
	divide_ratio();
	if (!apic.skip)
		apic_reset_state();
}

/*
 * conformance.apic.deadline: TSC-deadline mode (LVT timer bits 18:17 =
 * 10b, CPUID.1:ECX[24]; Vol. 3A 12.5.4.1). The interrupt comes when the
 * TSC reaches IA32_TSC_DEADLINE, which then reads 0; writing 0 disarms;
 * the initial-count register is ignored and the current count reads 0;
 * outside this mode writes of IA32_TSC_DEADLINE are ignored.
 */
void apic_deadline(void)
{
	const char *pat = DECLARE_CHECK(
		"conformance.apic.deadline.{mode-rw,count-ignored,readback,"
		"zero-disarms,fires,not-early,cleared,past,other-mode}",
		"TSC-deadline mode: {1:LVT timer mode 10b reads back,the "
		"initial count is ignored and the current count reads "
		"0,IA32_TSC_DEADLINE reads back the armed deadline,writing 0 "
		"disarms it,an armed deadline interrupts once,the handler "
		"runs with TSC >= the deadline,IA32_TSC_DEADLINE reads 0 "
		"after it fired,a deadline in the past fires at once,in "
		"one-shot mode a write of IA32_TSC_DEADLINE is ignored}");
	char id[9][CHECK_ID_MAX];
	bool ok[9] = {0}, skip = false;
	const char *why = apic.skip;
	u64 dl = 0, t;
	struct fault f;
	u32 v;

	if (!why && !apic.deadline)
		why = "CPUID.1:ECX.TSC-deadline is 0";
	for (int i = 0; i < 9; i++) {
		MEMBER(id[i], pat, i);
		if (why)
			report_skipped(id[i], "%s", why);
		skip |= why != NULL;
	}
	if (skip)
		return;
	cli();
	apic_hits_clear();
	apic_write(APIC_TIMER_INIT, 0);
	apic_write(APIC_LVT_TIMER, APIC_LVT_DEADLINE | APIC_LVT_MASKED);
	v = apic_read(APIC_LVT_TIMER);
	ok[0] = (v & (3u << 17)) == APIC_LVT_DEADLINE;
	apic_write(APIC_TIMER_INIT, 12345);
	ok[1] = apic_read(APIC_TIMER_INIT) == 0 &&
		apic_read(APIC_TIMER_CUR) == 0;
	apic_write(APIC_LVT_TIMER, APIC_LVT_DEADLINE | 0xc5);
	t = rdtsc() + 1000000000000ull;
	/* the first access through try_call: a target that shows the
	 * CPUID bit without the MSR fails these checks instead of dying */
	if (msr_try_write(MSR_TSC_DEADLINE, t, &f) != NO_FAULT) {
		apic_reset_state();
		for (int i = 0; i < 9; i++)
			report_result(id[i], false,
				      "CPUID.1:ECX[24] is 1 but WRMSR of "
				      "IA32_TSC_DEADLINE raised %s",
				      vector_name(f.vector));
		return;
	}
	ok[2] = rdmsr(MSR_TSC_DEADLINE) == t;
	wrmsr(MSR_TSC_DEADLINE, rdtsc() + 100000);
	wrmsr(MSR_TSC_DEADLINE, 0);
	irq_enable();
	apic_settle();
	cli();
	ok[3] = !apic_hits[0xc5] && rdmsr(MSR_TSC_DEADLINE) == 0;
	dl = rdtsc() + 2000000;
	wrmsr(MSR_TSC_DEADLINE, dl);
	irq_enable();
	apic_wait_hits(0xc5, 1);
	apic_settle();
	cli();
	ok[4] = apic_hits[0xc5] == 1;
	ok[5] = apic_hits[0xc5] && apic_seen[0xc5].tsc >= dl;
	ok[6] = apic_hits[0xc5] && rdmsr(MSR_TSC_DEADLINE) == 0;
	apic_hits_clear();
	wrmsr(MSR_TSC_DEADLINE, 1);
	irq_enable();
	apic_wait_hits(0xc5, 1);
	cli();
	ok[7] = apic_hits[0xc5] == 1;
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
	wrmsr(MSR_TSC_DEADLINE, rdtsc() + 1000000000000ull);
	ok[8] = rdmsr(MSR_TSC_DEADLINE) == 0;
	apic_reset_state();
	for (int i = 0; i < 9; i++)
		report_result(id[i], ok[i],
			      "LVT timer %#x, deadline %#llx, %u interrupts, "
			      "handler TSC %#llx",
			      v, (unsigned long long)dl, apic_hits[0xc5],
			      (unsigned long long)apic_seen[0xc5].tsc);
}
