/*
 * The CI gate: compare results with a baseline and list what got worse
 * (new failures), what got better (fixed), and what coverage was lost
 * (checks that vanished, checks that ran before and are skipped now).
 */
#ifndef POPEK_RUNNER_BASELINE_H
#define POPEK_RUNNER_BASELINE_H

#include <stdio.h>

#include "results.h"

struct baseline_change {
	const char *target, *host_class, *image, *id;
	enum check_class now;
	int before; /* enum check_class, or -1: absent from the baseline */
	const char *reason;
};

/* Baseline checks this run lacks, per (target, host class, image). */
struct baseline_lost {
	const char *target, *host_class, *image;
	const char *id; /* the first lost one */
	size_t n;
	bool image_ran; /* the image ran in this column, without them */
};

/*
 * A column (target, host class) one side has and the other lacks
 * entirely; n counts its checks.
 */
struct baseline_gap {
	const char *target, *host_class;
	size_t n;
	bool class_known; /* the other side has this host class at all */
};

struct baseline_diff {
	struct baseline_change *new_failures;
	size_t nnew, newcap;
	struct baseline_change *fixed;
	size_t nfixed, fixedcap;
	struct baseline_change *downgraded;
	size_t ndown, downcap;
	struct baseline_lost *lost;
	size_t nlost_groups, lostcap;
	size_t nlost; /* checks, over all groups */
	/* columns of the run the baseline has nothing for */
	struct baseline_gap *uncovered;
	size_t nuncovered, uncap;
	/* baseline host classes absent from the run: not compared */
	struct baseline_gap *unseen;
	size_t nunseen, unseencap;
};

/*
 * A new failure is a check that is fail, xpass or error now and was pass,
 * xfail, either or skip in the baseline, or absent from it. A fixed one is
 * the reverse (present in both, not skip now). A downgrade is a check that
 * ran in the baseline (any result but skip) and is skip now. A lost check
 * ran in the baseline (not skip), is not in this run, and is of a host
 * class this run has:
 * another host class's checks cannot be expected from this host, so they
 * are only counted as not compared (unseen).
 */
void baseline_compare(const struct results *now, const struct results *base,
		      struct baseline_diff *d);

/* Lost coverage: lost or downgraded checks. */
bool baseline_lost_coverage(const struct baseline_diff *d);

/* The gate: new failures, or lost coverage when fail_on_lost. */
bool baseline_failed(const struct baseline_diff *d, bool fail_on_lost);

/*
 * A dead or skipped image changes hundreds of checks with one reason;
 * as in `popek run`, the first few of one cause stand for the rest.
 */
#define SAME_REASON_SHOWN 10

/* a and b (adjacent changes) have one cause: image, reason, results. */
bool baseline_same_cause(const struct baseline_change *a,
			 const struct baseline_change *b);

/* The sections, then one `gate:` verdict line. */
void baseline_print(FILE *f, const struct baseline_diff *d, bool fail_on_lost);

/*
 * One "popek: warning:" line per column of the run the baseline (named
 * path) has nothing for: every failure there reads as new.
 */
void baseline_warn(FILE *f, const struct baseline_diff *d, const char *path);

void baseline_free(struct baseline_diff *d);

#endif
