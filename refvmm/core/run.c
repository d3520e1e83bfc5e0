/*
 * The run loop every mode shares: exit = mode->run(vcpu); handle(exit).
 * Between two runs it advances the timers, offers the pending interrupt
 * to the mode, and arms the deadline timer that cuts a run short when a
 * timer (or --timeout) is due while the guest computes. The interrupt
 * source is the local APIC where there is one (it passes the 8259's
 * output through, or steps aside while disabled), else the 8259.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "refvmm/exitcode.h"
#include "refvmm/lapic.h"
#include "refvmm/log.h"
#include "refvmm/machine.h"
#include "refvmm/mode.h"
#include "refvmm/pic8259.h"
#include "refvmm/pit8254.h"
#include "refvmm/run.h"
#include "refvmm/vcpu.h"
#include "refvmm/watchdog.h"

/*
 * Signals are per process, so the kick target is too: the one vCPU's
 * "leave the guest now" flag (KVM's kvm_run.immediate_exit).
 */
static volatile u8 *kick_flag;
static timer_t kick_timer, storm_timer;
static bool kick_timer_ok, storm_timer_ok;

/* The storm's signals that reached a handler (its timer's value). */
#define STORM_COOKIE 0x4b53
static volatile u64 storm_signals;

void kick__note(const siginfo_t *si)
{
	if (si && si->si_code == SI_TIMER &&
	    si->si_value.sival_int == STORM_COOKIE)
		storm_signals++;
}

u64 kick__storm_signals(void)
{
	return storm_signals;
}

static void kick__handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	kick__note(si);
	if (kick_flag)
		*kick_flag = 1;
}

/*
 * The test hook REFVMM_KICK_STORM_US=N (1 to 1000000): a kick every N
 * microseconds besides the deadline's, so that kicks land at every
 * point of the monitor's and the guest's code. A kick only ends a run
 * early; what the guest sees must not change (docs/refvmm.md, "Kicks").
 */
long kick__storm_us(void)
{
	const char *s = getenv("REFVMM_KICK_STORM_US");
	unsigned long us;
	char *end;

	if (!s)
		return 0;
	errno = 0;
	us = strtoul(s, &end, 10);
	if (errno || end == s || *end || !us || us > 1000000)
		return -ERANGE;
	return (long)us;
}

static int kick__storm(struct sigevent *sev)
{
	long us = kick__storm_us();
	struct itimerspec its;

	if (us <= 0)
		return (int)us;
	sev->sigev_value.sival_int = STORM_COOKIE;
	if (timer_create(CLOCK_MONOTONIC, sev, &storm_timer) < 0)
		return -errno;
	storm_timer_ok = true;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(us / 1000000);
	its.it_value.tv_nsec = (us % 1000000) * 1000;
	its.it_interval = its.it_value;
	if (timer_settime(storm_timer, 0, &its, NULL) < 0)
		return -errno;
	return 0;
}

int kick__init(void)
{
	struct sigaction sa;
	struct sigevent sev;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = kick__handler;
	sigemptyset(&sa.sa_mask);
	/*
	 * SA_RESTART: a kick must not fail refvmm's own host I/O. Without
	 * it a write to a slow stdout (a tty, a pipe) that the kick
	 * interrupts before a byte went out fails with EINTR, and stdio
	 * drops the buffered serial line, log event or stats. KVM_RUN
	 * still returns at once: the handler sets kvm_run.immediate_exit,
	 * and KVM ends the run with -EINTR itself, which the kernel never
	 * restarts (signal(7)); so is clock_nanosleep, the HLT wait.
	 */
	sa.sa_flags = SA_RESTART | SA_SIGINFO;
	if (sigaction(SIGUSR1, &sa, NULL) < 0)
		return -errno;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGUSR1;
	if (timer_create(CLOCK_MONOTONIC, &sev, &kick_timer) < 0)
		return -errno;
	kick_timer_ok = true;
	return kick__storm(&sev);
}

