/*
 * Guest side of refvmm's BT benchmark (bench.c): a register-only loop and
 * a memory-bound loop, each timed with RDTSC and printed as a TAP
 * diagnostic, "# bench NAME iters=N cycles=C". Straight-line guest code
 * with one backward branch per iteration: what binary translation runs
 * as chained blocks, and what an emulator like QEMU TCG runs as its own
 * translation.
 */
#include "report.h"
#include "x86.h"

POPEK_IMAGE(0, POPEK_IMAGE_SELFTEST);

#define REG_ITERS 50000000u
#define MEM_ITERS 20000000u
#define MEM_WORDS 16384u /* 64 KiB: stays in the host's L2 */

static u32 arr[MEM_WORDS];

static u64 reg_loop(u32 n)
{
	u64 t0 = rdtsc();
	u32 a = 0, b = 1;

	asm volatile("1:\n\t"
		     "add %%ebx, %%eax\n\t"
		     "xor %%ecx, %%ebx\n\t"
		     "lea (%%eax,%%ebx), %%edx\n\t"
		     "dec %%ecx\n\t"
		     "jnz 1b"
		     : "+c"(n), "+a"(a), "+b"(b)
		     :
		     : "edx", "cc");
	return rdtsc() - t0;
}

static u64 mem_loop(u32 n, u32 *sum)
{
	u64 t0 = rdtsc();
	u32 i, s = 0;

	for (i = 0; i < n; i++) {
		s += arr[(i * 7) & (MEM_WORDS - 1)];
		arr[i & (MEM_WORDS - 1)] = s ^ i;
	}
	*sum = s;
	return rdtsc() - t0;
}

void probe_main(void)
{
	u32 sum;
	u64 c;

	c = reg_loop(REG_ITERS);
	report_diag("bench reg-loop iters=%u cycles=%llu", REG_ITERS,
		    (unsigned long long)c);
	c = mem_loop(MEM_ITERS, &sum);
	report_diag("bench mem-loop iters=%u cycles=%llu sum=%x", MEM_ITERS,
		    (unsigned long long)c, sum);
	report("selftest.bench.ran", "the benchmark loops ran to the end", true,
	       "%s", "ran");
}
