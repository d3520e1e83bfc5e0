/*
 * The RTC and CMOS RAM (0x70/0x71) on the machine with every device,
 * through the port entry point a mode uses, against a test clock whose
 * wall time starts at 2024-02-29 23:59:58.5 UTC: the time in BCD and
 * binary, 24 and 12 hours, across a leap day; UIP, SET, the divider
 * reset, register C's flags, the memory sizes and plain CMOS RAM.
 */
#include <criterion/criterion.h>

#include "refvmm/machine.h"

#define WALL_START 1709251198ll /* 2024-02-29 23:59:58 UTC, a Thursday */
#define NS	   ((s64)NSEC_PER_SEC)

static struct machine m;
static struct clock clk;

static void boot(u64 ram)
{
	clock__init_test(&clk, 0);
	clk.wall_offset_ns = WALL_START * NS + NS / 2;
	cr_assert_eq(machine__init(&m, ram, &clk), 0);
	cr_assert_eq(machine__init_devices(&m), 0);
}

static void setup(void)
{
	boot(4 * MiB);
}

static void teardown(void)
{
	machine__exit(&m);
}

TestSuite(rtc, .init = setup, .fini = teardown);

static u8 cmos(u8 index)
{
	u8 d = index;

	machine__pio(&m, NULL, 0x70, &d, 1, true);
	machine__pio(&m, NULL, 0x71, &d, 1, false);
	return d;
}

static void cmos_write(u8 index, u8 v)
{
	machine__pio(&m, NULL, 0x70, &index, 1, true);
	machine__pio(&m, NULL, 0x71, &v, 1, true);
}

static void expect_time(u8 sec, u8 min, u8 hour, u8 wday, u8 mday, u8 mon,
			u8 year, u8 century)
{
	cr_assert_eq(cmos(0x00), sec);
	cr_assert_eq(cmos(0x02), min);
	cr_assert_eq(cmos(0x04), hour);
	cr_assert_eq(cmos(0x06), wday);
	cr_assert_eq(cmos(0x07), mday);
	cr_assert_eq(cmos(0x08), mon);
	cr_assert_eq(cmos(0x09), year);
	cr_assert_eq(cmos(0x32), century);
}

Test(rtc, wall_time_at_start_in_bcd)
{
	expect_time(0x58, 0x59, 0x23, 5, 0x29, 0x02, 0x24, 0x20);
	cr_assert_eq(cmos(0x0a), 0x26);
	cr_assert_eq(cmos(0x0b), 0x02);
	cr_assert_eq(cmos(0x0d), 0x80);
}

Test(rtc, leap_day_rolls_into_march)
{
	clk.test_ns = 1499999999;
	cr_assert_eq(cmos(0x00), 0x59);
	clk.test_ns = 1500000000;
	expect_time(0x00, 0x00, 0x00, 6, 0x01, 0x03, 0x24, 0x20);
}

Test(rtc, uip_in_the_244_us_before_an_update)
{
	clk.test_ns = NS / 2 - 244001;
	cr_assert_eq(cmos(0x0a), 0x26);
	clk.test_ns = NS / 2 - 244000;
	cr_assert_eq(cmos(0x0a), 0xa6);
	cr_assert_eq(cmos(0x00), 0x58, "not updated yet");
	clk.test_ns = NS / 2;
	cr_assert_eq(cmos(0x0a), 0x26);
	cr_assert_eq(cmos(0x00), 0x59);
}

Test(rtc, binary_and_12_hour_modes)
{
	cmos_write(0x0b, 0x04); /* binary, 12 hours */
	cr_assert_eq(cmos(0x04), 0x8b, "11 PM");
	cr_assert_eq(cmos(0x00), 58);
	cr_assert_eq(cmos(0x09), 24);
	cmos_write(0x0b, 0x00); /* BCD, 12 hours */
	cr_assert_eq(cmos(0x04), 0x91);
	clk.test_ns = 1500000000;
	cr_assert_eq(cmos(0x04), 0x12, "midnight is 12 AM");
	cmos_write(0x04, 0x81); /* 1 PM */
	cmos_write(0x0b, 0x02);
	cr_assert_eq(cmos(0x04), 0x13);
}

Test(rtc, set_holds_the_time_while_it_is_written)
{
	cmos_write(0x0b, 0x82 | 0x10); /* SET (and UIE, which SET clears) */
	cr_assert_eq(cmos(0x0b), 0x82);
	cmos_write(0x00, 0x30);
	cmos_write(0x02, 0x15);
	cmos_write(0x04, 0x08);
	cmos_write(0x07, 0x15);
	cmos_write(0x08, 0x06);
	cmos_write(0x09, 0x99);
	cmos_write(0x32, 0x19);
	clk.test_ns = 5 * NS;
	expect_time(0x30, 0x15, 0x08, 3, 0x15, 0x06, 0x99, 0x19);
	cr_assert_eq(cmos(0x0a), 0x26, "no UIP while SET");
	cmos_write(0x0b, 0x02);
	clk.test_ns = 6 * NS - 1;
	cr_assert_eq(cmos(0x00), 0x30);
	clk.test_ns = 6 * NS;
	cr_assert_eq(cmos(0x00), 0x31);
}

