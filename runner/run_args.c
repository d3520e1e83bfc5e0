/*
 * The arguments `popek run` and `popek bench` share, and the targets
 * their -t names.
 */
#include "run_args.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static const struct option shared_opts[] = {
	{"target", required_argument, NULL, 't'},
	{"jobs", required_argument, NULL, 'j'},
	{"timeout", required_argument, NULL, 'o'},
	{"json", required_argument, NULL, 'J'},
	{"images", required_argument, NULL, 'I'},
	{"targets", required_argument, NULL, 'T'},
	{"quiet", no_argument, NULL, 'q'},
};

#define NSHARED (sizeof(shared_opts) / sizeof(shared_opts[0]))

int run_args_uint(const char *cmd, const char *opt, const char *arg,
		  unsigned lo, unsigned hi, unsigned *out, struct perr *e)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || *end || !*arg || *arg == '-' || v < lo || v > hi) {
		perr_set(e, "%s: bad %s '%s' (a whole number from %u to %u)",
			 cmd, opt, arg, lo, hi);
		return POPEK_EXIT_USAGE;
	}
	*out = (unsigned)v;
	return 0;
}

/* The shared options, then the command's own, in one getopt table. */
static struct option *all_opts(const struct run_args_spec *spec)
{
	size_t n = 0;
	struct option *v;

	while (spec->opts[n].name)
		n++;
	v = xcalloc(NSHARED + n + 1, sizeof(*v));
	memcpy(v, shared_opts, sizeof(shared_opts));
	memcpy(v + NSHARED, spec->opts, n * sizeof(*v));
	return v;
}

/* One of the shared options: 0 or a usage status; -1 when not one. */
static int take_shared(struct run_args *a, const struct run_args_spec *spec,
		       int c, struct perr *e)
{
	switch (c) {
	case 't':
		a->targets = optarg;
		return 0;
	case 'j':
		return run_args_uint(spec->cmd, "-j", optarg, 1, spec->max_jobs,
				     &a->jobs, e);
	case 'o':
		return run_args_uint(spec->cmd, "--timeout", optarg, 1, 86400,
				     &a->timeout, e);
	case 'J':
		a->json = optarg;
		return 0;
	case 'I':
		a->images = optarg;
		return 0;
	case 'T':
		a->targets_dir = optarg;
		return 0;
	case 'q':
		a->quiet = true;
		return 0;
	}
	return -1;
}

int run_args_parse(struct run_args *a, const struct run_args_spec *spec,
		   int argc, char **argv, struct perr *e)
{
	struct option *opts = all_opts(spec);
	int c, ret = 0;

	opterr = 0;
	while (!ret &&
	       (c = getopt_long(argc, argv, ":t:j:q", opts, NULL)) != -1) {
		if (c == ':' || c == '?')
			ret = usage_error(e, spec->cmd, c, optopt,
					  argv[optind - 1]);
		else if ((ret = take_shared(a, spec, c, e)) < 0)
			ret = spec->take(spec->ctx, c, optarg, e);
	}
	free(opts);
	if (ret)
		return ret;
	if (!a->targets) {
		perr_set(e,
			 "%s: no target given (use -t TARGET[,TARGET...];"
			 " 'popek targets' lists them)",
			 spec->cmd);
		return POPEK_EXIT_USAGE;
	}
	a->filters = argv + optind;
	a->nfilters = argc - optind;
	return 0;
}

int run_args_targets(const struct run_args *a, const char *cmd,
		     struct target_list *tl, struct target ***targets,
		     char ***why, size_t *n, struct perr *e)
{
	char *copy = xstrdup(a->targets), *tok, *save = NULL;
	struct target *t;
	size_t i;
	int ret = 0;

	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		t = target_list_find(tl, tok);
		if (!t) {
			ret = perr_set(e,
				       "%s: unknown target '%s' ('popek "
				       "targets' lists them)",
				       cmd, tok);
			break;
		}
		for (i = 0; i < *n && (*targets)[i] != t; i++)
			;
		if (i < *n)
			continue;
		*targets = xrealloc(*targets, (*n + 1) * sizeof(**targets));
		*why = xrealloc(*why, (*n + 1) * sizeof(**why));
		(*targets)[*n] = t;
		target_usable(t, &(*why)[*n]);
		(*n)++;
	}
	if (!ret && !*n)
		ret = perr_set(e, "%s: no target given in '%s'", cmd,
			       a->targets);
	free(copy);
	return ret;
}

int run_args_filters_match(const char *cmd, const struct image_list *il,
			   char **filters, int nfilters, const char *dir,
			   struct perr *e)
{
	size_t j;
	int i;

	for (i = 0; i < nfilters; i++) {
		for (j = 0; j < il->n; j++)
			if (image_matches(&il->v[j], &filters[i], 1))
				break;
		if (j == il->n && il->n) {
			perr_set(e,
				 "%s: filter '%s' matches no image name or "
				 "check id in %s",
				 cmd, filters[i], dir);
			return POPEK_EXIT_NO_MATCH;
		}
	}
	return 0;
}
