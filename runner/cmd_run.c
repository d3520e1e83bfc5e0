/*
 * popek run: boot the selected images on the selected targets, classify
 * every check, print the summary and write the result files. The exit
 * status is the CI gate: 0 only when nothing unexpected happened.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "classify.h"
#include "cmd.h"
#include "elf_image.h"
#include "hostinfo.h"
#include "iso.h"
#include "iso_stream.h"
#include "job.h"
#include "junit.h"
#include "logs.h"
#include "outpath.h"
#include "restart.h"
#include "results.h"
#include "results_json.h"
#include "run_args.h"
#include "shard.h"
#include "summary.h"
#include "tap_stream.h"
#include "target.h"
#include "timestamp.h"

#ifndef POPEK_SOURCE_DIR
#define POPEK_SOURCE_DIR "."
#endif

/* The options of popek run beyond those popek bench shares. */
struct run_opts {
	struct run_args a;
	struct shard shard;
	bool sharded;
	const char *junit;
	bool tap;
	const char *logs;		    /* --logs DIR */
	unsigned restarts, restart_seconds; /* restart.h */
	/* given on the command line: they override the target file's */
	bool restarts_given, restart_seconds_given;
};

/* One (target, image) pair: a job, or checks skipped without running. */
struct slot {
	struct target *target;
	struct image *image;
	struct job *job; /* NULL when skipped */
	struct image_result result;
	char *command, *rerun;
	double started, finished;
	char *started_wall;   /* ISO 8601, UTC */
	struct job_logs logs; /* the job's logs; ISO: on the first slot */
	bool not_run;	      /* a signal came before its turn */
	/* boot = iso: the next image on the same ISO (the job's user is the
	 * first slot of the ISO) */
	struct slot *seq_next;
	bool iso_pending; /* runnable, waiting for make_iso_jobs */
	/* boots past checks that ended the target (restart.h) */
	struct restart_state restart;
	bool restart_pending; /* boots again: make_restart_jobs */
	size_t last_boot;     /* 1 + the index in jobs of the boot before */
};

struct run {
	struct run_opts o;
	struct hostinfo host;
	struct target_list tl;
	struct image_list il;
	struct target **targets; /* requested, in the order given */
	char **why;		 /* NULL when usable */
	size_t ntargets;
	struct image **images; /* selected and in this shard */
	size_t nimages;
	struct slot *slots;
	size_t nslots;
	struct job *jobs;
	size_t njobs, jobs_cap;
	bool tty;
	char *exe;
	char *iso_dir; /* the ISOs of boot = iso targets, removed at the end */
	size_t iso_failures; /* ISOs that could not be built */
	size_t isos;	     /* ISOs built, for their names */
	bool iso_resume;     /* an ISO broke before some of its images */
};

static int take_opt(void *ctx, int c, const char *arg, struct perr *e)
{
	struct run_opts *o = ctx;

	switch (c) {
	case 'S':
		if (shard_parse(arg, &o->shard, e) < 0)
			return POPEK_EXIT_USAGE;
		o->sharded = true;
		break;
	case 'U':
		o->junit = arg;
		break;
	case 'A':
		o->tap = true;
		break;
	case 'L':
		o->logs = arg;
		break;
	case 'R' | 0x100:
		o->restarts_given = true;
		return run_args_uint("run", "--restarts", arg, 0, 1000,
				     &o->restarts, e);
	case 'T' | 0x100:
		o->restart_seconds_given = true;
		return run_args_uint("run", "--restart-time", arg, 1, 86400,
				     &o->restart_seconds, e);
	}
	return 0;
}

/* The command line's bounds, else the target file's, else restart.h's. */
static unsigned run_restarts(const struct run_opts *o, const struct target *t,
			     const struct image *img)
{
	if (!target_takes_cmdline(t))
		return 0;
	if (o->restarts_given || !t->restarts ||
	    !target_restarts_image(t, img->name))
		return o->restarts;
	return t->restarts;
}

static unsigned run_restart_seconds(const struct run_opts *o,
				    const struct target *t)
{
	if (o->restart_seconds_given || !t->restart_time)
		return o->restart_seconds;
	return t->restart_time;
}

