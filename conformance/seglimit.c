/*
 * conformance.segment.limit and conformance.segment.cache: segment limit
 * checks (SDM Vol. 3A, 5.3: expand-up limits, expand-down segments with
 * the B flag as upper bound, G scaling the limit to 4 KiB units; a
 * violation is #GP(0), or #SS(0) through SS) and the hidden descriptor
 * cache (3.4.3: a segment register keeps the descriptor it loaded until
 * it is reloaded, whatever happens to the table). In 64-bit mode limits
 * are not checked and only FS/GS bases apply (3.2.4). A monitor that
 * shadows the guest's descriptors must refresh its shadow only when the
 * guest reloads a register, never when the guest writes its GDT.
 */
#include "common.h"

POPEK_IMAGE(0, 0);

#define I(n)  (GDT_FREE + (n))
#define SEG_A I(0)

static u8 buf_a[8192] __aligned(4096);
static u8 buf_b[64] __aligned(64);
static u64 gdt_copy[GDT_ENTRIES] __aligned(16);

struct access {
	u16 sel;
	ulong off;
	int size;
	bool write;
};

/* Accesses ES:off, then restores ES to the flat data segment. */
PROBE es_access(void *a)
{
	struct access *x = a;
	u16 old;

	asm volatile("mov %%es, %0" : "=r"(old));
	asm volatile("mov %0, %%es" : : "r"(x->sel));
	if (x->write)
		asm volatile("movb $0, %%es:(%0)" : : "r"(x->off) : "memory");
	else if (x->size == 1)
		asm volatile("movb %%es:(%0), %%al" : : "r"(x->off) : "eax");
	else
		asm volatile("movl %%es:(%0), %%eax" : : "r"(x->off) : "eax");
	asm volatile("mov %0, %%es" : : "r"(old));
}

static int es_try(u16 sel, ulong off, int size, bool write, struct fault *f)
{
	struct access x = {sel, off, size, write};
	u16 es;
	int v;

	asm volatile("mov %%es, %0" : "=r"(es));
	v = try_call(es_access, &x, f);
	asm volatile("mov %0, %%es" : : "r"(es));
	return v;
}

/* An access through ES: no fault if ok, else #GP(0). */
static void limit(const char *id, u16 sel, ulong off, int size, bool write,
		  bool ok)
{
	struct fault f;

	es_try(sel, off, size, write, &f);
	check_fault(id, ok ? NO_FAULT : GP_VECTOR, 0, &f);
}

#ifndef __x86_64__
static u16 saved_ss;

PROBE ss_access(void *a)
{
	asm volatile("movb %%ss:(%0), %%al" : : "r"(a) : "eax");
}

