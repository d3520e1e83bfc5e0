/*
 * Hostile guests for the monitors' containment tests (refvmm/tests):
 * random bytes run as code at CPL 0 and CPL 3, wild jumps, and Linux
 * system calls issued the three ways a 32-bit process can. Whatever the
 * guest does to itself, the monitor must end with a documented result and
 * never run a host system call for it. Built with one HOSTILE_* mode.
 */
#include "desc.h"
#include "fault.h"
#include "report.h"
#include "x86.h"

POPEK_IMAGE(0, POPEK_IMAGE_SELFTEST);

#if defined(HOSTILE_RANDOM) || defined(HOSTILE_JUMPS)
#define ROUNDS 64

static u8 code[4096] __aligned(4096);
static u32 lcg = 0x2545f491;

static u32 next_random(void)
{
	lcg = lcg * 1664525u + 1013904223u;
	return lcg;
}

static void run_code(void *entry)
{
	((void (*)(void))entry)();
}

static void rounds(int cpl)
{
	struct fault f;

	for (int r = 0; r < ROUNDS; r++) {
		void *entry = code;

#ifdef HOSTILE_RANDOM
		for (unsigned i = 0; i < sizeof(code); i++)
			code[i] = next_random() >> 24;
#else
		entry = (void *)(ulong)next_random();
#endif
		if (cpl)
			run_at_cpl(cpl, run_code, entry, &f);
		else
			try_call(run_code, entry, &f);
	}
}
#endif

#ifdef HOSTILE_SYSCALLS
/* exit(0x42) the Linux i386 way: if the monitor let it through, the
 * monitor process would end with status 0x42 instead of the guest's. */
static void int80_exit(void *a)
{
	(void)a;
	asm volatile("int $0x80" : : "a"(1), "b"(0x42) : "memory");
}

static void sysenter_exit(void *a)
{
	(void)a;
	asm volatile("sysenter" : : "a"(1), "b"(0x42) : "memory");
}

static void syscall_exit(void *a)
{
	(void)a;
	asm volatile("syscall" : : "a"(1), "b"(0x42) : "memory", "ecx");
}
#endif

void probe_main(void)
{
#if defined(HOSTILE_RANDOM) || defined(HOSTILE_JUMPS)
	rounds(0);
	rounds(3);
	report("selftest.hostile.survived",
	       "the guest survived its own hostile code", true, "-");
#elif defined(HOSTILE_SYSCALLS)
	struct fault f;

	/* INT 0x80 goes through the guest's own DPL 3 gate 0x80. */
	try_call(int80_exit, NULL, &f);
	report_eq("selftest.hostile.int80.cpl0",
		  "INT 0x80 with Linux exit() numbers is the guest's own INT",
		  0x80, f.vector);
	run_at_cpl(3, int80_exit, NULL, &f);
	report_eq("selftest.hostile.int80.cpl3",
		  "INT 0x80 at CPL 3 with Linux exit() numbers is the guest's "
		  "own INT",
		  0x80, f.vector);
	/* SYSENTER with IA32_SYSENTER_CS = 0 raises #GP(0) (SDM Vol. 2B). */
	wrmsr(0x174, 0);
	run_at_cpl(3, sysenter_exit, NULL, &f);
	report_eq("selftest.hostile.sysenter.cpl3",
		  "SYSENTER with SYSENTER_CS = 0 raises #GP(0) in the guest",
		  (u64)GP_VECTOR << 32, ((u64)f.vector << 32) | f.error);
	/* SYSCALL outside long mode with EFER.SCE = 0 is #UD (SDM Vol. 2B;
	 * AMD APM Vol. 3). */
	run_at_cpl(3, syscall_exit, NULL, &f);
	report_eq("selftest.hostile.syscall.cpl3",
		  "SYSCALL with EFER.SCE = 0 raises #UD in the guest",
		  UD_VECTOR, f.vector);
#else
#error "one HOSTILE_* mode"
#endif
}
