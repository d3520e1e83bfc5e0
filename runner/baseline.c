/* Checks are matched by (target, host class, id): the matrix's cells. */
#include "baseline.h"

#include <stdlib.h>
#include <string.h>

#include "strmap.h"

static char *key(const struct res_check *c, bool with_image)
{
	return xasprintf("%s\t%s\t%s\t%s", c->target, c->host_class,
			 with_image ? c->image : "", c->id);
}

void baseline_compare(const struct results *now, const struct results *base,
		      struct baseline_diff *d)
{
	/*
	 * Match on the image too when we can: an id reported by a second
	 * image (an error of its own) must not shadow the owner's result.
	 */
	struct strmap m = {0}, mi = {0};
	struct baseline_change *ch;
	size_t i, at;
	char *k;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < base->nchecks; i++) {
		k = key(&base->checks[i], false);
		if (!strmap_get(&m, k, &at))
			strmap_put(&m, k, i);
		free(k);
		k = key(&base->checks[i], true);
		strmap_put(&mi, k, i);
		free(k);
	}
	for (i = 0; i < now->nchecks; i++) {
		const struct res_check *c = &now->checks[i];
		int before = -1;
		bool bad_now = class_unexpected(c->cls), bad_before;

		k = key(c, true);
		if (strmap_get(&mi, k, &at))
			before = (int)base->checks[at].cls;
		free(k);
		k = key(c, false);
		if (before < 0 && strmap_get(&m, k, &at))
			before = (int)base->checks[at].cls;
		free(k);
		bad_before = before >= 0 &&
			     class_unexpected((enum check_class)before);
		if (bad_now && (before < 0 || !bad_before)) {
			VEC_GROW(d->new_failures, d->nnew, d->newcap);
			ch = &d->new_failures[d->nnew++];
		} else if (!bad_now && bad_before) {
			VEC_GROW(d->fixed, d->nfixed, d->fixedcap);
			ch = &d->fixed[d->nfixed++];
		} else {
			continue;
		}
		ch->target = c->target;
		ch->host_class = c->host_class;
		ch->id = c->id;
		ch->now = c->cls;
		ch->before = before;
		ch->reason = c->reason;
	}
	strmap_free(&m);
	strmap_free(&mi);
}

static const char *before_name(int before)
{
	return before < 0 ? "absent" : class_name((enum check_class)before);
}

void baseline_print(FILE *f, const struct baseline_diff *d)
{
	size_t i;

	fprintf(f, "new failures: %zu\n", d->nnew);
	for (i = 0; i < d->nnew; i++) {
		const struct baseline_change *c = &d->new_failures[i];

		fprintf(f, "  %s  %s (%s): %s -> %s", c->id, c->target,
			c->host_class, before_name(c->before),
			class_name(c->now));
		if (*c->reason)
			fprintf(f, ": %s", c->reason);
		fputc('\n', f);
	}
	fprintf(f, "fixed: %zu\n", d->nfixed);
	for (i = 0; i < d->nfixed; i++) {
		const struct baseline_change *c = &d->fixed[i];

		fprintf(f, "  %s  %s (%s): %s -> %s\n", c->id, c->target,
			c->host_class, before_name(c->before),
			class_name(c->now));
	}
}

void baseline_free(struct baseline_diff *d)
{
	free(d->new_failures);
	free(d->fixed);
	memset(d, 0, sizeof(*d));
}
