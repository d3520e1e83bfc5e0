/*
 * Guest side of the adaptive-translation measurement (docs/refvmm-bt.md,
 * "Adaptive translation"; docs/perf.md): loops whose one store traps on
 * every iteration under bt-simple and trap mode, timed with RDTSC and
 * printed as "# bench NAME iters=N cycles=C". Under --mode bt each store
 * is retranslated as a callout once it has trapped the threshold times.
 *   mmio-mov   MOV to pc-testdev's MMIO window (0xff000000)
 *   mmio-add   ADD (read-modify-write) to the same window
 *   window-mov MOV to the monitor window [0xffc00000, 4G): unclaimed
 *              guest-physical space that the host cannot map for the guest
 */
#include "report.h"
#include "x86.h"

POPEK_IMAGE(0, POPEK_IMAGE_SELFTEST);

#define ITERS 20000u

static u64 store_loop(u32 base, u32 n)
{
	u64 t0 = rdtsc();

	asm volatile("1:\n\t"
		     "mov %%ecx, %%edx\n\t"
		     "and $0xff, %%edx\n\t"
		     "mov %%ecx, (%%eax,%%edx,4)\n\t"
		     "dec %%ecx\n\t"
		     "jnz 1b"
		     : "+c"(n)
		     : "a"(base)
		     : "edx", "cc", "memory");
	return rdtsc() - t0;
}

static u64 add_loop(u32 base, u32 n)
{
	u64 t0 = rdtsc();

	asm volatile("1:\n\t"
		     "mov %%ecx, %%edx\n\t"
		     "and $0xff, %%edx\n\t"
		     "addl %%ecx, (%%eax,%%edx,4)\n\t"
		     "dec %%ecx\n\t"
		     "jnz 1b"
		     : "+c"(n)
		     : "a"(base)
		     : "edx", "cc", "memory");
	return rdtsc() - t0;
}

void probe_main(void)
{
	volatile u32 *mmio = (volatile u32 *)0xff000000u;
	u32 want = 0, i;
	u64 c;

	c = store_loop(0xff000000u, ITERS);
	report_diag("bench mmio-mov iters=%u cycles=%llu", ITERS,
		    (unsigned long long)c);
	/* the last store of each of the 256 slots: i = slot (1..255), 256 */
	for (i = 0; i < 256; i++)
		want += mmio[i] == (i ? i : 256u);
	report("selftest.adapt.mmio_stores", "MMIO stores all landed",
	       want == 256, "%u of 256 slots", want);
	c = add_loop(0xff000400u, ITERS);
	report_diag("bench mmio-add iters=%u cycles=%llu", ITERS,
		    (unsigned long long)c);
	c = store_loop(0xffd00000u, ITERS);
	report_diag("bench window-mov iters=%u cycles=%llu", ITERS,
		    (unsigned long long)c);
	report("selftest.bench.ran", "the adaptation loops ran to the end",
	       true, "%s", "ran");
}
