/*
 * Loader: a good Multiboot ELF32 image loads (segments, bss, entry, the
 * Multiboot information) and every malformed one is refused with the
 * right error: truncated, wrong machine, ELF64, segments outside RAM,
 * overlapping, zero-length, huge, no Multiboot header.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "elf_build.h"
#include "refvmm/loader.h"
#include "refvmm/machine.h"

#define RAM (4 * MiB)

static struct machine m;
static struct clock clk;
static uint8_t img[64 * 1024];
static char err[256];
static struct image_info info;

static void setup(void)
{
	clock__init_test(&clk, 0);
	cr_assert_eq(machine__init(&m, RAM, &clk), 0);
	memset(m.ram, 0xaa, m.ram_size);
	err[0] = 0;
}

static void teardown(void)
{
	machine__exit(&m);
}

TestSuite(loader, .init = setup, .fini = teardown);

static const uint8_t code[] = {0xb0, 0x05, 0xe6, 0xf4, 0xfa, 0xf4};

static int load(const struct elf_spec *s, size_t cut)
{
	size_t len = elf_build(img, sizeof(img), s);

	if (cut && cut < len)
		len = cut;
	return loader__load_elf(&m, img, len, "probe arg", &info, err,
				sizeof(err));
}

Test(loader, good_image_loads_segments_and_zeroes_bss)
{
	struct elf_seg segs[] = {
		{.paddr = 0x100000,
		 .filesz = sizeof(code),
		 .memsz = 0x2000,
		 .data = code},
		{.paddr = 0x104000, .filesz = 16, .memsz = 16, .fill = 0x5a},
	};
	struct elf_spec s = {.segs = segs, .nsegs = 2, .entry = 0x100000};
	uint32_t *mbi;

	cr_assert_eq(load(&s, 0), 0, "%s", err);
	cr_assert_eq(info.entry, 0x100000);
	cr_assert_eq(info.width, 32);
	cr_assert_not(info.has_note);
	cr_assert_eq(memcmp(m.ram + 0x100000, code, sizeof(code)), 0);
	cr_assert_eq(m.ram[0x100000 + sizeof(code)], 0, "bss zeroed");
	cr_assert_eq(m.ram[0x101fff], 0, "bss zeroed to memsz");
	cr_assert_eq(m.ram[0x102000], 0xaa, "nothing past memsz");
	cr_assert_eq(m.ram[0x104000], 0x5a);
	cr_assert_eq(info.load_end, 0x104010);
	cr_assert_eq(info.mb_info, 0x105000, "info on the next page");

	mbi = (uint32_t *)(m.ram + info.mb_info);
	cr_assert_eq(mbi[0] & 0x245, 0x245, "mem, cmdline, mmap, loader name");
	cr_assert_eq(mbi[1], 640);
	cr_assert_eq(mbi[2], (RAM - MiB) / KiB);
	cr_assert_str_eq((char *)m.ram + mbi[4], "probe arg");
	cr_assert_eq(mbi[11], 48, "two 24-byte memory map entries");
	{
		const uint8_t *e = m.ram + mbi[12] + 24;
		uint32_t size, type;
		uint64_t base, len;

		memcpy(&size, e, 4);
		memcpy(&base, e + 4, 8);
		memcpy(&len, e + 12, 8);
		memcpy(&type, e + 20, 4);
		cr_assert_eq(size, 20);
		cr_assert_eq(base, MiB);
		cr_assert_eq(len, RAM - MiB);
		cr_assert_eq(type, 1);
	}
}

Test(loader, popek_note_gives_width_and_features)
{
	struct elf_seg seg = {
		.paddr = 0x100000, .filesz = 6, .memsz = 6, .data = code};
	struct elf_spec s = {.segs = &seg,
			     .nsegs = 1,
			     .entry = 0x100000,
			     .note = 1,
			     .note_width = 64,
			     .note_features = 0x21};

	cr_assert_eq(load(&s, 0), 0, "%s", err);
	cr_assert(info.has_note);
	cr_assert_eq(info.width, 64);
	cr_assert_eq(info.features, 0x21);
}

Test(loader, bad_note_width_is_refused)
{
	struct elf_seg seg = {
		.paddr = 0x100000, .filesz = 6, .memsz = 6, .data = code};
	struct elf_spec s = {.segs = &seg,
			     .nsegs = 1,
			     .entry = 0x100000,
			     .note = 1,
			     .note_width = 16};

	cr_assert_eq(load(&s, 0), -ENOEXEC);
	cr_assert(strstr(err, "width"), "%s", err);
}

Test(loader, not_elf)
{
	static const uint8_t text[] = "hello, world\n";

	cr_assert_eq(loader__load_elf(&m, text, sizeof(text), "", &info, err,
				      sizeof(err)),
		     -ENOEXEC);
	cr_assert_str_eq(err, "not an ELF file");
}

Test(loader, truncated_header)
{
	struct elf_seg seg = {.paddr = 0x100000, .filesz = 6, .memsz = 6};
	struct elf_spec s = {.segs = &seg, .nsegs = 1, .entry = 0x100000};

	cr_assert_eq(load(&s, 30), -ENOEXEC);
	cr_assert(strstr(err, "truncated"), "%s", err);
}

Test(loader, truncated_program_headers)
{
	struct elf_seg seg = {.paddr = 0x100000, .filesz = 6, .memsz = 6};
	struct elf_spec s = {.segs = &seg, .nsegs = 1, .entry = 0x100000};

	cr_assert_eq(load(&s, sizeof(Elf32_Ehdr) + 8), -ENOEXEC);
	cr_assert(strstr(err, "truncated"), "%s", err);
}

Test(loader, truncated_segment_data)
{
	struct elf_seg seg = {
		.paddr = 0x100000, .filesz = 0x1000, .memsz = 0x1000};
	struct elf_spec s = {.segs = &seg, .nsegs = 1, .entry = 0x100000};

	cr_assert_eq(load(&s, ELF_BUILD_DATA_OFF + 0x800), -ENOEXEC);
	cr_assert(strstr(err, "segment 0 data beyond end of file"), "%s", err);
}

Test(loader, wrong_machine)
{
	struct elf_seg seg = {.paddr = 0x100000, .filesz = 6, .memsz = 6};
	struct elf_spec s = {
		.segs = &seg, .nsegs = 1, .entry = 0x100000, .machine = EM_ARM};

	cr_assert_eq(load(&s, 0), -ENOEXEC);
	cr_assert(strstr(err, "wrong machine 40"), "%s", err);
}

Test(loader, elf64_unwrapped)
{
	struct elf_seg seg = {.paddr = 0x100000, .filesz = 6, .memsz = 6};
	struct elf_spec s = {.segs = &seg, .nsegs = 1, .entry = 0x100000};

	elf_build(img, sizeof(img), &s);
	img[EI_CLASS] = ELFCLASS64;
	cr_assert_eq(
		loader__load_elf(&m, img, 4096, "", &info, err, sizeof(err)),
		-ENOEXEC);
	cr_assert(strstr(err, "ELF64"), "%s", err);
	cr_assert(strstr(err, "objcopy -O elf32-i386"), "%s", err);
}

Test(loader, big_endian_refused)
{
	struct elf_seg seg = {.paddr = 0x100000, .filesz = 6, .memsz = 6};
	struct elf_spec s = {.segs = &seg, .nsegs = 1, .entry = 0x100000};

	elf_build(img, sizeof(img), &s);
	img[EI_DATA] = ELFDATA2MSB;
	cr_assert_eq(
		loader__load_elf(&m, img, 4096, "", &info, err, sizeof(err)),
		-ENOEXEC);
}

Test(loader, segment_outside_ram)
{
	struct elf_seg seg = {
		.paddr = RAM - 0x800, .filesz = 6, .memsz = 0x1000};
	struct elf_spec s = {.segs = &seg, .nsegs = 1, .entry = RAM - 0x800};

	cr_assert_eq(load(&s, 0), -E2BIG);
	cr_assert(strstr(err, "outside guest RAM"), "%s", err);
}

Test(loader, huge_segment_does_not_wrap)
{
	/* paddr + memsz overflows 32 bits: must not wrap into RAM. */
	struct elf_seg seg = {
		.paddr = 0x100000, .filesz = 6, .memsz = 0xfff00000u};
	struct elf_spec s = {.segs = &seg, .nsegs = 1, .entry = 0x100000};

	cr_assert_eq(load(&s, 0), -E2BIG);
	cr_assert_eq(m.ram[0x100000], 0xaa, "nothing written");
}

