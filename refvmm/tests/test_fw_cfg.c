/*
 * QEMU's fw_cfg on ports 0x510/0x511 (fw_cfg.h) on the machine with every
 * device, through the port entry point a mode uses: each item's exact
 * bytes as QEMU's pc machine encodes them, the file directory, etc/e820
 * byte for byte the map the Linux loader writes into boot_params, and
 * QEMU's access rules (offset reset on select, zeros past the end and
 * for unknown keys, byte writes dropped, word reads zero).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "pc_fixture.h"
#include "refvmm/fw_cfg.h"
#include "refvmm/linux_boot.h"
#include "refvmm/machine.h"

#define RAM (64 * MiB)

static void setup(void)
{
	pc_boot(RAM);
}

TestSuite(fw_cfg, .init = setup, .fini = pc_exit);

static void select_key(u16 key)
{
	u8 d[2] = {(u8)key, (u8)(key >> 8)};

	machine__pio(&m, NULL, FW_CFG_PORT_SEL, d, 2, true);
}

static void read_item(u16 key, u8 *buf, size_t n)
{
	select_key(key);
	for (size_t i = 0; i < n; i++)
		buf[i] = inb(FW_CFG_PORT_DATA);
}

static void assert_item(u16 key, const u8 *want, size_t n)
{
	u8 got[64];

	cr_assert_leq(n + 4, sizeof(got));
	read_item(key, got, n + 4);
	cr_assert_arr_eq(got, want, n, "key 0x%x", key);
	for (size_t i = n; i < n + 4; i++)
		cr_assert_eq(got[i], 0, "key 0x%x byte %zu past the end", key,
			     i);
}

Test(fw_cfg, signature_is_qemu)
{
	assert_item(FW_CFG_SIGNATURE, (const u8 *)"QEMU", 4);
	cr_assert_eq(m.stats.nr, 0, "claimed: no unclaimed-port count");
}

Test(fw_cfg, id_is_traditional_interface_only)
{
	const u8 want[] = {0x01, 0, 0, 0};

	assert_item(FW_CFG_ID, want, sizeof(want));
}

Test(fw_cfg, ram_size_is_64_bit_little_endian)
{
	const u8 want[] = {0, 0, 0, 0x04, 0, 0, 0, 0}; /* 0x04000000 */

	assert_item(FW_CFG_RAM_SIZE, want, sizeof(want));
}

Test(fw_cfg, one_cpu_and_apic_id_limit_one)
{
	const u8 one[] = {0x01, 0x00};

	assert_item(FW_CFG_NB_CPUS, one, 2);
	assert_item(FW_CFG_MAX_CPUS, one, 2);
}

Test(fw_cfg, file_dir_lists_etc_e820)
{
	u8 dir[4 + 2 * FW_CFG_FILE_ENTRY_LEN];
	u8 want[4 + FW_CFG_FILE_ENTRY_LEN] = {
		0,   0,	   0,	1,  /* count, big-endian */
		0,   0,	   0,	80, /* size: 4 entries of 20 bytes */
		0,   0x20,	    /* selector */
		0,   0,		    /* reserved */
		'e', 't',  'c', '/', 'e', '8', '2', '0',
	};

	read_item(FW_CFG_FILE_DIR, dir, sizeof(dir));
	cr_assert_arr_eq(dir, want, sizeof(want));
	for (size_t i = sizeof(want); i < sizeof(dir); i++)
		cr_assert_eq(dir[i], 0, "unused slot byte %zu", i);
}

