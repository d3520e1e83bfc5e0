/* Classification: each row of the table in docs/protocol.md. */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

#include "classify.h"
#include "fake_image.h"

static struct image img;
static struct target tgt;
static struct hostinfo amd_pvm, intel;

static const char target_text[] =
	"name = fake\n"
	"description = a fake target\n"
	"command = true {image}\n"
	"xfail t.x.fails : known to fail here\n"
	"xfail t.x.passes : listed but passes\n"
	"xfail t.y.* when vendor=AuthenticAMD,backend=kvm_pvm : pvm only\n"
	"xfail t.z.umip when !feature=umip : needs umip\n";

static void setup(void)
{
	static const char *const ids[] = {"t.a.pass",  "t.a.fail",   "t.a.skip",
					  "t.x.fails", "t.x.passes", "t.y.one",
					  "t.z.umip",  NULL};

	fake_image(&img, ids);
	fake_target(&tgt, target_text);
	hostinfo_set(&amd_pvm, "AuthenticAMD", "AMD EPYC", 25, 1,
		     "fpu sse2 umip", "kvm_pvm");
	hostinfo_set(&intel, "GenuineIntel", "Xeon", 6, 85, "fpu sse2",
		     "kvm_intel");
}

static void teardown(void)
{
	image_free(&img);
	target_free(&tgt);
	hostinfo_free(&amd_pvm);
	hostinfo_free(&intel);
}

TestSuite(classify, .init = setup, .fini = teardown);

static void feed(struct tap_report *r, const char *text)
{
	tap_report_init(r);
	tap_feed(r, text, strlen(text));
	tap_finish(r);
}

static const struct check_result *find(const struct image_result *res,
				       const char *id)
{
	size_t i;

	for (i = 0; i < res->nchecks; i++)
		if (!strcmp(res->checks[i].id, id))
			return &res->checks[i];
	cr_assert_fail("no result for %s", id);
	return NULL;
}

static const char full_run[] = "TAP version 13\n"
			       "ok 1 - t.a.pass\n"
			       "not ok 2 - t.a.fail # expected 0, saw 1\n"
			       "ok 3 - t.a.skip # SKIP no such CPU\n"
			       "not ok 4 - t.x.fails # saw 2\n"
			       "ok 5 - t.x.passes\n"
			       "not ok 6 - t.y.one # y broke\n"
			       "not ok 7 - t.z.umip # no umip\n"
			       "1..7\n"
			       "popek: exit 1\n";

static const struct run_end clean = {.exited = true, .wait_status = 3 << 8};

Test(classify, full_run_on_amd_pvm)
{
	struct tap_report rep;
	struct image_result res;

	feed(&rep, full_run);
	classify_image(&img, &rep, &clean, &tgt, &amd_pvm, &res);
	cr_assert(res.ok);
	cr_assert_null(res.reason);
	cr_assert_eq(res.exit_code, 1);
	cr_assert_eq(res.nchecks, 7);
	cr_assert_eq(find(&res, "t.a.pass")->cls, CLS_PASS);
	cr_assert_str_eq(find(&res, "t.a.pass")->reason, "");
	cr_assert_str_eq(find(&res, "t.a.pass")->description,
			 "desc of t.a.pass");
	cr_assert_eq(find(&res, "t.a.fail")->cls, CLS_FAIL);
	cr_assert_str_eq(find(&res, "t.a.fail")->reason, "expected 0, saw 1");
	cr_assert_eq(find(&res, "t.a.skip")->cls, CLS_SKIP);
	cr_assert_str_eq(find(&res, "t.a.skip")->reason, "no such CPU");
	cr_assert_eq(find(&res, "t.x.fails")->cls, CLS_XFAIL);
	cr_assert_str_eq(find(&res, "t.x.fails")->reason,
			 "known infidelity: known to fail here (saw: saw 2)");
	cr_assert_eq(find(&res, "t.x.passes")->cls, CLS_XPASS);
	cr_assert_str_eq(find(&res, "t.x.passes")->reason,
			 "passed, but the target lists it as a known "
			 "infidelity: listed but passes");
	/* vendor and backend hold: xfail. */
	cr_assert_eq(find(&res, "t.y.one")->cls, CLS_XFAIL);
	/* host has umip, so "!feature=umip" does not hold: fail. */
	cr_assert_eq(find(&res, "t.z.umip")->cls, CLS_FAIL);
	image_result_free(&res);
	tap_report_free(&rep);
}

