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

/* The lost coverage the gate used to miss, and the verdict it gives. */
Test(baseline, downgrades)
{
	struct results now, base;
	struct baseline_diff d;

	results_init(&now);
	results_init(&base);
	add(&base, "qemu-tcg", "a.a.pass-to-skip", CLS_PASS);
	add(&base, "qemu-tcg", "a.a.xfail-to-skip", CLS_XFAIL);
	add(&base, "qemu-tcg", "a.a.fail-to-skip", CLS_FAIL);
	add(&base, "qemu-tcg", "a.a.skip-to-skip", CLS_SKIP);
	add(&base, "qemu-tcg", "a.a.pass-to-xfail", CLS_PASS);
	add(&now, "qemu-tcg", "a.a.pass-to-skip", CLS_SKIP);
	add(&now, "qemu-tcg", "a.a.xfail-to-skip", CLS_SKIP);
	add(&now, "qemu-tcg", "a.a.fail-to-skip", CLS_SKIP);
	add(&now, "qemu-tcg", "a.a.skip-to-skip", CLS_SKIP);
	add(&now, "qemu-tcg", "a.a.pass-to-xfail", CLS_XFAIL);
	add(&now, "qemu-tcg", "a.a.absent-to-skip", CLS_SKIP);
	baseline_compare(&now, &base, &d);
	cr_assert_eq(d.nnew, 0);
	/* a failure skipped now is not fixed: nothing says it works */
	cr_assert_eq(d.nfixed, 0);
	cr_assert_eq(d.ndown, 3);
	cr_assert_str_eq(d.downgraded[0].id, "a.a.pass-to-skip");
	cr_assert_eq(d.downgraded[0].before, CLS_PASS);
	cr_assert_eq(d.downgraded[0].now, CLS_SKIP);
	cr_assert_str_eq(d.downgraded[1].id, "a.a.xfail-to-skip");
	cr_assert_eq(d.downgraded[1].before, CLS_XFAIL);
	cr_assert_str_eq(d.downgraded[2].id, "a.a.fail-to-skip");
	cr_assert_eq(d.nlost, 0);
	cr_assert(baseline_lost_coverage(&d));
	cr_assert(!baseline_failed(&d, false));
	cr_assert(baseline_failed(&d, true));
	baseline_free(&d);
	results_free(&now);
	results_free(&base);
}

Test(baseline, lost_checks_grouped_per_image)
{
	struct results now, base;
	struct baseline_diff d;

	results_init(&now);
	results_init(&base);
	results_add_check(&base, "qemu-tcg", HC, "img-a", "a.a.kept", CLS_PASS,
			  "", "");
	results_add_check(&base, "qemu-tcg", HC, "img-a", "a.a.dropped",
			  CLS_PASS, "", "");
	results_add_check(&base, "qemu-tcg", HC, "img-b", "a.b.one", CLS_PASS,
			  "", "");
	results_add_check(&base, "qemu-tcg", HC, "img-b", "a.b.two", CLS_XFAIL,
			  "", "");
	/* a target this run did not ask for, on this host class: lost */
	results_add_check(&base, "refvmm-trap", HC, "img-a", "a.a.kept",
			  CLS_PASS, "", "");
	/* a skip that vanished: no coverage lost */
	results_add_check(&base, "qemu-tcg", HC, "img-b", "a.b.skip", CLS_SKIP,
			  "", "");
	/* another host class: not expected from this host */
	results_add_check(&base, "qemu-tcg", "AuthenticAMD-25-1/kvm_amd",
			  "img-a", "a.a.kept", CLS_PASS, "", "");
	results_add_check(&now, "qemu-tcg", HC, "img-a", "a.a.kept", CLS_PASS,
			  "", "");
	baseline_compare(&now, &base, &d);
	cr_assert_eq(d.nnew, 0);
	cr_assert_eq(d.nlost, 4);
	cr_assert_eq(d.nlost_groups, 3);
	cr_assert_str_eq(d.lost[0].image, "img-a");
	cr_assert_str_eq(d.lost[0].id, "a.a.dropped");
	cr_assert_eq(d.lost[0].n, 1);
	cr_assert(d.lost[0].image_ran);
	cr_assert_str_eq(d.lost[1].image, "img-b");
	cr_assert_eq(d.lost[1].n, 2);
	cr_assert(!d.lost[1].image_ran);
	cr_assert_str_eq(d.lost[2].target, "refvmm-trap");
	cr_assert_eq(d.nunseen, 1);
	cr_assert_str_eq(d.unseen[0].host_class, "AuthenticAMD-25-1/kvm_amd");
	cr_assert_eq(d.unseen[0].n, 1);
	cr_assert_eq(d.nuncovered, 0);
	cr_assert(baseline_failed(&d, true));
	cr_assert(!baseline_failed(&d, false));
	baseline_free(&d);
	results_free(&now);
	results_free(&base);
}