/* The e820 map in fw_cfg is the one --kernel puts in boot_params. */
Test(fw_cfg, etc_e820_matches_the_linux_loaders_map)
{
	static u8 k[8192];
	struct linux_boot_info info;
	char err[128];
	u8 file[80];
	const u8 *bp_e820 = m.ram + LINUX_BOOT_PARAMS + 0x2d0;

	k[0x1f1] = 2; /* setup_sects */
	k[0x1fe] = 0x55;
	k[0x1ff] = 0xaa;
	memcpy(k + 0x202, "HdrS", 4);
	k[0x206] = 0x0f; /* protocol 2.15 */
	k[0x207] = 0x02;
	k[0x211] = 0x01; /* LOADED_HIGH */
	k[0x216] = 0x10; /* code32_start 0x100000 */
	k[0x238] = 0xff; /* cmdline_size 255 */
	k[0x25a] = 0x00; /* pref_address 0x1000000 */
	k[0x25b] = 0x01;
	k[0x262] = 0x80; /* init_size 0x800000 */
	cr_assert_eq(linux_boot__load(&m, k, sizeof(k), NULL, 0, "", &info, err,
				      sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(m.ram[LINUX_BOOT_PARAMS + 0x1e8], 4);

	read_item(FW_CFG_FILE_FIRST, file, sizeof(file));
	cr_assert_arr_eq(file, bp_e820, sizeof(file));
	/* And the values themselves: RAM from 1 MiB to the end, type 1. */
	cr_assert_eq(file[60 + 2], 0x10);
	cr_assert_eq(file[68 + 3], 0x03); /* 63 MiB = 0x03f00000 */
	cr_assert_eq(file[68 + 2], 0xf0);
	cr_assert_eq(file[76], 1);
	cr_assert_eq(inb(FW_CFG_PORT_DATA), 0, "past the file's end");
}

Test(fw_cfg, unknown_and_empty_keys_read_zero)
{
	const u16 keys[] = {0x0002, 0x001f, 0x0021, 0x003f,
			    0x0040, 0x1234, 0x3fff, FW_CFG_ARCH_LOCAL,
			    0xffff};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		select_key(keys[i]);
		for (int j = 0; j < 8; j++)
			cr_assert_eq(inb(FW_CFG_PORT_DATA), 0, "key 0x%x",
				     keys[i]);
	}
}

Test(fw_cfg, write_channel_bit_selects_the_same_item)
{
	/* Bit 14 is masked off the index (QEMU's FW_CFG_ENTRY_MASK). */
	assert_item(FW_CFG_WRITE_CHANNEL | FW_CFG_SIGNATURE, (const u8 *)"QEMU",
		    4);
}

Test(fw_cfg, select_resets_the_offset)
{
	select_key(FW_CFG_SIGNATURE);
	cr_assert_eq(inb(FW_CFG_PORT_DATA), 'Q');
	cr_assert_eq(inb(FW_CFG_PORT_DATA), 'E');
	select_key(FW_CFG_SIGNATURE);
	cr_assert_eq(inb(FW_CFG_PORT_DATA), 'Q');
}

Test(fw_cfg, byte_read_of_the_selector_port_reads_data)
{
	select_key(FW_CFG_SIGNATURE);
	cr_assert_eq(inb(FW_CFG_PORT_SEL), 'Q');
	cr_assert_eq(inb(FW_CFG_PORT_DATA), 'E');
}

Test(fw_cfg, byte_writes_are_dropped)
{
	u8 v = 0x42;

	select_key(FW_CFG_SIGNATURE);
	machine__pio(&m, NULL, FW_CFG_PORT_DATA, &v, 1, true);
	machine__pio(&m, NULL, FW_CFG_PORT_SEL, &v, 1, true);
	cr_assert_eq(inb(FW_CFG_PORT_DATA), 'Q', "offset and key unchanged");
}

Test(fw_cfg, word_reads_give_zero_and_consume_nothing)
{
	u8 d[2] = {0x5a, 0x5a};

	select_key(FW_CFG_SIGNATURE);
	machine__pio(&m, NULL, FW_CFG_PORT_SEL, d, 2, false);
	cr_assert_eq(d[0], 0);
	cr_assert_eq(d[1], 0);
	cr_assert_eq(inb(FW_CFG_PORT_DATA), 'Q');
	cr_assert_eq(m.stats.nr, 0, "claimed: no unclaimed-port count");
}
