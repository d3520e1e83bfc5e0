/*
 * Descriptor tables. Every guest descriptor sits at GDT index 16 and above
 * so that, under direct execution by a software monitor, no guest selector
 * can alias one of the host's.
 */
#ifndef GUEST_DESC_H
#define GUEST_DESC_H

#include "lib.h"

#define GDT_FIRST   16
#define GDT_ENTRIES 48

/* Selectors with RPL 0; OR in the RPL to use them from CPL 1-3. */
#define SEL_CODE32(cpl) ((u16)(((GDT_FIRST + 2 * (cpl)) << 3)))
#define SEL_DATA(cpl)	((u16)(((GDT_FIRST + 2 * (cpl) + 1) << 3)))
#define SEL_CODE64(cpl) ((u16)((GDT_FIRST + 8 + (cpl)) << 3))
#define SEL_TSS		((u16)((GDT_FIRST + 12) << 3))
/* Index of the first descriptor a probe may use for its own experiments. */
#define GDT_FREE (GDT_FIRST + 14)

#define KERNEL_CS32 SEL_CODE32(0) /* 0x80 */
#define KERNEL_DS   SEL_DATA(0)	  /* 0x88 */
#define KERNEL_CS64 SEL_CODE64(0) /* 0xc0 */
#ifdef __x86_64__
#define KERNEL_CS     KERNEL_CS64
#define SEL_CODE(cpl) SEL_CODE64(cpl)
#else
#define KERNEL_CS     KERNEL_CS32
#define SEL_CODE(cpl) SEL_CODE32(cpl)
#endif

/* The selector (with RPL) that code at this CPL runs under. */
static inline u16 sel_code_rpl(int cpl)
{
	return SEL_CODE(cpl) | cpl;
}
static inline u16 sel_data_rpl(int cpl)
{
	return SEL_DATA(cpl) | cpl;
}

struct __attribute__((packed)) descriptor_ptr {
	u16 limit;
	ulong base;
};

/* Vectors the runtime reserves. */
#define RET_VECTOR     0x7f /* "return to CPL 0" gate used by run_at_cpl() */
#define SYSCALL_VECTOR 0x80

extern u64 gdt[GDT_ENTRIES];

void desc_init(void);
/* Writes a legacy code/data descriptor (SDM Vol. 3A, 3.4.5). */
void gdt_set(int index, u32 base, u32 limit, u8 access, u8 flags);
/* Sets an IDT gate's DPL (0-3) and present bit. */
void idt_set_dpl(int vector, int dpl);
void idt_set_present(int vector, bool present);
/* The IDTR value desc_init() loaded (not read back with SIDT). */
void idt_loaded(struct descriptor_ptr *p);
void load_gdt(void);
void set_tss_stack(int cpl, ulong sp);
#ifndef __x86_64__
/* The 32-bit TSS (SDM Vol. 3A 8.2.1, Figure 8-2). */
struct __attribute__((packed)) tss32 {
	u16 link, r0;
	u32 esp0;
	u16 ss0, r1;
	u32 esp1;
	u16 ss1, r2;
	u32 esp2;
	u16 ss2, r3;
	u32 cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
	u16 es, r4, cs, r5, ss, r6, ds, r7, fs, r8, gs, r9, ldt, r10;
	u16 trap, iomap_base;
};

/* The stack segment the TSS holds for entering this CPL (32-bit only). */
void set_tss_ss(int cpl, u16 ss);
#endif
/*
 * The TSS I/O permission bitmap: off by default (every port faults at
 * CPL > IOPL); when enabled, ports are denied until allowed.
 */
void io_bitmap_enable(bool on);
void io_bitmap_allow(u16 port, bool allow);

static inline void sgdt(struct descriptor_ptr *p)
{
	asm volatile("sgdt %0" : "=m"(*p));
}
static inline void sidt(struct descriptor_ptr *p)
{
	asm volatile("sidt %0" : "=m"(*p));
}
static inline void lidt(const struct descriptor_ptr *p)
{
	asm volatile("lidt %0" : : "m"(*p));
}
static inline u16 str(void)
{
	u16 v;
	asm volatile("str %0" : "=r"(v));
	return v;
}

#endif
