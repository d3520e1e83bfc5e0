/*
 * The either result kind in every output: the summary table, the JSON
 * (read back, and old files still read), JUnit, TAP, the HTML page, the
 * gate and the run's verdict. Exact values throughout.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baseline.h"
#include "html.h"
#include "junit.h"
#include "results_json.h"
#include "summary.h"
#include "tap_stream.h"

#define HC "GenuineIntel-6-85/kvm_pvm"

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/popek-either-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(either, .init = setup, .fini = teardown);

static const char passed[] = "passed; either way is expected: BSF flags";
static const char failed[] = "failed; either way is expected: BSF flags "
			     "(saw: flags expected 0x1, saw 0x40)";

/* One target, one image: a pass, two eithers (passed, failed), an xfail. */
static void sample(struct results *r, enum check_class first)
{
	struct res_image *im;

	results_init(r);
	r->has_host = true;
	hostinfo_set(&r->host, "GenuineIntel", "Xeon", 6, 85, "cpuid_fault",
		     "kvm_pvm");
	results_add_target(r, "refvmm-hw", HC, true, "", "refvmm {image}");
	im = results_add_image(r, "refvmm-hw", HC, "x86-instr-bitcount-64");
	im->width = 64;
	im->ok = true;
	results_add_check(r, "refvmm-hw", HC, "x86-instr-bitcount-64",
			  "x86.bit.tzcnt.r16-r16.case0.cpl3.64", first, "",
			  "d0");
	results_add_check(r, "refvmm-hw", HC, "x86-instr-bitcount-64",
			  "x86.bit.tzcnt.r16-r16.case1.64", CLS_EITHER, passed,
			  "d1");
	results_add_check(r, "refvmm-hw", HC, "x86-instr-bitcount-64",
			  "x86.bit.tzcnt.r16-r16.case2.64", CLS_EITHER, failed,
			  "d2");
	results_add_check(r, "refvmm-hw", HC, "x86-instr-bitcount-64",
			  "x86.bit.popcnt.r16-r16.case0.64", CLS_XFAIL,
			  "known infidelity: dies", "d3");
}

static char *slurp(const char *path)
{
	char *text = read_whole_file(path, NULL, &(struct perr){{0}});

	cr_assert_not_null(text, "cannot read %s", path);
	return text;
}

static char *in_memory(void (*write)(FILE *, const void *), const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	write(f, arg);
	fclose(f);
	return buf;
}

static void write_summary(FILE *f, const void *arg)
{
	summary_print(f, arg);
}

Test(either, summary_counts_its_own_column)
{
	struct results r;
	struct summary s;
	char *text;

	sample(&r, CLS_PASS);
	summary_compute(&r, &s);
	cr_assert_eq(s.n, 1);
	cr_assert_eq(s.rows[0].counts[CLS_EITHER], 2);
	cr_assert_eq(s.rows[0].counts[CLS_PASS], 1);
	cr_assert_eq(s.rows[0].counts[CLS_XFAIL], 1);
	cr_assert_eq(s.rows[0].counts[CLS_FAIL], 0);
	text = in_memory(write_summary, &s);
	cr_assert_str_eq(text,
			 "target     host class                  pass   fail  "
			 "xfail  xpass   skip  error either  images img-err "
			 "     time\n"
			 "refvmm-hw  GenuineIntel-6-85/kvm_pvm      1      0 "
			 "     1      0      0      0      2       1       0 "
			 "    0.0 s\n");
	/* an either, passed or failed, never makes the run fail */
	cr_assert(!results_unexpected(&r));
	free(text);
	summary_free(&s);
	results_free(&r);
}

Test(either, json_round_trip)
{
	char *path = xasprintf("%s/r.json", dir);
	struct results r, back;
	json_t *root, *c;
	json_error_t err;
	struct perr e;

	sample(&r, CLS_PASS);
	cr_assert_eq(results_json_write(&r, path, &e), 0, "%s", e.msg);
	root = json_load_file(path, 0, &err);
	cr_assert_not_null(root, "%s", err.text);
	cr_assert_eq(json_integer_value(json_object_get(root, "popek_results")),
		     1);
	c = json_array_get(json_object_get(root, "checks"), 1);
	cr_assert_str_eq(json_string_value(json_object_get(c, "result")),
			 "either");
	cr_assert_str_eq(json_string_value(json_object_get(c, "reason")),
			 passed);
	c = json_array_get(json_object_get(root, "checks"), 2);
	cr_assert_str_eq(json_string_value(json_object_get(c, "result")),
			 "either");
	cr_assert_str_eq(json_string_value(json_object_get(c, "reason")),
			 failed);
	json_decref(root);

	cr_assert_eq(results_json_load(path, &back, &e), 0, "%s", e.msg);
	cr_assert_eq(back.nchecks, 4);
	cr_assert_eq(back.checks[1].cls, CLS_EITHER);
	cr_assert_str_eq(back.checks[1].reason, passed);
	cr_assert_eq(back.checks[2].cls, CLS_EITHER);
	cr_assert_str_eq(back.checks[2].reason, failed);
	cr_assert(!results_unexpected(&back));
	results_free(&back);
	results_free(&r);
	free(path);
}

