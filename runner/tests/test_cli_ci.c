/*
 * The CLI a CI job uses, through the popek binary: the gate's lost
 * coverage, --fail-on-lost, the host class warning, the statuses of an
 * unreadable baseline (5) and of a filter that matches nothing (6),
 * report --quiet, a results file of format 1 read as a baseline, the
 * gate on the HTML page, output paths checked before any work, and
 * per-command help.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_scratch.h"
#include "util.h"

#define V1    POPEK_SOURCE_DIR "/runner/tests/data/results-v1.json"
#define AMD   "AuthenticAMD-25-1/kvm_amd"
#define INTEL "GenuineIntel-6-85/kvm_intel"

static char dir[CLI_SCRATCH_LEN];

static void setup(void)
{
	cli_scratch_make(dir, "gate");
}

static void teardown(void)
{
	cli_scratch_remove(dir);
}

TestSuite(gate, .init = setup, .fini = teardown);

struct out {
	char *out, *err;
	int status;
};

static char *slurp(const char *path)
{
	return cli_scratch_read(path);
}

/* Run popek with the arguments (NULL-terminated); stdout and stderr kept. */
static struct out popek(const char *arg, ...)
{
	char *argv[24] = {POPEK_BIN}, *o = xasprintf("%s/stdout", dir),
	     *e = xasprintf("%s/stderr", dir);
	struct out r;
	int n = 1, status;
	va_list ap;
	pid_t pid;

	va_start(ap, arg);
	for (; arg; arg = va_arg(ap, const char *))
		argv[n++] = (char *)arg;
	va_end(ap);
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		dup2(open(o, O_WRONLY | O_CREAT | O_TRUNC, 0644), 1);
		dup2(open(e, O_WRONLY | O_CREAT | O_TRUNC, 0644), 2);
		execv(argv[0], argv);
		_exit(126);
	}
	waitpid(pid, &status, 0);
	cr_assert(WIFEXITED(status));
	r.status = WEXITSTATUS(status);
	r.out = slurp(o);
	r.err = slurp(e);
	free(o);
	free(e);
	return r;
}

static void out_free(struct out *r)
{
	free(r->out);
	free(r->err);
}

#define HAS(s, text)                                                           \
	cr_assert_not_null(strstr(s, text), "no '%s' in:\n%s", text, s)
#define LACKS(s, text) cr_assert_null(strstr(s, text), "'%s' in:\n%s", text, s)

/*
 * A merged results file (host null) of qemu-tcg on host class hc with
 * the given "id=result" checks; the image is img-a or img-b after the id's
 * second part. Returns its path.
 */
static char *results_file(const char *name, const char *hc, ...)
{
	char *path = xasprintf("%s/%s", dir, name);
	const char *c;
	bool first = true;
	FILE *f = fopen(path, "w");
	va_list ap;

	cr_assert_not_null(f);
	fprintf(f,
		"{\"popek_results\": 1, \"host\": null, \"started\": "
		"\"2026-12-01T00:00:00Z\", \"shard\": \"1/1\",\n"
		"\"targets\": [{\"name\": \"qemu-tcg\", \"host_class\": "
		"\"%s\", \"available\": true, \"reason\": null}],\n"
		"\"images\": [],\n\"checks\": [\n",
		hc);
	va_start(ap, hc);
	while ((c = va_arg(ap, const char *))) {
		const char *eq = strchr(c, '=');

		fprintf(f,
			"%s{\"target\": \"qemu-tcg\", \"host_class\": \"%s\", "
			"\"image\": \"img-%c\", \"id\": \"%.*s\", \"result\": "
			"\"%s\", \"reason\": \"r\"}\n",
			first ? "" : ",", hc, c[2], (int)(eq - c), c, eq + 1);
		first = false;
	}
	va_end(ap);
	fputs("]}\n", f);
	fclose(f);
	return path;
}

/* Coverage lost two ways: img-b vanished, two checks skipped now. */
static char *lossy_run(void)
{
	return results_file("now.json", AMD, "a.a.pass=skip", "a.a.xfail=skip",
			    "a.a.skip=skip", NULL);
}

