/*
 * Adaptive binary translation (--mode bt; docs/refvmm-bt.md, "Adaptive
 * translation"): the paper's "innocent until proven guilty". A translated
 * instruction is copied as it is (IDENT) until its memory accesses have
 * trapped @threshold times (MMIO, the monitor window, a write to a page
 * holding translated code, a traced page-table page); then it is
 * retranslated as a callout that performs the access in the monitor
 * without a host fault, and the old translation is patched to jump to the
 * new one. A callout whose access would not have trapped @threshold times
 * in a row is retranslated back to IDENT (the page stopped being special).
 * Each time an instruction comes back to a callout that count doubles,
 * up to @threshold << BT_ADAPT_BACKOFF_MAX: one that alternates between
 * trapping bursts and short clean runs (a memcpy that copies page tables
 * at every fork) stays a callout instead of paying two retranslations
 * and @threshold host faults per burst.
 *
 * The policy (struct bt_adapt, adapt.c) is pure and unit tested
 * (refvmm/tests/test_adapt.c); retranslate.c is the mechanism that
 * applies its verdicts to the translation cache.
 */
#ifndef REFVMM_BT_ADAPT_H
#define REFVMM_BT_ADAPT_H

#include "refvmm/types.h"

#define BT_ADAPT_SLOTS		   4096 /* per-instruction records */
#define BT_ADAPT_DEFAULT_THRESHOLD 2	/* docs/refvmm-bt.md, measured */
#define BT_ADAPT_BACKOFF_MAX	   6

enum bt_adapt_verdict {
	BT_ADAPT_KEEP,	     /* nothing to do */
	BT_ADAPT_TO_CALLOUT, /* retranslate the instruction as a callout */
	BT_ADAPT_TO_IDENT,   /* retranslate it back as its own bytes */
};

/* What the policy remembers about one guest instruction (by linear EIP;
 * paging off, that is its physical address). */
struct bt_adapt_rec {
	u32 lin;
	u32 traps; /* host faults taken while IDENT, since the last flip */
	u32 clean; /* callouts in a row whose access would not trap */
	u32 flips; /* retranslations of this instruction */
	bool used;
	bool callout; /* translated as a callout now */
	bool never;   /* the emulator cannot do it: stays IDENT */
};

struct bt_adapt {
	u32 threshold;
	struct bt_adapt_rec rec[BT_ADAPT_SLOTS];
	u64 traps, to_callout, to_ident, avoided, callouts, patches, full;
};

/* The slot the search for @lin's record starts at (open addressing). */
static inline u32 adapt_slot(u32 lin)
{
	return (lin * 0x9e3779b1u) >> 20 & (BT_ADAPT_SLOTS - 1);
}

/* @lin's record, or NULL: adapt__rec without @create, inline and
 * calling nothing, for the gate's fast handler (fast_shadow.h). */
static inline struct bt_adapt_rec *adapt_find(struct bt_adapt *a, u32 lin)
{
	u32 i = adapt_slot(lin);

	for (u32 n = 0; n < BT_ADAPT_SLOTS;
	     n++, i = (i + 1) & (BT_ADAPT_SLOTS - 1)) {
		if (!a->rec[i].used)
			return NULL;
		if (a->rec[i].lin == lin)
			return &a->rec[i];
	}
	return NULL;
}

void adapt__init(struct bt_adapt *a, u32 threshold);
/* The threshold from REFVMM_BT_THRESHOLD (>= 1), else the default; -1
 * with a message in @err when the variable is malformed. */
int adapt__threshold_from_env(u32 *out, char *err, size_t errlen);
/* The record of @lin, or NULL when there is none (and @create is false
 * or the table is full). */
struct bt_adapt_rec *adapt__rec(struct bt_adapt *a, u32 lin, bool create);
/* Should the translator emit @lin as a callout? */
bool adapt__is_callout(const struct bt_adapt *a, u32 lin);
/* An IDENT translation of @lin took a host fault that the monitor
 * emulated. TO_CALLOUT once it has trapped threshold times (and for any
 * stale IDENT translation of an instruction already adapted). */
enum bt_adapt_verdict adapt__trap(struct bt_adapt *a, u32 lin);
/* The clean callouts in a row that turn @r back to IDENT. */
u32 adapt__clean_needed(const struct bt_adapt *a, const struct bt_adapt_rec *r);
/* The callout of @lin performed its access; @would_trap: natively it
 * would have faulted. TO_IDENT after adapt__clean_needed clean ones in
 * a row. */
enum bt_adapt_verdict adapt__callout(struct bt_adapt *a, u32 lin,
				     bool would_trap);
/* The emulator could not perform @lin's access: IDENT for good. */
void adapt__never(struct bt_adapt *a, u32 lin);

#endif
