/* Sharding: shards partition the images, disjoint, union complete. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "shard.h"

Test(shard, parse_good)
{
	struct shard s;
	struct perr e;

	cr_assert_eq(shard_parse("1/1", &s, &e), 0);
	cr_assert_eq(s.index, 1);
	cr_assert_eq(s.count, 1);
	cr_assert_eq(shard_parse("3/7", &s, &e), 0);
	cr_assert_eq(s.index, 3);
	cr_assert_eq(s.count, 7);
}

Test(shard, parse_bad)
{
	static const char *const bad[] = {"0/3",  "4/3",  "1/0", "1",
					  "/3",	  "1/",	  "a/b", "1/3x",
					  "-1/3", " 1/3", ""};
	struct shard s;
	struct perr e;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(shard_parse(bad[i], &s, &e), -1, "%s", bad[i]);
		cr_assert(strstr(e.msg, "bad shard"));
	}
}

Test(shard, sorted_order_index_mod_n)
{
	const char *names[] = {"d", "a", "c", "b", "e"};
	bool keep[5];
	struct shard s = {1, 2};

	/* Sorted: a b c d e -> shard 1/2 keeps a, c, e. */
	shard_select(names, 5, s, keep);
	cr_assert(!keep[0]); /* d */
	cr_assert(keep[1]);  /* a */
	cr_assert(keep[2]);  /* c */
	cr_assert(!keep[3]); /* b */
	cr_assert(keep[4]);  /* e */
}

Test(shard, partition)
{
	char storage[37][16];
	const char *names[37];
	bool keep[37];
	unsigned owners[37];
	unsigned n, i, k;

	for (k = 0; k < 37; k++) {
		/* Not in sorted order, to exercise the sort. */
		snprintf(storage[k], sizeof(storage[k]), "image-%02u",
			 (k * 11) % 37);
		names[k] = storage[k];
	}
	for (n = 1; n <= 40; n++) {
		size_t total = 0;

		memset(owners, 0, sizeof(owners));
		for (i = 1; i <= n; i++) {
			struct shard s = {i, n};
			size_t in_shard = 0;

			shard_select(names, 37, s, keep);
			for (k = 0; k < 37; k++)
				if (keep[k]) {
					owners[k]++;
					in_shard++;
				}
			/* Balanced: sizes differ by at most one. */
			cr_assert(in_shard == 37 / n || in_shard == 37 / n + 1);
			total += in_shard;
		}
		cr_assert_eq(total, 37);
		for (k = 0; k < 37; k++)
			cr_assert_eq(owners[k], 1, "n=%u image %s", n,
				     names[k]);
	}
}

Test(shard, deterministic_whatever_the_input_order)
{
	const char *a[] = {"x", "y", "z", "w"};
	const char *b[] = {"z", "w", "y", "x"};
	bool ka[4], kb[4];
	struct shard s = {2, 3};
	size_t i, j;

	shard_select(a, 4, s, ka);
	shard_select(b, 4, s, kb);
	for (i = 0; i < 4; i++)
		for (j = 0; j < 4; j++)
			if (!strcmp(a[i], b[j]))
				cr_assert_eq(ka[i], kb[j]);
}
