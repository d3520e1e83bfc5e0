/*
 * popek report: merge result files from many runs and hosts into one
 * matrix, compare with a baseline (the CI gate), render HTML.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "cmd.h"
#include "html.h"
#include "matrix.h"
#include "outpath.h"
#include "results.h"
#include "results_json.h"
#include "summary.h"

/* Load and merge files into *all (initialised here). */
static int load_merged(char **files, int n, struct results *all, struct perr *e)
{
	struct results one;
	int i;

	results_init(all);
	for (i = 0; i < n; i++) {
		if (results_json_load(files[i], &one, e) < 0)
			goto err;
		if (results_merge(all, &one, files[i], e) < 0) {
			results_free(&one);
			goto err;
		}
		results_free(&one);
	}
	return 0;
err:
	results_free(all);
	return -1;
}

int cmd_report(int argc, char **argv, struct perr *e)
{
	static const struct option opts[] = {
		{"baseline", required_argument, NULL, 'B'},
		{"html", required_argument, NULL, 'H'},
		{"json", required_argument, NULL, 'J'},
		{"fail-on-lost", no_argument, NULL, 'L'},
		{"quiet", no_argument, NULL, 'q'},
		{NULL, 0, NULL, 0},
	};
	const char *baseline = NULL, *html = NULL, *json = NULL;
	bool fail_on_lost = false, quiet = false;
	struct baseline_diff diff, *dp = NULL;
	struct html_meta meta;
	struct results all, base;
	struct summary sum;
	struct matrix m;
	int c, ret = POPEK_EXIT_OK;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":q", opts, NULL)) != -1) {
		if (c == 'B')
			baseline = optarg;
		else if (c == 'H')
			html = optarg;
		else if (c == 'J')
			json = optarg;
		else if (c == 'L')
			fail_on_lost = true;
		else if (c == 'q')
			quiet = true;
		else
			return usage_error(e, "report", c, optopt,
					   argv[optind - 1]);
	}
	if (optind >= argc) {
		perr_set(e, "report: no results files given");
		return POPEK_EXIT_USAGE;
	}
	if (fail_on_lost && !baseline) {
		perr_set(e, "report: --fail-on-lost needs --baseline F");
		return POPEK_EXIT_USAGE;
	}
	/* before the merge, which can take a while on a farm's shards */
	if ((html && outpath_check("report", "--html", html, e) < 0) ||
	    (json && outpath_check("report", "--json", json, e) < 0))
		return POPEK_EXIT_USAGE;
	if (load_merged(argv + optind, argc - optind, &all, e) < 0)
		return POPEK_EXIT_UNEXPECTED;
	if (baseline) {
		/* its own status: a broken baseline is not a verdict */
		if (load_merged((char **)&baseline, 1, &base, e) < 0) {
			struct perr why = *e;

			perr_set(e, "report: cannot read the baseline: %s",
				 why.msg);
			results_free(&all);
			return POPEK_EXIT_NO_BASELINE;
		}
		baseline_compare(&all, &base, &diff);
		dp = &diff;
		baseline_warn(stderr, dp, baseline);
	}
	matrix_build(&all, &m);
	summary_compute(&all, &sum);
	matrix_print(stdout, &m, quiet);
	fputc('\n', stdout);
	summary_print(stdout, &sum);
	if (dp) {
		fputc('\n', stdout);
		baseline_print(stdout, dp, fail_on_lost);
		if (baseline_failed(dp, fail_on_lost))
			ret = POPEK_EXIT_UNEXPECTED;
	}
	fflush(stdout);
	meta.now = &all;
	meta.baseline = baseline;
	meta.base = dp ? &base : NULL;
	meta.fail_on_lost = fail_on_lost;
	if (html && html_write(html, &m, &sum, dp, &meta, e) < 0)
		ret = POPEK_EXIT_UNEXPECTED;
	else if (json && results_json_write(&all, json, e) < 0)
		ret = POPEK_EXIT_UNEXPECTED;
	matrix_free(&m);
	summary_free(&sum);
	if (dp) {
		baseline_free(dp);
		results_free(&base);
	}
	results_free(&all);
	return ret;
}
