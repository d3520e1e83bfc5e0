/*
 * The sequencer's marker lines in an ISO run's serial stream
 * (docs/iso.md "Serial grammar"): `popek-seq: WORD ...`. Both the TAP
 * reader of a running job and the splitter of a finished stream know
 * the run's start and end by them.
 */
#ifndef POPEK_RUNNER_SEQ_LINE_H
#define POPEK_RUNNER_SEQ_LINE_H

#include <stdbool.h>

#define SEQ_PREFIX "popek-seq: "

/* "popek-seq: end N". */
bool seq_line_end(const char *line, int *code);
/* "popek-seq: start", possibly after GRUB's last unterminated output. */
bool seq_line_start(const char *line);

#endif
