/*
 * The time source of the timer devices. Real runs use CLOCK_MONOTONIC;
 * unit tests use a test clock they advance by hand, so the PIT's modes
 * can be checked count by count without sleeping. The wall time (the
 * RTC's) is this clock plus an offset taken once: a real run's from
 * CLOCK_REALTIME at start, a test's from the test.
 */
#ifndef REFVMM_CLOCK_H
#define REFVMM_CLOCK_H

#include "types.h"

struct clock {
	u64 (*now)(struct clock *clock);
	/* Block until @deadline (ns on this clock's scale). */
	void (*sleep_until)(struct clock *clock, u64 deadline);
	u64 test_ns;	    /* the test clock's current time */
	s64 wall_offset_ns; /* ns since the Unix epoch at this clock's 0 */
};

void clock__init_monotonic(struct clock *clock);
void clock__init_test(struct clock *clock, u64 start_ns);
void clock__advance(struct clock *clock, u64 ns); /* test clock only */

/*
 * CLOCK_MONOTONIC in ns. libc's vDSO reads the TSC in user space, which
 * faults while a software mode traps RDTSC for its guest; that mode
 * asks for the system call instead, so the monitor never executes what
 * its own host settings make fault.
 */
u64 clock__monotonic_ns(void);
void clock__set_tsc_trapped(bool trapped);

static inline u64 clock__now(struct clock *clock)
{
	return clock->now(clock);
}

/* Wall time now, ns since the Unix epoch. */
static inline s64 clock__wall_ns(struct clock *clock)
{
	return (s64)clock__now(clock) + clock->wall_offset_ns;
}

#endif