Test(classify, host_conditions_on_intel)
{
	struct tap_report rep;
	struct image_result res;

	feed(&rep, full_run);
	classify_image(&img, &rep, &clean, &tgt, &intel, &res);
	cr_assert_eq(find(&res, "t.y.one")->cls, CLS_FAIL);
	cr_assert_str_eq(find(&res, "t.y.one")->reason, "y broke");
	cr_assert_eq(find(&res, "t.z.umip")->cls, CLS_XFAIL);
	image_result_free(&res);
	tap_report_free(&rep);
}

Test(classify, not_reported_after_proper_end)
{
	struct tap_report rep;
	struct image_result res;

	feed(&rep, "ok 1 - t.a.pass\n1..1\npopek: exit 0\n");
	classify_image(&img, &rep, &clean, &tgt, &amd_pvm, &res);
	cr_assert(res.ok);
	cr_assert_eq(res.nchecks, 7);
	cr_assert_eq(find(&res, "t.a.pass")->cls, CLS_PASS);
	cr_assert_eq(find(&res, "t.a.fail")->cls, CLS_ERROR);
	cr_assert_str_eq(find(&res, "t.a.fail")->reason, "not reported");
	image_result_free(&res);
	tap_report_free(&rep);
}

Test(classify, timeout)
{
	struct run_end end = {.timed_out = true,
			      .timeout = 60,
			      .exited = true,
			      .wait_status = SIGKILL};
	struct tap_report rep;
	struct image_result res;

	feed(&rep, "ok 1 - t.a.pass\n");
	classify_image(&img, &rep, &end, &tgt, &amd_pvm, &res);
	cr_assert(!res.ok);
	cr_assert_str_eq(res.reason, "timeout after 60 s");
	cr_assert_eq(res.exit_code, -1);
	cr_assert_eq(find(&res, "t.a.pass")->cls, CLS_PASS);
	cr_assert_eq(find(&res, "t.a.skip")->cls, CLS_ERROR);
	cr_assert_str_eq(find(&res, "t.a.skip")->reason, "timeout after 60 s");
	image_result_free(&res);
	tap_report_free(&rep);
}

Test(classify, crash_with_stderr)
{
	struct run_end end = {.exited = true,
			      .wait_status = 1 << 8,
			      .last_stderr = "qemu: could not load kernel"};
	struct tap_report rep;
	struct image_result res;

	feed(&rep, "");
	classify_image(&img, &rep, &end, &tgt, &amd_pvm, &res);
	cr_assert(!res.ok);
	cr_assert_str_eq(res.reason,
			 "target exited with status 1 before 'popek: exit' "
			 "(last stderr: qemu: could not load kernel)");
	cr_assert_eq(find(&res, "t.a.pass")->cls, CLS_ERROR);
	cr_assert_str_eq(find(&res, "t.a.pass")->reason, res.reason);
	image_result_free(&res);
	tap_report_free(&rep);
}

Test(classify, killed_by_signal)
{
	struct run_end end = {.exited = true, .wait_status = SIGSEGV};
	struct tap_report rep;
	struct image_result res;

	feed(&rep, "");
	classify_image(&img, &rep, &end, &tgt, &amd_pvm, &res);
	cr_assert(str_starts(res.reason, "target killed by signal 11 ("));
	image_result_free(&res);
	tap_report_free(&rep);
}

Test(classify, no_exit_line)
{
	struct run_end end = {.exited = true, .wait_status = 0};
	struct tap_report rep;
	struct image_result res;

	feed(&rep, full_run);
	/* Drop the exit line: a triple fault under -no-reboot exits 0. */
	rep.exit_seen = false;
	classify_image(&img, &rep, &end, &tgt, &amd_pvm, &res);
	cr_assert(!res.ok);
	cr_assert_str_eq(res.reason, "target exited with status 0 before "
				     "'popek: exit' (a triple fault under QEMU "
				     "-no-reboot ends so)");
	/* Reported checks keep their results. */
	cr_assert_eq(find(&res, "t.a.fail")->cls, CLS_FAIL);
	image_result_free(&res);
	tap_report_free(&rep);
}

