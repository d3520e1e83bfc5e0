/* popek targets: which hypervisors exist and which can run here. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "target.h"

static bool from_builtin(const struct target *t)
{
	const char *dir = builtin_targets_dir();
	size_t n = strlen(dir);

	return !strncmp(t->path, dir, n) && t->path[n] == '/' &&
	       !strchr(t->path + n + 1, '/');
}

int cmd_targets(int argc, char **argv, struct perr *e)
{
	static const struct option opts[] = {
		{"targets", required_argument, NULL, 'T'},
		{NULL, 0, NULL, 0},
	};
	char **dirs = NULL;
	size_t ndirs = 0;
	struct target_path sp;
	struct target_list list;
	int c, w = 4;
	size_t i;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == 'T') {
			dirs = xrealloc(dirs, (ndirs + 1) * sizeof(*dirs));
			dirs[ndirs++] = optarg;
		} else {
			free(dirs);
			return usage_error(e, "targets", c, optopt,
					   argv[optind - 1]);
		}
	}
	if (optind < argc) {
		free(dirs);
		perr_set(e, "targets: unexpected argument '%s'", argv[optind]);
		return POPEK_EXIT_USAGE;
	}
	targets_path(&sp, dirs, ndirs);
	free(dirs);
	c = target_list_load_path(&sp, &list, e);
	target_path_free(&sp);
	if (c < 0)
		return POPEK_EXIT_UNEXPECTED;
	for (i = 0; i < list.n; i++)
		if ((int)strlen(list.v[i].name) > w)
			w = (int)strlen(list.v[i].name);
	for (i = 0; i < list.n; i++) {
		const struct target *t = &list.v[i];
		char *why;

		if (target_usable(t, &why))
			printf("%-*s  usable    %s", w, t->name,
			       t->description);
		else
			printf("%-*s  unusable  %s (%s)", w, t->name,
			       t->description, why);
		/* a file from the search path: say which, since it may hide
		 * a built-in target of the same name */
		if (!from_builtin(t))
			printf(" [%s]", t->path);
		putchar('\n');
		free(why);
	}
	target_list_free(&list);
	return POPEK_EXIT_OK;
}
