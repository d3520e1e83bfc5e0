/*
 * Traps: what a host signal from guest code means for the guest
 * (the paper's "privileged instruction trap"). The kernel passes the
 * hardware vector (trapno) and error code in the signal context:
 *   SIGSEGV  #GP(13) #NP(11) #SS(12) #TS(10) #PF(14) #OF(4) #BR(5)
 *   SIGBUS   #SS(12) #AC(17)      SIGILL  #UD(6)
 *   SIGFPE   #DE(0) #MF(16) #XM(19)  SIGTRAP #DB(1) #BP(3)
 *   SIGSYS   a system call from guest linear space (seccomp)
 */
#ifndef REFVMM_SW_TRAPS_H
#define REFVMM_SW_TRAPS_H

#include "refvmm/sw/cpu.h"

enum sw_event_kind {
	SW_EV_FAULT,   /* the CPU raised @vector at the instruction */
	SW_EV_TRAP,    /* trap-class: @vector after the instruction */
	SW_EV_SYSCALL, /* int 0x80 / sysenter / syscall (EIP after it) */
	SW_EV_KICK,    /* the deadline timer */
	SW_EV_ESCAPE,  /* the guest reached 64-bit host code */
	SW_EV_UNKNOWN,
};

struct sw_event {
	enum sw_event_kind kind;
	int vector;
	u32 error;
	bool has_error;
	u32 cr2;
	int syscall_nr;
	const char *what; /* for --trace and error lines */
	/* Translated code left on purpose (a callout, bt/): no host fault
	 * happened, counted as events.callout, not as the vector's. */
	bool callout;
};

void traps__decode(const struct sw_cpu *c, int exit_kind, struct sw_event *ev);
bool traps__vector_has_error(int vector);
/*
 * Whether a system-call event's EIP is Linux's SYSENTER landing pad.
 * Where SYSENTER from compatibility mode reaches Linux (Intel CPUs), the
 * kernel reports the return address of its 32-bit vDSO convention, not
 * the guest's: an address in the first pages past the (64-bit) vDSO
 * base, truncated to 32 bits. It has also replaced ESP by EBP and EBP by
 * the dword at [EBP] (the vDSO's stash).
 */
bool traps__sysenter_landing(u32 eip);

/* The linear pages that landing pad can be in, [*lo, *hi): false when
 * the process has no vDSO. */
bool traps__sysenter_landing_range(u32 *lo, u32 *hi);

#endif
