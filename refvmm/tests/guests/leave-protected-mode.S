/*
 * Clears CR0.PE from flat 32-bit code (SDM Vol. 3A 10.9.2, without the
 * 16-bit segment the procedure asks for first). The software modes run
 * the guest in a 64-bit host process, where real-address mode does not
 * exist: the run must stop with one line and status 68, never crash.
 * Reaching the next instruction in protected mode is a failure (code 1).
 */
#include "guest.h"

	cli
	mov %cr0, %eax
	and $0xfffffffe, %eax
	mov %eax, %cr0
	fail 1
