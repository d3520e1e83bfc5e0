/*
 * popek bench's outputs (bench.h): the table on stdout, the JSON, and
 * the chart drawn by gnuplot (log scale, one bar per target).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "bench.h"
#include "util.h"

/* Counters shown per benchmark in the table (all are in the JSON). */
#define TABLE_COUNTERS 6

const char *bench_status_name(enum bench_status s)
{
	static const char *const names[] = {"ok", "failed", "skipped",
					    "unsupported", "unavailable"};

	return names[s];
}

static double row_fastest(const struct bench_set *s, const struct bench_row *r)
{
	double best = INFINITY;

	for (size_t t = 0; t < s->ntargets; t++)
		if (r->cells[t].status == BENCH_OK &&
		    r->cells[t].line.cycles < best)
			best = r->cells[t].line.cycles;
	return best;
}

/* A footnote: one reason on one target, for every row it explains. */
struct note {
	size_t target;
	enum bench_status status;
	const char *reason;
	struct strbuf rows;
};

static size_t note_for(struct note **v, size_t *n, size_t *cap, size_t t,
		       const struct bench_cell *c, const char *row)
{
	const char *reason = c->reason ? c->reason : "";
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*v)[i].target == t && (*v)[i].status == c->status &&
		    !strcmp((*v)[i].reason, reason))
			break;
	if (i == *n) {
		VEC_GROW(*v, *n, *cap);
		(*v)[i] = (struct note){t, c->status, reason, {0}};
		(*n)++;
	} else {
		sb_adds(&(*v)[i].rows, ", ");
	}
	sb_adds(&(*v)[i].rows, row);
	return i + 1;
}

static void print_cells(const struct bench_set *s, FILE *out, int namew)
{
	struct note *notes = NULL;
	size_t nnotes = 0, cap = 0;

	fprintf(out, "%-*s", namew, "benchmark");
	for (size_t t = 0; t < s->ntargets; t++)
		fprintf(out, "  %22s", s->targets[t]->name);
	fputc('\n', out);
	for (size_t i = 0; i < s->nrows; i++) {
		const struct bench_row *r = &s->rows[i];
		double best = row_fastest(s, r);

		fprintf(out, "%-*s", namew, r->name);
		for (size_t t = 0; t < s->ntargets; t++) {
			const struct bench_cell *c = &r->cells[t];
			char buf[64];

			if (c->status == BENCH_OK)
				snprintf(buf, sizeof(buf), "%.1f (x%.1f)",
					 c->line.cycles,
					 best > 0 ? c->line.cycles / best
						  : 1.0);
			else
				snprintf(buf, sizeof(buf), "%s [%zu]",
					 bench_status_name(c->status),
					 note_for(&notes, &nnotes, &cap, t, c,
						  r->name));
			fprintf(out, "  %22s", buf);
		}
		fputc('\n', out);
	}
	if (nnotes)
		fputs("\nnot measured:\n", out);
	for (size_t i = 0; i < nnotes; i++) {
		fprintf(out, "  [%zu] %s on %s: %s: %s\n", i + 1,
			sb_str(&notes[i].rows),
			s->targets[notes[i].target]->name,
			bench_status_name(notes[i].status), notes[i].reason);
		sb_free(&notes[i].rows);
	}
	free(notes);
}

struct counter {
	const char *name;
	double v;
};

/* The largest counters per operation first. */
static int by_value_desc(const void *a, const void *b)
{
	const struct counter *x = a, *y = b;

	return x->v < y->v ? 1 : x->v > y->v ? -1 : strcmp(x->name, y->name);
}

static void print_per_op(json_t *per_op, FILE *out)
{
	size_t n = 0, cap = json_object_size(per_op);
	struct counter *v = xcalloc(cap ? cap : 1, sizeof(*v));
	const char *key;
	json_t *val;

	json_object_foreach(per_op, key, val)
	{
		if (json_real_value(val) > 0)
			v[n++] = (struct counter){key, json_real_value(val)};
	}
	qsort(v, n, sizeof(*v), by_value_desc);
	for (size_t k = 0; k < n && k < TABLE_COUNTERS; k++)
		fprintf(out, "%s%s %.3g", k ? ", " : "", v[k].name, v[k].v);
	if (!n)
		fputs("(no counter grows with the operations)", out);
	fputc('\n', out);
	free(v);
}

