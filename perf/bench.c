/*
 * The perf images' main: pick the benchmarks to run (all, or the one
 * `popek bench` patched into bench_params), run each with warm-up and
 * repetitions, and print its cycles per operation (bench.h, docs/perf.md).
 */
#include "bench.h"
#include "desc.h"
#include "report.h"
#include "x86.h"

POPEK_IMAGE(POPEK_FEAT_TSC, 0);

/*
 * What `popek bench` patches in the image file before a boot: the runner
 * finds the magic (it occurs once in the file) and rewrites the fields
 * after it. Unpatched, every benchmark runs at its default size, which
 * makes the image an ordinary probe (`popek run --images build/perf-images`).
 */
#define BENCH_MAGIC "popek-bench-v1"
static volatile struct bench_params {
	char magic[16];
	char select[32]; /* benchmark name without width; "" = all */
	u32 scale_pct;	 /* operations per repetition, percent of default */
	u32 reps;	 /* repetitions, 1..MAX_REPS */
	u32 iters;	 /* 0, or exactly this many per repetition */
} bench_params
	__attribute__((used, aligned(16))) = {BENCH_MAGIC, "", 100, 7, 0};

#define MAX_REPS 31
/*
 * Operations per repetition are capped so the timed repetitions of one
 * benchmark take about this many cycles (0.1 s at 2 GHz): a monitor that
 * emulates every supervisor instruction is 1000 times slower than one
 * that runs them, and both must finish in bounded time. The cap comes
 * from the warm-up's cost per operation; never fewer than MIN_ITERS.
 */
#define CYCLE_BUDGET 200000000ull
#define MIN_ITERS    4

struct pgtable *bench_pt;

extern const struct bench bench_int80, bench_fastcall, bench_in, bench_ctlreg,
	bench_callret, bench_cr0read, bench_irqsave, bench_pgfault,
	bench_divzero, bench_ptemod, bench_forkwait;

/* Paging benchmarks last: a 32-bit monitor without paging support stops
 * the image there, after the others have reported. */
static const struct bench *const benches[] = {
	&bench_callret, &bench_int80,  &bench_fastcall, &bench_in,
	&bench_divzero, &bench_ctlreg, &bench_cr0read,	&bench_irqsave,
	&bench_pgfault, &bench_ptemod, &bench_forkwait,
};

static bool selected(const struct bench *b)
{
	const char *sel = (const char *)bench_params.select;
	char name[sizeof(bench_params.select)];

	memcpy(name, sel, sizeof(name));
	name[sizeof(name) - 1] = 0;
	return !name[0] || !strcmp(name, b->name);
}

