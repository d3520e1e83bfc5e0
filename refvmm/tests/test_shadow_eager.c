/*
 * Eager fills of the shadow (shadow_pt.h): a write to a guest PTE that
 * the monitor sees (an emulated store, a trace) and INVLPG map the page
 * at once, so that the access which follows takes no hidden fault;
 * without ever mapping more than the entries allow now, setting A as a
 * processor caching the translation would (SDM Vol. 3A 4.10.2.3, 4.8),
 * and never D without a write. Real mappings in this process: whether
 * an access works is tried, not asked of the shadow.
 */
#define _GNU_SOURCE
#include <string.h>

#define RAM_SIZE (8u << 20)
#define NPTE	 64u
#include "shadow_fixture.h"

static void setup(void)
{
	guest_up(NPTE, 0);
	for (u32 i = 0; i < NPTE; i++)
		memset(ram + frame(i), 0x40 + (int)i, 4096);
	shadow_up_with(256, 0, false);
}

TestSuite(shadow_eager, .init = setup, .fini = guest_down);

Test(shadow_eager, pte_write_then_access_takes_no_hidden_fault)
{
	map_by_fault(1, false);
	cr_assert_eq(host_byte(LIN + 0x1000), 0x41);
	/* ptemod: the PTE moves to another frame, A and D clear. */
	store_pte(1, frame(9) | P | RW | US);
	cr_assert(host_can_access(LIN + 0x1000, false));
	cr_assert_eq(host_byte(LIN + 0x1000), 0x49);
	cr_assert_eq(sp.st.hidden, 1);
	cr_assert_eq(sp.st.eager_fills, 1);
	/* A set, as a processor does before caching a translation; D not:
	 * no write happened, so the page stays read-only until one. */
	cr_assert_eq(*pte(1) & (GPT_A | GPT_D), GPT_A);
	cr_assert(!host_can_access(LIN + 0x1000, true));
	map_by_fault(1, true);
	cr_assert(*pte(1) & GPT_D);
	cr_assert(host_can_access(LIN + 0x1000, true));
}

Test(shadow_eager, a_dirty_pte_is_filled_writable)
{
	map_by_fault(2, true);
	store_pte(2, frame(10) | P | RW | US | GPT_A | GPT_D);
	cr_assert(host_can_access(LIN + 0x2000, true));
	cr_assert_eq(host_byte(LIN + 0x2000), 0x4a);
	cr_assert_eq(sp.st.hidden, 1);
}

Test(shadow_eager, lowered_rights_are_never_left_mapped)
{
	/* RW 1 -> 0 (CR0.WP = 1): the filled mapping is read-only. */
	map_by_fault(3, true);
	cr_assert(host_can_access(LIN + 0x3000, true));
	store_pte(3, frame(3) | P | US | GPT_A | GPT_D);
	cr_assert(host_can_access(LIN + 0x3000, false));
	cr_assert(!host_can_access(LIN + 0x3000, true));
	/* P 1 -> 0: nothing mapped. */
	map_by_fault(4, true);
	store_pte(4, frame(4) | RW | US | GPT_A | GPT_D);
	cr_assert(!host_can_access(LIN + 0x4000, false));
	cr_assert(!shadow__mapped(&sp, LIN + 0x4000, NULL));
	/* U 1 -> 0 while the user class is mapped: nothing mapped. */
	cr_assert_eq(shadow__set_user(&sp, true), 0);
	map_by_fault(5, true);
	store_pte(5, frame(5) | P | RW | GPT_A | GPT_D);
	cr_assert(!host_can_access(LIN + 0x5000, false));
	/* And a supervisor PTE written in the supervisor class does not
	 * survive into the user class. */
	cr_assert_eq(shadow__set_user(&sp, false), 0);
	store_pte(5, frame(5) | P | RW | GPT_A | GPT_D);
	cr_assert(host_can_access(LIN + 0x5000, true));
	cr_assert_eq(shadow__set_user(&sp, true), 0);
	cr_assert(!host_can_access(LIN + 0x5000, false));
	/* Page 3 kept its frame: narrowed in place, not mapped again. */
	cr_assert_eq(sp.st.refreshed, 1);
	cr_assert_eq(sp.st.eager_fills, 1);
}

