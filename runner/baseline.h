/*
 * The CI gate: compare results with a baseline and list what got worse
 * (new failures) and what got better (fixed).
 */
#ifndef POPEK_RUNNER_BASELINE_H
#define POPEK_RUNNER_BASELINE_H

#include <stdio.h>

#include "results.h"

struct baseline_change {
	const char *target, *host_class, *id;
	enum check_class now;
	int before; /* enum check_class, or -1: absent from the baseline */
	const char *reason;
};

struct baseline_diff {
	struct baseline_change *new_failures;
	size_t nnew, newcap;
	struct baseline_change *fixed;
	size_t nfixed, fixedcap;
};

/*
 * A new failure is a check that is fail, xpass or error now and was pass,
 * xfail or skip in the baseline, or absent from it. A fixed one is the
 * reverse (present in both).
 */
void baseline_compare(const struct results *now, const struct results *base,
		      struct baseline_diff *d);
void baseline_print(FILE *f, const struct baseline_diff *d);
void baseline_free(struct baseline_diff *d);

#endif
