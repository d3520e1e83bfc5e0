/*
 * Page tables for 2-level, PAE and 4-level paging (SDM Vol. 3A, 4.3, 4.4,
 * 4.5). Tables are reached at their physical address, so they must sit in
 * identity-mapped memory: the page pool is.
 */
#include "paging.h"
#include "report.h"
#include "x86.h"

extern char __image_end[];
extern u32 mb_info;

/* Pages above this are left to probes that want fixed physical frames. */
#define POOL_LIMIT (32ul << 20)

static ulong pool_next, pool_end;
static struct pgtable current;

void page_pool_init(void)
{
	const u32 *mbi = (const u32 *)(ulong)mb_info;

	pool_next = ALIGN_UP((ulong)__image_end, PAGE_SIZE);
	pool_end = POOL_LIMIT;
	/* Multiboot info: flags bit 0 says mem_upper (KiB above 1 MiB) is
	 * valid. */
	if (mb_info && (mbi[0] & 1) && (1ul << 20) + mbi[2] * 1024ul < pool_end)
		pool_end = (1ul << 20) + mbi[2] * 1024ul;
#ifdef __x86_64__
	extern char boot_pml4[];
	current.mode = PG_4LEVEL;
	current.root = (ulong)boot_pml4;
#endif
}

void *alloc_page(void)
{
	void *p = (void *)pool_next;

	if (pool_next + PAGE_SIZE > pool_end)
		report_bail("page pool exhausted at %#lx", pool_next);
	pool_next += PAGE_SIZE;
	memset(p, 0, PAGE_SIZE);
	return p;
}

void free_all_pages_after(void *mark)
{
	pool_next = (ulong)mark;
}

struct pgtable *pg_current(void)
{
	return current.root ? &current : NULL;
}

static u64 addr_mask(enum pg_mode m)
{
	return m == PG_2LEVEL ? 0xfffff000ull : 0x000ffffffffff000ull;
}

static unsigned index_of(enum pg_mode m, ulong va, int level)
{
	if (m == PG_2LEVEL)
		return (va >> (12 + 10 * (level - 1))) & 0x3ff;
	return ((u64)va >> (12 + 9 * (level - 1))) & 0x1ff;
}

static unsigned entry_size(enum pg_mode m)
{
	return m == PG_2LEVEL ? 4 : 8;
}

/* Bytes one entry at this level maps. */
static u64 level_span(enum pg_mode m, int level)
{
	return 1ull << (12 + (m == PG_2LEVEL ? 10 : 9) * (level - 1));
}

u64 pg_read(struct pgtable *pt, void *e)
{
	if (pt->mode == PG_2LEVEL)
		return *(volatile u32 *)e;
	return *(volatile u64 *)e;
}

void pg_write(struct pgtable *pt, void *e, u64 v)
{
	if (pt->mode == PG_2LEVEL)
		*(volatile u32 *)e = v;
	else
		*(volatile u64 *)e = v;
}

/* Replaces a large-page entry by a table of smaller pages, same rights. */
static u64 split_large(struct pgtable *pt, u64 v, int level)
{
	u8 *table = alloc_page();
	u64 span = level_span(pt->mode, level - 1);
	u64 base = v & addr_mask(pt->mode) & ~(level_span(pt->mode, level) - 1);
	u64 flags = v & (0xfffull | PT_NX);
	unsigned n = PAGE_SIZE / entry_size(pt->mode);

	if (level - 1 == 1)
		flags &= ~PT_PS; /* bit 7 is PAT in a PTE */
	for (unsigned i = 0; i < n; i++)
		pg_write(pt, table + i * entry_size(pt->mode),
			 (base + i * span) | flags);
	return (ulong)table | (v & (PT_P | PT_RW | PT_US | PT_A));
}

void *pg_entry(struct pgtable *pt, ulong va, int level, bool alloc)
{
	u64 table = pt->root;

	for (int l = pg_levels(pt->mode);; l--) {
		u8 *e = (u8 *)(ulong)table +
			index_of(pt->mode, va, l) * entry_size(pt->mode);
		bool pdpte = pt->mode == PG_PAE && l == 3;
		u64 v;

		if (l == level)
			return e;
		v = pg_read(pt, e);
		if (!(v & PT_P)) {
			if (!alloc)
				return NULL;
			/* PAE PDPTEs have no R/W or U/S bits (SDM 4.4.1) */
			v = (ulong)alloc_page() |
			    (pdpte ? PT_P : PT_P | PT_RW | PT_US);
			pg_write(pt, e, v);
			/* The CPU holds PAE PDPTEs in registers loaded by MOV
			 * to CR3 (SDM Vol. 3A 4.4.1): a new one in the active
			 * PDPT is seen only after a reload. Found on Bochs;
			 * docs/findings.md. */
			if (pdpte && (read_cr0() & X86_CR0_PG) &&
			    (read_cr3() & ~0x1ful) == pt->root)
				write_cr3(read_cr3());
		} else if ((v & PT_PS) && !pdpte) {
			if (!alloc)
				return NULL;
			v = split_large(pt, v, l);
			pg_write(pt, e, v);
		}
		table = v & addr_mask(pt->mode);
	}
}

void pg_identity(struct pgtable *pt, enum pg_mode mode, u64 bytes, u64 flags)
{
	pt->mode = mode;
	pt->root = (ulong)alloc_page();
	for (u64 a = 0; a < bytes; a += PAGE_SIZE)
		pg_write(pt, pg_entry(pt, a, 1, true), a | flags | PT_P);
}

void pg_set_pte(struct pgtable *pt, ulong va, u64 pte)
{
	pg_write(pt, pg_entry(pt, va, 1, true), pte);
	invlpg((void *)va);
}

u64 pg_get_pte(struct pgtable *pt, ulong va)
{
	void *e = pg_entry(pt, va, 1, false);

	return e ? pg_read(pt, e) : 0;
}

void pg_map(struct pgtable *pt, ulong va, u64 pa, u64 flags)
{
	pg_set_pte(pt, va, (pa & addr_mask(pt->mode)) | flags | PT_P);
}

void pg_unmap(struct pgtable *pt, ulong va)
{
	pg_set_pte(pt, va, 0);
}

void reload_cr3(void)
{
	write_cr3(read_cr3());
}

void pg_enable(struct pgtable *pt)
{
#ifdef __x86_64__
	if (pt->mode != PG_4LEVEL)
		report_bail("64-bit images page with 4-level tables only");
	write_cr3(pt->root);
#else
	ulong cr4 = read_cr4();

	if (pt->mode == PG_4LEVEL)
		report_bail("32-bit images cannot use 4-level paging");
	write_cr4(pt->mode == PG_PAE ? cr4 | X86_CR4_PAE : cr4 & ~X86_CR4_PAE);
	write_cr3(pt->root);
	write_cr0(read_cr0() | X86_CR0_PG);
#endif
	current = *pt;
}

void pg_disable(void)
{
#ifdef __x86_64__
	report_bail("paging cannot be turned off in long mode");
#else
	write_cr0(read_cr0() & ~X86_CR0_PG);
	current.root = 0;
#endif
}
