/*
 * The hostile template guest's contract with its payload generator
 * (gen.py keeps the same numbers; docs/hostile-campaign.md).
 *
 * The harness loads the payload with `refvmm --load FILE@0x400000`:
 *
 *   0   "HSTL"            ignored (a name for humans and hexdumps)
 *   4   u8 flags          bit 0: slots run at CPL 3; bit 1: paging on
 *   5   u8 repeat         passes over the slots (0 = 1, at most 8)
 *   6   u16 slots         how many (at most 256; an all-zero slot ends)
 *   8   u8 ds, es, fs, gs indices into the selector table below (mod 16)
 *   12  u32 seed          EAX..EBP at the start of every slot
 *   16  slot 0, slot 1, ... SLOT_SIZE bytes each
 *
 * Each slot runs from its first byte with the setup above; any exception
 * or interrupt (every IDT vector) ends it and the next slot starts. The
 * last pass ends with a write of 0 to the debug-exit port.
 */
#ifndef HOSTILE_LAYOUT_H
#define HOSTILE_LAYOUT_H

#define PAYLOAD_GPA	  0x400000
#define SLOT_BASE	  (PAYLOAD_GPA + 16)
#define SLOT_SIZE	  64
#define MAX_SLOTS	  256
#define MAX_REPEAT	  8
#define USER_STACK_TOP	  0x7ff000
/* With paging, the monitor window's linear range maps to this RAM. */
#define WINDOW_LINEAR	  0xffc00000
#define WINDOW_ALIAS_GPA  0x800000

#define HDR_FLAGS	  4
#define HDR_REPEAT	  5
#define HDR_SLOTS	  6
#define HDR_SEGS	  8
#define HDR_SEED	  12
#define FLAG_CPL3	  1
#define FLAG_PAGING	  2

/* GDT selectors (the odd ones are the campaign's targets). */
#define SEL_KCODE	  0x08
#define SEL_KDATA	  0x10
#define SEL_UCODE	  0x1b
#define SEL_UDATA	  0x23 /* the host's 32-bit data selector too */
#define SEL_TSS		  0x28 /* 0x2b: the host's 32-bit code */
#define SEL_LCODE	  0x33 /* L=1 code: the host's 64-bit CS value */
#define SEL_LDT		  0x70
#define GDT_ENTRIES	  21
#define LDT_ENTRIES	  80 /* selectors 0x07 .. 0x27f */

#endif