static void sort_u64(u64 *v, u32 n)
{
	for (u32 i = 1; i < n; i++)
		for (u32 j = i; j > 0 && v[j - 1] > v[j]; j--) {
			u64 t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

/*
 * Values are hundredths of a cycle; printed as "000000000123.45". Every
 * number of the line has a fixed width: popek bench takes a monitor's
 * counters per operation from two runs (N and 2N operations), and the
 * UART accesses of a line whose length followed the measured times
 * would not cancel between them (one trap per byte under trap mode).
 */
#define FIXED_WIDTH "012"

static void print_hundredths(const char *sep, u64 v)
{
	printf("%s%" FIXED_WIDTH "llu.%02llu", sep,
	       (unsigned long long)(v / 100), (unsigned long long)(v % 100));
}

static void print_fixed(const char *key, u64 v)
{
	printf(" %s=", key);
	print_hundredths("", v);
}

/*
 * What timing itself costs: the median of back-to-back RDTSC pairs. A
 * monitor may trap RDTSC (refvmm --mode trap makes it fault to emulate
 * CR4.TSD), and then each timed interval carries about one trap; the
 * samples have it subtracted, and the line reports it.
 */
static u64 tsc_overhead(void)
{
	u64 v[7];

	for (int k = 0; k < 7; k++) {
		u64 t0 = rdtsc();

		v[k] = rdtsc() - t0;
	}
	sort_u64(v, 7);
	return v[3];
}

static void print_result(const struct bench *b, u64 *samples, u32 reps,
			 u32 iters, u64 ops, u64 tsc)
{
	u64 sorted[MAX_REPS], median;

	memcpy(sorted, samples, reps * sizeof(u64));
	sort_u64(sorted, reps);
	median = reps % 2 ? sorted[reps / 2]
			  : (sorted[reps / 2 - 1] + sorted[reps / 2]) / 2;
	printf("# bench %s%s", b->name, POPEK_WIDTH_SUFFIX);
	print_fixed("cycles", median);
	print_fixed("min", sorted[0]);
	print_fixed("max", sorted[reps - 1]);
	printf(" iters=%" FIXED_WIDTH "u reps=%u ops=%" FIXED_WIDTH
	       "llu tsc=%" FIXED_WIDTH "llu samples=",
	       iters, reps, (unsigned long long)ops, (unsigned long long)tsc);
	for (u32 r = 0; r < reps; r++)
		print_hundredths(r ? "," : "", samples[r]);
	printf("\n");
}

#ifndef __x86_64__
static struct pgtable pt32;
#endif

static void paging_on(void)
{
#ifdef __x86_64__
	bench_pt = pg_current();
#else
	pg_identity(&pt32, PG_2LEVEL, 64ul << 20, PT_RW | PT_US);
	pg_enable(&pt32);
	bench_pt = &pt32;
#endif
}

static void paging_off(void)
{
#ifdef __x86_64__
	/* Drop the benchmark region (its tables go back to the pool). */
	u64 *top =
		pg_entry(bench_pt, BENCH_VA, pg_levels(bench_pt->mode), false);

	if (top)
		*top = 0;
	reload_cr3();
#else
	pg_disable();
#endif
	bench_pt = NULL;
}

/* The check id of each benchmark, declared where it is reported. */
static const char *check_id(const struct bench *b)
{
	if (!strcmp(b->name, "callret"))
		return DECLARE_CHECK("perf.callret.ran",
				     "CALL/RET pairs ran and returned");
	if (!strcmp(b->name, "syscall-int80"))
		return DECLARE_CHECK("perf.syscall-int80.ran",
				     "INT 0x80 from CPL 3 reached the handler "
				     "every time and IRET returned");
#ifdef __x86_64__
	if (!strcmp(b->name, "syscall-syscall"))
		return DECLARE_CHECK("perf.syscall-syscall.ran",
				     "SYSCALL from CPL 3 reached LSTAR every "
				     "time and SYSRET returned");
	if (!strcmp(b->name, "cr8wr"))
		return DECLARE_CHECK(
			"perf.cr8wr.ran",
			"MOV to CR8 ran and CR8 holds the value written");
#else
	if (!strcmp(b->name, "syscall-sysenter"))
		return DECLARE_CHECK("perf.syscall-sysenter.ran",
				     "SYSENTER from CPL 3 reached the handler "
				     "every time and SYSEXIT returned");
	if (!strcmp(b->name, "cr3reload"))
		return DECLARE_CHECK("perf.cr3reload.ran",
				     "MOV to CR3 with paging on ran and "
				     "translation still works");
#endif
	if (!strcmp(b->name, "cr0read"))
		return DECLARE_CHECK("perf.cr0read.ran",
				     "MOV from CR0 ran and read CR0");
	if (!strcmp(b->name, "irqsave"))
		return DECLARE_CHECK("perf.irqsave.ran",
				     "PUSHF; CLI; POPF cleared IF inside and "
				     "put the caller's IF back");
	if (!strcmp(b->name, "in"))
		return DECLARE_CHECK("perf.in.ran",
				     "IN from the UART scratch register "
				     "returned what was written");
	if (!strcmp(b->name, "divzero"))
		return DECLARE_CHECK(
			"perf.divzero.ran",
			"every DIV by zero raised #DE to the guest's handler");
	if (!strcmp(b->name, "pgfault"))
		return DECLARE_CHECK("perf.pgfault.ran",
				     "every first touch of a demand-zero page "
				     "faulted once and saw a zeroed page");
	if (!strcmp(b->name, "ptemod"))
		return DECLARE_CHECK("perf.ptemod.ran",
				     "after each PTE write and INVLPG the new "
				     "frame was seen");
	if (!strcmp(b->name, "forkwait"))
		return DECLARE_CHECK("perf.forkwait.ran",
				     "each fork copied the tables, the child's "
				     "writes faulted once per page and left "
				     "the parent's pages intact");
	return NULL;
}

/* The adaptive size: see CYCLE_BUDGET. Returns operations done. */
static u32 warm_up(const struct bench *b, u32 scale, u32 reps, u32 *iters)
{
	u32 n, warm;
	u64 c;

	/* Growing batches until one is long enough to give the cost per
	 * operation (the first one pays for cold caches). */
	for (n = 1, warm = 0;; n *= 4) {
		c = b->run(n) / n;
		warm += n;
		if (n >= b->iters / 16 || c * n >= CYCLE_BUDGET / 16)
			break;
	}
	*iters = b->iters;
	if (c && (u64)*iters * reps * c > CYCLE_BUDGET) {
		*iters = CYCLE_BUDGET / (reps * c);
		if (*iters < MIN_ITERS)
			*iters = MIN_ITERS;
	}
	*iters = (u32)((u64)*iters * scale / 100);
	if (!*iters)
		*iters = 1;
	return warm;
}

static void run_one(const struct bench *b, u32 scale, u32 reps)
{
	const char *id = check_id(b), *skip = NULL;
	u64 samples[MAX_REPS], ops, c, tsc;
	u32 iters, warm;
	void *mark;
	char why[160] = "";
	bool ok;

	if (!selected(b)) {
		report_skipped(id, "not selected (popek bench boots the image "
				   "once per benchmark)");
		return;
	}
	mark = alloc_page();
	if (b->flags & BENCH_PAGING)
		paging_on();
	if (b->setup)
		skip = b->setup();
	if (skip) {
		report_skipped(id, "%s", skip);
		goto out;
	}
	if (bench_params.iters) {
		/* a fixed size (popek's counter runs): one warm-up batch */
		iters = bench_params.iters;
		warm = iters / 8 ? iters / 8 : 1;
		b->run(warm);
	} else {
		warm = warm_up(b, scale, reps, &iters);
	}
	ops = warm;
	tsc = tsc_overhead();
	for (u32 r = 0; r < reps; r++) {
		c = b->run(iters);
		ops += iters;
		samples[r] = (c > tsc ? c - tsc : 0) * 100 / iters;
	}
	ok = b->verify(ops, why, sizeof(why));
	if (ok)
		print_result(b, samples, reps, iters, ops, tsc);
	report_result(id, ok, "%s", why);
out:
	if (b->teardown)
		b->teardown();
	if (b->flags & BENCH_PAGING)
		paging_off();
	free_all_pages_after(mark);
}

void probe_main(void)
{
	u32 scale = bench_params.scale_pct, reps = bench_params.reps;

	if (scale == 0 || scale > 100000 || reps == 0 || reps > MAX_REPS)
		report_bail("bad bench parameters: scale %u%%, %u repetitions "
			    "(1..%u)",
			    scale, reps, MAX_REPS);
	for (size_t i = 0; i < ARRAY_SIZE(benches); i++)
		run_one(benches[i], scale, reps);
}
