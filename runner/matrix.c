/* The matrix is built from sorted ids so reports diff cleanly. */
#include "matrix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"

static int col_cmp(const void *a, const void *b)
{
	const struct matrix_col *x = a, *y = b;
	int c = strcmp(x->target, y->target);

	return c ? c : strcmp(x->host_class, y->host_class);
}

static int row_cmp(const void *a, const void *b)
{
	return strcmp(((const struct matrix_row *)a)->id,
		      ((const struct matrix_row *)b)->id);
}

/* When one cell holds several results, show the most alarming. */
static const int severity[CLS_COUNT] = {
	[CLS_PASS] = 0, [CLS_SKIP] = 1,	 [CLS_XFAIL] = 2, [CLS_EITHER] = 3,
	[CLS_FAIL] = 4, [CLS_XPASS] = 5, [CLS_ERROR] = 6,
};

static size_t find_col(const struct matrix *m, const char *target,
		       const char *host_class)
{
	size_t i;

	for (i = 0; i < m->ncols; i++)
		if (strcmp(m->cols[i].target, target) == 0 &&
		    strcmp(m->cols[i].host_class, host_class) == 0)
			return i;
	return m->ncols;
}

void matrix_build(const struct results *r, struct matrix *m)
{
	struct strmap ids = {0};
	size_t i, j, col, row, cap = 0;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < r->nchecks; i++) {
		const struct res_check *c = &r->checks[i];

		if (find_col(m, c->target, c->host_class) == m->ncols) {
			VEC_GROW(m->cols, m->ncols, cap);
			m->cols[m->ncols].target = c->target;
			m->cols[m->ncols].host_class = c->host_class;
			m->ncols++;
		}
	}
	if (m->ncols)
		qsort(m->cols, m->ncols, sizeof(*m->cols), col_cmp);
	cap = 0;
	for (i = 0; i < r->nchecks; i++) {
		const char *id = r->checks[i].id;

		if (strmap_get(&ids, id, &row))
			continue;
		strmap_put(&ids, id, m->nrows);
		VEC_GROW(m->rows, m->nrows, cap);
		m->rows[m->nrows].id = id;
		m->rows[m->nrows].description = r->checks[i].description;
		m->rows[m->nrows].image = r->checks[i].image;
		m->rows[m->nrows].cells = xmalloc(m->ncols * sizeof(int));
		m->rows[m->nrows].reasons =
			xcalloc(m->ncols, sizeof(const char *));
		for (j = 0; j < m->ncols; j++)
			m->rows[m->nrows].cells[j] = -1;
		m->nrows++;
	}
	if (m->nrows)
		qsort(m->rows, m->nrows, sizeof(*m->rows), row_cmp);
	strmap_free(&ids);
	for (i = 0; i < m->nrows; i++)
		strmap_put(&ids, m->rows[i].id, i);
	for (i = 0; i < r->nchecks; i++) {
		const struct res_check *c = &r->checks[i];
		struct matrix_row *mr;

		strmap_get(&ids, c->id, &row);
		col = find_col(m, c->target, c->host_class);
		mr = &m->rows[row];
		if (!*mr->description)
			mr->description = c->description;
		if (mr->cells[col] < 0 ||
		    severity[c->cls] > severity[mr->cells[col]]) {
			mr->cells[col] = (int)c->cls;
			mr->reasons[col] = c->reason;
		}
	}
	strmap_free(&ids);
}

void matrix_free(struct matrix *m)
{
	size_t i;

	for (i = 0; i < m->nrows; i++) {
		free(m->rows[i].cells);
		free(m->rows[i].reasons);
	}
	free(m->rows);
	free(m->cols);
	memset(m, 0, sizeof(*m));
}

const char *matrix_cell_text(int cls)
{
	static const char *const text[CLS_COUNT] = {
		[CLS_PASS] = "pass",	 [CLS_FAIL] = "FAIL",
		[CLS_XFAIL] = "xfail",	 [CLS_XPASS] = "XPASS",
		[CLS_SKIP] = "skip",	 [CLS_ERROR] = "ERROR",
		[CLS_EITHER] = "either",
	};

	return cls >= 0 && cls < CLS_COUNT ? text[cls] : "-";
}

static bool all_pass(const struct matrix *m, const struct matrix_row *row)
{
	size_t j;

	for (j = 0; j < m->ncols; j++)
		if (row->cells[j] >= 0 && row->cells[j] != CLS_PASS)
			return false;
	return true;
}

void matrix_print(FILE *f, const struct matrix *m, bool problems_only)
{
	int idw = 5, *w = xcalloc(m->ncols ? m->ncols : 1, sizeof(int));
	size_t i, j, hidden = 0, shown = 0;

	for (i = 0; i < m->nrows; i++) {
		if (problems_only && all_pass(m, &m->rows[i]))
			continue;
		shown++;
		if ((int)strlen(m->rows[i].id) > idw)
			idw = (int)strlen(m->rows[i].id);
	}
	if (problems_only && !shown) {
		/* a header over no rows is noise in a CI log */
		fprintf(f,
			"(0 of %zu checks shown; all pass in every column)\n",
			m->nrows);
		free(w);
		return;
	}
	for (j = 0; j < m->ncols; j++) {
		w[j] = 5;
		if ((int)strlen(m->cols[j].target) > w[j])
			w[j] = (int)strlen(m->cols[j].target);
		if ((int)strlen(m->cols[j].host_class) > w[j])
			w[j] = (int)strlen(m->cols[j].host_class);
	}
	fprintf(f, "%-*s", idw, "check");
	for (j = 0; j < m->ncols; j++)
		fprintf(f, "  %-*s", w[j], m->cols[j].target);
	fprintf(f, "\n%-*s", idw, "");
	for (j = 0; j < m->ncols; j++)
		fprintf(f, "  %-*s", w[j], m->cols[j].host_class);
	fputc('\n', f);
	for (i = 0; i < m->nrows; i++) {
		if (problems_only && all_pass(m, &m->rows[i])) {
			hidden++;
			continue;
		}
		fprintf(f, "%-*s", idw, m->rows[i].id);
		for (j = 0; j < m->ncols; j++)
			fprintf(f, "  %-*s", w[j],
				matrix_cell_text(m->rows[i].cells[j]));
		fputc('\n', f);
	}
	if (problems_only)
		fprintf(f,
			"(%zu of %zu checks shown; the other %zu pass in every "
			"column)\n",
			m->nrows - hidden, m->nrows, hidden);
	free(w);
}