Test(classify, flood)
{
	struct run_end end = {.flooded = true,
			      .output_limit = 1048576,
			      .exited = true,
			      .wait_status = SIGKILL};
	struct tap_report rep;
	struct image_result res;

	feed(&rep, "ok 1 - t.a.pass\n");
	classify_image(&img, &rep, &end, &tgt, &amd_pvm, &res);
	cr_assert_str_eq(res.reason,
			 "flooded the serial port: more than 1048576 bytes");
	cr_assert_str_eq(find(&res, "t.a.fail")->reason, res.reason);
	image_result_free(&res);
	tap_report_free(&rep);
}

Test(classify, bail_out)
{
	struct tap_report rep;
	struct image_result res;

	feed(&rep, "ok 1 - t.a.pass\nBail out! unexpected #GP\n"
		   "popek: exit 2\n");
	classify_image(&img, &rep, &clean, &tgt, &amd_pvm, &res);
	cr_assert(!res.ok);
	cr_assert_str_eq(res.reason, "bail out: unexpected #GP");
	cr_assert_eq(res.exit_code, 2);
	cr_assert_eq(find(&res, "t.a.pass")->cls, CLS_PASS);
	cr_assert_eq(find(&res, "t.a.fail")->cls, CLS_ERROR);
	cr_assert_str_eq(find(&res, "t.a.fail")->reason,
			 "bail out: unexpected #GP");
	image_result_free(&res);
	tap_report_free(&rep);
}

Test(classify, bail_out_then_timeout)
{
	struct run_end end = {.timed_out = true, .timeout = 5};
	struct tap_report rep;
	struct image_result res;

	feed(&rep, "Bail out! stuck\n");
	classify_image(&img, &rep, &end, &tgt, &amd_pvm, &res);
	cr_assert_str_eq(res.reason, "bail out: stuck; then timeout after 5 s");
	cr_assert_str_eq(find(&res, "t.a.pass")->reason, "bail out: stuck");
	image_result_free(&res);
	tap_report_free(&rep);
}

Test(classify, duplicates_and_undeclared)
{
	struct tap_report rep;
	struct image_result res;

	feed(&rep, "ok 1 - t.a.pass\nok 2 - t.a.pass\n"
		   "not ok 3 - t.a.fail\nok 4 - t.a.fail\nok 5 - t.a.fail\n"
		   "ok 6 - t.q.unknown\nok 7 - t.q.unknown\n1..7\n"
		   "popek: exit 1\n");
	classify_image(&img, &rep, &clean, &tgt, &amd_pvm, &res);
	cr_assert_eq(res.nchecks, 8);
	cr_assert_eq(find(&res, "t.a.pass")->cls, CLS_ERROR);
	cr_assert_str_eq(find(&res, "t.a.pass")->reason, "reported twice");
	cr_assert_str_eq(find(&res, "t.a.fail")->reason, "reported 3 times");
	cr_assert_eq(find(&res, "t.q.unknown")->cls, CLS_ERROR);
	cr_assert_str_eq(find(&res, "t.q.unknown")->reason,
			 "not declared by the image");
	cr_assert_null(find(&res, "t.q.unknown")->description);
	/* Proper end, plan matches: the image itself is fine. */
	cr_assert(res.ok);
	image_result_free(&res);
	tap_report_free(&rep);
}

Test(classify, plan_mismatch)
{
	struct tap_report rep;
	struct image_result res;

	feed(&rep, "ok 1 - t.a.pass\n1..2\npopek: exit 0\n");
	classify_image(&img, &rep, &clean, &tgt, &amd_pvm, &res);
	cr_assert(!res.ok);
	cr_assert_str_eq(res.reason, "plan 1..2, but 1 checks reported");
	image_result_free(&res);
	tap_report_free(&rep);
}