static int parse_opts(struct run_opts *o, int argc, char **argv, struct perr *e)
{
	static const struct option opts[] = {
		{"shard", required_argument, NULL, 'S'},
		{"junit", required_argument, NULL, 'U'},
		{"tap", no_argument, NULL, 'A'},
		{"logs", required_argument, NULL, 'L'},
		{"restarts", required_argument, NULL, 'R' | 0x100},
		{"restart-time", required_argument, NULL, 'T' | 0x100},
		{NULL, 0, NULL, 0},
	};
	const struct run_args_spec spec = {"run", 4096, opts, take_opt, o};

	o->restarts = RESTART_MAX_DEFAULT;
	o->restart_seconds = RESTART_SECONDS_DEFAULT;
	return run_args_parse(&o->a, &spec, argc, argv, e);
}

static int select_images(struct run *r, const char *dir, struct perr *e)
{
	const char **names;
	size_t i, n = 0;
	bool *keep;

	r->images = xcalloc(r->il.n, sizeof(*r->images));
	for (i = 0; i < r->il.n; i++)
		if (image_matches(&r->il.v[i], r->o.a.filters, r->o.a.nfilters))
			r->images[n++] = &r->il.v[i];
	if (n == 0) {
		if (r->o.a.nfilters)
			return perr_set(e,
					"no image in %s matches the "
					"filters",
					dir);
		return perr_set(e, "no images in %s (build them first)", dir);
	}
	if (r->o.sharded) {
		names = xcalloc(n, sizeof(*names));
		keep = xcalloc(n, sizeof(*keep));
		for (i = 0; i < n; i++)
			names[i] = r->images[i]->name;
		shard_select(names, n, r->o.shard, keep);
		r->nimages = 0;
		for (i = 0; i < n; i++)
			if (keep[i])
				r->images[r->nimages++] = r->images[i];
		free(names);
		free(keep);
	} else {
		r->nimages = n;
	}
	return 0;
}

static char *rerun_command(struct run *r, const struct target *t,
			   const struct image *img)
{
	struct strbuf sb = {0};

	sb_add_shell_word(&sb, r->exe);
	sb_adds(&sb, " run -t ");
	sb_add_shell_word(&sb, t->from_file ? t->path : t->name);
	if (r->o.a.images) {
		sb_adds(&sb, " --images ");
		sb_add_shell_word(&sb, r->o.a.images);
	}
	for (size_t i = 0; i < r->o.a.ntargets_dirs; i++) {
		sb_adds(&sb, " --targets ");
		sb_add_shell_word(&sb, r->o.a.targets_dirs[i]);
	}
	for (size_t i = 0; i < r->o.a.nsets; i++) {
		sb_adds(&sb, " --target-set ");
		sb_add_shell_word(&sb, r->o.a.sets[i]);
	}
	if (r->o.a.timeout)
		sb_addf(&sb, " --timeout %u", r->o.a.timeout);
	sb_adds(&sb, " ");
	sb_add_shell_word(&sb, img->name);
	return sb.s;
}

/*
 * A new job at the end of r->jobs. Between calls to jobs_run nothing
 * holds a pointer into the array but the slots, which follow it.
 */
static struct job *new_job(struct run *r)
{
	struct job *old = r->jobs;

	if (r->njobs == r->jobs_cap) {
		r->jobs_cap = r->jobs_cap ? 2 * r->jobs_cap : 16;
		r->jobs = xrealloc(r->jobs, r->jobs_cap * sizeof(*r->jobs));
		memset(r->jobs + r->njobs, 0,
		       (r->jobs_cap - r->njobs) * sizeof(*r->jobs));
		for (size_t k = 0; k < r->nslots && old != r->jobs; k++)
			if (r->slots[k].job)
				r->slots[k].job =
					r->jobs + (r->slots[k].job - old);
	}
	return &r->jobs[r->njobs++];
}

/* The images an ISO cannot run get this reason on every check. */
static void iso_failed(struct run *r, struct slot *head, const char *why)
{
	struct slot *s;

	r->iso_failures++;
	for (s = head; s; s = s->seq_next) {
		if (!s->command)
			s->command = argv_join(s->target->argv);
		classify_all(s->image, CLS_ERROR, why, &s->result);
		s->result.ok = false;
		s->result.reason = xstrdup(why);
	}
}

/*
 * A boot = iso target runs its images from ISOs (docs/iso.md): the
 * runnable images split into at most -j ISOs of consecutive images, each
 * one job. The time limit stays per image (the job restarts its deadline
 * at each image marker); the output limit is per image times the images.
 */