Test(gate, lost_coverage_is_reported_and_passes_by_default)
{
	char *now = lossy_run();
	struct out r = popek("report", now, "--baseline", V1, NULL);

	cr_assert_eq(r.status, 0, "status %d: %s", r.status, r.err);
	HAS(r.out, "\nnew failures: 0\nfixed: 0\n"
		   "downgraded: 2 (ran in the baseline, skip now)\n"
		   "  a.a.pass  qemu-tcg (" AMD "): pass -> skip: r\n"
		   "  a.a.xfail  qemu-tcg (" AMD "): xfail -> skip: r\n"
		   "lost: 2 (ran in the baseline, not in this run)\n"
		   "  qemu-tcg (" AMD ") img-b: 2 checks (image not run)\n"
		   "gate: passed, with lost coverage (2 lost, 2 downgraded; "
		   "--fail-on-lost fails on it)\n");
	cr_assert_str_eq(r.err, "");
	out_free(&r);
	free(now);
}

Test(gate, fail_on_lost)
{
	char *now = lossy_run();
	struct out r =
		popek("report", now, "--baseline", V1, "--fail-on-lost", NULL);

	cr_assert_eq(r.status, 1, "status %d: %s", r.status, r.err);
	HAS(r.out, "\ngate: FAILED (2 lost, 2 downgraded: --fail-on-lost)\n");
	out_free(&r);
	/* the same baseline against itself loses nothing */
	r = popek("report", V1, "--baseline", V1, "--fail-on-lost", NULL);
	cr_assert_eq(r.status, 0, "status %d: %s", r.status, r.err);
	HAS(r.out, "\nlost: 0\ngate: passed\n");
	out_free(&r);
	r = popek("report", now, "--fail-on-lost", NULL);
	cr_assert_eq(r.status, 2);
	cr_assert_str_eq(r.err,
			 "popek: report: --fail-on-lost needs --baseline F\n");
	out_free(&r);
	free(now);
}

Test(gate, baseline_of_another_host_class_warns)
{
	char *now = results_file("intel.json", INTEL, "a.a.pass=fail",
				 "a.a.xfail=pass", NULL);
	struct out r = popek("report", now, "--baseline", V1, NULL);

	cr_assert_eq(r.status, 1);
	cr_assert_str_eq(r.err,
			 "popek: warning: baseline " V1 " has nothing for "
			 "qemu-tcg on host class " INTEL
			 " (a host class it never ran on): its 2 checks "
			 "count as absent there\n");
	HAS(r.out, "  a.a.pass  qemu-tcg (" INTEL "): absent -> fail: r\n");
	/* the baseline's own class is not this host's loss */
	HAS(r.out, "lost: 0\nnot in the baseline:\n  qemu-tcg (" INTEL
		   "): 2 checks, every failure counts as new\n"
		   "not compared (host classes this run lacks):\n"
		   "  qemu-tcg (" AMD "): 5 checks\n"
		   "gate: FAILED (1 new failure)\n");
	out_free(&r);
	free(now);
}

Test(gate, unreadable_baseline_has_its_own_status)
{
	char *now = lossy_run(), *missing = xasprintf("%s/none.json", dir),
	     *bad = results_file("bad.json", AMD, NULL);
	struct out r = popek("report", now, "--baseline", missing, NULL);
	char *want = xasprintf("popek: report: cannot read the baseline: "
			       "%s: unable to open %s: No such file or "
			       "directory\n",
			       missing, missing);

	cr_assert_eq(r.status, 5);
	cr_assert_str_eq(r.err, want);
	cr_assert_str_eq(r.out, "");
	out_free(&r);
	free(want);
	/* truncated JSON */
	cr_assert_eq(truncate(bad, 20), 0);
	r = popek("report", now, "--baseline", bad, NULL);
	cr_assert_eq(r.status, 5);
	HAS(r.err, "popek: report: cannot read the baseline: ");
	out_free(&r);
	/* an unreadable results file is not the baseline: still 1 */
	r = popek("report", missing, "--baseline", V1, NULL);
	cr_assert_eq(r.status, 1);
	out_free(&r);
	free(now);
	free(missing);
	free(bad);
}

