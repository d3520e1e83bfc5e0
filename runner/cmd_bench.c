/*
 * popek bench: boot each perf image once per benchmark on each target
 * (the benchmark chosen by patching the image, bench_image.h), read the
 * guest's cycles per operation from its `# bench` line and, on refvmm
 * targets, the monitor's counters; two more refvmm runs of fixed sizes N
 * and 2N turn counters into counters per operation. Prints one table, writes
 * JSON and a chart (docs/perf.md).
 */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "bench_image.h"
#include "cmd.h"
#include "elf_image.h"
#include "job.h"
#include "outpath.h"
#include "run_args.h"

#ifndef POPEK_SOURCE_DIR
#define POPEK_SOURCE_DIR "."
#endif
#ifndef POPEK_PERF_IMAGE_DIR
#define POPEK_PERF_IMAGE_DIR "build/perf-images"
#endif

/* The counter runs' N when --counter-iters does not say (the counter
 * guard's too): large enough that a once-per-run event reads below 0.01
 * per operation, small enough for forkwait under trap mode. */
#define BENCH_COUNTER_ITERS 128

/* The options of popek bench beyond those popek run shares. */
struct bench_opts {
	struct run_args a;
	unsigned scale, reps;
	unsigned counter_iters;
	bool counters;
};

/* What a job is for. */
struct bench_job {
	size_t row, target;
	unsigned iters; /* 0: the timing run; else a counter run's size */
};

struct bench_run {
	struct bench_opts o;
	struct hostinfo host;
	struct target_list tl;
	struct image_list il;
	char **why; /* per target: NULL when usable */
	struct bench_set set;
	struct job *jobs;
	struct bench_job *bj;
	size_t njobs;
	bool *refvmm; /* per target: its command runs refvmm */
	size_t rows_cap;
	char *tmpdir;
	char **tmpfiles;
	size_t ntmpfiles;
};

static int take_opt(void *ctx, int c, const char *arg, struct perr *e)
{
	struct bench_opts *o = ctx;

	switch (c) {
	case 's':
		return run_args_uint("bench", "--scale", arg, 1,
				     BENCH_MAX_SCALE / 2, &o->scale, e);
	case 'r':
		return run_args_uint("bench", "--reps", arg, 1, BENCH_MAX_REPS,
				     &o->reps, e);
	case 'N':
		o->counters = false;
		break;
	case 'C':
		return run_args_uint("bench", "--counter-iters", arg, 1,
				     1000000, &o->counter_iters, e);
	}
	return 0;
}

static int parse_opts(struct bench_opts *o, int argc, char **argv,
		      struct perr *e)
{
	static const struct option opts[] = {
		{"scale", required_argument, NULL, 's'},
		{"reps", required_argument, NULL, 'r'},
		{"no-counters", no_argument, NULL, 'N'},
		{"counter-iters", required_argument, NULL, 'C'},
		{NULL, 0, NULL, 0},
	};
	const struct run_args_spec spec = {"bench", 64, opts, take_opt, o};
	int ret;

	o->a.jobs = 1;
	o->scale = 100;
	o->counter_iters = BENCH_COUNTER_ITERS;
	o->reps = 7;
	o->a.json = "bench.json";
	o->counters = true;
	ret = run_args_parse(&o->a, &spec, argc, argv, e);
	if (ret)
		return ret;
	if (!str_ends(o->a.json, ".json")) {
		perr_set(e,
			 "bench: --json '%s' must end in .json (the chart "
			 "is written beside it)",
			 o->a.json);
		return POPEK_EXIT_USAGE;
	}
	/* the chart goes beside it: one check covers both */
	if (outpath_check("bench", "--json", o->a.json, e) < 0)
		return POPEK_EXIT_USAGE;
	return 0;
}

/* Selected when a filter matches; matched[i] notes that filter i did. */
static bool row_selected(const struct bench_opts *o, const char *row,
			 const char *bench, const char *image, bool *matched)
{
	bool any = !o->a.nfilters;

	for (int i = 0; i < o->a.nfilters; i++)
		if (!fnmatch(o->a.filters[i], row, 0) ||
		    !fnmatch(o->a.filters[i], bench, 0) ||
		    !fnmatch(o->a.filters[i], image, 0))
			any = matched[i] = true;
	return any;
}

