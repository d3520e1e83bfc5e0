/*
 * conformance.smp.lock: LOCK atomicity under contention (SDM Vol. 3A
 * 9.1.2.2): the BSP and the AP each apply N read-modify-writes to one
 * counter at the same time; with a LOCK prefix (or XCHG, locked by
 * itself, 9.1.2.1) or under a lock built from one, the total is exact.
 * A plain ADD may lose updates, which is allowed: it is only shown as a
 * diagnostic. The 64-bit CMPXCHG8B counter starts below 2^32 so that the
 * carry into the high half is part of each atomic update.
 */
#include "smp_probe.h"
#include "x86.h"

#define N      50000u
#define N_SPIN 20000u

static volatile u32 counter, go, lockword;
static volatile u64 counter64;

enum { INC, ADD, XADD, CMPXCHG, XCHG_LOCK, BTS_LOCK, DEC, CMPXCHG8B, PLAIN };

static void spin_lock_xchg(void)
{
	u32 v;

	do {
		v = 1;
		asm volatile("xchg %0, %1" : "+r"(v), "+m"(lockword)::"memory");
	} while (v);
}

static void spin_lock_bts(void)
{
	bool was;

	do
		asm volatile("lock btsl $0, %1"
			     : "=@ccc"(was), "+m"(lockword)::"memory");
	while (was);
}

static void cmpxchg8b_inc(void)
{
	u64 old = counter64, new;
	u32 lo, hi;
	bool ok;

	do {
		new = old + 1;
		lo = (u32)old;
		hi = (u32)(old >> 32);
		asm volatile("lock cmpxchg8b %1"
			     : "=@ccz"(ok), "+m"(counter64), "+a"(lo), "+d"(hi)
			     : "b"((u32) new), "c"((u32)(new >> 32))
			     : "memory");
		old = (u64)hi << 32 | lo;
	} while (!ok);
}

static void run(int op)
{
	u32 n = op == XCHG_LOCK || op == BTS_LOCK ? N_SPIN : N;

	for (u32 i = 0; i < n; i++) {
		u32 one = 1, old;

		switch (op) {
		case INC:
			asm volatile("lock incl %0" : "+m"(counter)::"memory");
			break;
		case ADD:
			asm volatile("lock addl $1, %0"
				     : "+m"(counter)::"memory");
			break;
		case XADD:
			asm volatile("lock xaddl %0, %1"
				     : "+r"(one), "+m"(counter)::"memory");
			break;
		case CMPXCHG:
			do
				old = counter;
			while (!__sync_bool_compare_and_swap(&counter, old,
							     old + 1));
			break;
		case XCHG_LOCK:
			spin_lock_xchg();
			counter = counter + 1;
			asm volatile("" ::: "memory");
			lockword = 0;
			break;
		case BTS_LOCK:
			spin_lock_bts();
			counter = counter + 1;
			asm volatile("" ::: "memory");
			lockword = 0;
			break;
		case DEC:
			asm volatile("lock decl %0" : "+m"(counter)::"memory");
			break;
		case CMPXCHG8B:
			cmpxchg8b_inc();
			break;
		case PLAIN:
			asm volatile("addl $1, %0" : "+m"(counter)::"memory");
			break;
		}
	}
}

static void ap_run(void *arg)
{
	spin_until(&go, 1, SMP_TIMEOUT);
	run((int)(ulong)arg);
}

static u64 contend(int op)
{
	u64 start64 = (1ull << 32) - N / 2;

	counter = op == DEC ? 2 * N : 0;
	counter64 = start64;
	lockword = 0;
	go = 0;
	smp_post(AP, ap_run, (void *)(ulong)op);
	delay_us(100);
	go = 1;
	run(op);
	if (!smp_wait(AP, SMP_TIMEOUT))
		report_bail("expected AP %d to finish its LOCK loop, saw "
			    "nothing",
			    AP);
	return op == CMPXCHG8B ? counter64 - start64 : counter;
}

void smp_lock_checks(void)
{
	static const char *const names[] = {
		"LOCK INC",	"LOCK ADD",	    "LOCK XADD",
		"LOCK CMPXCHG", "an XCHG spinlock", "a LOCK BTS spinlock",
		"LOCK DEC",	"LOCK CMPXCHG8B"};
	char id[CHECK_ID_MAX];

	for (int op = INC; op <= CMPXCHG8B; op++) {
		u32 n = op == XCHG_LOCK || op == BTS_LOCK ? N_SPIN : N;
		u64 want = op == DEC ? 0 : 2ull * n;
		u64 seen = smp_skip ? 0 : contend(op);

		smp_check(
			CHECK_ID(id,
				 "conformance.smp.lock.{inc,add,xadd,cmpxchg,"
				 "xchg-lock,bts-lock,dec,cmpxchg8b}.total",
				 "Two CPUs updating one counter with {1:LOCK "
				 "INC,LOCK ADD,LOCK XADD,LOCK CMPXCHG,an XCHG "
				 "spinlock,a LOCK BTS spinlock,LOCK DEC,LOCK "
				 "CMPXCHG8B} lose no update (SDM Vol. 3A "
				 "9.1.2)",
				 op),
			seen == want,
			"expected the counter at %llu after %u updates on "
			"each CPU with %s, saw %llu",
			(unsigned long long)want, n, names[op],
			(unsigned long long)seen);
	}
	if (!smp_skip)
		report_diag("plain ADD (no LOCK, allowed to lose updates): "
			    "%llu of %u",
			    (unsigned long long)contend(PLAIN), 2 * N);
}
