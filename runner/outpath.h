/*
 * Output paths checked before a run starts, and files replaced whole: a CI
 * job must not learn after an hour that --junit named a missing directory,
 * nor find half a file after a kill.
 */
#ifndef POPEK_RUNNER_OUTPATH_H
#define POPEK_RUNNER_OUTPATH_H

#include <stdio.h>

#include "util.h"

/*
 * PATH (given to option OPT of command CMD) can be written: it is not a
 * directory and the directory it goes in exists and is writable. 0, or
 * -1 with *e naming the option.
 */
int outpath_check(const char *cmd, const char *opt, const char *path,
		  struct perr *e);

/* DIR exists (made here with its parents if need be) and is writable. */
int outpath_dir(const char *cmd, const char *opt, const char *dir,
		struct perr *e);

/*
 * Write PATH whole or not at all: outpath_open gives a temporary file
 * beside it, outpath_commit closes it and renames it over PATH (or
 * removes it on failure). Both return 0 or -1 with *e.
 */
struct outfile {
	FILE *f;
	char *path, *tmp;
};

int outpath_open(struct outfile *o, const char *path, struct perr *e);
int outpath_commit(struct outfile *o, struct perr *e);
/* Give up: the temporary file goes, PATH stays as it was. */
void outpath_abort(struct outfile *o);

#endif
