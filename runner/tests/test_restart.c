/* Restarts past the check that ended the target (restart.h). */
#include <criterion/criterion.h>
#include <string.h>

#include "fake_image.h"
#include "restart.h"

static struct image img;
static struct target tgt;
static struct hostinfo host;
static struct restart_state st;

static const char target_text[] = "name = fake\n"
				  "description = a fake target\n"
				  "command = true -append {cmdline} {image}\n"
				  "xerror t.b.listed : kills the fake target\n";

static void setup(void)
{
	static const char *const ids[] = {"t.a.one",	"t.a.kills",
					  "t.a.shares", "t.b.listed",
					  "t.c.last",	NULL};

	fake_image(&img, ids);
	fake_target(&tgt, target_text);
	hostinfo_set(&host, "AuthenticAMD", "AMD EPYC", 25, 1, "fpu sse2",
		     "kvm_amd");
	restart_init(&st, 3, 100, 10);
}

static void teardown(void)
{
	restart_free(&st);
	image_free(&img);
	target_free(&tgt);
	hostinfo_free(&host);
}

TestSuite(restart, .init = setup, .fini = teardown);

static void feed(struct tap_report *r, const char *text)
{
	tap_report_init(r);
	tap_feed(r, text, strlen(text));
	tap_finish(r);
}

static const struct run_end crashed = {.fatal_line = "KVM internal error"};
static const struct run_end clean = {.exited = true};

static const struct check_result *find(const struct image_result *res,
				       const char *id)
{
	for (size_t i = 0; i < res->nchecks; i++)
		if (!strcmp(res->checks[i].id, id))
			return &res->checks[i];
	cr_assert_fail("no result for %s", id);
	return NULL;
}

Test(restart, a_whole_run_never_restarts)
{
	struct tap_report r;
	char *c;

	feed(&r, "TAP version 13\nok 1 - t.a.one\nok 2 - t.a.kills\n"
		 "ok 3 - t.a.shares\nok 4 - t.b.listed\nok 5 - t.c.last\n"
		 "1..5\npopek: exit 0\n");
	cr_assert_not(restart_after_boot(&st, &img, &r, &clean, 2.0));
	cr_assert_null(st.stopped);
	c = restart_cmdline(&st);
	cr_assert_str_eq(c, "");
	free(c);
	tap_report_free(&r);
}

Test(restart, the_check_after_the_last_line_is_the_killer)
{
	struct tap_report r;
	char *c;

	feed(&r, "TAP version 13\nok 1 - t.a.one\n");
	cr_assert(restart_after_boot(&st, &img, &r, &crashed, 2.0));
	cr_assert_eq(st.nkillers, 1);
	cr_assert_eq(st.killers[0].ordinal, 2);
	cr_assert_eq(st.killers[0].boot, 1);
	cr_assert_str_eq(st.killers[0].reason,
			 "target reported 'KVM internal error' before "
			 "'popek: exit'");
	c = restart_cmdline(&st);
	cr_assert_str_eq(c, "popek.skip=2");
	free(c);
	tap_report_free(&r);

	/* the next boot dies at check 4: both are skipped next */
	feed(&r, "TAP version 13\nok 1 - t.a.one\n"
		 "ok 2 - t.a.kills # SKIP popek.skip: not run\nok 3 - "
		 "t.a.shares # SKIP popek.skip: not run, its outcome comes "
		 "from the code of check 2\n");
	cr_assert(restart_after_boot(&st, &img, &r, &crashed, 2.0));
	c = restart_cmdline(&st);
	cr_assert_str_eq(c, "popek.skip=2,4");
	free(c);
	tap_report_free(&r);
}

Test(restart, a_bail_out_is_a_killer_too)
{
	struct tap_report r;

	feed(&r, "TAP version 13\nok 1 - t.a.one\nBail out! unexpected "
		 "#GP\npopek: exit 2\n");
	cr_assert(restart_after_boot(&st, &img, &r, &clean, 1.0));
	cr_assert_str_eq(st.killers[0].reason, "bail out: unexpected #GP");
	tap_report_free(&r);
}

Test(restart, the_count_bound_stops_and_says_so)
{
	struct tap_report r;
	unsigned boots = 0;

	feed(&r, "TAP version 13\n");
	while (restart_after_boot(&st, &img, &r, &crashed, 1.0)) {
		/* a different killer each time, as if numbering moved on */
		boots++;
		cr_assert_lt(boots, 10);
		st.killers[st.nkillers - 1].ordinal += 100;
	}
	cr_assert_eq(st.boots, 4);
	cr_assert_eq(st.nkillers, 3);
	cr_assert_str_eq(st.stopped,
			 "the bound of 3 restarts stopped the restarts");
	tap_report_free(&r);
}

