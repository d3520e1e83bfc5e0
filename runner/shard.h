/*
 * Sharding: `popek run --shard I/N` runs a deterministic 1/N of the
 * selected images, so N machines (or Buildbot workers) together run each
 * image exactly once.
 */
#ifndef POPEK_RUNNER_SHARD_H
#define POPEK_RUNNER_SHARD_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct shard {
	unsigned index; /* 1-based */
	unsigned count;
};

/* "I/N" with 1 <= I <= N. */
int shard_parse(const char *text, struct shard *s, struct perr *e);

/*
 * keep[k] = whether the k-th of n names belongs to shard s, where the
 * position is taken in sorted order of the names (so the result does not
 * depend on the order names are given in).
 */
void shard_select(const char *const *names, size_t n, struct shard s,
		  bool *keep);

#endif
