/*
 * World switch, C half (world_switch.h): the monitor window, the
 * alternate signal stack, the signal handler that turns a guest fault
 * into a landing, and the entry wrapper.
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "refvmm/clock.h"
#include "refvmm/exitcode.h"
#include "refvmm/host_cpu.h"
#include "refvmm/run.h"
#include "refvmm/sw/shadow_desc.h"
#include "refvmm/sw/world_switch.h"

_Static_assert(offsetof(struct sw_cpu, host_rsp) == SW_OFF_HOST_RSP, "asm");
_Static_assert(offsetof(struct sw_cpu, host_fsbase) == SW_OFF_HOST_FSBASE,
	       "asm");
_Static_assert(offsetof(struct sw_cpu, host_gsbase) == SW_OFF_HOST_GSBASE,
	       "asm");
_Static_assert(offsetof(struct sw_cpu, xsave_host) == SW_OFF_XSAVE_HOST, "asm");
_Static_assert(offsetof(struct sw_cpu, xsave_guest) == SW_OFF_XSAVE_GUEST,
	       "asm");
_Static_assert(offsetof(struct sw_cpu, gpr) == SW_OFF_GPR, "asm");
_Static_assert(offsetof(struct sw_cpu, eip) == SW_OFF_EIP, "asm");
_Static_assert(offsetof(struct sw_cpu, host_eflags) == SW_OFF_HOST_EFL, "asm");
_Static_assert(offsetof(struct sw_cpu, hsel) == SW_OFF_HSEL, "asm");
_Static_assert(offsetof(struct sw_cpu, exit_kind) == SW_OFF_EXIT_KIND, "asm");
_Static_assert(offsetof(struct sw_cpu, kick) == SW_OFF_KICK, "asm");
_Static_assert(offsetof(struct sw_cpu, use_fxsave) == SW_OFF_USE_FXSAVE, "asm");
_Static_assert(offsetof(struct sw_cpu, use_xsaveopt) == SW_OFF_USE_XSAVEOPT,
	       "asm");
_Static_assert(offsetof(struct sw_cpu, host_fcw) == SW_OFF_HOST_FCW, "asm");
_Static_assert(offsetof(struct sw_cpu, guest_narrow) == SW_OFF_GUEST_NARROW,
	       "asm");
_Static_assert(offsetof(struct sw_cpu, init_in_use) == SW_OFF_INIT_IN_USE,
	       "asm");
_Static_assert(offsetof(struct sw_cpu, use_rdpkru) == SW_OFF_USE_RDPKRU, "asm");
_Static_assert(offsetof(struct sw_cpu, host_pkru) == SW_OFF_HOST_PKRU, "asm");
_Static_assert(offsetof(struct sw_cpu, use_wrfsbase) == SW_OFF_USE_WRFSBASE,
	       "asm");
_Static_assert(sizeof(struct sw_cpu) <= 4096, "one page");

/* Read by the asm: one vCPU per process, as signals are per process. */
struct sw_cpu *sw_cpu_current;
u64 sw_host_fsbase;
u8 sw_use_wrfsbase;
/* Set when the handler returns straight into guest code (world_switch.S
 * reloads FS for the guest's base then). */
u8 sw_signal_reload_fs;
int (*sw_signal_hook)(int sig, void *uc, struct sw_cpu *c);

int sw_world_enter_asm(struct sw_cpu *c);
void sw_signal_entry(int sig, siginfo_t *si, void *uc);
void sw_signal_handler(int sig, siginfo_t *si, void *uc);
extern char sw_world_critical[], sw_world_critical_end[], sw_world_bail[];
extern char sw_world_landing[];

/* asm/sigcontext.h uc_flags; glibc's ucontext.h lacks them. */
#ifndef UC_SIGCONTEXT_SS
#define UC_SIGCONTEXT_SS 0x2
#endif
#ifndef UC_STRICT_RESTORE_SS
#define UC_STRICT_RESTORE_SS 0x4
#endif

#define HWCAP2_FSGSBASE_BIT (1ul << 1) /* asm/hwcap2.h */
#define WINDOW_PAD	    SW_WINDOW_BASE
#define WINDOW_VCPU	    (SW_WINDOW_BASE + 0x1000)
#define ALTSTACK_SIZE	    (64 * 1024)

static const int guest_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE,
				    SIGTRAP, SIGSYS, SIGUSR1};