Test(restart, the_time_bound_stops_and_says_so)
{
	struct tap_report r;

	feed(&r, "TAP version 13\n");
	/* 85 s used and a boot may take 10: one more fits */
	cr_assert(restart_after_boot(&st, &img, &r, &crashed, 85.0));
	st.killers[0].ordinal = 7;
	/* 95 s: the next boot could end past 100 s */
	cr_assert_not(restart_after_boot(&st, &img, &r, &crashed, 10.0));
	cr_assert_str_eq(st.stopped,
			 "the bound of 100 s over all boots stopped the "
			 "restarts (95 s used, a boot may take 10 s)");
	tap_report_free(&r);
}

Test(restart, off_is_todays_behaviour)
{
	struct tap_report r;
	struct image_result out;

	restart_free(&st);
	restart_init(&st, 0, 100, 10);
	feed(&r, "TAP version 13\nok 1 - t.a.one\n");
	cr_assert_not(restart_after_boot(&st, &img, &r, &crashed, 1.0));
	classify_image(&img, &r, &crashed, &tgt, &host, &out);
	restart_classify(&st, &r, &tgt, &host, &out);
	cr_assert_eq(find(&out, "t.c.last")->cls, CLS_ERROR);
	cr_assert_str_eq(find(&out, "t.c.last")->reason,
			 "target reported 'KVM internal error' before "
			 "'popek: exit'");
	image_result_free(&out);
	tap_report_free(&r);
}

Test(restart, a_killer_skipped_again_stops)
{
	struct tap_report r;

	feed(&r, "TAP version 13\nok 1 - t.a.one\n");
	cr_assert(restart_after_boot(&st, &img, &r, &crashed, 1.0));
	cr_assert_not(restart_after_boot(&st, &img, &r, &crashed, 1.0));
	cr_assert_str_eq(st.stopped,
			 "check 2 ended the target again although "
			 "popek.skip listed it: what ended it runs outside "
			 "try_call()/run_at_cpl(), which alone can skip code");
	tap_report_free(&r);
}

/* Boot 1 dies at 2, boot 2 at 4 (listed: xerror), boot 3 runs to the end. */
Test(restart, killers_are_reported_as_such_the_rest_get_results)
{
	struct tap_report r;
	struct image_result out;
	const struct check_result *c;

	feed(&r, "TAP version 13\nok 1 - t.a.one\n");
	cr_assert(restart_after_boot(&st, &img, &r, &crashed, 1.0));
	tap_report_free(&r);
	feed(&r, "TAP version 13\nok 1 - t.a.one\n"
		 "ok 2 - t.a.kills # SKIP popek.skip: not run, it ended the "
		 "target on an earlier boot\n"
		 "ok 3 - t.a.shares # SKIP popek.skip: not run, its outcome "
		 "comes from the code of check 2, which ended the target on "
		 "an earlier boot\n");
	cr_assert(restart_after_boot(&st, &img, &r, &crashed, 1.0));
	tap_report_free(&r);
	feed(&r, "TAP version 13\nok 1 - t.a.one\n"
		 "ok 2 - t.a.kills # SKIP popek.skip: not run, it ended the "
		 "target on an earlier boot\n"
		 "ok 3 - t.a.shares # SKIP popek.skip: not run, its outcome "
		 "comes from the code of check 2, which ended the target on "
		 "an earlier boot\n"
		 "ok 4 - t.b.listed # SKIP popek.skip: not run, it ended the "
		 "target on an earlier boot\n"
		 "not ok 5 - t.c.last # expected 1, saw 2\n1..5\n"
		 "popek: exit 1\n");
	cr_assert_not(restart_after_boot(&st, &img, &r, &clean, 1.0));
	cr_assert_null(st.stopped);
	classify_image(&img, &r, &clean, &tgt, &host, &out);
	restart_classify(&st, &r, &tgt, &host, &out);

	cr_assert_eq(find(&out, "t.a.one")->cls, CLS_PASS);
	c = find(&out, "t.a.kills");
	cr_assert_eq(c->cls, CLS_ERROR);
	cr_assert_str_eq(c->reason,
			 "ended the target on boot 1 (target reported 'KVM "
			 "internal error' before 'popek: exit'); later boots "
			 "skipped it (popek.skip)");
	c = find(&out, "t.a.shares");
	cr_assert_eq(c->cls, CLS_ERROR);
	cr_assert_str_eq(c->reason,
			 "not run, its outcome comes from the code of check "
			 "2, which ended the target on an earlier boot");
	c = find(&out, "t.b.listed");
	cr_assert_eq(c->cls, CLS_XFAIL);
	cr_assert_str_eq(c->reason,
			 "known infidelity: kills the fake target (ended the "
			 "target on boot 2 (target reported 'KVM internal "
			 "error' before 'popek: exit'); later boots skipped it "
			 "(popek.skip))");
	cr_assert_eq(find(&out, "t.c.last")->cls, CLS_FAIL);
	cr_assert_not(out.ok);
	cr_assert_str_eq(out.reason, "3 boots: 2 checks ended the target");
	image_result_free(&out);
	tap_report_free(&r);
}

