/*
 * The mechanism of adaptive binary translation (--mode bt; retranslate.c):
 * applies the verdicts of the policy (adapt.h) to the translation cache.
 */
#ifndef REFVMM_BT_RETRANSLATE_H
#define REFVMM_BT_RETRANSLATE_H

#include "vm.h"

/* A host fault in translated code at @rip (guest @eip, block key @k),
 * before the monitor handles it: remembered when it is an IDENT access
 * that would trap. */
void retranslate__before_fault(struct bt_vm *b, const struct bt_key *k, u64 rip,
			       u32 eip);
/* After it was handled (@stopped: the run loop sees an exit): counted
 * when the monitor emulated it in place; enough of them retranslate
 * the instruction as a callout. */
void retranslate__after_fault(struct bt_vm *b, bool stopped);
/* An adapted callout (BT_EXIT_ADAPT): performs the access; true when
 * the run loop must see @exit. */
bool retranslate__callout(struct bt_vm *b, const struct bt_key *k,
			  struct vm_exit *exit);

#endif
