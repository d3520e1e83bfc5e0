/*
 * The job loop: one thread, poll() over every running job's pipes, a
 * bounded poll timeout so deadlines and reaping are checked often. Each
 * target runs in its own process group so a timeout or an interrupt kills
 * QEMU and anything it started, and so a Ctrl-C on the terminal reaches
 * only us: we decide what to kill.
 */
#include "job.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

void job_init(struct job *j, char **argv, unsigned timeout, size_t output_limit,
	      void *user)
{
	memset(j, 0, sizeof(*j));
	j->argv = argv;
	j->timeout = timeout;
	j->output_limit = output_limit;
	j->user = user;
	j->out_fd = j->err_fd = -1;
	j->serial_log = j->stderr_log = -1;
	tap_report_init(&j->tap);
}

bool job_started(const struct job *j)
{
	return j->started > 0;
}

void job_free(struct job *j)
{
	tap_report_free(&j->tap);
	sb_free(&j->err);
	sb_free(&j->err_line);
	free(j->last_stderr);
	j->last_stderr = NULL;
	free(j->fatal_line);
	j->fatal_line = NULL;
	free(j->diagnosis);
	j->diagnosis = NULL;
}

/* A log is a copy for people: a failed write must not stop the run. */
static void log_bytes(int fd, const char *buf, size_t n)
{
	ssize_t w;

	while (fd >= 0 && n > 0) {
		w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		n -= (size_t)w;
	}
}

static void child_exec(struct job *j, int out, int err)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	setpgid(0, 0);
	if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 ||
	    dup2(err, 2) < 0)
		_exit(127);
	execvp(j->argv[0], j->argv);
	dprintf(2, "cannot execute %s: %s\n", j->argv[0], strerror(errno));
	_exit(127);
}

/* A failure to start is reported like a target that died at once. */
static void start_failed(struct job *j, const char *what)
{
	j->last_stderr = xasprintf("%s: %s", what, strerror(errno));
	j->end.exited = true;
	j->end.wait_status = 127 << 8;
}

