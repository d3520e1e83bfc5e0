/*
 * The MC146818A real-time clock and its CMOS RAM at 0x70 (index, bit 7
 * the NMI disable) and 0x71 (data) (Motorola MC146818A datasheet).
 *
 * The time is not ticked: the RTC keeps the time it showed at one of
 * its second boundaries on the clock and reads the rest off the clock,
 * so a test clock checks it second by second. It starts from the wall
 * time at start (clock__wall_ns). Registers 0-9 and the century byte
 * 0x32 are fields of that time, shown in BCD or binary (register B's
 * DM) and 24 or 12 hours (B's 24/12, bit 7 PM); a write changes that
 * field of the time, keeping the phase of the second. Register A's UIP
 * is set for the 244 us before each update; SET in B, or a divider in
 * reset (A's DV 11x), holds the time, and the first update after the
 * divider is released comes half a second later. Register C's flags
 * (UF at each update, PF at each period of A's rate select, IRQF when
 * an enabled one is set) are computed since C was last read, which
 * clears them. Not modelled: IRQ8 (nothing is raised), the alarm (AF
 * stays 0; alarm registers are RAM), daylight saving, the day of the
 * week as a counter of its own (it follows the date; writes to it are
 * ignored). The century byte belongs to the time here, where the chip
 * left it to software, so a year written past 99 rolls it over.
 *
 * CMOS bytes 0x15-0x18, 0x30-0x31 and 0x34-0x35 hold the memory sizes
 * the way QEMU fills them for SeaBIOS; the other bytes are RAM.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "refvmm/device.h"
#include "refvmm/machine.h"

enum {
	RTC_SEC = 0x00,
	RTC_MIN = 0x02,
	RTC_HOUR = 0x04,
	RTC_WDAY = 0x06,
	RTC_MDAY = 0x07,
	RTC_MON = 0x08,
	RTC_YEAR = 0x09,
	RTC_A = 0x0a,
	RTC_B = 0x0b,
	RTC_C = 0x0c,
	RTC_D = 0x0d,
	RTC_CENTURY = 0x32,
};

#define A_UIP	     0x80
#define A_DV_RESET   0x60 /* DV = 11x: divider chain held in reset */
#define A_RS	     0x0f
#define B_SET	     0x80
#define B_PIE	     0x40
#define B_AIE	     0x20
#define B_UIE	     0x10
#define B_DM_BINARY  0x04
#define B_24H	     0x02
#define C_IRQF	     0x80
#define C_PF	     0x40
#define C_AF	     0x20
#define C_UF	     0x10
#define D_VRT	     0x80
#define HOUR_PM	     0x80
#define NS	     ((s64)NSEC_PER_SEC)
#define UIP_NS	     244000 /* tBUC, the update-in-progress warning */
#define SECS_PER_DAY 86400

/* 32.768 kHz time base, 24-hour BCD: what a PC BIOS leaves. */
#define A_BOOT 0x26
#define B_BOOT B_24H

struct rtc {
	struct machine *m;
	u8 index;
	bool nmi_disabled; /* stored: refvmm has no NMI */
	u8 ram[128];
	s64 base_sec;  /* the time (s since 1970) shown from base_ns on */
	s64 base_ns;   /* a second boundary, on the clock */
	bool held;     /* SET or divider reset: the time is base_sec */
	s64 c_read_ns; /* register C's flags count from here */
};

struct rtc_tm {
	s64 year;
	unsigned mon, mday, hour, min, sec;
};

/* Days from 1970-01-01 to a proleptic Gregorian date, and back (Howard
 * Hinnant's days_from_civil / civil_from_days). */
static s64 days_from_civil(s64 y, unsigned m, unsigned d)
{
	s64 era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (s64)doe - 719468;
}

static void civil_from_days(s64 z, struct rtc_tm *tm)
{
	s64 era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	tm->mday = doy - (153 * mp + 2) / 5 + 1;
	tm->mon = mp < 10 ? mp + 3 : mp - 9;
	tm->year = (s64)yoe + era * 400 + (tm->mon <= 2);
}

static s64 floor_div(s64 a, s64 b)
{
	return a / b - (a % b < 0);
}

static void rtc__breakdown(s64 t, struct rtc_tm *tm)
{
	s64 days = floor_div(t, SECS_PER_DAY);
	unsigned s = (unsigned)(t - days * SECS_PER_DAY);

	civil_from_days(days, tm);
	tm->hour = s / 3600;
	tm->min = s / 60 % 60;
	tm->sec = s % 60;
}

static s64 rtc__compose(const struct rtc_tm *tm)
{
	return days_from_civil(tm->year, tm->mon, tm->mday) * SECS_PER_DAY +
	       tm->hour * 3600 + tm->min * 60 + tm->sec;
}

static s64 rtc__now_ns(struct rtc *r)
{
	return (s64)clock__now(r->m->clock);
}

/* The time shown now, and how far into its second. */
static s64 rtc__time(struct rtc *r, s64 *frac)
{
	s64 el;

	*frac = 0;
	if (r->held)
		return r->base_sec;
	el = rtc__now_ns(r) - r->base_ns;
	*frac = el - floor_div(el, NS) * NS;
	return r->base_sec + floor_div(el, NS);
}

