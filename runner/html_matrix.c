/*
 * The matrix section: one row per check id (with its probe image), one
 * column per (target, host class). Rows carry their family, the results
 * they hold and whether they changed against the baseline as data-
 * attributes; the page's script filters on them (html.c).
 */
#include <stdlib.h>
#include <string.h>

#include "html_parts.h"
#include "strmap.h"
#include "xml_escape.h"

/* Values in the change map: index into new_failures, or nnew + fixed. */
static char *change_key(const char *target, const char *host_class,
			const char *id)
{
	return xasprintf("%s\t%s\t%s", target, host_class, id);
}

static void index_changes(const struct baseline_diff *d, struct strmap *m)
{
	size_t i;
	char *k;

	for (i = 0; d && i < d->nnew; i++) {
		k = change_key(d->new_failures[i].target,
			       d->new_failures[i].host_class,
			       d->new_failures[i].id);
		strmap_put(m, k, i);
		free(k);
	}
	for (i = 0; d && i < d->nfixed; i++) {
		k = change_key(d->fixed[i].target, d->fixed[i].host_class,
			       d->fixed[i].id);
		strmap_put(m, k, d->nnew + i);
		free(k);
	}
}

void html_write_filters(FILE *f, const struct matrix *m, bool baseline)
{
	size_t i, flen;
	int c;

	/* Hidden until the script runs: without it every row shows. */
	fputs("<form id=\"filters\" hidden>\n<label><input "
	      "type=\"checkbox\" id=\"f-problems\">problems only (fail, "
	      "xpass, error, changed against the baseline; <a "
	      "href=\"#all\">all rows</a>)</label>\n<label>family <select "
	      "id=\"f-family\"><option value=\"\">all</option>",
	      f);
	for (i = 0; i < m->nrows; i++) {
		flen = html_family_len(m->rows[i].id);
		if (i && html_family_len(m->rows[i - 1].id) == flen &&
		    !strncmp(m->rows[i - 1].id, m->rows[i].id, flen))
			continue;
		fprintf(f, "<option>%.*s</option>", (int)flen, m->rows[i].id);
	}
	fputs("</select></label>\n<span>result", f);
	for (c = 0; c < CLS_COUNT; c++)
		fprintf(f,
			" <label class=\"%s\"><input type=\"checkbox\" "
			"name=\"result\" value=\"%s\" checked>%s</label>",
			class_name((enum check_class)c),
			class_name((enum check_class)c),
			class_name((enum check_class)c));
	fputs("</span>\n<label>id contains <input id=\"f-text\" "
	      "size=\"24\"></label>\n",
	      f);
	if (baseline)
		fputs("<label><input type=\"checkbox\" id=\"f-changed\">"
		      "changed against the baseline only</label>\n",
		      f);
	fputs("<span id=\"shown\"></span>\n</form>\n", f);
}

/* The change of cell (row, column j), or NULL; *is_new says which list. */
static const struct baseline_change *
cell_change(const struct matrix *m, const struct matrix_row *r, size_t j,
	    const struct baseline_diff *d, const struct strmap *changes,
	    bool *is_new)
{
	size_t at;
	char *k;
	bool found;

	if (!d || r->cells[j] < 0)
		return NULL;
	k = change_key(m->cols[j].target, m->cols[j].host_class, r->id);
	found = strmap_get(changes, k, &at);
	free(k);
	if (!found)
		return NULL;
	*is_new = at < d->nnew;
	return *is_new ? &d->new_failures[at] : &d->fixed[at - d->nnew];
}

static void write_cell(FILE *f, const struct matrix *m,
		       const struct matrix_row *r, size_t j,
		       const struct baseline_diff *d,
		       const struct strmap *changes)
{
	const struct baseline_change *ch;
	int c = r->cells[j];
	bool is_new = false;
	const char *why;

	if (c < 0) {
		fputs("<td class=\"none\">-</td>", f);
		return;
	}
	ch = cell_change(m, r, j, d, changes, &is_new);
	why = r->reasons[j] ? r->reasons[j] : "";
	fprintf(f, "<td class=\"%s%s\"", class_name((enum check_class)c),
		!ch	 ? ""
		: is_new ? " new"
			 : " fixed");
	/* a passing cell says nothing: no empty title in thousands */
	if (ch || *why) {
		fputs(" title=\"", f);
		if (ch)
			fprintf(f, "%s (baseline: %s) ",
				is_new ? "NEW FAILURE" : "FIXED",
				ch->before < 0
					? "absent"
					: class_name((enum check_class)
							     ch->before));
		xml_escape(f, why);
		fputs("\"", f);
	}
	fprintf(f, ">%s", matrix_cell_text(c));
	/* what went wrong is read, not hovered for */
	if (*why && class_unexpected((enum check_class)c)) {
		fputs("<small class=\"why\">", f);
		xml_escape(f, why);
		fputs("</small>", f);
	}
	fputs("</td>", f);
}

void html_write_matrix(FILE *f, const struct matrix *m,
		       const struct baseline_diff *d)
{
	struct strmap changes = {0};
	size_t i, j;

	index_changes(d, &changes);
	fputs("<h2 id=\"matrix\">Matrix</h2>\n<table id=\"m\">\n<thead><tr>"
	      "<th>check</th><th>image</th>",
	      f);
	for (j = 0; j < m->ncols; j++) {
		fputs("<th>", f);
		xml_escape(f, m->cols[j].target);
		fputs("<br><small>", f);
		xml_escape(f, m->cols[j].host_class);
		fputs("</small></th>", f);
	}
	fputs("</tr></thead>\n<tbody>\n", f);
	for (i = 0; i < m->nrows; i++) {
		const struct matrix_row *r = &m->rows[i];
		bool seen[CLS_COUNT] = {false}, changed = false, first = true,
		     is_new, problem;
		int c;

		for (j = 0; j < m->ncols; j++) {
			if (r->cells[j] >= 0)
				seen[r->cells[j]] = true;
			if (cell_change(m, r, j, d, &changes, &is_new))
				changed = true;
		}
		fprintf(f, "<tr data-family=\"%.*s\" data-res=\"",
			(int)html_family_len(r->id), r->id);
		for (c = 0; c < CLS_COUNT; c++)
			if (seen[c]) {
				fprintf(f, "%s%s", first ? "" : " ",
					class_name((enum check_class)c));
				first = false;
			}
		problem = changed || seen[CLS_FAIL] || seen[CLS_XPASS] ||
			  seen[CLS_ERROR];
		fprintf(f, "\"%s%s><td class=\"id\" title=\"",
			changed ? " data-changed=\"1\"" : "",
			problem ? " data-problem=\"1\"" : "");
		xml_escape(f, r->description);
		fputs("\">", f);
		xml_escape(f, r->id);
		fputs("</td><td class=\"img\">", f);
		xml_escape(f, r->image ? r->image : "");
		fputs("</td>", f);
		for (j = 0; j < m->ncols; j++)
			write_cell(f, m, r, j, d, &changes);
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
	strmap_free(&changes);
}
