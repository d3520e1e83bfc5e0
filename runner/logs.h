/*
 * popek run --logs DIR: for each job (an image on a target, or an ISO of
 * several), DIR/TARGET/NAME.serial.txt (every byte of its stdout, the
 * guest's COM1), NAME.stderr.txt (every byte of its stderr) and
 * NAME.info.txt (the exact command, how it ended with the exit status
 * decoded, byte counts and each image's result).
 */
#ifndef POPEK_RUNNER_LOGS_H
#define POPEK_RUNNER_LOGS_H

#include <stddef.h>

#include "classify.h"
#include "job.h"
#include "util.h"

struct job_logs {
	char *serial, *stderr_, *info; /* paths, DIR as given */
};

/*
 * Create DIR/TARGET and open the two streams of job j (j->serial_log and
 * j->stderr_log). 0, or -1 with *e.
 */
int logs_open(const char *dir, const char *target, const char *name,
	      struct job *j, struct job_logs *out, struct perr *e);
/* Close the job's streams (after it ended). */
void logs_close(struct job *j);
void logs_free(struct job_logs *l);

/* How the job's process ended, the exit status decoded. */
char *logs_end_text(const struct job *j);

/* One image the job ran, for the info file. */
struct logs_image {
	const char *name, *rerun, *started;
	const struct image_result *result;
};

int logs_write_info(const struct job_logs *l, const char *target,
		    const struct job *j, const struct logs_image *images,
		    size_t n, struct perr *e);

#endif
