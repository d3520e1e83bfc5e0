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

/* --- The 64-bit entry: an x86_64 bzImage (xloadflags XLF_KERNEL_64). */

static u64 get64(const u8 *p)
{
	return get32(p) | (u64)get32(p + 4) << 32;
}

static void make_kernel64(void)
{
	put16(k + 0x206, 0x020f); /* 2.15 >= 2.12: xloadflags exist */
	put16(k + 0x236, 0x7f);	  /* KERNEL_64, CAN_BE_LOADED_ABOVE_4G, ... */
}

Test(linux_boot, kernel_64_is_entered_at_0x200_in_long_mode)
{
	make_kernel64();
	cr_assert_eq(load(sizeof(k), 0, ""), 0, "%s", err);
	cr_assert_eq(info.width, 64);
	cr_assert_eq(info.entry, 0x100200);
	/* The protected-mode part is still loaded from its first byte. */
	cr_assert_eq(m.ram[0x100000], 0xf4);
}

Test(linux_boot, kernel_64_identity_map_is_exact)
{
	const u8 *pml4 = m.ram + LINUX_BOOT_PML4;
	const u8 *pdpt = m.ram + LINUX_BOOT_PDPT;
	const u8 *pd = m.ram + LINUX_BOOT_PD;
	int i;

	make_kernel64();
	cr_assert_eq(load(sizeof(k), 1, ""), 0, "%s", err);
	/* PML4[0] -> PDPT, present and writable; nothing else. */
	cr_assert_eq(get64(pml4), 0x94003ull);
	for (i = 1; i < 512; i++)
		cr_assert_eq(get64(pml4 + 8 * i), 0, "PML4[%d]", i);
	/* 64 MiB: one page directory, PDPT[0] -> it. */
	cr_assert_eq(get64(pdpt), 0x95003ull);
	cr_assert_eq(get64(pdpt + 8), 0);
	/* 32 2-MiB pages (P|RW|PS), then nothing: the initrd at the top
	 * of RAM is in the last one. */
	cr_assert_eq(get64(pd), 0x83ull);
	cr_assert_eq(get64(pd + 8), 0x200083ull);
	cr_assert_eq(get64(pd + 8 * 31), 0x3e00083ull);
	cr_assert_eq(get64(pd + 8 * 32), 0);
	cr_assert_eq(info.initrd_addr >> 21, 31);
	/* The page after the last directory is untouched. */
	cr_assert_eq(m.ram[LINUX_BOOT_PD + 4096], 0xaa);
}

Test(linux_boot, kernel_64_identity_map_spans_gibs)
{
	const u8 *pdpt, *pd;

	/* 1 GiB + 3 MiB of RAM: two page directories, the second with
	 * two entries (the last 2-MiB page only half RAM). */
	machine__exit(&m);
	cr_assert_eq(machine__init(&m, GiB + 3 * MiB, &clk), 0);
	pdpt = m.ram + LINUX_BOOT_PDPT;
	pd = m.ram + LINUX_BOOT_PD;
	make_kernel64();
	cr_assert_eq(load(sizeof(k), 0, ""), 0, "%s", err);
	cr_assert_eq(get64(pdpt), 0x95003ull);
	cr_assert_eq(get64(pdpt + 8), 0x96003ull);
	cr_assert_eq(get64(pdpt + 16), 0);
	cr_assert_eq(get64(pd + 8 * 511), 0x3fe00083ull);
	cr_assert_eq(get64(pd + 4096), 0x40000083ull);
	cr_assert_eq(get64(pd + 4096 + 8), 0x40200083ull);
	cr_assert_eq(get64(pd + 4096 + 16), 0);
}

