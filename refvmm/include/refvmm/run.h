/* The run loop shared by every execution mode. */
#ifndef REFVMM_RUN_H
#define REFVMM_RUN_H

#include <signal.h>

#include "types.h"

struct vcpu;

struct run_options {
	u64 timeout_ns; /* 0: none */
};

/*
 * Runs until the machine stops; returns the process exit status and
 * leaves the reason in vcpu->machine->stop_msg.
 */
int vcpu__run_loop(struct vcpu *vcpu, const struct run_options *opts);

/*
 * The deadline timer interrupts the mode's run by setting *flag (KVM's
 * immediate_exit) from a signal handler and by the signal itself.
 */
int kick__init(void);
/* REFVMM_KICK_STORM_US: its microseconds, 0 when unset, -ERANGE when
 * it is not a whole number from 1 to 1000000. */
long kick__storm_us(void);
/* From a SIGUSR1 handler (async-signal-safe): counts the storm's. */
void kick__note(const siginfo_t *si);
/* The storm's signals handled so far (--stats kicks.storm_signals). */
u64 kick__storm_signals(void);
void kick__set_target(volatile u8 *flag);
void kick__arm(u64 deadline_ns);
void kick__exit(void);
/*
 * Ends the mode's run at its next guest entry. For devices whose state
 * changes inside a run (MMIO the software modes emulate in place): the
 * run loop then looks at the interrupt source and the deadlines again.
 */
void kick__now(void);

#endif
