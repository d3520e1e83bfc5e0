/*
 * Multiboot v1 loader for ELF32 kernels (Multiboot Specification 0.6.96,
 * 3.1 "OS image format", 3.3 "Boot information format") and the ELF
 * checks an image must pass first (System V gABI, "ELF Header" and
 * "Program Header"). Every field read from the file is bounds-checked:
 * the image is untrusted input.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdint.h>

#include <popek/image.h>

#include "refvmm/loader.h"
#include "refvmm/machine.h"

/* Largest image file we read at all: far more than any probe. */
#define LOADER_MAX_FILE (256 * MiB)

/* Multiboot header flags (3.1.2): bits 0-15 must be honoured or refused. */
#define MB_FLAG_PAGE_ALIGN 0x1u
#define MB_FLAG_MEMORY	   0x2u
#define MB_FLAG_SUPPORTED  (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY)

/* Multiboot information flags (3.3). */
#define MBI_MEM	    (1u << 0)
#define MBI_CMDLINE (1u << 2)
#define MBI_MMAP    (1u << 6)
#define MBI_LOADER  (1u << 9)

struct mb_info {
	u32 flags, mem_lower, mem_upper, boot_device, cmdline;
	u32 mods_count, mods_addr, syms[4], mmap_length, mmap_addr;
	u32 drives_length, drives_addr, config_table, boot_loader_name;
	u32 apm_table;
	u32 vbe[6];
} __attribute__((packed));

struct mb_mmap_entry {
	u32 size; /* of the rest of the entry */
	u64 base, length;
	u32 type; /* 1: available RAM */
} __attribute__((packed));

int loader__fail(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return r;
}

/* True when [off, off + size) lies within a buffer of @len bytes. */
static bool in_file(u64 off, u64 size, size_t len)
{
	return off <= len && size <= len - off;
}

static int find_multiboot(const u8 *buf, size_t len, char *err, size_t errlen)
{
	size_t end = len < MB_SEARCH_LEN ? len : MB_SEARCH_LEN;
	size_t off;

	for (off = 0; off + 12 <= end; off += 4) {
		u32 h[3];

		memcpy(h, buf + off, sizeof(h));
		if (h[0] != MB_HEADER_MAGIC || (u32)(h[0] + h[1] + h[2]))
			continue;
		if (h[1] & 0xffffu & ~MB_FLAG_SUPPORTED)
			return loader__fail(
				err, errlen, -ENOEXEC,
				"Multiboot header asks for flags 0x%x this "
				"loader does not provide",
				h[1] & 0xffffu & ~MB_FLAG_SUPPORTED);
		return 0;
	}
	return loader__fail(err, errlen, -ENOEXEC,
			    "no Multiboot header in the first %u bytes",
			    MB_SEARCH_LEN);
}

/* One note list (a SHT_NOTE section or PT_NOTE segment): find "Popek". */
static int parse_notes(const u8 *p, u64 size, struct image_info *info,
		       char *err, size_t errlen)
{
	u64 off = 0;

	while (off + 12 <= size) {
		u32 namesz, descsz, type;
		u64 name_off, desc_off, next;

		memcpy(&namesz, p + off, 4);
		memcpy(&descsz, p + off + 4, 4);
		memcpy(&type, p + off + 8, 4);
		name_off = off + 12;
		desc_off = name_off + (((u64)namesz + 3) & ~3ull);
		next = desc_off + (((u64)descsz + 3) & ~3ull);
		if (next > size)
			return loader__fail(err, errlen, -ENOEXEC,
					    "truncated ELF note");
		if (namesz == sizeof(POPEK_NOTE_NAME) &&
		    !memcmp(p + name_off, POPEK_NOTE_NAME, namesz) &&
		    type == POPEK_NOTE_IMAGE) {
			struct popek_image_note n;

			if (descsz < sizeof(n))
				return loader__fail(
					err, errlen, -ENOEXEC,
					"Popek note too short (%u bytes)",
					descsz);
			memcpy(&n, p + desc_off, sizeof(n));
			if (n.width != 32 && n.width != 64)
				return loader__fail(err, errlen, -ENOEXEC,
						    "Popek note gives width %u",
						    n.width);
			info->width = n.width;
			info->features = n.features;
			info->flags = n.flags;
			info->has_note = true;
		}
		off = next;
	}
	return 0;
}

