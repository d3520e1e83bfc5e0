/*
 * Helpers the benchmarks share: raw IDT gates for their own handlers
 * (SDM Vol. 3A, 6.11 and 6.14.1) and page-sized string operations.
 */
#include "bench.h"
#include "desc.h"

void (*bench_pf_fn)(ulong cr2, ulong error);

static u8 *gate_at(int vector)
{
	struct descriptor_ptr p;

	idt_loaded(&p);
#ifdef __x86_64__
	return (u8 *)p.base + 16 * vector;
#else
	return (u8 *)p.base + 8 * vector;
#endif
}

void bench_set_gate(int vector, void *handler, int dpl, struct gate_save *old)
{
	u8 *g = gate_at(vector);
	ulong h = (ulong)handler;
	u16 sel = KERNEL_CS;

#ifdef __x86_64__
	memcpy(old->raw, g, 16);
	u32 hi = h >> 32, zero = 0;

	memcpy(g + 8, &hi, 4);
	memcpy(g + 12, &zero, 4);
	g[4] = 0; /* IST 0: the benchmarks' handlers run on the TSS stack */
#else
	memcpy(old->raw, g, 8);
	g[4] = 0;
#endif
	/* present interrupt gate: IF cleared on entry */
	g[5] = 0x80 | (dpl << 5) | 0xe;
	g[0] = h & 0xff;
	g[1] = (h >> 8) & 0xff;
	memcpy(g + 2, &sel, 2);
	g[6] = (h >> 16) & 0xff;
	g[7] = (h >> 24) & 0xff;
}

void bench_restore_gate(int vector, const struct gate_save *old)
{
#ifdef __x86_64__
	memcpy(gate_at(vector), old->raw, 16);
#else
	memcpy(gate_at(vector), old->raw, 8);
#endif
}

void page_zero(void *page)
{
	void *d = page;
	ulong n = PAGE_SIZE / sizeof(ulong);

#ifdef __x86_64__
	asm volatile("rep stosq" : "+D"(d), "+c"(n) : "a"(0ul) : "memory");
#else
	asm volatile("rep stosl" : "+D"(d), "+c"(n) : "a"(0ul) : "memory");
#endif
}

void page_copy(void *dst, const void *src)
{
	void *d = dst;
	const void *s = src;
	ulong n = PAGE_SIZE / sizeof(ulong);

#ifdef __x86_64__
	asm volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
#else
	asm volatile("rep movsl" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
#endif
}