/* Sets the time shown, keeping the phase of the running second. */
static void rtc__set_time(struct rtc *r, s64 t)
{
	s64 frac;

	rtc__time(r, &frac);
	r->base_sec = t;
	if (!r->held)
		r->base_ns = rtc__now_ns(r) - frac;
}

static u8 rtc__enc(const struct rtc *r, unsigned v)
{
	if (r->ram[RTC_B] & B_DM_BINARY)
		return (u8)v;
	return (u8)((v / 10 % 10) << 4 | v % 10);
}

static unsigned rtc__dec(const struct rtc *r, u8 v)
{
	if (r->ram[RTC_B] & B_DM_BINARY)
		return v;
	return (v >> 4) * 10u + (v & 0xf);
}

static u8 rtc__enc_hour(const struct rtc *r, unsigned h)
{
	if (r->ram[RTC_B] & B_24H)
		return rtc__enc(r, h);
	return (u8)(rtc__enc(r, h % 12 ? h % 12 : 12) |
		    (h >= 12 ? HOUR_PM : 0));
}

static unsigned rtc__dec_hour(const struct rtc *r, u8 v)
{
	if (r->ram[RTC_B] & B_24H)
		return rtc__dec(r, v);
	return rtc__dec(r, v & ~HOUR_PM) % 12 + (v & HOUR_PM ? 12 : 0);
}