/* A misspelt filter among good ones would drop its rows silently: as
 * run and list do, it stops the command with its own status. */
static int filters_match(const struct bench_run *r, const bool *matched,
			 const char *dir, struct perr *e)
{
	for (int i = 0; i < r->o.a.nfilters; i++)
		if (!matched[i]) {
			perr_set(e,
				 "bench: filter '%s' matches no benchmark or "
				 "image name in %s",
				 r->o.a.filters[i], dir);
			return POPEK_EXIT_NO_MATCH;
		}
	return 0;
}

/* Rows from the images' declared checks: perf.NAME.ran.WIDTH. 0, or an
 * exit status. */
static int make_rows(struct bench_run *r, const char *dir, struct perr *e)
{
	struct bench_set *s = &r->set;
	bool *matched = xcalloc((size_t)r->o.a.nfilters + 1, sizeof(*matched));
	int ret;

	for (size_t i = 0; i < r->il.n; i++) {
		const struct image *img = &r->il.v[i];

		for (size_t k = 0; k < img->nchecks; k++) {
			const char *id = img->checks[k].id;
			char bench[BENCH_SELECT_MAX], tail[16];
			struct bench_row *row;
			int n = 0;

			if (sscanf(id, "perf.%31[a-z0-9_-].ran.%15s%n", bench,
				   tail, &n) != 2 ||
			    id[n] || strtoul(tail, NULL, 10) != img->width)
				continue;
			char *name = xasprintf("%s.%u", bench, img->width);

			if (!row_selected(&r->o, name, bench, img->name,
					  matched)) {
				free(name);
				continue;
			}
			VEC_GROW(s->rows, s->nrows, r->rows_cap);
			row = &s->rows[s->nrows++];
			memset(row, 0, sizeof(*row));
			row->name = name;
			row->bench = xstrdup(bench);
			row->width = img->width;
			row->image = img->name;
			row->cells = xcalloc(s->ntargets, sizeof(*row->cells));
		}
	}
	ret = r->il.n ? filters_match(r, matched, dir, e) : 0;
	free(matched);
	if (ret)
		return ret;
	if (!s->nrows) {
		perr_set(e, "bench: no benchmark in %s%s", dir,
			 r->o.a.nfilters ? " matches the filters"
					 : " (build the perf images)");
		return POPEK_EXIT_NOTHING_RAN;
	}
	return 0;
}

static bool runs_refvmm(char **argv)
{
	const char *slash = strrchr(argv[0], '/');

	return !strcmp(slash ? slash + 1 : argv[0], "refvmm");
}

/* The patched copy of an image for one benchmark and size. */
static char *patched_image(struct bench_run *r, const struct bench_row *row,
			   const struct image *img, unsigned iters,
			   struct perr *e)
{
	struct bench_params p = {row->bench, r->o.scale, r->o.reps, iters};
	char *path = xasprintf("%s/%s.%s.n%u.elf", r->tmpdir, img->name,
			       row->bench, iters);

	for (size_t i = 0; i < r->ntmpfiles; i++)
		if (!strcmp(r->tmpfiles[i], path))
			return path;
	if (bench_patch_file(img->path, path, &p, e) < 0) {
		free(path);
		return NULL;
	}
	r->tmpfiles =
		xrealloc(r->tmpfiles, (r->ntmpfiles + 1) * sizeof(char *));
	r->tmpfiles[r->ntmpfiles++] = xstrdup(path);
	return path;
}

static const struct image *find_image(struct bench_run *r, const char *name)
{
	for (size_t i = 0; i < r->il.n; i++)
		if (!strcmp(r->il.v[i].name, name))
			return &r->il.v[i];
	return NULL;
}