Test(baseline, uncovered_column_is_named)
{
	struct results now, base;
	struct baseline_diff d;
	char *text = NULL;
	size_t len;
	FILE *f;

	results_init(&now);
	results_init(&base);
	results_add_check(&base, "qemu-tcg", "AuthenticAMD-25-1/kvm_amd", "i",
			  "a.b.c", CLS_PASS, "", "");
	results_add_check(&base, "qemu-kvm", HC, "i", "a.b.c", CLS_PASS, "",
			  "");
	results_add_check(&now, "qemu-tcg", HC, "i", "a.b.c", CLS_FAIL, "", "");
	results_add_check(&now, "qemu-tcg", HC, "i", "a.b.d", CLS_PASS, "", "");
	results_add_check(&now, "qemu-kvm", HC, "i", "a.b.c", CLS_PASS, "", "");
	baseline_compare(&now, &base, &d);
	cr_assert_eq(d.nuncovered, 1);
	cr_assert_str_eq(d.uncovered[0].target, "qemu-tcg");
	cr_assert_str_eq(d.uncovered[0].host_class, HC);
	cr_assert_eq(d.uncovered[0].n, 2);
	cr_assert(d.uncovered[0].class_known);
	f = open_memstream(&text, &len);
	baseline_warn(f, &d, "base.json");
	fclose(f);
	cr_assert_str_eq(text,
			 "popek: warning: baseline base.json has nothing for "
			 "qemu-tcg on host class " HC
			 ": its 2 checks count as absent there\n");
	free(text);
	baseline_free(&d);
	results_free(&now);
	results_free(&base);
}

Test(baseline, verdict_line)
{
	struct results now, base;
	struct baseline_diff d;
	char *text = NULL;
	size_t len;
	FILE *f;

	results_init(&now);
	results_init(&base);
	add(&base, "qemu-tcg", "a.a.gone", CLS_PASS);
	add(&base, "qemu-tcg", "a.a.broke", CLS_PASS);
	add(&now, "qemu-tcg", "a.a.broke", CLS_FAIL);
	baseline_compare(&now, &base, &d);
	f = open_memstream(&text, &len);
	baseline_print(f, &d, true);
	fclose(f);
	cr_assert_str_eq(text,
			 "new failures: 1\n"
			 "  a.a.broke  qemu-tcg (" HC "): pass -> fail: "
			 "why\n"
			 "fixed: 0\n"
			 "downgraded: 0\n"
			 "lost: 1 (ran in the baseline, not in this run)\n"
			 "  qemu-tcg (" HC ") img: 1 check the image no "
			 "longer reports (a.a.gone)\n"
			 "gate: FAILED (1 new failure, 1 lost, 0 "
			 "downgraded: --fail-on-lost)\n");
	free(text);
	baseline_free(&d);
	results_free(&now);
	results_free(&base);
}

Test(baseline, one_cause_is_shown_ten_times)
{
	struct results now, base;
	struct baseline_diff d;
	char *text = NULL, *id;
	size_t len, i, lines = 0;
	FILE *f;

	results_init(&now);
	results_init(&base);
	for (i = 0; i < 12; i++) {
		id = xasprintf("a.a.c%02zu", i);
		add(&base, "qemu-tcg", id, CLS_PASS);
		add(&now, "qemu-tcg", id, CLS_SKIP);
		free(id);
	}
	baseline_compare(&now, &base, &d);
	cr_assert_eq(d.ndown, 12);
	f = open_memstream(&text, &len);
	baseline_print(f, &d, false);
	fclose(f);
	for (i = 0; i < len; i++)
		lines += text[i] == '\n';
	/* 3 headers, 10 checks, the rest in one line, lost, the verdict */
	cr_assert_eq(lines, 16, "%s", text);
	cr_assert_not_null(strstr(text, "  a.a.c09  qemu-tcg (" HC
					"): pass -> skip: why\n"
					"  ... and 2 more of qemu-tcg (" HC
					") img, the same way\nlost: 0\n"),
			   "%s", text);
	free(text);
	baseline_free(&d);
	results_free(&now);
	results_free(&base);
}
