/*
 * Patch sites (site.h): one bit per byte of the translation cache and
 * kind. The bitmaps live in the monitor's heap, above 4 GiB, where no
 * segment of translated code reaches.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "site.h"

static size_t cache_bytes(const struct bt_vm *b)
{
	return (size_t)(b->tc_end - b->tc_base);
}

int site__init(struct bt_vm *b)
{
	size_t n = (cache_bytes(b) + 7) / 8;

	b->sites[BT_SITE_CHAIN] = calloc(n, 1);
	b->sites[BT_SITE_ADAPT] = calloc(n, 1);
	return b->sites[BT_SITE_CHAIN] && b->sites[BT_SITE_ADAPT] ? 0 : -ENOMEM;
}

void site__destroy(struct bt_vm *b)
{
	free(b->sites[BT_SITE_CHAIN]);
	free(b->sites[BT_SITE_ADAPT]);
	b->sites[BT_SITE_CHAIN] = b->sites[BT_SITE_ADAPT] = NULL;
}

void site__add(struct bt_vm *b, enum bt_site kind, const u8 *p)
{
	size_t off = (size_t)(p - b->tc_base);

	if (p < b->tc_base || off >= cache_bytes(b))
		return;
	b->sites[kind][off / 8] |= (u8)(1u << (off % 8));
	if (off + 1 > b->sites_end)
		b->sites_end = off + 1;
}

bool site__is(const struct bt_vm *b, enum bt_site kind, u64 addr)
{
	const u8 *p = (const u8 *)(uintptr_t)addr;
	size_t off = (size_t)(p - b->tc_base);

	if (p < b->tc_base || p >= b->tc_free)
		return false;
	return b->sites[kind][off / 8] & (1u << (off % 8));
}

void site__clear_from(struct bt_vm *b, const u8 *p)
{
	size_t from = p > b->tc_base ? (size_t)(p - b->tc_base) : 0;
	size_t lo = from / 8, hi = (b->sites_end + 7) / 8;
	int k;

	if (from >= b->sites_end)
		return;
	/* the byte holding @from keeps the bits before it */
	for (k = 0; k < 2; k++) {
		b->sites[k][lo] &= (u8)((1u << (from % 8)) - 1);
		if (hi > lo + 1)
			memset(b->sites[k] + lo + 1, 0, hi - lo - 1);
	}
	b->sites_end = from;
}