/* A killer listed with xerror keeps the image whole. */
Test(restart, listed_killers_keep_the_image_whole)
{
	struct tap_report r;
	struct image_result out;

	feed(&r, "TAP version 13\nok 1 - t.a.one\nok 2 - t.a.kills\n"
		 "ok 3 - t.a.shares\n");
	cr_assert(restart_after_boot(&st, &img, &r, &crashed, 1.0));
	tap_report_free(&r);
	feed(&r, "TAP version 13\nok 1 - t.a.one\nok 2 - t.a.kills\n"
		 "ok 3 - t.a.shares\nok 4 - t.b.listed # SKIP popek.skip: "
		 "not run, it ended the target on an earlier boot\n"
		 "ok 5 - t.c.last\n1..5\npopek: exit 0\n");
	cr_assert_not(restart_after_boot(&st, &img, &r, &clean, 1.0));
	classify_image(&img, &r, &clean, &tgt, &host, &out);
	restart_classify(&st, &r, &tgt, &host, &out);
	cr_assert_eq(find(&out, "t.b.listed")->cls, CLS_XFAIL);
	cr_assert_eq(find(&out, "t.c.last")->cls, CLS_PASS);
	cr_assert(out.ok);
	cr_assert_str_eq(out.reason, "2 boots: 1 check ended the target");
	image_result_free(&out);
	tap_report_free(&r);
}

/* A bound leaves the rest unreported, and each says why. */
Test(restart, what_the_bound_left_says_so)
{
	struct tap_report r;
	struct image_result out;

	restart_free(&st);
	restart_init(&st, 1, 100, 10);
	feed(&r, "TAP version 13\nok 1 - t.a.one\n");
	cr_assert(restart_after_boot(&st, &img, &r, &crashed, 1.0));
	tap_report_free(&r);
	feed(&r, "TAP version 13\nok 1 - t.a.one\n"
		 "ok 2 - t.a.kills # SKIP popek.skip: not run, it ended the "
		 "target on an earlier boot\nok 3 - t.a.shares\n");
	cr_assert_not(restart_after_boot(&st, &img, &r, &crashed, 1.0));
	classify_image(&img, &r, &crashed, &tgt, &host, &out);
	restart_classify(&st, &r, &tgt, &host, &out);
	cr_assert_eq(find(&out, "t.a.kills")->cls, CLS_ERROR);
	cr_assert_eq(find(&out, "t.a.shares")->cls, CLS_PASS);
	cr_assert_str_eq(find(&out, "t.c.last")->reason,
			 "target reported 'KVM internal error' before 'popek: "
			 "exit'; the bound of 1 restarts stopped the restarts");
	cr_assert_eq(find(&out, "t.b.listed")->cls, CLS_XFAIL);
	cr_assert_not(out.ok);
	image_result_free(&out);
	tap_report_free(&r);
}

/* The list never outgrows what the guest reads and refvmm passes. */
Test(restart, the_skip_list_is_bounded)
{
	struct tap_report r;
	char *c;

	restart_free(&st);
	restart_init(&st, 5000, 1e9, 10);
	feed(&r, "TAP version 13\n");
	while (restart_after_boot(&st, &img, &r, &crashed, 0.0))
		st.killers[st.nkillers - 1].ordinal = 9000 + st.nkillers;
	c = restart_cmdline(&st);
	cr_assert_leq(strlen(c), RESTART_CMDLINE_MAX);
	cr_assert_leq(st.nkillers, RESTART_SKIP_MAX);
	cr_assert(!strncmp(st.stopped, "the popek.skip list is full", 27), "%s",
		  st.stopped);
	free(c);
	tap_report_free(&r);
}

/*
 * An xerror line over the whole family t.a (the target may end the image
 * anywhere in it), t.a.kills the check that does. Boot 1 dies at check
 * 2; boot 2 skips it and runs to the end with report.
 */
static void restart_past_a_family_line(const char *report,
				       struct image_result *out)
{
	struct target wide;
	struct tap_report r;

