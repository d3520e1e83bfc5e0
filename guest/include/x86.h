/*
 * Processor access: control registers, MSRs, CPUID, flags, port I/O.
 * Thin inline wrappers; the _safe variants that return a vector live in
 * fault.h.
 */
#ifndef GUEST_X86_H
#define GUEST_X86_H

#include "lib.h"

#define X86_CR0_PE (1ul << 0)
#define X86_CR0_MP (1ul << 1)
#define X86_CR0_EM (1ul << 2)
#define X86_CR0_TS (1ul << 3)
#define X86_CR0_ET (1ul << 4)
#define X86_CR0_NE (1ul << 5)
#define X86_CR0_WP (1ul << 16)
#define X86_CR0_AM (1ul << 18)
#define X86_CR0_PG (1ul << 31)

#define X86_CR4_VME	   (1ul << 0)
#define X86_CR4_PVI	   (1ul << 1)
#define X86_CR4_TSD	   (1ul << 2)
#define X86_CR4_DE	   (1ul << 3)
#define X86_CR4_PSE	   (1ul << 4)
#define X86_CR4_PAE	   (1ul << 5)
#define X86_CR4_PGE	   (1ul << 7)
#define X86_CR4_PCE	   (1ul << 8)
#define X86_CR4_OSFXSR	   (1ul << 9)
#define X86_CR4_OSXMMEXCPT (1ul << 10)
#define X86_CR4_UMIP	   (1ul << 11)
#define X86_CR4_SMEP	   (1ul << 20)
#define X86_CR4_SMAP	   (1ul << 21)

#define X86_EFLAGS_CF	 (1ul << 0)
#define X86_EFLAGS_FIXED (1ul << 1)
#define X86_EFLAGS_PF	 (1ul << 2)
#define X86_EFLAGS_AF	 (1ul << 4)
#define X86_EFLAGS_ZF	 (1ul << 6)
#define X86_EFLAGS_SF	 (1ul << 7)
#define X86_EFLAGS_TF	 (1ul << 8)
#define X86_EFLAGS_IF	 (1ul << 9)
#define X86_EFLAGS_DF	 (1ul << 10)
#define X86_EFLAGS_OF	 (1ul << 11)
#define X86_EFLAGS_IOPL	 (3ul << 12)
#define X86_EFLAGS_NT	 (1ul << 14)
#define X86_EFLAGS_RF	 (1ul << 16)
#define X86_EFLAGS_VM	 (1ul << 17)
#define X86_EFLAGS_AC	 (1ul << 18)
#define X86_EFLAGS_ID	 (1ul << 21)

#define MSR_EFER 0xc0000080
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

/* Architectural exception vectors (SDM Vol. 3A, 6.3.1, Table 6-1). */
enum {
	DE_VECTOR = 0,
	DB_VECTOR = 1,
	NMI_VECTOR = 2,
	BP_VECTOR = 3,
	OF_VECTOR = 4,
	BR_VECTOR = 5,
	UD_VECTOR = 6,
	NM_VECTOR = 7,
	DF_VECTOR = 8,
	TS_VECTOR = 10,
	NP_VECTOR = 11,
	SS_VECTOR = 12,
	GP_VECTOR = 13,
	PF_VECTOR = 14,
	MF_VECTOR = 16,
	AC_VECTOR = 17,
	MC_VECTOR = 18,
	XM_VECTOR = 19,
	VE_VECTOR = 20,
	CP_VECTOR = 21,
};

/* #PF error code bits (SDM Vol. 3A, 4.7). */
#define PFERR_P	   (1u << 0)
#define PFERR_W	   (1u << 1)
#define PFERR_U	   (1u << 2)
#define PFERR_RSVD (1u << 3)
#define PFERR_I	   (1u << 4)

static inline ulong read_cr0(void)
{
	ulong v;
	asm volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}
static inline void write_cr0(ulong v)
{
	asm volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}
static inline ulong read_cr2(void)
{
	ulong v;
	asm volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}
static inline void write_cr2(ulong v)
{
	asm volatile("mov %0, %%cr2" : : "r"(v) : "memory");
}
static inline ulong read_cr3(void)
{
	ulong v;
	asm volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}
static inline void write_cr3(ulong v)
{
	asm volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}
static inline ulong read_cr4(void)
{
	ulong v;
	asm volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}
static inline void write_cr4(ulong v)
{
	asm volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}
