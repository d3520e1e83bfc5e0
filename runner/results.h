/*
 * Results of one run, or of many merged: the data behind the summary, the
 * JSON, JUnit and TAP files and the report. Every entry names its target
 * and host class, so results from many hosts live side by side.
 */
#ifndef POPEK_RUNNER_RESULTS_H
#define POPEK_RUNNER_RESULTS_H

#include <stdbool.h>
#include <stddef.h>

#include "classify.h"
#include "hostinfo.h"
#include "util.h"

#define POPEK_RESULTS_VERSION 1

struct res_target {
	char *name, *host_class;
	bool available;
	char *reason;	/* why unavailable, or "" */
	char *command;	/* the command template */
	double seconds; /* wall time of its jobs */
};

struct res_image {
	char *target, *host_class, *image;
	unsigned width;
	bool ok;
	char *reason;  /* "" when ok */
	int exit_code; /* -1: no `popek: exit` line */
	double seconds;
	char *rerun;   /* popek command that reruns this image here */
	char *command; /* the target's command line for this image */
	char *started; /* UTC wall clock when it began, ISO 8601, or "" */
	/* --logs: the files of this image's run, or "" (docs/runner.md) */
	char *log_serial, *log_stderr, *log_info;
};

struct res_check {
	char *target, *host_class, *image, *id;
	enum check_class cls;
	char *reason, *description;
};

struct results {
	bool has_host; /* false for merged results */
	struct hostinfo host;
	char *started, *shard;
	/* the popek that wrote the file (a file may predate them: "") */
	char *popek_version, *popek_commit;
	/* the signal that cut the run short ("SIGTERM"), or "" */
	char *interrupted;
	struct res_target *targets;
	size_t ntargets, tcap;
	struct res_image *images;
	size_t nimages, icap;
	struct res_check *checks;
	size_t nchecks, ccap;
};

void results_init(struct results *r);
void results_free(struct results *r);

/* The add functions copy their strings; NULL is stored as "". */
struct res_target *results_add_target(struct results *r, const char *name,
				      const char *host_class, bool available,
				      const char *reason, const char *command);
struct res_image *results_add_image(struct results *r, const char *target,
				    const char *host_class, const char *image);
struct res_check *results_add_check(struct results *r, const char *target,
				    const char *host_class, const char *image,
				    const char *id, enum check_class cls,
				    const char *reason,
				    const char *description);
struct res_target *results_find_target(struct results *r, const char *name,
				       const char *host_class);

/*
 * Merge `from` (read from `source`) into `into`. The same check on the same
 * target and host class may come from several files only with the same
 * result; a disagreement is an error naming both.
 */
int results_merge(struct results *into, const struct results *from,
		  const char *source, struct perr *e);

/* True when anything in r is unexpected (fail, xpass, error, image error). */
bool results_unexpected(const struct results *r);
/* Some check was reported and every one of them is a skip. */
bool results_all_skipped(const struct results *r);

#endif