Test(loader, huge_file_size_above_memory_size)
{
	struct elf_seg seg = {
		.paddr = 0x100000, .filesz = 0x100, .memsz = 0x10};
	struct elf_spec s = {.segs = &seg, .nsegs = 1, .entry = 0x100000};

	cr_assert_eq(load(&s, 0), -ENOEXEC);
}

Test(loader, overlapping_segments)
{
	struct elf_seg segs[] = {
		{.paddr = 0x100000, .filesz = 0x100, .memsz = 0x2000},
		{.paddr = 0x101000, .filesz = 0x100, .memsz = 0x100},
	};
	struct elf_spec s = {.segs = segs, .nsegs = 2, .entry = 0x100000};

	cr_assert_eq(load(&s, 0), -ENOEXEC);
	cr_assert(strstr(err, "overlap"), "%s", err);
}

Test(loader, zero_length_segment_is_skipped)
{
	struct elf_seg segs[] = {
		{.paddr = 0x100000, .filesz = 0, .memsz = 0},
		{.paddr = 0x100000, .filesz = 6, .memsz = 6, .data = code},
		{.paddr = 0x100000, .filesz = 0, .memsz = 0},
	};
	struct elf_spec s = {.segs = segs, .nsegs = 3, .entry = 0x100000};

	cr_assert_eq(load(&s, 0), 0, "%s", err);
	cr_assert_eq(memcmp(m.ram + 0x100000, code, sizeof(code)), 0);
}

