/*
 * popek check-target NAME: boot the smoke images on one target and say,
 * in words a hypervisor developer can act on, whether the target file
 * does what the runner needs (docs/targets.md): the guest's COM1 on
 * standard output, the image found, the report ended by `popek: exit`,
 * the process ending by itself.
 */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "classify.h"
#include "cmd.h"
#include "elf_image.h"
#include "hostinfo.h"
#include "iso.h"
#include "iso_stream.h"
#include "job.h"
#include "run_args.h"
#include "target.h"
#include "target_lint.h"

#include "popek/image.h"

#ifndef POPEK_SOURCE_DIR
#define POPEK_SOURCE_DIR "."
#endif

/* The images booted: short, and on every width. */
static const char *const smoke[] = {"runtime-smoke-32", "runtime-smoke-64"};
#define NSMOKE 2

struct ct {
	struct run_args a;
	struct target_list tl;
	struct target *t;
	struct target_lint lint;
	struct hostinfo host;
	struct image imgs[NSMOKE];
	size_t nimgs;
	const char *images;
	unsigned problems, unexpected;
};

static void say(const char *tag, const char *fmt, ...) POPEK_PRINTF(2, 3);
static void say(const char *tag, const char *fmt, ...)
{
	va_list ap;

	printf("  %-5s ", tag);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* The next line of advice under a finding. */
static void hint(const char *fmt, ...) POPEK_PRINTF(1, 2);
static void hint(const char *fmt, ...)
{
	va_list ap;

	fputs("        ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static int parse_opts(struct ct *c, int argc, char **argv, struct perr *e)
{
	static const struct option opts[] = {
		{"targets", required_argument, NULL, 'T'},
		{"target-set", required_argument, NULL, 's'},
		{"images", required_argument, NULL, 'I'},
		{"timeout", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};
	char ***v;
	size_t *n;
	int o;

	opterr = 0;
	while ((o = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (o) {
		case 'T':
		case 's':
			v = o == 'T' ? &c->a.targets_dirs : &c->a.sets;
			n = o == 'T' ? &c->a.ntargets_dirs : &c->a.nsets;
			*v = xrealloc(*v, (*n + 1) * sizeof(**v));
			(*v)[(*n)++] = optarg;
			break;
		case 'I':
			c->images = optarg;
			break;
		case 'o':
			if (run_args_uint("check-target", "--timeout", optarg,
					  1, 86400, &c->a.timeout, e))
				return POPEK_EXIT_USAGE;
			break;
		default:
			return usage_error(e, "check-target", o, optopt,
					   argv[optind - 1]);
		}
	}
	if (argc - optind != 1) {
		perr_set(e, "check-target: give one target (a name, or a path "
			    "to NAME.conf)");
		return POPEK_EXIT_USAGE;
	}
	c->a.targets = argv[optind];
	c->a.tlist = xcalloc(1, sizeof(*c->a.tlist));
	c->a.tlist[0] = argv[optind];
	c->a.ntlist = 1;
	return 0;
}

static void lint_report(struct ct *c)
{
	const struct target_lint *l = &c->lint;

	if (!l->qemu) {
		say("note", "not QEMU: where COM1 goes and how the process "
			    "ends are judged by booting alone");
		return;
	}
	if (l->serial == LINT_NO)
		say("warn", "no '-serial stdio': QEMU sends COM1 elsewhere, "
			    "but popek reads the guest's report from the "
			    "target's standard output");
	if (l->exit_device == LINT_NO)
		say("warn",
		    "no isa-debug-exit device: QEMU cannot exit when the "
		    "guest ends (-device isa-debug-exit,iobase=0x%x,"
		    "iosize=0x04)",
		    POPEK_DEBUG_EXIT_PORT);
	else if (l->exit_iobase != POPEK_DEBUG_EXIT_PORT)
		say("warn",
		    "isa-debug-exit at iobase 0x%lx, but the probes write "
		    "their exit code to port 0x%x (iobase=0x%x)",
		    l->exit_iobase, POPEK_DEBUG_EXIT_PORT,
		    POPEK_DEBUG_EXIT_PORT);
	if (l->no_reboot == LINT_NO)
		say("warn", "no -no-reboot: a guest that triple-faults "
			    "reboots and runs again until the timeout");
}

/* How the process ended, for a finding. */
static char *how_ended(const struct job *j)
{
	int st = j->end.wait_status;

	if (j->end.timed_out)
		return xasprintf("killed at the %u s timeout", j->end.timeout);
	if (j->end.exited && WIFEXITED(st))
		return xasprintf("exited with status %d after %.1f s",
				 WEXITSTATUS(st), j->seconds);
	if (j->end.exited && WIFSIGNALED(st))
		return xasprintf("killed by signal %d after %.1f s",
				 WTERMSIG(st), j->seconds);
	return xasprintf("ended after %.1f s", j->seconds);
}

static bool cannot_load(const struct job *j, const char *image)
{
	const char *err = j->err.s ? j->err.s : "";

	return strstr(err, "could not load") || strstr(err, "could not open") ||
	       strstr(err, "No such file") || strstr(err, image);
}

/* Nothing on stdout: the guest's report never reached the runner. */
static void no_output(struct ct *c, const struct job *j, const char *label,
		      const char *image)
{
	char *how = how_ended(j);
	bool load = cannot_load(j, image);

	say("FAIL", "%s: 0 bytes on the target's standard output (%s)", label,
	    how);
	free(how);

	if (load)
		hint("the target could not load the image: does the command "
		     "pass {image} where the monitor takes a kernel (QEMU: "
		     "-kernel {image}), and can it read %s?",
		     image);
	else if (c->lint.serial == LINT_NO)
		hint("COM1 is not on standard output: add -serial stdio");
	else
		hint("is COM1 on stdout? The guest's serial port must reach "
		     "the target's standard output byte for byte (QEMU: "
		     "-serial stdio; elsewhere a COM1 file mode on "
		     "/dev/stdout)");
	if (!load && j->end.exited && WIFEXITED(j->end.wait_status) &&
	    (WEXITSTATUS(j->end.wait_status) & 1) && c->lint.exit_device)
		hint("status %d is isa-debug-exit's encoding of exit %d: the "
		     "guest ran to its end, its output went elsewhere",
		     WEXITSTATUS(j->end.wait_status),
		     WEXITSTATUS(j->end.wait_status) >> 1);
	if (j->last_stderr)
		hint("last stderr line: %s", j->last_stderr);
	c->problems++;
}

/* The report ended; did the process end with it? */
static void ended(struct ct *c, const struct job *j, const char *label)
{
	const struct target_lint *l = &c->lint;
	int st = j->end.wait_status;

	if (!j->killed) {
		if (j->end.exited && WIFEXITED(st) && l->exit_device &&
		    WEXITSTATUS(st) == ((j->tap.exit_code << 1) | 1))
			say("ok",
			    "%s: 'popek: exit %d', then the target "
			    "exited (status %d: isa-debug-exit's "
			    "encoding of exit %d) after %.1f s",
			    label, j->tap.exit_code, WEXITSTATUS(st),
			    j->tap.exit_code, j->seconds);
		else
			say("ok",
			    "%s: the report ended, then the target "
			    "exited by itself after %.1f s",
			    label, j->seconds);
		return;
	}
	if (l->exit_device == LINT_YES) {
		say("FAIL",
		    "%s: the target did not exit after the report "
		    "ended and was killed %.0f s later",
		    label, JOB_GRACE_SECONDS);
		if (l->exit_iobase != POPEK_DEBUG_EXIT_PORT)
			hint("wrong iobase: isa-debug-exit is at 0x%lx, the "
			     "probes write port 0x%x (iobase=0x%x,"
			     "iosize=0x04)",
			     l->exit_iobase, POPEK_DEBUG_EXIT_PORT,
			     POPEK_DEBUG_EXIT_PORT);
		c->problems++;
		return;
	}
	say("warn",
	    "%s: the target did not exit after the report ended and was "
	    "killed %.0f s later; every image costs that much more",
	    label, JOB_GRACE_SECONDS);
	if (l->qemu)
		hint("add -device isa-debug-exit,iobase=0x%x,iosize=0x04",
		     POPEK_DEBUG_EXIT_PORT);
	else
		hint("make the monitor exit when the guest writes its exit "
		     "code to port 0x%x",
		     POPEK_DEBUG_EXIT_PORT);
}

static void diagnose(struct ct *c, const struct job *j, const char *label,
		     const char *image)
{
	char *why;

	if (j->out_bytes == 0) {
		no_output(c, j, label, image);
	} else if (!j->tap.exit_seen) {
		why = run_end_reason(&j->tap, &j->end);
		say("FAIL",
		    "%s: %zu bytes of output, but the report never "
		    "ended: %s",
		    label, j->out_bytes, why);
		free(why);
		if (c->lint.no_reboot == LINT_NO && j->end.timed_out)
			hint("a guest that triple-faults reboots without "
			     "-no-reboot");
		c->problems++;
	} else {
		ended(c, j, label);
	}
}

static void checks_report(struct ct *c, const struct image *img,
			  const struct image_result *r)
{
	size_t counts[CLS_COUNT] = {0}, i, bad = 0;

	for (i = 0; i < r->nchecks; i++) {
		counts[r->checks[i].cls]++;
		bad += class_unexpected(r->checks[i].cls);
	}
	if (!bad) {
		say("ok", "%s: %zu checks, %zu pass, %zu xfail, %zu skip",
		    img->name, r->nchecks, counts[CLS_PASS], counts[CLS_XFAIL],
		    counts[CLS_SKIP]);
		return;
	}
	say("FAIL", "%s: %zu of %zu checks unexpected", img->name, bad,
	    r->nchecks);
	for (i = 0; i < r->nchecks; i++)
		if (class_unexpected(r->checks[i].cls))
			hint("%s %s: %s", class_name(r->checks[i].cls),
			     r->checks[i].id, r->checks[i].reason);
	c->unexpected++;
}

static int run_job(struct ct *c, struct job *j, char **argv, size_t images)
{
	unsigned timeout = c->a.timeout ? c->a.timeout : c->t->timeout;
	int signo = 0;

	job_init(j, argv, timeout, c->t->output_limit * images, NULL);
	j->fatal_stderr = c->t->fatal_stderr;
	j->nfatal_stderr = c->t->nfatal_stderr;
	j->tap.sequence = c->t->boot_iso;
	if (jobs_run(j, 1, 1, NULL, &signo) < 0)
		return signo == SIGINT ? POPEK_EXIT_INTERRUPTED : 128 + signo;
	return 0;
}

static int boot_kernel(struct ct *c, const char *bindir)
{
	struct image_result res;
	struct job j;
	size_t i;
	int ret;

	for (i = 0; i < c->nimgs; i++) {
		char **argv = target_expand(c->t, c->imgs[i].path, bindir,
					    POPEK_SOURCE_DIR);

		ret = run_job(c, &j, argv, 1);
		if (!ret) {
			diagnose(c, &j, c->imgs[i].name, c->imgs[i].path);
			classify_image(&c->imgs[i], &j.tap, &j.end, c->t,
				       &c->host, &res);
			if (j.out_bytes)
				checks_report(c, &c->imgs[i], &res);
			image_result_free(&res);
		}
		argv_free(argv);
		job_free(&j);
		if (ret)
			return ret;
	}
	return 0;
}

static int boot_iso(struct ct *c, const char *bindir, struct perr *e)
{
	struct image *imgs[NSMOKE];
	struct image_result res;
	struct seq_run sr;
	struct job j;
	char *dir = iso_tmpdir(e), *iso, **argv;
	size_t i;
	int ret;

	if (!dir)
		return POPEK_EXIT_UNEXPECTED;
	for (i = 0; i < c->nimgs; i++)
		imgs[i] = &c->imgs[i];
	iso = xasprintf("%s/%s.iso", dir, c->t->name);
	if (iso_build(iso, imgs, c->nimgs, 0, e) < 0) {
		free(iso);
		iso_rmtree(dir);
		free(dir);
		return POPEK_EXIT_UNEXPECTED;
	}
	say("ok", "built an ISO of the smoke images");
	argv = target_expand(c->t, iso, bindir, POPEK_SOURCE_DIR);
	ret = run_job(c, &j, argv, c->nimgs);
	if (!ret) {
		diagnose(c, &j, "the ISO", iso);
		seq_run_parse(j.tap.log.s ? j.tap.log.s : "", j.tap.log.len,
			      &sr);
		for (i = 0; i < c->nimgs && j.out_bytes; i++) {
			seq_classify(&c->imgs[i], &sr, &j.end, c->t, &c->host,
				     &res);
			checks_report(c, &c->imgs[i], &res);
			image_result_free(&res);
		}
		seq_run_free(&sr);
	}
	argv_free(argv);
	job_free(&j);
	iso_rmtree(dir);
	free(dir);
	free(iso);
	return ret;
}

/* The smoke images of the widths the target runs; 0 or an exit status. */
static int load_smoke(struct ct *c, struct perr *e)
{
	bool explicit_dir;
	const char *dir = images_dir(c->images, &explicit_dir);
	char real[PATH_MAX], *path;
	size_t i;

	for (i = 0; i < NSMOKE; i++) {
		const struct unsupported_rule *u;
		unsigned width = i ? 64 : 32;

		if (!target_runs_width(c->t, width)) {
			say("skip", "%s: the target runs no %u-bit images",
			    smoke[i], width);
			continue;
		}
		u = target_find_unsupported(c->t, smoke[i]);
		if (u) {
			say("skip", "%s: unsupported: %s", smoke[i], u->reason);
			continue;
		}
		path = xasprintf("%s/%s.elf", dir, smoke[i]);
		if (!realpath(path, real)) {
			perr_set(e,
				 "check-target: image %s not found in %s: "
				 "build the images (scripts/build) or give "
				 "--images DIR",
				 smoke[i], dir);
			free(path);
			return POPEK_EXIT_NOTHING_RAN;
		}
		free(path);
		if (image_load(real, &c->imgs[c->nimgs], e) < 0)
			return POPEK_EXIT_UNEXPECTED;
		c->nimgs++;
	}
	if (!c->nimgs) {
		perr_set(e, "check-target: %s runs neither smoke image",
			 c->t->name);
		return POPEK_EXIT_NOTHING_RAN;
	}
	return 0;
}

static int check(struct ct *c, struct perr *e)
{
	struct target **ts = NULL;
	char **why = NULL, *bindir, *cmd;
	size_t n = 0;
	int ret;

	if (run_args_load_targets(&c->a, &c->tl, e) < 0)
		return POPEK_EXIT_TARGET_BROKEN;
	ret = run_args_targets(&c->a, "check-target", &c->tl, &ts, &why, &n,
			       e) < 0
		      ? POPEK_EXIT_USAGE
		      : 0;
	if (ret)
		goto out;
	c->t = ts[0];
	cmd = argv_join(c->t->argv);
	printf("target %s (%s)\n", c->t->name, c->t->path);
	say("ok", "the file parses; command: %s", cmd);
	free(cmd);
	if (why[0]) {
		say("FAIL", "cannot run on this host: %s", why[0]);
		ret = POPEK_EXIT_NOTHING_RAN;
		goto out;
	}
	say("ok", "its requirements hold on this host");
	target_lint(c->t, &c->lint);
	lint_report(c);
	if (hostinfo_probe(&c->host, e) < 0 || (ret = load_smoke(c, e))) {
		ret = ret ? ret : POPEK_EXIT_NOTHING_RAN;
		goto out;
	}
	bindir = self_dir();
	ret = c->t->boot_iso ? boot_iso(c, bindir, e) : boot_kernel(c, bindir);
	free(bindir);
	if (ret)
		goto out;
	if (c->problems)
		printf("%s: %u problem%s (above)\n", c->t->name, c->problems,
		       c->problems > 1 ? "s" : "");
	else if (c->unexpected)
		printf("%s: boots the images as popek needs; unexpected "
		       "results on %u smoke image%s (above)\n",
		       c->t->name, c->unexpected, c->unexpected > 1 ? "s" : "");
	else
		printf("%s: works with popek\n", c->t->name);
	ret = c->problems     ? POPEK_EXIT_TARGET_BROKEN
	      : c->unexpected ? POPEK_EXIT_UNEXPECTED
			      : POPEK_EXIT_OK;
out:
	free(ts);
	if (why && n)
		free(why[0]);
	free(why);
	return ret;
}

int cmd_check_target(int argc, char **argv, struct perr *e)
{
	struct ct c = {0};
	size_t i;
	int ret = parse_opts(&c, argc, argv, e);

	if (!ret) {
		fflush(stdout);
		ret = check(&c, e);
		fflush(stdout);
	}
	for (i = 0; i < c.nimgs; i++)
		image_free(&c.imgs[i]);
	hostinfo_free(&c.host);
	target_list_free(&c.tl);
	run_args_free(&c.a);
	return ret;
}
