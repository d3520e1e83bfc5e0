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
#include "util.h"

#define HC "AuthenticAMD-25-1/kvm_pvm"

static char *render_gate(const struct results *now, const struct results *base,
			 bool fail_on_lost)
{
	char path[] = "/tmp/popek-html-XXXXXX";
	struct baseline_diff d;
	struct summary s;
	struct matrix m;
	struct perr e = {0};
	struct html_meta meta = {now, base ? "ci/base.json" : NULL, base,
				 fail_on_lost};
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
	cr_assert_eq(html_write(path, &m, &s, base ? &d : NULL, &meta, &e), 0);
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

static char *render(const struct results *now, const struct results *base)
{
	return render_gate(now, base, false);
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
	cr_assert(strstr(page, "<tr data-family=\"runtime\" data-res=\"fail\" "
			       "data-problem=\"1\">"));
	/* The family filter lists each family once, in id order. */
	cr_assert(strstr(page, "<option value=\"\">all</option><option>mmu"
			       "</option><option>runtime</option></select>"));
	cr_assert(strstr(page, "title=\"saw &lt;1&gt; &amp; &quot;2&quot;\">"
			       "FAIL<small class=\"why\">saw &lt;1&gt; &amp; "
			       "&quot;2&quot;</small></td>"));
	/* a passing cell has nothing to hover for */
	cr_assert(strstr(page, "<td class=\"pass\">pass</td>"));
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
			       ", <span data-count=\"fixed\">1</span> fixed, "
			       "<span data-count=\"downgraded\">0</span> "
			       "downgraded, <span data-count=\"lost\">0</span>"
			       " lost &mdash; gate <span data-gate=\"failed\">"
			       "FAILED</span>"),
		  "%s", page);
	cr_assert(strstr(page, "<td class=\"fail new\" title=\"NEW FAILURE "
			       "(baseline: pass) saw 2\">FAIL<small "
			       "class=\"why\">saw 2</small></td>"));
	cr_assert(strstr(page, "<td class=\"pass fixed\" title=\"FIXED "
			       "(baseline: error) \">pass</td>"));
	cr_assert_eq(count(page, "data-changed=\"1\""), 2);
	/* both changed rows are problems (the default view); x.a.same not */
	cr_assert_eq(count(page, "data-problem=\"1\""), 2);
	cr_assert(strstr(page, "<td data-meta=\"baseline\">ci/base.json</td>"),
		  "%s", page);
	cr_assert(strstr(page, "id=\"f-changed\""));
	free(page);
	results_free(&now);
	results_free(&base);
}