/* A timing run (iters 0: the guest sizes it) or a counter run. */
static int add_job(struct bench_run *r, size_t ri, size_t ti, unsigned iters,
		   char *bindir, struct perr *e)
{
	struct bench_row *row = &r->set.rows[ri];
	struct target *t = r->set.targets[ti];
	const struct image *img = find_image(r, row->image);
	char *path = patched_image(r, row, img, iters, e);
	char **argv;
	size_t n;

	if (!path)
		return -1;
	argv = target_expand(t, path, bindir, POPEK_SOURCE_DIR);
	free(path);
	if (r->refvmm[ti]) {
		for (n = 0; argv[n]; n++)
			;
		argv = xrealloc(argv, (n + 2) * sizeof(*argv));
		memmove(argv + 2, argv + 1, n * sizeof(*argv));
		argv[1] = xstrdup("--stats=json");
	}
	if (!iters)
		row->cells[ti].command = argv_join(argv);
	r->bj[r->njobs] = (struct bench_job){ri, ti, iters};
	job_init(&r->jobs[r->njobs], argv,
		 r->o.a.timeout ? r->o.a.timeout : t->timeout, t->output_limit,
		 &r->bj[r->njobs]);
	r->jobs[r->njobs].fatal_stderr = t->fatal_stderr;
	r->jobs[r->njobs].nfatal_stderr = t->nfatal_stderr;
	/* the counters are printed as refvmm exits, after the guest's exit
	 * line: a loaded host can take longer than JOB_GRACE_SECONDS there
	 * (a wrapper such as scripts/host-vm-exits, in a TCG VM, too) */
	r->jobs[r->njobs].wait_exit = r->refvmm[ti];
	r->njobs++;
	return 0;
}

/* The timing runs, and the cells no target can fill. */
static int make_timing_jobs(struct bench_run *r, struct perr *e)
{
	struct bench_set *s = &r->set;
	char *bindir = self_dir();
	size_t max = 3 * s->nrows * s->ntargets;
	int ret = 0;

	r->jobs = xcalloc(max, sizeof(*r->jobs));
	r->bj = xcalloc(max, sizeof(*r->bj));
	r->refvmm = xcalloc(s->ntargets, sizeof(*r->refvmm));
	for (size_t ti = 0; ti < s->ntargets; ti++) {
		char **argv = target_expand(s->targets[ti], "x", bindir,
					    POPEK_SOURCE_DIR);

		r->refvmm[ti] = runs_refvmm(argv);
		argv_free(argv);
	}
	for (size_t ri = 0; ri < s->nrows && !ret; ri++) {
		struct bench_row *row = &s->rows[ri];
		const struct image *img = find_image(r, row->image);

		for (size_t ti = 0; ti < s->ntargets && !ret; ti++) {
			struct target *t = s->targets[ti];
			struct bench_cell *c = &row->cells[ti];
			const struct unsupported_rule *u =
				target_find_unsupported(t, img->name);

			if (r->why[ti]) {
				c->status = BENCH_UNAVAILABLE;
				c->reason = xstrdup(r->why[ti]);
			} else if (!target_runs_width(t, row->width) || u) {
				c->status = BENCH_UNSUPPORTED;
				c->reason =
					u ? xasprintf("target %s cannot run "
						      "%s yet: %s",
						      t->name, img->name,
						      u->reason)
					  : xasprintf("target %s does not run "
						      "%u-bit images",
						      t->name, row->width);
			} else {
				ret = add_job(r, ri, ti, 0, bindir, e);
			}
		}
	}
	free(bindir);
	return ret;
}

/*
 * The counter runs: each measured refvmm cell twice more, at N operations
 * per repetition and at 2N, with the same fixed warm-up: counters per
 * operation are the difference over the extra operations, and start-up,
 * set-up and reporting cancel. N is fixed (--counter-iters), not the
 * timing run's count: that one follows the host's speed, and a benchmark
 * whose last operation leaves a different state by the parity of the
 * count (ptemod's frame) or the batch (pgfault's 128 pages) would give
 * counters that differ from run to run by one event over N.
 */