static void print_counters(const struct bench_set *s, FILE *out, int namew)
{
	for (size_t t = 0; t < s->ntargets; t++) {
		bool header = false;

		for (size_t i = 0; i < s->nrows; i++) {
			const struct bench_cell *c = &s->rows[i].cells[t];

			if (c->status != BENCH_OK ||
			    (!c->per_op && !c->counters_note))
				continue;
			if (!header) {
				fprintf(out,
					"\n%s: monitor counters per operation "
					"(a run of 2N minus a run of N "
					"operations per repetition, over the "
					"difference; largest %d)\n",
					s->targets[t]->name, TABLE_COUNTERS);
				header = true;
			}
			fprintf(out, "  %-*s  ", namew, s->rows[i].name);
			if (c->per_op)
				print_per_op(c->per_op, out);
			else
				fprintf(out, "(%s)\n", c->counters_note);
		}
	}
}

void bench_print_table(const struct bench_set *s, FILE *out)
{
	int namew = 9;

	for (size_t i = 0; i < s->nrows; i++)
		if ((int)strlen(s->rows[i].name) > namew)
			namew = (int)strlen(s->rows[i].name);
	fprintf(out,
		"cycles per operation (guest TSC; median of %u repetitions; "
		"xN = ratio to the fastest target)\nhost: %s (%s)\n\n",
		s->reps, s->host->model_name, s->host->host_class);
	print_cells(s, out, namew);
	print_counters(s, out, namew);
}

static json_t *cell_json(const struct bench_cell *c, double best)
{
	json_t *j = json_object(), *samples;

	json_object_set_new(j, "status",
			    json_string(bench_status_name(c->status)));
	if (c->reason)
		json_object_set_new(j, "reason", json_string(c->reason));
	if (c->command)
		json_object_set_new(j, "command", json_string(c->command));
	if (c->status != BENCH_OK)
		return j;
	samples = json_array();
	for (size_t k = 0; k < c->line.nsamples; k++)
		json_array_append_new(samples, json_real(c->line.samples[k]));
	json_object_set_new(
		j, "cycles_per_op",
		json_pack("{s:f, s:f, s:f, s:f, s:o}", "median", c->line.cycles,
			  "min", c->line.min, "max", c->line.max, "spread",
			  c->line.cycles > 0
				  ? (c->line.max - c->line.min) / c->line.cycles
				  : 0.0,
			  "samples", samples));
	json_object_set_new(j, "ratio_to_fastest",
			    json_real(best > 0 ? c->line.cycles / best : 1.0));
	json_object_set_new(j, "iters",
			    json_integer((json_int_t)c->line.iters));
	json_object_set_new(j, "reps", json_integer((json_int_t)c->line.reps));
	json_object_set_new(j, "ops", json_integer((json_int_t)c->line.ops));
	json_object_set_new(j, "timer_overhead_cycles",
			    json_integer((json_int_t)c->line.tsc));
	json_object_set_new(j, "seconds", json_real(c->seconds));
	if (c->counters)
		json_object_set(j, "counters", c->counters);
	if (c->per_op)
		json_object_set(j, "counters_per_op", c->per_op);
	if (c->counters_note)
		json_object_set_new(j, "counters_note",
				    json_string(c->counters_note));
	return j;
}

