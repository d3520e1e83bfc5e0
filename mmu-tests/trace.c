/*
 * mmu.trace: trace coherence. A shadow-paging monitor write-protects the
 * guest's page-table pages (traces) so that it sees every change; these
 * checks change guest page tables in the ways a monitor can miss and
 * check that the new translation is used once the architecture requires
 * it (SDM Vol. 3A 4.10.4: after INVLPG or a CR3 reload). Page-table pages
 * written through a data alias and through a recursive mapping, a page
 * table shared by two address spaces, a page-table page reused as data
 * and back.
 */
#include "mmu_common.h"

#define ID(s) "mmu.trace." MMU_MODE_ID "." s

POPEK_IMAGE(0, 0);

#define VA (VA_BASE + 0x1000)

static u32 peek0(ulong va, int *vec)
{
	struct fault f;
	u32 v;

	*vec = mmu_read(0, va, &v, &f);
	return v;
}

static ulong pt_addr_mask(void)
{
	return MMU_MODE == PG_2LEVEL ? 0xfffff000ul : (ulong)0xffffffffff000ull;
}

static unsigned esize(void)
{
	return MMU_MODE == PG_2LEVEL ? 4 : 8;
}

static void flush_checks(struct pgtable *pt)
{
	u32 *f1 = mmu_frame(0xf1), *f2 = mmu_frame(0xf2);
	struct fault f;
	int vec;
	u32 v;

	pg_map(pt, VA, (ulong)f1, PT_RW | PT_US);
	peek0(VA, &vec);
	pg_map(pt, VA, (ulong)f2, PT_RW | PT_US); /* with INVLPG */
	v = peek0(VA, &vec);
	report_eq(ID("pte-write.invlpg"),
		  "after a PTE write and INVLPG the new frame is used", 0xf2,
		  v);
	pg_write(pt, pg_entry(pt, VA, 1, false),
		 (ulong)f1 | PT_P | PT_RW | PT_US);
	reload_cr3();
	v = peek0(VA, &vec);
	report_eq(ID("pte-write.cr3"),
		  "after a PTE write and a CR3 reload the new frame is used",
		  0xf1, v);
	pg_set_pte(pt, VA, (ulong)f1 | PT_P | PT_US); /* read-only */
	mmu_write(3, VA, 1, &f);
	report_eq(ID("less.ro-invlpg"),
		  "R/W cleared and INVLPG: a CPL 3 write raises #PF(P|W|U)",
		  PF_ERR(PFERR_P | PFERR_W | PFERR_U), mmu_vec_err(&f));
	pg_write(pt, pg_entry(pt, VA, 1, false), (ulong)f1 | PT_P | PT_RW);
	reload_cr3();
	mmu_read(3, VA, &v, &f);
	report_eq(ID("less.sup-cr3"),
		  "U/S cleared and CR3 reloaded: a CPL 3 read raises "
		  "#PF(P|U)",
		  PF_ERR(PFERR_P | PFERR_U), mmu_vec_err(&f));
	/* a PDE made not present takes the whole table away */
	void *pde = pg_entry(pt, VA, 2, false);
	u64 old = pg_read(pt, pde);
	pg_write(pt, pde, old & ~PT_P);
	invlpg((void *)VA);
	mmu_read(0, VA, &v, &f);
	report_eq(ID("less.pde-np"),
		  "a PDE made not present (INVLPG): #PF(0) for a page of its "
		  "table",
		  PF_ERR(0), mmu_vec_err(&f));
	pg_write(pt, pde, old);
	invlpg((void *)VA);
}

/* The page table mapped as data, and written through that alias. */
static void alias_checks(struct pgtable *pt)
{
	u32 *f1 = mmu_frame(0xa1), *f2 = mmu_frame(0xa2);
	ulong alias = VA_BASE + 0x200000 + 0x5000; /* in another table */
	int vec;
	u32 v;

	pg_map(pt, VA, (ulong)f1, PT_RW | PT_US);
	ulong ptpage = pg_read(pt, pg_entry(pt, VA, 2, false)) & pt_addr_mask();
	pg_map(pt, alias, ptpage, PT_RW);
	unsigned idx = (VA >> 12) & (MMU_MODE == PG_2LEVEL ? 0x3ff : 0x1ff);
	volatile u8 *pte = (volatile u8 *)alias + idx * esize();

	v = peek0(VA, &vec);
	report_eq(ID("table-alias.a-visible"),
		  "the A flag set by an access is visible through a data "
		  "alias of the page table",
		  PT_A, *(volatile u32 *)pte & PT_A);
	*(volatile u32 *)pte = (u32)(ulong)f2 | PT_P | PT_RW | PT_US;
	invlpg((void *)VA);
	v = peek0(VA, &vec);
	report_eq(ID("table-alias.write"),
		  "a PTE written through a data alias of its table, then "
		  "INVLPG: the new frame is used",
		  0xa2, v);
	*(volatile u32 *)pte = 0;
	invlpg((void *)VA);
	peek0(VA, &vec);
	report_eq(ID("table-alias.unmap"),
		  "a PTE cleared through the alias, then INVLPG: #PF",
		  PF_VECTOR, vec);
	pg_unmap(pt, alias);
}

/*
 * A PDE that points to its own page directory: the pages of that 2 or 4
 * MiB region are the page tables of the directory, so each PTE has a
 * linear address (recursive mapping).
 */
