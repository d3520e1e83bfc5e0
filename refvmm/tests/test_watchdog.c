/*
 * The watchdog behind --timeout (watchdog.h): a process that never
 * returns to the run loop after its deadline still ends, with one line
 * on stderr and the timeout status, even with a foreign FS base loaded
 * (as while a software mode runs its guest), since the handler must not
 * touch libc's thread state.
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "refvmm/clock.h"
#include "refvmm/exitcode.h"
#include "refvmm/watchdog.h"

static int spin_past(u64 timeout_ns, bool foreign_fs, char *err, size_t len)
{
	int fds[2], status;
	ssize_t n, got = 0;
	pid_t pid;

	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(fds[1], 2);
		if (watchdog__init() < 0)
			_exit(2);
		watchdog__arm(clock__monotonic_ns() + timeout_ns);
		/* From here on no libc: a wrong FS base breaks it. */
		if (foreign_fs)
			syscall(SYS_arch_prctl, ARCH_SET_FS, 0x1000ul);
		for (;;)
			asm volatile("pause");
	}
	close(fds[1]);
	while ((n = read(fds[0], err + got, len - 1 - (size_t)got)) > 0)
		got += n;
	err[got] = 0;
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return status;
}

Test(watchdog, ends_a_run_that_never_returns, .timeout = 30)
{
	char err[512];
	u64 t0 = clock__monotonic_ns(), dt;
	int status = spin_past(100 * 1000 * 1000ull, true, err, sizeof(err));

	dt = clock__monotonic_ns() - t0;
	cr_assert(WIFEXITED(status), "status %#x", status);
	cr_expect_eq(WEXITSTATUS(status), REFVMM_EXIT_TIMEOUT);
	cr_expect_str_eq(err, "refvmm: timeout: the run did not stop within 2 "
			      "s of the --timeout deadline; the watchdog "
			      "ended it (no counters)\n");
	/* deadline 0.1 s + the 2 s grace, not earlier */
	cr_expect_geq(dt, WATCHDOG_GRACE_NS + 100 * 1000 * 1000ull);
	cr_expect_lt(dt, WATCHDOG_GRACE_NS + 5 * NSEC_PER_SEC);
}

Test(watchdog, disarmed_it_stays_quiet)
{
	pid_t pid = fork();
	int status;

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct timespec t = {.tv_nsec = 300 * 1000 * 1000};

		if (watchdog__init() < 0)
			_exit(2);
		/* due 0.2 s from now, then disarmed */
		watchdog__arm(clock__monotonic_ns() - WATCHDOG_GRACE_NS +
			      200 * 1000 * 1000ull);
		watchdog__arm(0);
		nanosleep(&t, NULL);
		nanosleep(&t, NULL);
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x",
		  status);
}
