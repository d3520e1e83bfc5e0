/*
 * The counter guard of popek bench (docs/perf.md, "The counter guard"):
 * runs every 32-bit benchmark on the binary-translation targets at a
 * small size and checks the monitor's counters per operation (never
 * the times) against perf/counters.expect. Every line that does not
 * hold is printed with the benchmark, target, counter, the expected and
 * the seen value; every benchmark row and target must have expectations
 * for host signals and callouts.
 *
 * usage: bench_counters [EXPECT_FILE] [POPEK ARGS...]
 *
 * Four counters are derived, because the guest prints its times through
 * the UART (per byte one IN polling LSR, which bt runs in the
 * translation, and one OUT, a callout and an I/O exit; docs/perf.md) and
 * a time's digits differ between the N and the 2N run:
 *   callouts        bt.callouts_total - serial.bytes
 *   io              exits.io - serial.bytes
 *   events.callout  events.callout - serial.bytes
 *   inline.in       bt.inline.in - serial.bytes
 * (events.callout counts every callout too, the UART's included: taken
 * as is, it moved with the digits, 1.014 per operation in a loaded run).
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define TARGETS "refvmm-bt-simple,refvmm-bt"
#define SCALE	"10"
/* Counter runs of a fixed size: the timing run sizes itself by the
 * host's speed, and a run of a few operations says nothing per
 * operation (bt's adaptation alone takes a threshold of them). */
#define COUNTER_ITERS "128"

struct expect {
	char bench[32], target[32], counter[64];
	double lo, hi;
	int line;
	int used;
};

static struct expect ex[512];
static int nex;

/* One line: BENCH TARGET COUNTER VALUE, VALUE being N or LO..HI; TARGET
 * "*" is every target the guard runs. */
static int parse_line(const char *path, int line, char *s)
{
	struct expect *e = &ex[nex];
	char value[64], *dots;

	s[strcspn(s, "#\n")] = 0;
	if (strspn(s, " \t") == strlen(s))
		return 0;
	if (nex == (int)(sizeof(ex) / sizeof(ex[0])) ||
	    sscanf(s, "%31s %31s %63s %63s", e->bench, e->target, e->counter,
		   value) != 4) {
		fprintf(stderr, "%s:%d: not BENCH TARGET COUNTER VALUE\n", path,
			line);
		return -1;
	}
	dots = strstr(value, "..");
	e->lo = strtod(value, NULL);
	e->hi = dots ? strtod(dots + 2, NULL) : e->lo;
	e->line = line;
	nex++;
	return 0;
}

static int load(const char *path)
{
	FILE *f = fopen(path, "r");
	char s[256];
	int line = 0, r = 0;

	if (!f) {
		perror(path);
		return -1;
	}
	while (r == 0 && fgets(s, sizeof(s), f))
		r = parse_line(path, ++line, s);
	fclose(f);
	return r;
}

static double num(json_t *per, const char *key)
{
	json_t *v = json_object_get(per, key);

	return v ? json_number_value(v) : 0.0; /* absent: did not move */
}

static double counter(json_t *per, const char *name)
{
	/* per byte: the OUT to THR, a callout and an I/O exit; the IN of
	 * LSR before it runs in the translation (pure) */
	double uart = num(per, "serial.bytes");

	if (!strcmp(name, "callouts"))
		return num(per, "bt.callouts_total") - uart;
	if (!strcmp(name, "io"))
		return num(per, "exits.io") - uart;
	if (!strcmp(name, "events.callout"))
		return num(per, "events.callout") - uart;
	if (!strcmp(name, "inline.in"))
		return num(per, "bt.inline.in") - uart;
	return num(per, name);
}

static bool has(const char *bench, const char *target, const char *name)
{
	for (int i = 0; i < nex; i++)
		if (!strcmp(ex[i].bench, bench) &&
		    (!strcmp(ex[i].target, "*") ||
		     !strcmp(ex[i].target, target)) &&
		    !strcmp(ex[i].counter, name))
			return true;
	return false;
}

