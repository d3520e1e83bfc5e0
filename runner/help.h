/*
 * Per-command help: `popek COMMAND --help` (or -h) and `popek help
 * COMMAND` print the same text on stdout and exit 0.
 */
#ifndef POPEK_RUNNER_HELP_H
#define POPEK_RUNNER_HELP_H

#include <stdbool.h>
#include <stdio.h>

/*
 * Whether argv (a command's arguments, argv[0] the command) asks for
 * help: --help or -h anywhere before a `--`.
 */
bool help_wanted(int argc, char **argv);

/*
 * Print the help of the named command to f. A command without its own
 * text gets its block of the global usage. Returns false when the usage
 * names no such command.
 */
bool help_print(FILE *f, const char *command);

#endif