Test(shadow_eager, the_page_of_a_true_fault_is_filled_when_mapped)
{
	u32 err = 0;

	map_by_fault(0, false); /* the table is traced and its range known */
	*pte(6) = 0;
	*pte(7) = 0;
	cr_assert_eq(shadow__fault(&sp, LIN + 0x6008, 0, false, &err),
		     SPT_TRUE);
	/* The #PF handler maps the page, A and D clear; the retried read
	 * finds it (read-only: a write sets D first). */
	store_pte(6, frame(11) | P | RW);
	cr_assert(host_can_access(LIN + 0x6000, false));
	cr_assert_eq(host_byte(LIN + 0x6000), 0x4b);
	cr_assert_eq(*pte(6) & (GPT_A | GPT_D), GPT_A);
	cr_assert(!host_can_access(LIN + 0x6000, true));
	/* Another not-present entry made present without A: no access
	 * waits for it, so it is left alone (A stays clear). */
	store_pte(7, frame(12) | P | RW);
	cr_assert(!host_can_access(LIN + 0x7000, false));
	cr_assert_eq(*pte(7) & GPT_A, 0);
	/* With A already set it is filled. */
	store_pte(7, frame(12) | P | RW | GPT_A);
	cr_assert(host_can_access(LIN + 0x7000, false));
	cr_assert_eq(sp.st.eager_fills, 2);
	cr_assert_eq(sp.st.hidden, 1);
}

Test(shadow_eager, a_retried_store_to_a_clean_page_maps_itself)
{
	u32 err = 0;

	map_by_fault(0, false);
	*pte(6) = 0;
	cr_assert_eq(shadow__fault(&sp, LIN + 0x6008, PF_W, false, &err),
		     SPT_TRUE);
	/* pgfault: the store must come back to set D whatever is mapped,
	 * and its hidden fault maps the page writable in one call. */
	store_pte(6, frame(11) | P | RW);
	cr_assert(!host_can_access(LIN + 0x6000, false));
	cr_assert_eq(*pte(6) & GPT_A, 0);
	map_by_fault(6, true);
	cr_assert_eq(*pte(6) & (GPT_A | GPT_D), GPT_A | GPT_D);
	cr_assert(host_can_access(LIN + 0x6000, true));
	/* With D already set by the handler, the fill maps it writable. */
	*pte(7) = 0;
	cr_assert_eq(shadow__fault(&sp, LIN + 0x7008, PF_W, false, &err),
		     SPT_TRUE);
	store_pte(7, frame(12) | P | RW | GPT_D);
	cr_assert(host_can_access(LIN + 0x7000, true));
	cr_assert_eq(sp.st.eager_fills, 1);
	/* Page 6's store faulted twice for one access; page 7's once. */
	cr_assert_eq(sp.st.hidden_retry_d, 1);
}

