/*
 * Hostile guests for the monitors' containment tests (refvmm/tests):
 * random bytes run as code at CPL 0 and CPL 3, wild jumps, and Linux
 * system calls issued the three ways a 32-bit process can, and a storm of
 * page-table switches and page-table writes through aliases (PAGING).
 * Whatever the
 * guest does to itself, the monitor must end with a documented result and
 * never run a host system call for it. Built with one HOSTILE_* mode.
 */
#include "desc.h"
#include "fault.h"
#include "paging.h"
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

#ifdef HOSTILE_PAGING
/*
 * Three address spaces that identity-map the runtime; the 4 MiB at
 * SCRATCH have their own page tables, aliased (with each page directory)
 * at ALIAS. Random rounds: switch CR3, write random values into scratch
 * PTEs and the scratch PDE through the aliases (not present, reserved
 * bits, large pages, pointers at page tables, beyond RAM), INVLPG, and
 * touch scratch pages at CPL 0 and 3. The runtime's own mappings are
 * never touched, so the guest lives to report.
 */
#define NSPACES 3
#define ROUNDS	4000
#define SCRATCH 0x01000000ul
#define ALIAS	0x40000000ul

static struct pgtable spaces[NSPACES];
static u32 lcg = 0x9e3779b9;
static u32 faults;

static u32 next_random(void)
{
	lcg = lcg * 1664525u + 1013904223u;
	return lcg >> 8;
}

static void touch(void *a)
{
	volatile u32 *p = a;
	u32 v = *p;

	if (v & 1)
		*p = v + 1;
}

static volatile u32 *alias_of(int space, int which)
{
	/* which 0: the scratch PT, 1: the page directory */
	return (volatile u32 *)(ALIAS + (ulong)(space * 2 + which) * 4096);
}

static u32 random_entry(int space)
{
	u32 pt = (u32)(ulong)pg_entry(&spaces[space], SCRATCH, 1, false);
	u32 frame;

	switch (next_random() % 6) {
	case 0:
		return 0; /* not present */
	case 1:
		frame = (next_random() % 0x4000) << 12; /* anywhere < 64 MiB */
		break;
	case 2:
		frame = pt & ~0xfffu; /* a page table: recursive */
		break;
	case 3:
		frame = 0xff000000u + ((next_random() & 0xff) << 12);
		break;
	default:
		frame = SCRATCH + ((next_random() & 0x3ff) << 12);
		break;
	}
	return frame | (next_random() & 0x1ff) | PT_P;
}

static void storm(void)
{
	struct fault f;
	u64 flags = PT_P | PT_RW | PT_US;

	for (int i = 0; i < NSPACES; i++) {
		pg_identity(&spaces[i], PG_2LEVEL, 0x02000000ul, flags);
		for (int a = 0; a < NSPACES; a++) {
			ulong pt =
				(ulong)pg_entry(&spaces[a], SCRATCH, 1, false);

			pg_map(&spaces[i], ALIAS + (ulong)a * 8192,
			       pt & ~0xffful, flags);
			pg_map(&spaces[i], ALIAS + (ulong)a * 8192 + 4096,
			       spaces[a].root, flags);
		}
	}
	pg_enable(&spaces[0]);
	for (int r = 0; r < ROUNDS; r++) {
		int s = next_random() % NSPACES;
		ulong va = SCRATCH + ((next_random() & 0x3ff) << 12);

		switch (next_random() % 8) {
		case 0:
			write_cr3(spaces[s].root);
			break;
		case 1:
			alias_of(s, 0)[next_random() & 0x3ff] = random_entry(s);
			break;
		case 2: {
			/* the scratch PDE: a table, a 4 MiB page, or junk */
			u32 pde = (u32)(ulong)pg_entry(&spaces[s], SCRATCH, 1,
						       false);
			u32 v = next_random() & 1 ? (pde & ~0xfffu) | 7
						  : random_entry(s) | PT_PS;

			alias_of(s, 1)[SCRATCH >> 22] = v;
			break;
		}
		case 3:
			invlpg((void *)va);
			break;
		case 4:
			/* a whole page table at once */
			for (int e = 0; e < 1024;
			     e += 1 + (int)(next_random() % 64))
				alias_of(s, 0)[e] = random_entry(s);
			break;
		case 5:
			faults += run_at_cpl(3, touch, (void *)va, &f) !=
				  NO_FAULT;
			break;
		default:
			faults += try_call(touch, (void *)va, &f) != NO_FAULT;
			break;
		}
	}
	pg_disable();
}
#endif

void probe_main(void)
{
#if defined(HOSTILE_PAGING)
	storm();
	report_diag("%u of %u rounds' accesses faulted", faults, ROUNDS);
	report("selftest.hostile.pagetables",
	       "the guest survived its page-table storm", true, "-");
#elif defined(HOSTILE_RANDOM) || defined(HOSTILE_JUMPS)
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
