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
	{"target-set", required_argument, NULL, 's' | 0x100},
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

static void append(char ***v, size_t *n, char *s)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = s;
}

/* One of the shared options: 0 or a usage status; -1 when not one. */
static int take_shared(struct run_args *a, const struct run_args_spec *spec,
		       int c, struct perr *e)
{
	switch (c) {
	case 't':
		if (!a->targets)
			a->targets = optarg;
		append(&a->tlist, &a->ntlist, optarg);
		return 0;
	case 's' | 0x100:
		if (!strchr(optarg, '=') || *optarg == '=') {
			perr_set(e,
				 "%s: bad --target-set '%s' (expected "
				 "[TARGET:]KEY=VALUE)",
				 spec->cmd, optarg);
			return POPEK_EXIT_USAGE;
		}
		append(&a->sets, &a->nsets, optarg);
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
		append(&a->targets_dirs, &a->ntargets_dirs, optarg);
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
	if (ret) {
		run_args_free(a);
		return ret;
	}
	if (!a->targets) {
		perr_set(e,
			 "%s: no target given (use -t TARGET[,TARGET...];"
			 " 'popek targets' lists them)",
			 spec->cmd);
		run_args_free(a);
		return POPEK_EXIT_USAGE;
	}
	a->filters = argv + optind;
	a->nfilters = argc - optind;
	return 0;
}

void run_args_free(struct run_args *a)
{
	free(a->tlist);
	free(a->targets_dirs);
	free(a->sets);
	target_path_free(&a->path);
	a->tlist = a->targets_dirs = a->sets = NULL;
	a->ntlist = a->ntargets_dirs = a->nsets = 0;
}

/* Each comma-separated word of every -t, in the order given. */
static char **target_words(const struct run_args *a, size_t *n)
{
	char **v = NULL, *copy, *tok, *save;
	size_t i;

	*n = 0;
	for (i = 0; i < a->ntlist; i++) {
		copy = xstrdup(a->tlist[i]);
		save = NULL;
		for (tok = strtok_r(copy, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save))
			append(&v, n, xstrdup(tok));
		free(copy);
	}
	return v;
}

static void words_free(char **v, size_t n)
{
	while (n)
		free(v[--n]);
	free(v);
}

int run_args_load_targets(struct run_args *a, struct target_list *tl,
			  struct perr *e)
{
	size_t i, n, at;
	char **words;
	int ret = 0;

	targets_path(&a->path, a->targets_dirs, a->ntargets_dirs);
	if (target_list_load_path(&a->path, tl, e) < 0)
		return -1;
	words = target_words(a, &n);
	for (i = 0; i < n && !ret; i++)
		if (target_arg_is_file(words[i]))
			ret = target_list_add_file(tl, words[i], &a->path, &at,
						   e);
	words_free(words, n);
	return ret;
}

/* The target a -t word names: by name, or the file loaded from its path. */
static struct target *find_word(struct target_list *tl, const char *word)
{
	size_t i;

	if (!target_arg_is_file(word))
		return target_list_find(tl, word);
	for (i = 0; i < tl->n; i++)
		if (tl->v[i].from_file && !strcmp(tl->v[i].path, word))
			return &tl->v[i];
	return NULL;
}

/*
 * --target-set [TARGET:]KEY=VALUE on the targets of the run: with TARGET,
 * on that one; without, on every one that has KEY (a param only some of
 * them declare), and a KEY none of them has is an error, not a no-op.
 */
static int apply_sets(const struct run_args *a, const char *cmd,
		      struct target **targets, size_t n, struct perr *e)
{
	size_t i, k, applied;
	char *key, *value, *colon, *name;
	int r, ret = 0;

	for (i = 0; i < a->nsets && !ret; i++) {
		key = xstrdup(a->sets[i]);
		value = strchr(key, '=');
		*value++ = '\0';
		colon = strchr(key, ':');
		name = NULL;
		if (colon) {
			*colon = '\0';
			name = key;
		}
		applied = 0;
		for (k = 0; k < n && !ret; k++) {
			if (name && strcmp(targets[k]->name, name))
				continue;
			r = target_set(targets[k], colon ? colon + 1 : key,
				       value, e);
			if (r < 0 || (r > 0 && name)) {
				struct perr inner = *e;

				ret = perr_set(e, "%s: %s", cmd, inner.msg);
			} else if (r == 0)
				applied++;
		}
		if (!ret && !applied)
			ret = name ? perr_set(e,
					      "%s: --target-set %s: target "
					      "%s is not in this run",
					      cmd, a->sets[i], name)
				   : perr_set(e,
					      "%s: --target-set %s: no target "
					      "of this run has a param '%s'",
					      cmd, a->sets[i], key);
		free(key);
	}
	return ret;
}

int run_args_targets(const struct run_args *a, const char *cmd,
		     struct target_list *tl, struct target ***targets,
		     char ***why, size_t *n, struct perr *e)
{
	struct target *t;
	size_t i, k, nwords;
	char **words = target_words(a, &nwords);
	int ret = 0;

	for (k = 0; k < nwords; k++) {
		t = find_word(tl, words[k]);
		if (!t) {
			ret = perr_set(e,
				       "%s: unknown target '%s' ('popek "
				       "targets' lists them; a target file is "
				       "named by a path ending in .conf)",
				       cmd, words[k]);
			break;
		}
		for (i = 0; i < *n && (*targets)[i] != t; i++)
			;
		if (i < *n)
			continue;
		*targets = xrealloc(*targets, (*n + 1) * sizeof(**targets));
		*why = xrealloc(*why, (*n + 1) * sizeof(**why));
		(*targets)[*n] = t;
		(*why)[*n] = NULL;
		(*n)++;
	}
	if (!ret && !*n)
		ret = perr_set(e, "%s: no target given in '%s'", cmd,
			       a->targets);
	if (!ret)
		ret = apply_sets(a, cmd, *targets, *n, e);
	/* after the sets: a param may name the binary a requires checks */
	for (i = 0; !ret && i < *n; i++)
		target_usable((*targets)[i], &(*why)[i]);
	words_free(words, nwords);
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
