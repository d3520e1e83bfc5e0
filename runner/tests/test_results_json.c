/*
 * Results JSON: written by run, read back by report; the same numbers
 * come out. Also merging shards and refusing conflicts and bad files.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "matrix.h"
#include "results_json.h"
#include "summary.h"

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/popek-json-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(results_json, .init = setup, .fini = teardown);

static void sample(struct results *r, const char *image_prefix,
		   enum check_class second)
{
	struct res_image *im;
	struct res_target *t;
	char img[64], id[64];
	int i;

	results_init(r);
	r->has_host = true;
	hostinfo_set(&r->host, "AuthenticAMD", "AMD EPYC", 25, 1, "fpu umip",
		     "kvm_pvm");
	hostinfo_set_kernel(&r->host, "6.8.0-45-generic");
	r->started = xstrdup("2024-01-01T00:00:00Z");
	r->shard = xstrdup("1/2");
	t = results_add_target(r, "qemu-tcg", r->host.host_class, true, "",
			       "qemu-system-x86_64 -kernel {image}");
	t->seconds = 12.5;
	results_add_target(r, "qemu-kvm", r->host.host_class, false,
			   "cannot open /dev/kvm: No such file or directory",
			   "qemu-system-x86_64 -accel kvm -kernel {image}");
	snprintf(img, sizeof(img), "%s-32", image_prefix);
	im = results_add_image(r, "qemu-tcg", r->host.host_class, img);
	im->width = 32;
	im->ok = false;
	free(im->reason);
	im->reason = xstrdup("timeout after 60 s");
	im->seconds = 60.25;
	for (i = 0; i < 6; i++) {
		snprintf(id, sizeof(id), "%s.group.c%d", image_prefix, i);
		results_add_check(r, "qemu-tcg", r->host.host_class, img, id,
				  i == 1 ? second : (enum check_class)i,
				  i ? "a \"quoted\" <reason>\n" : "",
				  "description");
	}
}

Test(results_json, round_trip)
{
	struct results r, back;
	struct summary s1, s2;
	struct perr e;
	char *path = xasprintf("%s/r.json", dir);
	size_t i;

	sample(&r, "aaa", CLS_FAIL);
	cr_assert_eq(results_json_write(&r, path, &e), 0, "%s", e.msg);
	cr_assert_eq(results_json_load(path, &back, &e), 0, "%s", e.msg);
	cr_assert(back.has_host);
	cr_assert_str_eq(back.host.host_class, "AuthenticAMD-25-1/kvm_pvm");
	cr_assert_str_eq(back.host.model_name, "AMD EPYC");
	cr_assert_str_eq(back.host.kernel, "6.8.0-45-generic");
	cr_assert(hostinfo_has_flag(&back.host, "umip"));
	cr_assert_str_eq(back.started, "2024-01-01T00:00:00Z");
	cr_assert_str_eq(back.shard, "1/2");
	cr_assert_eq(back.ntargets, 2);
	cr_assert(!back.targets[1].available);
	cr_assert_str_eq(back.targets[1].reason,
			 "cannot open /dev/kvm: No such file or directory");
	cr_assert_eq(back.nimages, 1);
	cr_assert(!back.images[0].ok);
	cr_assert_eq(back.images[0].exit_code, -1);
	cr_assert_eq(back.images[0].width, 32);
	cr_assert_str_eq(back.images[0].reason, "timeout after 60 s");
	cr_assert_eq(back.nchecks, 6);
	for (i = 0; i < 6; i++) {
		cr_assert_str_eq(back.checks[i].id, r.checks[i].id);
		cr_assert_eq(back.checks[i].cls, r.checks[i].cls);
		cr_assert_str_eq(back.checks[i].reason, r.checks[i].reason);
	}

	summary_compute(&r, &s1);
	summary_compute(&back, &s2);
	cr_assert_eq(s1.n, 2);
	cr_assert_eq(s2.n, 2);
	for (i = 0; i < s1.n; i++) {
		cr_assert_str_eq(s1.rows[i].target, s2.rows[i].target);
		cr_assert_eq(memcmp(s1.rows[i].counts, s2.rows[i].counts,
				    sizeof(s1.rows[i].counts)),
			     0);
		cr_assert_eq(s1.rows[i].images, s2.rows[i].images);
		cr_assert_eq(s1.rows[i].image_errors, s2.rows[i].image_errors);
		cr_assert_eq(s1.rows[i].available, s2.rows[i].available);
	}
	cr_assert_eq(s2.rows[0].counts[CLS_FAIL], 1);
	cr_assert_eq(s2.rows[0].counts[CLS_ERROR], 1);
	cr_assert_eq(s2.rows[0].images, 1);
	cr_assert_eq(s2.rows[0].image_errors, 1);
	cr_assert_float_eq(s2.rows[0].seconds, 12.5, 1e-9);
	summary_free(&s1);
	summary_free(&s2);
	results_free(&r);
	results_free(&back);
	free(path);
}

Test(results_json, merge_shards_and_conflicts)
{
	struct results a, b, all, dup;
	struct matrix m;
	struct perr e;

	sample(&a, "aaa", CLS_FAIL);
	sample(&b, "bbb", CLS_FAIL);
	results_init(&all);
	cr_assert_eq(results_merge(&all, &a, "a.json", &e), 0);
	cr_assert_eq(results_merge(&all, &b, "b.json", &e), 0);
	/* The same file twice: identical results are fine. */
	cr_assert_eq(results_merge(&all, &a, "a.json", &e), 0);
	cr_assert_eq(all.nchecks, 12);
	cr_assert_eq(all.nimages, 2);
	cr_assert_eq(all.ntargets, 2);
	cr_assert_float_eq(all.targets[0].seconds, 37.5, 1e-9);

	matrix_build(&all, &m);
	cr_assert_eq(m.ncols, 1);
	cr_assert_eq(m.nrows, 12);
	cr_assert_str_eq(m.rows[0].id, "aaa.group.c0");
	cr_assert_eq(m.rows[1].cells[0], CLS_FAIL);
	cr_assert_str_eq(matrix_cell_text(m.rows[1].cells[0]), "FAIL");
	matrix_free(&m);

	sample(&dup, "aaa", CLS_PASS);
	cr_assert_eq(results_merge(&all, &dup, "c.json", &e), -1);
	cr_assert_str_eq(e.msg, "c.json: check aaa.group.c1 on qemu-tcg "
				"(AuthenticAMD-25-1/kvm_pvm) is pass, but an "
				"earlier file says fail");
	results_free(&dup);
	results_free(&a);
	results_free(&b);
	results_free(&all);
}

