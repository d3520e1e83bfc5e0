/*
 * syscall: a round trip from CPL 3 to a CPL 0 handler that does nothing
 * and back, by INT 0x80 + IRET (SDM Vol. 3A, 6.12) and by the fast
 * system-call pair the CPU offers in this mode: SYSENTER/SYSEXIT in
 * 32-bit images, SYSCALL/SYSRET in 64-bit ones (SDM Vol. 3A, 5.8.7-5.8.8;
 * AMD CPUs refuse SYSENTER in long mode). The loop and its RDTSCs run at
 * CPL 3; the handlers only count.
 */
#include "bench.h"
#include "desc.h"
#include "fault.h"
#include "x86.h"

ulong bench_int80_count, bench_fastcall_count;
extern char bench_int80_stub[];

static struct gate_save saved_gate;
static u64 user_cycles;
static ulong expected;
static struct fault user_fault; /* how the last CPL 3 loop came back */

struct user_arg {
	u32 n;
};

static void int80_loop(void *p)
{
	u32 n = ((struct user_arg *)p)->n;
	u64 t0 = rdtsc();

	asm volatile("1: int $0x80\n\t"
		     "dec %0\n\t"
		     "jnz 1b"
		     : "+r"(n)
		     :
		     : "memory", "cc");
	user_cycles = rdtsc() - t0;
}

static u64 run_at_user(void (*loop)(void *), u32 n)
{
	struct user_arg a = {n};

	user_cycles = 0;
	expected += n;
	/* The loop measures itself; verify() checks the handler counts and
	 * says how a loop that did not finish came back. */
	run_at_cpl(3, loop, &a, &user_fault);
	return user_cycles;
}

static const char *int80_setup(void)
{
	bench_int80_count = expected = 0;
	bench_set_gate(SYSCALL_VECTOR, bench_int80_stub, 3, &saved_gate);
	return NULL;
}

static u64 int80_run(u32 n)
{
	return run_at_user(int80_loop, n);
}

static bool count_verify(ulong count, char *why, size_t len)
{
	if (count == expected && user_cycles)
		return true;
	if (user_fault.vector != NO_FAULT)
		BENCH_WHY(why, len,
			  "expected %lu calls to reach the handler, saw %lu; "
			  "the CPL 3 loop ended with %s at %#lx",
			  expected, count, vector_name(user_fault.vector),
			  user_fault.ip);
	else
		BENCH_WHY(why, len,
			  "expected %lu calls to reach the handler and the "
			  "loop to finish, saw %lu calls%s",
			  expected, count,
			  user_cycles ? "" : " and no end of loop");
	return false;
}

static bool int80_verify(u64 ops, char *why, size_t len)
{
	(void)ops;
	return count_verify(bench_int80_count, why, len);
}

static void int80_teardown(void)
{
	bench_restore_gate(SYSCALL_VECTOR, &saved_gate);
}

const struct bench bench_int80 = {
	.name = "syscall-int80",
	.iters = 2000,
	.setup = int80_setup,
	.run = int80_run,
	.verify = int80_verify,
	.teardown = int80_teardown,
};

/*
 * The fast pair needs four descriptors in a fixed order (SDM Vol. 2B
 * SYSENTER, SYSEXIT; Vol. 2B SYSCALL, SYSRET), which the runtime's GDT
 * layout does not have; they go in the probe slots from GDT_FREE.
 */
#define ACC_CODE(dpl) (0x9b | ((dpl) << 5))
#define ACC_DATA(dpl) (0x93 | ((dpl) << 5))
static u8 fastcall_stack[1024] __aligned(16);

#ifdef __x86_64__
#define MSR_STAR     0xc0000081
#define MSR_LSTAR    0xc0000082
#define MSR_FMASK    0xc0000084
#define EFER_SCE     (1ull << 0)
#define FEAT_SYSCALL X86_FEATURE(0x80000001, 0, 3, 11, "syscall")
extern char bench_syscall_stub[];
static u64 saved_efer;

static void fastcall_loop(void *p)
{
	u32 n = ((struct user_arg *)p)->n;
	u64 t0 = rdtsc();

	asm volatile("1: syscall\n\t"
		     "dec %0\n\t"
		     "jnz 1b"
		     : "+r"(n)
		     :
		     : "rcx", "r11", "memory", "cc");
	user_cycles = rdtsc() - t0;
}

