/*
 * Builds small Multiboot ELF32 images in memory for the loader and CLI
 * tests: an ELF header, program headers, a Multiboot header in the
 * first 8 KiB, then each segment's bytes. Knobs let a test break one
 * thing at a time.
 */
#ifndef REFVMM_TEST_ELF_BUILD_H
#define REFVMM_TEST_ELF_BUILD_H

#include <elf.h>
#include <stdint.h>
#include <string.h>

struct elf_seg {
	uint32_t type; /* 0 means PT_LOAD */
	uint32_t paddr;
	uint32_t filesz, memsz;
	const uint8_t *data; /* NULL: filled with fill */
	uint8_t fill;
};

struct elf_spec {
	const struct elf_seg *segs;
	int nsegs;
	uint32_t entry;
	uint16_t machine;  /* 0: EM_386 */
	uint32_t mb_flags; /* Multiboot header flags */
	int no_multiboot;
	int bad_checksum;
	/* Optional Popek note, in a SHT_NOTE section. */
	int note;
	uint32_t note_width, note_features;
};

#define ELF_BUILD_DATA_OFF 0x400u

static inline size_t elf_build(uint8_t *buf, size_t cap,
			       const struct elf_spec *s)
{
	Elf32_Ehdr eh;
	size_t off = ELF_BUILD_DATA_OFF;
	uint32_t mb[3];
	int i;

	memset(buf, 0, cap);
	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS32;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = s->machine ? s->machine : EM_386;
	eh.e_version = EV_CURRENT;
	eh.e_entry = s->entry;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf32_Phdr);
	eh.e_phnum = (uint16_t)s->nsegs;

	/* Multiboot header right after the program headers. */
	if (!s->no_multiboot) {
		mb[0] = 0x1BADB002u;
		mb[1] = s->mb_flags;
		mb[2] = (uint32_t) - (mb[0] + mb[1]) +
			(s->bad_checksum ? 1 : 0);
		memcpy(buf + 0x200, mb, sizeof(mb));
	}
	for (i = 0; i < s->nsegs; i++) {
		const struct elf_seg *g = &s->segs[i];
		Elf32_Phdr ph = {
			.p_type = g->type ? g->type : PT_LOAD,
			.p_offset = (uint32_t)off,
			.p_vaddr = g->paddr,
			.p_paddr = g->paddr,
			.p_filesz = g->filesz,
			.p_memsz = g->memsz,
			.p_flags = PF_R | PF_W | PF_X,
			.p_align = 4,
		};

		memcpy(buf + sizeof(eh) + i * sizeof(ph), &ph, sizeof(ph));
		if (off + g->filesz <= cap) {
			if (g->data)
				memcpy(buf + off, g->data, g->filesz);
			else
				memset(buf + off, g->fill, g->filesz);
		}
		off += g->filesz;
	}
	if (s->note) {
		/* Note, then a null section header and the note's header. */
		uint32_t note[4 + 2 + 4] = {6, 16, 1};
		Elf32_Shdr sh[2];

		off = (off + 3) & ~(size_t)3;
		memcpy(&note[3], "Popek\0\0", 8);
		note[5] = s->note_width;
		note[6] = s->note_features;
		memcpy(buf + off, note, 4 * 9);
		memset(sh, 0, sizeof(sh));
		sh[1].sh_type = SHT_NOTE;
		sh[1].sh_offset = (uint32_t)off;
		sh[1].sh_size = 4 * 9;
		off += 4 * 9;
		eh.e_shoff = (uint32_t)off;
		eh.e_shentsize = sizeof(Elf32_Shdr);
		eh.e_shnum = 2;
		memcpy(buf + off, sh, sizeof(sh));
		off += sizeof(sh);
	}
	memcpy(buf, &eh, sizeof(eh));
	return off;
}

#endif