Test(gate, report_quiet_shows_only_rows_that_are_not_pass)
{
	struct out r = popek("report", V1, "--quiet", NULL);
	char *now;

	cr_assert_eq(r.status, 0, "status %d: %s", r.status, r.err);
	HAS(r.out, "check      qemu-tcg                 \n"
		   "           " AMD "\n"
		   "a.a.skip   skip                     \n"
		   "a.a.xfail  xfail                    \n"
		   "a.b.fail   FAIL                     \n"
		   "(3 of 5 checks shown; the other 2 pass in every column)\n"
		   "\ntarget");
	LACKS(r.out, "a.a.pass");
	out_free(&r);
	r = popek("report", V1, "-q", NULL);
	cr_assert_eq(r.status, 0);
	LACKS(r.out, "a.b.pass");
	out_free(&r);
	/* nothing but passes: no header over no rows */
	now = results_file("green.json", AMD, "a.a.pass=pass", "a.b.pass=pass",
			   NULL);
	r = popek("report", now, "--quiet", NULL);
	cr_assert_eq(r.status, 0);
	cr_assert(str_starts(r.out, "(0 of 2 checks shown; all pass in every "
				    "column)\n\ntarget "),
		  "%s", r.out);
	out_free(&r);
	free(now);
}

/* Format 1, as popek wrote it before this work, stays a valid baseline. */
Test(gate, format_1_file_is_a_baseline)
{
	char *merged = xasprintf("%s/merged.json", dir);
	struct out r = popek("report", V1, "--json", merged, NULL);

	cr_assert_eq(r.status, 0, "status %d: %s", r.status, r.err);
	out_free(&r);
	r = popek("report", merged, "--baseline", V1, "--fail-on-lost", NULL);
	cr_assert_eq(r.status, 0, "status %d: %s", r.status, r.err);
	HAS(r.out, "\nnew failures: 0\nfixed: 0\ndowngraded: 0\nlost: 0\n"
		   "gate: passed\n");
	cr_assert_str_eq(r.err, "");
	out_free(&r);
	free(merged);
}

/* The page says what the CI log says: lost coverage and the verdict. */
Test(gate, html_shows_lost_coverage)
{
	char *now = lossy_run(), *html = xasprintf("%s/report.html", dir),
	     *page;
	struct out r = popek("report", now, "--baseline", V1, "--fail-on-lost",
			     "--html", html, NULL);

	cr_assert_eq(r.status, 1, "status %d: %s", r.status, r.err);
	page = slurp(html);
	HAS(page, "<span data-count=\"downgraded\">2</span> downgraded, <span "
		  "data-count=\"lost\">2</span> lost &mdash; gate <span "
		  "data-gate=\"failed\">FAILED</span></h2>");
	HAS(page, "<tr class=\"downgraded\"><td class=\"id\">a.a.xfail</td>"
		  "<td>qemu-tcg</td><td>" AMD "</td><td>xfail</td><td class=\""
		  "skip\">skip</td><td>r</td></tr>");
	HAS(page, "<tr class=\"lost\"><td>qemu-tcg</td><td>" AMD "</td><td "
		  "class=\"img\">img-b</td><td class=\"n\" data-lost=\"2\">2"
		  "</td><td>image not run</td></tr>");
	free(page);
	out_free(&r);
	/* without --fail-on-lost the same run passes, as its status says */
	r = popek("report", now, "--baseline", V1, "--html", html, NULL);
	cr_assert_eq(r.status, 0, "status %d: %s", r.status, r.err);
	page = slurp(html);
	HAS(page, "gate <span data-gate=\"passed\">passed, with lost coverage"
		  "</span></h2>");
	free(page);
	out_free(&r);
	free(html);
	free(now);
}

