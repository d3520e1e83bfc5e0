/*
 * popek bench: the perf images (perf/) booted once per benchmark on each
 * target, their cycles per operation and, from refvmm, the monitor's
 * counters per operation, as a table, JSON and a chart (docs/perf.md).
 */
#ifndef POPEK_RUNNER_BENCH_H
#define POPEK_RUNNER_BENCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "bench_result.h"
#include "hostinfo.h"
#include "target.h"

enum bench_status {
	BENCH_OK,	   /* measured */
	BENCH_FAILED,	   /* the target ran it and it broke: reason says how */
	BENCH_SKIPPED,	   /* the guest skipped it (CPU feature missing) */
	BENCH_UNSUPPORTED, /* the target does not run this image */
	BENCH_UNAVAILABLE, /* the target cannot run on this host */
};

const char *bench_status_name(enum bench_status s);

/* One benchmark on one target. */
struct bench_cell {
	enum bench_status status;
	char *reason;		/* why not measured, else NULL */
	struct bench_line line; /* BENCH_OK: the timing run's numbers */
	json_t *counters;	/* refvmm: raw counters of the timing run */
	json_t *per_op;		/* refvmm: counters per operation */
	char *counters_note;	/* why per_op is missing, or NULL */
	double seconds;		/* wall time of the timing run */
	char *command;		/* the timing run's command line */
};

/* One benchmark of one width: a row of the table. */
struct bench_row {
	char *name;  /* "syscall-int80.32" */
	char *bench; /* "syscall-int80" */
	unsigned width;
	const char *image;	  /* image name */
	struct bench_cell *cells; /* one per target */
};

struct bench_set {
	struct target **targets;
	size_t ntargets;
	struct bench_row *rows;
	size_t nrows;
	const struct hostinfo *host;
	unsigned scale, reps;
	bool counters; /* the second, larger refvmm run was made */
};

/* Output (bench_report.c). */
void bench_print_table(const struct bench_set *s, FILE *out);
json_t *bench_to_json(const struct bench_set *s);
/*
 * The chart: a gnuplot script and data file beside json_path, run to give
 * an SVG (log scale, cycles per operation per target). Returns the SVG's
 * path, or NULL with *why set (no gnuplot, gnuplot failed).
 */
char *bench_write_chart(const struct bench_set *s, const char *json_path,
			char **why);

#endif
