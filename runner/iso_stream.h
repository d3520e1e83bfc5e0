/*
 * The serial stream of an ISO run (docs/iso.md): GRUB's output, then the
 * sequencer's marker lines around each image's own TAP report. Splitting
 * it gives one TAP report per image, classified exactly as a -kernel run
 * of that image would be.
 */
#ifndef POPEK_RUNNER_ISO_STREAM_H
#define POPEK_RUNNER_ISO_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "classify.h"
#include "tap.h"

enum seq_state {
	SEQ_CUT,  /* began, and the run ended (or reset) before it was done */
	SEQ_DONE, /* "popek-seq: done NAME exit N" */
};

struct seq_part {
	char *name;
	struct tap_report tap;
	enum seq_state state;
};

struct seq_run {
	struct seq_part *parts;
	size_t n, cap;
	char **plan; /* "popek-seq: plan NAME": every image on the ISO */
	size_t nplan, plan_cap;
	bool started, ended, reset;
	int end_code;
	bool has_cpu;
	char *vendor;
	int family, model;
};

/* Split a whole stream (every line of it) into per-image reports. Only
 * the first boot counts: a second start line means the machine reset. */
void seq_run_parse(const char *log, size_t len, struct seq_run *out);
void seq_run_free(struct seq_run *r);
const struct seq_part *seq_run_find(const struct seq_run *r, const char *name);

/*
 * One image's result from a split stream. job_end says how the whole run
 * ended; it applies to the image the run was in when it ended, and an
 * image never reached gets every check as an error saying so.
 */
void seq_classify(const struct image *img, const struct seq_run *sr,
		  const struct run_end *job_end, const struct target *t,
		  const struct hostinfo *h, struct image_result *out);

#endif
