/*
 * Running targets: each job boots one image on one target as a child
 * process in its own process group, with the guest serial port (its
 * stdout) and its stderr read through pipes. Up to N jobs run at once.
 */
#ifndef POPEK_RUNNER_JOB_H
#define POPEK_RUNNER_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "classify.h"
#include "tap.h"
#include "util.h"

/* After `popek: exit`, how long a target may take to exit by itself. */
#define JOB_GRACE_SECONDS 2.0

struct job {
	/* Set by the caller. */
	char **argv;
	unsigned timeout;
	size_t output_limit;
	void *user;
	/* stderr substrings that end the run (target_free owns them) */
	char *const *fatal_stderr;
	size_t nfatal_stderr;
	/* --logs: every byte of stdout and of stderr is also written here
	 * (-1: none; the caller opens and closes them) */
	int serial_log, stderr_log;
	/* What the caller needs comes after the exit line (refvmm's
	 * --stats=json, printed as it exits): no JOB_GRACE_SECONDS kill once
	 * `popek: exit` is seen, only the deadline. */
	bool wait_exit;

	/* Filled in by jobs_run. */
	struct tap_report tap;
	struct strbuf err; /* stderr, the first JOB_STDERR_KEEP bytes */
	char *last_stderr; /* last non-empty stderr line, or NULL */
	char *fatal_line;  /* the stderr line that matched fatal_stderr */
	struct run_end end;
	double seconds;
	size_t out_bytes, err_bytes; /* read from stdout and stderr */
	/* the run ended for a reason the exit status alone hides (nothing
	 * on stdout, isa-debug-exit's encoding); end.reason points here */
	char *diagnosis;
	bool interrupted; /* killed by jobs_run on SIGINT/SIGTERM */

	/* Private to job.c. */
	pid_t pid;
	int out_fd, err_fd;
	bool running, done, killed;
	double started, deadline, kill_at, drain_until;
	struct strbuf err_line;
};

#define JOB_STDERR_KEEP (64 * 1024)

struct job_events {
	void (*started)(struct job *j, size_t done, size_t total, void *ctx);
	void (*finished)(struct job *j, size_t done, size_t total, void *ctx);
	void *ctx;
};

void job_init(struct job *j, char **argv, unsigned timeout, size_t output_limit,
	      void *user);
/* Whether the job was started (it may be neither done nor interrupted
 * when a signal came before its turn). */
bool job_started(const struct job *j);
void job_free(struct job *j);

/*
 * Run every job, at most `parallel` at a time. Returns 0 when all
 * finished, or -EINTR after SIGINT or SIGTERM (every child process group
 * killed and reaped first; those jobs are `interrupted`, with their
 * output so far and their seconds); *signo then says which signal.
 */
int jobs_run(struct job *jobs, size_t n, unsigned parallel,
	     const struct job_events *ev, int *signo);

#endif
