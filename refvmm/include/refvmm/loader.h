/*
 * Multiboot v1 loader for ELF32 images (Multiboot Specification 0.6.96,
 * section 3), including the 64-bit probe images wrapped as ELF32.
 */
#ifndef REFVMM_LOADER_H
#define REFVMM_LOADER_H

#include "types.h"

struct machine;

#define MB_HEADER_MAGIC 0x1BADB002u
#define MB_BOOT_MAGIC	0x2BADB002u
#define MB_SEARCH_LEN	8192 /* header within the first 8 KiB (3.1.1) */

struct image_info {
	u32 entry;
	gpa_t load_start; /* lowest byte loaded */
	gpa_t load_end;	  /* one past the highest byte loaded or zeroed */
	gpa_t mb_info;	  /* where the Multiboot information went */
	u32 width;	  /* from .note.popek; 32 when there is no note */
	u32 features;
	u32 flags;
	bool has_note;
};

/*
 * Checks and loads @buf (@len bytes) into @m's RAM, writes the Multiboot
 * information with @cmdline. Returns 0, -ENOEXEC for a malformed image
 * (@err says why in one line), -E2BIG when it does not fit in RAM.
 */
int loader__load_elf(struct machine *m, const u8 *buf, size_t len,
		     const char *cmdline, struct image_info *info, char *err,
		     size_t errlen);

/* Formats @fmt into @err (one line for the user) and returns @r: the
 * loaders' way of refusing an input. */
int loader__fail(char *err, size_t errlen, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * The whole of @path into a new buffer (*@buf, freed by the caller) of
 * *@len bytes; @what names the file in the message ("image", "file").
 * -errno (and @err) when it cannot be read, is not a regular file or is
 * larger than 256 MiB.
 */
int loader__read_whole(const char *path, const char *what, u8 **buf,
		       size_t *len, char *err, size_t errlen);

/* Reads @path and loads it; -ENOENT/-EACCES/... when it cannot be read. */
int loader__load_file(struct machine *m, const char *path, const char *cmdline,
		      struct image_info *info, char *err, size_t errlen);

/*
 * Copies the bytes of @path into guest RAM at @addr, as they are (QEMU's
 * "-device loader,file=,addr="). -ERANGE when they do not fit in RAM,
 * -errno when the file cannot be read.
 */
int loader__load_raw(struct machine *m, const char *path, u64 addr, char *err,
		     size_t errlen);

#endif
