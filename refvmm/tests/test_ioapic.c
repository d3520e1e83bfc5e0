/*
 * The I/O APIC (ioapic.h) on the machine with every device: the register
 * window through the MMIO entry point a mode uses, with the values QEMU
 * 7.2's pc machine reads (version 0x00170020, 4-bit ID mirrored in the
 * arbitration register, read-only delivery status and remote IRR), and
 * the routing into a recording sink that stands in for the local APIC:
 * edge and level pins, masking, remote IRR and the EOI that clears it.
 */
#include <criterion/criterion.h>

#include "refvmm/ioapic.h"
#include "refvmm/machine.h"

static struct machine m;
static struct clock clk;

#define MAX_MSGS 8
static struct ioapic_msg msgs[MAX_MSGS];
static int nr_msgs;

static void sink(void *ctx, const struct ioapic_msg *msg)
{
	cr_assert_eq(ctx, &m);
	cr_assert_lt(nr_msgs, MAX_MSGS);
	msgs[nr_msgs++] = *msg;
}

static void setup(void)
{
	clock__init_test(&clk, 0);
	cr_assert_eq(machine__init(&m, 4 * MiB, &clk), 0);
	cr_assert_eq(machine__init_devices(&m), 0);
	cr_assert_not_null(m.ioapic);
	ioapic__set_sink(m.ioapic, sink, &m);
	nr_msgs = 0;
}

static void teardown(void)
{
	machine__exit(&m);
}

TestSuite(ioapic, .init = setup, .fini = teardown);

static u32 mmio_read(u64 off, u32 len)
{
	u8 d[4] = {0x5a, 0x5a, 0x5a, 0x5a};

	machine__mmio(&m, NULL, IOAPIC_BASE + off, d, len, false);
	return (u32)io__get(d, len);
}

static void mmio_write(u64 off, u32 len, u32 v)
{
	u8 d[4];

	io__put(d, len, v);
	machine__mmio(&m, NULL, IOAPIC_BASE + off, d, len, true);
}

static u32 reg(u8 r)
{
	mmio_write(IOAPIC_REGSEL, 4, r);
	return mmio_read(IOAPIC_WIN, 4);
}

static void set_reg(u8 r, u32 v)
{
	mmio_write(IOAPIC_REGSEL, 4, r);
	mmio_write(IOAPIC_WIN, 4, v);
}

static void set_rte(unsigned int pin, u64 e)
{
	set_reg((u8)(0x10 + 2 * pin), (u32)e);
	set_reg((u8)(0x11 + 2 * pin), (u32)(e >> 32));
}

static u64 rte(unsigned int pin)
{
	return reg((u8)(0x10 + 2 * pin)) | (u64)reg((u8)(0x11 + 2 * pin)) << 32;
}

Test(ioapic, registers_at_reset)
{
	cr_assert_eq(reg(IOAPIC_REG_ID), 0);
	cr_assert_eq(reg(IOAPIC_REG_VER), 0x00170020);
	cr_assert_eq(reg(IOAPIC_REG_ARB), 0);
	for (unsigned int pin = 0; pin < IOAPIC_PINS; pin++)
		cr_assert_eq(rte(pin), 0x10000, "pin %u masked", pin);
	cr_assert_eq(reg(0x40), 0, "past the table");
	cr_assert_eq(reg(0xff), 0);
	cr_assert_null(stats__find(&m.stats, "io.unclaimed_mmio"));
}

Test(ioapic, id_is_four_bits_and_arbitration_follows)
{
	set_reg(IOAPIC_REG_ID, 0xffffffff);
	cr_assert_eq(reg(IOAPIC_REG_ID), 0x0f000000);
	cr_assert_eq(reg(IOAPIC_REG_ARB), 0x0f000000);
	set_reg(IOAPIC_REG_VER, 0);
	set_reg(IOAPIC_REG_ARB, 0);
	cr_assert_eq(reg(IOAPIC_REG_VER), 0x00170020);
	cr_assert_eq(reg(IOAPIC_REG_ARB), 0x0f000000);
}

Test(ioapic, regsel_is_eight_bits)
{
	mmio_write(IOAPIC_REGSEL, 4, 0x1234);
	cr_assert_eq(mmio_read(IOAPIC_REGSEL, 4), 0x34);
}

Test(ioapic, entry_keeps_all_but_read_only_bits)
{
	/* As QEMU 7.2 reads them back after all ones is written. */
	set_rte(23, ~0ull);
	cr_assert_eq(rte(23), 0xffffffffffffafffull);
	cr_assert_eq(nr_msgs, 0, "masked");
}

Test(ioapic, window_takes_dwords_only)
{
	mmio_write(IOAPIC_REGSEL, 4, IOAPIC_REG_VER);
	cr_assert_eq(mmio_read(IOAPIC_WIN, 2), 0);
	cr_assert_eq(mmio_read(IOAPIC_WIN, 1), 0);
	mmio_write(IOAPIC_REGSEL, 4, IOAPIC_REG_ID);
	mmio_write(IOAPIC_WIN, 1, 0xff);
	cr_assert_eq(reg(IOAPIC_REG_ID), 0);
}

Test(ioapic, window_repeats_every_256_bytes)
{
	mmio_write(0x300 + IOAPIC_REGSEL, 4, IOAPIC_REG_VER);
	cr_assert_eq(mmio_read(0xf00 + IOAPIC_WIN, 4), 0x00170020);
	cr_assert_eq(mmio_read(0x04, 4), 0, "nothing at +0x04");
}