static int find_note(const u8 *buf, size_t len, const Elf32_Ehdr *eh,
		     struct image_info *info, char *err, size_t errlen)
{
	unsigned int i;
	int r;

	if (!eh->e_shoff || !eh->e_shnum)
		return 0;
	if (eh->e_shentsize != sizeof(Elf32_Shdr) ||
	    !in_file(eh->e_shoff, (u64)eh->e_shnum * sizeof(Elf32_Shdr), len))
		return loader__fail(err, errlen, -ENOEXEC,
				    "section header table outside the file");
	for (i = 0; i < eh->e_shnum; i++) {
		Elf32_Shdr sh;

		memcpy(&sh, buf + eh->e_shoff + i * sizeof(sh), sizeof(sh));
		if (sh.sh_type != SHT_NOTE)
			continue;
		if (!in_file(sh.sh_offset, sh.sh_size, len))
			return loader__fail(err, errlen, -ENOEXEC,
					    "note section %u outside the file",
					    i);
		r = parse_notes(buf + sh.sh_offset, sh.sh_size, info, err,
				errlen);
		if (r < 0)
			return r;
	}
	return 0;
}

static int check_ehdr(const u8 *buf, size_t len, Elf32_Ehdr *eh, char *err,
		      size_t errlen)
{
	if (len < SELFMAG || memcmp(buf, ELFMAG, SELFMAG))
		return loader__fail(err, errlen, -ENOEXEC, "not an ELF file");
	if (len < EI_NIDENT)
		return loader__fail(err, errlen, -ENOEXEC,
				    "truncated ELF header");
	if (buf[EI_CLASS] == ELFCLASS64)
		return loader__fail(
			err, errlen, -ENOEXEC,
			"ELF64 image: Multiboot images are ELF32 (wrap a "
			"64-bit image with objcopy -O elf32-i386)");
	if (buf[EI_CLASS] != ELFCLASS32 || buf[EI_DATA] != ELFDATA2LSB)
		return loader__fail(err, errlen, -ENOEXEC,
				    "not a little-endian ELF32 file");
	if (len < sizeof(*eh))
		return loader__fail(err, errlen, -ENOEXEC,
				    "truncated ELF header");
	memcpy(eh, buf, sizeof(*eh));
	if (eh->e_machine != EM_386)
		return loader__fail(err, errlen, -ENOEXEC,
				    "wrong machine %u (expected EM_386)",
				    eh->e_machine);
	if (eh->e_type != ET_EXEC)
		return loader__fail(err, errlen, -ENOEXEC,
				    "ELF type %u is not an executable",
				    eh->e_type);
	if (eh->e_phentsize != sizeof(Elf32_Phdr) || !eh->e_phnum)
		return loader__fail(err, errlen, -ENOEXEC,
				    "no program headers");
	if (!in_file(eh->e_phoff, (u64)eh->e_phnum * sizeof(Elf32_Phdr), len))
		return loader__fail(
			err, errlen, -ENOEXEC,
			"truncated: program headers beyond end of file");
	return 0;
}

/*
 * Every PT_LOAD with bytes to place must have its data in the file, fit
 * in guest RAM, and not overlap another one (the image would depend on
 * load order). Zero-length segments are legal and skipped.
 */