Test(html, metadata_and_problems_as_text)
{
	struct results r;
	struct res_image *im;
	char *page;

	results_init(&r);
	r.started = xstrdup("2026-12-06T09:00:00Z");
	r.popek_version = xstrdup("0.0-old");
	r.popek_commit = xstrdup("abc123");
	r.interrupted = xstrdup("SIGTERM");
	results_add_target(&r, "qemu-tcg", HC, true, "", "qemu {image}");
	im = results_add_image(&r, "qemu-tcg", HC, "mmu-a-32");
	im->ok = false;
	free(im->reason);
	im->reason = xstrdup("timeout after 60 s");
	free(im->rerun);
	im->rerun = xstrdup("popek run -t qemu-tcg mmu-a-32");
	free(im->log_serial);
	im->log_serial = xstrdup("logs/qemu-tcg/mmu-a-32.serial.txt");
	results_add_check(&r, "qemu-tcg", HC, "mmu-a-32", "mmu.a.one", CLS_FAIL,
			  "#PF(0x3) at CR2=0x1000",
			  "a write to a read-only page");
	results_add_check(&r, "qemu-tcg", HC, "mmu-a-32", "mmu.a.two",
			  CLS_ERROR, "timeout after 60 s", "d2");
	results_add_check(&r, "qemu-tcg", HC, "mmu-a-32", "mmu.a.three",
			  CLS_PASS, NULL, "d3");
	page = render(&r, NULL);
	cr_assert(strstr(page, "<td data-meta=\"started\">2026-12-06T09:00:00Z"
			       "</td>"),
		  "%s", page);
	cr_assert(strstr(page, "<td data-meta=\"results-popek\">0.0-old "
			       "(abc123)</td>"));
	cr_assert(strstr(page, "<td data-meta=\"generated\">"));
	cr_assert(strstr(page, "<td data-meta=\"popek\">"));
	cr_assert(strstr(page, "data-meta=\"interrupted\">Partial results: "
			       "the run was interrupted by SIGTERM."));
	cr_assert(strstr(page, "<span data-count=\"problem-images\">1</span> "
			       "images in error, <span data-count=\"problem-"
			       "checks\">2</span> unexpected checks"));
	/* the image: reason, rerun command and log as text and link */
	cr_assert(strstr(page,
			 "<td class=\"img\">mmu-a-32</td><td class=\"er"
			 "ror\">error</td><td>timeout after 60 s</td><td>"
			 "<code>popek run -t qemu-tcg mmu-a-32</code></td>"
			 "<td> <a href=\"logs/qemu-tcg/mmu-a-32.serial.txt"
			 "\">serial</a></td>"),
		  "%s", page);
	/* the failure with its reason and description; the error that
	 * only repeats the image's reason is counted, not listed */
	cr_assert(strstr(page, "<td class=\"id\">mmu.a.one</td><td class=\""
			       "fail\">FAIL</td><td>#PF(0x3) at CR2=0x1000</td>"
			       "<td>a write to a read-only page</td>"));
	cr_assert_null(strstr(page, "<td class=\"id\">mmu.a.two</td>"));
	cr_assert(strstr(page, "<span data-count=\"as-image\">1</span>"));
	/* opened without a fragment, the page shows the problems only */
	cr_assert(strstr(page, "prob.checked=!h;"));
	cr_assert_eq(count(page, "data-problem=\"1\""), 2);
	free(page);
	results_free(&r);
}

/* A results file from another host must not put a script in a link. */
Test(html, log_links_are_plain_paths)
{
	static const char *const bad[] = {"javascript:alert(1)",
					  " javascript:alert(1)",
					  "//evil.example/x", "\\\\evil\\x"};
	struct results r;
	struct res_image *im;
	char *page;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		results_init(&r);
		im = results_add_image(&r, "qemu-tcg", HC, "mmu-a-32");
		im->ok = false;
		free(im->log_serial);
		im->log_serial = xstrdup(bad[i]);
		free(im->log_info);
		im->log_info = xstrdup("logs/qemu-tcg/mmu-a-32.info.txt");
		page = render(&r, NULL);
		cr_assert_null(strstr(page, "<a href=\"javascript"), "%s",
			       bad[i]);
		cr_assert_null(strstr(page, "<a href=\" "), "%s", bad[i]);
		cr_assert_null(strstr(page, "<a href=\"/"), "%s", bad[i]);
		cr_assert_null(strstr(page, "<a href=\"\\"), "%s", bad[i]);
		cr_assert(strstr(page, " serial: "), "%s", bad[i]);
		cr_assert(strstr(page,
				 "<a href=\"logs/qemu-tcg/mmu-a-32.info.txt"
				 "\">info</a>"));
		free(page);
		results_free(&r);
	}
}

/*
 * Lost coverage on the page as in the CI log: downgraded checks (one
 * cause's first ten, then a count), lost images, columns the baseline
 * lacks; the verdict is the exit status's, --fail-on-lost included.
 */
static void lost_coverage(struct results *now, struct results *base)
{
	char id[32];
	int i;

	results_init(now);
	results_init(base);
	for (i = 0; i < 12; i++) {
		snprintf(id, sizeof(id), "x.a.c%02d", i);
		results_add_check(base, "qemu-tcg", HC, "x-a-32", id, CLS_PASS,
				  NULL, "d");
		results_add_check(now, "qemu-tcg", HC, "x-a-32", id, CLS_SKIP,
				  "target qemu-tcg does not run 32-bit images",
				  "d");
	}
	results_add_check(base, "qemu-tcg", HC, "x-b-64", "x.b.one", CLS_PASS,
			  NULL, "d");
	results_add_check(base, "qemu-tcg", HC, "x-b-64", "x.b.two", CLS_XFAIL,
			  "obstacle", "d");
	results_add_check(now, "kvm", HC, "x-b-64", "x.b.one", CLS_PASS, NULL,
			  "d");
}