	fake_target(&wide, "name = fake\ndescription = a fake target\n"
			   "command = true -append {cmdline} {image}\n"
			   "xerror t.a.* : the fake target dies in t.a\n");
	feed(&r, "TAP version 13\nnot ok 1 - t.a.one # expected 1, saw 2\n");
	cr_assert(restart_after_boot(&st, &img, &r, &crashed, 1.0));
	tap_report_free(&r);
	feed(&r, report);
	cr_assert_not(restart_after_boot(&st, &img, &r, &clean, 1.0));
	classify_image(&img, &r, &clean, &wide, &host, out);
	restart_classify(&st, &r, &wide, &host, out);
	/* the rules point into the target: no result may keep one */
	for (size_t i = 0; i < out->nchecks; i++)
		out->checks[i].rule = NULL;
	tap_report_free(&r);
	target_free(&wide);
}

Test(restart, an_xerror_line_passes_what_a_restart_reached)
{
	struct image_result out;
	const struct check_result *c;

	restart_past_a_family_line(
		"TAP version 13\nnot ok 1 - t.a.one # expected 1, saw 2\n"
		"ok 2 - t.a.kills # SKIP popek.skip: not run, it ended the "
		"target on an earlier boot\nok 3 - t.a.shares\n"
		"ok 4 - t.b.listed\nok 5 - t.c.last\n1..5\npopek: exit 0\n",
		&out);
	/* reported on boot 1 too: the line speaks for it as before */
	cr_assert_eq(find(&out, "t.a.one")->cls, CLS_XFAIL);
	c = find(&out, "t.a.kills");
	cr_assert_eq(c->cls, CLS_XFAIL);
	cr_assert(strstr(c->reason, "the fake target dies in t.a"), "%s",
		  c->reason);
	c = find(&out, "t.a.shares");
	cr_assert_eq(c->cls, CLS_PASS, "%s: %s", class_name(c->cls), c->reason);
	cr_assert_str_eq(c->reason, "");
	cr_assert(out.ok);
	cr_assert_str_eq(out.reason, "2 boots: 1 check ended the target");
	image_result_free(&out);
}

Test(restart, a_failure_the_killer_hid_is_a_fail_and_says_so)
{
	struct image_result out;
	const struct check_result *c;

	restart_past_a_family_line(
		"TAP version 13\nnot ok 1 - t.a.one # expected 1, saw 2\n"
		"ok 2 - t.a.kills # SKIP popek.skip: not run, it ended the "
		"target on an earlier boot\n"
		"not ok 3 - t.a.shares # expected 0x10, saw 0x30\n"
		"ok 4 - t.b.listed\nok 5 - t.c.last\n1..5\npopek: exit 1\n",
		&out);
	c = find(&out, "t.a.shares");
	cr_assert_eq(c->cls, CLS_FAIL);
	cr_assert_str_eq(c->reason,
			 "expected 0x10, saw 0x30 (reached only by a restart: "
			 "the xerror line 't.a.*' covers the target ending the "
			 "image, not this failure, which needs an xfail line "
			 "of its own)");
	cr_assert(class_unexpected(c->cls));
	cr_assert_eq(find(&out, "t.a.one")->cls, CLS_XFAIL);
	cr_assert_eq(find(&out, "t.a.kills")->cls, CLS_XFAIL);
	cr_assert_str_eq(out.reason,
			 "2 boots: 1 check ended the target; 1 check the "
			 "first killer hid failed (each needs an xfail line "
			 "of its own)");
	image_result_free(&out);
}

/* Without a restart the line keeps its full meaning: a pass is stale. */
Test(restart, without_a_restart_an_xerror_pass_stays_xpass)
{
	struct target wide;
	struct tap_report r;
	struct image_result out;

	fake_target(&wide, "name = fake\ndescription = a fake target\n"
			   "command = true -append {cmdline} {image}\n"
			   "xerror t.a.* : the fake target dies in t.a\n");
	feed(&r, "TAP version 13\nok 1 - t.a.one\nok 2 - t.a.kills\n"
		 "not ok 3 - t.a.shares # saw 1\nok 4 - t.b.listed\n"
		 "ok 5 - t.c.last\n1..5\npopek: exit 1\n");
	cr_assert_not(restart_after_boot(&st, &img, &r, &clean, 1.0));
	classify_image(&img, &r, &clean, &wide, &host, &out);
	restart_classify(&st, &r, &wide, &host, &out);
	cr_assert_eq(find(&out, "t.a.kills")->cls, CLS_XPASS);
	cr_assert_eq(find(&out, "t.a.shares")->cls, CLS_XFAIL);
	image_result_free(&out);
	tap_report_free(&r);
	target_free(&wide);
}
