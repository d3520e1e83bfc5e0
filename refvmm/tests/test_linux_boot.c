/*
 * The Linux boot protocol loader (linux_boot.h): a synthetic bzImage
 * (setup sectors, the setup header, a protected-mode part) loads at
 * 1 MiB with boot_params, the e820 map, the command line and the initrd
 * where the protocol says; every malformed or oversized input is refused
 * with its error; the entry state is the 32-bit protocol's.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "refvmm/linux_boot.h"
#include "refvmm/machine.h"
#include "refvmm/vcpu.h"

#define RAM (64 * MiB)

static struct machine m;
static struct clock clk;
static u8 k[8192];
static char err[256];
static struct linux_boot_info info;

static void put16(u8 *p, u16 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
}

static void put32(u8 *p, u32 v)
{
	put16(p, (u16)v);
	put16(p + 2, (u16)(v >> 16));
}

static u32 get32(const u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

/* Two setup sectors after the boot sector, then 4 KiB of "kernel". */
static void make_kernel(void)
{
	memset(k, 0, sizeof(k));
	k[0x1f1] = 2;		  /* setup_sects */
	put16(k + 0x1fe, 0xaa55); /* boot_flag */
	k[0x200] = 0xeb;	  /* jump */
	k[0x201] = 0x6a;	  /* header ends at 0x26c */
	memcpy(k + 0x202, "HdrS", 4);
	put16(k + 0x206, 0x020f);     /* version 2.15 */
	k[0x211] = 0x01;	      /* LOADED_HIGH */
	put32(k + 0x214, 0x100000);   /* code32_start */
	put32(k + 0x22c, 0x37ffffff); /* initrd_addr_max */
	put32(k + 0x238, 2047);	      /* cmdline_size */
	put32(k + 0x258, 0x1000000);  /* pref_address: 16 MiB */
	put32(k + 0x260, 0x800000);   /* init_size: 8 MiB */
	memset(k + 3 * 512, 0x90, sizeof(k) - 3 * 512);
	k[3 * 512] = 0xf4;
}

static void setup(void)
{
	clock__init_test(&clk, 0);
	cr_assert_eq(machine__init(&m, RAM, &clk), 0);
	memset(m.ram, 0xaa, m.ram_size);
	err[0] = 0;
	make_kernel();
}

static void teardown(void)
{
	machine__exit(&m);
}

TestSuite(linux_boot, .init = setup, .fini = teardown);

static const u8 *bp(void)
{
	return m.ram + LINUX_BOOT_PARAMS;
}

