/*
 * popek list: images and their declared checks. --catalogue prints the
 * sorted union docs/catalogue.tsv is generated from, and refuses ids
 * claimed by two images (ids are unique suite-wide).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "elf_image.h"
#include "run_args.h"

struct entry {
	const char *id, *image, *description;
};

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->id,
		      ((const struct entry *)b)->id);
}

static int print_catalogue(struct image **sel, size_t n, struct perr *e)
{
	struct entry *v = NULL;
	size_t i, j, cnt = 0, cap = 0;
	int ret = POPEK_EXIT_OK;

	for (i = 0; i < n; i++)
		for (j = 0; j < sel[i]->nchecks; j++) {
			VEC_GROW(v, cnt, cap);
			v[cnt].id = sel[i]->checks[j].id;
			v[cnt].image = sel[i]->name;
			v[cnt].description = sel[i]->checks[j].description;
			cnt++;
		}
	if (cnt)
		qsort(v, cnt, sizeof(*v), entry_cmp);
	for (i = 1; i < cnt; i++)
		if (strcmp(v[i].id, v[i - 1].id) == 0) {
			perr_set(e,
				 "check %s is declared by two images: %s "
				 "and %s",
				 v[i].id, v[i - 1].image, v[i].image);
			ret = POPEK_EXIT_UNEXPECTED;
			goto out;
		}
	for (i = 0; i < cnt; i++)
		printf("%s\t%s\t%s\n", v[i].id, v[i].image, v[i].description);
out:
	free(v);
	return ret;
}

int cmd_list(int argc, char **argv, struct perr *e)
{
	static const struct option opts[] = {
		{"images", required_argument, NULL, 'I'},
		{"catalogue", no_argument, NULL, 'C'},
		{NULL, 0, NULL, 0},
	};
	const char *dir_opt = NULL, *dir;
	struct image_list list;
	struct image **sel;
	bool catalogue = false, explicit_dir;
	size_t i, j, n = 0;
	int c, ret = POPEK_EXIT_OK;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == 'I')
			dir_opt = optarg;
		else if (c == 'C')
			catalogue = true;
		else
			return usage_error(e, "list", c, optopt,
					   argv[optind - 1]);
	}
	dir = images_dir(dir_opt, &explicit_dir);
	if (image_list_load(dir, explicit_dir, &list, e) < 0)
		return POPEK_EXIT_UNEXPECTED;
	ret = run_args_filters_match("list", &list, argv + optind,
				     argc - optind, dir, e);
	if (ret) {
		image_list_free(&list);
		return ret;
	}
	sel = xcalloc(list.n, sizeof(*sel));
	for (i = 0; i < list.n; i++)
		if (image_matches(&list.v[i], argv + optind, argc - optind))
			sel[n++] = &list.v[i];
	if (n == 0) {
		if (optind < argc)
			perr_set(e, "no image in %s matches the filters", dir);
		else
			perr_set(e, "no images in %s (build them first)", dir);
		ret = POPEK_EXIT_UNEXPECTED;
	} else if (catalogue) {
		ret = print_catalogue(sel, n, e);
	} else {
		for (i = 0; i < n; i++) {
			printf("%s (%u-bit, %zu checks)\n", sel[i]->name,
			       sel[i]->width, sel[i]->nchecks);
			for (j = 0; j < sel[i]->nchecks; j++)
				printf("  %s  %s\n", sel[i]->checks[j].id,
				       sel[i]->checks[j].description);
		}
	}
	free(sel);
	image_list_free(&list);
	return ret;
}