Test(classify, missing_plan)
{
	struct tap_report rep;
	struct image_result res;

	feed(&rep, "ok 1 - t.a.pass\npopek: exit 0\n");
	classify_image(&img, &rep, &clean, &tgt, &amd_pvm, &res);
	cr_assert(!res.ok);
	cr_assert_str_eq(res.reason,
			 "no plan line (1..N) before 'popek: exit'");
	image_result_free(&res);
	tap_report_free(&rep);
}

Test(classify, exit_line_wins_over_status)
{
	/* QEMU's isa-debug-exit status 3 for "exit 1"; trust the line. */
	struct run_end end = {
		.exited = true, .wait_status = 3 << 8, .timed_out = false};
	struct tap_report rep;
	struct image_result res;

	feed(&rep, "1..0\npopek: exit 0\n");
	classify_image(&img, &rep, &end, &tgt, &amd_pvm, &res);
	cr_assert(res.ok);
	cr_assert_eq(res.exit_code, 0);
	cr_assert_str_eq(find(&res, "t.a.pass")->reason, "not reported");
	image_result_free(&res);
	tap_report_free(&rep);
}

Test(classify, classify_all_skips)
{
	struct image_result res;

	classify_all(&img, CLS_SKIP, "target fake does not run 32-bit images",
		     &res);
	cr_assert(res.ok);
	cr_assert_eq(res.nchecks, 7);
	cr_assert_eq(res.checks[6].cls, CLS_SKIP);
	cr_assert_str_eq(res.checks[6].reason,
			 "target fake does not run 32-bit images");
	image_result_free(&res);
}

Test(classify, names)
{
	cr_assert_str_eq(class_name(CLS_XPASS), "xpass");
	cr_assert_eq(class_from_name("error"), CLS_ERROR);
	cr_assert_eq(class_from_name("bogus"), -1);
	cr_assert(class_unexpected(CLS_FAIL));
	cr_assert(class_unexpected(CLS_XPASS));
	cr_assert(class_unexpected(CLS_ERROR));
	cr_assert(!class_unexpected(CLS_PASS));
	cr_assert(!class_unexpected(CLS_XFAIL));
	cr_assert(!class_unexpected(CLS_SKIP));
}

/* xerror: a target that breaks before checks it lists as infidelities. */
static void xerror_target(struct target *t, const char *rules)
{
	struct perr e;
	char *text = xasprintf("name = fake\ndescription = d\n"
			       "command = true {image}\n%s",
			       rules);

	cr_assert_eq(target_parse("/t/fake.conf", text, t, &e), 0, "%s", e.msg);
	free(text);
}

static const char broke_after_two[] =
	"TAP version 13\n"
	"ok 1 - t.a.pass\n"
	"not ok 2 - t.a.fail # expected 0, saw 1\n";
static const struct run_end fatal = {.exited = true,
				     .wait_status = SIGKILL,
				     .fatal_line = "KVM internal error. "
						   "Suberror: 1"};

Test(classify, xerror_covers_every_missing_check)
{
	struct tap_report rep;
	struct image_result res;
	struct target t;

	xerror_target(&t, "xerror t.[!a]* when backend=kvm_pvm : dies\n");
	feed(&rep, broke_after_two);
	classify_image(&img, &rep, &fatal, &t, &amd_pvm, &res);
	cr_assert_eq(find(&res, "t.a.pass")->cls, CLS_PASS);
	cr_assert_eq(find(&res, "t.a.fail")->cls, CLS_FAIL);
	/* t.a.skip is missing and not listed: an error */
	cr_assert_eq(find(&res, "t.a.skip")->cls, CLS_ERROR);
	cr_assert_str_eq(find(&res, "t.a.skip")->reason,
			 "target reported 'KVM internal error. Suberror: 1' "
			 "before 'popek: exit'");
	cr_assert_eq(find(&res, "t.x.fails")->cls, CLS_XFAIL);
	cr_assert_str_eq(find(&res, "t.x.fails")->reason,
			 "known infidelity: dies (target reported 'KVM "
			 "internal error. Suberror: 1' before 'popek: exit')");
	/* one missing check is not covered: the image is an error */
	cr_assert(!res.ok);
	image_result_free(&res);
	target_free(&t);
	tap_report_free(&rep);
}

