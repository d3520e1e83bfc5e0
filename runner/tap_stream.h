/* The merged TAP stream `popek run --tap` prints instead of the table. */
#ifndef POPEK_RUNNER_TAP_STREAM_H
#define POPEK_RUNNER_TAP_STREAM_H

#include <stdio.h>

#include "results.h"

void tap_stream_write(FILE *f, const struct results *r);

#endif
