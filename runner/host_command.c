/* host_command.h: one short-lived child, its stdout and stderr merged. */
#include "host_command.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "target.h"
#include "util.h"

#define OUT_MAX 4096

static char **split(const char *line)
{
	char *copy = xstrdup(line), *tok, *save = NULL;
	char **argv = NULL;
	size_t n = 0;

	for (tok = strtok_r(copy, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		argv = xrealloc(argv, (n + 2) * sizeof(*argv));
		argv[n++] = xstrdup(tok);
		argv[n] = NULL;
	}
	free(copy);
	return argv;
}

static void __attribute__((noreturn)) child(char **argv, int out)
{
	int null = open("/dev/null", O_RDONLY);

	if (null >= 0)
		dup2(null, 0);
	dup2(out, 1);
	dup2(out, 2);
	execvp(argv[0], argv);
	dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* The output's last non-empty line, trimmed. */
static char *last_line(char *buf, size_t n)
{
	char *end = buf + n, *start;

	while (end > buf && (end[-1] == '\n' || end[-1] == ' ' ||
			     end[-1] == '\r' || end[-1] == '\t'))
		end--;
	*end = '\0';
	start = strrchr(buf, '\n');
	start = start ? start + 1 : buf;
	return *start ? xstrdup(start) : NULL;
}

/* Reads until EOF or the deadline; false on the deadline. */
static bool drain(int fd, char *buf, size_t *n, time_t deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		time_t left = deadline - time(NULL);
		char scratch[512];
		ssize_t r;

		if (left <= 0)
			return false;
		if (poll(&p, 1, (int)left * 1000) < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		if (!p.revents)
			continue;
		r = read(fd, scratch, sizeof(scratch));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return true;
		/* keep the tail: the reason is the last line */
		if (*n + (size_t)r > OUT_MAX - 1) {
			size_t drop = *n + (size_t)r - (OUT_MAX - 1);

			drop = drop > *n ? *n : drop;
			memmove(buf, buf + drop, *n - drop);
			*n -= drop;
		}
		r = r > OUT_MAX - 1 ? OUT_MAX - 1 : r;
		memcpy(buf + *n, scratch, (size_t)r);
		*n += (size_t)r;
	}
}

bool host_command_ok(const char *line, char **why)
{
	char **argv = split(line), buf[OUT_MAX], *last;
	int fds[2], status = 0;
	size_t n = 0;
	bool done;
	pid_t pid;

	*why = NULL;
	if (!argv) {
		*why = xstrdup("empty requires command");
		return false;
	}
	if (pipe2(fds, O_CLOEXEC) < 0) {
		*why = xasprintf("pipe: %s", strerror(errno));
		argv_free(argv);
		return false;
	}
	pid = fork();
	if (pid == 0)
		child(argv, fds[1]);
	close(fds[1]);
	if (pid < 0) {
		*why = xasprintf("fork: %s", strerror(errno));
		close(fds[0]);
		argv_free(argv);
		return false;
	}
	done = drain(fds[0], buf, &n, time(NULL) + HOST_COMMAND_TIMEOUT);
	close(fds[0]);
	if (!done)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	buf[n] = '\0';
	if (done && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		argv_free(argv);
		return true;
	}
	last = last_line(buf, n);
	if (!done)
		*why = xasprintf("%s: no answer within %d s", line,
				 HOST_COMMAND_TIMEOUT);
	else if (last)
		*why = last;
	else if (WIFEXITED(status))
		*why = xasprintf("%s exited with status %d", line,
				 WEXITSTATUS(status));
	else
		*why = xasprintf("%s killed by signal %d", line,
				 WTERMSIG(status));
	if (!done)
		free(last);
	argv_free(argv);
	return false;
}
