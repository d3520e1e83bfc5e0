/*
 * conformance.apic.lvt: the local vector table (SDM Vol. 3A 12.5.1,
 * 12.4.7.2; APM Vol. 2 16.4). Which entries exist follows the version
 * register's Max LVT Entry: timer, LINT0, LINT1 and error always,
 * performance counters from 4, thermal from 5, CMCI from 6. Each entry's
 * vector and mask bit are read/write, delivery status (bit 12) and, on
 * LINT0/LINT1, remote IRR (bit 14) read-only. While the APIC is software
 * disabled (SVR bit 8 = 0) every mask bit reads 1 and cannot be cleared,
 * and re-enabling it leaves them set.
 */
#include "apic.h"

static const struct {
	u32 off;
	int min_lvt; /* present when Max LVT Entry >= this */
} lvts[] = {
	{APIC_LVT_TIMER, 3}, {APIC_LVT_LINT0, 3}, {APIC_LVT_LINT1, 3},
	{APIC_LVT_ERROR, 3}, {APIC_LVT_PERF, 4},  {APIC_LVT_THERMAL, 5},
	{APIC_LVT_CMCI, 6},
};

#define LVT_NAMES "{timer,lint0,lint1,error,perf,thermal,cmci}"

static const char *absent(int i)
{
	if (apic.skip)
		return apic.skip;
	if (apic.max_lvt < lvts[i].min_lvt)
		return "the version register's Max LVT Entry does not "
		       "include this entry";
	return NULL;
}

static void rw(void)
{
	char id[CHECK_ID_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(lvts); i++) {
		const char *why = absent((int)i);
		u32 off = lvts[i].off, v;

		for (int c = 0; c < 3; c++) {
			CHECK_ID(
				id,
				"conformance.apic.lvt." LVT_NAMES
				".{masked,unmasked,delivery-status}",
				"LVT {1} entry: {2:vector 5BH and the mask bit "
				"read back as written,the mask bit clears "
				"(IF=0: nothing is delivered),delivery "
				"status (bit 12) is read-only and idle}",
				(int)i, c);
			if (why) {
				report_skipped(id, "%s", why);
				continue;
			}
			if (c == 0) {
				apic_write(off, APIC_LVT_MASKED | 0x5b);
				v = apic_read(off);
				report_equal(id, APIC_LVT_MASKED | 0x5b,
					     v & 0x100ff);
			} else if (c == 1) {
				apic_write(off, 0x5b);
				v = apic_read(off);
				apic_write(off, APIC_LVT_MASKED);
				report_equal(id, 0x5b, v & 0x100ff);
			} else {
				apic_write(off,
					   APIC_LVT_MASKED | 1u << 12 | 0x5b);
				v = apic_read(off);
				report_equal(id, 0, v & 1u << 12);
			}
			apic_write(off, APIC_LVT_MASKED);
		}
	}
}

static void remote_irr_and_mode(void)
{
	char id[CHECK_ID_MAX];
	u32 v;

	for (int i = 1; i <= 2; i++) {
		CHECK_ID(id, "conformance.apic.lvt.{lint0,lint1}.remote-irr",
			 "LVT {1} entry: remote IRR (bit 14) is read-only, 0 "
			 "with no level-triggered interrupt accepted",
			 i - 1);
		if (apic.skip) {
			report_skipped(id, "%s", apic.skip);
			continue;
		}
		apic_write(lvts[i].off, APIC_LVT_MASKED | 1u << 14 | 0x5b);
		v = apic_read(lvts[i].off);
		apic_write(lvts[i].off, APIC_LVT_MASKED);
		report_equal(id, 0, v & 1u << 14);
	}
	const char *pid = DECLARE_CHECK(
		"conformance.apic.lvt.timer.periodic",
		"LVT timer mode bits 18:17 = 01b (periodic) read back");

	if (apic.skip) {
		report_skipped(pid, "%s", apic.skip);
		return;
	}
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | APIC_LVT_PERIODIC | 0x5b);
	v = apic_read(APIC_LVT_TIMER);
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
	report_equal(pid, APIC_LVT_PERIODIC, v & (3u << 17));
}

/* Vol. 3A 12.4.7.2: software disabled, the LVT mask bits are all set. */
static void soft_disable(void)
{
	char id[CHECK_ID_MAX];
	u32 seen[ARRAY_SIZE(lvts)][3];

	if (!apic.skip) {
		for (size_t i = 0; i < ARRAY_SIZE(lvts); i++)
			if (!absent((int)i))
				apic_write(lvts[i].off, 0x5b);
		apic_write(APIC_SVR, 0xff); /* software disabled */
		for (size_t i = 0; i < ARRAY_SIZE(lvts); i++) {
			if (absent((int)i))
				continue;
			seen[i][0] = apic_read(lvts[i].off);
			apic_write(lvts[i].off, 0x5b);
			seen[i][1] = apic_read(lvts[i].off);
		}
		apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
		for (size_t i = 0; i < ARRAY_SIZE(lvts); i++)
			if (!absent((int)i))
				seen[i][2] = apic_read(lvts[i].off);
	}
	for (size_t i = 0; i < ARRAY_SIZE(lvts); i++) {
		const char *why = absent((int)i);

		for (int c = 0; c < 3; c++) {
			CHECK_ID(id,
				 "conformance.apic.lvt." LVT_NAMES
				 ".{sw-disable-masks,sw-disabled-unmask,"
				 "sw-reenable-masked}",
				 "LVT {1} entry: {2:clearing SVR bit 8 sets "
				 "its mask bit,while SVR bit 8 is 0 a write "
				 "clearing the mask bit leaves it set,setting "
				 "SVR bit 8 again leaves the mask bit set}",
				 (int)i, c);
			if (why)
				report_skipped(id, "%s", why);
			else
				report_result(id, seen[i][c] & APIC_LVT_MASKED,
					      "expected the mask bit set, saw "
					      "%#x",
					      seen[i][c]);
		}
	}
}

void apic_lvt(void)
{
	rw();
	remote_irr_and_mode();
	soft_disable();
	if (!apic.skip)
		apic_reset_state();
}
