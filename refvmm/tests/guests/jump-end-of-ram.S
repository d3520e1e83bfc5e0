/*
 * Jumps to 0x1fffff, the last byte of 2 MiB of RAM: the instruction
 * there runs on into unbacked guest-physical memory.
 */

	jmp 0x1fffff
