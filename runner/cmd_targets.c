/* popek targets: which hypervisors exist and which can run here. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "target.h"

int cmd_targets(int argc, char **argv, struct perr *e)
{
	static const struct option opts[] = {
		{"targets", required_argument, NULL, 'T'},
		{NULL, 0, NULL, 0},
	};
	const char *dir_opt = NULL;
	struct target_list list;
	int c, w = 4;
	size_t i;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == 'T')
			dir_opt = optarg;
		else
			return usage_error(e, "targets", c, optopt,
					   argv[optind - 1]);
	}
	if (optind < argc) {
		perr_set(e, "targets: unexpected argument '%s'", argv[optind]);
		return POPEK_EXIT_USAGE;
	}
	if (target_list_load(targets_dir(dir_opt), &list, e) < 0)
		return POPEK_EXIT_UNEXPECTED;
	for (i = 0; i < list.n; i++)
		if ((int)strlen(list.v[i].name) > w)
			w = (int)strlen(list.v[i].name);
	for (i = 0; i < list.n; i++) {
		char *why;

		if (target_usable(&list.v[i], &why))
			printf("%-*s  usable    %s\n", w, list.v[i].name,
			       list.v[i].description);
		else
			printf("%-*s  unusable  %s (%s)\n", w, list.v[i].name,
			       list.v[i].description, why);
		free(why);
	}
	target_list_free(&list);
	return POPEK_EXIT_OK;
}
