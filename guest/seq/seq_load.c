/*
 * Loading one probe image from its staged copy: the PT_LOAD segments of
 * an ELF32 file to their physical addresses, the rest of each segment
 * zeroed, as a Multiboot loader does for an ELF kernel without the
 * address fields (Multiboot Specification 0.6.96, 3.1.3).
 */
#include "seq.h"

struct elf32_ehdr {
	u8 ident[16];
	u16 type, machine;
	u32 version, entry, phoff, shoff, flags;
	u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf32_phdr {
	u32 type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

#define PT_LOAD 1
#define EM_386	3

const char *seq_load_elf(const struct seq_image *img, u32 *entry)
{
	const u8 *base = (const u8 *)img->start;
	const struct elf32_ehdr *eh = (const void *)base;
	unsigned i;

	if (seq_hash(base, img->size) != img->hash)
		return "staged copy changed: an earlier image wrote over it";
	if (img->size < sizeof(*eh) || memcmp(eh->ident, "\177ELF\1\1", 6) ||
	    eh->machine != EM_386 || eh->phentsize != sizeof(struct elf32_phdr))
		return "not an ELF32 i386 image";
	if (eh->phoff + (u32)eh->phnum * sizeof(struct elf32_phdr) > img->size)
		return "program headers past the end of the file";
	for (i = 0; i < eh->phnum; i++) {
		const struct elf32_phdr *ph =
			(const void *)(base + eh->phoff + i * sizeof(*ph));

		if (ph->type != PT_LOAD || !ph->memsz)
			continue;
		if (ph->paddr < SEQ_IMAGE_LOW || ph->memsz > SEQ_BASE ||
		    ph->paddr > SEQ_BASE - ph->memsz)
			return "a segment lies outside [1 MiB, 36 MiB)";
		if (ph->filesz > ph->memsz || ph->offset > img->size ||
		    ph->filesz > img->size - ph->offset)
			return "a segment lies past the end of the file";
		memcpy((void *)ph->paddr, base + ph->offset, ph->filesz);
		memset((void *)(ph->paddr + ph->filesz), 0,
		       ph->memsz - ph->filesz);
	}
	*entry = eh->entry;
	return NULL;
}
