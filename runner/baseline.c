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

static char *col_key(const char *target, const char *host_class)
{
	return xasprintf("%s\t%s", target, host_class);
}

static bool has(const struct strmap *m, char *k)
{
	size_t at;
	bool found = strmap_get(m, k, &at);

	free(k);
	return found;
}

/* Put k (freed here) into m once; true when it was new. */
static bool add_once(struct strmap *m, char *k, size_t value)
{
	size_t at;
	bool fresh = !strmap_get(m, k, &at);

	if (fresh)
		strmap_put(m, k, value);
	free(k);
	return fresh;
}

/* The columns and host classes of one side, and its checks per column. */
struct side {
	struct strmap cols, classes, ids, images;
	struct baseline_gap *col; /* as cols numbers them; n: its checks */
	size_t ncols, colcap;
};

static size_t side_col(struct side *s, const char *target, const char *hc)
{
	size_t at;
	char *k = col_key(target, hc);

	if (!strmap_get(&s->cols, k, &at)) {
		strmap_put(&s->cols, k, s->ncols);
		VEC_GROW(s->col, s->ncols, s->colcap);
		s->col[s->ncols].target = target;
		s->col[s->ncols].host_class = hc;
		s->col[s->ncols].n = 0;
		at = s->ncols++;
	}
	free(k);
	add_once(&s->classes, xstrdup(hc), 0);
	return at;
}

static void side_index(const struct results *r, struct side *s)
{
	size_t i, at;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < r->ntargets; i++)
		side_col(s, r->targets[i].name, r->targets[i].host_class);
	for (i = 0; i < r->nimages; i++)
		add_once(&s->images,
			 xasprintf("%s\t%s\t%s", r->images[i].target,
				   r->images[i].host_class, r->images[i].image),
			 0);
	for (i = 0; i < r->nchecks; i++) {
		const struct res_check *c = &r->checks[i];

		at = side_col(s, c->target, c->host_class);
		add_once(&s->images,
			 xasprintf("%s\t%s\t%s", c->target, c->host_class,
				   c->image),
			 0);
		if (add_once(&s->ids, key(c, false), i))
			s->col[at].n++;
	}
}

static void side_free(struct side *s)
{
	strmap_free(&s->cols);
	strmap_free(&s->classes);
	strmap_free(&s->ids);
	strmap_free(&s->images);
	free(s->col);
}

static struct baseline_change *push_change(struct baseline_change **v,
					   size_t *n, size_t *cap)
{
	VEC_GROW(*v, *n, *cap);
	return &(*v)[(*n)++];
}

static void compare_now(const struct results *now, const struct results *base,
			struct baseline_diff *d)
{
	/*
	 * Match on the image too when we can: an id reported by a second
	 * image (an error of its own) must not shadow the owner's result.
	 */
	struct strmap m = {0}, mi = {0};
	struct baseline_change *ch;
	size_t i, at;

	for (i = 0; i < base->nchecks; i++) {
		char *k = key(&base->checks[i], true);

		add_once(&m, key(&base->checks[i], false), i);
		strmap_put(&mi, k, i);
		free(k);
	}
	for (i = 0; i < now->nchecks; i++) {
		const struct res_check *c = &now->checks[i];
		int before = -1;
		bool bad_now = class_unexpected(c->cls), bad_before;
		char *k = key(c, true);

		if (strmap_get(&mi, k, &at))
			before = (int)base->checks[at].cls;
		free(k);
		k = key(c, false);
		if (before < 0 && strmap_get(&m, k, &at))
			before = (int)base->checks[at].cls;
		free(k);
		bad_before = before >= 0 &&
			     class_unexpected((enum check_class)before);
		if (bad_now && (before < 0 || !bad_before))
			ch = push_change(&d->new_failures, &d->nnew,
					 &d->newcap);
		else if (c->cls == CLS_SKIP && before >= 0 &&
			 before != CLS_SKIP)
			/* a failure that is skipped now is not fixed:
			 * nothing says it works */
			ch = push_change(&d->downgraded, &d->ndown,
					 &d->downcap);
		else if (!bad_now && bad_before)
			ch = push_change(&d->fixed, &d->nfixed, &d->fixedcap);
		else
			continue;
		ch->target = c->target;
		ch->host_class = c->host_class;
		ch->image = c->image;
		ch->id = c->id;
		ch->now = c->cls;
		ch->before = before;
		ch->reason = c->reason;
	}
	strmap_free(&m);
	strmap_free(&mi);
}

