/*
 * popek iso: the selected images on one bootable ISO (docs/iso.md), for
 * a spare PC from a USB stick or any hypervisor that boots an ISO. Its
 * serial capture goes back through `popek ingest`.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "elf_image.h"
#include "iso.h"
#include "outpath.h"
#include "run_args.h"

#define DEFAULT_GRUB_TIMEOUT 5

int cmd_iso(int argc, char **argv, struct perr *e)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"images", required_argument, NULL, 'I'},
		{"grub-timeout", required_argument, NULL, 'G'},
		{NULL, 0, NULL, 0},
	};
	const char *out = NULL, *images_opt = NULL, *dir;
	unsigned grub_timeout = DEFAULT_GRUB_TIMEOUT;
	struct image_list il = {0};
	struct image **sel;
	bool explicit_dir;
	unsigned long v;
	size_t i, n = 0;
	char *end;
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'I':
			images_opt = optarg;
			break;
		case 'G':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || v > 3600) {
				perr_set(e,
					 "iso: bad --grub-timeout '%s' (seconds"
					 ", 0 to 3600)",
					 optarg);
				return POPEK_EXIT_USAGE;
			}
			grub_timeout = (unsigned)v;
			break;
		default:
			return usage_error(e, "iso", c, optopt,
					   argv[optind - 1]);
		}
	}
	if (!out) {
		perr_set(e, "iso: no output file given (use -o FILE.iso)");
		return POPEK_EXIT_USAGE;
	}
	if (outpath_check("iso", "-o", out, e) < 0)
		return POPEK_EXIT_USAGE;
	dir = images_dir(images_opt, &explicit_dir);
	if (image_list_load(dir, explicit_dir, &il, e) < 0)
		return POPEK_EXIT_NOTHING_RAN;
	ret = run_args_filters_match("iso", &il, argv + optind, argc - optind,
				     dir, e);
	if (ret) {
		image_list_free(&il);
		return ret;
	}
	sel = xcalloc(il.n ? il.n : 1, sizeof(*sel));
	for (i = 0; i < il.n; i++)
		if (image_matches(&il.v[i], argv + optind, argc - optind))
			sel[n++] = &il.v[i];
	if (!n) {
		perr_set(e, "iso: no image in %s matches the filters", dir);
		ret = POPEK_EXIT_NOTHING_RAN;
	} else if (iso_build(out, sel, n, grub_timeout, e) < 0) {
		ret = POPEK_EXIT_UNEXPECTED;
	} else {
		printf("%s: %zu images\n", out, n);
		ret = POPEK_EXIT_OK;
	}
	free(sel);
	image_list_free(&il);
	return ret;
}
