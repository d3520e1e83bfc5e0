/*
 * conformance.smp.xmc: cross-modifying code with the synchronisation of
 * SDM Vol. 3A 9.1.3. The BSP rewrites a small function that the AP has
 * already run (each round alternates two encodings that return the round
 * number: different opcodes and lengths), then sets a flag; the AP, on
 * seeing the flag, executes a serializing instruction (9.3) and calls the
 * function: it must run the new code. Without the serializing
 * instruction the AP may run either: that is not checked.
 */
#include "paging.h"
#include "smp_probe.h"
#include "x86.h"

#define ROUNDS 500u

static u8 *code;
static volatile u32 gen, done;
static u32 wrong, first_wrong;

enum { CPUID, IRET, MOV_CR2 };

static void serialize(int how)
{
	ulong v;

	switch (how) {
	case CPUID:
		cpuid(0, 0);
		break;
	case IRET:
#ifdef __x86_64__
		asm volatile("mov %%ss, %%eax\n\tpush %%rax\n\t"
			     "lea 8(%%rsp), %%rax\n\tpush %%rax\n\t"
			     "pushfq\n\tmov %%cs, %%eax\n\tpush %%rax\n\t"
			     "lea 1f(%%rip), %%rax\n\tpush %%rax\n\t"
			     "iretq\n1:"
			     :
			     :
			     : "rax", "memory");
#else
		asm volatile("pushfl\n\tpushl %%cs\n\tpushl $1f\n\tiret\n1:" ::
				     : "memory");
#endif
		break;
	case MOV_CR2:
		v = read_cr2();
		write_cr2(v);
		break;
	}
}

/* mov $n, %eax; ret  or  xor %eax, %eax; add $n, %eax; ret */
static void write_code(u32 n)
{
	u8 *p = code;

	if (n & 1) {
		*p++ = 0x31;
		*p++ = 0xc0;
		*p++ = 0x05;
	} else {
		*p++ = 0xb8;
	}
	memcpy(p, &n, 4);
	p[4] = 0xc3;
}

static void ap_loop(void *arg)
{
	int how = (int)(ulong)arg;
	u32 (*fn)(void) = (u32(*)(void))code;

	for (u32 i = 1; i <= ROUNDS; i++) {
		u32 r;

		if (!spin_until(&gen, i, SMP_TIMEOUT))
			return;
		serialize(how);
		r = fn();
		if (r != i && !wrong++)
			first_wrong = i << 16 | (r & 0xffff);
		done = i;
	}
}

static u32 rounds(int how)
{
	wrong = first_wrong = 0;
	gen = done = 0;
	write_code(0);
	smp_post(AP, ap_loop, (void *)(ulong)how);
	for (u32 i = 1; i <= ROUNDS; i++) {
		write_code(i);
		gen = i;
		if (!spin_until(&done, i, SMP_TIMEOUT))
			report_bail("expected AP %d to run round %u, saw "
				    "nothing",
				    AP, i);
	}
	smp_wait(AP, SMP_TIMEOUT);
	return wrong;
}

void smp_xmc_checks(void)
{
	char id[CHECK_ID_MAX];

	if (!smp_skip)
		code = alloc_page();
	for (int how = CPUID; how <= MOV_CR2; how++) {
		u32 bad = smp_skip ? 0 : rounds(how);

		smp_check(CHECK_ID(id,
				   "conformance.smp.xmc.{cpuid,iret,mov-cr2}",
				   "Code another CPU rewrote runs in its new "
				   "form after the executing CPU's {1:CPUID,"
				   "IRET,MOV to CR2} (SDM Vol. 3A 9.1.3, 9.3)",
				   how),
			  bad == 0,
			  "expected every round's new code to run, saw %u of "
			  "%u rounds run other code (first: round %u returned "
			  "%u)",
			  bad, ROUNDS, first_wrong >> 16, first_wrong & 0xffff);
	}
}
