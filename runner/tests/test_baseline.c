/* The CI gate: new failures and fixed checks against a baseline. */
#include <criterion/criterion.h>
#include <string.h>

#include "baseline.h"

#define HC "GenuineIntel-6-85/kvm_intel"

static void add(struct results *r, const char *target, const char *id,
		enum check_class c)
{
	results_add_check(r, target, HC, "img", id, c, "why", "desc");
}

Test(baseline, diff)
{
	struct results now, base;
	struct baseline_diff d;

	results_init(&now);
	results_init(&base);
	add(&base, "qemu-tcg", "a.a.pass-to-fail", CLS_PASS);
	add(&base, "qemu-tcg", "a.a.xfail-to-xpass", CLS_XFAIL);
	add(&base, "qemu-tcg", "a.a.skip-to-error", CLS_SKIP);
	add(&base, "qemu-tcg", "a.a.fail-to-fail", CLS_FAIL);
	add(&base, "qemu-tcg", "a.a.fail-to-error", CLS_FAIL);
	add(&base, "qemu-tcg", "a.a.error-to-pass", CLS_ERROR);
	add(&base, "qemu-tcg", "a.a.xpass-to-xfail", CLS_XPASS);
	add(&base, "qemu-tcg", "a.a.pass-to-pass", CLS_PASS);
	add(&base, "qemu-kvm", "a.a.pass-to-fail", CLS_FAIL);

	add(&now, "qemu-tcg", "a.a.pass-to-fail", CLS_FAIL);
	add(&now, "qemu-tcg", "a.a.xfail-to-xpass", CLS_XPASS);
	add(&now, "qemu-tcg", "a.a.skip-to-error", CLS_ERROR);
	add(&now, "qemu-tcg", "a.a.fail-to-fail", CLS_FAIL);
	add(&now, "qemu-tcg", "a.a.fail-to-error", CLS_ERROR);
	add(&now, "qemu-tcg", "a.a.error-to-pass", CLS_PASS);
	add(&now, "qemu-tcg", "a.a.xpass-to-xfail", CLS_XFAIL);
	add(&now, "qemu-tcg", "a.a.pass-to-pass", CLS_PASS);
	add(&now, "qemu-tcg", "a.a.new-and-failing", CLS_FAIL);
	add(&now, "qemu-tcg", "a.a.new-and-passing", CLS_PASS);
	/* Same id, other target: matched per target, so already failing. */
	add(&now, "qemu-kvm", "a.a.pass-to-fail", CLS_FAIL);

	baseline_compare(&now, &base, &d);
	cr_assert_eq(d.nnew, 4);
	cr_assert_str_eq(d.new_failures[0].id, "a.a.pass-to-fail");
	cr_assert_eq(d.new_failures[0].before, CLS_PASS);
	cr_assert_eq(d.new_failures[0].now, CLS_FAIL);
	cr_assert_str_eq(d.new_failures[1].id, "a.a.xfail-to-xpass");
	cr_assert_str_eq(d.new_failures[2].id, "a.a.skip-to-error");
	cr_assert_str_eq(d.new_failures[3].id, "a.a.new-and-failing");
	cr_assert_eq(d.new_failures[3].before, -1);
	cr_assert_eq(d.nfixed, 2);
	cr_assert_str_eq(d.fixed[0].id, "a.a.error-to-pass");
	cr_assert_eq(d.fixed[0].before, CLS_ERROR);
	cr_assert_str_eq(d.fixed[1].id, "a.a.xpass-to-xfail");
	baseline_free(&d);
	results_free(&now);
	results_free(&base);
}

Test(baseline, other_host_class_is_absent)
{
	struct results now, base;
	struct baseline_diff d;

	results_init(&now);
	results_init(&base);
	results_add_check(&base, "qemu-tcg", "AuthenticAMD-25-1/none", "i",
			  "a.b.c", CLS_PASS, "", "");
	results_add_check(&now, "qemu-tcg", HC, "i", "a.b.c", CLS_FAIL, "", "");
	baseline_compare(&now, &base, &d);
	cr_assert_eq(d.nnew, 1);
	cr_assert_eq(d.new_failures[0].before, -1);
	baseline_free(&d);
	results_free(&now);
	results_free(&base);
}

Test(baseline, identical_is_quiet)
{
	struct results r;
	struct baseline_diff d;

	results_init(&r);
	add(&r, "qemu-tcg", "a.b.c", CLS_FAIL);
	add(&r, "qemu-tcg", "a.b.d", CLS_PASS);
	baseline_compare(&r, &r, &d);
	cr_assert_eq(d.nnew, 0);
	cr_assert_eq(d.nfixed, 0);
	baseline_free(&d);
	results_free(&r);
}
