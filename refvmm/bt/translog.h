/*
 * The translation log (translog.c): with --translation-log FILE, one line
 * "KIND HEXBYTES" per guest instruction translated (kind.h); the bt.kind.*
 * counters either way.
 */
#ifndef REFVMM_BT_TRANSLOG_H
#define REFVMM_BT_TRANSLOG_H

#include "vm.h"

/* Notes one translated instruction (a line, when the log is open). */
void translog__insn(struct bt_vm *b, const u8 *g, const struct bt_insn *in);
/* Writes what is buffered. */
void translog__flush(struct bt_vm *b);

#endif
