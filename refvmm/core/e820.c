/* The guest's physical memory map (e820.h). */
#include "refvmm/e820.h"

unsigned int e820__pc_map(u64 ram_size, struct e820_entry *map)
{
	/* As a PC BIOS reports it: 639 KiB of conventional memory, the
	 * 1 KiB EBDA below 640 KiB and the 64 KiB system BIOS at 0xf0000
	 * reserved, then the rest of RAM from 1 MiB (the VGA window and
	 * option ROMs between are not memory at all). */
	map[0] = (struct e820_entry){0, 0x9fc00, E820_RAM};
	map[1] = (struct e820_entry){0x9fc00, 0x400, E820_RESERVED};
	map[2] = (struct e820_entry){0xf0000, 0x10000, E820_RESERVED};
	map[3] = (struct e820_entry){MiB, ram_size - MiB, E820_RAM};
	return E820_PC_ENTRIES;
}
