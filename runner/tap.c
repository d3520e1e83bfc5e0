/*
 * TAP parsing. Serial output is whatever the guest (or a confused monitor)
 * wrote, so the parser accepts liberal spacing and treats every line it
 * does not understand as plain output rather than failing.
 */
#include "tap.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "seq_line.h"

static char *skip_space(char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Parse decimal digits at *p; false on overflow or no digits. */
static bool parse_number(char **p, long *out)
{
	char *end;

	if (!isdigit((unsigned char)**p))
		return false;
	errno = 0;
	*out = strtol(*p, &end, 10);
	if (errno == ERANGE || *out > INT_MAX)
		return false;
	*p = end;
	return true;
}

/* "word" followed by a space, a tab or the end of the line. */
static bool word_at(const char *p, const char *word)
{
	size_t n = strlen(word);

	return strncmp(p, word, n) == 0 &&
	       (p[n] == ' ' || p[n] == '\t' || p[n] == '\0');
}

static void parse_test_line(char *p, bool ok, struct tap_line *out)
{
	char *id, *hash;

	p = skip_space(p);
	if (isdigit((unsigned char)*p)) {
		if (!parse_number(&p, &out->number) ||
		    (*p != ' ' && *p != '\t' && *p != '\0'))
			return;
		out->has_number = true;
		p = skip_space(p);
	}
	if (*p == '-' && (p[1] == ' ' || p[1] == '\t' || p[1] == '\0'))
		p = skip_space(p + 1);
	id = p;
	while (*p && *p != ' ' && *p != '\t' && *p != '#')
		p++;
	if (p == id)
		return; /* no id: nothing to attribute it to */
	hash = strchr(p, '#');
	if (*p)
		*p++ = '\0';
	out->id = id;
	out->kind = ok ? TAP_OK : TAP_NOT_OK;
	if (!hash)
		return;
	out->reason = str_trim(hash + 1);
	if (ok && strncasecmp(out->reason, "skip", 4) == 0 &&
	    !isalnum((unsigned char)out->reason[4]) && out->reason[4] != '_') {
		out->kind = TAP_SKIP;
		out->reason = str_trim((char *)out->reason + 4);
	} else if (ok && strncasecmp(out->reason, "skipped", 7) == 0 &&
		   !isalnum((unsigned char)out->reason[7])) {
		out->kind = TAP_SKIP;
		out->reason = str_trim((char *)out->reason + 7);
	}
}

void tap_parse_line(char *line, struct tap_line *out)
{
	size_t n = strlen(line);
	char *p;

	memset(out, 0, sizeof(*out));
	out->kind = TAP_OTHER;
	out->reason = "";
	if (n && line[n - 1] == '\r')
		line[--n] = '\0';
	p = str_trim(line);

	if (word_at(p, "ok")) {
		parse_test_line(p + 2, true, out);
	} else if (word_at(p, "not")) {
		char *q = skip_space(p + 3);

		if (word_at(q, "ok"))
			parse_test_line(q + 2, false, out);
	} else if (*p == '#') {
		out->kind = TAP_DIAG;
		out->reason = str_trim(p + 1);
	} else if (str_starts(p, "Bail out!")) {
		out->kind = TAP_BAIL;
		out->reason = str_trim(p + 9);
	} else if (str_starts(p, "TAP version ")) {
		p = skip_space(p + 12);
		if (parse_number(&p, &out->number) && *p == '\0') {
			out->kind = TAP_VERSION;
			out->has_number = true;
		}
	} else if (str_starts(p, "1..")) {
		p += 3;
		if (parse_number(&p, &out->number)) {
			p = skip_space(p);
			if (*p == '\0' || *p == '#') {
				out->kind = TAP_PLAN;
				out->has_number = true;
				if (*p == '#')
					out->reason = str_trim(p + 1);
			}
		}
	} else if (str_starts(p, "popek: exit")) {
		p = skip_space(p + 11);
		if (parse_number(&p, &out->number) && *skip_space(p) == '\0') {
			out->kind = TAP_EXIT;
			out->has_number = true;
		}
	}
	if (out->kind == TAP_OTHER) {
		out->has_number = false;
		out->number = 0;
	}
}

void tap_report_init(struct tap_report *r)
{
	memset(r, 0, sizeof(*r));
	r->exit_code = -1;
}

static void add_result(struct tap_report *r, const struct tap_line *l)
{
	struct tap_result *t;

	VEC_GROW(r->results, r->nresults, r->cap);
	t = &r->results[r->nresults++];
	t->id = xstrdup(l->id);
	t->number = l->has_number ? l->number : -1;
	t->kind = l->kind;
	t->reason = xstrdup(l->reason);
}

static void process_line(struct tap_report *r, char *line, size_t len)
{
	struct tap_line l;

	r->lines++;
	sb_add(&r->log, line, len);
	sb_adds(&r->log, "\n");
	/* Whatever follows the exit line is not the image's report. */
	if (r->exit_seen)
		return;
	if (r->sequence) {
		int code;

		if (seq_line_end(line, &code)) {
			r->exit_seen = true;
			r->exit_code = code;
		} else if (seq_line_start(line) && r->seq_starts++) {
			r->exit_seen = true;
		} else if (str_starts(line, SEQ_PREFIX "image ")) {
			r->seq_images++;
		}
		return;
	}
	tap_parse_line(line, &l);
	switch (l.kind) {
	case TAP_VERSION:
		r->version_seen = true;
		break;
	case TAP_OK:
	case TAP_SKIP:
	case TAP_NOT_OK:
		if (!r->bailed)
			add_result(r, &l);
		break;
	case TAP_BAIL:
		if (!r->bailed) {
			r->bailed = true;
			r->bail_reason = xstrdup(l.reason);
		}
		break;
	case TAP_PLAN:
		r->plan_seen = true;
		r->plan = l.number;
		break;
	case TAP_EXIT:
		r->exit_seen = true;
		r->exit_code = (int)l.number;
		break;
	case TAP_DIAG:
	case TAP_OTHER:
		break;
	}
}

void tap_feed(struct tap_report *r, const char *data, size_t len)
{
	const char *nl;

	while (len) {
		nl = memchr(data, '\n', len);
		if (!nl) {
			sb_add(&r->partial, data, len);
			return;
		}
		sb_add(&r->partial, data, (size_t)(nl - data));
		/* NULs would cut the line short in the C-string parser. */
		for (size_t i = 0; i < r->partial.len; i++)
			if (r->partial.s[i] == '\0')
				r->partial.s[i] = ' ';
		process_line(r, r->partial.s, r->partial.len);
		sb_reset(&r->partial);
		len -= (size_t)(nl - data) + 1;
		data = nl + 1;
	}
}

void tap_finish(struct tap_report *r)
{
	if (r->partial.len)
		tap_feed(r, "\n", 1);
}

void tap_report_free(struct tap_report *r)
{
	size_t i;

	for (i = 0; i < r->nresults; i++) {
		free(r->results[i].id);
		free(r->results[i].reason);
	}
	free(r->results);
	free(r->bail_reason);
	sb_free(&r->log);
	sb_free(&r->partial);
	memset(r, 0, sizeof(*r));
}