static inline ulong read_flags(void)
{
	ulong f;
	asm volatile("pushf; pop %0" : "=r"(f));
	return f;
}
static inline void write_flags(ulong f)
{
	asm volatile("push %0; popf" : : "r"(f) : "memory", "cc");
}
static inline u16 read_cs(void)
{
	u16 v;
	asm volatile("mov %%cs, %0" : "=r"(v));
	return v;
}
static inline u16 read_ss(void)
{
	u16 v;
	asm volatile("mov %%ss, %0" : "=r"(v));
	return v;
}
static inline u16 read_ds(void)
{
	u16 v;
	asm volatile("mov %%ds, %0" : "=r"(v));
	return v;
}
static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return lo | ((u64)hi << 32);
}
static inline void wrmsr(u32 msr, u64 v)
{
	asm volatile("wrmsr"
		     :
		     : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32))
		     : "memory");
}
static inline u64 rdtsc(void)
{
	u32 lo, hi;
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return lo | ((u64)hi << 32);
}
static inline void invlpg(const volatile void *va)
{
	asm volatile("invlpg (%0)" : : "r"(va) : "memory");
}
static inline void cli(void)
{
	asm volatile("cli" ::: "memory");
}
static inline void sti(void)
{
	asm volatile("sti" ::: "memory");
}
static inline void outb(u16 port, u8 v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline u8 inb(u16 port)
{
	u8 v;
	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void outw(u16 port, u16 v)
{
	asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}
static inline u16 inw(u16 port)
{
	u16 v;
	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void outl(u16 port, u32 v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline u32 inl(u16 port)
{
	u32 v;
	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* Debug registers (SDM Vol. 3B, 18.2). */
#define X86_DR6_B(n)   (1ul << (n))
#define X86_DR6_BD     (1ul << 13)
#define X86_DR6_BS     (1ul << 14)
#define X86_DR6_FIXED1 0xffff0ff0ul /* reserved bits that read as 1 */
#define X86_DR7_L(n)   (1ul << (2 * (n)))
#define X86_DR7_G(n)   (1ul << (2 * (n) + 1))
#define X86_DR7_GD     (1ul << 13)
#define X86_DR7_FIXED1 0x400ul
/* R/W and LEN fields of breakpoint n: 0 = execute, 1 = write, 2 = I/O,
 * 3 = read/write; LEN 0 = 1 byte, 1 = 2, 3 = 4, 2 = 8. */
#define X86_DR7_RW(n, rw)   ((ulong)(rw) << (16 + 4 * (n)))
#define X86_DR7_LEN(n, len) ((ulong)(len) << (18 + 4 * (n)))

#define read_dr(n)                                                             \
	({                                                                     \
		ulong __v;                                                     \
		asm volatile("mov %%db" #n ", %0" : "=r"(__v));                \
		__v;                                                           \
	})
#define write_dr(n, v) asm volatile("mov %0, %%db" #n : : "r"((ulong)(v)))

struct cpuid {
	u32 a, b, c, d;
};
static inline struct cpuid cpuid(u32 leaf, u32 subleaf)
{
	struct cpuid r;
	asm volatile("cpuid"
		     : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d)
		     : "a"(leaf), "c"(subleaf));
	return r;
}

/*
 * CPU features as data: (leaf, subleaf, register, bit), tested by one
 * predicate, as kvm-unit-tests does. Absent features give a skip.
 */
struct x86_feature {
	u32 leaf, subleaf;
	u8 reg; /* 0=eax 1=ebx 2=ecx 3=edx */
	u8 bit;
	const char *name;
};
#define X86_FEATURE(l, s, r, b, n) ((struct x86_feature){l, s, r, b, n})
#define FEAT_TSC		   X86_FEATURE(1, 0, 3, 4, "tsc")
#define FEAT_PSE		   X86_FEATURE(1, 0, 3, 3, "pse")
#define FEAT_PAE		   X86_FEATURE(1, 0, 3, 6, "pae")
#define FEAT_PGE		   X86_FEATURE(1, 0, 3, 13, "pge")
#define FEAT_SSE2		   X86_FEATURE(1, 0, 3, 26, "sse2")
#define FEAT_APIC		   X86_FEATURE(1, 0, 3, 9, "apic")
#define FEAT_SMEP		   X86_FEATURE(7, 0, 1, 7, "smep")
#define FEAT_SMAP		   X86_FEATURE(7, 0, 1, 20, "smap")
#define FEAT_UMIP		   X86_FEATURE(7, 0, 2, 2, "umip")
#define FEAT_DE			   X86_FEATURE(1, 0, 3, 2, "de")
#define FEAT_FXSR		   X86_FEATURE(1, 0, 3, 24, "fxsr")
#define FEAT_SSE		   X86_FEATURE(1, 0, 3, 25, "sse")
#define FEAT_RDTSCP		   X86_FEATURE(0x80000001, 0, 3, 27, "rdtscp")
#define FEAT_NX			   X86_FEATURE(0x80000001, 0, 3, 20, "nx")
#define FEAT_LM			   X86_FEATURE(0x80000001, 0, 3, 29, "lm")

bool this_cpu_has(struct x86_feature f);

#endif
