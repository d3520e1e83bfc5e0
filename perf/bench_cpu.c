/*
 * Single-instruction benchmarks at CPL 0: CALL/RET (what every monitor
 * runs natively or translates cheaply, the baseline), IN from a device
 * the monitor emulates (the UART scratch register), a guest-handled #DE
 * (SDM Vol. 3A, 6.15 "Interrupt 0"), and a control-register write: CR8
 * in 64-bit images (the task-priority register, SDM Vol. 3A, 10.8.6.1),
 * a CR3 reload with paging on in 32-bit ones (SDM Vol. 3A, 4.10.4.1),
 * and a read of CR0, the cheapest privileged instruction.
 */
#include "bench.h"
#include "report.h"
#include "x86.h"

/* callret: a loop of CALLs to a function that only returns. */
static u64 callret_done;

static u64 callret_run(u32 n)
{
	u32 k = n;
	u64 t0 = rdtsc();

	asm volatile("jmp 2f\n"
		     "1: ret\n"
		     "2: call 1b\n\t"
		     "dec %0\n\t"
		     "jnz 2b"
		     : "+r"(k)
		     :
		     : "memory", "cc");
	t0 = rdtsc() - t0;
	callret_done += n - k;
	return t0;
}

static bool callret_verify(u64 ops, char *why, size_t len)
{
	if (callret_done == ops)
		return true;
	BENCH_WHY(why, len, "expected %llu calls, saw %llu",
		  (unsigned long long)ops, (unsigned long long)callret_done);
	return false;
}

const struct bench bench_callret = {
	.name = "callret",
	.iters = 20000,
	.run = callret_run,
	.verify = callret_verify,
};

/* in: the 16550's scratch register (COM1 + 7) holds what was written. */
#define UART_SCR  (POPEK_COM1 + 7)
#define SCR_VALUE 0x5a
static u8 in_seen;

static const char *in_setup(void)
{
	outb(UART_SCR, SCR_VALUE);
	return NULL;
}

static u64 in_run(u32 n)
{
	u32 k = n;
	u8 v;
	u64 t0 = rdtsc();

	asm volatile("1: inb %%dx, %%al\n\t"
		     "dec %1\n\t"
		     "jnz 1b"
		     : "=a"(v), "+r"(k)
		     : "d"(UART_SCR)
		     : "memory", "cc");
	t0 = rdtsc() - t0;
	/* exactly n INs per run: popek's tests count the monitor's exits */
	in_seen = v;
	return t0;
}

static bool in_verify(u64 ops, char *why, size_t len)
{
	(void)ops;
	if (in_seen == SCR_VALUE)
		return true;
	BENCH_WHY(why, len,
		  "expected the scratch register to read %#x, saw "
		  "%#x",
		  SCR_VALUE, in_seen);
	return false;
}

const struct bench bench_in = {
	.name = "in",
	.iters = 2000,
	.setup = in_setup,
	.run = in_run,
	.verify = in_verify,
};

/* divzero: `div %ebx` with EBX = 0; the handler skips the instruction. */
ulong bench_de_count;
extern char bench_de_stub[];
static struct gate_save de_saved;
static u64 de_expected;

static const char *de_setup(void)
{
	bench_de_count = de_expected = 0;
	bench_set_gate(DE_VECTOR, bench_de_stub, 0, &de_saved);
	return NULL;
}

static u64 de_run(u32 n)
{
	u32 k = n;
	u64 t0 = rdtsc();

	asm volatile("1: div %%ebx\n\t" /* f7 f3: the stub skips 2 bytes */
		     "dec %0\n\t"
		     "jnz 1b"
		     : "+c"(k)
		     : "a"(1), "d"(0), "b"(0)
		     : "memory", "cc");
	de_expected += n;
	return rdtsc() - t0;
}

static bool de_verify(u64 ops, char *why, size_t len)
{
	(void)ops;
	if (bench_de_count == de_expected)
		return true;
	BENCH_WHY(why, len, "expected %llu #DE, saw %lu",
		  (unsigned long long)de_expected, bench_de_count);
	return false;
}

static void de_teardown(void)
{
	bench_restore_gate(DE_VECTOR, &de_saved);
}