/* A file as the runner wrote them before either and the kernel release. */
static const char old_file[] =
	"{\"popek_results\": 1,\n"
	" \"host\": {\"vendor\": \"AuthenticAMD\", \"model_name\": \"EPYC\","
	" \"family\": 25, \"model\": 1, \"flags\": [\"umip\"],"
	" \"kvm_backend\": \"kvm_pvm\", \"host_class\":"
	" \"AuthenticAMD-25-1/kvm_pvm\", \"hostname\": \"h\"},\n"
	" \"started\": null, \"shard\": \"1/1\",\n"
	" \"targets\": [{\"name\": \"qemu-kvm\", \"host_class\":"
	" \"AuthenticAMD-25-1/kvm_pvm\", \"available\": true, \"reason\":"
	" null, \"command\": \"q\", \"seconds\": 1.5}],\n"
	" \"images\": [{\"target\": \"qemu-kvm\", \"image\": \"i-64\","
	" \"width\": 64, \"status\": \"xerror\", \"reason\": \"died\","
	" \"exit_code\": null, \"seconds\": 1.5, \"rerun\": \"r\","
	" \"command\": \"c\"}],\n"
	" \"checks\": [{\"target\": \"qemu-kvm\", \"image\": \"i-64\","
	" \"id\": \"a.b.c\", \"result\": \"xpass\", \"reason\": \"listed\","
	" \"description\": \"d\"}, {\"target\": \"qemu-kvm\", \"image\":"
	" \"i-64\", \"id\": \"a.b.d\", \"result\": \"xfail\", \"reason\":"
	" \"known\", \"description\": \"d\"}]}\n";

Test(either, old_files_still_read)
{
	char *path = xasprintf("%s/old.json", dir);
	struct results r;
	struct summary s;
	struct perr e;
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(old_file, f);
	fclose(f);
	cr_assert_eq(results_json_load(path, &r, &e), 0, "%s", e.msg);
	cr_assert_str_eq(r.host.kernel, "");
	cr_assert_str_eq(r.host.host_class, "AuthenticAMD-25-1/kvm_pvm");
	cr_assert_eq(r.nchecks, 2);
	cr_assert_eq(r.checks[0].cls, CLS_XPASS);
	cr_assert_eq(r.checks[1].cls, CLS_XFAIL);
	summary_compute(&r, &s);
	cr_assert_eq(s.rows[0].counts[CLS_EITHER], 0);
	cr_assert_eq(s.rows[0].counts[CLS_XPASS], 1);
	cr_assert(results_unexpected(&r));
	summary_free(&s);
	results_free(&r);
	free(path);
}

Test(either, junit_passes_with_a_note)
{
	char *path = xasprintf("%s/r.xml", dir), *xml;
	struct results r;
	struct perr e;

	sample(&r, CLS_PASS);
	cr_assert_eq(junit_write(&r, path, &e), 0, "%s", e.msg);
	xml = slurp(path);
	/* four checks and the image's boot testcase */
	cr_assert(strstr(xml, "<testsuite name=\"refvmm-hw\" tests=\"5\" "
			      "failures=\"0\" errors=\"0\" skipped=\"0\""),
		  "%s", xml);
	cr_assert(strstr(xml, "  <properties>\n"
			      "   <property name=\"xfail\" value=\"1\"/>\n"
			      "   <property name=\"either\" value=\"2\"/>\n"),
		  "%s", xml);
	cr_assert(strstr(xml, "name=\"x86.bit.tzcnt.r16-r16.case1.64\" "
			      "time=\"0.000\">\n"
			      "   <system-out>either: passed; either way is "
			      "expected: BSF flags</system-out>\n"
			      "  </testcase>\n"),
		  "%s", xml);
	cr_assert(strstr(xml, "name=\"x86.bit.tzcnt.r16-r16.case2.64\" "
			      "time=\"0.000\">\n"
			      "   <system-out>either: failed; either way is "
			      "expected: BSF flags (saw: flags expected 0x1, "
			      "saw 0x40)</system-out>\n"
			      "  </testcase>\n"),
		  "%s", xml);
	cr_assert_null(strstr(xml, "<failure"), "%s", xml);
	free(xml);
	results_free(&r);
	free(path);
}

