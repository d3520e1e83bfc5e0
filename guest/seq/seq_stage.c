/*
 * GRUB may put modules anywhere, including where the images must be
 * loaded (1 MiB up). The sequencer first copies every module, in module
 * order, to a staging area above the highest module and above itself:
 * each destination lies above every source, so no copy overwrites a
 * module not yet copied. A hash of each staged copy is checked before the
 * image runs, so an image that wrote over the staging area is caught.
 */
#include "seq.h"

/* Multiboot v1 information (Multiboot Specification 0.6.96, 3.3). */
#define MBI_FLAGS     0
#define MBI_MEM_UPPER 2
#define MBI_MODS_CNT  5
#define MBI_MODS_ADDR 6
#define MBI_HAS_MEM   (1u << 0)
#define MBI_HAS_MODS  (1u << 3)

extern char __seq_end[];

u32 seq_hash(const void *p, u32 n)
{
	const u8 *b = p;
	u32 h = 2166136261u;

	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

/* The module's name: the last word of its command line, without the
 * directory and the .elf suffix (popek iso passes the name itself). */
static void module_name(const char *cmd, char *out)
{
	const char *w = cmd, *p, *end;
	size_t n;

	for (p = cmd; *p; p++)
		if ((*p == ' ' || *p == '/') && p[1] && p[1] != ' ')
			w = p + 1;
	for (end = w; *end && *end != ' '; end++)
		;
	n = (size_t)(end - w);
	if (n > 4 && !memcmp(end - 4, ".elf", 4))
		n -= 4;
	if (n >= SEQ_NAME_MAX)
		n = SEQ_NAME_MAX - 1;
	memcpy(out, w, n);
	out[n] = '\0';
}

int seq_stage(const u32 *mbi, struct seq_image *img, unsigned *n,
	      u32 *mem_upper_kib)
{
	const u32 *mods;
	u32 top, dest, mem_end;
	unsigned i, count;

	if (!(mbi[MBI_FLAGS] & MBI_HAS_MEM) || !(mbi[MBI_FLAGS] & MBI_HAS_MODS))
		return -1;
	*mem_upper_kib = mbi[MBI_MEM_UPPER];
	mem_end = SEQ_IMAGE_LOW + mbi[MBI_MEM_UPPER] * 1024u;
	count = mbi[MBI_MODS_CNT];
	if (count > SEQ_MAX_IMAGES)
		count = SEQ_MAX_IMAGES;
	mods = (const u32 *)mbi[MBI_MODS_ADDR];
	top = (u32)__seq_end;
	/* Everything GRUB handed over is read before the first copy: the
	 * module list and its strings may lie where the staging area goes. */
	for (i = 0; i < count; i++) {
		if (mods[4 * i + 1] > top)
			top = mods[4 * i + 1];
		module_name((const char *)mods[4 * i + 2], img[i].name);
		img[i].start = mods[4 * i];
		img[i].size = mods[4 * i + 1] - mods[4 * i];
	}
	dest = ALIGN_UP(top, 4096u);
	for (i = 0; i < count; i++) {
		u32 start = img[i].start, size = img[i].size;

		if (dest + size > mem_end || dest + size < dest)
			return -2;
		memmove((void *)dest, (const void *)start, size);
		img[i].start = dest;
		img[i].size = size;
		img[i].hash = seq_hash((const void *)dest, size);
		dest = ALIGN_UP(dest + size, 4096u);
	}
	*n = count;
	return 0;
}