static void make_iso_jobs(struct run *r, struct target *t, const char *bindir)
{
	struct slot **run = xcalloc(r->nslots + 1, sizeof(*run));
	struct image **imgs = xcalloc(r->nslots + 1, sizeof(*imgs));
	size_t n = 0, k, i, chunks, first, size;
	struct perr e = {{0}};
	unsigned timeout = r->o.a.timeout ? r->o.a.timeout : t->timeout;

	for (k = 0; k < r->nslots; k++)
		if (r->slots[k].target == t && r->slots[k].iso_pending)
			run[n++] = &r->slots[k];
	if (!n)
		goto out;
	if (!r->iso_dir)
		r->iso_dir = iso_tmpdir(&e);
	chunks = n < r->o.a.jobs ? n : r->o.a.jobs;
	for (i = 0, first = 0; i < chunks; i++, first += size) {
		struct slot *head = run[first];
		char *iso, **argv;
		struct job *j;

		size = n / chunks + (i < n % chunks);
		for (k = 0; k < size; k++) {
			imgs[k] = run[first + k]->image;
			run[first + k]->seq_next =
				k + 1 < size ? run[first + k + 1] : NULL;
		}
		for (k = 0; k < size; k++)
			run[first + k]->iso_pending = false;
		if (!r->iso_dir) {
			iso_failed(r, head, e.msg);
			continue;
		}
		iso = xasprintf("%s/%s-%zu.iso", r->iso_dir, t->name,
				++r->isos);
		if (iso_build(iso, imgs, size, 0, &e) < 0) {
			char *why =
				xasprintf("cannot build the ISO: %s", e.msg);

			iso_failed(r, head, why);
			free(why);
			free(iso);
			continue;
		}
		argv = target_expand(t, iso, bindir, POPEK_SOURCE_DIR);
		free(iso);
		j = new_job(r);
		job_init(j, argv, timeout, t->output_limit * size, head);
		j->tap.sequence = true;
		j->fatal_stderr = t->fatal_stderr;
		j->nfatal_stderr = t->nfatal_stderr;
		for (k = 0; k < size; k++) {
			run[first + k]->job = j;
			free(run[first + k]->command);
			run[first + k]->command = argv_join(argv);
		}
	}
out:
	free(run);
	free(imgs);
}

static void make_slots(struct run *r)
{
	char *bindir = self_dir();
	size_t ti, ii, k = 0;

	r->slots = xcalloc(r->ntargets * r->nimages, sizeof(*r->slots));
	r->nslots = r->ntargets * r->nimages;
	for (ti = 0; ti < r->ntargets; ti++) {
		struct target *t = r->targets[ti];

		if (r->why[ti])
			continue;
		for (ii = 0; ii < r->nimages; ii++) {
			struct slot *s = &r->slots[k++];
			struct image *img = r->images[ii];
			const struct unsupported_rule *unsup;
			char *why;
			char **argv;

			s->target = t;
			s->image = img;
			restart_init(&s->restart, run_restarts(&r->o, t, img),
				     run_restart_seconds(&r->o, t),
				     r->o.a.timeout ? r->o.a.timeout
						    : t->timeout);
			argv = target_expand(t, img->path, bindir,
					     POPEK_SOURCE_DIR);
			s->command = argv_join(argv);
			s->rerun = rerun_command(r, t, img);
			unsup = target_find_unsupported(t, img->name);
			why = !target_runs_width(t, img->width)
				      ? xasprintf("target %s does not run "
						  "%u-bit images",
						  t->name, img->width)
			      : unsup ? xasprintf("target %s cannot run this "
						  "image yet: %s",
						  t->name, unsup->reason)
				      : NULL;
			if (why) {
				classify_all(img, CLS_SKIP, why, &s->result);
				argv_free(argv);
				free(why);
				continue;
			}
			if (t->boot_iso) {
				/* one job per ISO: make_iso_jobs */
				argv_free(argv);
				free(s->command);
				s->command = NULL;
				s->iso_pending = true;
				continue;
			}
			s->job = new_job(r);
			job_init(s->job, argv,
				 r->o.a.timeout ? r->o.a.timeout : t->timeout,
				 t->output_limit, s);
			s->job->fatal_stderr = t->fatal_stderr;
			s->job->nfatal_stderr = t->nfatal_stderr;
		}
	}
	r->nslots = k;
	for (ti = 0; ti < r->ntargets; ti++)
		if (!r->why[ti] && r->targets[ti]->boot_iso)
			make_iso_jobs(r, r->targets[ti], bindir);
	free(bindir);
}