void kick__set_target(volatile u8 *flag)
{
	kick_flag = flag;
}

void kick__now(void)
{
	if (kick_flag)
		*kick_flag = 1;
}

void kick__arm(u64 deadline_ns)
{
	struct itimerspec its;

	if (!kick_timer_ok)
		return;
	memset(&its, 0, sizeof(its));
	/* A zero it_value disarms; a past deadline fires at once. */
	its.it_value.tv_sec = (time_t)(deadline_ns / NSEC_PER_SEC);
	its.it_value.tv_nsec = (long)(deadline_ns % NSEC_PER_SEC);
	timer_settime(kick_timer, TIMER_ABSTIME, &its, NULL);
}

void kick__exit(void)
{
	if (kick_timer_ok)
		timer_delete(kick_timer);
	if (storm_timer_ok)
		timer_delete(storm_timer);
	kick_timer_ok = storm_timer_ok = false;
	kick_flag = NULL;
}

/* How long an interrupt held by the TPR waits before the loop looks at
 * a TPR the guest may have lowered without an exit. */
#define LAPIC_RECHECK_NS 1000000ull

static u64 earliest(u64 a, u64 b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return a < b ? a : b;
}

static bool run__irq_pending(struct machine *m)
{
	if (m->lapic)
		return lapic__has_output(m->lapic);
	return m->pic && pic8259__has_output(m->pic);
}

/* The next timer interrupt (ns), 0 if none is armed. */
static u64 run__timer_deadline(struct machine *m)
{
	return earliest(m->pit ? pit8254__next_deadline(m->pit) : 0,
			m->lapic ? lapic__next_deadline(m->lapic) : 0);
}

/* The INTA cycle as the mode performs it, counted and traced. */
static int run__ack(void *ctx)
{
	struct vcpu *vcpu = ctx;
	struct machine *m = vcpu->machine;
	int vector = m->lapic ? lapic__ack(m->lapic) : pic8259__ack(m->pic);

	stats__add(&m->stats, "irq.injected", 1);
	if (m->log_events & LOG_IRQ)
		log__printf("irq inject vector 0x%02x", vector);
	return vector;
}

static void run__hlt(struct vcpu *vcpu, const struct vm_exit *exit,
		     u64 timeout_at)
{
	struct machine *m = vcpu->machine;
	u64 deadline;

	if (!exit->hlt.if_flag) {
		/*
		 * Nothing but NMI or SMI could resume it, and refvmm has
		 * neither: a hang. (Probes write 0xf4 before cli; hlt.)
		 */
		machine__stop(m, REFVMM_EXIT_GUEST_HANG,
			      "guest halted with interrupts off (HLT with "
			      "IF=0)%s",
			      exit->detail);
		return;
	}
	if (run__irq_pending(m))
		return;
	deadline = run__timer_deadline(m);
	if (!deadline) {
		machine__stop(m, REFVMM_EXIT_GUEST_HANG,
			      "guest halted with no timer armed (HLT with "
			      "IF=1, nothing can wake it)%s",
			      exit->detail);
		return;
	}
	stats__add(&m->stats, "hlt.waits", 1);
	m->clock->sleep_until(m->clock, earliest(deadline, timeout_at));
}

