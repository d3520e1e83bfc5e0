/*
 * The interrupt-flag benchmark: what an OS kernel does around every short
 * critical section (the virtual EFLAGS in translated code).
 */
#include "bench.h"
#include "report.h"
#include "x86.h"

/*
 * irqsave: PUSHF; CLI; POPF at CPL 0, as an OS kernel saves and restores
 * the interrupt flag around every short critical section. None of the
 * three traps natively at CPL 0 with IOPL 0 (SDM Vol. 2B CLI, POPF), but
 * each reads or writes IF, which a software monitor virtualizes: under
 * binary translation all three run against the virtual flags in the
 * translated code, with no callout.
 */
static ulong irq_flags, irq_flags_entry;

static u64 irqsave_run(u32 n)
{
	u32 k = n;
	ulong f = 0;
	u64 t0;

	asm volatile("pushf\n\tpop %0" : "=r"(irq_flags_entry));
	t0 = rdtsc();

	asm volatile("1: pushf\n\t"
		     "cli\n\t"
		     "pushf\n\t"
		     "pop %1\n\t"
		     "popf\n\t"
		     "dec %0\n\t"
		     "jnz 1b"
		     : "+r"(k), "+r"(f)
		     :
		     : "memory", "cc");
	t0 = rdtsc() - t0;
	irq_flags = f;
	return t0;
}

static bool irqsave_verify(u64 ops, char *why, size_t len)
{
	ulong now;

	(void)ops;
	asm volatile("pushf\n\tpop %0" : "=r"(now));
	/* inside the section IF was clear; POPF put the caller's IF back */
	if (!(irq_flags & 0x200) && (now & 0x200) == (irq_flags_entry & 0x200))
		return true;
	BENCH_WHY(why, len,
		  "expected IF clear after CLI and restored by POPF, saw "
		  "%#lx inside, %#lx after (%#lx before)",
		  irq_flags, now, irq_flags_entry);
	return false;
}

const struct bench bench_irqsave = {
	.name = "irqsave",
	.iters = 2000,
	.run = irqsave_run,
	.verify = irqsave_verify,
};