static void job_start(struct job *j, double now)
{
	int out[2], err[2];

	j->started = now;
	j->deadline = now + j->timeout;
	j->end.timeout = j->timeout;
	j->end.output_limit = j->output_limit;
	j->running = true;
	if (pipe2(out, O_CLOEXEC) < 0)
		return start_failed(j, "cannot create a pipe");
	if (pipe2(err, O_CLOEXEC) < 0) {
		close(out[0]);
		close(out[1]);
		return start_failed(j, "cannot create a pipe");
	}
	j->pid = fork();
	if (j->pid == 0)
		child_exec(j, out[1], err[1]);
	close(out[1]);
	close(err[1]);
	if (j->pid < 0) {
		close(out[0]);
		close(err[0]);
		return start_failed(j, "cannot fork");
	}
	/* Also here: the parent may signal the group before the child runs. */
	setpgid(j->pid, j->pid);
	j->out_fd = out[0];
	j->err_fd = err[0];
	fcntl(j->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(j->err_fd, F_SETFL, O_NONBLOCK);
}

static void kill_group(struct job *j)
{
	if (j->pid > 0)
		kill(-j->pid, SIGKILL);
	j->killed = true;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void note_stderr_line(struct job *j)
{
	char *line = str_trim(j->err_line.s ? j->err_line.s : (char *)"");
	size_t i, n;

	if (!*line)
		goto out;
	free(j->last_stderr);
	n = strlen(line);
	if (n > 300)
		n = 300;
	j->last_stderr = xstrndup(line, n);
	for (i = 0; i < n; i++)
		if ((unsigned char)j->last_stderr[i] < 0x20)
			j->last_stderr[i] = ' ';
	for (i = 0; i < j->nfatal_stderr && !j->fatal_line; i++) {
		if (!strstr(j->last_stderr, j->fatal_stderr[i]))
			continue;
		/* The target will not go on (QEMU pauses the VM on a KVM
		 * internal error and waits): end it now, not at the timeout. */
		j->fatal_line = xstrdup(j->last_stderr);
		j->end.fatal_line = j->fatal_line;
		if (!j->tap.exit_seen)
			kill_group(j);
	}
out:
	sb_reset(&j->err_line);
}

static void got_stderr(struct job *j, const char *buf, size_t n)
{
	size_t i;

	j->err_bytes += n;
	log_bytes(j->stderr_log, buf, n);
	if (j->err.len < JOB_STDERR_KEEP)
		sb_add(&j->err, buf, n);
	for (i = 0; i < n; i++) {
		if (buf[i] == '\n')
			note_stderr_line(j);
		else if (j->err_line.len < 4096)
			sb_add(&j->err_line, &buf[i], 1);
	}
}

static void got_stdout(struct job *j, const char *buf, size_t n)
{
	unsigned images = j->tap.seq_images;

	log_bytes(j->serial_log, buf, n);
	/* Before the exit line these are the bytes the limit counts. */
	j->out_bytes += n;
	/* After the exit line the report is complete: drain and drop. */
	if (j->tap.exit_seen)
		return;
	tap_feed(&j->tap, buf, n);
	/* An ISO run: the time limit is per image, from its marker on. */
	if (j->tap.seq_images != images)
		j->deadline = now_monotonic() + j->timeout;
	if (!j->tap.exit_seen && j->out_bytes > j->output_limit) {
		j->end.flooded = true;
		kill_group(j);
		close_fd(&j->out_fd);
	}
}

static void read_fd(struct job *j, int *fd, bool is_stdout)
{
	char buf[65536];
	ssize_t n;

	n = read(*fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		close_fd(fd);
		return;
	}
	if (is_stdout)
		got_stdout(j, buf, (size_t)n);
	else
		got_stderr(j, buf, (size_t)n);
}

/* Deadlines, reaping; true when the job is complete. */
static bool job_check(struct job *j, double now)
{
	int status;

	if (!j->end.exited && j->pid > 0 &&
	    waitpid(j->pid, &status, WNOHANG) == j->pid) {
		j->end.exited = true;
		j->end.wait_status = status;
	}
	if (!j->end.exited) {
		if (j->tap.exit_seen && !j->kill_at && !j->wait_exit)
			j->kill_at = now + JOB_GRACE_SECONDS;
		if (j->kill_at && now >= j->kill_at && !j->killed)
			kill_group(j);
		if ((!j->tap.exit_seen || j->wait_exit) && !j->killed &&
		    now >= j->deadline) {
			j->end.timed_out = true;
			kill_group(j);
		}
		return false;
	}
	if (j->out_fd < 0 && j->err_fd < 0)
		return true;
	/*
	 * The target exited but something it started holds the pipes:
	 * give it the grace period, then kill the group and stop reading.
	 */
	if (!j->drain_until)
		j->drain_until = now + JOB_GRACE_SECONDS;
	if (now < j->drain_until)
		return false;
	kill(-j->pid, SIGKILL);
	close_fd(&j->out_fd);
	close_fd(&j->err_fd);
	return true;
}

/* The guest's exit port: QEMU's isa-debug-exit exits with (N << 1) | 1. */
static bool has_debug_exit(const struct job *j)
{
	char *const *a;

	for (a = j->argv; *a; a++)
		if (strstr(*a, "isa-debug-exit"))
			return true;
	return false;
}

/*
 * What the exit status alone hides: a target that wrote nothing on stdout
 * most likely has COM1 elsewhere (no -serial stdio); and with
 * isa-debug-exit its odd status is the guest's exit code encoded, status
 * 1 meaning exit 0, which reads as a failure of the target itself.
 */
static void diagnose(struct job *j)
{
	int st = j->end.wait_status;
	struct strbuf sb = {0};
	bool odd;

	if (j->tap.exit_seen || j->tap.sequence || j->end.reason ||
	    j->end.fatal_line || j->end.flooded || !j->end.exited)
		return;
	odd = WIFEXITED(st) && (WEXITSTATUS(st) & 1) && has_debug_exit(j);
	/* 126 and 127: the command could not be run at all (exec, shell) */
	if (WIFEXITED(st) && WEXITSTATUS(st) >= 126 && WEXITSTATUS(st) <= 127)
		return;
	if (j->out_bytes == 0) {
		sb_adds(&sb, "0 bytes on stdout: is COM1 on stdout "
			     "(QEMU: -serial stdio)? ");
		if (j->end.timed_out)
			sb_addf(&sb, "timeout after %u s", j->end.timeout);
		else if (WIFEXITED(st))
			sb_addf(&sb, "the target exited with status %d",
				WEXITSTATUS(st));
		else
			sb_addf(&sb, "the target was killed by signal %d (%s)",
				WTERMSIG(st), strsignal(WTERMSIG(st)));
	} else {
		/* the ISO path says the same of the same stream; the
		 * --logs info file decodes the status */
		return;
	}
	if (odd && !j->end.timed_out)
		sb_addf(&sb,
			" (status %d is isa-debug-exit's encoding of a "
			"guest exit %d: the guest ended without printing "
			"'popek: exit')",
			WEXITSTATUS(st), WEXITSTATUS(st) >> 1);
	if (j->last_stderr && *j->last_stderr)
		sb_addf(&sb, " (last stderr: %s)", j->last_stderr);
	j->diagnosis = sb.s;
	j->end.reason = j->diagnosis;
}

static void job_complete(struct job *j, double now)
{
	/* A line we cut short (flood, timeout) is not the guest's. */
	if (!j->end.flooded && !j->end.timed_out)
		tap_finish(&j->tap);
	if (j->err_line.len)
		note_stderr_line(j);
	j->end.last_stderr = j->last_stderr;
	diagnose(j);
	j->seconds = now - j->started;
	j->running = false;
	j->done = true;
}

/*
 * What a killed target wrote before it died is still in the pipes: read
 * it, so an interrupted image keeps the checks it reported. The writers
 * are dead (their group was killed and reaped), so this ends at EOF, or
 * at EAGAIN if something escaped the group and still holds a pipe.
 */
static void drain(struct job *j)
{
	char buf[65536];
	ssize_t n;

	while (j->out_fd >= 0 && (n = read(j->out_fd, buf, sizeof(buf))) > 0)
		got_stdout(j, buf, (size_t)n);
	while (j->err_fd >= 0 && (n = read(j->err_fd, buf, sizeof(buf))) > 0)
		got_stderr(j, buf, (size_t)n);
}

static void kill_all(struct job *jobs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct job *j = &jobs[i];

		if (!j->running)
			continue;
		if (j->pid > 0) {
			kill(-j->pid, SIGKILL);
			if (!j->end.exited)
				while (waitpid(j->pid, NULL, 0) < 0 &&
				       errno == EINTR)
					;
		}
		drain(j);
		close_fd(&j->out_fd);
		close_fd(&j->err_fd);
		if (j->err_line.len)
			note_stderr_line(j);
		j->end.last_stderr = j->last_stderr;
		j->seconds = now_monotonic() - j->started;
		j->running = false;
		j->interrupted = true;
	}
}

static int poll_timeout_ms(struct job *jobs, size_t n, double now)
{
	double next = now + 0.1;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct job *j = &jobs[i];

		if (!j->running || j->killed)
			continue;
		if (!j->end.exited && (!j->tap.exit_seen || j->wait_exit) &&
		    j->deadline < next)
			next = j->deadline;
		if (j->kill_at && j->kill_at < next)
			next = j->kill_at;
		if (j->drain_until && j->drain_until < next)
			next = j->drain_until;
	}
	return next <= now ? 0 : (int)((next - now) * 1000) + 1;
}

