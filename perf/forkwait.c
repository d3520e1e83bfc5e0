/*
 * forkwait: the paper's fork/wait workload as a mini-kernel. Each
 * iteration forks: the child gets a copy of the top-level table and of
 * every table on the path to the process's pages, and those pages are
 * made read-only in parent and child (copy on write). The kernel switches
 * CR3 to the child, which writes a few of its pages (each write faults
 * with P|W; the handler copies the frame and maps the copy writable,
 * SDM Vol. 3A, 4.7) and reads all of them; then the kernel switches back
 * (wait), makes the parent's pages writable again and frees the child's
 * tables and frames. The child runs at CPL 0 with CR0.WP set, so its
 * writes to read-only pages fault as a user process's would (SDM Vol. 3A,
 * 4.6.1); that keeps the workload runnable on monitors that cannot switch
 * privilege levels.
 */
#include "bench.h"
#include "desc.h"
#include "report.h"
#include "x86.h"

#define PROC_VA	     BENCH_SLICE(3)
#define PROC_PAGES   16
#define CHILD_WRITES 4
#define CHILD_MARK   0xc0de0000u

#ifdef __x86_64__
#define ADDR_MASK 0x000ffffffffff000ull
#else
#define ADDR_MASK 0xfffff000ull
#endif

static struct gate_save fw_saved;
static void *parent_pte[PROC_PAGES];
static struct pgtable child;
static ulong saved_cr0;
static u64 cow_faults, forks, child_bad, parent_bad;

static ulong page_va(int i)
{
	return PROC_VA + i * PAGE_SIZE;
}

static void cow_fault(ulong cr2, ulong error)
{
	ulong va = cr2 & ~(PAGE_SIZE - 1);
	void *pte;
	u64 old;
	void *copy;

	if (cr2 < PROC_VA || cr2 >= page_va(PROC_PAGES) ||
	    (error & (PFERR_P | PFERR_W)) != (PFERR_P | PFERR_W) ||
	    read_cr3() != child.root)
		report_bail("forkwait: unexpected #PF at %#lx, error %#lx", cr2,
			    error);
	pte = pg_entry(&child, va, 1, false);
	old = pg_read(&child, pte);
	copy = alloc_page();
	page_copy(copy, (void *)(ulong)(old & ADDR_MASK));
	pg_write(&child, pte, (ulong)copy | (old & 0xfff) | PT_RW);
	invlpg((void *)va);
	cow_faults++;
}

static const char *fw_setup(void)
{
	for (int i = 0; i < PROC_PAGES; i++) {
		u32 *frame = alloc_page();

		frame[0] = i + 1;
		pg_map(bench_pt, page_va(i), (ulong)frame, PT_RW);
		parent_pte[i] = pg_entry(bench_pt, page_va(i), 1, false);
	}
	cow_faults = forks = child_bad = parent_bad = 0;
	saved_cr0 = read_cr0();
	write_cr0(saved_cr0 | X86_CR0_WP);
	bench_pf_fn = cow_fault;
	bench_set_gate(PF_VECTOR, bench_pf_stub, 0, &fw_saved);
	return NULL;
}

/* fork(): copy the top table and the path down to the process's PT. */
static void fork_tables(void)
{
	int levels = pg_levels(bench_pt->mode);

	child.mode = bench_pt->mode;
	child.root = (ulong)alloc_page();
	page_copy((void *)(ulong)child.root, (void *)(ulong)bench_pt->root);
	for (int l = levels; l > 1; l--) {
		void *e = pg_entry(&child, PROC_VA, l, false);
		u64 v = pg_read(&child, e);
		void *copy = alloc_page();

		page_copy(copy, (void *)(ulong)(v & ADDR_MASK));
		pg_write(&child, e, (ulong)copy | (v & 0xfff));
	}
	for (int i = 0; i < PROC_PAGES; i++) {
		void *ce = pg_entry(&child, page_va(i), 1, false);

		pg_write(&child, ce, pg_read(&child, ce) & ~PT_RW);
		pg_write(bench_pt, parent_pte[i],
			 pg_read(bench_pt, parent_pte[i]) & ~PT_RW);
	}
}

static void child_body(void)
{
	for (int i = 0; i < CHILD_WRITES; i++)
		*(volatile u32 *)page_va(i) = CHILD_MARK + i;
	for (int i = 0; i < PROC_PAGES; i++) {
		u32 want = i < CHILD_WRITES ? CHILD_MARK + i : (u32)i + 1;

		if (*(volatile u32 *)page_va(i) != want)
			child_bad++;
	}
}

static u64 fw_run(u32 n)
{
	u64 t0 = rdtsc();

	for (u32 k = 0; k < n; k++) {
		void *mark = alloc_page();

		fork_tables();
		write_cr3(child.root);
		child_body();
		write_cr3(bench_pt->root); /* wait(): the child has exited */
		for (int i = 0; i < PROC_PAGES; i++) {
			pg_write(bench_pt, parent_pte[i],
				 pg_read(bench_pt, parent_pte[i]) | PT_RW);
			invlpg((void *)page_va(i));
			if (*(volatile u32 *)page_va(i) != (u32)i + 1)
				parent_bad++;
		}
		free_all_pages_after(mark);
		forks++;
	}
	return rdtsc() - t0;
}

static bool fw_verify(u64 ops, char *why, size_t len)
{
	if (forks == ops && cow_faults == ops * CHILD_WRITES && !child_bad &&
	    !parent_bad)
		return true;
	BENCH_WHY(why, len,
		  "expected %llu forks with %d copy-on-write faults each and "
		  "no wrong page, saw %llu forks, %llu faults, %llu wrong in "
		  "children, %llu in the parent",
		  (unsigned long long)ops, CHILD_WRITES,
		  (unsigned long long)forks, (unsigned long long)cow_faults,
		  (unsigned long long)child_bad,
		  (unsigned long long)parent_bad);
	return false;
}

static void fw_teardown(void)
{
	bench_restore_gate(PF_VECTOR, &fw_saved);
	bench_pf_fn = NULL;
	write_cr0(saved_cr0);
}

const struct bench bench_forkwait = {
	.name = "forkwait",
	.flags = BENCH_PAGING,
	.iters = 200,
	.setup = fw_setup,
	.run = fw_run,
	.verify = fw_verify,
	.teardown = fw_teardown,
};