static void recursive_checks(struct pgtable *pt)
{
	u32 *f1 = mmu_frame(0xb1), *f2 = mmu_frame(0xb2);
	u64 span = MMU_MODE == PG_2LEVEL ? 4ul << 20 : 2ul << 20;
	u64 dirspan = MMU_MODE == PG_2LEVEL ? 0 : 1ul << 30;
	ulong base = dirspan ? VA & ~(dirspan - 1) : 0;
	unsigned r = 500;
	ulong rva = base + r * span;
	int vec;
	u32 v;

	pg_map(pt, VA, (ulong)f1, PT_RW | PT_US);
	void *pde_va = pg_entry(pt, VA, 2, false);
	ulong dir = (ulong)pde_va & ~(PAGE_SIZE - 1);
	pg_write(pt, (u8 *)dir + r * esize(), dir | PT_P | PT_RW);
	invlpg((void *)rva);
	unsigned pdi = (VA - base) / span, pti = (VA % span) >> 12;
	volatile u32 *pte =
		(volatile u32 *)(rva + pdi * PAGE_SIZE + pti * esize());

	v = peek0(VA, &vec);
	report_eq(ID("recursive.read"),
		  "through a self-referencing PDE, the PTE reads back as "
		  "written, with A set by the access",
		  (u32)(ulong)f1 | PT_P | PT_RW | PT_US | PT_A,
		  *pte & ~(u32)PT_D);
	*pte = (u32)(ulong)f2 | PT_P | PT_RW | PT_US;
	invlpg((void *)VA);
	v = peek0(VA, &vec);
	report_eq(ID("recursive.write"),
		  "a PTE written through the recursive mapping, then INVLPG: "
		  "the new frame is used",
		  0xb2, v);
	pg_write(pt, (u8 *)dir + r * esize(), 0);
	invlpg((void *)rva);
	invlpg((void *)(rva + pdi * PAGE_SIZE));
	peek0(rva + pdi * PAGE_SIZE, &vec);
	report_eq(ID("recursive.removed"),
		  "the self-reference removed (INVLPG): its region faults",
		  PF_VECTOR, vec);
}

/* One page table in two address spaces. */
static void shared_checks(struct pgtable *pt)
{
	struct pgtable pt2;
	u32 *f1 = mmu_frame(0xc1), *f2 = mmu_frame(0xc2);
	int vec;
	u32 v;

	pg_map(pt, VA, (ulong)f1, PT_RW | PT_US);
	pg_identity(&pt2, MMU_MODE, MMU_ENV_BYTES, PT_RW | PT_US);
	pg_write(&pt2, pg_entry(&pt2, VA, 2, true),
		 pg_read(pt, pg_entry(pt, VA, 2, false)));
	pg_enable(&pt2);
	v = peek0(VA, &vec);
	report_eq(ID("shared.second-space"),
		  "a page table shared by a second address space maps the "
		  "same frame there",
		  0xc1, v);
	pg_enable(pt);
	pg_map(pt, VA, (ulong)f2, PT_RW | PT_US);
	pg_enable(&pt2);
	v = peek0(VA, &vec);
	report_eq(ID("shared.change-seen"),
		  "a PTE changed while the first space ran is used by the "
		  "second after its CR3 load",
		  0xc2, v);
	pg_set_pte(&pt2, VA, 0);
	pg_enable(pt);
	peek0(VA, &vec);
	report_eq(ID("shared.unmap-seen"),
		  "a PTE cleared from the second space faults in the first "
		  "after its CR3 load",
		  PF_VECTOR, vec);
}

/* A page-table page freed, reused as data, and made a table again. */
static void reuse_checks(struct pgtable *pt)
{
	ulong va = VA_BASE + 0x400000; /* a table of its own */
	u32 *f1 = mmu_frame(0xd1), *f2 = mmu_frame(0xd2);
	int vec;
	u32 v;

	pg_map(pt, va, (ulong)f1, PT_RW | PT_US);
	peek0(va, &vec);
	void *pde = pg_entry(pt, va, 2, false);
	u64 pdev = pg_read(pt, pde);
	u32 *table = (u32 *)(ulong)(pdev & pt_addr_mask());
	pg_write(pt, pde, 0);
	invlpg((void *)va);
	/* reuse as data: fill with words that look like PTEs to f2 */
	for (unsigned i = 0; i < PAGE_SIZE / 4; i++)
		table[i] = MMU_MODE == PG_2LEVEL || !(i & 1)
				   ? (u32)(ulong)f2 | PT_P | PT_RW | PT_US
				   : 0;
	unsigned bad = 0;
	for (unsigned i = 0; i < PAGE_SIZE / 4; i++)
		bad += table[i] != (MMU_MODE == PG_2LEVEL || !(i & 1)
					    ? (u32)(ulong)f2 | 7
					    : 0);
	report_eq(ID("reuse.data"),
		  "a former page-table page written as data reads back (a "
		  "trace on it must not lose or change the writes)",
		  0, bad);
	peek0(va, &vec);
	report_eq(ID("reuse.unmapped"),
		  "with its PDE cleared, the address it mapped faults though "
		  "the page still holds PTE-like words",
		  PF_VECTOR, vec);
	memset(table, 0, PAGE_SIZE);
	pg_write(pt, pde, pdev);
	pg_set_pte(pt, va, (ulong)f2 | PT_P | PT_RW | PT_US);
	v = peek0(va, &vec);
	report_eq(ID("reuse.table-again"),
		  "made a page table again, it maps the new frame", 0xd2, v);
}

void probe_main(void)
{
	struct pgtable *boot = pg_current(), pt;

	mmu_env_init(&pt);
	flush_checks(&pt);
	alias_checks(&pt);
	recursive_checks(&pt);
	shared_checks(&pt);
	reuse_checks(&pt);
	if (boot)
		pg_enable(boot);
	else
		pg_disable();
}
