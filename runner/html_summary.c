/* The summary sections of the report page: per target, per family. */
#include <string.h>

#include "html_parts.h"
#include "xml_escape.h"

size_t html_family_len(const char *id)
{
	const char *dot = strchr(id, '.');

	return dot ? (size_t)(dot - id) : strlen(id);
}

static void col_attr(FILE *f, const char *target, const char *host_class)
{
	fputs(" data-target=\"", f);
	xml_escape(f, target);
	fputs("\" data-host=\"", f);
	xml_escape(f, host_class);
	fputs("\"", f);
}

/* One column header per class, named and coloured for it. */
static void class_headers(FILE *f)
{
	int c;

	for (c = 0; c < CLS_COUNT; c++)
		fprintf(f, "<th class=\"%s\">%s</th>",
			class_name((enum check_class)c),
			class_name((enum check_class)c));
}

void html_write_summary(FILE *f, const struct summary *s)
{
	size_t i, total;
	int c;

	fputs("<h2 id=\"summary\">Per target</h2>\n<table class=\"sum\">\n"
	      "<tr><th>target</th><th>host class</th>",
	      f);
	class_headers(f);
	fputs("<th>checks</th><th>as expected</th><th>images</th>"
	      "<th>img-err</th><th>time (s)</th></tr>\n",
	      f);
	for (i = 0; i < s->n; i++) {
		const struct summary_row *r = &s->rows[i];
		size_t good;

		fputs("<tr", f);
		col_attr(f, r->target, r->host_class);
		fputs("><td>", f);
		xml_escape(f, r->target);
		fputs("</td><td>", f);
		xml_escape(f, r->host_class);
		fputs("</td>", f);
		if (!r->available) {
			fprintf(f,
				"<td colspan=\"%d\" class=\"unavail\">"
				"unavailable: ",
				CLS_COUNT + 5);
			xml_escape(f, r->reason);
			fputs("</td></tr>\n", f);
			continue;
		}
		for (c = 0, total = 0; c < CLS_COUNT; c++) {
			fprintf(f, "<td class=\"n\" data-cls=\"%s\">%zu</td>",
				class_name((enum check_class)c), r->counts[c]);
			total += r->counts[c];
		}
		good = r->counts[CLS_PASS] + r->counts[CLS_XFAIL] +
		       r->counts[CLS_SKIP] + r->counts[CLS_EITHER];
		fprintf(f,
			"<td class=\"n\" data-cls=\"total\">%zu</td>"
			"<td class=\"n\">%.1f%%</td>"
			"<td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
			"<td class=\"n\">%.1f</td></tr>\n",
			total,
			total ? 100.0 * (double)good / (double)total : 0.0,
			r->images, r->image_errors, r->seconds);
	}
	fputs("</table>\n", f);
}

/*
 * Family x class per column, counted from the matrix so it agrees with
 * what the filters show.
 */
void html_write_families(FILE *f, const struct matrix *m)
{
	size_t i, j, k, start;
	int c;

	fputs("<h2 id=\"families\">Per target and family</h2>\n"
	      "<table class=\"sum\">\n<tr><th>target</th><th>host class</th>"
	      "<th>family</th>",
	      f);
	class_headers(f);
	fputs("</tr>\n", f);
	for (j = 0; j < m->ncols; j++) {
		/* Rows are sorted by id, so a family is one run of rows. */
		for (start = 0; start < m->nrows; start = i) {
			const char *fam = m->rows[start].id;
			size_t flen = html_family_len(fam), n[CLS_COUNT] = {0},
			       any = 0;

			for (i = start;
			     i < m->nrows &&
			     html_family_len(m->rows[i].id) == flen &&
			     !strncmp(m->rows[i].id, fam, flen);
			     i++) {
				c = m->rows[i].cells[j];
				if (c >= 0) {
					n[c]++;
					any++;
				}
			}
			if (!any)
				continue;
			fputs("<tr", f);
			col_attr(f, m->cols[j].target, m->cols[j].host_class);
			fprintf(f, " data-family=\"%.*s\"><td>", (int)flen,
				fam);
			xml_escape(f, m->cols[j].target);
			fputs("</td><td>", f);
			xml_escape(f, m->cols[j].host_class);
			fprintf(f, "</td><td>%.*s</td>", (int)flen, fam);
			for (k = 0; k < CLS_COUNT; k++)
				fprintf(f,
					"<td class=\"n\" data-cls=\"%s\">%zu"
					"</td>",
					class_name((enum check_class)k), n[k]);
			fputs("</tr>\n", f);
		}
	}
	fputs("</table>\n", f);
}