static int check_segments(struct machine *m, const u8 *buf, size_t len,
			  const Elf32_Ehdr *eh, struct image_info *info,
			  char *err, size_t errlen)
{
	bool entry_ok = false;
	unsigned int i, j, loads = 0;

	info->load_start = UINT64_MAX;
	info->load_end = 0;
	for (i = 0; i < eh->e_phnum; i++) {
		Elf32_Phdr ph;
		u64 end;

		memcpy(&ph, buf + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		if (ph.p_filesz > ph.p_memsz)
			return loader__fail(
				err, errlen, -ENOEXEC,
				"segment %u: file size above memory size", i);
		if (!in_file(ph.p_offset, ph.p_filesz, len))
			return loader__fail(
				err, errlen, -ENOEXEC,
				"truncated: segment %u data beyond end of "
				"file",
				i);
		end = (u64)ph.p_paddr + ph.p_memsz;
		if (end > m->ram_size)
			return loader__fail(
				err, errlen, -E2BIG,
				"segment %u [0x%x, 0x%llx) outside guest "
				"RAM (%llu MiB)",
				i, ph.p_paddr, (unsigned long long)end,
				(unsigned long long)(m->ram_size / MiB));
		for (j = 0; j < i; j++) {
			Elf32_Phdr o;

			memcpy(&o, buf + eh->e_phoff + j * sizeof(o),
			       sizeof(o));
			if (o.p_type != PT_LOAD || !o.p_memsz)
				continue;
			if (ph.p_paddr < (u64)o.p_paddr + o.p_memsz &&
			    o.p_paddr < end)
				return loader__fail(
					err, errlen, -ENOEXEC,
					"segments %u and %u overlap", j, i);
		}
		if (eh->e_entry >= ph.p_vaddr &&
		    (u64)eh->e_entry < (u64)ph.p_vaddr + ph.p_memsz)
			entry_ok = true;
		if (ph.p_paddr < info->load_start)
			info->load_start = ph.p_paddr;
		if (end > info->load_end)
			info->load_end = end;
		loads++;
	}
	if (!loads)
		return loader__fail(err, errlen, -ENOEXEC,
				    "no loadable segment");
	if (!entry_ok)
		return loader__fail(
			err, errlen, -ENOEXEC,
			"entry point 0x%x is not in a loaded segment",
			eh->e_entry);
	return 0;
}

static void load_segments(struct machine *m, const u8 *buf,
			  const Elf32_Ehdr *eh)
{
	unsigned int i;

	for (i = 0; i < eh->e_phnum; i++) {
		Elf32_Phdr ph;
		u8 *dst;

		memcpy(&ph, buf + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		dst = machine__gpa_to_hva(m, ph.p_paddr, ph.p_memsz);
		memcpy(dst, buf + ph.p_offset, ph.p_filesz);
		/* The bss part: zero, whatever RAM held before. */
		memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
	}
}

/*
 * The information structure goes on the first page after the image (not
 * below 1 MiB: vm.mmap_min_addr keeps the lowest guest pages unmappable),
 * followed by the memory map, the command line and the loader name.
 */
static int write_mb_info(struct machine *m, struct image_info *info,
			 const char *cmdline, char *err, size_t errlen)
{
	static const char loader_name[] = "refvmm";
	gpa_t base = (info->load_end + 4095) & ~4095ull;
	gpa_t mmap_gpa = base + ((sizeof(struct mb_info) + 7) & ~7ull);
	struct mb_mmap_entry map[2] = {
		{.size = 20, .base = 0, .length = 640 * KiB, .type = 1},
		{.size = 20,
		 .base = MiB,
		 .length = m->ram_size - MiB,
		 .type = 1},
	};
	gpa_t cmd_gpa = mmap_gpa + sizeof(map);
	size_t cmd_len = strlen(cmdline) + 1;
	gpa_t name_gpa = cmd_gpa + cmd_len;
	gpa_t end = name_gpa + sizeof(loader_name);
	struct mb_info mbi = {
		.flags = MBI_MEM | MBI_CMDLINE | MBI_MMAP | MBI_LOADER,
		.mem_lower = 640,
		.mem_upper = (u32)((m->ram_size - MiB) / KiB),
		.cmdline = (u32)cmd_gpa,
		.mmap_length = sizeof(map),
		.mmap_addr = (u32)mmap_gpa,
		.boot_loader_name = (u32)name_gpa,
	};

	if (cmd_len > 4096 || end > m->ram_size)
		return loader__fail(err, errlen, -E2BIG,
				    "no room in guest RAM for the Multiboot "
				    "information after the image");
	memcpy(machine__gpa_to_hva(m, base, sizeof(mbi)), &mbi, sizeof(mbi));
	memcpy(machine__gpa_to_hva(m, mmap_gpa, sizeof(map)), map, sizeof(map));
	memcpy(machine__gpa_to_hva(m, cmd_gpa, cmd_len), cmdline, cmd_len);
	memcpy(machine__gpa_to_hva(m, name_gpa, sizeof(loader_name)),
	       loader_name, sizeof(loader_name));
	info->mb_info = base;
	return 0;
}

int loader__load_elf(struct machine *m, const u8 *buf, size_t len,
		     const char *cmdline, struct image_info *info, char *err,
		     size_t errlen)
{
	Elf32_Ehdr eh;
	int r;

	memset(info, 0, sizeof(*info));
	info->width = 32;
	r = check_ehdr(buf, len, &eh, err, errlen);
	if (r < 0)
		return r;
	r = find_multiboot(buf, len, err, errlen);
	if (r < 0)
		return r;
	r = check_segments(m, buf, len, &eh, info, err, errlen);
	if (r < 0)
		return r;
	r = find_note(buf, len, &eh, info, err, errlen);
	if (r < 0)
		return r;
	load_segments(m, buf, &eh);
	info->entry = eh.e_entry;
	return write_mb_info(m, info, cmdline ? cmdline : "", err, errlen);
}

int loader__read_whole(const char *path, const char *what, u8 **buf,
		       size_t *len, char *err, size_t errlen)
{
	struct stat st;
	size_t done = 0;
	u8 *b;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return loader__fail(err, errlen, -errno,
				    "cannot open %s %s: %s", what, path,
				    strerror(errno));
	if (fstat(fd, &st) < 0) {
		r = loader__fail(err, errlen, -errno, "cannot stat %s %s: %s",
				 what, path, strerror(errno));
		goto err_close;
	}
	if (!S_ISREG(st.st_mode)) {
		r = loader__fail(err, errlen, -EISDIR,
				 "cannot read %s %s: not a regular file", what,
				 path);
		goto err_close;
	}
	if ((u64)st.st_size > LOADER_MAX_FILE) {
		r = loader__fail(err, errlen, -EFBIG,
				 "cannot read %s %s: larger than %llu MiB",
				 what, path, LOADER_MAX_FILE / MiB);
		goto err_close;
	}
	b = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!b) {
		r = loader__fail(err, errlen, -ENOMEM,
				 "out of memory reading %s", path);
		goto err_close;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, b + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = loader__fail(err, errlen, n < 0 ? -errno : -EIO,
					 "cannot read %s %s: %s", what, path,
					 n < 0 ? strerror(errno)
					       : "short read");
			free(b);
			goto err_close;
		}
		done += (size_t)n;
	}
	close(fd);
	*buf = b;
	*len = done;
	return 0;
err_close:
	close(fd);
	return r;
}

