/*
 * Results as JSON (schema in docs/runner.md): what `popek run --json`
 * writes and `popek report` reads and merges.
 */
#ifndef POPEK_RUNNER_RESULTS_JSON_H
#define POPEK_RUNNER_RESULTS_JSON_H

#include "results.h"
#include "util.h"

int results_json_write(const struct results *r, const char *path,
		       struct perr *e);
/* Load and validate one file; r is initialised here. */
int results_json_load(const char *path, struct results *r, struct perr *e);

#endif