static int make_counter_jobs(struct bench_run *r, struct perr *e)
{
	struct bench_set *s = &r->set;
	char *bindir = self_dir();
	int ret = 0;

	for (size_t ri = 0; ri < s->nrows && !ret; ri++)
		for (size_t ti = 0; ti < s->ntargets && !ret; ti++) {
			struct bench_cell *c = &s->rows[ri].cells[ti];

			unsigned n = r->o.counter_iters;

			if (!r->refvmm[ti] || c->status != BENCH_OK)
				continue;
			ret = add_job(r, ri, ti, n, bindir, e);
			if (!ret)
				ret = add_job(r, ri, ti, 2 * n, bindir, e);
		}
	free(bindir);
	return ret;
}

/* The guest's own verdict on its benchmark, from the TAP results. */
static const struct tap_result *find_result(const struct tap_report *t,
					    const char *id)
{
	for (size_t i = 0; i < t->nresults; i++)
		if (!strcmp(t->results[i].id, id))
			return &t->results[i];
	return NULL;
}

/*
 * The last stderr line that is not part of refvmm's --stats=json object
 * (which comes last and would hide the one line saying why it stopped).
 */
static char *last_message(struct job *j)
{
	const char *p = sb_str(&j->err), *best = NULL, *nl;
	size_t bestn = 0;

	for (; *p; p = nl ? nl + 1 : p + strlen(p)) {
		nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (n && *p != '{' && *p != '}' && *p != ' ')
			best = p, bestn = n;
		if (!nl)
			break;
	}
	return best ? xstrndup(best, bestn) : NULL;
}

/* How the run ended badly, with the monitor's own line. */
static char *end_reason(struct job *j)
{
	char *end = run_end_reason(&j->tap, &j->end), *msg, *cut, *r;

	/* only refvmm runs carry the counters after their last word */
	if (!end || !j->argv[1] || strcmp(j->argv[1], "--stats=json"))
		return end;
	msg = last_message(j);
	if (!msg)
		return end;
	cut = strstr(end, " (last stderr:");
	if (cut)
		*cut = 0;
	r = xasprintf("%s: %s", end, msg);
	free(end);
	free(msg);
	return r;
}

/* Status and reason of one run; fills *line when measured. */
static enum bench_status judge(struct job *j, const struct bench_row *row,
			       struct bench_line *line, char **reason)
{
	char *id = xasprintf("perf.%s.ran.%u", row->bench, row->width);
	const struct tap_result *res = find_result(&j->tap, id);
	char *end = end_reason(j);
	enum bench_status st = BENCH_FAILED;

	memset(line, 0, sizeof(*line));
	*reason = NULL;
	if (res && res->kind == TAP_SKIP) {
		st = BENCH_SKIPPED;
		*reason = xstrdup(res->reason);
	} else if (res && res->kind == TAP_NOT_OK) {
		*reason =
			xasprintf("the guest's check failed: %s", res->reason);
	} else if (res && res->kind == TAP_OK &&
		   !bench_line_find(sb_str(&j->tap.log), row->name, line)) {
		st = BENCH_OK;
	} else if (res) {
		*reason = xstrdup("the check passed but no well-formed "
				  "'# bench' line was printed");
	} else if (end) {
		*reason = xstrdup(end);
	} else if (j->tap.bailed) {
		*reason = xasprintf("the guest bailed out: %s",
				    j->tap.bail_reason ? j->tap.bail_reason
						       : "no reason given");
	} else {
		*reason = xasprintf("%s not reported", id);
	}
	free(end);
	free(id);
	return st;
}

static void progress(struct job *j, size_t done, size_t total, void *ctx)
{
	struct bench_run *r = ctx;
	struct bench_job *b = j->user;
	struct bench_row *row = &r->set.rows[b->row];
	struct bench_line line;
	char *reason;
	enum bench_status st;

	if (r->o.a.quiet)
		return;
	st = judge(j, row, &line, &reason);
	fprintf(stderr, "[%zu/%zu] %s %s%s: ", done, total,
		r->set.targets[b->target]->name, row->name,
		b->iters ? " (counters)" : "");
	if (st == BENCH_OK)
		fprintf(stderr, "%.2f cycles/op", line.cycles);
	else
		fprintf(stderr, "%s: %s", bench_status_name(st), reason);
	fprintf(stderr, " (%.1f s)\n", j->seconds);
	bench_line_free(&line);
	free(reason);
}

