/*
 * The serial side of the probe protocol (docs/protocol.md): TAP version 13
 * plus the `popek: exit N` line. The parser is incremental so it can be fed
 * whatever a read() returned, including half a line.
 */
#ifndef POPEK_RUNNER_TAP_H
#define POPEK_RUNNER_TAP_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

enum tap_kind {
	TAP_VERSION, /* TAP version 13 */
	TAP_OK,	     /* ok N - ID */
	TAP_SKIP,    /* ok N - ID # SKIP reason */
	TAP_NOT_OK,  /* not ok N - ID # reason */
	TAP_DIAG,    /* # text */
	TAP_BAIL,    /* Bail out! reason */
	TAP_PLAN,    /* 1..N */
	TAP_EXIT,    /* popek: exit N */
	TAP_OTHER,   /* anything else, kept as output */
};

struct tap_line {
	enum tap_kind kind;
	long number; /* test number, plan count, exit status or version */
	bool has_number;
	const char *id;	    /* TAP_OK/SKIP/NOT_OK: points into the line */
	const char *reason; /* directive, bail or diagnostic text, or "" */
};

/*
 * Parse one complete line (no '\n'; a trailing '\r' is ignored). The line
 * is modified: id and reason point into it.
 */
void tap_parse_line(char *line, struct tap_line *out);

struct tap_result {
	char *id;
	long number;
	enum tap_kind kind; /* TAP_OK, TAP_SKIP or TAP_NOT_OK */
	char *reason;
};

/* Everything one image said on its serial port. */
struct tap_report {
	struct tap_result *results;
	size_t nresults, cap;
	bool version_seen;
	bool plan_seen;
	long plan;
	bool bailed;
	char *bail_reason;
	bool exit_seen;
	int exit_code;
	size_t lines;
	struct strbuf log;     /* every line, for the log file */
	struct strbuf partial; /* an unterminated last line */
	/* The stream of a whole ISO run (docs/iso.md): lines are only
	 * logged, and the sequencer's end line, or its start line seen a
	 * second time (the machine reset), stands for the exit line. */
	bool sequence;
	unsigned seq_starts;
	unsigned seq_images; /* "popek-seq: image" lines: images begun */
};

void tap_report_init(struct tap_report *r);
/* Feed raw bytes; complete lines are parsed, a partial one is kept. */
void tap_feed(struct tap_report *r, const char *data, size_t len);
/* The output ended: parse a final unterminated line. */
void tap_finish(struct tap_report *r);
void tap_report_free(struct tap_report *r);

#endif
