/*
 * Pages whose frame keeps changing (shadow_hot.h): which moves make a
 * page hot, which do not, and how one cools.
 */
#include <criterion/criterion.h>

#include "refvmm/sw/shadow_hot.h"

#define NONE (~0u)

static struct shadow_hot h;

static void setup(void)
{
	shadow_hot__clear(&h);
}

TestSuite(shadow_hot, .init = setup);

Test(shadow_hot, quick_moves_in_a_row_make_a_page_hot)
{
	/* ptemod: one page, two frames, a page-table write per move */
	cr_assert(!shadow_hot__note(&h, 0x400, 10, 11, 1));
	cr_assert(!shadow_hot__note(&h, 0x400, 11, 10, 2));
	cr_assert(shadow_hot__note(&h, 0x400, NONE, 11, 3));
	cr_assert(shadow_hot__is(&h, 0x400));
	/* the same frame again (INVLPG's fill) is no move: still hot */
	cr_assert(shadow_hot__note(&h, 0x400, NONE, 11, 3));
	cr_assert(!shadow_hot__is(&h, 0x401));
}

Test(shadow_hot, moves_far_apart_do_not)
{
	/* copy on write: a move per fork, many writes apart */
	u64 clock = 1;

	for (int i = 0; i < 10; i++, clock += SHADOW_HOT_GAP + 1)
		cr_assert(!shadow_hot__note(&h, 0x500, 20 + (u32)i, 21 + (u32)i,
					    clock));
	cr_assert(!shadow_hot__is(&h, 0x500));
	/* one slow move ends a run of quick ones */
	shadow_hot__note(&h, 0x600, 1, 2, 100);
	shadow_hot__note(&h, 0x600, 2, 1, 101);
	shadow_hot__note(&h, 0x600, 1, 2, 101 + SHADOW_HOT_GAP + 1);
	cr_assert(!shadow_hot__note(&h, 0x600, 2, 1, 102 + SHADOW_HOT_GAP + 1));
	cr_assert(shadow_hot__note(&h, 0x600, 1, 2, 103 + SHADOW_HOT_GAP + 1));
}

Test(shadow_hot, a_page_is_followed_from_a_move_of_a_mapping_only)
{
	/* fills of unmapped pages (no old frame) or in place: not noted */
	for (u64 c = 1; c < 10; c++) {
		cr_assert(!shadow_hot__note(&h, 0x700, NONE, (u32)c, c));
		cr_assert(!shadow_hot__note(&h, 0x701, 5, 5, c));
	}
	for (u32 i = 0; i < SHADOW_HOT_SLOTS; i++)
		cr_assert(!h.slot[i].used);
}

Test(shadow_hot, touches_without_a_move_cool_it)
{
	shadow_hot__note(&h, 0x800, 1, 2, 1);
	shadow_hot__note(&h, 0x800, 2, 1, 2);
	shadow_hot__note(&h, 0x800, 1, 2, 3);
	for (u32 i = 1; i < SHADOW_HOT_COOL; i++)
		cr_assert(!shadow_hot__touch(&h, 0x800));
	/* a move starts the count again */
	shadow_hot__note(&h, 0x800, NONE, 1, 4);
	for (u32 i = 1; i < SHADOW_HOT_COOL; i++)
		cr_assert(!shadow_hot__touch(&h, 0x800));
	cr_assert(shadow_hot__touch(&h, 0x800));
	cr_assert(!shadow_hot__is(&h, 0x800));
	cr_assert(!shadow_hot__touch(&h, 0x800));
	/* a page that is not hot never cools */
	cr_assert(!shadow_hot__touch(&h, 0x900));
}

Test(shadow_hot, pages_take_the_slots_in_turn)
{
	for (u32 p = 0; p <= SHADOW_HOT_SLOTS; p++) {
		shadow_hot__note(&h, 0x1000 + p, 1, 2, 1);
		shadow_hot__note(&h, 0x1000 + p, 2, 1, 2);
		shadow_hot__note(&h, 0x1000 + p, 1, 2, 3);
	}
	/* the first page's slot went to the last one */
	cr_assert(!shadow_hot__is(&h, 0x1000));
	for (u32 p = 1; p <= SHADOW_HOT_SLOTS; p++)
		cr_assert(shadow_hot__is(&h, 0x1000 + p));
	/* a page cooled frees its slot for the next new page first */
	for (u32 i = 0; i < SHADOW_HOT_COOL; i++)
		shadow_hot__touch(&h, 0x1005);
	cr_assert(!shadow_hot__is(&h, 0x1005));
	shadow_hot__note(&h, 0x2000, 1, 2, 4);
	for (u32 p = 1; p <= SHADOW_HOT_SLOTS; p++)
		cr_assert_eq(shadow_hot__is(&h, 0x1000 + p), p != 5);
	shadow_hot__clear(&h);
	cr_assert(!shadow_hot__is(&h, 0x1001));
}
