/*
 * The perf images' framework: each benchmark is a row in a table
 * (bench.c) with a set-up, a timed run of N operations and a check that
 * the operations really happened. The framework warms up, repeats the
 * timed run, prints the median, minimum and maximum cycles per operation
 * as a TAP diagnostic line and reports one check per benchmark:
 *
 *   # bench syscall-int80.32 cycles=1234.56 min=1200.00 max=1300.10
 *     iters=2000 reps=7 ops=14250 tsc=25 samples=...
 *
 * (one line). `popek bench` (runner/cmd_bench.c) reads it; docs/perf.md.
 */
#ifndef PERF_BENCH_H
#define PERF_BENCH_H

#include "lib.h"
#include "paging.h"

/* Needs paging on (32-bit images turn on 2-level paging around it). */
#define BENCH_PAGING (1u << 0)

struct bench {
	const char *name;
	unsigned flags;
	u32 iters; /* default operations per repetition */
	/* NULL, or a reason the benchmark cannot run here (a skip). */
	const char *(*setup)(void);
	/* Runs n operations; returns the TSC cycles they took. */
	u64 (*run)(u32 n);
	/* After every run: whether all ops happened and did the right
	 * thing; on failure writes what was expected and seen. */
	bool (*verify)(u64 ops, char *why, size_t len);
	void (*teardown)(void);
};

/*
 * The page tables paging benchmarks run under (the boot tables in 64-bit
 * images, fresh 2-level tables in 32-bit ones), and a linear region no
 * other mapping uses: each benchmark takes its own 4 MiB slice of it.
 */
extern struct pgtable *bench_pt;
#ifdef __x86_64__
#define BENCH_VA 0x8000000000ul /* PML4 slot 1 */
#else
#define BENCH_VA 0x40000000ul
#endif
#define BENCH_SLICE(n) (BENCH_VA + (n) * (4ul << 20))

/* Installs an interrupt gate (DPL dpl) for vector; returns the old gate so
 * the benchmark can put it back. */
struct gate_save {
	u64 raw[2];
};
void bench_set_gate(int vector, void *handler, int dpl, struct gate_save *old);
void bench_restore_gate(int vector, const struct gate_save *old);

/* #PF handler for benchmarks: the stub (bench_stubs*.S) calls this with
 * CR2 and the error code and returns to the faulting instruction. */
extern void (*bench_pf_fn)(ulong cr2, ulong error);
extern char bench_pf_stub[];

/* Whole-page helpers with string instructions: a byte loop would cost a
 * monitor that emulates supervisor code thousands of instructions. */
void page_zero(void *page);
void page_copy(void *dst, const void *src);

/* Write `n` bytes of "expected X, saw Y" style text. */
#define BENCH_WHY(why, len, ...) snprintf((why), (len), __VA_ARGS__)

#endif