Test(classify, xerror_whole_breakage_is_expected)
{
	struct tap_report rep;
	struct image_result res;
	struct target t;

	xerror_target(&t, "xerror t.[!a]* : dies\nxerror t.a.skip : dies\n");
	feed(&rep, broke_after_two);
	classify_image(&img, &rep, &fatal, &t, &amd_pvm, &res);
	cr_assert_eq(find(&res, "t.a.skip")->cls, CLS_XFAIL);
	/* every missing check is listed: a known breakage, reason kept */
	cr_assert(res.ok);
	cr_assert_str_eq(res.reason, "target reported 'KVM internal error. "
				     "Suberror: 1' before 'popek: exit'");
	image_result_free(&res);
	target_free(&t);
	tap_report_free(&rep);
}

Test(classify, xerror_needs_its_host)
{
	struct tap_report rep;
	struct image_result res;
	struct target t;

	xerror_target(&t, "xerror t.* when backend=kvm_pvm : dies\n");
	feed(&rep, broke_after_two);
	classify_image(&img, &rep, &fatal, &t, &intel, &res);
	cr_assert_eq(find(&res, "t.x.fails")->cls, CLS_ERROR);
	cr_assert(!res.ok);
	image_result_free(&res);
	target_free(&t);
	tap_report_free(&rep);
}

Test(classify, plain_xfail_does_not_cover_errors)
{
	struct tap_report rep;
	struct image_result res;

	feed(&rep, broke_after_two);
	classify_image(&img, &rep, &fatal, &tgt, &amd_pvm, &res);
	/* "xfail t.x.fails" covers a failure, not a breakage */
	cr_assert_eq(find(&res, "t.x.fails")->cls, CLS_ERROR);
	cr_assert(!res.ok);
	image_result_free(&res);
	tap_report_free(&rep);
}

/*
 * An xfail line before an xerror line: the xfail line speaks for the
 * check when it runs, the xerror line for the target dying before it
 * (a restart bound may leave it either way).
 */
Test(classify, an_xfail_line_first_leaves_the_breakage_to_xerror)
{
	struct tap_report rep;
	struct image_result res;
	struct target t;

	xerror_target(&t, "xfail t.a.fail : fails when it runs\n"
			  "xfail t.x.fails : fails when it runs\n"
			  "xerror t.* : dies\n");
	feed(&rep, broke_after_two);
	classify_image(&img, &rep, &fatal, &t, &amd_pvm, &res);
	cr_assert_eq(find(&res, "t.a.fail")->cls, CLS_XFAIL);
	cr_assert_eq(find(&res, "t.a.fail")->rule, &t.xfails[0]);
	cr_assert_eq(find(&res, "t.x.fails")->cls, CLS_XFAIL);
	cr_assert_eq(find(&res, "t.x.fails")->rule, &t.xfails[2]);
	cr_assert_str_eq(find(&res, "t.x.fails")->reason,
			 "known infidelity: dies (target reported 'KVM "
			 "internal error. Suberror: 1' before 'popek: exit')");
	image_result_free(&res);
	target_free(&t);
	tap_report_free(&rep);
}

/* either: the check may pass or fail on the hosts named. */
static const char either_rules[] =
	"either t.a.* when backend=kvm_pvm : host CPU dependent\n"
	"either t.x.* when backend=kvm_pvm : also dependent\n"
	"xerror t.x.fails when backend=kvm_pvm : dies\n";

