/*
 * A target's `requires = command ARGV`: a program that says whether the
 * target can run on this host (refvmm --check-host). Exit 0: it can;
 * anything else: it cannot, and its last line of output says why.
 */
#ifndef POPEK_RUNNER_HOST_COMMAND_H
#define POPEK_RUNNER_HOST_COMMAND_H

#include <stdbool.h>

/* Runs @line, split on spaces, with no input and at most
 * HOST_COMMAND_TIMEOUT seconds. True on exit 0; else *why (malloc'ed)
 * is its last non-empty output line, or how it ended. */
#define HOST_COMMAND_TIMEOUT 30
bool host_command_ok(const char *line, char **why);

#endif
