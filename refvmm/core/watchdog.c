/*
 * The hard bound behind --timeout (watchdog.h). The deadline kick only
 * asks the mode to leave its run; a run that cannot leave (a monitor bug
 * a hostile guest found, or an instruction the BT modes single-step to
 * a boundary whose step trap never arrives, as a guest's split-locked
 * LOCK CMPXCHG8B under a kernel that traps bus locks showed) would
 * otherwise outlive its deadline until the runner's kill. This timer's
 * handler ends the process itself.
 *
 * It may run while a software mode has the guest's segments and FS base
 * loaded, on the signal stack: so it uses no libc (TLS, locale, stdio),
 * no stack protector and no vector registers, only two raw system calls
 * that the sandbox allows (write to stderr, exit_group).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include "refvmm/exitcode.h"
#include "refvmm/watchdog.h"

static const char message[] =
	"refvmm: timeout: the run did not stop within " WATCHDOG_GRACE_TEXT
	" of the --timeout deadline; the watchdog ended it (no counters)\n";

static timer_t watchdog_timer;
static bool watchdog_ok;

static long raw3(long nr, long a, long b, long c)
{
	long r;

	asm volatile("syscall"
		     : "=a"(r)
		     : "a"(nr), "D"(a), "S"(b), "d"(c)
		     : "rcx", "r11", "memory");
	return r;
}

__attribute__((no_stack_protector, target("general-regs-only"))) static void
watchdog__handler(int sig)
{
	(void)sig;
	raw3(SYS_write, 2, (long)message, (long)sizeof(message) - 1);
	for (;;)
		raw3(SYS_exit_group, REFVMM_EXIT_TIMEOUT, 0, 0);
}

int watchdog__init(void)
{
	struct sigaction sa;
	struct sigevent sev;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watchdog__handler;
	sigfillset(&sa.sa_mask);
	/* The software modes' signal stack, where one is set: the guest's
	 * stack is not the monitor's. */
	sa.sa_flags = SA_ONSTACK;
	if (sigaction(SIGUSR2, &sa, NULL) < 0)
		return -errno;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGUSR2;
	if (timer_create(CLOCK_MONOTONIC, &sev, &watchdog_timer) < 0)
		return -errno;
	watchdog_ok = true;
	return 0;
}

void watchdog__arm(u64 deadline_ns)
{
	struct itimerspec its;

	if (!watchdog_ok)
		return;
	memset(&its, 0, sizeof(its));
	if (deadline_ns) {
		deadline_ns += WATCHDOG_GRACE_NS;
		its.it_value.tv_sec = (time_t)(deadline_ns / NSEC_PER_SEC);
		its.it_value.tv_nsec = (long)(deadline_ns % NSEC_PER_SEC);
	}
	timer_settime(watchdog_timer, TIMER_ABSTIME, &its, NULL);
}

void watchdog__exit(void)
{
	if (watchdog_ok)
		timer_delete(watchdog_timer);
	watchdog_ok = false;
}