int loader__load_file(struct machine *m, const char *path, const char *cmdline,
		      struct image_info *info, char *err, size_t errlen)
{
	size_t len;
	u8 *buf;
	int r;

	r = loader__read_whole(path, "image", &buf, &len, err, errlen);
	if (r < 0)
		return r;
	/*
	 * Read errors are -errno from open/read; the loader's own verdicts
	 * are -ENOEXEC and -E2BIG. Keep them apart for the exit status.
	 */
	r = loader__load_elf(m, buf, len, cmdline, info, err, errlen);
	free(buf);
	return r;
}

int loader__load_raw(struct machine *m, const char *path, u64 addr, char *err,
		     size_t errlen)
{
	size_t len;
	u8 *buf;
	int r;

	r = loader__read_whole(path, "file", &buf, &len, err, errlen);
	if (r < 0)
		return r;
	if (addr > m->ram_size || len > m->ram_size - addr) {
		r = loader__fail(
			err, errlen, -ERANGE,
			"%s: %zu bytes at 0x%llx do not fit in guest RAM "
			"[0, 0x%llx)",
			path, len, (unsigned long long)addr,
			(unsigned long long)m->ram_size);
	} else {
		if (len)
			memcpy(machine__gpa_to_hva(m, addr, len), buf, len);
		r = 0;
	}
	free(buf);
	return r;
}
