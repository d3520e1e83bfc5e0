/*
 * The report's matrix: one row per check id, one column per (target, host
 * class). Shared by the text and HTML renderings.
 */
#ifndef POPEK_RUNNER_MATRIX_H
#define POPEK_RUNNER_MATRIX_H

#include <stdio.h>

#include "results.h"

struct matrix_col {
	const char *target, *host_class;
};

struct matrix_row {
	const char *id, *description;
	const char *image; /* the probe image that declares the check */
	int *cells;	   /* enum check_class per column, -1 when absent */
	const char **reasons;
};

struct matrix {
	struct matrix_col *cols;
	size_t ncols;
	struct matrix_row *rows;
	size_t nrows;
};

void matrix_build(const struct results *r, struct matrix *m);
void matrix_free(struct matrix *m);
/* pass, FAIL, xfail, XPASS, skip, ERROR: unexpected ones shout. */
const char *matrix_cell_text(int cls);
/*
 * The text matrix. problems_only (report --quiet) keeps the rows with a
 * result other than pass in some column, and says how many it left out.
 */
void matrix_print(FILE *f, const struct matrix *m, bool problems_only);

#endif