static void write_tap(FILE *f, const void *arg)
{
	tap_stream_write(f, arg);
}

Test(either, tap_is_a_todo)
{
	struct results r;
	char *text;

	sample(&r, CLS_PASS);
	text = in_memory(write_tap, &r);
	cr_assert_str_eq(
		text,
		"TAP version 13\n"
		"ok 1 - refvmm-hw:x86.bit.tzcnt.r16-r16.case0.cpl3.64\n"
		"ok 2 - refvmm-hw:x86.bit.tzcnt.r16-r16.case1.64 # TODO "
		"either: passed; either way is expected: BSF flags\n"
		"not ok 3 - refvmm-hw:x86.bit.tzcnt.r16-r16.case2.64 # TODO "
		"either: failed; either way is expected: BSF flags (saw: "
		"flags expected 0x1, saw 0x40)\n"
		"not ok 4 - refvmm-hw:x86.bit.popcnt.r16-r16.case0.64 # TODO "
		"xfail: known infidelity: dies\n"
		"ok 5 - refvmm-hw:x86-instr-bitcount-64:boot\n"
		"1..5\n");
	free(text);
	results_free(&r);
}

static char *render(const struct results *now, const struct results *base,
		    struct baseline_diff *d)
{
	char *path = xasprintf("%s/r.html", dir), *html;
	struct summary s;
	struct matrix m;
	struct perr e;

	matrix_build(now, &m);
	summary_compute(now, &s);
	cr_assert_eq(html_write(path, &m, &s, base ? d : NULL, NULL, &e), 0,
		     "%s", e.msg);
	html = slurp(path);
	matrix_free(&m);
	summary_free(&s);
	free(path);
	return html;
}

Test(either, html_counts_and_cells)
{
	struct results r;
	char *html;

	sample(&r, CLS_PASS);
	html = render(&r, NULL, NULL);
	cr_assert(strstr(html, "<th class=\"either\">either</th>"), "%s", html);
	cr_assert(strstr(html, "<td class=\"n\" data-cls=\"either\">2</td>"),
		  "%s", html);
	/* every check is as expected: pass, either and xfail */
	cr_assert(strstr(html, "<td class=\"n\" data-cls=\"total\">4</td>"
			       "<td class=\"n\">100.0%</td>"),
		  "%s", html);
	cr_assert(strstr(html, "<td class=\"either\" title=\"passed; either "
			       "way is expected: BSF flags\">either</td>"),
		  "%s", html);
	cr_assert(strstr(html, "value=\"either\" checked>either</label>"), "%s",
		  html);
	free(html);
	results_free(&r);
}

Test(either, gate_does_not_fail)
{
	struct results base, now;
	struct baseline_diff d;
	char *html;

	/* baseline: all pass; now: two eithers, one of them failed */
	sample(&base, CLS_PASS);
	base.checks[1].cls = CLS_PASS;
	base.checks[2].cls = CLS_PASS;
	sample(&now, CLS_PASS);
	baseline_compare(&now, &base, &d);
	cr_assert_eq(d.nnew, 0);
	cr_assert_eq(d.nfixed, 0);
	html = render(&now, &base, &d);
	cr_assert(strstr(html, "0</span> new failures"), "%s", html);
	cr_assert(strstr(html, "gate <span data-gate=\"passed\">passed</span>"),
		  "%s", html);
	free(html);
	baseline_free(&d);

	/* a check absent from the baseline that is either now: not new */
	results_free(&base);
	results_init(&base);
	baseline_compare(&now, &base, &d);
	cr_assert_eq(d.nnew, 0);
	baseline_free(&d);

	/* fail before, either now: fixed; xpass now is still new */
	results_free(&base);
	sample(&base, CLS_PASS);
	base.checks[2].cls = CLS_FAIL;
	now.checks[0].cls = CLS_XPASS;
	baseline_compare(&now, &base, &d);
	cr_assert_eq(d.nnew, 1);
	cr_assert_str_eq(d.new_failures[0].id,
			 "x86.bit.tzcnt.r16-r16.case0.cpl3.64");
	cr_assert_eq(d.nfixed, 1);
	cr_assert_str_eq(d.fixed[0].id, "x86.bit.tzcnt.r16-r16.case2.64");
	cr_assert_eq(d.fixed[0].now, CLS_EITHER);
	baseline_free(&d);
	results_free(&base);
	results_free(&now);
}
