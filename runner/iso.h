/*
 * Building a bootable probe ISO (docs/iso.md): GRUB (grub-mkrescue from
 * grub-pc-bin, with xorriso) boots the ISO sequencer with the images as
 * Multiboot modules.
 */
#ifndef POPEK_RUNNER_ISO_H
#define POPEK_RUNNER_ISO_H

#include <stddef.h>

#include "elf_image.h"
#include "util.h"

/* The sequencer: $POPEK_SEQ, else popek-seq.elf beside popek. */
char *iso_sequencer_path(void);

/*
 * Write a bootable ISO to out holding images[0..n) in that order. The
 * first menu entry runs them all and is the default after grub_timeout
 * seconds; one entry per image follows. Returns 0 or -1 with *e set.
 */
int iso_build(const char *out, struct image *const *images, size_t n,
	      unsigned grub_timeout, struct perr *e);

/* A fresh directory under $TMPDIR (or /tmp), and its removal. */
char *iso_tmpdir(struct perr *e);
void iso_rmtree(const char *dir);

#endif