/* New ISOs for the images that broken ISOs never reached. */
static void resume_iso_jobs(struct run *r)
{
	char *bindir;
	size_t ti;

	if (!r->iso_resume)
		return;
	r->iso_resume = false;
	bindir = self_dir();
	for (ti = 0; ti < r->ntargets; ti++)
		if (!r->why[ti] && r->targets[ti]->boot_iso)
			make_iso_jobs(r, r->targets[ti], bindir);
	free(bindir);
}

/*
 * Opened when the job starts, closed when it ends: a run of thousands of
 * images must not hold two descriptors for each. The job has forked but
 * not read yet, so the logs miss nothing.
 */
static void open_logs(struct run *r, struct job *j, struct slot *s)
{
	struct perr e = {{0}};
	char *name;

	if (!r->o.logs)
		return;
	name = s->target->boot_iso
		       ? xasprintf("iso-%zu", (size_t)(j - r->jobs) + 1)
	       : s->restart.boots ? xasprintf("%s.boot%u", s->image->name,
					      s->restart.boots + 1)
				  : xstrdup(s->image->name);
	logs_free(&s->logs);
	if (logs_open(r->o.logs, s->target->name, name, j, &s->logs, &e) < 0) {
		/* a copy for people: the run goes on without it */
		fprintf(stderr, "popek: --logs: %s; no more logs in this run\n",
			e.msg);
		r->o.logs = NULL;
	}
	free(name);
}

/* The job ended: its info file (each image it ran, classified). */
static void close_logs(struct job *j)
{
	struct slot *head = j->user, *s;
	struct logs_image *v;
	struct perr e = {{0}};
	size_t n = 0;

	logs_close(j);
	if (!head->logs.info)
		return;
	for (s = head; s; s = s->seq_next)
		n++;
	v = xcalloc(n, sizeof(*v));
	for (n = 0, s = head; s; s = s->seq_next, n++) {
		v[n].name = s->image->name;
		v[n].rerun = s->rerun;
		v[n].started = s->started_wall;
		v[n].result = s->iso_pending || s->restart_pending ? NULL
								   : &s->result;
	}
	if (logs_write_info(&head->logs, head->target->name, j, v, n, &e) < 0)
		fprintf(stderr, "popek: --logs: %s\n", e.msg);
	free(v);
}

static void progress_started(struct job *j, size_t done, size_t total,
			     void *ctx)
{
	struct run *r = ctx;
	struct slot *s = j->user;

	open_logs(r, j, s);

	/* a restart's boot goes on the image's first */
	if (!s->restart.boots) {
		s->started = now_monotonic();
		s->started_wall = timestamp_now();
	}
	if (r->tty && !r->o.a.quiet)
		fprintf(stderr, "\r\033[K[%zu/%zu] %s %s ...", done, total,
			s->target->name, s->image->name);
}

static void print_finished(struct run *r, struct slot *s, double seconds,
			   size_t done, size_t total);

/*
 * One ISO ended: split its stream and classify every image on it. When
 * the machine broke (hang, crash, reset) after at least one image began,
 * the images it never reached are left for resume_iso_jobs.
 */
static void finish_iso(struct run *r, struct job *j, struct slot *head,
		       size_t done, size_t total)
{
	struct seq_run sr;
	struct slot *s;
	bool broke;

	seq_run_parse(j->tap.log.s ? j->tap.log.s : "", j->tap.log.len, &sr);
	broke = sr.n && (!sr.ended || sr.reset);
	for (s = head; s; s = s->seq_next) {
		if (broke && !seq_run_find(&sr, s->image->name)) {
			/* never reached: the run goes on from a new ISO
			 * holding the rest (docs/iso.md) */
			s->iso_pending = true;
			r->iso_resume = true;
			continue;
		}
		s->started = head->started;
		s->finished = head->finished;
		if (s != head)
			s->started_wall = xstrdup(head->started_wall);
		seq_classify(s->image, &sr, &j->end, s->target, &r->host,
			     &s->result);
		print_finished(r, s, j->seconds, done, total);
	}
	seq_run_free(&sr);
}

