/*
 * A second timer behind --timeout: if the run loop has not stopped
 * WATCHDOG_GRACE_NS after the deadline, the process writes one line to
 * stderr and exits with REFVMM_EXIT_TIMEOUT, whatever the mode is doing.
 */
#ifndef REFVMM_WATCHDOG_H
#define REFVMM_WATCHDOG_H

#include "types.h"

#define WATCHDOG_GRACE_NS   (2 * NSEC_PER_SEC)
#define WATCHDOG_GRACE_TEXT "2 s"

int watchdog__init(void);
/* Fires WATCHDOG_GRACE_NS after @deadline_ns (CLOCK_MONOTONIC); 0
 * disarms. */
void watchdog__arm(u64 deadline_ns);
void watchdog__exit(void);

#endif