int jobs_run(struct job *jobs, size_t n, unsigned parallel,
	     const struct job_events *ev, int *signo)
{
	struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
	struct pollfd *fds =
		xcalloc(2 * (parallel ? parallel : 1), sizeof(*fds));
	struct job **owner =
		xcalloc(2 * (parallel ? parallel : 1), sizeof(*owner));
	size_t next = 0, done = 0, running = 0, nfds, i;
	int ret = 0;

	if (!parallel)
		parallel = 1;
	got_signal = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	while (done < n) {
		double now = now_monotonic();

		if (got_signal)
			break;
		while (running < parallel && next < n) {
			job_start(&jobs[next], now);
			running++;
			if (ev && ev->started)
				ev->started(&jobs[next], done, n, ev->ctx);
			next++;
		}
		nfds = 0;
		for (i = 0; i < next; i++) {
			struct job *j = &jobs[i];

			if (!j->running)
				continue;
			if (j->out_fd >= 0) {
				fds[nfds] =
					(struct pollfd){j->out_fd, POLLIN, 0};
				owner[nfds++] = j;
			}
			if (j->err_fd >= 0) {
				fds[nfds] =
					(struct pollfd){j->err_fd, POLLIN, 0};
				owner[nfds++] = j;
			}
		}
		if (poll(fds, nfds, poll_timeout_ms(jobs, next, now)) < 0 &&
		    errno != EINTR) {
			usleep(10000);
		}
		for (i = 0; i < nfds; i++) {
			struct job *j = owner[i];

			if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (fds[i].fd == j->out_fd)
				read_fd(j, &j->out_fd, true);
			else if (fds[i].fd == j->err_fd)
				read_fd(j, &j->err_fd, false);
		}
		now = now_monotonic();
		for (i = 0; i < next; i++) {
			struct job *j = &jobs[i];

			if (!j->running || !job_check(j, now))
				continue;
			job_complete(j, now);
			running--;
			done++;
			if (ev && ev->finished)
				ev->finished(j, done, n, ev->ctx);
		}
	}
	if (got_signal) {
		kill_all(jobs, next);
		if (signo)
			*signo = got_signal;
		ret = -EINTR;
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	free(fds);
	free(owner);
	return ret;
}