static unsigned clamp(unsigned v, unsigned lo, unsigned hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Day of the week, 1 for Sunday: 1970-01-01 was a Thursday. */
static unsigned rtc__wday(s64 t)
{
	s64 d = floor_div(t, SECS_PER_DAY) + 4;

	return (unsigned)(d - floor_div(d, 7) * 7) + 1;
}

static u8 rtc__read_time(struct rtc *r, u8 i)
{
	struct rtc_tm tm;
	s64 frac, t = rtc__time(r, &frac);

	rtc__breakdown(t, &tm);
	switch (i) {
	case RTC_SEC:
		return rtc__enc(r, tm.sec);
	case RTC_MIN:
		return rtc__enc(r, tm.min);
	case RTC_HOUR:
		return rtc__enc_hour(r, tm.hour);
	case RTC_WDAY:
		return rtc__enc(r, rtc__wday(t));
	case RTC_MDAY:
		return rtc__enc(r, tm.mday);
	case RTC_MON:
		return rtc__enc(r, tm.mon);
	case RTC_YEAR:
		return rtc__enc(r, (unsigned)(tm.year % 100));
	default: /* RTC_CENTURY */
		return rtc__enc(r, (unsigned)(tm.year / 100));
	}
}

static void rtc__write_time(struct rtc *r, u8 i, u8 v)
{
	struct rtc_tm tm;
	s64 frac;

	rtc__breakdown(rtc__time(r, &frac), &tm);
	switch (i) {
	case RTC_SEC:
		tm.sec = clamp(rtc__dec(r, v), 0, 59);
		break;
	case RTC_MIN:
		tm.min = clamp(rtc__dec(r, v), 0, 59);
		break;
	case RTC_HOUR:
		tm.hour = clamp(rtc__dec_hour(r, v), 0, 23);
		break;
	case RTC_MDAY:
		tm.mday = clamp(rtc__dec(r, v), 1, 31);
		break;
	case RTC_MON:
		tm.mon = clamp(rtc__dec(r, v), 1, 12);
		break;
	case RTC_YEAR:
		tm.year = tm.year / 100 * 100 + clamp(rtc__dec(r, v), 0, 99);
		break;
	case RTC_CENTURY:
		tm.year = tm.year % 100 + clamp(rtc__dec(r, v), 0, 99) * 100;
		break;
	default: /* RTC_WDAY follows the date */
		return;
	}
	rtc__set_time(r, rtc__compose(&tm));
}

static bool rtc__is_time(u8 i)
{
	return i == RTC_SEC || i == RTC_MIN || i == RTC_HOUR ||
	       (i >= RTC_WDAY && i <= RTC_YEAR) || i == RTC_CENTURY;
}

static __int128 floor_div128(__int128 a, __int128 b)
{
	return a / b - (a % b < 0);
}

/* Periods of the rate select that ended in (from, to], on the clock's
 * own grid of the 32.768 kHz time base. */
static u64 rtc__periods(const struct rtc *r, s64 from, s64 to)
{
	unsigned rs = r->ram[RTC_A] & A_RS;
	/* RS 1 and 2 are 256 and 128 Hz, RS 3-15 are 32768 >> (RS - 1). */
	unsigned shift = rs < 3 ? rs + 6 : rs - 1;
	__int128 unit = (__int128)NS << shift; /* period * 32768 */

	if (!rs || to <= from)
		return 0;
	return (u64)(floor_div128((__int128)to * 32768, unit) -
		     floor_div128((__int128)from * 32768, unit));
}

static u8 rtc__read_c(struct rtc *r)
{
	s64 now = rtc__now_ns(r), f0, f1;
	u8 c = 0;

	if (!r->held) {
		f0 = floor_div(r->c_read_ns - r->base_ns, NS);
		f1 = floor_div(now - r->base_ns, NS);
		if (f1 > f0)
			c |= C_UF;
		if (rtc__periods(r, r->c_read_ns, now))
			c |= C_PF;
	}
	if ((c & C_PF && r->ram[RTC_B] & B_PIE) ||
	    (c & C_UF && r->ram[RTC_B] & B_UIE))
		c |= C_IRQF;
	r->c_read_ns = now;
	return c;
}

/* Holds or releases the time as SET and the divider say. */
static void rtc__update_held(struct rtc *r, bool divider_released)
{
	bool held = (r->ram[RTC_B] & B_SET) ||
		    (r->ram[RTC_A] & A_DV_RESET) == A_DV_RESET;
	s64 frac;

	if (held == r->held)
		return;
	if (held) {
		r->base_sec = rtc__time(r, &frac);
		r->held = true;
		return;
	}
	r->held = false;
	r->base_ns = rtc__now_ns(r);
	/* The first update comes 500 ms after the divider is released. */
	if (divider_released)
		r->base_ns -= NS / 2;
	r->c_read_ns = r->base_ns;
}

static u8 rtc__read(struct rtc *r)
{
	u8 i = r->index;
	s64 frac;

	if (rtc__is_time(i))
		return rtc__read_time(r, i);
	switch (i) {
	case RTC_A:
		rtc__time(r, &frac);
		if (!r->held && frac >= NS - UIP_NS)
			return r->ram[RTC_A] | A_UIP;
		return r->ram[RTC_A];
	case RTC_C:
		return rtc__read_c(r);
	case RTC_D:
		return D_VRT; /* the battery is good */
	default:
		return r->ram[i];
	}
}

static void rtc__write(struct rtc *r, u8 v)
{
	u8 i = r->index;
	bool was_reset;

	if (rtc__is_time(i)) {
		rtc__write_time(r, i, v);
		return;
	}
	switch (i) {
	case RTC_A:
		was_reset = (r->ram[RTC_A] & A_DV_RESET) == A_DV_RESET;
		r->ram[RTC_A] = v & ~A_UIP;
		rtc__update_held(r, was_reset);
		break;
	case RTC_B:
		/* Setting SET clears UIE (datasheet, register B). */
		if (v & B_SET)
			v &= ~B_UIE;
		r->ram[RTC_B] = v;
		rtc__update_held(r, false);
		break;
	case RTC_C:
	case RTC_D:
		break; /* read-only */
	default:
		r->ram[i] = v;
		break;
	}
}

static int rtc__io(struct vcpu *vcpu, u64 addr, u8 *data, u32 len,
		   bool is_write, void *ptr)
{
	struct rtc *r = ptr;

	(void)vcpu;
	if (len != 1)
		return -EINVAL;
	if (addr == 0x70) {
		if (is_write) {
			r->index = data[0] & 0x7f;
			r->nmi_disabled = data[0] & 0x80;
		} else {
			data[0] = 0xff; /* the index is write-only */
		}
	} else if (is_write) {
		rtc__write(r, data[0]);
	} else {
		data[0] = rtc__read(r);
	}
	return 0;
}

static void put16(u8 *p, u64 v)
{
	if (v > 0xffff)
		v = 0xffff;
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
}

/* QEMU's pc_cmos_init: base memory in KiB, memory above 1 MiB in KiB
 * (twice), memory above 16 MiB in 64 KiB units, each capped at 0xffff. */
static void rtc__memory_sizes(struct rtc *r, u64 ram)
{
	put16(&r->ram[0x15], 640);
	put16(&r->ram[0x17], ram / KiB - 1024);
	put16(&r->ram[0x30], ram / KiB - 1024);
	put16(&r->ram[0x34],
	      ram > 16 * MiB ? (ram - 16 * MiB) / (64 * KiB) : 0);
}

static int rtc__init(struct machine *m, void **priv)
{
	struct rtc *r = calloc(1, sizeof(*r));
	s64 wall;

	if (!r)
		return -ENOMEM;
	*priv = r;
	r->m = m;
	r->ram[RTC_A] = A_BOOT;
	r->ram[RTC_B] = B_BOOT;
	rtc__memory_sizes(r, m->ram_size);
	wall = clock__wall_ns(m->clock);
	r->base_sec = floor_div(wall, NS);
	r->base_ns = rtc__now_ns(r) - (wall - r->base_sec * NS);
	r->c_read_ns = rtc__now_ns(r);
	return io_bus__register(&m->pio, 0x70, 2, rtc__io, r, "rtc");
}

static void rtc__exit(struct machine *m, void *priv)
{
	(void)m;
	free(priv);
}

static struct device_type rtc_device = {
	.name = "rtc-cmos",
	.prio = DEVICE_PRIO_DEFAULT,
	.init = rtc__init,
	.exit = rtc__exit,
};
DEVICE_REGISTER(rtc_device)
