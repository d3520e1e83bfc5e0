/* The execution modes, registered by their own files (mode.h). */
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

#define MODES_MAX 8

static const struct mode_ops *modes[MODES_MAX];
static size_t nmodes;

void mode__register(const struct mode_ops *ops)
{
	size_t i;

	if (nmodes == MODES_MAX)
		return;
	for (i = nmodes; i > 0 && modes[i - 1]->order > ops->order; i--)
		modes[i] = modes[i - 1];
	modes[i] = ops;
	nmodes++;
}

const struct mode_ops *mode__at(size_t i)
{
	return i < nmodes ? modes[i] : NULL;
}

const struct mode_ops *mode__find(const char *name)
{
	for (size_t i = 0; i < nmodes; i++)
		if (!strcmp(modes[i]->name, name))
			return modes[i];
	return NULL;
}
