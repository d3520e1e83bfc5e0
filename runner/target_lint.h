/*
 * What a target's command says about the two things the runner relies on
 * (docs/targets.md, "How to add a hypervisor"): where the guest's COM1
 * goes, and how the process ends when the guest writes its exit code.
 * Only QEMU's options are understood; for other monitors both stay
 * unknown and popek check-target judges by booting alone.
 */
#ifndef POPEK_RUNNER_TARGET_LINT_H
#define POPEK_RUNNER_TARGET_LINT_H

#include <stdbool.h>

#include "target.h"

enum lint_answer { LINT_UNKNOWN, LINT_YES, LINT_NO };

struct target_lint {
	bool qemu;		 /* argv[0] is a qemu-system-* binary */
	enum lint_answer serial; /* COM1 on standard output */
	enum lint_answer exit_device;
	long exit_iobase; /* the isa-debug-exit's iobase, -1 if not given */
	enum lint_answer no_reboot;
};

void target_lint(const struct target *t, struct target_lint *out);

#endif