Test(ioapic, edge_pin_sends_once_per_rising_edge)
{
	/* Vector 0x31, fixed, physical destination 1, edge, unmasked. */
	set_rte(4, 0x0100000000000031ull);
	ioapic__set_irq(m.ioapic, 4, true);
	ioapic__set_irq(m.ioapic, 4, true);
	cr_assert_eq(nr_msgs, 1);
	cr_assert_eq(msgs[0].pin, 4);
	cr_assert_eq(msgs[0].vector, 0x31);
	cr_assert_eq(msgs[0].delivery_mode, IOAPIC_DM_FIXED);
	cr_assert_not(msgs[0].dest_logical);
	cr_assert_eq(msgs[0].dest, 1);
	cr_assert_not(msgs[0].level);
	ioapic__set_irq(m.ioapic, 4, false);
	ioapic__set_irq(m.ioapic, 4, true);
	cr_assert_eq(nr_msgs, 2);
	cr_assert_eq(rte(4), 0x0100000000000031ull, "no remote IRR on edge");
}

Test(ioapic, masked_edge_is_lost)
{
	set_rte(4, IOAPIC_RTE_MASK | 0x31);
	ioapic__set_irq(m.ioapic, 4, true);
	ioapic__set_irq(m.ioapic, 4, false);
	set_rte(4, 0x31);
	cr_assert_eq(nr_msgs, 0);
}

Test(ioapic, level_pin_waits_for_eoi)
{
	/* Vector 0x52, lowest priority, logical destination 0x0f, level. */
	const u64 e = 0x0f00000000008952ull;

	set_rte(10, e);
	ioapic__set_irq(m.ioapic, 10, true);
	cr_assert_eq(nr_msgs, 1);
	cr_assert_eq(msgs[0].vector, 0x52);
	cr_assert_eq(msgs[0].delivery_mode, IOAPIC_DM_LOWEST);
	cr_assert(msgs[0].dest_logical);
	cr_assert_eq(msgs[0].dest, 0x0f);
	cr_assert(msgs[0].level);
	cr_assert_eq(rte(10), e | IOAPIC_RTE_REMOTE_IRR);

	ioapic__set_irq(m.ioapic, 10, true);
	cr_assert_eq(nr_msgs, 1, "remote IRR holds it");
	ioapic__eoi(m.ioapic, 0x53);
	cr_assert_eq(nr_msgs, 1, "another vector's EOI");
	ioapic__eoi(m.ioapic, 0x52);
	cr_assert_eq(nr_msgs, 2, "still asserted: sent again");
	ioapic__set_irq(m.ioapic, 10, false);
	ioapic__eoi(m.ioapic, 0x52);
	cr_assert_eq(nr_msgs, 2);
	cr_assert_eq(rte(10), e, "remote IRR clear");
}

Test(ioapic, eoi_register_clears_remote_irr)
{
	set_rte(11, IOAPIC_RTE_LEVEL | 0x60);
	ioapic__set_irq(m.ioapic, 11, true);
	cr_assert_eq(rte(11) & IOAPIC_RTE_REMOTE_IRR, IOAPIC_RTE_REMOTE_IRR);
	ioapic__set_irq(m.ioapic, 11, false);
	mmio_write(IOAPIC_EOI, 4, 0x60);
	cr_assert_eq(rte(11), IOAPIC_RTE_LEVEL | 0x60);
}

Test(ioapic, unmasking_an_asserted_level_pin_sends)
{
	set_rte(9, IOAPIC_RTE_MASK | IOAPIC_RTE_LEVEL | 0x41);
	ioapic__set_irq(m.ioapic, 9, true);
	cr_assert_eq(nr_msgs, 0);
	set_rte(9, IOAPIC_RTE_LEVEL | 0x41);
	cr_assert_eq(nr_msgs, 1);
	cr_assert_eq(msgs[0].vector, 0x41);
}

Test(ioapic, switching_to_edge_clears_remote_irr)
{
	/* Linux's EOI for an I/O APIC without the EOI register. */
	set_rte(5, IOAPIC_RTE_LEVEL | 0x42);
	ioapic__set_irq(m.ioapic, 5, true);
	ioapic__set_irq(m.ioapic, 5, false);
	set_rte(5, IOAPIC_RTE_MASK | 0x42);
	cr_assert_eq(rte(5), IOAPIC_RTE_MASK | 0x42);
}

Test(ioapic, without_a_sink_messages_are_counted)
{
	ioapic__set_sink(m.ioapic, NULL, NULL);
	set_rte(3, 0x33);
	ioapic__set_irq(m.ioapic, 3, true);
	cr_assert_eq(stats__find(&m.stats, "irq.ioapic_undelivered")->value, 1);
}

Test(ioapic, isa_irq0_reaches_pin_2)
{
	cr_assert_eq(ioapic__isa_pin(0), 2);
	cr_assert_eq(ioapic__isa_pin(1), 1);
	cr_assert_eq(ioapic__isa_pin(15), 15);
}

Test(ioapic, testdev_irq_lines_reach_their_pins)
{
	u8 v = 1;

	/* pc-testdev's line for ISA IRQ 10 on pin 10, IRQ 0 on pin 2. */
	set_rte(10, IOAPIC_RTE_LEVEL | 0x4a);
	set_rte(2, 0x42);
	machine__pio(&m, NULL, 0x2000 + 10, &v, 1, true);
	machine__pio(&m, NULL, 0x2000 + 0, &v, 1, true);
	cr_assert_eq(nr_msgs, 2);
	cr_assert_eq(msgs[0].pin, 10);
	cr_assert_eq(msgs[0].vector, 0x4a);
	cr_assert_eq(msgs[1].pin, 2);
	cr_assert_eq(msgs[1].vector, 0x42);
	cr_assert_eq(rte(10), IOAPIC_RTE_LEVEL | IOAPIC_RTE_REMOTE_IRR | 0x4a);
}
