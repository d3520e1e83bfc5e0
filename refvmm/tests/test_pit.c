/*
 * 8254 channel 0 at register level (Intel 8254 datasheet) against a test
 * clock: modes 0, 2 and 3 (count, OUT, IRQ0 edges), the counter latch
 * command and read-back, lobyte/hibyte/word access, count 0 = 65536.
 */
#include <criterion/criterion.h>

#include "refvmm/pit8254.h"

static struct pit8254 pit;
static struct clock clk;
static int edges, level;

static void irq_set(void *ctx, int irq, int l)
{
	(void)ctx;
	cr_assert_eq(irq, 0);
	if (l && !level)
		edges++;
	level = l;
}

/* Time of @ticks input clocks, rounded up (ns). */
static u64 ns(u64 ticks)
{
	return (ticks * NSEC_PER_SEC + PIT_HZ - 1) / PIT_HZ;
}

static void at(u64 ticks)
{
	clk.test_ns = 1000000 + ns(ticks);
	pit8254__update(&pit);
}

static void setup(void)
{
	clock__init_test(&clk, 1000000);
	pit8254__init(&pit, &clk);
	pit.irq0 = (struct irq_line){irq_set, NULL, 0};
	edges = 0;
	level = 0;
}

static void program(u8 ctrl, u16 count)
{
	pit8254__write(&pit, 3, ctrl);
	pit8254__write(&pit, 0, count & 0xff);
	pit8254__write(&pit, 0, count >> 8);
}

static u16 read_word(void)
{
	u16 lo = pit8254__read(&pit, 0);

	return (u16)(lo | pit8254__read(&pit, 0) << 8);
}

TestSuite(pit, .init = setup);

Test(pit, mode2_rate_generator)
{
	program(0x34, 1000);
	cr_assert_eq(read_word(), 1000);
	at(100);
	cr_assert_eq(read_word(), 900);
	cr_assert_eq(edges, 0);
	cr_assert_eq(pit8254__next_deadline(&pit), 1000000 + ns(1000));
	cr_assert(pit8254__out(&pit, 0));
	at(999);
	cr_assert_eq(read_word(), 1);
	cr_assert_not(pit8254__out(&pit, 0), "OUT low for the last clock");
	cr_assert_eq(edges, 0);
	at(1000);
	cr_assert_eq(edges, 1, "one IRQ0 per period");
	cr_assert_eq(read_word(), 1000, "reloaded");
	cr_assert_eq(pit8254__next_deadline(&pit), 1000000 + ns(2000));
	at(1500);
	cr_assert_eq(edges, 1);
	at(2000);
	cr_assert_eq(edges, 2);
}

Test(pit, missed_periods_coalesce)
{
	program(0x34, 100);
	at(1050);
	cr_assert_eq(edges, 1);
	cr_assert_eq(pit8254__next_deadline(&pit), 1000000 + ns(1100));
}

Test(pit, mode0_interrupt_on_terminal_count)
{
	program(0x30, 500);
	cr_assert_not(pit8254__out(&pit, 0), "OUT low after the count");
	at(499);
	cr_assert_eq(edges, 0);
	cr_assert_eq(read_word(), 1);
	at(500);
	cr_assert_eq(edges, 1);
	cr_assert(pit8254__out(&pit, 0));
	cr_assert_eq(pit8254__next_deadline(&pit), 0, "fires once");
	at(5000);
	cr_assert_eq(edges, 1);
	cr_assert(pit8254__out(&pit, 0), "OUT stays high");
	cr_assert_eq(read_word(), (u16)(500 - 5000), "counter wraps on");
}

Test(pit, mode0_first_byte_stops_count)
{
	program(0x30, 500);
	pit8254__write(&pit, 0, 0x10);
	at(600);
	cr_assert_eq(edges, 0);
	cr_assert_eq(pit8254__next_deadline(&pit), 0);
	pit8254__write(&pit, 0, 0x00);
	cr_assert_neq(pit8254__next_deadline(&pit), 0);
}

Test(pit, mode3_square_wave)
{
	program(0x36, 1000);
	cr_assert(pit8254__out(&pit, 0));
	at(100);
	cr_assert_eq(read_word(), 800, "decrements by two");
	cr_assert(pit8254__out(&pit, 0));
	at(499);
	cr_assert(pit8254__out(&pit, 0), "high for the first half");
	at(500);
	cr_assert_not(pit8254__out(&pit, 0), "low for the second half");
	cr_assert_eq(edges, 0);
	at(1000);
	cr_assert_eq(edges, 1);
	cr_assert(pit8254__out(&pit, 0));
}

Test(pit, latch_command_freezes_count)
{
	program(0x34, 1000);
	at(100);
	pit8254__write(&pit, 3, 0x00); /* latch channel 0 */
	at(300);
	pit8254__write(&pit, 3, 0x00); /* ignored: latch still unread */
	cr_assert_eq(read_word(), 900);
	cr_assert_eq(read_word(), 700, "live again after the latch is read");
}

Test(pit, read_back_latches_count)
{
	program(0x34, 1000);
	at(250);
	pit8254__write(&pit, 3, 0xd2); /* read-back: count, channel 0 */
	at(400);
	cr_assert_eq(read_word(), 750);
}

Test(pit, lobyte_only_access)
{
	pit8254__write(&pit, 3, 0x14);
	pit8254__write(&pit, 0, 0x50);
	cr_assert_eq(pit.ch[0].reload, 0x50);
	at(0x10);
	cr_assert_eq(pit8254__read(&pit, 0), 0x40);
	cr_assert_eq(pit8254__read(&pit, 0), 0x40, "every read is the LSB");
}

Test(pit, hibyte_only_access)
{
	pit8254__write(&pit, 3, 0x24);
	pit8254__write(&pit, 0, 0x02);
	cr_assert_eq(pit.ch[0].reload, 0x200);
	cr_assert_eq(pit8254__read(&pit, 0), 0x02);
}

Test(pit, zero_count_is_65536)
{
	program(0x34, 0);
	cr_assert_eq(pit.ch[0].reload, 65536);
	at(65535);
	cr_assert_eq(edges, 0);
	at(65536);
	cr_assert_eq(edges, 1);
}

Test(pit, new_control_word_disarms)
{
	program(0x34, 100);
	pit8254__write(&pit, 3, 0x34);
	at(1000);
	cr_assert_eq(edges, 0);
	cr_assert_eq(pit8254__next_deadline(&pit), 0);
}

Test(pit, control_port_reads_ff)
{
	cr_assert_eq(pit8254__read(&pit, 3), 0xff);
}
