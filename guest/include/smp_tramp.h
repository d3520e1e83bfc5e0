/*
 * The AP start-up trampoline's page (guest/smp_tramp.S): what the BSP
 * fills in before a SIPI and what the AP records there on arrival, at
 * fixed offsets so the 16-bit code can address them through CS.
 */
#ifndef GUEST_SMP_TRAMP_H
#define GUEST_SMP_TRAMP_H

/* Default page below 1 MiB: the SIPI vector is its page number. */
#define SMP_TRAMP_PAGE 0x8000

/* Offset of the data area in the page; the real-mode stack is its top. */
#define TD_BASE 0x800
/* Filled by the BSP: a 6-byte GDTR image of the runtime's GDT. */
#define TD_GDTR 0x00
/* Recorded by the AP, first thing after the SIPI (u32 each). */
#define TD_EAX	   0x10
#define TD_EBX	   0x14
#define TD_ECX	   0x18
#define TD_EDX	   0x1c
#define TD_ESI	   0x20
#define TD_EDI	   0x24
#define TD_EBP	   0x28
#define TD_ESP	   0x2c
#define TD_CS	   0x30
#define TD_DS	   0x34
#define TD_ES	   0x38
#define TD_FS	   0x3c
#define TD_GS	   0x40
#define TD_SS	   0x44
#define TD_CR0	   0x48
#define TD_CR2	   0x4c
#define TD_CR3	   0x50
#define TD_CR4	   0x54
#define TD_DR6	   0x58
#define TD_DR7	   0x5c
#define TD_EFLAGS  0x60
#define TD_IP	   0x64 /* the IP a CALL pushed, minus the CALL's end */
#define TD_ENTRIES 0x68 /* times the trampoline was entered */
#define TD_SGDT	   0x70 /* 6 bytes: SGDT in real mode after INIT */
#define TD_SIDT	   0x78 /* 6 bytes */

#ifndef __ASSEMBLER__
#include "lib.h"

struct __attribute__((packed)) smp_tramp_data {
	u16 gdtr_limit;
	u32 gdtr_base;
	u8 pad0[TD_EAX - 6];
	u32 eax, ebx, ecx, edx, esi, edi, ebp, esp;
	u32 cs, ds, es, fs, gs, ss;
	u32 cr0, cr2, cr3, cr4, dr6, dr7, eflags, ip, entries;
	u32 pad1;
	u16 sgdt_limit;
	u32 sgdt_base;
	u16 pad2;
	u16 sidt_limit;
	u32 sidt_base;
};
_Static_assert(__builtin_offsetof(struct smp_tramp_data, eax) == TD_EAX,
	       "layout");
_Static_assert(__builtin_offsetof(struct smp_tramp_data, entries) == TD_ENTRIES,
	       "layout");
_Static_assert(__builtin_offsetof(struct smp_tramp_data, sgdt_limit) == TD_SGDT,
	       "layout");
_Static_assert(__builtin_offsetof(struct smp_tramp_data, sidt_limit) == TD_SIDT,
	       "layout");
#endif

#endif
