#include "result.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t result__now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		result__fail("clock", strerror(errno));
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

unsigned long result__iterations(int argc, char **argv, const char *name,
				 unsigned long fallback)
{
	char *end;
	unsigned long n;

	if (argc < 2)
		return fallback;
	errno = 0;
	n = strtoul(argv[1], &end, 10);
	if (errno || end == argv[1] || *end || n == 0 || n > 1000000000ul) {
		fprintf(stderr, "usage: %s [iterations 1..1000000000]\n", name);
		exit(2);
	}
	return n;
}

void result__print(const char *name, unsigned long iterations, uint64_t ns)
{
	printf("popek-guest: result name=%s iterations=%lu ns=%llu\n", name,
	       iterations, (unsigned long long)ns);
	fflush(stdout);
}

void result__fail(const char *name, const char *why)
{
	printf("popek-guest: error name=%s %s\n", name, why);
	fflush(stdout);
	exit(1);
}
