/*
 * GDT, IDT and TSS. The GDT is statically initialised because the 64-bit
 * entry code loads it before any C runs; desc_init() adds the TSS and the
 * IDT. Descriptor formats: SDM Vol. 3A, 3.4.5 (segments), 6.11 and 6.14.1
 * (gates), 7.2 and 8.7 (TSS).
 */
#include "desc.h"
#include "x86.h"

#define DESC(base, limit, access, flags)                                       \
	(((u64)(limit)&0xffff) | (((u64)(base)&0xffffff) << 16) |              \
	 ((u64)(access) << 40) | ((((u64)(limit) >> 16) & 0xf) << 48) |        \
	 ((u64)(flags) << 52) | (((u64)(base) >> 24) << 56))

/* Access bytes: present, DPL, S=1, type with the accessed bit preset so the
 * CPU never has to write the table when a segment is loaded. */
#define CODE_ACCESS(dpl) (0x9b | ((dpl) << 5))
#define DATA_ACCESS(dpl) (0x93 | ((dpl) << 5))
#define FLAGS_32	 0xc /* G=1, D/B=1 */
#define FLAGS_64	 0xa /* G=1, L=1 */

#define FLAT_CODE32(dpl) DESC(0, 0xfffff, CODE_ACCESS(dpl), FLAGS_32)
#define FLAT_DATA(dpl)	 DESC(0, 0xfffff, DATA_ACCESS(dpl), FLAGS_32)
#define CODE64(dpl)	 DESC(0, 0xfffff, CODE_ACCESS(dpl), FLAGS_64)

u64 gdt[GDT_ENTRIES] __aligned(16) = {
	[GDT_FIRST + 0] = FLAT_CODE32(0), [GDT_FIRST + 1] = FLAT_DATA(0),
	[GDT_FIRST + 2] = FLAT_CODE32(1), [GDT_FIRST + 3] = FLAT_DATA(1),
	[GDT_FIRST + 4] = FLAT_CODE32(2), [GDT_FIRST + 5] = FLAT_DATA(2),
	[GDT_FIRST + 6] = FLAT_CODE32(3), [GDT_FIRST + 7] = FLAT_DATA(3),
	[GDT_FIRST + 8] = CODE64(0),	  [GDT_FIRST + 9] = CODE64(1),
	[GDT_FIRST + 10] = CODE64(2),	  [GDT_FIRST + 11] = CODE64(3),
};

#ifdef __x86_64__
struct __attribute__((packed)) idt_gate {
	u16 off0, sel;
	u8 ist, type;
	u16 off1;
	u32 off2, reserved;
};
struct __attribute__((packed)) tss64 {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3, iomap_base;
};
typedef struct tss64 tss_t;
#else
struct __attribute__((packed)) idt_gate {
	u16 off0, sel;
	u8 zero, type;
	u16 off1;
};
typedef struct tss32 tss_t; /* desc.h */
#endif

/*
 * The TSS is followed by an I/O permission bitmap (SDM Vol. 1, 19.5.2): one
 * bit per port, 1 = no access at CPL > IOPL, and a final byte of ones. The
 * bitmap sits inside the TSS limit, but the I/O map base points past the
 * limit until a probe calls io_bitmap_enable(), so by default every port
 * faults at CPL > IOPL, as before the bitmap existed.
 */
#define IOMAP_BYTES (65536 / 8)
static struct __attribute__((packed)) {
	tss_t tss;
	u8 iomap[IOMAP_BYTES + 1];
} tss_io __aligned(16);
#define tss (tss_io.tss)

static struct idt_gate idt[256] __aligned(16);
/* Stack for exceptions taken at CPL > 0, and for #DF/NMI/#MC in 64-bit. */
static u8 exception_stack[16384] __aligned(16);
#ifdef __x86_64__
static u8 critical_stack[8192] __aligned(16);
#endif

extern char isr_stubs[];

/* Vectors a CPL 3 INT n may reach; all other gates have DPL 0 (SDM 6.12.1.1).
 */
static const u8 user_vectors[] = {BP_VECTOR, OF_VECTOR, RET_VECTOR,
				  SYSCALL_VECTOR};

static void idt_set_gate(int vec, ulong handler, int dpl)
{
	struct idt_gate *g = &idt[vec];

	g->off0 = handler & 0xffff;
	g->off1 = (handler >> 16) & 0xffff;
	g->sel = KERNEL_CS;
	/* present, interrupt gate (IF cleared on entry) */
	g->type = 0x80 | (dpl << 5) | 0xe;
#ifdef __x86_64__
	g->off2 = handler >> 32;
	g->reserved = 0;
	g->ist = (vec == DF_VECTOR || vec == NMI_VECTOR || vec == MC_VECTOR);
#else
	g->zero = 0;
#endif
}

