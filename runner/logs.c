/*
 * The per-job log files. The streams are written as they arrive (job.c),
 * so a run killed from outside still leaves what its targets said; the
 * info file is written when the job has ended.
 */
#include "logs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "outpath.h"
#include "target.h"

/* Target and image names are file names already (no '/'); be sure. */
static char *safe_name(const char *s)
{
	char *c = xstrdup(s), *p;

	for (p = c; *p; p++)
		if (*p == '/' || (p == c && *p == '.'))
			*p = '_';
	return c;
}

/*
 * O_NOFOLLOW: in a directory others can write, a planted symlink must not
 * make popek truncate a file it points at.
 */
static int open_log(const char *path, struct perr *e)
{
	int fd = open(path,
		      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		      0666);

	if (fd < 0)
		perr_set(e, "cannot write %s: %s", path, strerror(errno));
	return fd;
}

int logs_open(const char *dir, const char *target, const char *name,
	      struct job *j, struct job_logs *out, struct perr *e)
{
	char *t = safe_name(target), *n = safe_name(name);
	char *sub = xasprintf("%s/%s", dir, t);
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (mkdir(sub, 0777) < 0 && errno != EEXIST) {
		perr_set(e, "cannot create %s: %s", sub, strerror(errno));
		goto done;
	}
	out->serial = xasprintf("%s/%s.serial.txt", sub, n);
	out->stderr_ = xasprintf("%s/%s.stderr.txt", sub, n);
	out->info = xasprintf("%s/%s.info.txt", sub, n);
	j->serial_log = open_log(out->serial, e);
	if (j->serial_log < 0)
		goto done;
	j->stderr_log = open_log(out->stderr_, e);
	if (j->stderr_log < 0) {
		logs_close(j);
		goto done;
	}
	ret = 0;
done:
	if (ret)
		logs_free(out);
	free(sub);
	free(t);
	free(n);
	return ret;
}

void logs_close(struct job *j)
{
	if (j->serial_log >= 0)
		close(j->serial_log);
	if (j->stderr_log >= 0)
		close(j->stderr_log);
	j->serial_log = j->stderr_log = -1;
}

void logs_free(struct job_logs *l)
{
	free(l->serial);
	free(l->stderr_);
	free(l->info);
	memset(l, 0, sizeof(*l));
}

static bool uses_debug_exit(const struct job *j)
{
	char *const *a;

	for (a = j->argv; *a; a++)
		if (strstr(*a, "isa-debug-exit"))
			return true;
	return false;
}

char *logs_end_text(const struct job *j)
{
	int st = j->end.wait_status, code;

	if (j->interrupted)
		return xstrdup("killed by popek: the run was interrupted");
	if (!j->end.exited)
		return xstrdup("never started");
	if (j->end.timed_out)
		return xasprintf("killed by popek after the timeout (%u s)",
				 j->end.timeout);
	if (j->end.flooded)
		return xasprintf("killed by popek: more than %zu bytes on "
				 "stdout",
				 j->end.output_limit);
	if (j->end.fatal_line && !j->tap.exit_seen)
		return xasprintf("killed by popek: stderr said '%s'",
				 j->end.fatal_line);
	if (WIFSIGNALED(st) && j->killed && j->tap.exit_seen)
		return xasprintf("killed by popek %.0f s after 'popek: exit' "
				 "(it did not exit by itself)",
				 JOB_GRACE_SECONDS);
	if (WIFSIGNALED(st))
		return xasprintf("killed by signal %d (%s)", WTERMSIG(st),
				 strsignal(WTERMSIG(st)));
	code = WEXITSTATUS(st);
	if (code == 126 || code == 127)
		return xasprintf("exited with status %d: the command could "
				 "not be run",
				 code);
	if ((code & 1) && uses_debug_exit(j))
		return xasprintf("exited with status %d: isa-debug-exit's "
				 "encoding ((N << 1) | 1) of the guest "
				 "writing %d to the exit port",
				 code, code >> 1);
	if (code == 0 && !j->tap.exit_seen)
		return xstrdup("exited with status 0 before 'popek: exit' "
			       "(QEMU -no-reboot exits so on a triple "
			       "fault)");
	return xasprintf("exited with status %d", code);
}

static void put_result(FILE *f, const struct logs_image *im)
{
	size_t counts[CLS_COUNT] = {0}, i;
	const struct image_result *r = im->result;
	const char *sep = "";
	int c;

	fprintf(f, "\nimage: %s\n", im->name);
	if (im->started && *im->started)
		fprintf(f, "started: %s\n", im->started);
	if (im->rerun && *im->rerun)
		fprintf(f, "rerun: %s\n", im->rerun);
	if (!r)
		return;
	fprintf(f, "status: %s%s%s\n",
		!r->ok			  ? "error"
		: r->reason && *r->reason ? "xerror"
					  : "ok",
		r->reason && *r->reason ? ": " : "",
		r->reason ? r->reason : "");
	if (r->exit_code >= 0)
		fprintf(f, "popek: exit %d\n", r->exit_code);
	for (i = 0; i < r->nchecks; i++)
		counts[r->checks[i].cls]++;
	fputs("checks: ", f);
	for (c = 0; c < CLS_COUNT; c++)
		if (counts[c]) {
			fprintf(f, "%s%zu %s", sep, counts[c],
				class_name((enum check_class)c));
			sep = ", ";
		}
	fputc('\n', f);
}

int logs_write_info(const struct job_logs *l, const char *target,
		    const struct job *j, const struct logs_image *images,
		    size_t n, struct perr *e)
{
	char *cmd = argv_join(j->argv), *end = logs_end_text(j);
	struct outfile out;
	size_t i;

	if (outpath_open(&out, l->info, e) < 0) {
		free(cmd);
		free(end);
		return -1;
	}
	fprintf(out.f,
		"target: %s\ncommand: %s\nend: %s\nseconds: %.3f\n"
		"stdout: %zu bytes (%s)\nstderr: %zu bytes (%s)\n",
		target, cmd, end, j->seconds, j->out_bytes, l->serial,
		j->err_bytes, l->stderr_);
	if (j->diagnosis)
		fprintf(out.f, "diagnosis: %s\n", j->diagnosis);
	for (i = 0; i < n; i++)
		put_result(out.f, &images[i]);
	free(cmd);
	free(end);
	return outpath_commit(&out, e);
}
