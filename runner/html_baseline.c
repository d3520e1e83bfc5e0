/*
 * The gate on the report page: what `popek report --baseline` prints to
 * the CI log (baseline_print.c), as tables. A page that showed new
 * failures only would call a run green that lost thousands of checks;
 * its verdict is the exit status's.
 */
#include "html_parts.h"
#include "xml_escape.h"

static const char *before_name(int before)
{
	return before < 0 ? "absent" : class_name((enum check_class)before);
}

static void change_row(FILE *f, const char *cls,
		       const struct baseline_change *c)
{
	fprintf(f, "<tr class=\"%s\"><td class=\"id\">", cls);
	xml_escape(f, c->id);
	fputs("</td><td>", f);
	xml_escape(f, c->target);
	fputs("</td><td>", f);
	xml_escape(f, c->host_class);
	fprintf(f, "</td><td>%s</td><td class=\"%s\">%s</td><td>",
		before_name(c->before), class_name(c->now), class_name(c->now));
	xml_escape(f, c->reason);
	fputs("</td></tr>\n", f);
}

/* The rest of one cause, in one row (as baseline_print does). */
static void more_row(FILE *f, const char *cls, const struct baseline_change *c,
		     size_t more)
{
	fprintf(f,
		"<tr class=\"%s\" data-more=\"%zu\"><td colspan=\"6\">... and "
		"%zu more of ",
		cls, more, more);
	xml_escape(f, c->target);
	fputs(" (", f);
	xml_escape(f, c->host_class);
	fputs(") ", f);
	xml_escape(f, c->image);
	fputs(", the same way</td></tr>\n", f);
}

static void write_changes(FILE *f, const char *what, const char *cls,
			  const struct baseline_change *v, size_t n)
{
	size_t i, same = 0;

	if (!n)
		return;
	fprintf(f,
		"<h3>%s</h3>\n<table class=\"diff\" data-list=\"%s\">\n<tr>"
		"<th>check</th><th>target</th><th>host class</th><th>baseline"
		"</th><th>now</th><th>reason</th></tr>\n",
		what, cls);
	for (i = 0; i < n; i++) {
		same = i && baseline_same_cause(&v[i], &v[i - 1]) ? same + 1
								  : 0;
		if (same < SAME_REASON_SHOWN)
			change_row(f, cls, &v[i]);
		if (same >= SAME_REASON_SHOWN &&
		    (i + 1 == n || !baseline_same_cause(&v[i + 1], &v[i])))
			more_row(f, cls, &v[i], same + 1 - SAME_REASON_SHOWN);
	}
	fputs("</table>\n", f);
}

static void write_lost(FILE *f, const struct baseline_diff *d)
{
	size_t i;

	if (!d->nlost_groups)
		return;
	fputs("<h3>Lost (ran in the baseline, not in this run)</h3>\n<table "
	      "class=\"diff\" data-list=\"lost\">\n<tr><th>target</th><th>"
	      "host class</th><th>image</th><th>checks</th><th>why</th>"
	      "</tr>\n",
	      f);
	for (i = 0; i < d->nlost_groups; i++) {
		const struct baseline_lost *g = &d->lost[i];

		fputs("<tr class=\"lost\"><td>", f);
		xml_escape(f, g->target);
		fputs("</td><td>", f);
		xml_escape(f, g->host_class);
		fputs("</td><td class=\"img\">", f);
		xml_escape(f, g->image);
		fprintf(f,
			"</td><td class=\"n\" data-lost=\"%zu\">%zu</td><td>",
			g->n, g->n);
		if (g->image_ran) {
			fputs("the image no longer reports them (", f);
			xml_escape(f, g->id);
			fputs(g->n > 1 ? ", ...)" : ")", f);
		} else {
			fputs("image not run", f);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void write_gaps(FILE *f, const char *title, const char *cls,
		       const struct baseline_gap *v, size_t n)
{
	size_t i;

	if (!n)
		return;
	fprintf(f,
		"<h3>%s</h3>\n<table class=\"diff\" data-list=\"%s\">\n<tr>"
		"<th>target</th><th>host class</th><th>checks</th></tr>\n",
		title, cls);
	for (i = 0; i < n; i++) {
		fprintf(f, "<tr class=\"%s\"><td>", cls);
		xml_escape(f, v[i].target);
		fputs("</td><td>", f);
		xml_escape(f, v[i].host_class);
		fprintf(f, "</td><td class=\"n\">%zu</td></tr>\n", v[i].n);
	}
	fputs("</table>\n", f);
}

static const char *verdict(const struct baseline_diff *d, bool fail_on_lost)
{
	if (baseline_failed(d, fail_on_lost))
		return "FAILED";
	return baseline_lost_coverage(d) ? "passed, with lost coverage"
					 : "passed";
}

void html_write_diff(FILE *f, const struct baseline_diff *d, bool fail_on_lost)
{
	fprintf(f,
		"<h2 id=\"baseline\">Against the baseline: <span "
		"data-count=\"new\">%zu</span> new failures, <span "
		"data-count=\"fixed\">%zu</span> fixed, <span "
		"data-count=\"downgraded\">%zu</span> downgraded, <span "
		"data-count=\"lost\">%zu</span> lost &mdash; gate <span "
		"data-gate=\"%s\">%s</span></h2>\n",
		d->nnew, d->nfixed, d->ndown, d->nlost,
		baseline_failed(d, fail_on_lost) ? "failed" : "passed",
		verdict(d, fail_on_lost));
	if (baseline_lost_coverage(d))
		fprintf(f,
			"<p class=\"%s\" data-meta=\"lost-coverage\">Lost "
			"coverage: checks that ran in the baseline are "
			"skipped now or missing. %s</p>\n",
			fail_on_lost ? "warn" : "note",
			fail_on_lost ? "The gate fails on it (--fail-on-lost)."
				     : "The gate lets it through; "
				       "--fail-on-lost fails on it.");
	write_changes(f, "New failures", "new", d->new_failures, d->nnew);
	write_changes(f, "Fixed", "fixed", d->fixed, d->nfixed);
	write_changes(f, "Downgraded (ran in the baseline, skip now)",
		      "downgraded", d->downgraded, d->ndown);
	write_lost(f, d);
	write_gaps(f, "Not in the baseline (every failure counts as new)",
		   "uncovered", d->uncovered, d->nuncovered);
	write_gaps(f, "Not compared (host classes this run lacks)", "unseen",
		   d->unseen, d->nunseen);
}