Test(rtc, a_write_keeps_the_phase_of_the_second)
{
	clk.test_ns = NS / 4;
	cmos_write(0x02, 0x10);
	cr_assert_eq(cmos(0x02), 0x10);
	cr_assert_eq(cmos(0x00), 0x58);
	clk.test_ns = NS / 2;
	cr_assert_eq(cmos(0x00), 0x59);
	cr_assert_eq(cmos(0x04), 0x23);
}

Test(rtc, year_99_rolls_the_century)
{
	/* 2099 has no 29 February: the date moves on to 1 March. */
	cmos_write(0x09, 0x99);
	cr_assert_eq(cmos(0x08), 0x03);
	cmos_write(0x08, 0x12);
	cmos_write(0x07, 0x31);
	clk.test_ns = 1500000000;
	expect_time(0x00, 0x00, 0x00, 6, 0x01, 0x01, 0x00, 0x21);
}

Test(rtc, divider_reset_holds_and_first_update_is_half_a_second_later)
{
	cmos_write(0x0a, 0x70); /* Linux's RTC_DIV_RESET2 */
	clk.test_ns = 3 * NS;
	cr_assert_eq(cmos(0x00), 0x58);
	cmos_write(0x0a, 0x26);
	clk.test_ns = 3 * NS + NS / 2 - 1;
	cr_assert_eq(cmos(0x00), 0x58);
	clk.test_ns = 3 * NS + NS / 2;
	cr_assert_eq(cmos(0x00), 0x59);
}

Test(rtc, register_c_flags_since_last_read)
{
	cr_assert_eq(cmos(0x0c), 0x00);
	clk.test_ns = 976562; /* one 1024 Hz period is 976562.5 ns */
	cr_assert_eq(cmos(0x0c), 0x00);
	clk.test_ns = 976563;
	cr_assert_eq(cmos(0x0c), 0x40, "PF");
	cr_assert_eq(cmos(0x0c), 0x00, "read clears");
	clk.test_ns = NS / 2;
	cr_assert_eq(cmos(0x0c), 0x50, "PF and UF");
	cmos_write(0x0b, 0x12); /* UIE */
	clk.test_ns = NS + NS / 2;
	cr_assert_eq(cmos(0x0c), 0xd0, "IRQF with UIE");
	cmos_write(0x0a, 0x20); /* no periodic rate */
	clk.test_ns = 2 * NS;
	cr_assert_eq(cmos(0x0c), 0x00);
	cmos_write(0x0c, 0xff);
	cmos_write(0x0d, 0x00);
	cr_assert_eq(cmos(0x0d), 0x80, "read-only");
}

Test(rtc, memory_sizes_for_4_mib)
{
	cr_assert_eq(cmos(0x15), 0x80);
	cr_assert_eq(cmos(0x16), 0x02);
	cr_assert_eq(cmos(0x17), 0x00);
	cr_assert_eq(cmos(0x18), 0x0c);
	cr_assert_eq(cmos(0x30), 0x00);
	cr_assert_eq(cmos(0x31), 0x0c);
	cr_assert_eq(cmos(0x34), 0x00);
	cr_assert_eq(cmos(0x35), 0x00);
}

Test(rtc, memory_sizes_for_3_gib)
{
	machine__exit(&m);
	boot(3 * GiB);
	cr_assert_eq(cmos(0x17), 0xff, "capped at 0xffff KiB");
	cr_assert_eq(cmos(0x18), 0xff);
	cr_assert_eq(cmos(0x30), 0xff);
	cr_assert_eq(cmos(0x31), 0xff);
	cr_assert_eq(cmos(0x34), 0x00, "(3072 - 16) * 16 = 0xbf00");
	cr_assert_eq(cmos(0x35), 0xbf);
}

static void expect_index_write_only(void)
{
	u8 d = 0;

	machine__pio(&m, NULL, 0x70, &d, 1, false);
	cr_assert_eq(d, 0xff, "the index is write-only");
}

Test(rtc, index_nmi_bit_and_plain_ram)
{
	cr_assert_eq(cmos(0x8a), 0x26, "bit 7 is the NMI disable");
	cmos_write(0x40, 0x5a);
	cmos_write(0xff, 0xa5);
	cr_assert_eq(cmos(0x40), 0x5a);
	cr_assert_eq(cmos(0x7f), 0xa5);
	cr_assert_eq(cmos(0x01), 0x00, "alarm registers are RAM");
	cmos_write(0x01, 0x45);
	cr_assert_eq(cmos(0x01), 0x45);
	expect_index_write_only();
}
