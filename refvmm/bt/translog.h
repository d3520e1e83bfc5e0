/*
 * What the translator saw, for the hostile-guest campaign (translog.c):
 * each guest instruction it translates gets a kind, coarser than its
 * class and chosen for containment (which wall the instruction tests),
 * and with --translation-log FILE one line "KIND HEXBYTES" in FILE.
 */
#ifndef REFVMM_BT_TRANSLOG_H
#define REFVMM_BT_TRANSLOG_H

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
enum bt_kind translog__kind(const u8 *g, const struct bt_insn *in);

struct bt_vm;
/* Notes one translated instruction (a line, when the log is open). */
void translog__insn(struct bt_vm *b, const u8 *g, const struct bt_insn *in);
/* Writes what is buffered. */
void translog__flush(struct bt_vm *b);

#endif