const struct bench bench_divzero = {
	.name = "divzero",
	.iters = 2000,
	.setup = de_setup,
	.run = de_run,
	.verify = de_verify,
	.teardown = de_teardown,
};

/*
 * cr0read: MOV from CR0, privileged (#GP at CPL > 0, SDM Vol. 2B MOV
 * Control Registers) and so never run natively by a software monitor,
 * but with nothing to do beyond copying a register: under binary
 * translation one operation is one callout round trip and nothing else,
 * which makes this row the cost of a callout.
 */
static ulong cr0_seen;

static u64 cr0_run(u32 n)
{
	u32 k = n;
	ulong v = 0;
	u64 t0 = rdtsc();

	asm volatile("1: mov %%cr0, %1\n\t"
		     "dec %0\n\t"
		     "jnz 1b"
		     : "+r"(k), "+r"(v)
		     :
		     : "memory", "cc");
	t0 = rdtsc() - t0;
	cr0_seen = v;
	return t0;
}

static bool cr0_verify(u64 ops, char *why, size_t len)
{
	ulong cr0 = read_cr0();

	(void)ops;
	/* PE is set in every image; the loop's last read equals CR0 now. */
	if (cr0_seen == cr0 && (cr0_seen & X86_CR0_PE))
		return true;
	BENCH_WHY(why, len, "expected MOV from CR0 to read %#lx, saw %#lx", cr0,
		  cr0_seen);
	return false;
}

const struct bench bench_cr0read = {
	.name = "cr0read",
	.iters = 2000,
	.run = cr0_run,
	.verify = cr0_verify,
};

#ifdef __x86_64__
/* cr8wr: TPR 0 (nothing masked) written again and again. */
static ulong cr8_seen = ~0ul;

static u64 cr8_run(u32 n)
{
	u32 k = n;
	u64 t0 = rdtsc();

	asm volatile("1: mov %1, %%cr8\n\t"
		     "dec %0\n\t"
		     "jnz 1b"
		     : "+r"(k)
		     : "r"(0ul)
		     : "memory", "cc");
	t0 = rdtsc() - t0;
	asm volatile("mov %%cr8, %0" : "=r"(cr8_seen));
	return t0;
}

static bool cr8_verify(u64 ops, char *why, size_t len)
{
	(void)ops;
	if (cr8_seen == 0)
		return true;
	BENCH_WHY(why, len, "expected CR8 to read 0, saw %#lx", cr8_seen);
	return false;
}

const struct bench bench_ctlreg = {
	.name = "cr8wr",
	.iters = 2000,
	.run = cr8_run,
	.verify = cr8_verify,
};
#else
/* cr3reload: the same CR3 written back, a full non-global TLB flush. */
#define CR3_PROBE_VA BENCH_SLICE(0)
#define CR3_MAGIC    0xc3c3c3c3u
static u32 *cr3_frame;
static u32 cr3_seen;

static const char *cr3_setup(void)
{
	cr3_frame = alloc_page();
	cr3_frame[0] = CR3_MAGIC;
	pg_map(bench_pt, CR3_PROBE_VA, (ulong)cr3_frame, PT_RW);
	return NULL;
}

static u64 cr3_run(u32 n)
{
	u32 k = n;
	u64 t0 = rdtsc();

	asm volatile("1: mov %1, %%cr3\n\t"
		     "dec %0\n\t"
		     "jnz 1b"
		     : "+r"(k)
		     : "r"(read_cr3())
		     : "memory", "cc");
	t0 = rdtsc() - t0;
	cr3_seen = *(volatile u32 *)CR3_PROBE_VA;
	return t0;
}

static bool cr3_verify(u64 ops, char *why, size_t len)
{
	(void)ops;
	if (cr3_seen == CR3_MAGIC && read_cr3() == bench_pt->root)
		return true;
	BENCH_WHY(why, len,
		  "expected %#x through the mapping and CR3 %#llx, "
		  "saw %#x and %#lx",
		  CR3_MAGIC, (unsigned long long)bench_pt->root, cr3_seen,
		  read_cr3());
	return false;
}

const struct bench bench_ctlreg = {
	.name = "cr3reload",
	.flags = BENCH_PAGING,
	.iters = 2000,
	.setup = cr3_setup,
	.run = cr3_run,
	.verify = cr3_verify,
};
#endif
