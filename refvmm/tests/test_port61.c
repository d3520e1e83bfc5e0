/*
 * Port 0x61 on the machine with every device, through the port entry
 * point a mode uses: channel 2's GATE and OUT as Linux's TSC
 * calibration drives them (pit_calibrate_tsc, quick_pit_calibrate),
 * the refresh toggle from the clock, the read-only bits.
 */
#include <criterion/criterion.h>

#include "pc_fixture.h"
#include "refvmm/machine.h"
#include "refvmm/pit8254.h"

static void setup(void)
{
	pc_boot(4 * MiB);
}

TestSuite(port61, .init = setup, .fini = pc_exit);

/* The first ns at which @ticks PIT clocks have passed since time 0. */
static u64 ns(u64 ticks)
{
	return (ticks * NSEC_PER_SEC + PIT_HZ - 1) / PIT_HZ;
}

Test(port61, reads_zero_at_start)
{
	cr_assert_eq(inb(0x61), 0x00);
	cr_assert_eq(m.stats.nr, 0, "claimed: no unclaimed-port count");
}

Test(port61, refresh_bit_toggles_every_15085_ns)
{
	clk.test_ns = 15084;
	cr_assert_eq(inb(0x61) & 0x10, 0);
	clk.test_ns = 15085;
	cr_assert_eq(inb(0x61) & 0x10, 0x10);
	clk.test_ns = 30169;
	cr_assert_eq(inb(0x61) & 0x10, 0x10);
	clk.test_ns = 30170;
	cr_assert_eq(inb(0x61) & 0x10, 0);
}

Test(port61, only_bits_0_to_3_are_written)
{
	outb(0xff, 0x61);
	cr_assert_eq(inb(0x61), 0x0f);
	outb(0x0a, 0x61);
	cr_assert_eq(inb(0x61), 0x0a);
	cr_assert_not(m.pit->ch[2].gate);
}

Test(port61, pit_calibrate_tsc_sees_out2_rise)
{
	/* Linux's pit_calibrate_tsc: gate high, speaker off, channel 2 mode 0
	 * with a 10 ms latch (11931), then poll bit 5. */
	outb((inb(0x61) & ~0x02) | 0x01, 0x61);
	outb(0xb0, 0x43);
	outb(11931 & 0xff, 0x42);
	outb(11931 >> 8, 0x42);
	cr_assert_eq(inb(0x61), 0x01);
	clk.test_ns = ns(11930);
	cr_assert_eq(inb(0x61) & 0x20, 0);
	clk.test_ns = ns(11931);
	cr_assert_eq(inb(0x61) & 0x20, 0x20);
	cr_assert_eq(m.pit->irqs, 0, "channel 2 raises no IRQ0");
}

Test(port61, quick_pit_calibrate_reads_the_msb)
{
	outb(0x01, 0x61);
	outb(0xb0, 0x43);
	outb(0xff, 0x42);
	outb(0xff, 0x42);
	inb(0x42);
	cr_assert_eq(inb(0x42), 0xff);
	clk.test_ns = ns(256 * 3);
	cr_assert_eq(inb(0x42), 0xff);
	cr_assert_eq(inb(0x42), 0xfc);
}

Test(port61, gate_low_holds_channel2)
{
	outb(0xb0, 0x43);
	outb(100, 0x42);
	outb(0, 0x42);
	clk.test_ns = ns(500);
	cr_assert_eq(inb(0x61) & 0x20, 0, "GATE low: never counted");
	outb(0x01, 0x61);
	clk.test_ns = ns(599);
	cr_assert_eq(inb(0x61) & 0x20, 0);
	clk.test_ns = ns(600);
	cr_assert_eq(inb(0x61) & 0x20, 0x20);
}