/* The expectations of one cell; returns the failures. */
static int check_cell(const char *path, const char *bench, const char *target,
		      json_t *c)
{
	const char *st = json_string_value(json_object_get(c, "status"));
	json_t *per = json_object_get(c, "counters_per_op");
	static const char *const needed[] = {"bt.host_faults", "callouts"};
	int fails = 0;

	if (st && !strcmp(st, "unavailable")) {
		printf("%s cannot run on this host: %s\n", target,
		       json_string_value(json_object_get(c, "reason")));
		return -1;
	}
	if (!st || strcmp(st, "ok") || !per) {
		printf("FAIL %s on %s: %s (%s)\n", bench, target,
		       st ? st : "no result",
		       per ? json_string_value(json_object_get(c, "reason"))
			   : json_string_value(
				     json_object_get(c, "counters_note")));
		return 1;
	}
	for (size_t k = 0; k < 2; k++)
		if (!has(bench, target, needed[k])) {
			printf("FAIL %s on %s: no expectation for %s in %s\n",
			       bench, target, needed[k], path);
			fails++;
		}
	for (int i = 0; i < nex; i++) {
		struct expect *e = &ex[i];
		double v;

		if (strcmp(e->bench, bench) ||
		    (strcmp(e->target, "*") && strcmp(e->target, target)))
			continue;
		e->used = 1;
		v = counter(per, e->counter);
		if (v >= e->lo - 1e-9 && v <= e->hi + 1e-9)
			continue;
		if (e->lo == e->hi)
			printf("FAIL %s on %s: %s expected %g, seen %g "
			       "(%s:%d)\n",
			       bench, target, e->counter, e->lo, v, path,
			       e->line);
		else
			printf("FAIL %s on %s: %s expected %g..%g, seen %g "
			       "(%s:%d)\n",
			       bench, target, e->counter, e->lo, e->hi, v, path,
			       e->line);
		fails++;
	}
	return fails;
}

static int run_bench(const char *json, int argc, char **argv)
{
	char cmd[4096];
	size_t n;
	int st;

	n = (size_t)snprintf(cmd, sizeof(cmd),
			     "%s bench --images %s --json %s --quiet --reps 1 "
			     "--scale " SCALE " --counter-iters " COUNTER_ITERS
			     " -t " TARGETS " '*.32'",
			     POPEK_BIN, POPEK_PERF_IMAGE_DIR, json);
	for (int i = 0; i < argc && n < sizeof(cmd); i++)
		n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, " %s", argv[i]);
	if (n >= sizeof(cmd))
		return -1;
	n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, " >%s.out 2>&1", json);
	if (n >= sizeof(cmd))
		return -1;
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : POPEK_COUNTERS_EXPECT;
	char dir[] = "/tmp/popek-bench-counters-XXXXXX", json[128];
	json_t *root, *row, *res, *c;
	json_error_t err;
	const char *target;
	size_t i;
	int fails = 0, st, cells = 0, unavailable = 0;

	if (load(path) < 0 || !mkdtemp(dir))
		return 2;
	snprintf(json, sizeof(json), "%s/b.json", dir);
	st = run_bench(json, argc > 2 ? argc - 2 : 0, argv + 2);
	root = json_load_file(json, 0, &err);
	if (!root) {
		printf("FAIL popek bench exited %d without JSON (%s); see "
		       "%s.out\n",
		       st, err.text, json);
		return 1;
	}
	json_array_foreach(json_object_get(root, "benchmarks"), i, row)
	{
		const char *bench =
			json_string_value(json_object_get(row, "name"));

		res = json_object_get(row, "results");
		json_object_foreach(res, target, c)
		{
			int f = check_cell(path, bench, target, c);

			if (f < 0)
				unavailable++;
			else
				fails += f;
			cells++;
		}
	}
	if (cells && unavailable == cells) {
		json_decref(root);
		return 77; /* said above, once per cell */
	}
	if (!cells) {
		printf("FAIL popek bench measured nothing; see %s.out\n", json);
		fails++;
	}
	for (int k = 0; k < nex; k++)
		if (!ex[k].used && unavailable == 0) {
			printf("FAIL %s:%d: %s on %s was not measured\n", path,
			       ex[k].line, ex[k].bench, ex[k].target);
			fails++;
		}
	json_decref(root);
	printf("%d cells, %d expectations from %s: %d failed\n", cells, nex,
	       path, fails);
	if (!fails) {
		snprintf(json, sizeof(json), "rm -rf %s", dir);
		if (system(json) != 0)
			return 1;
	}
	return fails ? 1 : 0;
}
