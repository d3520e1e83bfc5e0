/*
 * popek.skip: the checks a restarted image must not run (docs/protocol.md,
 * "Restarts"). The runner names them by ordinal, the N of their TAP line,
 * because a check's id is known only where it is reported, after its code
 * ran. A listed check's code still runs up to try_call()/run_at_cpl(),
 * which return without calling fn; every report from then until the next
 * try_call()/run_at_cpl() that does run is a SKIP with a "popek.skip:"
 * reason, since its outcome came from the code that was not run.
 */
#ifndef GUEST_SKIP_H
#define GUEST_SKIP_H

#include "lib.h"

/* At most this many ordinals are read; the rest of the list is ignored
 * (the runner's RESTART_SKIP_MAX). */
#define SKIP_MAX 1024

/* Reads "popek.skip=N,N,..." from the Multiboot command line. */
void skip_parse(const char *cmdline);
/* The primitives ask before running fn: true means do not run it. */
bool skip_run(void);
/* Whether the reports to come depend on a fn popek.skip did not run. */
bool skip_pending(void);
/* The reports to come no longer depend on it: a set-up check that was
 * skipped has said so, and its dependents give their own reason. */
void skip_clear(void);
/* The SKIP reason for the check reported as ordinal n, or NULL when it is
 * reported as usual. */
const char *skip_reason(char *buf, size_t size, unsigned n);

#endif
