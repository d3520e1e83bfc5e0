/* The sequencer's start and end lines (docs/iso.md "Serial grammar"). */
#include "seq_line.h"

#include <stdio.h>
#include <string.h>

/* Nothing but an optional '\r' left. */
static bool at_end(const char *p)
{
	return !*p || (*p == '\r' && !p[1]);
}

bool seq_line_end(const char *line, int *code)
{
	int n = 0;

	return sscanf(line, SEQ_PREFIX "end %d%n", code, &n) == 1 &&
	       at_end(line + n);
}

bool seq_line_start(const char *line)
{
	const char *p = strstr(line, SEQ_PREFIX "start");

	return p && at_end(p + strlen(SEQ_PREFIX "start"));
}