static void run__handle(struct vcpu *vcpu, struct vm_exit *exit, u64 timeout_at)
{
	struct machine *m = vcpu->machine;
	u32 i;

	switch (exit->reason) {
	case VM_EXIT_IO:
		for (i = 0; i < exit->io.count && !m->stop; i++)
			machine__pio(m, vcpu, exit->io.port,
				     exit->io.data + i * exit->io.size,
				     exit->io.size, exit->io.is_write);
		break;
	case VM_EXIT_MMIO:
		machine__mmio(m, vcpu, exit->mmio.addr, exit->mmio.data,
			      exit->mmio.len, exit->mmio.is_write);
		break;
	case VM_EXIT_HLT:
		run__hlt(vcpu, exit, timeout_at);
		break;
	case VM_EXIT_SHUTDOWN:
		machine__stop(m, REFVMM_EXIT_TRIPLE_FAULT,
			      "guest shut down (triple fault)%s", exit->detail);
		break;
	case VM_EXIT_INTERNAL:
		machine__stop(m, REFVMM_EXIT_INTERNAL_ERROR, "%s",
			      exit->detail);
		break;
	case VM_EXIT_FAIL_ENTRY:
		machine__stop(m, REFVMM_EXIT_ENTRY_FAILED, "%s", exit->detail);
		break;
	case VM_EXIT_HOST_ERROR:
		machine__stop(m, REFVMM_EXIT_HOST_ERROR, "%s", exit->detail);
		break;
	default:
		break;
	}
}

int vcpu__run_loop(struct vcpu *vcpu, const struct run_options *opts)
{
	struct machine *m = vcpu->machine;
	const struct mode_ops *mode = vcpu->mode;
	u64 start = clock__now(m->clock);
	u64 timeout_at = opts->timeout_ns ? start + opts->timeout_ns : 0;
	u64 armed = UINT64_MAX;
	char name[64];

	/* The kick asks a run to end at timeout_at; the watchdog ends the
	 * process if it cannot. */
	watchdog__arm(timeout_at);
	while (!m->stop) {
		struct vm_exit exit;
		u64 now, deadline;

		/* Clear first: a kick after this point ends the next run. */
		if (kick_flag)
			*kick_flag = 0;
		now = clock__now(m->clock);
		if (timeout_at && now >= timeout_at) {
			machine__stop(m, REFVMM_EXIT_TIMEOUT,
				      "timeout: guest still running after "
				      "%.3g s",
				      (double)opts->timeout_ns / NSEC_PER_SEC);
			break;
		}
		if (m->pit)
			pit8254__update(m->pit);
		if (m->lapic)
			lapic__update(m->lapic);
		/* NMI before a maskable interrupt (SDM Vol. 3A 6.9). */
		if (m->lapic && lapic__nmi_pending(m->lapic) &&
		    mode->inject_nmi) {
			if (mode->inject_nmi(vcpu) == 0) {
				lapic__take_nmi(m->lapic);
				stats__add(&m->stats, "nmi.injected", 1);
				if (m->log_events & LOG_IRQ)
					log__printf("nmi inject");
			} else {
				stats__add(&m->stats, "nmi.window_requests", 1);
			}
		}
		if (run__irq_pending(m) && mode->inject &&
		    mode->inject(vcpu, run__ack, vcpu) == -EAGAIN)
			stats__add(&m->stats, "irq.window_requests", 1);
		deadline = earliest(run__timer_deadline(m), timeout_at);
		/* hw mode: a MOV to CR8 that lowers the TPR under an
		 * interrupt it held need not exit (kvm_pvm does not), so look
		 * again soon: the exit brings the new CR8 (kvm.c) */
		if (m->lapic && lapic__held(m->lapic))
			deadline = earliest(deadline, now + LAPIC_RECHECK_NS);
		if (deadline != armed) {
			kick__arm(deadline);
			armed = deadline;
		}

		memset(&exit, 0, offsetof(struct vm_exit, detail) + 1);
		mode->run(vcpu, &exit);
		snprintf(name, sizeof(name), "exits.%s",
			 vm_exit_names[exit.reason]);
		stats__add(&m->stats, name, 1);
		if ((m->log_events & LOG_EXIT) && exit.reason != VM_EXIT_KICK)
			log__printf("exit %s", vm_exit_names[exit.reason]);
		run__handle(vcpu, &exit, timeout_at);
	}
	kick__arm(0);
	watchdog__arm(0);
	if (storm_timer_ok)
		stats__set(&m->stats, "kicks.storm_signals",
			   kick__storm_signals());
	return m->stop_status;
}
