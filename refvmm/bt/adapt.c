/*
 * The policy of adaptive binary translation (adapt.h; docs/refvmm-bt.md,
 * "Adaptive translation"): per guest instruction, the host faults its
 * IDENT translation takes and the callouts that turned out needless.
 * Pure: retranslate.c applies its verdicts to the cache.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapt.h"

void adapt__init(struct bt_adapt *a, u32 threshold)
{
	memset(a, 0, sizeof(*a));
	a->threshold = threshold ? threshold : 1;
}

int adapt__threshold_from_env(u32 *out, char *err, size_t errlen)
{
	const char *s = getenv("REFVMM_BT_THRESHOLD");
	char *end;
	unsigned long v;

	*out = BT_ADAPT_DEFAULT_THRESHOLD;
	if (!s)
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 1000000) {
		snprintf(err, errlen,
			 "REFVMM_BT_THRESHOLD must be a number from 1 to "
			 "1000000, not '%s'",
			 s);
		return -1;
	}
	*out = (u32)v;
	return 0;
}

struct bt_adapt_rec *adapt__rec(struct bt_adapt *a, u32 lin, bool create)
{
	u32 i = adapt_slot(lin), n;

	for (n = 0; n < BT_ADAPT_SLOTS;
	     n++, i = (i + 1) & (BT_ADAPT_SLOTS - 1)) {
		struct bt_adapt_rec *r = &a->rec[i];

		if (r->used && r->lin == lin)
			return r;
		if (!r->used) {
			if (!create)
				return NULL;
			memset(r, 0, sizeof(*r));
			r->used = true;
			r->lin = lin;
			return r;
		}
	}
	if (create)
		a->full++;
	return NULL;
}

bool adapt__is_callout(const struct bt_adapt *a, u32 lin)
{
	struct bt_adapt_rec *r = adapt__rec((struct bt_adapt *)a, lin, false);

	return r && r->callout;
}

/* @r's translation flips to a callout (@callout) or back to IDENT. */
static enum bt_adapt_verdict flip(struct bt_adapt *a, struct bt_adapt_rec *r,
				  bool callout)
{
	r->callout = callout;
	r->traps = 0;
	r->clean = 0;
	r->flips++;
	if (!callout) {
		a->to_ident++;
		return BT_ADAPT_TO_IDENT;
	}
	a->to_callout++;
	return BT_ADAPT_TO_CALLOUT;
}

enum bt_adapt_verdict adapt__trap(struct bt_adapt *a, u32 lin)
{
	struct bt_adapt_rec *r = adapt__rec(a, lin, true);

	a->traps++;
	if (!r || r->never)
		return BT_ADAPT_KEEP;
	if (r->callout)
		return BT_ADAPT_TO_CALLOUT; /* an older IDENT copy trapped */
	if (++r->traps < a->threshold)
		return BT_ADAPT_KEEP;
	return flip(a, r, true);
}

u32 adapt__clean_needed(const struct bt_adapt *a, const struct bt_adapt_rec *r)
{
	/* flips 1: the first callout; 3, 5, ...: the returns */
	u32 returns = r->flips ? (r->flips - 1) / 2 : 0;

	if (returns > BT_ADAPT_BACKOFF_MAX)
		returns = BT_ADAPT_BACKOFF_MAX;
	return a->threshold << returns;
}

enum bt_adapt_verdict adapt__callout(struct bt_adapt *a, u32 lin,
				     bool would_trap)
{
	struct bt_adapt_rec *r = adapt__rec(a, lin, false);

	a->callouts++;
	if (would_trap)
		a->avoided++;
	if (!r || !r->callout)
		return BT_ADAPT_KEEP;
	if (would_trap) {
		r->clean = 0;
		return BT_ADAPT_KEEP;
	}
	if (++r->clean < adapt__clean_needed(a, r))
		return BT_ADAPT_KEEP;
	return flip(a, r, false);
}

void adapt__never(struct bt_adapt *a, u32 lin)
{
	struct bt_adapt_rec *r = adapt__rec(a, lin, true);

	if (r) {
		r->never = true;
		if (r->callout)
			a->to_ident++;
		r->callout = false;
	}
}
