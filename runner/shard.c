/*
 * Shard membership is a pure function of the sorted image names, so every
 * worker computes the same partition without talking to the others.
 */
#include "shard.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int shard_parse(const char *text, struct shard *s, struct perr *e)
{
	unsigned long i, n;
	char *end;

	if (!isdigit((unsigned char)*text))
		goto bad;
	errno = 0;
	i = strtoul(text, &end, 10);
	if (errno || *end != '/' || !isdigit((unsigned char)end[1]))
		goto bad;
	n = strtoul(end + 1, &end, 10);
	if (errno || *end || n == 0 || n > 1000000 || i < 1 || i > n)
		goto bad;
	s->index = (unsigned)i;
	s->count = (unsigned)n;
	return 0;
bad:
	return perr_set(e, "bad shard '%s': expected I/N with 1 <= I <= N",
			text);
}

struct rank {
	const char *name;
	size_t pos;
};

static int rank_cmp(const void *a, const void *b)
{
	const struct rank *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

void shard_select(const char *const *names, size_t n, struct shard s,
		  bool *keep)
{
	struct rank *r = xcalloc(n, sizeof(*r));
	size_t k;

	for (k = 0; k < n; k++) {
		r[k].name = names[k];
		r[k].pos = k;
	}
	qsort(r, n, sizeof(*r), rank_cmp);
	for (k = 0; k < n; k++)
		keep[r[k].pos] = k % s.count == s.index - 1;
	free(r);
}