Test(linux_boot, loads_kernel_params_cmdline_and_initrd)
{
	static const u8 initrd[5000] = {[0] = 0x1f, [1] = 0x8b, [4999] = 7};
	const u8 *e820;

	cr_assert(linux_boot__is_bzimage(k, sizeof(k)));
	cr_assert_eq(linux_boot__load(&m, k, sizeof(k), initrd, sizeof(initrd),
				      "console=ttyS0 quiet", &info, err,
				      sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(info.entry, 0x100000);
	cr_assert_eq(info.version, 0x020f);
	cr_assert_eq(info.kernel_size, sizeof(k) - 3 * 512);
	/* The protected-mode part, byte for byte, at 1 MiB. */
	cr_assert_eq(m.ram[0x100000], 0xf4);
	cr_assert_eq(m.ram[0x100001], 0x90);
	cr_assert_eq(m.ram[0x100000 + info.kernel_size], 0xaa);
	/* The initrd at the top of RAM, page aligned. */
	cr_assert_eq(info.initrd_addr, (RAM - sizeof(initrd)) & ~4095u);
	cr_assert_eq(info.initrd_size, sizeof(initrd));
	cr_assert_eq(m.ram[info.initrd_addr + 4999], 7);
	/* boot_params: the copied header and what the loader fills in. */
	cr_assert_eq(memcmp(bp() + 0x202, "HdrS", 4), 0);
	cr_assert_eq(get32(bp() + 0x214), 0x100000);
	cr_assert_eq(bp()[0x210], 0xff); /* type_of_loader */
	cr_assert_eq(bp()[0x211], 0x81); /* + CAN_USE_HEAP */
	cr_assert_eq(get32(bp() + 0x218), info.initrd_addr);
	cr_assert_eq(get32(bp() + 0x21c), sizeof(initrd));
	cr_assert_eq(get32(bp() + 0x228), LINUX_BOOT_CMDLINE);
	cr_assert_eq(get32(bp() + 0x1e0), (RAM - MiB) / 1024); /* alt_mem_k */
	cr_assert_str_eq((const char *)m.ram + LINUX_BOOT_CMDLINE,
			 "console=ttyS0 quiet");
	/* e820: low RAM, EBDA, BIOS area, RAM from 1 MiB. */
	cr_assert_eq(bp()[0x1e8], 4);
	e820 = bp() + 0x2d0;
	cr_assert_eq(get32(e820 + 8), 0x9fc00);	 /* [0] size */
	cr_assert_eq(get32(e820 + 16), 1);	 /* [0] RAM */
	cr_assert_eq(get32(e820 + 20), 0x9fc00); /* [1] addr */
	cr_assert_eq(get32(e820 + 36), 2);	 /* [1] reserved */
	cr_assert_eq(get32(e820 + 60 + 0), MiB); /* [3] addr */
	cr_assert_eq(get32(e820 + 60 + 8), RAM - MiB);
	cr_assert_eq(get32(e820 + 60 + 16), 1);
}

Test(linux_boot, entry_state_is_the_32_bit_protocol)
{
	struct vcpu v = {0};
	const u64 *gdt;

	cr_assert_eq(linux_boot__load(&m, k, sizeof(k), NULL, 0, "", &info, err,
				      sizeof(err)),
		     0);
	linux_boot__reset_vcpu(&v, &info);
	cr_assert_eq(v.state.rip, 0x100000);
	cr_assert_eq(v.state.rsi, LINUX_BOOT_PARAMS);
	cr_assert_eq(v.state.rbx | v.state.rbp | v.state.rdi, 0);
	cr_assert_eq(v.state.rflags & X86_EFLAGS_IF, 0);
	cr_assert_eq(v.state.cs.selector, 0x10);
	cr_assert_eq(v.state.ds.selector, 0x18);
	cr_assert_eq(v.state.ss.selector, 0x18);
	cr_assert_eq(v.state.cr0 & 0x80000001u, X86_CR0_PE);
	cr_assert_eq(v.state.gdt_base, LINUX_BOOT_GDT);
	gdt = (const u64 *)(m.ram + LINUX_BOOT_GDT);
	cr_assert_eq(gdt[2], 0x00cf9b000000ffffull);
	cr_assert_eq(gdt[3], 0x00cf93000000ffffull);
	/* No initrd: the fields stay 0. */
	cr_assert_eq(get32(bp() + 0x218), 0);
}

static int load(size_t len, size_t ilen, const char *cmdline)
{
	static u8 initrd[1];

	return linux_boot__load(&m, k, len, ilen ? initrd : NULL, ilen, cmdline,
				&info, err, sizeof(err));
}

Test(linux_boot, not_a_bzimage)
{
	memcpy(k + 0x202, "HdrX", 4);
	cr_assert(!linux_boot__is_bzimage(k, sizeof(k)));
	cr_assert_eq(load(sizeof(k), 0, ""), -ENOEXEC);
	cr_assert(strstr(err, "not a bzImage"), "%s", err);
	cr_assert(!linux_boot__is_bzimage(k, 0x200));
}

Test(linux_boot, old_protocol_refused)
{
	put16(k + 0x206, 0x0205);
	cr_assert_eq(load(sizeof(k), 0, ""), -ENOEXEC);
	cr_assert(strstr(err, "2.05"), "%s", err);
}

Test(linux_boot, truncated_header_refused)
{
	cr_assert_eq(load(0x240, 0, ""), -ENOEXEC);
	cr_assert(strstr(err, "truncated"), "%s", err);
}

Test(linux_boot, zimage_refused)
{
	k[0x211] = 0;
	cr_assert_eq(load(sizeof(k), 0, ""), -ENOEXEC);
	cr_assert(strstr(err, "LOADED_HIGH"), "%s", err);
}

Test(linux_boot, no_protected_mode_part_refused)
{
	k[0x1f1] = 30; /* 31 sectors > the file */
	cr_assert_eq(load(sizeof(k), 0, ""), -ENOEXEC);
	cr_assert(strstr(err, "no protected-mode kernel"), "%s", err);
}

Test(linux_boot, other_code32_start_refused)
{
	put32(k + 0x214, 0x200000);
	cr_assert_eq(load(sizeof(k), 0, ""), -ENOEXEC);
	cr_assert(strstr(err, "code32_start"), "%s", err);
}

Test(linux_boot, decompression_area_beyond_ram_refused)
{
	put32(k + 0x260, 60 * MiB); /* 16 MiB + 60 MiB > 64 MiB */
	cr_assert_eq(load(sizeof(k), 0, ""), -E2BIG);
	cr_assert(strstr(err, "64 MiB"), "%s", err);
}

Test(linux_boot, command_line_too_long_refused)
{
	static char line[3000];

	memset(line, 'x', sizeof(line) - 1);
	cr_assert_eq(load(sizeof(k), 0, line), -E2BIG);
	cr_assert(strstr(err, "--append"), "%s", err);
	put32(k + 0x238, 16);
	cr_assert_eq(load(sizeof(k), 0, "0123456789abcdefg"), -E2BIG);
	cr_assert_eq(load(sizeof(k), 0, "0123456789abcdef"), 0, "%s", err);
}

Test(linux_boot, initrd_that_does_not_fit_refused)
{
	/* Above the kernel's 24 MiB there are 40 MiB: 41 do not fit. */
	cr_assert_eq(load(sizeof(k), 41 * MiB, ""), -E2BIG);
	cr_assert(strstr(err, "initrd"), "%s", err);
}
