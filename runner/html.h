/* The self-contained HTML page `popek report --html` writes. */
#ifndef POPEK_RUNNER_HTML_H
#define POPEK_RUNNER_HTML_H

#include "baseline.h"
#include "matrix.h"
#include "summary.h"
#include "util.h"

/* Where the results come from, for the page's header. */
struct html_meta {
	const struct results *now;  /* the (merged) results shown */
	const char *baseline;	    /* the --baseline path, or NULL */
	const struct results *base; /* its results, or NULL */
	bool fail_on_lost;	    /* the gate fails on lost coverage */
};

/* diff may be NULL (no baseline); meta's members may be NULL. */
int html_write(const char *path, const struct matrix *m,
	       const struct summary *s, const struct baseline_diff *diff,
	       const struct html_meta *meta, struct perr *e);

#endif