Test(linux_boot, kernel_64_gdt_and_entry_state)
{
	struct vcpu v = {0};
	const u8 *gdt = m.ram + LINUX_BOOT_GDT;

	make_kernel64();
	cr_assert_eq(load(sizeof(k), 0, ""), 0, "%s", err);
	/* __BOOT_CS 64-bit code (L=1, D=0, G=1, P, DPL 0, type 0xb),
	 * __BOOT_DS flat read/write data; entries 0 and 1 null. */
	cr_assert_eq(get64(gdt), 0);
	cr_assert_eq(get64(gdt + 8), 0);
	cr_assert_eq(get64(gdt + 0x10), 0x00af9b000000ffffull);
	cr_assert_eq(get64(gdt + 0x18), 0x00cf93000000ffffull);

	linux_boot__reset_vcpu(&v, &info);
	cr_assert_eq(v.state.rip, 0x100200);
	cr_assert_eq(v.state.rsi, 0x90000);
	cr_assert_eq(v.state.rax | v.state.rbx | v.state.rbp | v.state.rdi, 0);
	cr_assert_eq(v.state.rflags, 0x2);	  /* IF = 0 */
	cr_assert_eq(v.state.cr0, 0x80000011ull); /* PG | ET | PE */
	cr_assert_eq(v.state.cr3, 0x93000);
	cr_assert_eq(v.state.cr4, 0x20);   /* PAE */
	cr_assert_eq(v.state.efer, 0x500); /* LMA | LME */
	cr_assert_eq(v.state.cs.selector, 0x10);
	cr_assert_eq(v.state.cs.type, 0xb);
	cr_assert_eq(v.state.cs.l, 1);
	cr_assert_eq(v.state.cs.db, 0);
	cr_assert_eq(v.state.cs.present, 1);
	cr_assert_eq(v.state.ds.selector, 0x18);
	cr_assert_eq(v.state.ds.type, 0x3);
	cr_assert_eq(v.state.ss.selector, 0x18);
	cr_assert_eq(v.state.es.selector, 0x18);
	cr_assert_eq(v.state.gdt_base, 0x92000);
	cr_assert_eq(v.state.gdt_limit, 31);
	cr_assert_eq(v.state.tr.type, 0xb);
}

Test(linux_boot, no_xlf_kernel_64_is_the_32_bit_entry)
{
	struct vcpu v = {0};

	/* xloadflags without KERNEL_64 (an i386 kernel's: 0x1c). */
	put16(k + 0x236, 0x1c);
	cr_assert_eq(load(sizeof(k), 0, ""), 0, "%s", err);
	cr_assert_eq(info.width, 32);
	cr_assert_eq(info.entry, 0x100000);
	cr_assert_eq(m.ram[LINUX_BOOT_PML4], 0xaa, "no page tables");
	cr_assert_eq(get32(m.ram + LINUX_BOOT_GDT + 0x14), 0x00cf9b00);
	linux_boot__reset_vcpu(&v, &info);
	cr_assert_eq(v.state.efer | v.state.cr4 | v.state.cr3, 0);
	cr_assert_eq(v.state.cs.l, 0);
}

Test(linux_boot, xloadflags_before_2_12_are_not_read)
{
	/* Protocol 2.11 has no xloadflags: the bit there is something
	 * else (cmdline_size's neighbour), not a 64-bit kernel. */
	make_kernel64();
	put16(k + 0x206, 0x020b);
	cr_assert_eq(load(sizeof(k), 0, ""), 0, "%s", err);
	cr_assert_eq(info.width, 32);
	cr_assert_eq(info.entry, 0x100000);
}

Test(linux_boot, kernel_64_without_an_entry_at_0x200_refused)
{
	make_kernel64();
	/* 3 sectors of setup and 0x200 bytes of kernel: +0x200 is past it. */
	cr_assert_eq(load(3 * 512 + 0x200, 0, ""), -ENOEXEC);
	cr_assert(strstr(err, "XLF_KERNEL_64"), "%s", err);
	cr_assert_eq(load(3 * 512 + 0x201, 0, ""), 0, "%s", err);
}

Test(linux_boot, kernel_64_too_little_memory_refused)
{
	make_kernel64();
	put32(k + 0x260, 60 * MiB); /* 16 MiB + 60 MiB > 64 MiB */
	cr_assert_eq(load(sizeof(k), 0, ""), -E2BIG);
	cr_assert(strstr(err, "64 MiB"), "%s", err);
	cr_assert_eq(m.ram[LINUX_BOOT_PML4], 0xaa, "nothing written");
}
