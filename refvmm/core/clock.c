/* Monotonic and test clocks behind struct clock (see clock.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "refvmm/clock.h"

static bool tsc_trapped;

void clock__set_tsc_trapped(bool trapped)
{
	tsc_trapped = trapped;
}

u64 clock__monotonic_ns(void)
{
	struct timespec ts;

	if (tsc_trapped)
		syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
	else
		clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * NSEC_PER_SEC + (u64)ts.tv_nsec;
}

static u64 monotonic__now(struct clock *clock)
{
	(void)clock;
	return clock__monotonic_ns();
}

static void monotonic__sleep_until(struct clock *clock, u64 deadline)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline / NSEC_PER_SEC),
		.tv_nsec = (long)(deadline % NSEC_PER_SEC),
	};

	(void)clock;
	/* A signal (the deadline timer) may cut it short: callers re-check. */
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

void clock__init_monotonic(struct clock *clock)
{
	struct timespec wall;
	u64 mono = clock__monotonic_ns();

	clock->now = monotonic__now;
	clock->sleep_until = monotonic__sleep_until;
	clock->test_ns = 0;
	/* Once, at start: later changes of the host's wall clock are not
	 * the guest's business, as a real RTC does not see them. */
	syscall(SYS_clock_gettime, CLOCK_REALTIME, &wall);
	clock->wall_offset_ns =
		(s64)wall.tv_sec * (s64)NSEC_PER_SEC + wall.tv_nsec - (s64)mono;
}

static u64 test__now(struct clock *clock)
{
	return clock->test_ns;
}

static void test__sleep_until(struct clock *clock, u64 deadline)
{
	if (deadline > clock->test_ns)
		clock->test_ns = deadline;
}

void clock__init_test(struct clock *clock, u64 start_ns)
{
	clock->now = test__now;
	clock->sleep_until = test__sleep_until;
	clock->test_ns = start_ns;
	clock->wall_offset_ns = 0;
}

void clock__advance(struct clock *clock, u64 ns)
{
	clock->test_ns += ns;
}
