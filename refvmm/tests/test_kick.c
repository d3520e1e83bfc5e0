/*
 * The deadline kick (run.h) and refvmm's own host I/O: a kick that lands
 * while refvmm writes to a slow stdout must not lose the write. Seen as
 * a missing guest console line under refvmm-hw in a TCG VM, whose
 * console tty blocks: the write failed with EINTR and stdio dropped the
 * buffered line. The pipe here is full when the line is flushed, so
 * the write blocks with nothing written until the reader drains it,
 * well after the kick.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "refvmm/clock.h"
#include "refvmm/run.h"

static int fds[2];
static size_t fill;

static void *drain_later(void *arg)
{
	static char buf[65536];
	struct timespec t = {.tv_nsec = 200 * 1000 * 1000};
	size_t *got = arg;
	ssize_t n;

	nanosleep(&t, NULL);
	while ((n = read(fds[0], buf, sizeof(buf))) > 0) {
		/* The line is the last thing in the pipe. */
		if ((size_t)n >= 5 && *got + (size_t)n == fill + 5)
			cr_assert_eq(memcmp(buf + n - 5, "line\n", 5), 0);
		*got += (size_t)n;
	}
	return NULL;
}

Test(kick, interrupted_write_to_a_full_pipe_is_not_lost)
{
	static const char zero[4096];
	volatile u8 flag = 0;
	size_t got = 0;
	pthread_t reader;
	ssize_t n;
	FILE *f;

	cr_assert_eq(pipe(fds), 0);
	cr_assert_eq(fcntl(fds[1], F_SETFL, O_NONBLOCK), 0);
	while ((n = write(fds[1], zero, sizeof(zero))) > 0)
		fill += (size_t)n;
	cr_assert_eq(errno, EAGAIN);
	cr_assert_eq(fcntl(fds[1], F_SETFL, 0), 0);
	f = fdopen(fds[1], "w");
	cr_assert_not_null(f);

	cr_assert_eq(kick__init(), 0);
	kick__set_target(&flag);
	kick__arm(clock__monotonic_ns() + 20 * 1000 * 1000);
	cr_assert_eq(pthread_create(&reader, NULL, drain_later, &got), 0);
	fputs("line\n", f);
	cr_assert_eq(fflush(f), 0, "fflush: %s", strerror(errno));
	cr_assert_eq(flag, 1, "the kick fired during the write");
	fclose(f);
	pthread_join(reader, NULL);
	cr_assert_eq(got, fill + 5);
	kick__exit();
}
