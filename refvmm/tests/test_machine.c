/*
 * The machine with every registered device, driven through the same
 * port and MMIO entry points a mode uses: the pc-testdev layout (QEMU's
 * hw/misc/pc-testdev.c), unclaimed ports and MMIO floating high, the
 * debug-exit status, the serial flood bound, PIT -> PIC wiring.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "refvmm/exitcode.h"
#include "refvmm/machine.h"
#include "refvmm/pic8259.h"
#include "refvmm/pit8254.h"
#include "refvmm/testdev.h"

static struct machine m;
static struct clock clk;
static char *out;
static size_t outlen;

static void setup(void)
{
	clock__init_test(&clk, 0);
	cr_assert_eq(machine__init(&m, 4 * MiB, &clk), 0);
	m.serial_out = open_memstream(&out, &outlen);
	cr_assert_eq(machine__init_devices(&m), 0);
}

static void teardown(void)
{
	FILE *f = m.serial_out;

	machine__exit(&m);
	fclose(f);
	free(out);
}

TestSuite(machine, .init = setup, .fini = teardown);

static u64 in(u16 port, u32 len)
{
	u8 d[8] = {0};

	machine__pio(&m, NULL, port, d, len, false);
	return io__get(d, len);
}

static void outp(u16 port, u32 len, u64 v)
{
	u8 d[8];

	io__put(d, len, v);
	machine__pio(&m, NULL, port, d, len, true);
}

Test(machine, every_device_is_registered)
{
	cr_assert_not_null(m.pic);
	cr_assert_not_null(m.pit);
	cr_assert_geq(m.nr_devices, 6);
}

Test(machine, ram_bounds)
{
	cr_assert_not_null(machine__gpa_to_hva(&m, 4 * MiB - 1, 1));
	cr_assert_null(machine__gpa_to_hva(&m, 4 * MiB - 1, 2));
	cr_assert_null(machine__gpa_to_hva(&m, UINT64_MAX, 2));
}

Test(machine, bad_ram_size_refused)
{
	struct machine x;

	cr_assert_lt(machine__init(&x, 1 * MiB, &clk), 0);
	machine__exit(&x);
	cr_assert_lt(machine__init(&x, 4 * GiB, &clk), 0);
	machine__exit(&x);
}

Test(machine, unclaimed_port_reads_all_ones)
{
	cr_assert_eq(in(0x99, 1), 0xff);
	cr_assert_eq(in(0x99, 4), 0xffffffff);
	outp(0x99, 1, 0x12); /* ignored */
	cr_assert_eq(stats__find(&m.stats, "io.unclaimed_port")->value, 3);
}

Test(machine, wide_access_to_byte_device_floats)
{
	cr_assert_eq(in(0x3f8 + 5, 2), 0xffff);
}

Test(machine, testdev_dword_latch_and_byte_window)
{
	outp(TESTDEV_PORT, 4, 0x11223344);
	cr_assert_eq(in(TESTDEV_PORT, 4), 0x11223344);
	cr_assert_eq(in(TESTDEV_PORT + 2, 2), 0x1122);
	cr_assert_eq(in(TESTDEV_BYTE_PORT + 1, 1), 0x33);
	outp(TESTDEV_BYTE_PORT + 3, 1, 0xaa);
	cr_assert_eq(in(TESTDEV_PORT, 4), 0xaa223344);
}

Test(machine, testdev_iomem_is_memory_behind_exits)
{
	u8 d[8];

	io__put(d, 4, 0xdeadbeef);
	machine__mmio(&m, NULL, TESTDEV_IOMEM_BASE + 0x10, d, 4, true);
	memset(d, 0, sizeof(d));
	machine__mmio(&m, NULL, TESTDEV_IOMEM_BASE + 0x12, d, 2, false);
	cr_assert_eq(io__get(d, 2), 0xdead);
	machine__mmio(&m, NULL, TESTDEV_IOMEM_BASE + 0xfffc, d, 4, false);
	cr_assert_eq(io__get(d, 4), 0, "last dword of the 64 KiB window");
	machine__mmio(&m, NULL, TESTDEV_IOMEM_BASE + 0x10000, d, 4, false);
	cr_assert_eq(io__get(d, 4), 0xffffffff, "past the window: unclaimed");
}

Test(machine, testdev_irq_line_reaches_pic)
{
	outp(0x21, 1, 0x00);
	outp(TESTDEV_IRQ_PORT + 5, 1, 1);
	cr_assert(pic8259__has_output(m.pic));
}

Test(machine, debug_exit_status)
{
	outp(0xf4, 1, 2);
	cr_assert(m.stop);
	cr_assert_eq(m.stop_status, 5);
	cr_assert_eq(refvmm_exit__guest(0), 1);
	cr_assert_eq(refvmm_exit__guest(0x80), 1, "8-bit status wraps");
}

Test(machine, serial_goes_out_and_is_bounded)
{
	int i;

	m.serial_limit = 4;
	for (i = 0; i < 6; i++)
		outp(0x3f8, 1, 'a' + i);
	fflush(m.serial_out);
	cr_assert_eq(outlen, 4);
	cr_assert_eq(memcmp(out, "abcd", 4), 0);
	cr_assert(m.stop);
	cr_assert_eq(m.stop_status, REFVMM_EXIT_SERIAL_FLOOD);
}

Test(machine, pit_drives_irq0_through_the_pic)
{
	/* guest/pic.c: PIC at 0x20, unmask IRQ0, PIT mode 2 at ~1 kHz. */
	outp(0x20, 1, 0x11);
	outp(0x21, 1, 0x20);
	outp(0x21, 1, 0x04);
	outp(0x21, 1, 0x01);
	outp(0x21, 1, 0xfe);
	outp(0x43, 1, 0x34);
	outp(0x40, 1, 1193 & 0xff);
	outp(0x40, 1, 1193 >> 8);
	pit8254__update(m.pit);
	cr_assert_not(pic8259__has_output(m.pic));
	clk.test_ns = pit8254__next_deadline(m.pit);
	pit8254__update(m.pit);
	cr_assert(pic8259__has_output(m.pic));
	cr_assert_eq(pic8259__ack(m.pic), 0x20);
}

Test(machine, port80_is_claimed)
{
	outp(0x80, 1, 0x55);
	cr_assert_null(stats__find(&m.stats, "io.unclaimed_port"));
}
