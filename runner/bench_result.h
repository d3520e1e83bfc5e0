/*
 * What one boot of a perf image says: the guest's `# bench` line
 * (perf/bench.h) and, from refvmm targets, the `--stats=json` counters
 * it printed on stderr (docs/refvmm.md).
 */
#ifndef POPEK_RUNNER_BENCH_RESULT_H
#define POPEK_RUNNER_BENCH_RESULT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define BENCH_LINE_PREFIX "bench " /* after the TAP "# " */

struct bench_line {
	char *name;		 /* "syscall-int80.32" */
	double cycles, min, max; /* per operation: median, extremes */
	unsigned long iters, reps;
	unsigned long long ops; /* operations run, warm-up included */
	unsigned long long tsc; /* cycles timing itself costs, subtracted */
	double *samples;	/* per repetition */
	size_t nsamples;
};

/*
 * Parse the text after "# " of a diagnostic line. Returns 0, or -1 when
 * it is not a well-formed bench line (missing key, bad number).
 */
int bench_line_parse(const char *text, struct bench_line *out);
/* The bench line for `name` in a serial log (one line per '\n'). */
int bench_line_find(const char *log, const char *name, struct bench_line *out);
void bench_line_free(struct bench_line *l);

/*
 * The first JSON object that starts a line of a refvmm stderr text,
 * reduced to its integer counters; NULL if there is none.
 */
json_t *bench_counters_parse(const char *err);
/*
 * Counters per operation between two runs of different sizes:
 * (big - small) / (ops_big - ops_small) for every counter in both,
 * keeping those that are not zero. NULL if ops_big <= ops_small.
 */
json_t *bench_counters_per_op(json_t *small, unsigned long long ops_small,
			      json_t *big, unsigned long long ops_big);

#endif
