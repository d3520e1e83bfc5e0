/* Parsing the guest's bench line and refvmm's counters (bench_result.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench_result.h"
#include "util.h"

static int parse_double(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return errno || end == s || *end || !isfinite(*v) || *v < 0 ? -1 : 0;
}

static int parse_ull(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || end == s || *end || *s == '-' ? -1 : 0;
}

static int parse_samples(char *s, struct bench_line *out)
{
	char *tok, *save = NULL;
	double v;

	for (tok = strtok_r(s, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (parse_double(tok, &v) < 0)
			return -1;
		out->samples = xrealloc(out->samples,
					(out->nsamples + 1) * sizeof(double));
		out->samples[out->nsamples++] = v;
	}
	return 0;
}

int bench_line_parse(const char *text, struct bench_line *out)
{
	char *copy, *tok, *save = NULL, *eq;
	unsigned long long u;
	unsigned seen = 0;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (!str_starts(text, BENCH_LINE_PREFIX))
		return -1;
	copy = xstrdup(text + strlen(BENCH_LINE_PREFIX));
	tok = strtok_r(copy, " ", &save);
	if (!tok)
		goto out;
	out->name = xstrdup(tok);
	while ((tok = strtok_r(NULL, " ", &save))) {
		eq = strchr(tok, '=');
		if (!eq)
			goto out;
		*eq++ = 0;
		if (!strcmp(tok, "cycles") && !parse_double(eq, &out->cycles))
			seen |= 1;
		else if (!strcmp(tok, "min") && !parse_double(eq, &out->min))
			seen |= 2;
		else if (!strcmp(tok, "max") && !parse_double(eq, &out->max))
			seen |= 4;
		else if (!strcmp(tok, "iters") && !parse_ull(eq, &u))
			out->iters = u, seen |= 8;
		else if (!strcmp(tok, "reps") && !parse_ull(eq, &u))
			out->reps = u, seen |= 16;
		else if (!strcmp(tok, "ops") && !parse_ull(eq, &out->ops))
			seen |= 32;
		else if (!strcmp(tok, "samples") && !parse_samples(eq, out))
			seen |= 64;
		else if (!strcmp(tok, "tsc") && !parse_ull(eq, &out->tsc))
			seen |= 128;
		else
			goto out; /* unknown key or bad value */
	}
	if (seen == 255 && out->nsamples == out->reps && out->reps &&
	    out->min <= out->cycles && out->cycles <= out->max)
		ret = 0;
out:
	free(copy);
	if (ret)
		bench_line_free(out);
	return ret;
}

int bench_line_find(const char *log, const char *name, struct bench_line *out)
{
	const char *p = log, *nl;

	while (p && *p) {
		nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *line = xstrndup(p, n);
		size_t ln = strlen(line);

		if (ln && line[ln - 1] == '\r')
			line[ln - 1] = 0;
		if (str_starts(line, "# " BENCH_LINE_PREFIX) &&
		    !bench_line_parse(line + 2, out)) {
			if (!strcmp(out->name, name)) {
				free(line);
				return 0;
			}
			bench_line_free(out);
		}
		free(line);
		p = nl ? nl + 1 : NULL;
	}
	return -1;
}

void bench_line_free(struct bench_line *l)
{
	free(l->name);
	free(l->samples);
	memset(l, 0, sizeof(*l));
}

json_t *bench_counters_parse(const char *err)
{
	const char *p = err;
	json_t *obj, *out, *v;
	const char *key;

	while (p && *p && *p != '{') {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p || *p != '{')
		return NULL;
	obj = json_loads(p, JSON_DISABLE_EOF_CHECK, NULL);
	if (!json_is_object(obj)) {
		json_decref(obj);
		return NULL;
	}
	out = json_object();
	json_object_foreach(obj, key, v)
	{
		if (json_is_integer(v))
			json_object_set(out, key, v);
	}
	json_decref(obj);
	return out;
}

json_t *bench_counters_per_op(json_t *small, unsigned long long ops_small,
			      json_t *big, unsigned long long ops_big)
{
	json_t *out, *vb, *vs;
	const char *key;
	double d;

	if (!small || !big || ops_big <= ops_small)
		return NULL;
	out = json_object();
	json_object_foreach(big, key, vb)
	{
		vs = json_object_get(small, key);
		if (!json_is_integer(vs))
			continue;
		d = ((double)json_integer_value(vb) -
		     (double)json_integer_value(vs)) /
		    (double)(ops_big - ops_small);
		if (d != 0)
			json_object_set_new(out, key, json_real(d));
	}
	return out;
}
