/*
 * popek ingest: results from the serial capture of an ISO run on a
 * machine popek cannot drive (a spare PC, a hypervisor with only a
 * serial log). The capture is split and classified exactly as `popek run`
 * does for an ISO target, and written as the same results JSON; its host
 * class is VENDOR-FAMILY-MODEL/native from the sequencer's cpu line.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify.h"
#include "cmd.h"
#include "elf_image.h"
#include "iso_stream.h"
#include "results.h"
#include "results_json.h"
#include "summary.h"
#include "target.h"

#define INGEST_DEFAULT_TARGET "native"

struct ingest_opts {
	const char *capture, *json, *target, *host_class, *images, *targets_dir;
};

static int parse_opts(struct ingest_opts *o, int argc, char **argv,
		      struct perr *e)
{
	static const struct option opts[] = {
		{"json", required_argument, NULL, 'J'},
		{"target", required_argument, NULL, 't'},
		{"host-class", required_argument, NULL, 'H'},
		{"images", required_argument, NULL, 'I'},
		{"targets", required_argument, NULL, 'T'},
		{NULL, 0, NULL, 0},
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:", opts, NULL)) != -1) {
		switch (c) {
		case 'J':
			o->json = optarg;
			break;
		case 't':
			o->target = optarg;
			break;
		case 'H':
			o->host_class = optarg;
			break;
		case 'I':
			o->images = optarg;
			break;
		case 'T':
			o->targets_dir = optarg;
			break;
		default:
			return usage_error(e, "ingest", c, optopt,
					   argv[optind - 1]);
		}
	}
	if (argc - optind != 1) {
		perr_set(e, "ingest: give exactly one capture file");
		return POPEK_EXIT_USAGE;
	}
	if (!o->json) {
		perr_set(e, "ingest: no output given (use --json F)");
		return POPEK_EXIT_USAGE;
	}
	o->capture = argv[optind];
	return 0;
}

static struct image *find_image(struct image_list *il, const char *name)
{
	size_t i;

	for (i = 0; i < il->n; i++)
		if (!strcmp(il->v[i].name, name))
			return &il->v[i];
	return NULL;
}

/* Every image the capture owes: the plan, else the images it began. */
static int ingest_images(const struct seq_run *sr, struct results *res,
			 struct image_list *il, const struct target *t,
			 const struct hostinfo *h, const char *hc,
			 const char *capture, struct perr *e)
{
	struct run_end end = {
		.reason = "the capture ends before this image's 'popek: exit'",
	};
	size_t n = sr->nplan ? sr->nplan : sr->n, i, k;

	for (i = 0; i < n; i++) {
		const char *name = sr->nplan ? sr->plan[i] : sr->parts[i].name;
		struct image *img = find_image(il, name);
		struct image_result ir;
		struct res_image *im;

		if (!img)
			return perr_set(e,
					"ingest: %s ran image %s, which is not "
					"among the images (give --images DIR)",
					capture, name);
		seq_classify(img, sr, &end, t, h, &ir);
		im = results_add_image(res, t->name, hc, img->name);
		im->width = img->width;
		im->ok = ir.ok;
		free(im->reason);
		im->reason = xstrdup(ir.reason ? ir.reason : "");
		im->exit_code = ir.exit_code;
		free(im->command);
		im->command = xasprintf("popek ingest %s", capture);
		for (k = 0; k < ir.nchecks; k++)
			results_add_check(res, t->name, hc, img->name,
					  ir.checks[k].id, ir.checks[k].cls,
					  ir.checks[k].reason,
					  ir.checks[k].description);
		image_result_free(&ir);
	}
	return 0;
}

int cmd_ingest(int argc, char **argv, struct perr *e)
{
	struct ingest_opts o = {.target = INGEST_DEFAULT_TARGET};
	struct target_list tl = {0};
	struct image_list il = {0};
	struct target empty = {0}, *t;
	struct results res;
	struct seq_run sr;
	struct hostinfo h;
	struct summary sum;
	const char *dir;
	bool explicit_dir;
	char *text, started[32];
	size_t len;
	time_t now = time(NULL);
	int ret;

	ret = parse_opts(&o, argc, argv, e);
	if (ret)
		return ret;
	text = read_whole_file(o.capture, &len, e);
	if (!text)
		return POPEK_EXIT_UNEXPECTED;
	seq_run_parse(text, len, &sr);
	free(text);
	results_init(&res);
	if (!sr.started) {
		perr_set(e,
			 "ingest: %s has no 'popek-seq: start' line (not the "
			 "serial capture of a popek ISO run)",
			 o.capture);
		ret = POPEK_EXIT_UNEXPECTED;
		goto out_sr;
	}
	{
		char *dirs[1] = {(char *)o.targets_dir};
		struct target_path sp;

		targets_path(&sp, dirs, o.targets_dir ? 1 : 0);
		ret = target_list_load_path(&sp, &tl, e);
		target_path_free(&sp);
		if (ret < 0) {
			ret = POPEK_EXIT_NOTHING_RAN;
			goto out_sr;
		}
	}
	/* A target file gives its known infidelities; any other name (the
	 * default, native) has none. */
	t = target_list_find(&tl, o.target);
	if (!t) {
		empty.name = (char *)o.target;
		t = &empty;
	}
	dir = images_dir(o.images, &explicit_dir);
	if (image_list_load(dir, explicit_dir, &il, e) < 0) {
		ret = POPEK_EXIT_NOTHING_RAN;
		goto out_tl;
	}
	hostinfo_set(&h, sr.has_cpu ? sr.vendor : "unknown", "",
		     sr.has_cpu ? sr.family : 0, sr.has_cpu ? sr.model : 0, "",
		     "native");
	if (o.host_class) {
		free(h.host_class);
		h.host_class = xstrdup(o.host_class);
	}
	free(h.hostname);
	h.hostname = xstrdup("unknown");
	res.has_host = true;
	res.host = h;
	strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	res.started = xstrdup(started);
	res.shard = xstrdup("1/1");
	results_add_target(&res, t->name, h.host_class, true, NULL,
			   "popek ingest (serial capture of an ISO run)");
	if (ingest_images(&sr, &res, &il, t, &h, h.host_class, o.capture, e) <
	    0) {
		ret = POPEK_EXIT_UNEXPECTED;
	} else if (results_json_write(&res, o.json, e) < 0) {
		ret = POPEK_EXIT_UNEXPECTED;
	} else {
		summary_compute(&res, &sum);
		summary_print(stdout, &sum);
		summary_free(&sum);
		ret = results_unexpected(&res) ? POPEK_EXIT_UNEXPECTED
					       : POPEK_EXIT_OK;
	}
	image_list_free(&il);
out_tl:
	target_list_free(&tl);
out_sr:
	seq_run_free(&sr);
	results_free(&res);
	return ret;
}
