/* Wall-clock times as the result files write them. */
#ifndef POPEK_RUNNER_TIMESTAMP_H
#define POPEK_RUNNER_TIMESTAMP_H

/* Now, UTC, ISO 8601 with milliseconds: 2026-12-06T09:00:00.123Z. */
char *timestamp_now(void);

#endif
