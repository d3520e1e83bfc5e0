/*
 * The i440FX host bridge (i440fx.h) on the machine with every device,
 * through the port entry point a mode uses: configuration mechanism #1
 * with byte, word and dword accesses at each offset, the bridge's
 * header as QEMU 7.2's pc machine shows it, absent functions reading all
 * ones, and which bits a write can change.
 */
#include <criterion/criterion.h>

#include "pc_fixture.h"
#include "refvmm/i440fx.h"
#include "refvmm/machine.h"

static void setup(void)
{
	pc_boot(256 * MiB);
}

TestSuite(i440fx, .init = setup, .fini = pc_exit);

static u32 cfg_read(u32 bdf, u32 reg)
{
	pio_out(PCI_CONFIG_ADDRESS, 4, PCI_CONFIG_ENABLE | bdf << 8 | reg);
	return pio_in(PCI_CONFIG_DATA, 4);
}

static void cfg_write(u32 bdf, u32 reg, u32 v)
{
	pio_out(PCI_CONFIG_ADDRESS, 4, PCI_CONFIG_ENABLE | bdf << 8 | reg);
	pio_out(PCI_CONFIG_DATA, 4, v);
}

Test(i440fx, host_bridge_header)
{
	cr_assert_eq(cfg_read(0, 0x00), 0x12378086);
	cr_assert_eq(cfg_read(0, 0x04), 0x00000000); /* command, status */
	cr_assert_eq(cfg_read(0, 0x08), 0x06000002); /* class, revision */
	cr_assert_eq(cfg_read(0, 0x0c), 0x00000000); /* header type 0 */
	cr_assert_eq(cfg_read(0, 0x2c), 0x11001af4); /* subsystem */
	cr_assert_eq(cfg_read(0, 0x3c), 0x00000000);
	cr_assert_eq(m.stats.nr, 0, "claimed: no unclaimed-port count");
}

Test(i440fx, device_specific_registers_at_reset)
{
	/* 256 MiB in 8 MiB units at 0x57; SMRAM 0x02 at 0x72. */
	cr_assert_eq(cfg_read(0, 0x54), 0x20000000);
	cr_assert_eq(cfg_read(0, 0x70), 0x00020000);
	cr_assert_eq(cfg_read(0, 0x58), 0);
	cr_assert_eq(cfg_read(0, 0xfc), 0);
}

Test(i440fx, config_address_reads_back)
{
	/* Linux's pci_check_type1 writes 0x80000000 and reads it back. */
	pio_out(PCI_CONFIG_ADDRESS, 4, 0x80000000);
	cr_assert_eq(pio_in(PCI_CONFIG_ADDRESS, 4), 0x80000000);
	pio_out(PCI_CONFIG_ADDRESS, 4, 0x80001234);
	cr_assert_eq(pio_in(PCI_CONFIG_ADDRESS, 2), 0x1234);
	cr_assert_eq(pio_in(PCI_CONFIG_ADDRESS + 2, 2), 0x1234,
		     "QEMU: low bytes");
	cr_assert_eq(pio_in(PCI_CONFIG_ADDRESS + 3, 1), 0x34);
}

Test(i440fx, narrow_writes_to_config_address_are_ignored)
{
	pio_out(PCI_CONFIG_ADDRESS, 4, 0x80001234);
	pio_out(PCI_CONFIG_ADDRESS, 1, 0x55);
	pio_out(PCI_CONFIG_ADDRESS + 3, 1, 0x01); /* Linux's type-1 probe */
	pio_out(PCI_CONFIG_ADDRESS + 2, 2, 0x6666);
	cr_assert_eq(pio_in(PCI_CONFIG_ADDRESS, 4), 0x80001234);
}

Test(i440fx, byte_and_word_reads_at_each_offset)
{
	pio_out(PCI_CONFIG_ADDRESS, 4, PCI_CONFIG_ENABLE);
	cr_assert_eq(pio_in(PCI_CONFIG_DATA + 0, 1), 0x86);
	cr_assert_eq(pio_in(PCI_CONFIG_DATA + 1, 1), 0x80);
	cr_assert_eq(pio_in(PCI_CONFIG_DATA + 2, 1), 0x37);
	cr_assert_eq(pio_in(PCI_CONFIG_DATA + 3, 1), 0x12);
	cr_assert_eq(pio_in(PCI_CONFIG_DATA + 0, 2), 0x8086);
	cr_assert_eq(pio_in(PCI_CONFIG_DATA + 1, 2), 0x3780);
	cr_assert_eq(pio_in(PCI_CONFIG_DATA + 2, 2), 0x1237);
	pio_out(PCI_CONFIG_ADDRESS, 4, PCI_CONFIG_ENABLE | 0x08);
	cr_assert_eq(pio_in(PCI_CONFIG_DATA + 3, 1), 0x06);
	cr_assert_eq(pio_in(PCI_CONFIG_DATA + 0, 1), 0x02);
}