/* A CI job must not learn after the work that it cannot keep the result. */
Test(gate, output_paths_are_checked_first)
{
	char *none = xasprintf("%s/none/out.json", dir),
	     *want = xasprintf("popek: report: --json %s: cannot write in "
			       "%s/none: No such file or directory\n",
			       none, dir);
	struct out r = popek("report", V1, "--json", none, NULL);

	cr_assert_eq(r.status, 2, "status %d: %s", r.status, r.err);
	cr_assert_str_eq(r.err, want);
	cr_assert_str_eq(r.out, "", "the matrix before the refusal");
	out_free(&r);
	free(want);
	r = popek("report", V1, "--baseline", V1, "--html", dir, NULL);
	cr_assert_eq(r.status, 2, "status %d: %s", r.status, r.err);
	want = xasprintf("popek: report: --html %s: is a directory\n", dir);
	cr_assert_str_eq(r.err, want);
	cr_assert_str_eq(r.out, "");
	out_free(&r);
	free(want);
	/* bench: before the images are even looked at (dir has none) */
	r = popek("bench", "-t", "refvmm-trap", "--images", dir, "--json", none,
		  NULL);
	cr_assert_eq(r.status, 2, "status %d: %s", r.status, r.err);
	want = xasprintf("popek: bench: --json %s: cannot write in %s/none: "
			 "No such file or directory\n",
			 none, dir);
	cr_assert_str_eq(r.err, want);
	out_free(&r);
	free(want);
	free(none);
	/* iso: before the images are read */
	none = xasprintf("%s/none/x.iso", dir);
	r = popek("iso", "-o", none, "--images", dir, NULL);
	cr_assert_eq(r.status, 2, "status %d: %s", r.status, r.err);
	want = xasprintf("popek: iso: -o %s: cannot write in %s/none: No "
			 "such file or directory\n",
			 none, dir);
	cr_assert_str_eq(r.err, want);
	out_free(&r);
	free(want);
	free(none);
}

#ifdef POPEK_PERF_IMAGE_DIR
/*
 * bench filters match a benchmark ("callret", "callret.64") or an image.
 * The target ends at once, so a bench that ignored the misspelt filter
 * fails this test in a second, not after a benchmark run.
 */
Test(gate, bench_filter_that_matches_nothing)
{
	char *conf = xasprintf("%s/quick.conf", dir),
	     *json = xasprintf("%s/b.json", dir);
	FILE *f = fopen(conf, "w");
	struct out r;

	cr_assert_not_null(f);
	fputs("name = quick\ndescription = ends at once\n"
	      "command = /bin/false {image}\n",
	      f);
	fclose(f);
	r = popek("bench", "-t", "quick", "--targets", dir, "--json", json,
		  "--images", POPEK_PERF_IMAGE_DIR, "callret.64",
		  "perf-bench-32", "calret", NULL);
	cr_assert_eq(r.status, 6, "status %d: %s", r.status, r.err);
	cr_assert_str_eq(
		r.err, "popek: bench: filter 'calret' matches no "
		       "benchmark or image name in " POPEK_PERF_IMAGE_DIR "\n");
	cr_assert_str_eq(r.out, "");
	out_free(&r);
}
#endif

