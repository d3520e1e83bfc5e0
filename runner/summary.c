/* One row per (target, host class), in the order the targets were given. */
#include "summary.h"

#include <stdlib.h>
#include <string.h>

static struct summary_row *row_for(struct summary *s, const char *target,
				   const char *host_class)
{
	struct summary_row *row;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->rows[i].target, target) == 0 &&
		    strcmp(s->rows[i].host_class, host_class) == 0)
			return &s->rows[i];
	VEC_GROW(s->rows, s->n, s->cap);
	row = &s->rows[s->n++];
	memset(row, 0, sizeof(*row));
	row->target = target;
	row->host_class = host_class;
	row->available = true;
	row->reason = "";
	return row;
}

void summary_compute(const struct results *r, struct summary *s)
{
	struct summary_row *row;
	size_t i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < r->ntargets; i++) {
		row = row_for(s, r->targets[i].name, r->targets[i].host_class);
		row->available = r->targets[i].available;
		row->reason = r->targets[i].reason;
		row->seconds = r->targets[i].seconds;
	}
	for (i = 0; i < r->nimages; i++) {
		row = row_for(s, r->images[i].target, r->images[i].host_class);
		row->images++;
		if (!r->images[i].ok)
			row->image_errors++;
	}
	for (i = 0; i < r->nchecks; i++) {
		row = row_for(s, r->checks[i].target, r->checks[i].host_class);
		row->counts[r->checks[i].cls]++;
	}
}

void summary_print(FILE *f, const struct summary *s)
{
	int tw = 6, hw = 10;
	size_t i;
	int c;

	for (i = 0; i < s->n; i++) {
		if ((int)strlen(s->rows[i].target) > tw)
			tw = (int)strlen(s->rows[i].target);
		if ((int)strlen(s->rows[i].host_class) > hw)
			hw = (int)strlen(s->rows[i].host_class);
	}
	fprintf(f, "%-*s  %-*s", tw, "target", hw, "host class");
	for (c = 0; c < CLS_COUNT; c++)
		fprintf(f, " %6s", class_name((enum check_class)c));
	fprintf(f, " %7s %7s %9s\n", "images", "img-err", "time");
	for (i = 0; i < s->n; i++) {
		const struct summary_row *row = &s->rows[i];

		fprintf(f, "%-*s  %-*s", tw, row->target, hw, row->host_class);
		if (!row->available) {
			fprintf(f, " unavailable: %s\n", row->reason);
			continue;
		}
		for (c = 0; c < CLS_COUNT; c++)
			fprintf(f, " %6zu", row->counts[c]);
		fprintf(f, " %7zu %7zu %7.1f s\n", row->images,
			row->image_errors, row->seconds);
	}
}

void summary_free(struct summary *s)
{
	free(s->rows);
	memset(s, 0, sizeof(*s));
}