static u64 signal_counts[65];
static void *altstack;
/* PR_TSC_SIGSEGV also traps the vDSO clock: re-armed lazily. */
static bool tsc_trapping, tsc_armed;
static u64 tsc_rearms, monitor_tsc_faults;

void sw_world__set_tsc_trapping(bool on)
{
	tsc_trapping = on;
	clock__set_tsc_trapped(on);
	tsc_armed = false;
	if (!on)
		prctl(PR_SET_TSC, PR_TSC_ENABLE, 0, 0, 0);
}

u64 sw_world__tsc_rearms(void)
{
	return tsc_rearms;
}

u64 sw_world__monitor_tsc_faults(void)
{
	return monitor_tsc_faults;
}

/* The one RDTSC in refvmm's monitor (a test checks the binary). */
u64 sw_world__host_tsc(void)
{
	u32 lo, hi;

	if (tsc_armed) {
		prctl(PR_SET_TSC, PR_TSC_ENABLE, 0, 0, 0);
		tsc_armed = false;
	}
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

/* RDTSC (0f 31) or RDTSCP (0f 01 f9) in the monitor, e.g. the vDSO. */
static bool monitor_rdtsc(int sig, const greg_t *g)
{
	const u8 *p = (const u8 *)g[REG_RIP];

	if (sig != SIGSEGV || !tsc_trapping || g[REG_TRAPNO] != 13)
		return false;
	if (!(p[0] == 0x0f && (p[1] == 0x31 || (p[1] == 0x01 && p[2] == 0xf9))))
		return false;
	prctl(PR_SET_TSC, PR_TSC_ENABLE, 0, 0, 0);
	tsc_armed = false;
	monitor_tsc_faults++;
	return true;
}

u64 sw_world__signals(int signo)
{
	return signo > 0 && signo < 65 ? signal_counts[signo] : 0;
}

static void die_async(const char *what, int nr, u64 rip)
{
	char buf[160];
	int n = snprintf(buf, sizeof(buf), "refvmm: %s %d at rip 0x%llx\n",
			 what, nr, (unsigned long long)rip);

	if (n > 0 && write(2, buf, (size_t)n) < 0)
		_exit(REFVMM_EXIT_HOST_ERROR);
	_exit(REFVMM_EXIT_HOST_ERROR);
}

/* Saves what the guest was doing in @c and makes the signal return land
 * in the monitor: 64-bit code, host stack, a clean RFLAGS. */
static void record_and_land(int sig, const siginfo_t *si, ucontext_t *uc,
			    struct sw_cpu *c)
{
	greg_t *g = uc->uc_mcontext.gregs;
	u64 csgsfs = (u64)g[REG_CSGSFS];
	u16 cs = csgsfs & 0xffff;
	u64 rip = (u64)g[REG_RIP];

	if (sig > 0 && sig < 65)
		signal_counts[sig]++;
	c->signo = sig;
	c->si_code = si->si_code;
	c->trapno = (int)g[REG_TRAPNO];
	c->err = (u32)g[REG_ERR];
	c->addr = (u64)si->si_addr;
	c->syscall_nr = sig == SIGSYS ? si->si_syscall : -1;
	c->gpr[0] = (u32)g[REG_RAX];
	c->gpr[1] = (u32)g[REG_RCX];
	c->gpr[2] = (u32)g[REG_RDX];
	c->gpr[3] = (u32)g[REG_RBX];
	c->gpr[4] = (u32)g[REG_RSP];
	c->gpr[5] = (u32)g[REG_RBP];
	c->gpr[6] = (u32)g[REG_RSI];
	c->gpr[7] = (u32)g[REG_RDI];
	c->eip = (u32)rip;
	c->host_eflags = (u32)g[REG_EFL];
	c->hsel[SW_CS] = cs;
	c->hsel[SW_SS] = (csgsfs >> 48) & 0xffff;
	if (!(uc->uc_flags & UC_SIGCONTEXT_SS))
		c->hsel[SW_SS] = sw_slot_sel(SW_SS); /* old kernel: assume */
	/* TF, DF and AC off */
	g[REG_RIP] = (greg_t)WINDOW_PAD;
	csgsfs &= ~0xffffull;
	csgsfs |= HOST_CS64;
	csgsfs &= ~(0xffffull << 48);
	csgsfs |= (u64)HOST_SS64 << 48;
	g[REG_CSGSFS] = (greg_t)csgsfs;
	g[REG_RSP] = (greg_t)((c->host_rsp - 256) & ~15ull);
	g[REG_EFL] = 0x202;
	uc->uc_flags |= UC_STRICT_RESTORE_SS;
}

void sw_signal_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	struct sw_cpu *c = sw_cpu_current;
	u64 csgsfs = (u64)g[REG_CSGSFS];
	u16 cs = csgsfs & 0xffff;
	u64 rip = (u64)g[REG_RIP];
	/* The monitor: 64-bit code above 4 GiB, or the landing pad. */
	bool monitor = cs == HOST_CS64 &&
		       (rip >= 0x100000000ull ||
			(rip >= WINDOW_PAD && rip < WINDOW_PAD + 0x1000));

	if (sig == SIGUSR1)
		kick__note(si);
	if (c && c->in_guest && sw_signal_hook) {
		switch (sw_signal_hook(sig, ucv, c)) {
		case SW_HOOK_RESUME:
			if (cs != HOST_CS64)
				sw_signal_reload_fs = 1;
			return;
		case SW_HOOK_KICK:
			c->kick = 1;
			c->exit_kind = SW_EXIT_KICK;
			goto record;
		default:
			break;
		}
	}
	if (sig == SIGUSR1) {
		if (c)
			c->kick = 1;
		if (!c || !c->in_guest)
			return;
		if (monitor) {
			if (rip >= (u64)sw_world_critical &&
			    rip <= (u64)sw_world_critical_end)
				g[REG_RIP] = (greg_t)sw_world_bail;
			return;
		}
		c->exit_kind = SW_EXIT_KICK;
	} else {
		if (!c || !c->in_guest || monitor) {
			if (monitor && monitor_rdtsc(sig, g))
				return;
			if (sig == SIGSYS)
				die_async("seccomp: the monitor made a system "
					  "call outside its allowlist: number",
					  si->si_syscall, rip);
			die_async("fault inside the monitor: signal", sig, rip);
		}
		c->exit_kind = SW_EXIT_SIGNAL;
	}
record:
	record_and_land(sig, si, uc, c);
}