Test(loader, only_zero_length_segments)
{
	struct elf_seg seg = {.paddr = 0x100000};
	struct elf_spec s = {.segs = &seg, .nsegs = 1, .entry = 0x100000};

	cr_assert_eq(load(&s, 0), -ENOEXEC);
	cr_assert_str_eq(err, "no loadable segment");
}

Test(loader, non_load_segments_are_ignored)
{
	struct elf_seg segs[] = {
		{.type = PT_NOTE, .paddr = 0x100000, .filesz = 6, .memsz = 6},
		{.paddr = 0x100000, .filesz = 6, .memsz = 6, .data = code},
	};
	struct elf_spec s = {.segs = segs, .nsegs = 2, .entry = 0x100000};

	cr_assert_eq(load(&s, 0), 0, "%s", err);
}

Test(loader, entry_outside_segments)
{
	struct elf_seg seg = {.paddr = 0x100000, .filesz = 6, .memsz = 6};
	struct elf_spec s = {.segs = &seg, .nsegs = 1, .entry = 0x200000};

	cr_assert_eq(load(&s, 0), -ENOEXEC);
	cr_assert(strstr(err, "entry point"), "%s", err);
}

Test(loader, no_multiboot_header)
{
	struct elf_seg seg = {.paddr = 0x100000, .filesz = 6, .memsz = 6};
	struct elf_spec s = {
		.segs = &seg, .nsegs = 1, .entry = 0x100000, .no_multiboot = 1};

	cr_assert_eq(load(&s, 0), -ENOEXEC);
	cr_assert(strstr(err, "no Multiboot header"), "%s", err);
}

Test(loader, bad_multiboot_checksum)
{
	struct elf_seg seg = {.paddr = 0x100000, .filesz = 6, .memsz = 6};
	struct elf_spec s = {
		.segs = &seg, .nsegs = 1, .entry = 0x100000, .bad_checksum = 1};

	cr_assert_eq(load(&s, 0), -ENOEXEC);
}

Test(loader, unsupported_multiboot_flag)
{
	/* Bit 2 (video mode) is required-or-refuse; refvmm has no video. */
	struct elf_seg seg = {.paddr = 0x100000, .filesz = 6, .memsz = 6};
	struct elf_spec s = {
		.segs = &seg, .nsegs = 1, .entry = 0x100000, .mb_flags = 0x7};

	cr_assert_eq(load(&s, 0), -ENOEXEC);
	cr_assert(strstr(err, "flags 0x4"), "%s", err);
}

Test(loader, no_room_for_multiboot_info)
{
	struct elf_seg seg = {.paddr = RAM - 0x1000,
			      .filesz = 6,
			      .memsz = 0x1000,
			      .data = code};
	struct elf_spec s = {.segs = &seg, .nsegs = 1, .entry = RAM - 0x1000};

	cr_assert_eq(load(&s, 0), -E2BIG);
}

Test(loader, missing_file)
{
	cr_assert_eq(loader__load_file(&m, "/nonexistent/image.elf", "", &info,
				       err, sizeof(err)),
		     -ENOENT);
	cr_assert(strstr(err, "cannot open image"), "%s", err);
}

Test(loader, directory_is_not_an_image)
{
	cr_assert_lt(loader__load_file(&m, "/", "", &info, err, sizeof(err)),
		     0);
	cr_assert(strstr(err, "not a regular file"), "%s", err);
}
