/*
 * conformance.smp.order: the two-processor litmus tests of the SDM's
 * memory-ordering examples (Vol. 3A 9.2.3), each run ITER times with a
 * fresh x = y = 0; a check fails on any outcome the SDM forbids. Store
 * buffering (Example 9-3) is allowed and only counted; with MFENCE
 * (9.2.2) or a locked instruction between the store and the load
 * (9.2.3.9, Examples 9-9 and 9-10) it is forbidden.
 */
#include "smp_probe.h"
#include "x86.h"

#define ITER 2000u

static volatile u32 x, y, gen, done;
static u32 r_bsp, r_ap;
/* The LOCK OR's own location, neither x nor y. */
static volatile u32 fence_word;

enum { MP, LB, SB, SB_MFENCE, SB_XCHG, SB_LOCK_ADD };

static u32 store_load(volatile u32 *st, volatile u32 *ld, int test)
{
	u32 one = 1;

	switch (test) {
	case SB:
		*st = 1;
		return *ld;
	case SB_MFENCE:
		*st = 1;
		asm volatile("mfence" ::: "memory");
		return *ld;
	case SB_XCHG:
		asm volatile("xchg %0, %1" : "+r"(one), "+m"(*st)::"memory");
		return *ld;
	default:
		*st = 1;
		asm volatile("lock orl $0, %0" : "+m"(fence_word)::"memory");
		return *ld;
	}
}

static u32 bsp_part(int test)
{
	switch (test) {
	case MP:
		x = 1;
		y = 1;
		return 0;
	case LB: {
		u32 r = x;

		y = 1;
		return r;
	}
	default:
		return store_load(&x, &y, test);
	}
}

static u32 ap_part(int test)
{
	switch (test) {
	case MP: {
		u32 r1 = y, r2 = x;

		return r1 << 1 | r2;
	}
	case LB: {
		u32 r = y;

		x = 1;
		return r;
	}
	default:
		return store_load(&y, &x, test);
	}
}

static void ap_loop(void *arg)
{
	int test = (int)(ulong)arg;

	for (u32 i = 1; i <= ITER; i++) {
		if (!spin_until(&gen, i, SMP_TIMEOUT))
			return;
		r_ap = ap_part(test);
		asm volatile("" ::: "memory");
		done = i;
	}
}

/* How many iterations ended in the outcome the test names. */
static u32 litmus(int test)
{
	u32 hits = 0;

	gen = done = 0;
	smp_post(AP, ap_loop, (void *)(ulong)test);
	for (u32 i = 1; i <= ITER; i++) {
		x = y = 0;
		asm volatile("mfence" ::: "memory");
		gen = i;
		r_bsp = bsp_part(test);
		if (!spin_until(&done, i, SMP_TIMEOUT))
			report_bail("expected AP %d in litmus round %u, saw "
				    "nothing",
				    AP, i);
		switch (test) {
		case MP:
			hits += r_ap == 2; /* r1 = y = 1, r2 = x = 0 */
			break;
		case LB:
			hits += r_bsp == 1 && r_ap == 1;
			break;
		default:
			hits += r_bsp == 0 && r_ap == 0;
		}
	}
	smp_wait(AP, SMP_TIMEOUT);
	return hits;
}

void smp_order_checks(void)
{
	static const int tests[] = {MP, LB, SB_MFENCE, SB_XCHG, SB_LOCK_ADD};
	static const char *const forbidden[] = {"r1 = 1, r2 = 0", "r1 = r2 = 1",
						"r1 = r2 = 0", "r1 = r2 = 0",
						"r1 = r2 = 0"};
	char id[CHECK_ID_MAX];

	if (!smp_skip)
		report_diag("store buffering (SDM Vol. 3A Example 9-3, "
			    "allowed): r1 = r2 = 0 in %u of %u rounds",
			    litmus(SB), ITER);
	for (int i = 0; i < 5; i++) {
		u32 seen = smp_skip ? 0 : litmus(tests[i]);

		smp_check(
			CHECK_ID(id,
				 "conformance.smp.order.{mp,lb,sb-mfence,"
				 "sb-xchg,sb-lock-or}",
				 "{1:Stores are not reordered with stores "
				 "nor loads with loads (SDM Vol. 3A Example "
				 "9-1),Stores are not reordered with older "
				 "loads (SDM Vol. 3A Example 9-2),MFENCE "
				 "between a store and a load forbids store "
				 "buffering (SDM Vol. 3A 9.2.2 and Example "
				 "9-3),A store by XCHG is not reordered with "
				 "a later load (SDM Vol. 3A Example 9-9),A "
				 "LOCK OR between a store and a load forbids "
				 "store buffering (SDM Vol. 3A 9.2.3.9)}: the "
				 "forbidden outcome never shows",
				 i),
			seen == 0,
			"expected no round ending with %s, saw %u of %u",
			forbidden[i], seen, ITER);
	}
}
