/*
 * Callouts (callout.c): translated code leaving for the monitor on
 * purpose, and the emulation of the sensitive instructions trap mode
 * never sees.
 */
#ifndef REFVMM_BT_CALLOUT_H
#define REFVMM_BT_CALLOUT_H

#include "vm.h"

/* What the stub that left asked for (bt_page.exit_code), under block key
 * @k entered with guest EFLAGS @entry_efl. True when the run loop must
 * see @exit. */
bool callout__run(struct bt_vm *b, const struct bt_key *k, u32 entry_efl,
		  struct vm_exit *exit);
/* #DE at the DIV at c->eip, delivered through the guest's IDT as the
 * full path delivers BT_EXIT_RAISE_DE (the caller counts the exit).
 * True when the run loop must see @exit. */
bool callout__raise_de(struct bt_vm *b, struct vm_exit *exit);
/* The monitor's emulate_first hook: the sensitive instructions that do
 * not trap at CPL 3, and near branches whose rewrite faulted. */
enum emu_result callout__emulate(struct monitor *t, const cs_insn *in,
				 struct vm_exit *exit);

#endif