json_t *bench_to_json(const struct bench_set *s)
{
	json_t *root = json_object(), *targets = json_array(),
	       *rows = json_array();

	json_object_set_new(root, "host",
			    json_pack("{s:s?, s:s?, s:i, s:i, s:s?, s:s?}",
				      "cpu", s->host->model_name, "vendor",
				      s->host->vendor, "family",
				      s->host->family, "model", s->host->model,
				      "kvm_backend", s->host->backend, "class",
				      s->host->host_class));
	json_object_set_new(root, "unit",
			    json_string("guest TSC cycles per "
					"operation"));
	json_object_set_new(root, "scale_percent", json_integer(s->scale));
	json_object_set_new(root, "reps", json_integer(s->reps));
	for (size_t t = 0; t < s->ntargets; t++)
		json_array_append_new(targets,
				      json_string(s->targets[t]->name));
	json_object_set_new(root, "targets", targets);
	for (size_t i = 0; i < s->nrows; i++) {
		const struct bench_row *r = &s->rows[i];
		json_t *res = json_object();
		double best = row_fastest(s, r);

		for (size_t t = 0; t < s->ntargets; t++)
			json_object_set_new(res, s->targets[t]->name,
					    cell_json(&r->cells[t], best));
		json_array_append_new(
			rows,
			json_pack("{s:s, s:s, s:i, s:s, s:o}", "name", r->name,
				  "benchmark", r->bench, "width", (int)r->width,
				  "image", r->image, "results", res));
	}
	json_object_set_new(root, "benchmarks", rows);
	return root;
}

static char *replace_ext(const char *path, const char *ext)
{
	size_t n = strlen(path) - strlen(".json");

	return xasprintf("%.*s%s", (int)n, path, ext);
}

static int write_data(const struct bench_set *s, const char *dat)
{
	FILE *f = fopen(dat, "w");

	if (!f)
		return -1;
	fputs("benchmark", f);
	for (size_t t = 0; t < s->ntargets; t++)
		fprintf(f, " %s", s->targets[t]->name);
	fputc('\n', f);
	for (size_t i = 0; i < s->nrows; i++) {
		fputs(s->rows[i].name, f);
		for (size_t t = 0; t < s->ntargets; t++) {
			const struct bench_cell *c = &s->rows[i].cells[t];

			if (c->status == BENCH_OK)
				fprintf(f, " %.2f", c->line.cycles);
			else
				fputs(" ?", f); /* missing: no bar */
		}
		fputc('\n', f);
	}
	return fclose(f);
}

static int write_script(const struct bench_set *s, const char *gp,
			const char *dat, const char *svg)
{
	FILE *f = fopen(gp, "w");

	if (!f)
		return -1;
	fprintf(f,
		"# popek bench: cycles per operation per target (log "
		"scale)\n"
		"set terminal svg size %zu,520 dynamic font 'sans,11'\n"
		"set output '%s'\n"
		"set termoption noenhanced\n"
		"set title 'guest cycles per operation, %s (%s)'\n"
		"set datafile missing '?'\n"
		"set style data histograms\n"
		"set style histogram clustered gap 1\n"
		"set style fill solid 0.8 border -1\n"
		"set logscale y\n"
		"set yrange [1:*]\n"
		"set ylabel 'cycles per operation (log)'\n"
		"set xtics rotate by -40 left scale 0\n"
		"set grid ytics\n"
		"set key top left\n"
		"plot for [i=2:%zu] '%s' using i:xtic(1) title "
		"columnheader(i)\n",
		300 + 60 * s->nrows, svg,
		s->host->model_name ? s->host->model_name : "?",
		s->host->host_class ? s->host->host_class : "?",
		s->ntargets + 1, dat);
	return fclose(f);
}

char *bench_write_chart(const struct bench_set *s, const char *json_path,
			char **why)
{
	char *dat = replace_ext(json_path, ".dat"),
	     *gp = replace_ext(json_path, ".gp"),
	     *svg = replace_ext(json_path, ".svg"), *cmd = NULL;
	int st;

	*why = NULL;
	if (write_data(s, dat) || write_script(s, gp, dat, svg)) {
		*why = xasprintf("cannot write %s or %s: %s", dat, gp,
				 strerror(errno));
		goto fail;
	}
	if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
		*why = xasprintf("gnuplot not found (Debian package "
				 "gnuplot-nox); the script is %s",
				 gp);
		goto fail;
	}
	/* gnuplot's warnings (a target column with no bar) are noise here */
	cmd = xasprintf("gnuplot '%s' >/dev/null 2>&1", gp);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		*why = xasprintf("gnuplot failed on %s (run it to see why)",
				 gp);
		goto fail;
	}
	free(dat);
	free(gp);
	free(cmd);
	return svg;
fail:
	free(dat);
	free(gp);
	free(svg);
	free(cmd);
	return NULL;
}
