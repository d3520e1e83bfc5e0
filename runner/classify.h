/*
 * Turning what an image said (and how its run ended) into one result per
 * check, exactly as the table in docs/protocol.md says.
 */
#ifndef POPEK_RUNNER_CLASSIFY_H
#define POPEK_RUNNER_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "elf_image.h"
#include "hostinfo.h"
#include "tap.h"
#include "target.h"

enum check_class {
	CLS_PASS,
	CLS_FAIL,
	CLS_XFAIL,
	CLS_XPASS,
	CLS_SKIP,
	CLS_ERROR,
	/* an either line: the check may pass or fail on this host class;
	 * the reason starts with "passed" or "failed" */
	CLS_EITHER,
	CLS_COUNT
};

const char *class_name(enum check_class c);
/* -1 if name is not a class name. */
int class_from_name(const char *name);
/* fail, xpass and error make a run fail (either never does). */
bool class_unexpected(enum check_class c);

/* How the target's process ended, as seen by the job runner. */
struct run_end {
	bool timed_out;
	unsigned timeout;
	bool flooded;
	size_t output_limit;
	bool exited; /* reaped; wait_status is valid */
	int wait_status;
	const char *last_stderr; /* last non-empty stderr line, or NULL */
	const char *fatal_line;	 /* a fatal_stderr match, or NULL */
	/* why the run ended badly when none of the above says it (an ISO
	 * run: the machine reset, the image was never reached), or NULL */
	const char *reason;
};

struct check_result {
	char *id;
	enum check_class cls;
	char *reason; /* never NULL; "" for a plain pass */
	const char *description;
	/* xfail/xpass/either: the target's rule; owned by the target */
	const struct xfail_rule *rule;
};

struct image_result {
	struct check_result *checks;
	size_t nchecks, cap;
	bool ok;       /* the image itself ran to its end properly */
	char *reason;  /* why not, when !ok */
	int exit_code; /* from `popek: exit N`, -1 if never seen */
};

/* Why the run ended badly, or NULL when it printed its exit line. */
char *run_end_reason(const struct tap_report *rep, const struct run_end *end);

void classify_image(const struct image *img, const struct tap_report *rep,
		    const struct run_end *end, const struct target *t,
		    const struct hostinfo *h, struct image_result *out);
/*
 * After restarts (docs/protocol.md, "Restarts"): a check reported with
 * a number of at least first_reached ran only because a restart skipped
 * an earlier killer. An xerror line matching it says the target may end
 * the image at or before it; restarts routed around that death, so the
 * line says nothing about the check's own outcome: a pass is a pass, a
 * failure is a fail that needs an xfail line of its own. Returns how many
 * such failures there are.
 */
size_t classify_reached_by_restart(const struct tap_report *rep,
				   long first_reached,
				   struct image_result *out);

/* Every declared check gets cls with reason (widths, unavailable ...). */
void classify_all(const struct image *img, enum check_class cls,
		  const char *reason, struct image_result *out);
void image_result_free(struct image_result *r);

#endif
