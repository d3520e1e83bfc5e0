/*
 * The report page's markup: what the filters and tests key on (data-
 * attributes), the baseline marks, escaping. Rendering and the script
 * are checked in headless Chromium (tests/html_report_test).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baseline.h"
#include "html.h"

#define HC "AuthenticAMD-25-1/kvm_pvm"

static char *render(const struct results *now, const struct results *base)
{
	char path[] = "/tmp/popek-html-XXXXXX";
	struct baseline_diff d;
	struct summary s;
	struct matrix m;
	struct perr e = {0};
	char *buf;
	long n;
	FILE *f;
	int fd = mkstemp(path);

	cr_assert(fd >= 0);
	close(fd);
	if (base)
		baseline_compare(now, base, &d);
	matrix_build(now, &m);
	summary_compute(now, &s);
	cr_assert_eq(html_write(path, &m, &s, base ? &d : NULL, &e), 0);
	f = fopen(path, "r");
	cr_assert(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	unlink(path);
	matrix_free(&m);
	summary_free(&s);
	if (base)
		baseline_free(&d);
	return buf;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (hay = strstr(hay, needle); hay; hay = strstr(hay + 1, needle))
		n++;
	return n;
}

Test(html, rows_carry_family_results_and_image)
{
	struct results r;
	char *page;

	results_init(&r);
	results_add_check(&r, "qemu-tcg", HC, "mmu-a-32", "mmu.a.one", CLS_PASS,
			  NULL, "d");
	results_add_check(&r, "refvmm-trap", HC, "mmu-a-32", "mmu.a.one",
			  CLS_XFAIL, "obstacle", "d");
	results_add_check(&r, "qemu-tcg", HC, "runtime-b-64", "runtime.b.two",
			  CLS_FAIL, "saw <1> & \"2\"", "d");
	page = render(&r, NULL);
	cr_assert(strstr(page, "<tr data-family=\"mmu\" data-res=\"pass "
			       "xfail\"><td class=\"id\" title=\"d\">mmu.a.one"
			       "</td><td class=\"img\">mmu-a-32</td>"),
		  "%s", page);
	cr_assert(
		strstr(page, "<tr data-family=\"runtime\" data-res=\"fail\">"));
	/* The family filter lists each family once, in id order. */
	cr_assert(strstr(page, "<option value=\"\">all</option><option>mmu"
			       "</option><option>runtime</option></select>"));
	cr_assert(strstr(page, "title=\"saw &lt;1&gt; &amp; &quot;2&quot;\">"
			       "FAIL</td>"));
	/* No baseline: no change filter, no change marks. */
	cr_assert_null(strstr(page, "id=\"f-changed\""));
	cr_assert_null(strstr(page, "data-changed"));
	/* Per target, per family: one row per (column, family present). */
	cr_assert(strstr(page, "data-target=\"refvmm-trap\" data-host=\"" HC
			       "\" data-family=\"mmu\">"));
	cr_assert_null(strstr(page,
			      "data-target=\"refvmm-trap\" data-host=\"" HC
			      "\" data-family=\"runtime\">"));
	cr_assert_eq(count(page, "<script>"), 1);
	cr_assert_null(strstr(page, "src="), "nothing external");
	free(page);
	results_free(&r);
}

Test(html, baseline_changes_are_marked)
{
	struct results now, base;
	char *page;

	results_init(&now);
	results_init(&base);
	results_add_check(&base, "qemu-tcg", HC, "i", "x.a.worse", CLS_PASS,
			  NULL, "d");
	results_add_check(&base, "qemu-tcg", HC, "i", "x.a.better", CLS_ERROR,
			  "timeout", "d");
	results_add_check(&base, "qemu-tcg", HC, "i", "x.a.same", CLS_PASS,
			  NULL, "d");
	results_add_check(&now, "qemu-tcg", HC, "i", "x.a.worse", CLS_FAIL,
			  "saw 2", "d");
	results_add_check(&now, "qemu-tcg", HC, "i", "x.a.better", CLS_PASS,
			  NULL, "d");
	results_add_check(&now, "qemu-tcg", HC, "i", "x.a.same", CLS_PASS, NULL,
			  "d");
	page = render(&now, &base);
	cr_assert(strstr(page, "<span data-count=\"new\">1</span> new failures"
			       ", <span data-count=\"fixed\">1</span> fixed "
			       "&mdash; gate FAILED"),
		  "%s", page);
	cr_assert(strstr(page, "<td class=\"fail new\" title=\"NEW FAILURE "
			       "(baseline: pass) saw 2\">FAIL</td>"));
	cr_assert(strstr(page, "<td class=\"pass fixed\" title=\"FIXED "
			       "(baseline: error) \">pass</td>"));
	cr_assert_eq(count(page, "data-changed=\"1\""), 2);
	cr_assert(strstr(page, "id=\"f-changed\""));
	free(page);
	results_free(&now);
	results_free(&base);
}
