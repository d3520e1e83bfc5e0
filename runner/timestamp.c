/*
 * UTC, so that files from hosts in several time zones sort and compare;
 * milliseconds, so the images of one run keep their order.
 */
#include "timestamp.h"

#include <stdio.h>
#include <time.h>

#include "util.h"

char *timestamp_now(void)
{
	struct timespec ts;
	char buf[64];
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	return xasprintf("%s.%03ldZ", buf, ts.tv_nsec / 1000000);
}