static void find_lost(const struct results *base, const struct side *ns,
		      struct baseline_diff *d)
{
	struct strmap groups = {0}, seen = {0};
	struct baseline_lost *g;
	size_t i, at;
	char *k;

	for (i = 0; i < base->nchecks; i++) {
		const struct res_check *c = &base->checks[i];

		/* a skip that vanished took no coverage with it */
		if (c->cls == CLS_SKIP ||
		    !has(&ns->classes, xstrdup(c->host_class)) ||
		    has(&ns->ids, key(c, false)) ||
		    !add_once(&seen, key(c, false), 0))
			continue;
		d->nlost++;
		k = xasprintf("%s\t%s\t%s", c->target, c->host_class, c->image);
		if (strmap_get(&groups, k, &at)) {
			d->lost[at].n++;
			free(k);
			continue;
		}
		strmap_put(&groups, k, d->nlost_groups);
		VEC_GROW(d->lost, d->nlost_groups, d->lostcap);
		g = &d->lost[d->nlost_groups++];
		g->target = c->target;
		g->host_class = c->host_class;
		g->image = c->image;
		g->id = c->id;
		g->n = 1;
		g->image_ran = has(&ns->images, k);
	}
	strmap_free(&groups);
	strmap_free(&seen);
}

/*
 * The columns of `from` with checks that `to` has no checks for, into *v;
 * with whole_classes, only those of host classes `to` lacks entirely.
 */
static void find_gaps(const struct side *from, const struct side *to,
		      bool whole_classes, struct baseline_gap **v, size_t *n,
		      size_t *cap)
{
	size_t i, at;
	char *k;
	bool known, covered;

	for (i = 0; i < from->ncols; i++) {
		const struct baseline_gap *c = &from->col[i];

		if (!c->n)
			continue;
		known = has(&to->classes, xstrdup(c->host_class));
		k = col_key(c->target, c->host_class);
		covered = strmap_get(&to->cols, k, &at) && to->col[at].n;
		free(k);
		if (covered || (whole_classes && known))
			continue;
		VEC_GROW(*v, *n, *cap);
		(*v)[*n] = *c;
		(*v)[*n].class_known = known;
		(*n)++;
	}
}

static int gap_cmp(const void *a, const void *b)
{
	const struct baseline_gap *x = a, *y = b;
	int c = strcmp(x->host_class, y->host_class);

	return c ? c : strcmp(x->target, y->target);
}

void baseline_compare(const struct results *now, const struct results *base,
		      struct baseline_diff *d)
{
	struct side ns, bs;

	memset(d, 0, sizeof(*d));
	compare_now(now, base, d);
	side_index(now, &ns);
	side_index(base, &bs);
	find_lost(base, &ns, d);
	find_gaps(&ns, &bs, false, &d->uncovered, &d->nuncovered, &d->uncap);
	find_gaps(&bs, &ns, true, &d->unseen, &d->nunseen, &d->unseencap);
	/* hash order is no order: sort what is printed */
	if (d->nuncovered)
		qsort(d->uncovered, d->nuncovered, sizeof(*d->uncovered),
		      gap_cmp);
	if (d->nunseen)
		qsort(d->unseen, d->nunseen, sizeof(*d->unseen), gap_cmp);
	side_free(&ns);
	side_free(&bs);
}

bool baseline_lost_coverage(const struct baseline_diff *d)
{
	return d->nlost || d->ndown;
}

bool baseline_failed(const struct baseline_diff *d, bool fail_on_lost)
{
	return d->nnew || (fail_on_lost && baseline_lost_coverage(d));
}

void baseline_free(struct baseline_diff *d)
{
	free(d->new_failures);
	free(d->fixed);
	free(d->downgraded);
	free(d->lost);
	free(d->uncovered);
	free(d->unseen);
	memset(d, 0, sizeof(*d));
}
