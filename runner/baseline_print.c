/*
 * The gate's text: the sections a CI log shows, then one verdict line
 * that says why the gate failed or what it let through.
 */
#include "baseline.h"

#include <string.h>

static const char *before_name(int before)
{
	return before < 0 ? "absent" : class_name((enum check_class)before);
}

bool baseline_same_cause(const struct baseline_change *a,
			 const struct baseline_change *b)
{
	return !strcmp(a->target, b->target) &&
	       !strcmp(a->host_class, b->host_class) &&
	       !strcmp(a->image, b->image) && !strcmp(a->reason, b->reason) &&
	       a->before == b->before && a->now == b->now;
}

static void print_changes(FILE *f, const char *title, const char *what,
			  const struct baseline_change *v, size_t n,
			  bool reasons)
{
	size_t i, same = 0;

	fprintf(f, "%s: %zu%s\n", title, n, n ? what : "");
	for (i = 0; i < n; i++) {
		const struct baseline_change *c = &v[i];

		same = i && baseline_same_cause(c, &v[i - 1]) ? same + 1 : 0;
		if (same < SAME_REASON_SHOWN) {
			fprintf(f, "  %s  %s (%s): %s -> %s", c->id, c->target,
				c->host_class, before_name(c->before),
				class_name(c->now));
			if (reasons && *c->reason)
				fprintf(f, ": %s", c->reason);
			fputc('\n', f);
		}
		if (same >= SAME_REASON_SHOWN &&
		    (i + 1 == n || !baseline_same_cause(&v[i + 1], c)))
			fprintf(f,
				"  ... and %zu more of %s (%s) %s, the same "
				"way\n",
				same + 1 - SAME_REASON_SHOWN, c->target,
				c->host_class, c->image);
	}
}

static void print_lost(FILE *f, const struct baseline_diff *d)
{
	size_t i;

	fprintf(f, "lost: %zu%s\n", d->nlost,
		d->nlost ? " (ran in the baseline, not in this run)" : "");
	for (i = 0; i < d->nlost_groups; i++) {
		const struct baseline_lost *g = &d->lost[i];

		fprintf(f, "  %s (%s) %s: %zu check%s", g->target,
			g->host_class, g->image, g->n, g->n == 1 ? "" : "s");
		if (g->image_ran)
			fprintf(f, " the image no longer reports (%s%s)\n",
				g->id, g->n > 1 ? ", ..." : "");
		else
			fputs(" (image not run)\n", f);
	}
}

static void print_gaps(FILE *f, const char *title, const char *what,
		       const struct baseline_gap *v, size_t n)
{
	size_t i;

	if (!n)
		return;
	fprintf(f, "%s:\n", title);
	for (i = 0; i < n; i++)
		fprintf(f, "  %s (%s): %zu checks%s\n", v[i].target,
			v[i].host_class, v[i].n, what);
}

static void print_verdict(FILE *f, const struct baseline_diff *d,
			  bool fail_on_lost)
{
	bool lost = baseline_lost_coverage(d);

	if (baseline_failed(d, fail_on_lost)) {
		fputs("gate: FAILED (", f);
		if (d->nnew)
			fprintf(f, "%zu new failure%s%s", d->nnew,
				d->nnew == 1 ? "" : "s",
				fail_on_lost && lost ? ", " : "");
		if (fail_on_lost && lost)
			fprintf(f, "%zu lost, %zu downgraded: --fail-on-lost",
				d->nlost, d->ndown);
		fputs(")\n", f);
	} else if (lost) {
		fprintf(f,
			"gate: passed, with lost coverage (%zu lost, %zu "
			"downgraded; --fail-on-lost fails on it)\n",
			d->nlost, d->ndown);
	} else {
		fputs("gate: passed\n", f);
	}
}

void baseline_print(FILE *f, const struct baseline_diff *d, bool fail_on_lost)
{
	print_changes(f, "new failures", "", d->new_failures, d->nnew, true);
	print_changes(f, "fixed", "", d->fixed, d->nfixed, false);
	print_changes(f, "downgraded", " (ran in the baseline, skip now)",
		      d->downgraded, d->ndown, true);
	print_lost(f, d);
	print_gaps(f, "not in the baseline", ", every failure counts as new",
		   d->uncovered, d->nuncovered);
	print_gaps(f, "not compared (host classes this run lacks)", "",
		   d->unseen, d->nunseen);
	print_verdict(f, d, fail_on_lost);
}

void baseline_warn(FILE *f, const struct baseline_diff *d, const char *path)
{
	size_t i;

	for (i = 0; i < d->nuncovered; i++) {
		const struct baseline_gap *g = &d->uncovered[i];

		fprintf(f,
			"popek: warning: baseline %s has nothing for %s on "
			"host class %s%s: its %zu checks count as absent "
			"there\n",
			path, g->target, g->host_class,
			g->class_known ? "" : " (a host class it never ran on)",
			g->n);
	}
}
