/*
 * The world switch of the software monitor (docs/refvmm.md, "Hard
 * corners of the software monitor"). One routine enters guest code in
 * 32-bit compatibility mode at host CPL 3 (iretq to the host LDT
 * selectors in sw_cpu.hsel); every way back lands in one place:
 *
 *   guest fault/trap -> signal on the alternate stack -> asm stub
 *   (host FS base: wrfsbase or arch_prctl, before any C) -> C handler
 *   records the guest registers and rewrites the context -> sigreturn
 *   into the landing
 *   pad, 64-bit code at the bottom of the monitor window (a future BT
 *   callout gate far-jumps to the same pad: a far jump from
 *   compatibility mode carries a 32-bit offset) -> landing: host
 *   segments, FS/GS base, FPU/SSE state back, host stack -> returns
 *   the exit kind to the caller of sw_world__enter.
 *
 * The monitor window [SW_WINDOW_BASE, 4 GiB) holds the landing pad and
 * the per-vCPU page (struct sw_cpu); guest segments are truncated below
 * it. The deadline timer's SIGUSR1 comes through the same stub.
 */
#ifndef REFVMM_SW_WORLD_SWITCH_H
#define REFVMM_SW_WORLD_SWITCH_H

#include <stddef.h>

#include "refvmm/sw/cpu.h"

/* Host selectors of the 64-bit monitor (Linux x86-64 __USER_CS/_DS). */
#define HOST_CS64 0x33
#define HOST_SS64 0x2b

/*
 * Maps the window, installs the alternate stack and the signal stubs,
 * allocates the FPU areas. Returns the per-vCPU page, or NULL with @err.
 */
struct sw_cpu *sw_world__init(char *err, size_t errlen);
void sw_world__exit(struct sw_cpu *c);
/* Runs the guest until it comes back; returns enum sw_exit_kind. */
int sw_world__enter(struct sw_cpu *c);

/*
 * RDTSC trapping for the guest (prctl PR_TSC_SIGSEGV). The vDSO clock of
 * the monitor uses RDTSC too: its first RDTSC after a guest run faults,
 * the handler re-enables the TSC, and the next entry re-arms the trap.
 */
void sw_world__set_tsc_trapping(bool on);
u64 sw_world__tsc_rearms(void);
/* The host TSC as the monitor reads it: with RDTSC trapping armed for
 * the guest, the monitor disarms it first rather than fault on its own
 * RDTSC; the next entry re-arms. */
u64 sw_world__host_tsc(void);
/* RDTSC faults taken inside the monitor (libc's vDSO clock): 0 unless
 * something outside refvmm's own code read the TSC while armed. */
u64 sw_world__monitor_tsc_faults(void);

/*
 * A mode's say on a signal that arrives while the guest runs, before
 * the handler records it (bt: an interrupt inside a rewritten sequence
 * steps on to the next instruction boundary). Called on the alternate
 * stack with the host FS base: async-signal-safe code only.
 */
enum sw_hook_verdict {
	SW_HOOK_PASS,	/* handle as usual */
	SW_HOOK_RESUME, /* return to the interrupted code */
	SW_HOOK_KICK,	/* land now as a kick */
};
extern int (*sw_signal_hook)(int sig, void *uc, struct sw_cpu *c);

/* Signals from the guest seen so far, by number (for --stats). */
u64 sw_world__signals(int signo);

#endif