Test(html, lost_coverage_is_listed)
{
	struct results now, base;
	char *page;

	lost_coverage(&now, &base);
	page = render(&now, &base);
	cr_assert(strstr(page, "<span data-count=\"new\">0</span> new failures"
			       ", <span data-count=\"fixed\">0</span> fixed, "
			       "<span data-count=\"downgraded\">12</span> "
			       "downgraded, <span data-count=\"lost\">2</span>"
			       " lost &mdash; gate <span data-gate=\"passed\">"
			       "passed, with lost coverage</span></h2>"),
		  "%s", page);
	cr_assert(strstr(page, "<p class=\"note\" data-meta=\"lost-coverage\">"
			       "Lost coverage: checks that ran in the baseline "
			       "are skipped now or missing. The gate lets it "
			       "through; --fail-on-lost fails on it.</p>"));
	cr_assert(strstr(page, "<h3>Downgraded (ran in the baseline, skip now)"
			       "</h3>\n<table class=\"diff\" data-list=\""
			       "downgraded\">"));
	cr_assert(strstr(page, "<tr class=\"downgraded\"><td class=\"id\">"
			       "x.a.c00</td><td>qemu-tcg</td><td>" HC "</td>"
			       "<td>pass</td><td class=\"skip\">skip</td><td>"
			       "target qemu-tcg does not run 32-bit images"
			       "</td></tr>"),
		  "%s", page);
	/* ten of one cause, then the other two as a count */
	cr_assert_eq(count(page, "<tr class=\"downgraded\"><td class=\"id\">"),
		     10);
	cr_assert(strstr(page, "<tr class=\"downgraded\" data-more=\"2\"><td "
			       "colspan=\"6\">... and 2 more of qemu-tcg (" HC
			       ") x-a-32, the same way</td></tr>"));
	cr_assert(strstr(page, "<tr class=\"lost\"><td>qemu-tcg</td><td>" HC
			       "</td><td class=\"img\">x-b-64</td><td class=\""
			       "n\" data-lost=\"2\">2</td><td>image not run"
			       "</td></tr>"),
		  "%s", page);
	cr_assert(strstr(page, "<h3>Not in the baseline (every failure counts "
			       "as new)</h3>\n<table class=\"diff\" data-list="
			       "\"uncovered\">\n<tr><th>target</th><th>host "
			       "class</th><th>checks</th></tr>\n<tr class=\""
			       "uncovered\"><td>kvm</td><td>" HC "</td><td "
			       "class=\"n\">1</td></tr>"),
		  "%s", page);
	cr_assert_null(strstr(page, "data-list=\"unseen\""));
	free(page);

	page = render_gate(&now, &base, true);
	cr_assert(strstr(page, "lost &mdash; gate <span data-gate=\"failed\">"
			       "FAILED</span></h2>"),
		  "%s", page);
	cr_assert(strstr(page, "<p class=\"warn\" data-meta=\"lost-coverage\">"
			       "Lost coverage: checks that ran in the baseline "
			       "are skipped now or missing. The gate fails on "
			       "it (--fail-on-lost).</p>"));
	free(page);
	results_free(&now);
	results_free(&base);
}

/* No lost coverage: no sections for it, and the gate passes plainly. */
Test(html, no_lost_coverage_no_sections)
{
	struct results now, base;
	char *page;

	results_init(&now);
	results_init(&base);
	results_add_check(&base, "qemu-tcg", HC, "i", "x.a.one", CLS_PASS, NULL,
			  "d");
	results_add_check(&now, "qemu-tcg", HC, "i", "x.a.one", CLS_PASS, NULL,
			  "d");
	page = render_gate(&now, &base, true);
	cr_assert(strstr(page, "gate <span data-gate=\"passed\">passed</span>"),
		  "%s", page);
	cr_assert_null(strstr(page, "data-meta=\"lost-coverage\""));
	cr_assert_null(strstr(page, "data-list=\"downgraded\""));
	cr_assert_null(strstr(page, "data-list=\"lost\""));
	free(page);
	results_free(&now);
	results_free(&base);
}