static void progress_finished(struct job *j, size_t done, size_t total,
			      void *ctx)
{
	struct run *r = ctx;
	struct slot *s = j->user;

	s->finished = now_monotonic();
	if (s->target->boot_iso) {
		finish_iso(r, j, s, done, total);
	} else if (!j->interrupted &&
		   restart_after_boot(&s->restart, s->image, &j->tap, &j->end,
				      j->seconds)) {
		/* boots again past the killer: make_restart_jobs */
		s->restart_pending = true;
		close_logs(j);
		if (!r->o.a.quiet && !r->tty)
			fprintf(stderr,
				"[%zu/%zu] %s %s: boot %u ended at check %ld "
				"(%s); booting again without it\n",
				done, total, s->target->name, s->image->name,
				s->restart.boots,
				s->restart.killers[s->restart.nkillers - 1]
					.ordinal,
				s->restart.killers[s->restart.nkillers - 1]
					.reason);
		return;
	} else {
		classify_image(s->image, &j->tap, &j->end, s->target, &r->host,
			       &s->result);
		restart_classify(&s->restart, &j->tap, s->target, &r->host,
				 &s->result);
		print_finished(r, s, s->restart.seconds, done, total);
	}
	close_logs(j);
}

/* The images whose last boot ended at a check boot again without it. */
static bool make_restart_jobs(struct run *r)
{
	char *bindir = self_dir();
	bool any = false;

	for (size_t k = 0; k < r->nslots; k++) {
		struct slot *s = &r->slots[k];
		char *cmdline, **argv;
		struct job *j;

		if (!s->restart_pending)
			continue;
		s->restart_pending = false;
		cmdline = restart_cmdline(&s->restart);
		argv = target_expand_cmdline(s->target, s->image->path, cmdline,
					     bindir, POPEK_SOURCE_DIR);
		free(cmdline);
		free(s->command);
		s->command = argv_join(argv);
		j = new_job(r);
		s->last_boot = (size_t)(s->job - r->jobs) + 1;
		job_init(j, argv, s->job->timeout, s->job->output_limit, s);
		j->fatal_stderr = s->target->fatal_stderr;
		j->nfatal_stderr = s->target->nfatal_stderr;
		s->job = j;
		any = true;
	}
	free(bindir);
	return any;
}

static void print_finished(struct run *r, struct slot *s, double seconds,
			   size_t done, size_t total)
{
	size_t counts[CLS_COUNT] = {0}, i;
	int c;

	if (r->o.a.quiet)
		return;
	if (r->tty) {
		fprintf(stderr, "\r\033[K[%zu/%zu] %s %s ...", done, total,
			s->target->name, s->image->name);
		return;
	}
	for (i = 0; i < s->result.nchecks; i++)
		counts[s->result.checks[i].cls]++;
	fprintf(stderr, "[%zu/%zu] %s %s: %zu pass, %zu fail", done, total,
		s->target->name, s->image->name, counts[CLS_PASS],
		counts[CLS_FAIL]);
	for (c = CLS_XFAIL; c < CLS_COUNT; c++)
		if (counts[c])
			fprintf(stderr, ", %zu %s", counts[c],
				class_name((enum check_class)c));
	fprintf(stderr, " (%.1f s)", seconds);
	if (!s->result.ok)
		fprintf(stderr, ": %s", s->result.reason);
	else if (s->result.reason && *s->result.reason)
		fprintf(stderr, ": xerror: %s", s->result.reason);
	fputc('\n', stderr);
}

static char *iso8601_now(void)
{
	char buf[64];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xstrdup(buf);
}

/* What --logs and the clock add to an image's entry. */
static void slot_to_image(const struct slot *s, struct res_image *im)
{
	const struct slot *head = s->job ? s->job->user : s;

	free(im->started);
	im->started = xstrdup(s->started_wall ? s->started_wall : "");
	if (!head->logs.info)
		return;
	free(im->log_serial);
	im->log_serial = xstrdup(head->logs.serial);
	free(im->log_stderr);
	im->log_stderr = xstrdup(head->logs.stderr_);
	free(im->log_info);
	im->log_info = xstrdup(head->logs.info);
}

