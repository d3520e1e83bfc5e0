/*
 * Splitting an ISO run's serial stream (docs/iso.md "Serial grammar") and
 * classifying each image from its part.
 */
#include "iso_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seq_line.h"

/* "popek-seq: image NAME (i/n)": NAME, allocated, or NULL. */
static char *image_marker(const char *line)
{
	const char *p = line + strlen(SEQ_PREFIX "image ");
	size_t n;

	if (strncmp(line, SEQ_PREFIX "image ", strlen(SEQ_PREFIX "image ")))
		return NULL;
	n = strcspn(p, " \r");
	return n ? xstrndup(p, n) : NULL;
}

static void parse_line(struct seq_run *r, char *line, struct seq_part **cur)
{
	char vendor[64], *name;
	int f, m, code;

	if (seq_line_start(line)) {
		if (r->started) {
			r->reset = true;
			r->ended = true;
			return;
		}
		r->started = true;
		return;
	}
	if (!r->started)
		return; /* BIOS and GRUB */
	if (seq_line_end(line, &code)) {
		r->ended = true;
		r->end_code = code;
		*cur = NULL;
		return;
	}
	if (sscanf(line, SEQ_PREFIX "cpu %63s %d %d", vendor, &f, &m) == 3) {
		free(r->vendor);
		r->vendor = xstrdup(vendor);
		r->family = f;
		r->model = m;
		r->has_cpu = true;
		return;
	}
	if (!strncmp(line, SEQ_PREFIX "plan ", strlen(SEQ_PREFIX "plan "))) {
		const char *p = line + strlen(SEQ_PREFIX "plan ");
		size_t n = strcspn(p, " \r");

		if (n) {
			VEC_GROW(r->plan, r->nplan, r->plan_cap);
			r->plan[r->nplan++] = xstrndup(p, n);
		}
		return;
	}
	name = image_marker(line);
	if (name) {
		VEC_GROW(r->parts, r->n, r->cap);
		*cur = &r->parts[r->n++];
		memset(*cur, 0, sizeof(**cur));
		(*cur)->name = name;
		tap_report_init(&(*cur)->tap);
		(*cur)->state = SEQ_CUT;
		return;
	}
	if (!*cur)
		return;
	if (!strncmp(line, SEQ_PREFIX "done ", strlen(SEQ_PREFIX "done "))) {
		tap_finish(&(*cur)->tap);
		(*cur)->state = SEQ_DONE;
		*cur = NULL;
		return;
	}
	tap_feed(&(*cur)->tap, line, strlen(line));
	tap_feed(&(*cur)->tap, "\n", 1);
}

void seq_run_parse(const char *log, size_t len, struct seq_run *out)
{
	struct seq_part *cur = NULL;
	const char *p = log, *end = log + len, *nl;
	char *line;

	memset(out, 0, sizeof(*out));
	out->end_code = -1;
	while (p < end && !out->ended) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		line = xstrndup(p, (size_t)(nl - p));
		parse_line(out, line, &cur);
		free(line);
		p = nl + 1;
	}
	if (cur)
		tap_finish(&cur->tap);
}

void seq_run_free(struct seq_run *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->parts[i].name);
		tap_report_free(&r->parts[i].tap);
	}
	free(r->parts);
	for (i = 0; i < r->nplan; i++)
		free(r->plan[i]);
	free(r->plan);
	free(r->vendor);
	memset(r, 0, sizeof(*r));
}

const struct seq_part *seq_run_find(const struct seq_run *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->parts[i].name, name))
			return &r->parts[i];
	return NULL;
}

void seq_classify(const struct image *img, const struct seq_run *sr,
		  const struct run_end *job_end, const struct target *t,
		  const struct hostinfo *h, struct image_result *out)
{
	const struct seq_part *part = seq_run_find(sr, img->name);
	struct run_end end = {0};
	struct tap_report empty;
	char *why = NULL, *run_why;

	if (part && part->state == SEQ_DONE) {
		/* The sequencer got the CPU back: the image ended properly
		 * as far as the machine goes; its own lines say the rest. */
		end.exited = true;
		classify_image(img, &part->tap, &end, t, h, out);
		return;
	}
	end = *job_end;
	if (sr->reset)
		end.reason = "the machine reset (a triple fault?): the "
			     "sequencer started again";
	else if (sr->ended)
		end.reason = "the sequencer ended the run without it";
	if (part) {
		classify_image(img, &part->tap, &end, t, h, out);
		return;
	}
	/* Never reached: say why the run stopped before it. */
	tap_report_init(&empty);
	empty.exit_seen = false;
	run_why = run_end_reason(&empty, &end);
	why = xasprintf("not reached: the ISO run ended before this image (%s)",
			run_why);
	end.reason = why;
	classify_image(img, &empty, &end, t, h, out);
	tap_report_free(&empty);
	free(run_why);
	free(why);
}