Test(shadow_eager, only_the_first_retry_of_a_true_write_fault_counts)
{
	u32 err = 0;

	map_by_fault(0, false);
	*pte(6) = 0;
	cr_assert_eq(shadow__fault(&sp, LIN + 0x6008, PF_W, false, &err),
		     SPT_TRUE);
	store_pte(6, frame(11) | P | RW);
	/* A read of the page first (the handler's own check): a hidden
	 * fault, but not the retried store. */
	map_by_fault(6, false);
	cr_assert_eq(sp.st.hidden_retry_d, 0);
	map_by_fault(6, true);
	cr_assert_eq(sp.st.hidden_retry_d, 1);
	/* Aged by the guest (A and D cleared, the same frame): nothing
	 * waits for the page any more, so it is not filled and A stays
	 * clear; nor when A alone is cleared. */
	store_pte(6, frame(11) | P | RW);
	cr_assert(!host_can_access(LIN + 0x6000, false));
	cr_assert_eq(*pte(6) & (GPT_A | GPT_D), 0);
	store_pte(6, frame(11) | P | RW | GPT_D);
	cr_assert(!host_can_access(LIN + 0x6000, false));
	cr_assert_eq(*pte(6) & GPT_A, 0);
	/* Taken out and made clean again with no true fault between: the
	 * next write's hidden fault is no retry. */
	store_pte(6, 0);
	store_pte(6, frame(11) | P | RW);
	map_by_fault(6, true);
	cr_assert_eq(sp.st.hidden_retry_d, 1);
	/* A true read fault's retried write is no retry of a write. */
	*pte(7) = 0;
	cr_assert_eq(shadow__fault(&sp, LIN + 0x7008, 0, false, &err),
		     SPT_TRUE);
	store_pte(7, frame(12) | P | RW | GPT_A);
	map_by_fault(7, true);
	cr_assert_eq(sp.st.hidden_retry_d, 1);
	cr_assert_eq(sp.st.true_faults, 2);
}

Test(shadow_eager, clearing_a_drops_the_page_and_keeps_a_clear)
{
	map_by_fault(8, false);
	cr_assert(*pte(8) & GPT_A);
	/* The guest ages the page: A cleared, same frame. */
	store_pte(8, *pte(8) & ~GPT_A);
	cr_assert(!host_can_access(LIN + 0x8000, false));
	cr_assert_eq(*pte(8) & GPT_A, 0);
	shadow__invlpg(&sp, LIN + 0x8000);
	cr_assert(!host_can_access(LIN + 0x8000, false));
	cr_assert_eq(*pte(8) & GPT_A, 0);
	/* The next access sets A again through a hidden fault. */
	map_by_fault(8, false);
	cr_assert(*pte(8) & GPT_A);
	cr_assert_eq(sp.st.eager_fills, 0);
}

Test(shadow_eager, invlpg_keeps_refills_or_drops)
{
	map_by_fault(9, false);
	shadow__invlpg(&sp, LIN + 0x9abc);
	cr_assert(host_can_access(LIN + 0x9000, false));
	cr_assert_eq(sp.st.invlpg_kept, 1);
	/* A PTE changed behind the shadow's back (nothing reported it):
	 * INVLPG brings the mapping in line. */
	*pte(9) = frame(13) | P | RW | US | GPT_A;
	shadow__invlpg(&sp, LIN + 0x9000);
	cr_assert(host_can_access(LIN + 0x9000, false));
	cr_assert_eq(host_byte(LIN + 0x9000), 0x4d);
	*pte(9) = 0;
	shadow__invlpg(&sp, LIN + 0x9000);
	cr_assert(!host_can_access(LIN + 0x9000, false));
	/* Unmapped, A set: filled; A clear: left alone. */
	*pte(10) |= GPT_A;
	shadow__invlpg(&sp, LIN + 0xa000);
	cr_assert(host_can_access(LIN + 0xa000, false));
	shadow__invlpg(&sp, LIN + 0xb000);
	cr_assert(!host_can_access(LIN + 0xb000, false));
	cr_assert_eq(*pte(11) & GPT_A, 0);
	cr_assert_eq(sp.st.eager_fills, 2);
	cr_assert_eq(sp.st.invlpg, 5);
}

Test(shadow_eager, a_whole_table_write_fills_a_bounded_number)
{
	map_by_fault(0, false);
	for (u32 i = 0; i < NPTE; i++)
		*pte(i) = frame(i) | P | RW | US | GPT_A;
	shadow__phys_written(&sp, PT, 4096);
	/* Page 0 keeps its mapping (same frame), 16 more are filled. */
	cr_assert_eq(sp.st.refreshed, 1);
	cr_assert_eq(sp.st.eager_fills, 16);
	cr_assert_eq(sp.used, 17);
}