static const char *fastcall_setup(void)
{
	if (!this_cpu_has(FEAT_SYSCALL))
		return "CPU lacks SYSCALL (CPUID.80000001H:EDX[11])";
	/* STAR[47:32] = CS (SS = +8) for SYSCALL; STAR[63:48] + 16 = CS and
	 * + 8 = SS for a 64-bit SYSRET. */
	gdt_set(GDT_FREE + 0, 0, 0xfffff, ACC_CODE(0), 0xa);
	gdt_set(GDT_FREE + 1, 0, 0xfffff, ACC_DATA(0), 0xc);
	gdt_set(GDT_FREE + 2, 0, 0xfffff, ACC_DATA(3), 0xc);
	gdt_set(GDT_FREE + 3, 0, 0xfffff, ACC_CODE(3), 0xa);
	wrmsr(MSR_STAR, ((u64)((GDT_FREE + 1) << 3 | 3) << 48) |
				((u64)(GDT_FREE << 3) << 32));
	wrmsr(MSR_LSTAR, (ulong)bench_syscall_stub);
	wrmsr(MSR_FMASK, X86_EFLAGS_IF | X86_EFLAGS_TF);
	saved_efer = rdmsr(MSR_EFER);
	wrmsr(MSR_EFER, saved_efer | EFER_SCE);
	(void)fastcall_stack;
	bench_fastcall_count = expected = 0;
	return NULL;
}

static void fastcall_teardown(void)
{
	wrmsr(MSR_EFER, saved_efer);
}
#else
#define MSR_SYSENTER_CS	 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define FEAT_SEP	 X86_FEATURE(1, 0, 3, 11, "sep")
extern char bench_sysenter_stub[];

static void fastcall_loop(void *p)
{
	u32 n = ((struct user_arg *)p)->n;
	u64 t0 = rdtsc();

	/* SYSEXIT returns to EDX with ESP = ECX. */
	asm volatile("1: mov %%esp, %%ecx\n\t"
		     "lea 2f, %%edx\n\t"
		     "sysenter\n"
		     "2: dec %0\n\t"
		     "jnz 1b"
		     : "+r"(n)
		     :
		     : "ecx", "edx", "memory", "cc");
	user_cycles = rdtsc() - t0;
}

static const char *fastcall_setup(void)
{
	if (!this_cpu_has(FEAT_SEP))
		return "CPU lacks SYSENTER (CPUID.1:EDX.SEP[11])";
	/* SYSENTER: CS = MSR, SS = +8; SYSEXIT: CS = +16, SS = +24. */
	gdt_set(GDT_FREE + 0, 0, 0xfffff, ACC_CODE(0), 0xc);
	gdt_set(GDT_FREE + 1, 0, 0xfffff, ACC_DATA(0), 0xc);
	gdt_set(GDT_FREE + 2, 0, 0xfffff, ACC_CODE(3), 0xc);
	gdt_set(GDT_FREE + 3, 0, 0xfffff, ACC_DATA(3), 0xc);
	wrmsr(MSR_SYSENTER_CS, GDT_FREE << 3);
	wrmsr(MSR_SYSENTER_ESP, (ulong)fastcall_stack + sizeof(fastcall_stack));
	wrmsr(MSR_SYSENTER_EIP, (ulong)bench_sysenter_stub);
	bench_fastcall_count = expected = 0;
	return NULL;
}

static void fastcall_teardown(void)
{
	wrmsr(MSR_SYSENTER_CS, 0);
}
#endif

static u64 fastcall_run(u32 n)
{
	return run_at_user(fastcall_loop, n);
}

static bool fastcall_verify(u64 ops, char *why, size_t len)
{
	(void)ops;
	return count_verify(bench_fastcall_count, why, len);
}

const struct bench bench_fastcall = {
#ifdef __x86_64__
	.name = "syscall-syscall",
#else
	.name = "syscall-sysenter",
#endif
	.iters = 2000,
	.setup = fastcall_setup,
	.run = fastcall_run,
	.verify = fastcall_verify,
	.teardown = fastcall_teardown,
};