static int install_signals(char *err, size_t errlen)
{
	struct sigaction sa;
	stack_t ss;
	size_t i;

	altstack = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (altstack == MAP_FAILED) {
		altstack = NULL;
		snprintf(err, errlen, "cannot allocate the signal stack: %s",
			 strerror(errno));
		return -errno;
	}
	ss = (stack_t){.ss_sp = altstack, .ss_size = ALTSTACK_SIZE};
	if (sigaltstack(&ss, NULL) < 0)
		goto err;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sw_signal_entry;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	/* The kick must not interrupt the handling of a guest fault. */
	sigaddset(&sa.sa_mask, SIGUSR1);
	for (i = 0; i < sizeof(guest_signals) / sizeof(guest_signals[0]); i++)
		if (sigaction(guest_signals[i], &sa, NULL) < 0)
			goto err;
	return 0;
err:
	snprintf(err, errlen, "cannot install the signal handlers: %s",
		 strerror(errno));
	return -errno;
}

/* movabs $sw_world_landing, %rax; jmp *%rax */
static void write_pad(u8 *pad)
{
	u64 target = (u64)sw_world_landing;

	pad[0] = 0x48;
	pad[1] = 0xb8;
	memcpy(pad + 2, &target, 8);
	pad[10] = 0xff;
	pad[11] = 0xe0;
}

static u32 xsave_size(bool *fx)
{
	const struct host_cpu *h = host_cpu__get();

	*fx = !h->osxsave;
	return h->xsave_size;
}

/*
 * The shorter way back (world_switch.S): XGETBV with ECX 1 tells which
 * components are not in their initial configuration (XINUSE, SDM Vol. 1
 * 13.6), and only those need resetting. PKRU is then kept with
 * RDPKRU/WRPKRU, so the host's area holds nothing XRSTOR must load;
 * where XCR0 has PKRU but the kernel did not enable RDPKRU, or XINUSE
 * is not readable, every component is reset as before.
 */
static void set_xstate_paths(struct sw_cpu *c, bool fx)
{
	const struct host_cpu *h = host_cpu__get();
	u32 lo, hi;
	bool pkru;

	if (fx || !h->xinuse)
		return;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	pkru = lo & (1u << 9);
	if (pkru && !h->ospke)
		return;
	c->init_in_use = 1;
	c->use_rdpkru = pkru;
}

struct sw_cpu *sw_world__init(char *err, size_t errlen)
{
	u8 *window;
	struct sw_cpu *c;
	bool fx;
	u32 xs;

