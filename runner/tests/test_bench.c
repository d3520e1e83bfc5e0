/*
 * popek bench's parsing and patching: the guest's bench line, the
 * parameter block in a perf image, refvmm's counters and counters per
 * operation (runner/bench_image.c, runner/bench_result.c).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "bench_image.h"
#include "bench_result.h"

#define GOOD                                                                   \
	"bench in.32 cycles=226.00 min=220.50 max=300.25 iters=2000 reps=3 "   \
	"ops=6125 tsc=40 samples=220.50,226.00,300.25"

Test(bench_line, parses_every_field)
{
	struct bench_line l;

	cr_assert_eq(bench_line_parse(GOOD, &l), 0);
	cr_assert_str_eq(l.name, "in.32");
	cr_assert_float_eq(l.cycles, 226.0, 1e-9);
	cr_assert_float_eq(l.min, 220.5, 1e-9);
	cr_assert_float_eq(l.max, 300.25, 1e-9);
	cr_assert_eq(l.iters, 2000);
	cr_assert_eq(l.reps, 3);
	cr_assert_eq(l.ops, 6125);
	cr_assert_eq(l.tsc, 40);
	cr_assert_eq(l.nsamples, 3);
	cr_assert_float_eq(l.samples[2], 300.25, 1e-9);
	bench_line_free(&l);
}

Test(bench_line, refuses_malformed_lines)
{
	static const char *const bad[] = {
		/* no samples, no timer overhead */
		"bench a.32 cycles=1 min=1 max=1 iters=1 reps=1 ops=2 tsc=1",
		"bench a.32 cycles=1 min=1 max=1 iters=1 reps=1 ops=2 "
		"samples=1",
		/* samples disagree with reps */
		"bench a.32 cycles=1 min=1 max=1 iters=1 reps=2 ops=2 tsc=0 "
		"samples=1",
		/* median below the minimum */
		"bench a.32 cycles=1 min=2 max=3 iters=1 reps=1 ops=2 tsc=0 "
		"samples=2",
		/* not a number, negative, unknown key */
		"bench a.32 cycles=x min=1 max=1 iters=1 reps=1 ops=2 tsc=0 "
		"samples=1",
		"bench a.32 cycles=1 min=1 max=1 iters=-1 reps=1 ops=2 tsc=0 "
		"samples=1",
		"bench a.32 cycles=1 min=1 max=1 iters=1 reps=1 ops=2 tsc=0 "
		"samples=1 colour=red",
		"bench",
		"step: IRET at CPL 0",
	};
	struct bench_line l;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(bench_line_parse(bad[i], &l), -1, "accepted: %s",
			     bad[i]);
}

Test(bench_line, finds_its_line_in_a_log)
{
	struct bench_line l;
	const char *log =
		"TAP version 13\r\n# bench other.32 cycles=1 "
		"min=1 max=1 iters=1 reps=1 ops=2 tsc=0 samples=1\n# " GOOD
		"\r\nok 1 - perf.in.ran.32\n";

	cr_assert_eq(bench_line_find(log, "in.32", &l), 0);
	cr_assert_float_eq(l.cycles, 226.0, 1e-9);
	bench_line_free(&l);
	cr_assert_eq(bench_line_find(log, "in.64", &l), -1);
}

/* A fake image: junk, the block perf/bench.c lays out, junk. */
static size_t fake_image(uint8_t *buf, size_t at, int copies)
{
	memset(buf, 0xaa, 512);
	for (int c = 0; c < copies; c++)
		memcpy(buf + at + 128 * c, BENCH_MAGIC, sizeof(BENCH_MAGIC));
	return 512;
}

Test(bench_patch, writes_the_fields_after_the_magic)
{
	uint8_t buf[512];
	struct bench_params p = {"forkwait", 250, 5, 1000};
	struct perr e = {{0}};
	size_t len = fake_image(buf, 100, 1);

	cr_assert_eq(bench_patch(buf, len, &p, "img", &e), 0, "%s", e.msg);
	cr_assert_str_eq((char *)buf + 116, "forkwait");
	cr_assert_eq(buf[116 + 31], 0);
	cr_assert_eq(buf[148] | buf[149] << 8 | buf[150] << 16, 250);
	cr_assert_eq(buf[152], 5);
	cr_assert_eq(buf[156] | buf[157] << 8, 1000);
	cr_assert_eq(buf[160], 0xaa, "wrote past the block");
}

Test(bench_patch, refuses_missing_doubled_and_bad)
{
	uint8_t buf[512];
	struct bench_params p = {"in", 100, 7, 0};
	struct perr e = {{0}};

	fake_image(buf, 0, 0);
	cr_assert_eq(bench_patch(buf, 512, &p, "img", &e), -1);
	cr_assert(strstr(e.msg, "found it 0 times"), "%s", e.msg);
	fake_image(buf, 0, 2);
	cr_assert_eq(bench_patch(buf, 512, &p, "img", &e), -1);
	cr_assert(strstr(e.msg, "found it 2 times"), "%s", e.msg);
	fake_image(buf, 0, 1);
	p.select = "a-benchmark-name-of-32-characters";
	cr_assert_eq(bench_patch(buf, 512, &p, "img", &e), -1);
	p.select = "in";
	p.reps = 0;
	cr_assert_eq(bench_patch(buf, 512, &p, "img", &e), -1);
}

Test(bench_counters, keeps_integers_of_the_json_object)
{
	json_t *c = bench_counters_parse(
		"refvmm: something\n{\n  \"exits.io\": 12,\n  \"kvm.stats\": "
		"\"unavailable\"\n}\n");

	cr_assert_not_null(c);
	cr_assert_eq(json_object_size(c), 1);
	cr_assert_eq(json_integer_value(json_object_get(c, "exits.io")), 12);
	json_decref(c);
	cr_assert_null(bench_counters_parse("refvmm: no stats\n"));
	cr_assert_null(bench_counters_parse("{ broken\n"));
}

Test(bench_counters, per_operation_is_the_difference_over_the_extra_ops)
{
	json_t *small = json_pack("{s:i, s:i}", "a", 10, "b", 5),
	       *big = json_pack("{s:i, s:i, s:i}", "a", 30, "b", 5, "c", 7),
	       *per = bench_counters_per_op(small, 100, big, 300);

	cr_assert_not_null(per);
	/* b did not move; c is not in both runs */
	cr_assert_eq(json_object_size(per), 1);
	cr_assert_float_eq(json_real_value(json_object_get(per, "a")), 0.1,
			   1e-12);
	json_decref(per);
	cr_assert_null(bench_counters_per_op(small, 300, big, 300));
	cr_assert_null(bench_counters_per_op(NULL, 1, big, 300));
	json_decref(small);
	json_decref(big);
}
