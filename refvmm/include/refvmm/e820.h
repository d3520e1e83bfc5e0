/*
 * The physical memory map refvmm describes to a guest, in the one
 * encoding both consumers use: the Linux boot protocol's boot_params
 * e820_table (the kernel's Documentation/arch/x86/zero-page.rst) and
 * QEMU's fw_cfg file "etc/e820" are arrays of the same packed 20-byte
 * entry, little-endian.
 */
#ifndef REFVMM_E820_H
#define REFVMM_E820_H

#include "types.h"

enum { E820_RAM = 1, E820_RESERVED = 2 };

struct e820_entry {
	u64 addr, size;
	u32 type;
} __attribute__((packed));

#define E820_PC_ENTRIES 4

/* The PC map for @ram_size bytes of RAM: conventional memory, the EBDA
 * and the BIOS area reserved, RAM from 1 MiB. Returns the entry count. */
unsigned int e820__pc_map(u64 ram_size, struct e820_entry *map);

#endif