Test(i440fx, low_address_bits_are_ored_in)
{
	/* QEMU uses CONFIG_ADDRESS | (port & 3): bits 1:0 select too. */
	pio_out(PCI_CONFIG_ADDRESS, 4, PCI_CONFIG_ENABLE | 3);
	cr_assert_eq(pio_in(PCI_CONFIG_DATA, 1), 0x12);
}

Test(i440fx, disabled_cycle_reads_all_ones)
{
	pio_out(PCI_CONFIG_ADDRESS, 4, 0x00000000);
	cr_assert_eq(pio_in(PCI_CONFIG_DATA, 4), 0xffffffff);
	cr_assert_eq(pio_in(PCI_CONFIG_DATA + 2, 2), 0xffff);
	pio_out(PCI_CONFIG_DATA, 4, 0);
	cr_assert_eq(cfg_read(0, 0x00), 0x12378086);
}

Test(i440fx, absent_functions_read_all_ones)
{
	const u32 bdf[] = {
		0x001 << 0, /* 00:00.1 */
		1 << 3,	    /* 00:01.0: no PIIX3 */
		0x1f << 3,  /* 00:1f.0 */
		1 << 8,	    /* 01:00.0 */
		0xffff,	    /* ff:1f.7 */
	};

	for (size_t i = 0; i < ARRAY_SIZE(bdf); i++) {
		cr_assert_eq(cfg_read(bdf[i], 0x00), 0xffffffff, "bdf 0x%x",
			     bdf[i]);
		cfg_write(bdf[i], 0x04, 0x0007);
		cr_assert_eq(pio_in(PCI_CONFIG_DATA, 2), 0xffff);
	}
	cr_assert_eq(cfg_read(0, 0x04), 0, "the bridge saw none of it");
}

Test(i440fx, read_only_registers_ignore_writes)
{
	cfg_write(0, 0x00, 0);
	cfg_write(0, 0x08, 0);
	cfg_write(0, 0x2c, 0);
	cr_assert_eq(cfg_read(0, 0x00), 0x12378086);
	cr_assert_eq(cfg_read(0, 0x08), 0x06000002);
	cr_assert_eq(cfg_read(0, 0x2c), 0x11001af4);
}

Test(i440fx, writable_bits_as_qemu_has_them)
{
	/* Values read on QEMU 7.2's pc after writing all ones. */
	cfg_write(0, 0x04, 0xffffffff);
	cr_assert_eq(cfg_read(0, 0x04), 0x00000507);
	cfg_write(0, 0x0c, 0xffffffff);
	cr_assert_eq(cfg_read(0, 0x0c), 0x000000ff);
	cfg_write(0, 0x3c, 0xffffffff);
	cr_assert_eq(cfg_read(0, 0x3c), 0x000000ff);
	cfg_write(0, 0x58, 0x33333310); /* PAM0-2 as SeaBIOS sets them */
	cr_assert_eq(cfg_read(0, 0x58), 0x33333310);
}

Test(i440fx, byte_write_touches_one_byte)
{
	pio_out(PCI_CONFIG_ADDRESS, 4, PCI_CONFIG_ENABLE | 0x40);
	pio_out(PCI_CONFIG_DATA + 2, 1, 0xab);
	cr_assert_eq(cfg_read(0, 0x40), 0x00ab0000);
}

Test(i440fx, ram_size_register_saturates)
{
	struct machine big;

	cr_assert_eq(machine__init(&big, 3 * GiB, &clk), 0);
	cr_assert_eq(machine__init_devices(&big), 0);
	{
		u8 d[4];

		io__put(d, 4, PCI_CONFIG_ENABLE | 0x54);
		machine__pio(&big, NULL, PCI_CONFIG_ADDRESS, d, 4, true);
		machine__pio(&big, NULL, PCI_CONFIG_DATA + 3, d, 1, false);
		cr_assert_eq(d[0], 0xff, "3 GiB is 384 units, capped at 255");
	}
	machine__exit(&big);
}
