/*
 * The shadow's private definitions (shadow_pt.c), shared with
 * shadow_pt_store.c, its one piece built for the binary translator's
 * fast handler.
 */
#ifndef REFVMM_SW_SHADOW_PT_INT_H
#define REFVMM_SW_SHADOW_PT_INT_H

#include "refvmm/types.h"

#define RMAP_MANY 1u /* in base: leaf table of more than one range */
/* s->traced: a page-table page whose every alias is read-only and whose
 * writes come back; or one that was, until a CR3 switch left no mapping
 * using it: its aliases are still read-only, so tracing it again needs
 * no search for writable ones. */
#define TRACED	    1
#define TRACE_STALE 2
/* s->gone: what took a page's mapping out, for the counters that name
 * the hidden fault bringing it back. */
enum {
	GONE_NEVER,
	GONE_SWITCH,
	GONE_PT_WRITE,
	GONE_CLASS,
	GONE_INVLPG,
	GONE_FLUSH
};

/* A page-table page's linear range as a leaf table (one 4 MiB or 2 MiB
 * range; RMAP_MANY when walks met it for two). */
struct shadow_rmap {
	u32 gen, base;
};

#endif
