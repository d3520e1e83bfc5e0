/*
 * shadow__quiet_pt_store (shadow_pt_store.c) against the full path it
 * stands in for: each scenario is built twice in a fresh shadow, once
 * storing through the monitor's emulated store (the bytes, then
 * shadow__phys_written) and once through the quiet store; where the
 * quiet store takes the store, everything the shadow keeps (counters,
 * the write clock, the hot pages, what took mappings out, which pages
 * are mapped) must come out the same, and where it declines nothing may
 * have changed. Real mappings in this process, as test_shadow_kept.c.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host_access.h"
#include "refvmm/sw/guest_pt.h"
#include "refvmm/sw/shadow_pt.h"

#define RAM_SIZE (16u << 20)
#define PD	 0x1000u
#define PT	 0x2000u /* PDE 1: linear 0x400000 */
#define LIN	 0x400000u
#define DATA	 0x100000u /* PTE i maps DATA + i pages */
#define P	 1u
#define RW	 2u
#define US	 4u
#define AD	 (GPT_A | GPT_D)

static int memfd;
static u8 *ram;
static struct shadow_pt sp;

static u32 *pte(u32 i)
{
	return (u32 *)(void *)(ram + PT) + i;
}

static u32 frame(u32 i)
{
	return DATA + i * 4096;
}

static void up(void)
{
	struct gpt_ctl c = {.cr0 = 0x80010011u, .cr3 = PD, .maxphy = 48};

	memfd = guest_ram_create(RAM_SIZE, &ram);
	*(u32 *)(void *)(ram + PD + 4) = PT | P | RW | US;
	for (u32 i = 0; i < 1024; i++)
		*pte(i) = frame(i) | P | RW | US | AD;
	cr_assert_eq(shadow__init(&sp, memfd, ram, RAM_SIZE, 4096, false), 0,
		     "%s", sp.err);
	sp.hot_policy = true; /* as under --mode bt */
	cr_assert_eq(shadow__set_ctl(&sp, &c, false), 0);
}

static void down(void)
{
	shadow__destroy(&sp);
	munmap(ram, RAM_SIZE);
	close(memfd);
}

/* What the shadow keeps, to compare the two paths. */
struct digest {
	u32 entry, pending_lpn, mapped;
	u64 pt_clock;
	u8 why;
	struct shadow_stats st;
	struct shadow_hot hot;
};

static void take(struct digest *d, u32 i, u32 lo, u32 n)
{
	memset(d, 0, sizeof(*d));
	d->entry = *pte(i);
	d->pending_lpn = sp.pending_lpn;
	for (u32 k = 0; k < n; k++)
		d->mapped |=
			(u32)shadow__mapped(&sp, LIN + (lo + k) * 4096, NULL)
			<< k;
	d->pt_clock = sp.pt_clock;
	d->why = sp.why;
	d->st = sp.st;
	d->hot = sp.hot;
}

/* Page 3 mapped (the table stays in use and traced), page 5 moved
 * between two frames until hot and unmapped (ptemod.32). */
static void base(void)
{
	shadow_hidden_fault(&sp, LIN + 3 * 4096, false);
	shadow_hidden_fault(&sp, LIN + 5 * 4096, false);
	for (u32 k = 0; k < 4; k++)
		shadow_store_entry(&sp, ram, PT + 5 * 4,
				   frame(k & 1 ? 5 : 9) | P | RW);
}

/*
 * Builds @scene in a fresh shadow and stores @v at entry @i, quietly
 * when @quiet; *@took says whether the quiet store took it (the full
 * path always does). The digest covers pages 0-15.
 */
static void run(void (*scene)(void), u32 i, u32 v, bool quiet, bool *took,
		struct digest *before, struct digest *after)
{
	up();
	scene();
	take(before, i, 0, 16);
	if (quiet) {
		*took = shadow__quiet_pt_store(&sp, PT + i * 4, v);
	} else {
		shadow_store_entry(&sp, ram, PT + i * 4, v);
		*took = true;
	}
	take(after, i, 0, 16);
	down();
}

/* The quiet store of @v at entry @i after @scene: @want says whether it
 * takes it; if so the shadow ends as the full path's, else untouched. */