	window = mmap((void *)(uintptr_t)SW_WINDOW_BASE, SW_WINDOW_SIZE,
		      PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (window == MAP_FAILED || window != (u8 *)(uintptr_t)SW_WINDOW_BASE) {
		snprintf(err, errlen,
			 "cannot map the monitor window at 0x%x: %s",
			 SW_WINDOW_BASE, strerror(errno));
		return NULL;
	}
	if (mprotect(window, 0x2000, PROT_READ | PROT_WRITE) < 0)
		goto err_unmap;
	write_pad(window);
	if (mprotect(window, 0x1000, PROT_READ | PROT_EXEC) < 0)
		goto err_unmap;
	c = (struct sw_cpu *)(window + 0x1000);
	memset(c, 0, sizeof(*c));
	xs = xsave_size(&fx);
	c->use_fxsave = fx;
	c->use_xsaveopt = !fx && host_cpu__get()->xsaveopt;
	set_xstate_paths(c, fx);
	c->xsave_host = aligned_alloc(64, (xs + 63) & ~63u);
	c->xsave_guest = aligned_alloc(64, (xs + 63) & ~63u);
	if (!c->xsave_host || !c->xsave_guest)
		goto err_free;
	/* The host's area stays all zero but for MXCSR (world_switch.S):
	 * XSTATE_BV 0 makes XRSTOR put every component in its initial
	 * configuration. */
	memset(c->xsave_host, 0, xs);
	memset(c->xsave_guest, 0, xs);
	if (fx) {
		/* A sane initial FXSAVE image: FCW 0x37f, MXCSR 0x1f80. */
		c->xsave_guest[0] = 0x7f;
		c->xsave_guest[1] = 0x03;
	} else {
		/* XSTATE_BV = x87|SSE with their init values set below. */
		c->xsave_guest[512] = 3;
		c->xsave_guest[0] = 0x7f;
		c->xsave_guest[1] = 0x03;
	}
	c->xsave_guest[24] = 0x80;
	c->xsave_guest[25] = 0x1f;
	/* Every way back from the guest restores the monitor's FS base
	 * before any C runs: with wrfsbase where the kernel enables
	 * FSGSBASE, else with arch_prctl (world_switch.S). */
	c->use_wrfsbase = !!(getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE_BIT);
	if (c->use_wrfsbase) {
		asm volatile("rdfsbase %0" : "=r"(c->host_fsbase));
		asm volatile("rdgsbase %0" : "=r"(c->host_gsbase));
	} else if (syscall(SYS_arch_prctl, ARCH_GET_FS, &c->host_fsbase) < 0 ||
		   syscall(SYS_arch_prctl, ARCH_GET_GS, &c->host_gsbase) < 0) {
		snprintf(err, errlen, "cannot read the FS and GS bases: %s",
			 strerror(errno));
		goto err_free;
	}
	sw_use_wrfsbase = c->use_wrfsbase;
	sw_host_fsbase = c->host_fsbase;
	sw_cpu_current = c;
	if (install_signals(err, errlen) < 0)
		goto err_cur;
	return c;

err_cur:
	sw_cpu_current = NULL;
err_free:
	free(c->xsave_host);
	free(c->xsave_guest);
	if (!err[0])
		snprintf(err, errlen, "out of memory for the FPU areas");
	munmap(window, SW_WINDOW_SIZE);
	return NULL;
err_unmap:
	snprintf(err, errlen, "cannot set up the monitor window: %s",
		 strerror(errno));
	munmap(window, SW_WINDOW_SIZE);
	return NULL;
}

void sw_world__exit(struct sw_cpu *c)
{
	stack_t ss = {.ss_flags = SS_DISABLE};

	if (!c)
		return;
	sw_cpu_current = NULL;
	free(c->xsave_host);
	free(c->xsave_guest);
	munmap((void *)(uintptr_t)SW_WINDOW_BASE, SW_WINDOW_SIZE);
	sigaltstack(&ss, NULL);
	if (altstack)
		munmap(altstack, ALTSTACK_SIZE);
	altstack = NULL;
}

int sw_world__enter(struct sw_cpu *c)
{
	int kind;

	if (tsc_trapping && !tsc_armed) {
		prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0);
		tsc_armed = true;
		tsc_rearms++;
	}
	c->exit_kind = 0;
	c->in_guest = true;
	kind = sw_world_enter_asm(c);
	c->in_guest = false;
	return kind;
}
