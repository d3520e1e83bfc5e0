/*
 * The containment oracle of the translation modes (integrity.c): what a
 * guest that reached monitor memory would have changed. Checked whenever
 * the run returns to the run loop and every BT_INTEGRITY_STEPS entries
 * into the cache; a failure ends the run with REFVMM_EXIT_CONTAINMENT.
 */
#ifndef REFVMM_BT_INTEGRITY_H
#define REFVMM_BT_INTEGRITY_H

#include <stddef.h>

#include "vm.h"

#define BT_INTEGRITY_STEPS 4096

/* True when intact; else @why says what changed. */
bool integrity__check(const struct bt_vm *b, char *why, size_t len);

#endif
