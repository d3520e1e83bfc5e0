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
#include <string.h>

#include "../sw/shadow_pt_int.h"

#define RAM_SIZE (16u << 20)
#include "shadow_fixture.h"

#define AD (GPT_A | GPT_D)

/* PDE 1 names PT, whose 1024 entries map pages with A and D set; the
 * shadow as under --mode bt */
static void up(void)
{
	guest_up(1024, AD);
	shadow_up_with(4096, 0, true);
}

static void down(void)
{
	guest_down();
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

/* As alias, with directory entry 0 naming a third table whose entries
 * have A set: a reverse map of more than one range read as a range
 * (its base taken for an address) would find them and decline. */
static void alias_low(void)
{
	alias();
	*(u32 *)(void *)(ram + PD) = 0x3000u | P | RW | US;
	for (u32 i = 0; i < 16; i++)
		*(u32 *)(void *)(ram + 0x3000u + i * 4) =
			frame(i) | P | RW | US | AD;
}

Test(shadow_quiet, a_mapping_through_another_directory_entry_is_found)
{
	same_as_full_path(alias, 3, frame(7) | P | RW | US | AD, false);
	/* an entry no mapping used, through either range: no refill (the
	 * table serves more than one range) */
	same_as_full_path(alias, 7, frame(11) | P | RW | GPT_A, true);
	same_as_full_path(alias_low, 7, frame(11) | P | RW | GPT_A, true);
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

/*
 * Random scenes: directory entries naming two tables, a 4 MiB page, a
 * table outside RAM or nothing; table entries naming frames in and out
 * of RAM and the tables themselves, with random rights, A and D; hidden
 * and true faults, page-table stores through the full path, INVLPGs,
 * touches, a page moved until it may be hot, SMAP and PSE, AC open.
 * Then one store, through the full path in one copy of the scene and
 * through the quiet store in the other: where the quiet store takes it,
 * the table pages, the write clock, the drop reason, the pending fault,
 * the counters, the hot pages, the mappings (slot, rights, host frame,
 * what took them out), the traced and depended-on tables and the
 * reverse map must be the same; where it declines, nothing may differ
 * from before.
 */
#define PT2 0x3000u

static u64 seed;

static u32 rnd(void)
{
	seed = seed * 6364136223846793005ull + 1442695040888963407ull;
	return (u32)(seed >> 33);
}

static void put(u32 a, u32 v)
{
	memcpy(ram + a, &v, 4);
}

static u32 rnd_entry(void)
{
	static const u32 frames[] = {0x100000,	0x101000, 0x102000, 0x103000,
				     0x104000,	PT,	  PT2,	    PD,
				     0x2000000, 0xfff000};
	u32 f = rnd() % 6 ? P : 0;

	f |= rnd() % 3 ? RW : 0;
	f |= rnd() % 3 == 0 ? US : 0;
	f |= rnd() % 2 ? GPT_A : 0;
	f |= rnd() % 2 ? GPT_D : 0;
	return frames[rnd() % 10] | f;
}

static u32 rnd_pde(void)
{
	static const u32 tables[] = {PT,  PT,  PT,	 PT2,
				     PT2, PT2, 0x104000, 0x2000000};
	u32 r = rnd() % 10;

	if (r == 0)
		return 0;
	if (r == 1)
		return 0x400000 | P | RW | GPT_PS | GPT_A;
	return tables[rnd() % 8] | P | RW | US | (rnd() % 2 ? GPT_A : 0);
}

static u32 rnd_lin(void)
{
	return 0x400000 * (1 + rnd() % 3) + (rnd() % 16) * 4096;
}

static void shadow_up(u32 cr4)
{
	guest_up(0, 0);
	shadow_up_with(4096, cr4, true);
}

static void written(u32 a, u32 v)
{
	put(a, v);
	shadow__phys_written(&sp, a, 4);
}

/* The scene of @s; its store's address and value in *@a, *@v. */
static void random_scene(u64 s, u32 *a, u32 *v)
{
	u32 err, n;

	seed = s;
	shadow_up((rnd() % 2 ? CR4_PSE : 0) | (rnd() % 4 == 0 ? CR4_SMAP : 0));
	for (u32 t = 1; t <= 3; t++)
		put(PD + t * 4, rnd_pde());
	for (u32 i = 0; i < 16; i++) {
		put(PT + i * 4, rnd_entry());
		put(PT2 + i * 4, rnd_entry());
	}
	if (rnd() % 2) {
		/* a page moved between two frames: hot, or on the way */
		put(PD + 4, PT | P | RW | US | (rnd() % 2 ? GPT_A : 0));
		shadow__fault(&sp, 0x405000, 0, false, &err);
		for (u32 k = 0, moves = rnd() % 6; k < moves; k++) {
			u32 f = k & 1 ? 0x101000 : 0x102000;

			if (rnd() % 5 == 0)
				f = rnd_entry() & ~0xfffu;
			written(PT + 5 * 4, f | P | RW |
						    (rnd() % 4 ? 0 : GPT_A) |
						    (rnd() % 4 ? 0 : US));
			for (u32 z = rnd() % 4; z; z--)
				written(PT2 + (rnd() % 16) * 4, rnd_entry());
		}
	}
	for (n = rnd() % 20; n; n--) {
		u32 op = rnd() % 12, e;

		if (op < 3) {
			shadow__fault(&sp, rnd_lin(), rnd() % 2 ? PF_W : 0,
				      rnd() % 2, &err);
		} else if (op < 6) {
			e = (rnd() % 2 ? PT : PT2) + (rnd() % 16) * 4;
			written(e, rnd() % 3 ? rnd_entry()
					     : *(u32 *)(void *)(ram + e) ^
						       (rnd() % 2 ? 0x1000
								  : GPT_A));
		} else if (op == 6) {
			written(PD + (1 + rnd() % 3) * 4, rnd_pde());
		} else if (op == 7) {
			shadow__invlpg(&sp, rnd_lin());
		} else if (op == 8) {
			shadow__hot_touch(&sp, rnd_lin());
		} else if (op == 9) {
			e = (rnd() % 2 ? PT : PT2) + (rnd() % 16) * 4;
			*(u32 *)(void *)(ram + e) |= GPT_A;
		} else {
			written(PT + 5 * 4, (rnd() % 2 ? 0x101000 : 0x102000) |
						    P | RW |
						    (rnd() % 3 ? 0 : GPT_A));
		}
	}
	if (rnd() % 3 == 0)
		shadow__set_ac(&sp, true);
	*a = (rnd() % 2 ? PT : PT2) + (rnd() % 16) * 4;
	if (rnd() % 2 == 0)
		*a = PT + 5 * 4;
	*v = rnd_entry();
	if (rnd() % 3 == 0)
		*v = (rnd() % 2 ? 0x101000 : 0x102000) | P | RW;
	if (rnd() % 4 == 0)
		*v = *(u32 *)(void *)(ram + *a) & ~GPT_A;
}

#define LPN_LO 0x400u
#define LPN_N  0xc00u

struct whole {
	u8 pages[3][4096];
	u64 clock;
	u8 why;
	u32 pending_lpn;
	bool pending_write, ac_open;
	struct shadow_stats st;
	struct shadow_hot hot;
	u32 slot[LPN_N], host[LPN_N];
	u8 gone[LPN_N], prot[LPN_N];
	u8 traced[4096];
	u32 depc[4096];
	struct shadow_rmap rmap[4096];
	u32 used, nkept, kept_next, ntlist, nexposed, rmap_gen;
};

static void take_whole(struct whole *d)
{
	memset(d, 0, sizeof(*d));
	memcpy(d->pages[0], ram + PD, 4096);
	memcpy(d->pages[1], ram + PT, 4096);
	memcpy(d->pages[2], ram + PT2, 4096);
	d->clock = sp.pt_clock;
	d->why = sp.why;
	d->pending_lpn = sp.pending_lpn;
	d->pending_write = sp.pending_write;
	d->ac_open = sp.ac_open;
	d->st = sp.st;
	d->hot = sp.hot;
	for (u32 k = 0; k < LPN_N; k++) {
		const struct shadow_map *m = shadow_map_of(&sp, LPN_LO + k);

		d->slot[k] = sp.slot_of[LPN_LO + k];
		d->host[k] = shadow_host_ppn(&sp, LPN_LO + k);
		d->gone[k] = sp.gone[LPN_LO + k];
		d->prot[k] = m ? (u8)(m->prot | 0x80) : 0;
	}
	memcpy(d->traced, sp.traced, sizeof(d->traced));
	memcpy(d->depc, sp.depc, sizeof(d->depc));
	for (u32 i = 0; i < 4096; i++)
		if (sp.rmap[i].gen == sp.rmap_gen)
			d->rmap[i] = sp.rmap[i];
	d->used = sp.used;
	d->nkept = sp.nkept;
	d->kept_next = sp.kept_next;
	d->ntlist = sp.ntlist;
	d->nexposed = sp.nexposed;
	d->rmap_gen = sp.rmap_gen;
}

Test(shadow_quiet, random_scenes_end_as_the_full_path_does, .timeout = 120)
{
	static struct whole b0, a0, b1, a1;
	u32 took = 0, hot = 0;

	for (u64 s = 1; s <= 1500; s++) {
		u32 a, v, a1st, v1st;
		bool quiet;

		random_scene(s * 7919, &a, &v);
		take_whole(&b0);
		written(a, v);
		take_whole(&a0);
		down();
		a1st = a;
		v1st = v;
		random_scene(s * 7919, &a, &v);
		take_whole(&b1);
		cr_assert(a == a1st && v == v1st &&
				  !memcmp(&b0, &b1, sizeof(b0)),
			  "scene %lu is not the same twice", (unsigned long)s);
		quiet = shadow__quiet_pt_store(&sp, a, v);
		take_whole(&a1);
		down();
		if (!quiet) {
			cr_assert(!memcmp(&b1, &a1, sizeof(b1)),
				  "scene %lu: the declined store of %#x at "
				  "%#x changed the shadow",
				  (unsigned long)s, v, a);
			continue;
		}
		took++;
		hot += a1.st.hot_declined != b1.st.hot_declined;
		cr_assert(!memcmp(&a0, &a1, sizeof(a0)),
			  "scene %lu: the store of %#x at %#x: clock %d, "
			  "counters %d, hot pages %d, mappings %d, tables %d",
			  (unsigned long)s, v, a, a0.clock == a1.clock,
			  !memcmp(&a0.st, &a1.st, sizeof(a0.st)),
			  !memcmp(&a0.hot, &a1.hot, sizeof(a0.hot)),
			  !memcmp(a0.slot, a1.slot, sizeof(a0.slot)),
			  !memcmp(a0.pages, a1.pages, sizeof(a0.pages)));
	}
	/* the scenes reach both outcomes and the hot page's moves */
	cr_assert_geq(took, 300, "only %u of 1500 stores taken", took);
	cr_assert_geq(hot, 50, "only %u hot-page moves", hot);
}