static void collect_timing(struct bench_run *r, size_t from)
{
	for (size_t k = from; k < r->njobs; k++) {
		struct bench_job *b = &r->bj[k];
		struct job *j = &r->jobs[k];
		struct bench_cell *c = &r->set.rows[b->row].cells[b->target];

		c->status =
			judge(j, &r->set.rows[b->row], &c->line, &c->reason);
		c->seconds = j->seconds;
		c->counters = bench_counters_parse(sb_str(&j->err));
	}
}

/* One counter run: its counters and operations, or why it did not count. */
static json_t *counter_run(struct bench_run *r, size_t k,
			   unsigned long long *ops, char **why)
{
	struct bench_line l;
	char *reason;
	json_t *cnt;

	if (judge(&r->jobs[k], &r->set.rows[r->bj[k].row], &l, &reason) !=
	    BENCH_OK) {
		*why = xasprintf("a counter run (%u operations per "
				 "repetition) did not measure: %s",
				 r->bj[k].iters, reason);
		free(reason);
		return NULL;
	}
	*ops = l.ops;
	bench_line_free(&l);
	cnt = bench_counters_parse(sb_str(&r->jobs[k].err));
	if (!cnt)
		*why = xstrdup("refvmm printed no --stats=json counters");
	return cnt;
}

/* Counter runs come in pairs (make_counter_jobs): N, then 2N. */
static void collect_counters(struct bench_run *r, size_t from)
{
	for (size_t k = from; k + 1 < r->njobs; k += 2) {
		struct bench_job *b = &r->bj[k];
		struct bench_cell *c = &r->set.rows[b->row].cells[b->target];
		unsigned long long ops1 = 0, ops2 = 0;
		char *why = NULL;
		json_t *small = counter_run(r, k, &ops1, &why), *big = NULL;

		if (small)
			big = counter_run(r, k + 1, &ops2, &why);
		if (small && big) {
			c->per_op =
				bench_counters_per_op(small, ops1, big, ops2);
			if (!c->per_op)
				why = xasprintf("the counter runs did %llu "
						"and %llu operations",
						ops1, ops2);
		}
		c->counters_note = why;
		json_decref(small);
		json_decref(big);
	}
}

static int run_jobs(struct bench_run *r, size_t from)
{
	struct job_events ev = {NULL, progress, r};
	int signo = 0;

	if (jobs_run(r->jobs + from, r->njobs - from, r->o.a.jobs, &ev,
		     &signo) < 0) {
		fprintf(stderr,
			"popek: interrupted by %s; killed every "
			"target\n",
			strsignal(signo));
		return signo == SIGINT ? POPEK_EXIT_INTERRUPTED : 128 + signo;
	}
	return 0;
}

static int write_json(struct bench_run *r, struct perr *e)
{
	json_t *j = bench_to_json(&r->set);
	int ret = 0;

	if (json_dump_file(j, r->o.a.json,
			   JSON_INDENT(2) | JSON_PRESERVE_ORDER))
		ret = perr_set(e, "bench: cannot write %s: %s", r->o.a.json,
			       strerror(errno));
	json_decref(j);
	return ret;
}

static void free_run(struct bench_run *r)
{
	struct bench_set *s = &r->set;

	for (size_t k = 0; k < r->njobs; k++)
		job_free(&r->jobs[k]);
	free(r->jobs);
	free(r->bj);
	for (size_t i = 0; i < s->nrows; i++) {
		for (size_t t = 0; t < s->ntargets; t++) {
			struct bench_cell *c = &s->rows[i].cells[t];

			free(c->reason);
			free(c->command);
			free(c->counters_note);
			bench_line_free(&c->line);
			json_decref(c->counters);
			json_decref(c->per_op);
		}
		free(s->rows[i].cells);
		free(s->rows[i].name);
		free(s->rows[i].bench);
	}
	free(s->rows);
	for (size_t t = 0; t < s->ntargets; t++)
		free(r->why[t]);
	free(r->why);
	free(r->refvmm);
	free(s->targets);
	for (size_t i = 0; i < r->ntmpfiles; i++) {
		unlink(r->tmpfiles[i]);
		free(r->tmpfiles[i]);
	}
	free(r->tmpfiles);
	if (r->tmpdir)
		rmdir(r->tmpdir);
	free(r->tmpdir);
	image_list_free(&r->il);
	target_list_free(&r->tl);
	run_args_free(&r->o.a);
	hostinfo_free(&r->host);
}

