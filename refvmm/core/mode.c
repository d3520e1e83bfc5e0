/*
 * The execution modes refvmm knows: hw (hw/kvm.c) and trap (trap/trap.c);
 * the BT modes are named here so that the command line, --help and the
 * refusal message are right before they land.
 */
#include <string.h>

#include "refvmm/mode.h"

const char *const vm_exit_names[VM_EXIT_NR] = {
	[VM_EXIT_IO] = "io",
	[VM_EXIT_MMIO] = "mmio",
	[VM_EXIT_HLT] = "hlt",
	[VM_EXIT_KICK] = "kick",
	[VM_EXIT_IRQ_WINDOW] = "irq_window",
	[VM_EXIT_SHUTDOWN] = "shutdown",
	[VM_EXIT_INTERNAL] = "internal_error",
	[VM_EXIT_FAIL_ENTRY] = "fail_entry",
	[VM_EXIT_HOST_ERROR] = "host_error",
	[VM_EXIT_OTHER] = "other",
};

extern const struct mode_ops kvm_mode_ops;
extern const struct mode_ops trap_mode_ops;
extern const struct mode_ops bt_simple_mode_ops;
extern const struct mode_ops bt_mode_ops;

const struct mode_ops *const mode_table[] = {
	&kvm_mode_ops, &bt_mode_ops, &bt_simple_mode_ops, &trap_mode_ops, NULL,
};

const struct mode_ops *mode__find(const char *name)
{
	size_t i;

	for (i = 0; mode_table[i]; i++)
		if (!strcmp(mode_table[i]->name, name))
			return mode_table[i];
	return NULL;
}