static void build_results(struct run *r, struct results *res, char *started)
{
	size_t ti, i, k;
	const char *hc = r->host.host_class;

	results_init(res);
	res->has_host = true;
	res->host = r->host; /* borrowed: cleared before results_free */
	res->started = started;
	res->shard = r->o.sharded ? xasprintf("%u/%u", r->o.shard.index,
					      r->o.shard.count)
				  : xstrdup("1/1");
	for (ti = 0; ti < r->ntargets; ti++) {
		struct target *t = r->targets[ti];
		char *tmpl = argv_join(t->argv);
		struct res_target *rt;
		double first = 0, last = 0;

		rt = results_add_target(res, t->name, hc, !r->why[ti],
					r->why[ti], tmpl);
		free(tmpl);
		for (k = 0; k < r->nslots; k++) {
			struct slot *s = &r->slots[k];
			struct res_image *im;

			if (s->target != t)
				continue;
			if (s->job && s->started) {
				if (!first || s->started < first)
					first = s->started;
				if (s->finished > last)
					last = s->finished;
			}
			im = results_add_image(res, t->name, hc,
					       s->image->name);
			im->width = s->image->width;
			im->ok = s->result.ok;
			free(im->reason);
			im->reason = xstrdup(s->result.reason ? s->result.reason
							      : "");
			im->exit_code = s->result.exit_code;
			im->seconds = s->target->boot_iso
					      ? (s->job ? s->job->seconds : 0)
					      : s->restart.seconds;
			free(im->rerun);
			im->rerun = xstrdup(s->rerun);
			free(im->command);
			im->command = xstrdup(s->command);
			slot_to_image(s, im);
			for (i = 0; i < s->result.nchecks; i++) {
				const struct check_result *c =
					&s->result.checks[i];

				results_add_check(res, t->name, hc,
						  s->image->name, c->id, c->cls,
						  c->reason, c->description);
			}
		}
		rt->seconds = last > first ? last - first : 0;
	}
}

/*
 * A dead image leaves every unreported check with the image's reason;
 * printing it hundreds of times would hide the checks that say something.
 */
#define SAME_REASON_SHOWN 10

static void print_unexpected_checks(FILE *f, const struct image_result *res)
{
	size_t i, same = 0;

	for (i = 0; i < res->nchecks; i++) {
		const struct check_result *c = &res->checks[i];

		if (!class_unexpected(c->cls))
			continue;
		if (res->reason && !strcmp(c->reason, res->reason)) {
			if (same++ < SAME_REASON_SHOWN)
				fprintf(f, "  %-5s %s: (as above)\n",
					class_name(c->cls), c->id);
			continue;
		}
		fprintf(f, "  %-5s %s: %s\n", class_name(c->cls), c->id,
			c->reason);
	}
	if (same > SAME_REASON_SHOWN)
		fprintf(f, "  ... and %zu more checks with the same reason\n",
			same - SAME_REASON_SHOWN);
}

static void print_rules(FILE *f, const char *title, bool either,
			const struct xfail_rule **rules, const size_t *counts,
			const char **targets, size_t n)
{
	bool header = false;
	size_t j;

	for (j = 0; j < n; j++) {
		if (rules[j]->either != either)
			continue;
		if (!header)
			fprintf(f, "\n%s:\n", title);
		header = true;
		fprintf(f, "  %-9s %4zu x %s: %s\n", targets[j], counts[j],
			rules[j]->glob, rules[j]->reason);
	}
}

/*
 * The known infidelities seen, one line per target rule with its count, so
 * a run's xfails and eithers say why without reading the JSON.
 */
static void print_known(FILE *f, struct run *r)
{
	const struct xfail_rule **rules = NULL;
	size_t *counts = NULL, n = 0, k, i, j;
	const char **targets = NULL;

	for (k = 0; k < r->nslots; k++) {
		const struct image_result *res = &r->slots[k].result;

		for (i = 0; i < res->nchecks; i++) {
			const struct xfail_rule *x = res->checks[i].rule;

			if ((res->checks[i].cls != CLS_XFAIL &&
			     res->checks[i].cls != CLS_EITHER) ||
			    !x)
				continue;
			for (j = 0; j < n && rules[j] != x; j++)
				;
			if (j == n) {
				rules = xrealloc(rules,
						 (n + 1) * sizeof(*rules));
				counts = xrealloc(counts,
						  (n + 1) * sizeof(*counts));
				targets = xrealloc(targets,
						   (n + 1) * sizeof(*targets));
				rules[n] = x;
				counts[n] = 0;
				targets[n++] = r->slots[k].target->name;
			}
			counts[j]++;
		}
	}
	print_rules(f, "known infidelities (xfail)", false, rules, counts,
		    targets, n);
	print_rules(f, "host-dependent checks (either: passed or failed)", true,
		    rules, counts, targets, n);
	free(rules);
	free(counts);
	free(targets);
}