Test(results_json, merged_file_round_trip)
{
	struct results a, all, back;
	struct perr e;
	char *path = xasprintf("%s/merged.json", dir);

	sample(&a, "aaa", CLS_FAIL);
	results_init(&all);
	cr_assert_eq(results_merge(&all, &a, "a.json", &e), 0);
	cr_assert(!all.has_host);
	cr_assert_eq(results_json_write(&all, path, &e), 0, "%s", e.msg);
	cr_assert_eq(results_json_load(path, &back, &e), 0, "%s", e.msg);
	cr_assert(!back.has_host);
	cr_assert_eq(back.nchecks, 6);
	cr_assert_str_eq(back.checks[0].host_class,
			 "AuthenticAMD-25-1/kvm_pvm");
	results_free(&a);
	results_free(&all);
	results_free(&back);
	free(path);
}

static const char *load_text(const char *text)
{
	static struct perr e;
	struct results r;
	char *path = xasprintf("%s/bad.json", dir);
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	e.msg[0] = '\0';
	if (results_json_load(path, &r, &e) == 0)
		results_free(&r);
	free(path);
	return strrchr(e.msg, '/') ? strrchr(e.msg, '/') + 1 : e.msg;
}

Test(results_json, bad_files)
{
	cr_assert_str_eq(load_text("{\"popek_results\": 1,"),
			 "bad.json:1:20: malformed JSON: string or '}' "
			 "expected near end of file");
	cr_assert_str_eq(load_text("[]"), "bad.json: not a popek results "
					  "file (not a JSON object)");
	cr_assert_str_eq(load_text("{}"), "bad.json: not a popek results file "
					  "(no \"popek_results\" member)");
	cr_assert_str_eq(load_text("{\"popek_results\": 2}"),
			 "bad.json: unsupported results version (this popek "
			 "reads \"popek_results\": 1)");
	cr_assert_str_eq(load_text("{\"popek_results\": 1, \"host\": null}"),
			 "bad.json: \"targets\" must be an array");
	cr_assert_str_eq(
		load_text("{\"popek_results\": 1, \"host\": null, "
			  "\"targets\": [], \"images\": [], \"checks\": "
			  "[{\"target\": \"t\", \"id\": \"a.b.c\", "
			  "\"result\": \"pass\"}]}"),
		"bad.json: checks[0]: \"host_class\" must be a string");
	cr_assert_str_eq(
		load_text("{\"popek_results\": 1, \"host\": null, "
			  "\"targets\": [], \"images\": [], \"checks\": "
			  "[{\"target\": \"t\", \"host_class\": \"h\", "
			  "\"id\": \"a.b.c\", \"result\": \"meh\"}]}"),
		"bad.json: checks[0]: unknown result \"meh\" (expected pass, "
		"fail, xfail, xpass, skip, error or either)");
}

Test(results_json, known_breakage_status_round_trip)
{
	struct results r, back;
	struct perr e;
	char *path = xasprintf("%s/x.json", dir);
	json_error_t je;
	json_t *root;

	sample(&r, "bbb", CLS_XFAIL);
	/* an image that broke, every missing check listed with xerror */
	r.images[0].ok = true;
	cr_assert_eq(results_json_write(&r, path, &e), 0, "%s", e.msg);
	root = json_load_file(path, 0, &je);
	cr_assert(root);
	cr_assert_str_eq(
		json_string_value(json_object_get(
			json_array_get(json_object_get(root, "images"), 0),
			"status")),
		"xerror");
	json_decref(root);
	cr_assert_eq(results_json_load(path, &back, &e), 0, "%s", e.msg);
	cr_assert(back.images[0].ok);
	cr_assert_str_eq(back.images[0].reason, "timeout after 60 s");
	results_free(&r);
	results_free(&back);
	free(path);
}
