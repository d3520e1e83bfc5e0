/*
 * Paging benchmarks. pgfault: the first touch of a demand-zero page
 * faults (SDM Vol. 3A, 4.7), and the guest's handler zeroes a frame,
 * maps it and returns to the write; not-present entries are never cached,
 * so no INVLPG is needed (SDM Vol. 3A, 4.10.2.3). ptemod: a live PTE is
 * rewritten to the other of two frames and INVLPG'd (SDM Vol. 3A,
 * 4.10.4.1), then read through: a software monitor traces page-table
 * pages, a hardware one with shadow paging must notice the write too.
 */
#include "bench.h"
#include "desc.h"
#include "report.h"
#include "x86.h"

#define PF_VA	 BENCH_SLICE(1)
#define PF_PAGES 128 /* pages faulted in per batch, then unmapped */

static struct gate_save pf_saved;
static void *pf_frames[PF_PAGES];
static void *pf_ptes[PF_PAGES];
static u64 pf_faults, pf_touches, pf_bad;

static void pte_store(void *pte, u64 v)
{
#ifdef __x86_64__
	*(volatile u64 *)pte = v;
#else
	*(volatile u32 *)pte = (u32)v;
#endif
}

static void pf_handle(ulong cr2, ulong error)
{
	ulong i = (cr2 - PF_VA) / PAGE_SIZE;

	if (cr2 < PF_VA || i >= PF_PAGES || (error & PFERR_P))
		report_bail("pgfault: unexpected #PF at %#lx, error %#lx", cr2,
			    error);
	page_zero(pf_frames[i]);
	pte_store(pf_ptes[i], (ulong)pf_frames[i] | PT_P | PT_RW);
	pf_faults++;
}

static void pf_unmap_all(void)
{
	for (int i = 0; i < PF_PAGES; i++) {
		pte_store(pf_ptes[i], 0);
		invlpg((void *)(PF_VA + i * PAGE_SIZE));
		/* dirty the frame again so a missing zeroing shows */
		*(volatile u32 *)pf_frames[i] = 0xeeeeeeeeu;
	}
}

static const char *pf_setup(void)
{
	for (int i = 0; i < PF_PAGES; i++) {
		pf_frames[i] = alloc_page();
		pf_ptes[i] = pg_entry(bench_pt, PF_VA + i * PAGE_SIZE, 1, true);
	}
	pf_unmap_all();
	pf_faults = pf_touches = pf_bad = 0;
	bench_pf_fn = pf_handle;
	bench_set_gate(PF_VECTOR, bench_pf_stub, 0, &pf_saved);
	return NULL;
}

static u64 pf_run(u32 n)
{
	u64 cycles = 0;

	while (n) {
		u32 batch = n < PF_PAGES ? n : PF_PAGES;
		u64 t0 = rdtsc();

		for (u32 i = 0; i < batch; i++)
			*(volatile u32 *)(PF_VA + i * PAGE_SIZE + 8) = 1;
		cycles += rdtsc() - t0;
		/* the first words were zeroed by the handler, not written */
		for (u32 i = 0; i < batch; i++)
			if (*(volatile u32 *)(PF_VA + i * PAGE_SIZE) != 0)
				pf_bad++;
		pf_touches += batch;
		pf_unmap_all();
		n -= batch;
	}
	return cycles;
}

static bool pf_verify(u64 ops, char *why, size_t len)
{
	(void)ops;
	if (pf_faults == pf_touches && !pf_bad)
		return true;
	BENCH_WHY(why, len,
		  "expected %llu faults and zeroed pages, saw %llu faults "
		  "and %llu bad pages or faults",
		  (unsigned long long)pf_touches, (unsigned long long)pf_faults,
		  (unsigned long long)pf_bad);
	return false;
}

static void pf_teardown(void)
{
	bench_restore_gate(PF_VECTOR, &pf_saved);
	bench_pf_fn = NULL;
}

const struct bench bench_pgfault = {
	.name = "pgfault",
	.flags = BENCH_PAGING,
	.iters = 512,
	.setup = pf_setup,
	.run = pf_run,
	.verify = pf_verify,
	.teardown = pf_teardown,
};

/* ptemod: one linear page alternating between two frames. */
#define PTE_VA BENCH_SLICE(2)
static u32 *pte_frame[2];
static void *pte_entry;
static u64 pte_mismatch, pte_done;

static const char *pte_setup(void)
{
	for (int i = 0; i < 2; i++) {
		pte_frame[i] = alloc_page();
		pte_frame[i][0] = 0xf0000000u + i;
	}
	pg_map(bench_pt, PTE_VA, (ulong)pte_frame[0], PT_RW);
	pte_entry = pg_entry(bench_pt, PTE_VA, 1, false);
	pte_mismatch = pte_done = 0;
	return NULL;
}

static u64 pte_run(u32 n)
{
	u64 v[2] = {(ulong)pte_frame[0] | PT_P | PT_RW,
		    (ulong)pte_frame[1] | PT_P | PT_RW};
	u32 bad = 0;
	u64 t0 = rdtsc();

	for (u32 i = 0; i < n; i++) {
		pte_store(pte_entry, v[(i + 1) & 1]);
		invlpg((void *)PTE_VA);
		bad += *(volatile u32 *)PTE_VA != 0xf0000000u + ((i + 1) & 1);
	}
	t0 = rdtsc() - t0;
	/* leave frame 0 mapped for the next run */
	pte_store(pte_entry, v[0]);
	invlpg((void *)PTE_VA);
	pte_mismatch += bad;
	pte_done += n;
	return t0;
}

static bool pte_verify(u64 ops, char *why, size_t len)
{
	if (!pte_mismatch && pte_done == ops)
		return true;
	BENCH_WHY(why, len,
		  "expected every read after a PTE write + INVLPG to see "
		  "the new frame, saw the old one %llu times in %llu",
		  (unsigned long long)pte_mismatch,
		  (unsigned long long)pte_done);
	return false;
}

const struct bench bench_ptemod = {
	.name = "ptemod",
	.flags = BENCH_PAGING,
	.iters = 2000,
	.setup = pte_setup,
	.run = pte_run,
	.verify = pte_verify,
};
