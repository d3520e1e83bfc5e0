/*
 * The per-target summary table. `popek run` and `popek report` both print
 * it from a results model, so a report of one run's JSON shows exactly the
 * numbers the run printed.
 */
#ifndef POPEK_RUNNER_SUMMARY_H
#define POPEK_RUNNER_SUMMARY_H

#include <stdio.h>

#include "results.h"

struct summary_row {
	const char *target, *host_class;
	bool available;
	const char *reason;
	size_t counts[CLS_COUNT];
	size_t images, image_errors;
	double seconds;
};

struct summary {
	struct summary_row *rows;
	size_t n, cap;
};

void summary_compute(const struct results *r, struct summary *s);
void summary_print(FILE *f, const struct summary *s);
void summary_free(struct summary *s);

#endif
