/*
 * The perf images' parameters (perf/bench.c): a block after the magic
 * "popek-bench-v1" that `popek bench` rewrites in a copy of the image, so
 * one image serves every benchmark and every size without a command line
 * (the targets boot images as they are; docs/perf.md).
 */
#ifndef POPEK_RUNNER_BENCH_IMAGE_H
#define POPEK_RUNNER_BENCH_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define BENCH_MAGIC	 "popek-bench-v1"
#define BENCH_SELECT_MAX 32 /* bytes, NUL included */
#define BENCH_MAX_REPS	 31
#define BENCH_MAX_SCALE	 100000

struct bench_params {
	const char *select; /* benchmark name without width; "" = all */
	uint32_t scale_pct; /* operations per repetition, % of default */
	uint32_t reps;	    /* 1..BENCH_MAX_REPS */
	uint32_t iters;	    /* 0 (adaptive), or exactly this many per rep */
};

/* Patch image bytes in memory; fails unless the magic occurs exactly once. */
int bench_patch(uint8_t *data, size_t len, const struct bench_params *p,
		const char *what, struct perr *e);
/* Read src, patch, write dst. */
int bench_patch_file(const char *src, const char *dst,
		     const struct bench_params *p, struct perr *e);

#endif
