/*
 * The sections of the report page (html.c assembles them). Every count
 * the page shows carries data- attributes naming what it counts, so a
 * test can read the rendered DOM and compare with the results JSON.
 */
#ifndef POPEK_RUNNER_HTML_PARTS_H
#define POPEK_RUNNER_HTML_PARTS_H

#include <stdio.h>

#include "baseline.h"
#include "matrix.h"
#include "summary.h"

/* The family of an id: its first dotted component ("mmu", "x86"). */
size_t html_family_len(const char *id);

struct html_meta;
/* Date, popek version and commit, baseline, a cut-short run. */
void html_write_about(FILE *f, const struct html_meta *meta);
/* Images in error and unexpected checks, reasons as text, reruns, logs. */
void html_write_problems(FILE *f, const struct results *r);

/* Per target: the class counts, then a family x class breakdown. */
void html_write_summary(FILE *f, const struct summary *s);
void html_write_families(FILE *f, const struct matrix *m);
/* The gate: new failures, fixed checks, lost coverage (downgraded and
 * lost checks), columns not compared, and the verdict `popek report`
 * gives (fail_on_lost as there). */
void html_write_diff(FILE *f, const struct baseline_diff *d, bool fail_on_lost);
/* The filter form (shown by the page's script) and the matrix. */
void html_write_filters(FILE *f, const struct matrix *m, bool baseline);
void html_write_matrix(FILE *f, const struct matrix *m,
		       const struct baseline_diff *d);

#endif