static void same_as_full_path(void (*scene)(void), u32 i, u32 v, bool want)
{
	struct digest b0, a0, b1, a1;
	bool took;

	run(scene, i, v, false, &took, &b0, &a0);
	run(scene, i, v, true, &took, &b1, &a1);
	cr_assert(!memcmp(&b0, &b1, sizeof(b0)), "the scene differs");
	cr_assert_eq(took, want, "entry %u <- %#x: quiet store %s", i, v,
		     took ? "took it" : "declined");
	if (!took) {
		cr_assert(!memcmp(&b1, &a1, sizeof(b1)),
			  "a declined store changed the shadow");
		return;
	}
	cr_assert_eq(a1.entry, v);
	cr_assert_eq(a1.pt_clock, a0.pt_clock);
	cr_assert_eq(a1.why, a0.why);
	cr_assert_eq(a1.mapped, a0.mapped);
	cr_assert_eq(a1.pending_lpn, a0.pending_lpn);
	cr_assert(!memcmp(&a1.st, &a0.st, sizeof(a0.st)),
		  "counters: hot_declined %lu and %lu",
		  (unsigned long)a1.st.hot_declined,
		  (unsigned long)a0.st.hot_declined);
	cr_assert(!memcmp(&a1.hot, &a0.hot, sizeof(a0.hot)), "hot pages");
}

TestSuite(shadow_quiet);

Test(shadow_quiet, the_hot_page_moves_again)
{
	struct digest b, a;
	bool took;

	run(base, 5, frame(9) | P | RW, true, &took, &b, &a);
	cr_assert(took);
	cr_assert_eq(a.st.hot_declined, b.st.hot_declined + 1);
	cr_assert(!(a.mapped & 1u << 5), "a hot page stays unmapped");
	same_as_full_path(base, 5, frame(9) | P | RW, true);
	/* to the frame it has: no move, still declined */
	same_as_full_path(base, 5, frame(5) | P | RW, true);
	/* not present: the fill's walk finds nothing */
	same_as_full_path(base, 5, 0, true);
}

Test(shadow_quiet, an_entry_a_mapping_used_is_the_full_paths)
{
	same_as_full_path(base, 3, frame(7) | P | RW | US | AD, false);
	/* the same frame and rights too: the full path decides */
	same_as_full_path(base, 3, frame(3) | P | RW | US | AD, false);
}

/* The table is also the leaf table of a second range (PDE 2 names it
 * too), through which page 3 is mapped: the table's range is no longer
 * one, so no refill; only the search of the directory finds that
 * mapping. */
static void alias(void)
{
	base();
	*(u32 *)(void *)(ram + PD + 8) = PT | P | RW | US;
	shadow_hidden_fault(&sp, 0x800000u + 3 * 4096, false);
	shadow_hidden_fault(&sp, 0x800000u + 4 * 4096, false);
}

Test(shadow_quiet, a_mapping_through_another_directory_entry_is_found)
{
	same_as_full_path(alias, 3, frame(7) | P | RW | US | AD, false);
	/* an entry no mapping used, through either range */
	same_as_full_path(alias, 7, frame(11) | P | RW | GPT_A, true);
}

Test(shadow_quiet, a_page_not_followed_is_filled_only_with_a_set)
{
	/* A clear: the guest's ageing, no fill (eager_fill) */
	same_as_full_path(base, 7, frame(11) | P | RW, true);
	same_as_full_path(base, 7, 0, true);
	/* A set: the full path maps it, a host call */
	same_as_full_path(base, 7, frame(11) | P | RW | GPT_A, false);
}

static void pending(void)
{
	base();
	/* a true fault at page 8: the handler's PTE store is expected */
	*pte(8) = 0;
	shadow_store_entry(&sp, ram, PT + 8 * 4, 0);
	sp.pending_lpn = (LIN >> 12) + 8;
}

Test(shadow_quiet, the_pending_fault_page_is_the_full_paths)
{
	same_as_full_path(pending, 8, frame(8) | P | RW, false);
}

Test(shadow_quiet, declines_what_it_does_not_restate)
{
	struct digest b, a;
	bool took;

	/* the directory itself, a misaligned entry, a 4 MiB page, PAE */
	up();
	base();
	cr_assert(!shadow__quiet_pt_store(&sp, PD + 4, PT | P | RW | US));
	cr_assert(!shadow__quiet_pt_store(&sp, PT + 7 * 4 + 2, 0));
	down();
	/* a large page the fill walk would meet */
	run(base, 7, frame(11) | P | RW, true, &took, &b, &a);
	cr_assert(took);
	up();
	base();
	*(u32 *)(void *)(ram + PD + 4) = P | RW | GPT_PS | GPT_A;
	cr_assert(!shadow__quiet_pt_store(&sp, PT + 7 * 4, frame(11) | P));
	down();
	/* an untraced page is not a page table to the shadow */
	up();
	cr_assert(!shadow__quiet_pt_store(&sp, PT + 7 * 4, frame(11) | P));
	down();
}