static const char *perf_images_dir(const char *opt)
{
	const char *env = getenv("POPEK_PERF_IMAGES");

	return opt ? opt : env && *env ? env : POPEK_PERF_IMAGE_DIR;
}

int cmd_bench(int argc, char **argv, struct perr *e)
{
	struct bench_run r = {0};
	const char *dir;
	char *svg, *why = NULL, tmpl[] = "/tmp/popek-bench-XXXXXX";
	size_t measured = 0, first;
	int ret;

	ret = parse_opts(&r.o, argc, argv, e);
	if (ret)
		return ret;
	if (run_args_load_targets(&r.o.a, &r.tl, e) < 0) {
		run_args_free(&r.o.a);
		return POPEK_EXIT_NOTHING_RAN;
	}
	ret = POPEK_EXIT_USAGE;
	if (run_args_targets(&r.o.a, "bench", &r.tl, &r.set.targets, &r.why,
			     &r.set.ntargets, e) < 0)
		goto out;
	ret = POPEK_EXIT_NOTHING_RAN;
	if (hostinfo_probe(&r.host, e) < 0)
		goto out;
	dir = perf_images_dir(r.o.a.images);
	if (image_list_load(dir, false, &r.il, e) < 0 ||
	    (ret = make_rows(&r, dir, e)))
		goto out;
	ret = POPEK_EXIT_NOTHING_RAN;
	if (!mkdtemp(tmpl)) {
		perr_set(e, "bench: cannot create a directory in /tmp: %s",
			 strerror(errno));
		goto out;
	}
	r.tmpdir = xstrdup(tmpl);
	r.set.host = &r.host;
	r.set.scale = r.o.scale;
	r.set.reps = r.o.reps;
	r.set.counters = r.o.counters;
	for (size_t t = 0; t < r.set.ntargets; t++)
		if (r.why[t])
			fprintf(stderr, "popek: target %s unavailable: %s\n",
				r.set.targets[t]->name, r.why[t]);
	if (make_timing_jobs(&r, e) < 0) {
		ret = POPEK_EXIT_UNEXPECTED;
		goto out;
	}
	ret = run_jobs(&r, 0);
	if (ret)
		goto out;
	collect_timing(&r, 0);
	first = r.njobs;
	if (r.o.counters && make_counter_jobs(&r, e) < 0) {
		ret = POPEK_EXIT_UNEXPECTED;
		goto out;
	}
	ret = run_jobs(&r, first);
	if (ret)
		goto out;
	collect_counters(&r, first);
	bench_print_table(&r.set, stdout);
	if (write_json(&r, e) < 0) {
		ret = POPEK_EXIT_UNEXPECTED;
		goto out;
	}
	printf("\nJSON: %s\n", r.o.a.json);
	svg = bench_write_chart(&r.set, r.o.a.json, &why);
	if (svg)
		printf("chart: %s\n", svg);
	else
		fprintf(stderr, "popek: no chart: %s\n", why);
	free(svg);
	free(why);
	for (size_t i = 0; i < r.set.nrows; i++)
		for (size_t t = 0; t < r.set.ntargets; t++)
			measured += r.set.rows[i].cells[t].status == BENCH_OK;
	if (!measured)
		fprintf(stderr, "popek: nothing was measured\n");
	ret = measured ? POPEK_EXIT_OK : POPEK_EXIT_NOTHING_RAN;
out:
	free_run(&r);
	return ret;
}