Test(classify, either_pass_and_fail)
{
	struct tap_report rep;
	struct image_result res;
	struct target t;

	xerror_target(&t, either_rules);
	feed(&rep, full_run);
	classify_image(&img, &rep, &clean, &t, &amd_pvm, &res);
	cr_assert(res.ok);
	cr_assert_eq(find(&res, "t.a.pass")->cls, CLS_EITHER);
	cr_assert_str_eq(find(&res, "t.a.pass")->reason,
			 "passed; either way is expected: host CPU dependent");
	cr_assert_eq(find(&res, "t.a.pass")->rule, &t.xfails[0]);
	cr_assert_eq(find(&res, "t.a.fail")->cls, CLS_EITHER);
	cr_assert_str_eq(find(&res, "t.a.fail")->reason,
			 "failed; either way is expected: host CPU dependent "
			 "(saw: expected 0, saw 1)");
	cr_assert_eq(find(&res, "t.a.fail")->rule, &t.xfails[0]);
	/* a skip stays a skip */
	cr_assert_eq(find(&res, "t.a.skip")->cls, CLS_SKIP);
	cr_assert_str_eq(find(&res, "t.a.skip")->reason, "no such CPU");
	/* the first line that applies decides: either before xerror */
	cr_assert_eq(find(&res, "t.x.fails")->cls, CLS_EITHER);
	cr_assert_str_eq(find(&res, "t.x.fails")->reason,
			 "failed; either way is expected: also dependent "
			 "(saw: saw 2)");
	cr_assert_eq(find(&res, "t.x.passes")->cls, CLS_EITHER);
	/* not listed: as before */
	cr_assert_eq(find(&res, "t.y.one")->cls, CLS_FAIL);
	cr_assert(!class_unexpected(CLS_EITHER));
	image_result_free(&res);

	/* where the condition does not hold, pass and fail are plain */
	classify_image(&img, &rep, &clean, &t, &intel, &res);
	cr_assert_eq(find(&res, "t.a.pass")->cls, CLS_PASS);
	cr_assert_eq(find(&res, "t.a.fail")->cls, CLS_FAIL);
	cr_assert_eq(find(&res, "t.x.passes")->cls, CLS_PASS);
	image_result_free(&res);
	target_free(&t);
	tap_report_free(&rep);
}

Test(classify, either_never_hides_an_error)
{
	struct tap_report rep;
	struct image_result res;
	struct target t;

	xerror_target(&t, either_rules);
	feed(&rep, broke_after_two);
	classify_image(&img, &rep, &fatal, &t, &amd_pvm, &res);
	cr_assert_eq(find(&res, "t.a.pass")->cls, CLS_EITHER);
	cr_assert_eq(find(&res, "t.a.fail")->cls, CLS_EITHER);
	/* not reported, matched by an either line only: an error */
	cr_assert_eq(find(&res, "t.a.skip")->cls, CLS_ERROR);
	cr_assert_str_eq(find(&res, "t.a.skip")->reason,
			 "target reported 'KVM internal error. Suberror: 1' "
			 "before 'popek: exit'");
	cr_assert_null(find(&res, "t.a.skip")->rule);
	cr_assert_eq(find(&res, "t.x.passes")->cls, CLS_ERROR);
	/* not reported, an either line first and an xerror line after it:
	 * the xerror line covers the breakage */
	cr_assert_eq(find(&res, "t.x.fails")->cls, CLS_XFAIL);
	cr_assert_str_eq(find(&res, "t.x.fails")->reason,
			 "known infidelity: dies (target reported 'KVM "
			 "internal error. Suberror: 1' before 'popek: exit')");
	cr_assert_eq(find(&res, "t.x.fails")->rule, &t.xfails[2]);
	cr_assert(!res.ok);
	image_result_free(&res);
	target_free(&t);
	tap_report_free(&rep);
}

Test(classify, either_reported_twice_is_an_error)
{
	struct tap_report rep;
	struct image_result res;
	struct target t;

	xerror_target(&t, either_rules);
	feed(&rep, "TAP version 13\n"
		   "ok 1 - t.a.pass\n"
		   "ok 2 - t.a.pass\n"
		   "1..2\n"
		   "popek: exit 0\n");
	classify_image(&img, &rep, &clean, &t, &amd_pvm, &res);
	cr_assert_eq(find(&res, "t.a.pass")->cls, CLS_ERROR);
	cr_assert_str_eq(find(&res, "t.a.pass")->reason, "reported twice");
	image_result_free(&res);
	target_free(&t);
	tap_report_free(&rep);
}

Test(classify, either_name)
{
	cr_assert_str_eq(class_name(CLS_EITHER), "either");
	cr_assert_eq(class_from_name("either"), CLS_EITHER);
}
