/*
 * The kind of a guest instruction (kind.c), for the hostile-guest
 * campaign: coarser than its class and chosen for containment, which
 * wall the instruction tests. Pure: unit tested in tests/test_bt.c.
 */
#ifndef REFVMM_BT_KIND_H
#define REFVMM_BT_KIND_H

#include "decode.h"

enum bt_kind {
	BT_KIND_UD,	    /* raises #UD */
	BT_KIND_FAR,	    /* far transfer, INT n, SYSENTER, ... */
	BT_KIND_SEGLOAD,    /* loads a segment register */
	BT_KIND_STRING,	    /* string instruction */
	BT_KIND_STACK,	    /* push, pop, enter, leave, pushf, popf */
	BT_KIND_IMPLICIT,   /* memory no ModRM names: moffs, XLAT, ... */
	BT_KIND_BRANCH,	    /* near branch */
	BT_KIND_PRIVILEGED, /* any other callout; CLI, STI (virtual IF) */
	BT_KIND_FPU,	    /* x87, MMX, SSE */
	BT_KIND_PLAIN,	    /* everything else */
	BT_NKINDS,
};

extern const char *const bt_kind_names[BT_NKINDS];

/* The kind of the decoded instruction @in, whose bytes are @g. */
enum bt_kind kind__of(const u8 *g, const struct bt_insn *in);

#endif
