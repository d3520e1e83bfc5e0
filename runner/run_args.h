/*
 * The arguments `popek run` and `popek bench` share: -t TARGET[,TARGET...],
 * -j, --timeout, --json, --images, --targets, -q and the filters, and the
 * targets -t names. Each command adds its own options through a spec.
 */
#ifndef POPEK_RUNNER_RUN_ARGS_H
#define POPEK_RUNNER_RUN_ARGS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "elf_image.h"
#include "target.h"
#include "util.h"

struct run_args {
	char *targets; /* the first -t, as given */
	char **tlist;  /* every -t, as given */
	size_t ntlist;
	unsigned jobs;	  /* -j; the command's default when not given */
	unsigned timeout; /* 0: each target's own */
	const char *json, *images;
	char **targets_dirs; /* every --targets, as given */
	size_t ntargets_dirs;
	char **sets; /* every --target-set [TARGET:]KEY=VALUE */
	size_t nsets;
	struct target_path path; /* run_args_load_targets */
	bool quiet;
	char **filters;
	int nfilters;
};

/* What one command adds to the shared arguments. */
struct run_args_spec {
	const char *cmd; /* "run", "bench": the start of every message */
	unsigned max_jobs;
	const struct option *opts; /* its own options, ending in a zero entry */
	/* One of its own options was given: 0, or an exit status with *e. */
	int (*take)(void *ctx, int opt, const char *arg, struct perr *e);
	void *ctx;
};

/*
 * Parse argv into a (whose defaults the caller has set). Returns 0, or
 * the exit status of a usage error with *e saying what was wrong.
 */
int run_args_parse(struct run_args *a, const struct run_args_spec *spec,
		   int argc, char **argv, struct perr *e);

/*
 * A whole number from lo to hi: 0, or POPEK_EXIT_USAGE with *e naming cmd
 * and the option.
 */
int run_args_uint(const char *cmd, const char *opt, const char *arg,
		  unsigned lo, unsigned hi, unsigned *out, struct perr *e);

/* What run_args_parse and run_args_load_targets allocated. */
void run_args_free(struct run_args *a);

/*
 * The targets along the search path (--targets, $POPEK_TARGETS, the
 * built-in directory), and the files -t names by path.
 */
int run_args_load_targets(struct run_args *a, struct target_list *tl,
			  struct perr *e);

/*
 * The targets -t names, each once, in the order given, and for each
 * why it cannot run here (NULL when it can). The arrays grow from what
 * *targets, *why and *n hold. Applies the --target-set values.
 */
int run_args_targets(const struct run_args *a, const char *cmd,
		     struct target_list *tl, struct target ***targets,
		     char ***why, size_t *n, struct perr *e);

/*
 * Every filter must select an image: a misspelt one among others would
 * narrow the run silently. 0, or POPEK_EXIT_NO_MATCH with *e naming cmd,
 * the first filter that matches no image name or check id, and dir.
 */
int run_args_filters_match(const char *cmd, const struct image_list *il,
			   char **filters, int nfilters, const char *dir,
			   struct perr *e);

#endif
