/*
 * The page is one file with inline CSS and no scripts or fonts, so it can
 * be uploaded as a CI artifact and opened offline. Reasons sit in title
 * attributes: hovering a cell shows what the check saw.
 */
#include "html.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xml_escape.h"

static const char css[] =
	"body{font-family:sans-serif;margin:1em;color:#222}"
	"table{border-collapse:collapse;font-size:13px}"
	"th,td{border:1px solid #ccc;padding:2px 6px;text-align:left}"
	"th{background:#eee;position:sticky;top:0}"
	"td.id{font-family:monospace}"
	".pass{background:#c8f0c8}.xfail{background:#e0ecc0}"
	".skip{background:#e8e8e8;color:#666}.fail{background:#f4a0a0}"
	".xpass{background:#f8d070}.error{background:#d070d0}"
	".none{color:#aaa}td.n{text-align:right}";

static void write_summary(FILE *f, const struct summary *s)
{
	size_t i;
	int c;

	fputs("<h2>Summary</h2>\n<table>\n<tr><th>target</th><th>host class"
	      "</th>",
	      f);
	for (c = 0; c < CLS_COUNT; c++)
		fprintf(f, "<th class=\"%s\">%s</th>",
			class_name((enum check_class)c),
			class_name((enum check_class)c));
	fputs("<th>images</th><th>img-err</th><th>time (s)</th></tr>\n", f);
	for (i = 0; i < s->n; i++) {
		const struct summary_row *r = &s->rows[i];

		fputs("<tr><td>", f);
		xml_escape(f, r->target);
		fputs("</td><td>", f);
		xml_escape(f, r->host_class);
		fputs("</td>", f);
		if (!r->available) {
			fprintf(f, "<td colspan=\"%d\">unavailable: ",
				CLS_COUNT + 3);
			xml_escape(f, r->reason);
			fputs("</td></tr>\n", f);
			continue;
		}
		for (c = 0; c < CLS_COUNT; c++)
			fprintf(f, "<td class=\"n\">%zu</td>", r->counts[c]);
		fprintf(f,
			"<td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
			"<td class=\"n\">%.1f</td></tr>\n",
			r->images, r->image_errors, r->seconds);
	}
	fputs("</table>\n", f);
}

static void write_diff(FILE *f, const struct baseline_diff *d)
{
	size_t i;

	fprintf(f,
		"<h2>Against the baseline: %zu new failures, %zu fixed"
		"</h2>\n<ul>\n",
		d->nnew, d->nfixed);
	for (i = 0; i < d->nnew; i++) {
		fputs("<li class=\"fail\">new failure: ", f);
		xml_escape(f, d->new_failures[i].id);
		fputs(" on ", f);
		xml_escape(f, d->new_failures[i].target);
		fputs(" (", f);
		xml_escape(f, d->new_failures[i].host_class);
		fprintf(f, "): %s", class_name(d->new_failures[i].now));
		fputs("</li>\n", f);
	}
	for (i = 0; i < d->nfixed; i++) {
		fputs("<li class=\"pass\">fixed: ", f);
		xml_escape(f, d->fixed[i].id);
		fputs(" on ", f);
		xml_escape(f, d->fixed[i].target);
		fputs("</li>\n", f);
	}
	fputs("</ul>\n", f);
}

static void write_matrix(FILE *f, const struct matrix *m)
{
	size_t i, j;

	fputs("<h2>Matrix</h2>\n<table>\n<tr><th>check</th>", f);
	for (j = 0; j < m->ncols; j++) {
		fputs("<th>", f);
		xml_escape(f, m->cols[j].target);
		fputs("<br>", f);
		xml_escape(f, m->cols[j].host_class);
		fputs("</th>", f);
	}
	fputs("</tr>\n", f);
	for (i = 0; i < m->nrows; i++) {
		const struct matrix_row *r = &m->rows[i];

		fputs("<tr><td class=\"id\" title=\"", f);
		xml_escape(f, r->description);
		fputs("\">", f);
		xml_escape(f, r->id);
		fputs("</td>", f);
		for (j = 0; j < m->ncols; j++) {
			int c = r->cells[j];

			if (c < 0) {
				fputs("<td class=\"none\">-</td>", f);
				continue;
			}
			fprintf(f, "<td class=\"%s\" title=\"",
				class_name((enum check_class)c));
			xml_escape(f, r->reasons[j] ? r->reasons[j] : "");
			fprintf(f, "\">%s</td>", matrix_cell_text(c));
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

int html_write(const char *path, const struct matrix *m,
	       const struct summary *s, const struct baseline_diff *diff,
	       struct perr *e)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return perr_set(e, "cannot write %s: %s", path,
				strerror(errno));
	fprintf(f,
		"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
		"charset=\"utf-8\">\n<title>Popek conformance report"
		"</title>\n<style>%s</style>\n</head>\n<body>\n<h1>Popek "
		"conformance report</h1>\n",
		css);
	write_summary(f, s);
	if (diff)
		write_diff(f, diff);
	write_matrix(f, m);
	fputs("</body>\n</html>\n", f);
	if (fclose(f) != 0)
		return perr_set(e, "cannot write %s: %s", path,
				strerror(errno));
	return 0;
}
