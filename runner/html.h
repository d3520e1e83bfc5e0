/* The self-contained HTML page `popek report --html` writes. */
#ifndef POPEK_RUNNER_HTML_H
#define POPEK_RUNNER_HTML_H

#include "baseline.h"
#include "matrix.h"
#include "summary.h"
#include "util.h"

/* diff may be NULL (no baseline). */
int html_write(const char *path, const struct matrix *m,
	       const struct summary *s, const struct baseline_diff *diff,
	       struct perr *e);

#endif