static void limits(void)
{
	struct fault f;
	u16 s = SEG_A << 3;

	gdt_set(SEG_A, (ulong)buf_a, 0xfff, 0x93, 0x4); /* byte, up */
	limit(DECLARE_CHECK("conformance.segment.limit.up.byte.last",
			    "a byte read at the limit of an expand-up segment "
			    "is allowed"),
	      s, 0xfff, 1, false, true);
	limit(DECLARE_CHECK("conformance.segment.limit.up.byte.past",
			    "a byte read one past the limit raises #GP(0)"),
	      s, 0x1000, 1, false, false);
	limit(DECLARE_CHECK("conformance.segment.limit.up.dword.last",
			    "a dword read ending at the limit is allowed"),
	      s, 0xffc, 4, false, true);
	limit(DECLARE_CHECK("conformance.segment.limit.up.dword.straddle",
			    "a dword read straddling the limit raises #GP(0)"),
	      s, 0xffe, 4, false, false);
	gdt_set(SEG_A, (ulong)buf_a, 0, 0x93, 0xc); /* G=1: limit 0xfff */
	limit(DECLARE_CHECK("conformance.segment.limit.up.page.last",
			    "with G=1 and limit 0 the last byte of the first 4 "
			    "KiB is allowed"),
	      s, 0xfff, 1, false, true);
	limit(DECLARE_CHECK("conformance.segment.limit.up.page.past",
			    "with G=1 and limit 0 offset 0x1000 raises #GP(0)"),
	      s, 0x1000, 1, false, false);
	/* Expand-down, B=1: valid offsets are limit+1 .. 0xffffffff. */
	gdt_set(SEG_A, 0, 0xfff, 0x97, 0x4);
	limit(DECLARE_CHECK("conformance.segment.limit.down.at-limit",
			    "an expand-down segment faults at its limit"),
	      s, 0xfff, 1, false, false);
	limit(DECLARE_CHECK("conformance.segment.limit.down.above",
			    "an expand-down segment allows limit + 1"),
	      s, 0x1000, 1, false, true);
	limit(DECLARE_CHECK(
		      "conformance.segment.limit.down.top-b1",
		      "an expand-down segment with B=1 allows 0xffffffff"),
	      s, 0xfffffffful, 1, false, true);
	/* Expand-down, B=0: upper bound 0xffff. */
	gdt_set(SEG_A, (ulong)buf_a, 0xfff, 0x97, 0x0);
	limit(DECLARE_CHECK("conformance.segment.limit.down.top-b0",
			    "an expand-down segment with B=0 allows 0xffff"),
	      s, 0xffff, 1, false, true);
	limit(DECLARE_CHECK(
		      "conformance.segment.limit.down.past-b0",
		      "an expand-down segment with B=0 faults at 0x10000"),
	      s, 0x10000, 1, false, false);
	gdt_set(SEG_A, (ulong)buf_a, 0xfff, 0x91, 0x4); /* read-only */
	limit(DECLARE_CHECK(
		      "conformance.segment.limit.read-only.write",
		      "a write to a read-only data segment raises #GP(0)"),
	      s, 0x10, 1, true, false);
	limit(DECLARE_CHECK("conformance.segment.limit.read-only.read",
			    "a read from a read-only data segment is allowed"),
	      s, 0x10, 1, false, true);

	/* Through SS the violation is #SS(0). The stack lies below 4 MiB. */
	gdt_set(I(1), 0, 0x3ff, 0x93, 0xc);
	asm volatile("mov %%ss, %0\n\tmov %1, %%ss"
		     : "=&r"(saved_ss)
		     : "r"((u16)(I(1) << 3)));
	try_call(ss_access, (void *)0x800000ul, &f);
	asm volatile("mov %0, %%ss" : : "r"(saved_ss));
	report_fault("conformance.segment.limit.ss.past",
		     "a read through SS past its limit raises #SS(0)",
		     SS_VECTOR, 0, &f);
}
#else
static void limits(void)
{
	u16 s = SEG_A << 3;

	/* 64-bit mode: no limit checks, ES base ignored (3.2.4). */
	gdt_set(SEG_A, 0x100000, 0xfff, 0x93, 0x4);
	limit(DECLARE_CHECK(
		      "conformance.segment.limit.ignored-64",
		      "in 64-bit mode a read past ES's limit does not fault"),
	      s, (ulong)buf_a + 0x1000, 1, false, true);
	gdt_set(SEG_A, 0, 0xfff, 0x91, 0x4);
	limit(DECLARE_CHECK("conformance.segment.limit.read-only-64",
			    "in 64-bit mode a write through a read-only ES "
			    "does not fault (no type checks on data access)"),
	      s, (ulong)buf_a, 1, true, true);
}
#endif

static u32 read_fs0(void)
{
	u32 v;

	asm volatile("movl %%fs:0, %0" : "=r"(v));
	return v;
}

static void cache(void)
{
	struct descriptor_ptr old,
		copy = {sizeof(gdt_copy) - 1, (ulong)gdt_copy};
	u16 sel = I(2) << 3;
	u32 v;

	*(u32 *)buf_a = 0xaaaa5555;
	*(u32 *)buf_b = 0xbbbb6666;
	gdt_set(I(2), (ulong)buf_a, 0xfff, 0x93, 0x4);
	asm volatile("mov %0, %%fs" : : "r"(sel));
	report_eq("conformance.segment.cache.load",
		  "FS loaded from a descriptor uses its base", 0xaaaa5555,
		  read_fs0());
	gdt_set(I(2), (ulong)buf_b, 0xfff, 0x93, 0x4);
	report_eq("conformance.segment.cache.stale-base",
		  "after the GDT entry's base changes, FS keeps the cached "
		  "base until reloaded",
		  0xaaaa5555, read_fs0());
	asm volatile("mov %0, %%fs" : : "r"(sel));
	report_eq("conformance.segment.cache.reload",
		  "reloading FS picks up the new base", 0xbbbb6666, read_fs0());
	gdt[I(2)] &= ~(1ull << 47); /* P=0 */
	v = read_fs0();
	report_eq("conformance.segment.cache.not-present",
		  "FS stays usable after its descriptor is marked not "
		  "present",
		  0xbbbb6666, v);
	gdt_set(I(2), (ulong)buf_a, 0xfff, 0x93, 0x4);
	asm volatile("mov %0, %%fs" : : "r"(sel));

	/* A different GDT: FS still holds the old table's descriptor. */
	memcpy(gdt_copy, gdt, sizeof(gdt));
	gdt_copy[I(2)] = 0;
	sgdt(&old);
	asm volatile("lgdt %0" : : "m"(copy));
	v = read_fs0();
	asm volatile("lgdt %0" : : "m"(old));
	report_eq("conformance.segment.cache.lgdt",
		  "after LGDT of a table where FS's entry is null, FS keeps "
		  "its cached descriptor",
		  0xaaaa5555, v);
	asm volatile("mov %0, %%fs" : : "r"(0));
}

void probe_main(void)
{
	limits();
	cache();
}
