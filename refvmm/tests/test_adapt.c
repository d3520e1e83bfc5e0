/*
 * The adaptation policy of --mode bt (refvmm/bt/adapt.h): when an
 * instruction's trap count makes it a callout, when clean callouts make it
 * IDENT again, and the threshold's parsing. The mechanism (retranslation
 * and patching) is tested end to end in test_cli.c, cli/bt_adapts_*.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "../bt/adapt.h"

static struct bt_adapt a;

Test(adapt, innocent_until_the_threshold)
{
	adapt__init(&a, 3);
	cr_assert_not(adapt__is_callout(&a, 0x1000));
	cr_assert_eq(adapt__trap(&a, 0x1000), BT_ADAPT_KEEP);
	cr_assert_eq(adapt__trap(&a, 0x1000), BT_ADAPT_KEEP);
	/* another instruction's traps do not count for this one */
	cr_assert_eq(adapt__trap(&a, 0x1003), BT_ADAPT_KEEP);
	cr_assert_not(adapt__is_callout(&a, 0x1000));
	cr_assert_eq(adapt__trap(&a, 0x1000), BT_ADAPT_TO_CALLOUT);
	cr_assert(adapt__is_callout(&a, 0x1000));
	cr_assert_not(adapt__is_callout(&a, 0x1003));
	cr_assert_eq(a.traps, 4);
	cr_assert_eq(a.to_callout, 1);
	cr_assert_eq(adapt__rec(&a, 0x1000, false)->flips, 1);
}

Test(adapt, a_stale_ident_copy_is_retranslated_at_once)
{
	adapt__init(&a, 2);
	adapt__trap(&a, 0x2000);
	cr_assert_eq(adapt__trap(&a, 0x2000), BT_ADAPT_TO_CALLOUT);
	/* a block that starts earlier still holds the IDENT copy */
	cr_assert_eq(adapt__trap(&a, 0x2000), BT_ADAPT_TO_CALLOUT);
	cr_assert_eq(a.to_callout, 1);
}

Test(adapt, clean_callouts_in_a_row_turn_it_back)
{
	adapt__init(&a, 2);
	adapt__trap(&a, 0x3000);
	cr_assert_eq(adapt__trap(&a, 0x3000), BT_ADAPT_TO_CALLOUT);
	cr_assert_eq(adapt__callout(&a, 0x3000, true), BT_ADAPT_KEEP);
	cr_assert_eq(adapt__callout(&a, 0x3000, false), BT_ADAPT_KEEP);
	/* a trapping access in between restarts the count */
	cr_assert_eq(adapt__callout(&a, 0x3000, true), BT_ADAPT_KEEP);
	cr_assert_eq(adapt__callout(&a, 0x3000, false), BT_ADAPT_KEEP);
	cr_assert_eq(adapt__callout(&a, 0x3000, false), BT_ADAPT_TO_IDENT);
	cr_assert_not(adapt__is_callout(&a, 0x3000));
	cr_assert_eq(a.callouts, 5);
	cr_assert_eq(a.avoided, 2);
	cr_assert_eq(a.to_ident, 1);
	/* guilty again after threshold more traps: re-adapts */
	cr_assert_eq(adapt__trap(&a, 0x3000), BT_ADAPT_KEEP);
	cr_assert_eq(adapt__trap(&a, 0x3000), BT_ADAPT_TO_CALLOUT);
	cr_assert_eq(adapt__rec(&a, 0x3000, false)->flips, 3);
}

Test(adapt, what_the_emulator_cannot_do_stays_ident)
{
	adapt__init(&a, 1);
	cr_assert_eq(adapt__trap(&a, 0x4000), BT_ADAPT_TO_CALLOUT);
	adapt__never(&a, 0x4000);
	cr_assert_not(adapt__is_callout(&a, 0x4000));
	cr_assert_eq(adapt__trap(&a, 0x4000), BT_ADAPT_KEEP);
	cr_assert_eq(adapt__trap(&a, 0x4000), BT_ADAPT_KEEP);
	cr_assert_not(adapt__is_callout(&a, 0x4000));
}

Test(adapt, a_full_table_keeps_new_instructions_ident)
{
	u32 i;

	adapt__init(&a, 1);
	for (i = 0; i < BT_ADAPT_SLOTS; i++)
		cr_assert_eq(adapt__trap(&a, 0x100000 + i),
			     BT_ADAPT_TO_CALLOUT);
	cr_assert_eq(adapt__trap(&a, 0x900000), BT_ADAPT_KEEP);
	cr_assert_eq(a.full, 1);
	cr_assert(adapt__is_callout(&a, 0x100000 + BT_ADAPT_SLOTS - 1));
}

Test(adapt, threshold_from_the_environment)
{
	char err[128] = "";
	u32 t;

	unsetenv("REFVMM_BT_THRESHOLD");
	cr_assert_eq(adapt__threshold_from_env(&t, err, sizeof(err)), 0);
	cr_assert_eq(t, BT_ADAPT_DEFAULT_THRESHOLD);
	setenv("REFVMM_BT_THRESHOLD", "12", 1);
	cr_assert_eq(adapt__threshold_from_env(&t, err, sizeof(err)), 0);
	cr_assert_eq(t, 12);
	setenv("REFVMM_BT_THRESHOLD", "0", 1);
	cr_assert_eq(adapt__threshold_from_env(&t, err, sizeof(err)), -1);
	cr_assert(strstr(err, "not '0'"), "%s", err);
	setenv("REFVMM_BT_THRESHOLD", "4x", 1);
	cr_assert_eq(adapt__threshold_from_env(&t, err, sizeof(err)), -1);
	unsetenv("REFVMM_BT_THRESHOLD");
}

/* Turns @lin into a callout from IDENT (threshold 2 traps). */
static void two_traps(u32 lin)
{
	cr_assert_eq(adapt__trap(&a, lin), BT_ADAPT_KEEP);
	cr_assert_eq(adapt__trap(&a, lin), BT_ADAPT_TO_CALLOUT);
}

/* Clean callouts of @lin until it turns IDENT: how many it took. */
static u32 clean_until_ident(u32 lin)
{
	u32 n = 0;

	while (n < 1000 && adapt__callout(&a, lin, false) == BT_ADAPT_KEEP)
		n++;
	return n + 1;
}

Test(adapt, each_return_to_a_callout_doubles_the_clean_run_it_needs)
{
	adapt__init(&a, 2);
	two_traps(0x5000);
	cr_assert_eq(clean_until_ident(0x5000), 2);
	two_traps(0x5000);
	cr_assert_eq(clean_until_ident(0x5000), 4);
	two_traps(0x5000);
	cr_assert_eq(clean_until_ident(0x5000), 8);
	for (u32 i = 3; i < BT_ADAPT_BACKOFF_MAX + 3; i++) {
		two_traps(0x5000);
		cr_assert_eq(clean_until_ident(0x5000),
			     2u << (i < BT_ADAPT_BACKOFF_MAX
					    ? i
					    : BT_ADAPT_BACKOFF_MAX));
	}
	/* another instruction starts at the threshold */
	two_traps(0x6000);
	cr_assert_eq(clean_until_ident(0x6000), 2);
	/* a trapping access restarts the run, not the doubling */
	two_traps(0x6000);
	cr_assert_eq(adapt__callout(&a, 0x6000, false), BT_ADAPT_KEEP);
	cr_assert_eq(adapt__callout(&a, 0x6000, true), BT_ADAPT_KEEP);
	cr_assert_eq(clean_until_ident(0x6000), 4);
}