#ifdef POPEK_SMOKE_IMAGE_DIR
/* A misspelt filter among good ones used to narrow the run silently. */
Test(gate, filter_that_matches_nothing)
{
	static const char want[] =
		"popek: %s: filter 'conformnce-*' matches no image name or "
		"check id in " POPEK_SMOKE_IMAGE_DIR "\n";
	char *msg, *iso;
	struct out r = popek("list", "--images", POPEK_SMOKE_IMAGE_DIR,
			     "runtime-smoke-*", "conformnce-*", NULL);

	cr_assert_eq(r.status, 6);
	msg = xasprintf(want, "list");
	cr_assert_str_eq(r.err, msg);
	cr_assert_str_eq(r.out, "");
	free(msg);
	out_free(&r);
	/* refused before anything runs: nothing on stdout */
	r = popek("run", "-t", "qemu-tcg", "--images", POPEK_SMOKE_IMAGE_DIR,
		  "runtime-smoke-*", "conformnce-*", NULL);
	cr_assert_eq(r.status, 6);
	msg = xasprintf(want, "run");
	cr_assert_str_eq(r.err, msg);
	cr_assert_str_eq(r.out, "");
	free(msg);
	out_free(&r);
	/* a check id is a match too */
	r = popek("list", "--images", POPEK_SMOKE_IMAGE_DIR,
		  "runtime.smoke.int3.64", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	HAS(r.out, "runtime-smoke-64 (64-bit, ");
	out_free(&r);
	/* iso refuses it before building anything */
	iso = xasprintf("%s/x.iso", dir);
	r = popek("iso", "-o", iso, "--images", POPEK_SMOKE_IMAGE_DIR,
		  "runtime-smoke-*", "conformnce-*", NULL);
	cr_assert_eq(r.status, 6);
	msg = xasprintf(want, "iso");
	cr_assert_str_eq(r.err, msg);
	cr_assert_str_eq(r.out, "");
	cr_assert_neq(access(iso, F_OK), 0);
	free(msg);
	free(iso);
	out_free(&r);
}
#endif

/* The commands the global usage lists: its lines indented by two. */
static char **usage_commands(size_t *n)
{
	struct out r = popek("help", NULL);
	char **v = NULL, *line, *save = NULL;

	cr_assert_eq(r.status, 0);
	*n = 0;
	for (line = strtok_r(r.out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "  ", 2) || line[2] == ' ')
			continue;
		v = xrealloc(v, (*n + 1) * sizeof(*v));
		v[(*n)++] = xstrndup(line + 2, strcspn(line + 2, " "));
	}
	out_free(&r);
	return v;
}

Test(gate, every_command_has_help)
{
	size_t n, i;
	char **cmds = usage_commands(&n), *start;

	cr_assert_geq(n, 8, "%zu commands in the usage", n);
	for (i = 0; i < n; i++) {
		struct out a = popek(cmds[i], "--help", NULL),
			   b = popek(cmds[i], "-h", NULL),
			   c = popek("help", cmds[i], NULL);

		start = xasprintf("usage: popek %s", cmds[i]);
		cr_assert_eq(a.status, 0, "%s --help: %d %s", cmds[i], a.status,
			     a.err);
		cr_assert(str_starts(a.out, start), "%s", a.out);
		cr_assert_str_eq(a.err, "");
		cr_assert_eq(b.status, 0, "%s -h: %s", cmds[i], b.err);
		cr_assert_str_eq(b.out, a.out);
		cr_assert_eq(c.status, 0, "help %s: %s", cmds[i], c.err);
		cr_assert_str_eq(c.out, a.out);
		free(start);
		out_free(&a);
		out_free(&b);
		out_free(&c);
		free(cmds[i]);
	}
	free(cmds);
}

/*
 * Every --option of a command's synopsis is explained below it: an
 * option added to the usage without a line of help fails here.
 */
Test(gate, help_explains_every_option)
{
	static const char *const cmds[] = {"targets", "list",	     "run",
					   "report",  "bench",	     "iso",
					   "ingest",  "check-target"};
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct out r = popek("help", cmds[i], NULL);
		char *body = strstr(r.out, "\n\n"), *p, *opt;

		cr_assert_not_null(body, "%s: no option list:\n%s", cmds[i],
				   r.out);
		*body = '\0';
		for (p = strstr(r.out, "--"); p; p = strstr(p + 2, "--")) {
			opt = xstrndup(
				p, strspn(p, "-abcdefghijklmnopqrstuvwxyz"));
			cr_assert_not_null(strstr(body + 1, opt),
					   "popek help %s does not explain %s",
					   cmds[i], opt);
			free(opt);
		}
		out_free(&r);
	}
}

Test(gate, help_wins_over_other_arguments)
{
	struct out r = popek("run", "--bogus", "-t", "no-such", "-h", NULL);

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(str_starts(r.out, "usage: popek run "));
	out_free(&r);
	/* after --, -h is an argument, not a request */
	r = popek("list", "--", "-h", NULL);
	cr_assert_neq(r.status, 0);
	out_free(&r);
	r = popek("help", "frobnicate", NULL);
	cr_assert_eq(r.status, 2);
	cr_assert_str_eq(r.err, "popek: help: unknown command 'frobnicate'\n");
	cr_assert_str_eq(r.out, "");
	out_free(&r);
}
