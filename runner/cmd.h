/*
 * The popek commands. Each takes the arguments after the command name
 * and returns the process exit status; when it fails it leaves a
 * one-line message in *e for main to print.
 */
#ifndef POPEK_RUNNER_CMD_H
#define POPEK_RUNNER_CMD_H

#include <stddef.h>

#include "util.h"

/* Exit statuses (docs/runner.md). */
#define POPEK_EXIT_OK	       0
#define POPEK_EXIT_UNEXPECTED  1 /* unexpected results, or a failed command */
#define POPEK_EXIT_USAGE       2
#define POPEK_EXIT_NOTHING_RAN 3
#define POPEK_EXIT_NO_BASELINE 5 /* the baseline cannot be read */
#define POPEK_EXIT_NO_MATCH    6 /* a filter matches no image or check */
#define POPEK_EXIT_INTERRUPTED 130
/* popek check-target: the target does not boot images as popek needs */
#define POPEK_EXIT_TARGET_BROKEN 7

int cmd_targets(int argc, char **argv, struct perr *e);
int cmd_list(int argc, char **argv, struct perr *e);
int cmd_run(int argc, char **argv, struct perr *e);
int cmd_report(int argc, char **argv, struct perr *e);
int cmd_bench(int argc, char **argv, struct perr *e);
int cmd_iso(int argc, char **argv, struct perr *e);
int cmd_ingest(int argc, char **argv, struct perr *e);
int cmd_check_target(int argc, char **argv, struct perr *e);

/* The usage text main prints for `popek help`. */
extern const char popek_usage[];

/* Helpers shared by the commands (paths.c). */
const char *images_dir(const char *opt, bool *explicit_dir);
struct target_path;
/* The targets search path: each opts[i] (--targets), $POPEK_TARGETS,
 * then the built-in directory. */
void targets_path(struct target_path *sp, char *const *opts, size_t nopts);
const char *builtin_targets_dir(void);
/* Absolute path of the running popek binary, and its directory. */
char *self_exe(void);
char *self_dir(void);
/* Report a getopt failure as a usage error. */
int usage_error(struct perr *e, const char *cmd, int opt, int optopt_,
		const char *arg);

#endif
