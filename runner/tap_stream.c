/*
 * One TAP line per check per target, ids prefixed "target:". TAP consumers
 * know only ok / not ok / SKIP / TODO, so xfail is a TODO (not ok, but
 * expected), xpass a plain "not ok" (unexpected), and either a TODO whose
 * ok / not ok says whether the check passed (expected both ways). Each
 * image then gets a line "target:IMAGE:boot": not ok when it did not end
 * properly, a TODO when that was expected (xerror).
 */
#include "tap_stream.h"

#include <string.h>

/* Reasons come from the guest: keep them on one line and free of '#'. */
static void put_reason(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s == '\n' || *s == '\r' || *s == '#' ? ' ' : *s, f);
}

void tap_stream_write(FILE *f, const struct results *r)
{
	size_t i;

	fputs("TAP version 13\n", f);
	for (i = 0; i < r->ntargets; i++)
		if (!r->targets[i].available) {
			fprintf(f, "# %s unavailable: ", r->targets[i].name);
			put_reason(f, r->targets[i].reason);
			fputc('\n', f);
		}
	for (i = 0; i < r->nchecks; i++) {
		const struct res_check *c = &r->checks[i];
		size_t n = i + 1;

		switch (c->cls) {
		case CLS_PASS:
			fprintf(f, "ok %zu - %s:%s\n", n, c->target, c->id);
			continue;
		case CLS_SKIP:
			fprintf(f, "ok %zu - %s:%s # SKIP ", n, c->target,
				c->id);
			break;
		case CLS_XFAIL:
			fprintf(f, "not ok %zu - %s:%s # TODO xfail: ", n,
				c->target, c->id);
			break;
		case CLS_XPASS:
			fprintf(f, "not ok %zu - %s:%s # xpass: ", n, c->target,
				c->id);
			break;
		case CLS_EITHER:
			fprintf(f, "%sok %zu - %s:%s # TODO either: ",
				str_starts(c->reason, "passed") ? "" : "not ",
				n, c->target, c->id);
			break;
		case CLS_ERROR:
			fprintf(f, "not ok %zu - %s:%s # error: ", n, c->target,
				c->id);
			break;
		case CLS_FAIL:
		default:
			fprintf(f, "not ok %zu - %s:%s # ", n, c->target,
				c->id);
			break;
		}
		put_reason(f, c->reason);
		fputc('\n', f);
	}
	/* The images last: a run whose checks all passed can still have an
	 * image that died, and the stream must fail then as the run does. */
	for (i = 0; i < r->nimages; i++) {
		const struct res_image *im = &r->images[i];
		size_t n = r->nchecks + i + 1;

		if (!im->ok)
			fprintf(f, "not ok %zu - %s:%s:boot # error: ", n,
				im->target, im->image);
		else if (*im->reason)
			fprintf(f, "not ok %zu - %s:%s:boot # TODO xerror: ", n,
				im->target, im->image);
		else
			fprintf(f, "ok %zu - %s:%s:boot", n, im->target,
				im->image);
		put_reason(f, im->reason);
		fputc('\n', f);
	}
	fprintf(f, "1..%zu\n", r->nchecks + r->nimages);
}