static void print_unexpected(FILE *f, struct run *r)
{
	bool header = false;
	size_t k, i;

	for (k = 0; k < r->nslots; k++) {
		struct slot *s = &r->slots[k];
		bool any = !s->result.ok;

		for (i = 0; i < s->result.nchecks && !any; i++)
			any = class_unexpected(s->result.checks[i].cls);
		/* after a signal, the images never started say nothing */
		if (!any || s->not_run)
			continue;
		if (!header)
			fputs("\nunexpected results:\n", f);
		header = true;
		fprintf(f, "\n%s %s", s->target->name, s->image->name);
		if (!s->result.ok)
			fprintf(f, ": %s", s->result.reason);
		fprintf(f, "\n  rerun:   %s\n  command: %s\n", s->rerun,
			s->command);
		print_unexpected_checks(f, &s->result);
	}
}

static void run_free(struct run *r)
{
	size_t i;

	for (i = 0; i < r->nslots; i++) {
		image_result_free(&r->slots[i].result);
		free(r->slots[i].command);
		free(r->slots[i].rerun);
		free(r->slots[i].started_wall);
		logs_free(&r->slots[i].logs);
		restart_free(&r->slots[i].restart);
	}
	for (i = 0; i < r->njobs; i++) {
		argv_free(r->jobs[i].argv);
		job_free(&r->jobs[i]);
	}
	for (i = 0; i < r->ntargets; i++)
		free(r->why[i]);
	free(r->why);
	free(r->targets);
	free(r->images);
	free(r->slots);
	free(r->jobs);
	free(r->exe);
	iso_rmtree(r->iso_dir);
	free(r->iso_dir);
	image_list_free(&r->il);
	target_list_free(&r->tl);
	hostinfo_free(&r->host);
	run_args_free(&r->o.a);
}

/*
 * After SIGINT/SIGTERM: what ran keeps its results, an image cut short
 * keeps the checks it reported (the rest are errors), and an image not
 * started is an error with every check. The files then say the run is
 * incomplete, as the exit status does.
 */
static void finish_interrupted(struct run *r, const char *sig)
{
	char *cut = xasprintf("interrupted by %s while running", sig);
	char *waiting =
		xasprintf("not run: the run was interrupted by %s", sig);
	size_t k;

	for (k = 0; k < r->nslots; k++) {
		struct slot *s = &r->slots[k];
		struct job *j = s->job;
		/* an ISO image left for a resumed ISO still points at the
		 * ISO that never reached it */
		bool started = j && ((!j->done && job_started(j)) ||
				     s->restart_pending);

		if (!(j && !j->done) && !s->iso_pending && !s->restart_pending)
			continue;
		/* a restart not begun: the boot before it says what ran */
		if (j && !started && s->last_boot) {
			j = &r->jobs[s->last_boot - 1];
			started = true;
		}
		image_result_free(&s->result);
		if (started && !s->target->boot_iso) {
			j->end.reason = cut;
			classify_image(s->image, &j->tap, &j->end, s->target,
				       &r->host, &s->result);
			restart_classify(&s->restart, &j->tap, s->target,
					 &r->host, &s->result);
			/* an xerror line must not make a cut run look whole */
			s->result.ok = false;
			j->end.reason = NULL;
		} else {
			classify_all(s->image, CLS_ERROR,
				     started ? cut : waiting, &s->result);
			s->result.ok = false;
			free(s->result.reason);
			s->result.reason = xstrdup(started ? cut : waiting);
			s->not_run = !started;
		}
		s->iso_pending = false;
		s->restart_pending = false;
		if (started)
			s->finished = now_monotonic();
	}
	for (k = 0; k < r->njobs; k++)
		if (r->jobs[k].interrupted)
			close_logs(&r->jobs[k]);
	free(cut);
	free(waiting);
}

static int check_outputs(const struct run_opts *o, struct perr *e)
{
	if ((o->a.json && outpath_check("run", "--json", o->a.json, e) < 0) ||
	    (o->junit && outpath_check("run", "--junit", o->junit, e) < 0) ||
	    (o->logs && outpath_dir("run", "--logs", o->logs, e) < 0))
		return POPEK_EXIT_USAGE;
	return 0;
}

static int write_outputs(struct run *r, struct results *res, struct perr *e)
{
	struct summary sum;

	if (r->o.tap) {
		tap_stream_write(stdout, res);
	} else {
		summary_compute(res, &sum);
		fputc('\n', stdout);
		summary_print(stdout, &sum);
		summary_free(&sum);
	}
	if (!r->o.a.quiet)
		print_known(r->o.tap ? stderr : stdout, r);
	print_unexpected(r->o.tap ? stderr : stdout, r);
	fflush(stdout);
	if (r->o.a.json && results_json_write(res, r->o.a.json, e) < 0)
		return -1;
	if (r->o.junit && junit_write(res, r->o.junit, e) < 0)
		return -1;
	return 0;
}

