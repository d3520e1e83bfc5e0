/*
 * The ISO sequencer (docs/iso.md): a Multiboot kernel that GRUB loads with
 * the selected probe images as modules, and that runs them one after
 * another, each through a Multiboot hand-off of its own.
 */
#ifndef POPEK_SEQ_H
#define POPEK_SEQ_H

#include "lib.h"

/* Where images may live: [1 MiB, SEQ_BASE); the sequencer sits above. */
#define SEQ_IMAGE_LOW  0x100000u
#define SEQ_BASE       0x2400000u
#define SEQ_MAX_IMAGES 256
#define SEQ_NAME_MAX   96

struct seq_image {
	char name[SEQ_NAME_MAX];
	u32 start, size; /* the staged copy */
	u32 hash;	 /* FNV-1a of the staged copy */
};

/* seq_console.c: COM1 and the VGA text screen. */
void seq_console_init(void);
void seq_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Waits (bounded) until the UART has sent every byte: an image's
 * uart_init() clears the transmit FIFO. */
void seq_console_drain(void);

/* seq_stage.c: module list -> staged copies above every module. */
int seq_stage(const u32 *mbi, struct seq_image *img, unsigned *n,
	      u32 *mem_upper_kib);
u32 seq_hash(const void *p, u32 n);

/* seq_load.c: copy an ELF32 image to its load address. */
const char *seq_load_elf(const struct seq_image *img, u32 *entry);

/* entry.S */
int seq_enter(u32 entry, u32 mbi);
void seq_resume(void);
void seq_trap(void);
void seq_irq_drain(void);
extern u32 seq_lapic_eoi, seq_drained;

#endif