Test(shadow_eager, a_right_granted_in_place_waits_for_its_access)
{
	u32 err = 0;

	map_by_fault(2, true);
	cr_assert(host_can_access(LIN + 0x2000, true));
	/* fork: RW cleared, same frame: narrowed at once. */
	store_pte(2, frame(2) | P | US | GPT_A | GPT_D);
	cr_assert(!host_can_access(LIN + 0x2000, true));
	cr_assert(host_can_access(LIN + 0x2000, false));
	/* RW back: the mapping may stay narrower than the entry until a
	 * write needs it, which widens it as a hidden fault. */
	store_pte(2, frame(2) | P | RW | US | GPT_A | GPT_D);
	cr_assert(!host_can_access(LIN + 0x2000, true));
	cr_assert_eq(host_byte(LIN + 0x2000), 0x42);
	cr_assert_eq(shadow__fault(&sp, LIN + 0x2000, PF_W, false, &err),
		     SPT_HIDDEN);
	cr_assert(host_can_access(LIN + 0x2000, true));
	cr_assert_eq(sp.st.refreshed, 2);
	cr_assert_eq(sp.st.eager_fills, 0);
}

Test(shadow_eager, a_page_whose_frame_keeps_changing_is_left_unmapped)
{
	sp.hot_policy = true; /* binary translation's adapted callouts */
	map_by_fault(1, false);
	/* ptemod: two quick moves, each filled at once */
	store_pte(1, frame(9) | P | RW | US);
	store_pte(1, frame(1) | P | RW | US);
	cr_assert(host_can_access(LIN + 0x1000, false));
	cr_assert_eq(sp.st.eager_fills, 2);
	/* the third: hot, the mapping dropped and not filled, nor by
	 * INVLPG */
	store_pte(1, frame(9) | P | RW | US);
	cr_assert(!host_can_access(LIN + 0x1000, false));
	shadow__invlpg(&sp, LIN + 0x1000);
	cr_assert(!host_can_access(LIN + 0x1000, false));
	cr_assert_eq(sp.st.eager_fills, 2);
	cr_assert_eq(sp.st.hot_declined, 2);
	/* an access still maps it (the shadow stays a cache), and its
	 * hidden fault is named for adaptation; another page's is not */
	map_by_fault(1, false);
	cr_assert_eq(host_byte(LIN + 0x1000), 0x49);
	map_by_fault(2, false);
	cr_assert_eq(sp.st.hidden_hot, 1);
	/* callouts touching it with no move cool it: mapped again */
	store_pte(1, frame(1) | P | RW | US | GPT_A);
	cr_assert(!host_can_access(LIN + 0x1000, false));
	for (u32 i = 1; i < SHADOW_HOT_COOL; i++)
		cr_assert(!shadow__hot_touch(&sp, LIN + 0x1000));
	cr_assert(shadow__hot_touch(&sp, LIN + 0x1000));
	cr_assert_eq(host_byte(LIN + 0x1000), 0x41);
	cr_assert_eq(sp.st.hot_cooled, 1);
	map_by_fault(3, false);
	cr_assert_eq(sp.st.hidden_hot, 1);
}

Test(shadow_eager, without_adapted_callouts_every_move_is_filled)
{
	map_by_fault(1, false);
	for (u32 i = 0; i < 8; i++)
		store_pte(1, frame(i & 1 ? 1 : 9) | P | RW | US);
	cr_assert(host_can_access(LIN + 0x1000, false));
	cr_assert_eq(host_byte(LIN + 0x1000), 0x41);
	cr_assert_eq(sp.st.eager_fills, 8);
	cr_assert_eq(sp.st.hot_declined, 0);
	cr_assert(!shadow__hot_touch(&sp, LIN + 0x1000));
}