int cmd_run(int argc, char **argv, struct perr *e)
{
	struct job_events ev = {progress_started, progress_finished, NULL};
	struct run r = {0};
	struct results res;
	char *started, *sig = NULL;
	const char *dir;
	bool explicit_dir, any_usable = false;
	size_t first = 0;
	size_t i;
	int ret, signo = 0;

	ret = parse_opts(&r.o, argc, argv, e);
	if (!ret)
		ret = check_outputs(&r.o, e);
	if (ret)
		return ret;
	if (!r.o.a.jobs) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		r.o.a.jobs = n > 0 ? (unsigned)n : 1;
	}
	if (run_args_load_targets(&r.o.a, &r.tl, e) < 0) {
		run_args_free(&r.o.a);
		return POPEK_EXIT_NOTHING_RAN;
	}
	if (run_args_targets(&r.o.a, "run", &r.tl, &r.targets, &r.why,
			     &r.ntargets, e) < 0) {
		ret = POPEK_EXIT_USAGE;
		goto out;
	}
	if (hostinfo_probe(&r.host, e) < 0) {
		ret = POPEK_EXIT_NOTHING_RAN;
		goto out;
	}
	dir = images_dir(r.o.a.images, &explicit_dir);
	if (image_list_load(dir, explicit_dir, &r.il, e) < 0 ||
	    (ret = run_args_filters_match("run", &r.il, r.o.a.filters,
					  r.o.a.nfilters, dir, e)) ||
	    select_images(&r, dir, e) < 0) {
		ret = ret ? ret : POPEK_EXIT_NOTHING_RAN;
		goto out;
	}
	for (i = 0; i < r.ntargets; i++) {
		if (r.why[i])
			fprintf(stderr, "popek: target %s unavailable: %s\n",
				r.targets[i]->name, r.why[i]);
		else
			any_usable = true;
	}
	r.exe = self_exe();
	r.tty = isatty(2);
	make_slots(&r);

	started = iso8601_now();
	ev.ctx = &r;
	while (first < r.njobs) {
		if (jobs_run(r.jobs + first, r.njobs - first, r.o.a.jobs, &ev,
			     &signo) == 0) {
			first = r.njobs;
			resume_iso_jobs(&r);
			make_restart_jobs(&r);
			continue;
		}
		if (r.tty && !r.o.a.quiet)
			fputs("\r\033[K", stderr);
		fprintf(stderr,
			"popek: interrupted by %s; killed every "
			"target, writing what ran\n",
			strsignal(signo));
		sig = xasprintf("SIG%s", sigabbrev_np(signo));
		finish_interrupted(&r, sig);
		break;
	}
	if (r.tty && !r.o.a.quiet && !sig)
		fputs("\r\033[K", stderr);
	build_results(&r, &res, started);
	res.interrupted = sig;
	if (write_outputs(&r, &res, e) < 0 && !sig)
		ret = POPEK_EXIT_UNEXPECTED;
	else if (sig)
		ret = signo == SIGINT ? POPEK_EXIT_INTERRUPTED : 128 + signo;
	else if (!any_usable)
		ret = POPEK_EXIT_NOTHING_RAN;
	else if (!r.njobs && !r.iso_failures) {
		/* every selected image was skipped for its width or as
		 * unsupported: nothing ran, and a caller must not read that
		 * as a pass */
		fprintf(stderr, "popek: nothing ran: the requested targets run "
				"none of the selected images\n");
		ret = POPEK_EXIT_NOTHING_RAN;
	} else if (results_unexpected(&res)) {
		ret = POPEK_EXIT_UNEXPECTED;
	} else if (results_all_skipped(&res)) {
		/* the images ran and verified nothing: not a pass either */
		fprintf(stderr, "popek: nothing ran: every check was skipped "
				"(the results say why)\n");
		ret = POPEK_EXIT_NOTHING_RAN;
	} else {
		ret = POPEK_EXIT_OK;
	}
	memset(&res.host, 0, sizeof(res.host));
	res.has_host = false;
	results_free(&res);
out:
	run_free(&r);
	return ret;
}
