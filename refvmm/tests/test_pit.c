/*
 * The 8254 at register level (Intel 8254 datasheet) against a test
 * clock: channel 0's modes 0, 2, 3 and 4 (count, OUT, IRQ0 edges), the
 * counter latch command and read-back, lobyte/hibyte/word access, count
 * 0 = 65536; channel 2's GATE in every mode (pausing, reloading,
 * triggering) and the reads Linux's TSC calibration makes.
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

/* When the input clock's edge @ticks after the start comes: the clock
 * runs on its own grid, whose edge 1193 is just before 1 ms. */
static u64 edge(u64 ticks)
{
	return ((1193 + ticks) * NSEC_PER_SEC + PIT_HZ - 1) / PIT_HZ;
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
	cr_assert_eq(pit8254__next_deadline(&pit), edge(1000));
	cr_assert(pit8254__out(&pit, 0));
	at(999);
	cr_assert_eq(read_word(), 1);
	cr_assert_not(pit8254__out(&pit, 0), "OUT low for the last clock");
	cr_assert_eq(edges, 0);
	at(1000);
	cr_assert_eq(edges, 1, "one IRQ0 per period");
	cr_assert_eq(read_word(), 1000, "reloaded");
	cr_assert_eq(pit8254__next_deadline(&pit), edge(2000));
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
	cr_assert_eq(pit8254__next_deadline(&pit), edge(1100));
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

Test(pit, mode4_strobe_raises_irq0_once)
{
	/* Linux's one-shot clock event: 0x38, then LSB, MSB per event. */
	program(0x38, 100);
	cr_assert(pit8254__out(&pit, 0));
	cr_assert_eq(pit8254__next_deadline(&pit), edge(101));
	at(99);
	cr_assert(pit8254__out(&pit, 0));
	at(100);
	cr_assert_not(pit8254__out(&pit, 0), "low for the clock at count 0");
	cr_assert_eq(edges, 0);
	at(101);
	cr_assert(pit8254__out(&pit, 0));
	cr_assert_eq(edges, 1, "the rising edge after the strobe");
	cr_assert_eq(pit8254__next_deadline(&pit), 0);
	at(5000);
	cr_assert_eq(edges, 1);
	pit8254__write(&pit, 0, 50);
	pit8254__write(&pit, 0, 0);
	cr_assert_eq(pit8254__next_deadline(&pit), edge(5051),
		     "a new count rearms");
}

static void program2(u8 ctrl, u16 count)
{
	pit8254__write(&pit, 3, ctrl);
	pit8254__write(&pit, 2, count & 0xff);
	pit8254__write(&pit, 2, count >> 8);
}

static u16 read_word2(void)
{
	u16 lo = pit8254__read(&pit, 2);

	return (u16)(lo | pit8254__read(&pit, 2) << 8);
}

Test(pit, channel2_gate_starts_low_and_holds_mode0)
{
	cr_assert_not(pit.ch[2].gate);
	cr_assert(pit.ch[0].gate && pit.ch[1].gate, "tied high on the PC");
	program2(0xb0, 1000);
	cr_assert_not(pit8254__out(&pit, 2));
	at(500);
	cr_assert_eq(read_word2(), 1000, "no counting while GATE is low");
	pit8254__set_gate(&pit, 2, true);
	at(900);
	cr_assert_eq(read_word2(), 600);
	at(1499);
	cr_assert_not(pit8254__out(&pit, 2));
	at(1500);
	cr_assert(pit8254__out(&pit, 2), "terminal count 1000 clocks later");
	cr_assert_eq(edges, 0, "channel 2 is not wired to IRQ0");
}

Test(pit, channel2_mode0_gate_low_pauses)
{
	pit8254__set_gate(&pit, 2, true);
	program2(0xb0, 1000);
	at(300);
	pit8254__set_gate(&pit, 2, false);
	at(800);
	cr_assert_eq(read_word2(), 700, "held while GATE is low");
	cr_assert_not(pit8254__out(&pit, 2));
	pit8254__set_gate(&pit, 2, true);
	at(1000);
	cr_assert_eq(read_word2(), 500, "resumed, not reloaded");
	at(1499);
	cr_assert_not(pit8254__out(&pit, 2));
	at(1500);
	cr_assert(pit8254__out(&pit, 2));
}

Test(pit, channel2_mode2_gate_forces_out_high_and_reloads)
{
	pit8254__set_gate(&pit, 2, true);
	program2(0xb4, 100);
	at(99);
	cr_assert_not(pit8254__out(&pit, 2));
	pit8254__set_gate(&pit, 2, false);
	cr_assert(pit8254__out(&pit, 2), "GATE low sets OUT high at once");
	at(150);
	cr_assert_eq(read_word2(), 1, "held");
	pit8254__set_gate(&pit, 2, true);
	cr_assert_eq(read_word2(), 100, "the rising edge reloads");
	at(249);
	cr_assert_not(pit8254__out(&pit, 2));
	at(250);
	cr_assert(pit8254__out(&pit, 2));
	cr_assert_eq(read_word2(), 100);
}

Test(pit, channel2_mode3_gate_reloads)
{
	pit8254__set_gate(&pit, 2, true);
	program2(0xb6, 100);
	at(60);
	cr_assert_not(pit8254__out(&pit, 2), "second half of the period");
	pit8254__set_gate(&pit, 2, false);
	cr_assert(pit8254__out(&pit, 2));
	at(70);
	pit8254__set_gate(&pit, 2, true);
	at(80);
	cr_assert_eq(read_word2(), 80, "reloaded at 70, two per clock");
	at(119);
	cr_assert(pit8254__out(&pit, 2));
	at(120);
	cr_assert_not(pit8254__out(&pit, 2));
}

Test(pit, channel2_mode1_one_shot_on_trigger)
{
	program2(0xb2, 100);
	cr_assert(pit8254__out(&pit, 2), "high until triggered");
	at(50);
	cr_assert_eq(read_word2(), 100);
	pit8254__set_gate(&pit, 2, true);
	cr_assert_not(pit8254__out(&pit, 2), "low from the trigger");
	at(100);
	pit8254__set_gate(&pit, 2, false);
	at(149);
	cr_assert_eq(read_word2(), 1, "GATE's level does not pause mode 1");
	cr_assert_not(pit8254__out(&pit, 2));
	at(150);
	cr_assert(pit8254__out(&pit, 2));
	at(151);
	cr_assert_eq(read_word2(), 0xffff, "counts on past 0");
	pit8254__set_gate(&pit, 2, true);
	program2(0xb2, 100); /* control word: untriggered again */
	at(160);
	cr_assert_eq(read_word2(), 100, "GATE already high: no trigger");
}

Test(pit, channel2_mode1_count_waits_for_next_trigger)
{
	program2(0xb2, 100);
	pit8254__set_gate(&pit, 2, true);
	at(10);
	pit8254__write(&pit, 2, 0x20);
	pit8254__write(&pit, 2, 0x03); /* 800 during the one-shot */
	at(99);
	cr_assert_not(pit8254__out(&pit, 2), "the one-shot runs on");
	at(100);
	cr_assert(pit8254__out(&pit, 2));
	pit8254__set_gate(&pit, 2, false);
	pit8254__set_gate(&pit, 2, true);
	at(899);
	cr_assert_not(pit8254__out(&pit, 2), "retriggered with 800");
	at(900);
	cr_assert_eq(read_word2(), 0);
	cr_assert(pit8254__out(&pit, 2));
}

Test(pit, channel2_mode5_strobe_on_trigger)
{
	program2(0xba, 10);
	at(100);
	cr_assert(pit8254__out(&pit, 2));
	pit8254__set_gate(&pit, 2, true);
	at(109);
	cr_assert(pit8254__out(&pit, 2));
	at(110);
	cr_assert_not(pit8254__out(&pit, 2), "strobe at count 0");
	at(111);
	cr_assert(pit8254__out(&pit, 2));
}

Test(pit, channel2_msb_as_quick_pit_calibrate_reads_it)
{
	/* Linux's quick_pit_calibrate: mode 0 from 0xffff, then the MSB of
	 * each LSB, MSB pair drops by one every 256 clocks. */
	pit8254__set_gate(&pit, 2, true);
	program2(0xb0, 0xffff);
	pit8254__read(&pit, 2);
	cr_assert_eq(pit8254__read(&pit, 2), 0xff);
	at(255);
	pit8254__read(&pit, 2);
	cr_assert_eq(pit8254__read(&pit, 2), 0xff);
	at(256);
	cr_assert_eq(pit8254__read(&pit, 2), 0xff, "LSB of 0xfeff");
	cr_assert_eq(pit8254__read(&pit, 2), 0xfe);
	at(256 * 100);
	pit8254__read(&pit, 2);
	cr_assert_eq(pit8254__read(&pit, 2), 0xff - 100);
}