void idt_loaded(struct descriptor_ptr *p)
{
	p->limit = sizeof(idt) - 1;
	p->base = (ulong)idt;
}

void idt_set_dpl(int vector, int dpl)
{
	idt[vector].type = (idt[vector].type & ~0x60) | (dpl << 5);
}

void idt_set_present(int vector, bool present)
{
	if (present)
		idt[vector].type |= 0x80;
	else
		idt[vector].type &= ~0x80;
}

void gdt_set(int index, u32 base, u32 limit, u8 access, u8 flags)
{
	gdt[index] = DESC(base, limit, access, flags);
}

void set_tss_stack(int cpl, ulong sp)
{
#ifdef __x86_64__
	tss.rsp[cpl] = sp;
#else
	if (cpl == 0)
		tss.esp0 = sp;
	else if (cpl == 1)
		tss.esp1 = sp;
	else
		tss.esp2 = sp;
#endif
}

void load_gdt(void)
{
	struct descriptor_ptr p = {sizeof(gdt) - 1, (ulong)gdt};

	asm volatile("lgdt %0" : : "m"(p));
#ifdef __x86_64__
	asm volatile("pushq %0\n\t"
		     "leaq 1f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "lretq\n"
		     "1:"
		     :
		     : "i"(KERNEL_CS64)
		     : "rax", "memory");
#else
	asm volatile("ljmp %0, $1f\n1:" : : "i"(KERNEL_CS32) : "memory");
#endif
	asm volatile("mov %0, %%ds\n\tmov %0, %%es\n\tmov %0, %%ss\n\t"
		     "mov %0, %%fs\n\tmov %0, %%gs"
		     :
		     : "r"((ulong)KERNEL_DS)
		     : "memory");
}

void io_bitmap_enable(bool on)
{
	tss.iomap_base = on ? sizeof(tss) : sizeof(tss_io);
}

void io_bitmap_allow(u16 port, bool allow)
{
	if (allow)
		tss_io.iomap[port / 8] &= ~(1u << (port % 8));
	else
		tss_io.iomap[port / 8] |= 1u << (port % 8);
}

#ifndef __x86_64__
void set_tss_ss(int cpl, u16 ss)
{
	if (cpl == 0)
		tss.ss0 = ss;
	else if (cpl == 1)
		tss.ss1 = ss;
	else
		tss.ss2 = ss;
}
#endif

static void tss_init(void)
{
	ulong base = (ulong)&tss_io;
	u32 limit = sizeof(tss_io) - 1;

	memset(&tss_io, 0, sizeof(tss_io));
	memset(tss_io.iomap, 0xff, sizeof(tss_io.iomap));
	/* I/O map base past the limit: no bitmap, so at CPL > IOPL every
	 * port access faults (SDM Vol. 1, 19.5.2). */
	io_bitmap_enable(false);
#ifdef __x86_64__
	tss.rsp[0] = (ulong)exception_stack + sizeof(exception_stack);
	tss.ist[0] = (ulong)critical_stack + sizeof(critical_stack);
	gdt[SEL_TSS >> 3] = DESC(base, limit, 0x89, 0);
	gdt[(SEL_TSS >> 3) + 1] = base >> 32;
#else
	tss.esp0 = (ulong)exception_stack + sizeof(exception_stack);
	tss.ss0 = KERNEL_DS;
	gdt[SEL_TSS >> 3] = DESC(base, limit, 0x89, 0);
#endif
	asm volatile("ltr %0" : : "r"((u16)SEL_TSS));
}

void desc_init(void)
{
	struct descriptor_ptr p = {sizeof(idt) - 1, (ulong)idt};

	load_gdt();
	for (int v = 0; v < 256; v++)
		idt_set_gate(v, (ulong)isr_stubs + 16 * v, 0);
	for (size_t i = 0; i < ARRAY_SIZE(user_vectors); i++)
		idt_set_dpl(user_vectors[i], 3);
	lidt(&p);
	tss_init();
	/* LDTR is undefined after a Multiboot load (and 0-based with limit
	 * 0xffff after reset): make it null so LDT selectors fault. */
	asm volatile("lldt %w0" : : "r"(0));
}
