/*
 * The software monitor shared by the two execution engines, trap (direct
 * execution, trap/) and bt-simple/bt (binary translation, bt/): its
 * set-up, the handling of every guest event, interrupt injection and the
 * counters (monitor.c), over the state and helpers in vm.h. Below it:
 * the privileged-instruction emulator (emulate.c), far transfers
 * (far.c), event delivery through the guest IDT (deliver.c), the guest
 * stack and stack instructions (stack.c), string instructions
 * (string_insn.c), operands (operand.c), execution by proxy (proxy.c)
 * and guest code in the monitor window (window.c). An engine plugs in
 * through struct monitor_hooks; the monitor never asks which engine runs
 * it.
 */
#ifndef REFVMM_EMU_MONITOR_H
#define REFVMM_EMU_MONITOR_H

#include "deliver.h"
#include "vm.h"
/* What the engines use besides the monitor itself. */
#include "emulate.h"
#include "operand.h"
#include "stack.h"

struct stats;

/* The mode ops both engines share. monitor__init is trap mode's:
 * monitor__init_for(MONITOR_CODE_NATIVE). */
int monitor__init(struct vcpu *vcpu, char *err, size_t errlen);
/* The monitor for an engine that runs guest code as @code says (vm.h).
 * NATIVE installs the seccomp filter here; TRANSLATED leaves it to the
 * engine, which makes its own executable mappings first, then calls
 * monitor__seccomp. */
int monitor__init_for(struct vcpu *vcpu, enum monitor_code code, char *err,
		      size_t errlen);
/* Installs the seccomp filter for t->code (PROT_EXEC forbidden from then
 * on for TRANSLATED), then runs the REFVMM_SECCOMP_PROBE test hook. */
int monitor__seccomp(struct monitor *t, char *err, size_t errlen);
void monitor__destroy(struct vcpu *vcpu);
void monitor__stats(struct vcpu *vcpu, struct stats *stats);
int monitor__inject(struct vcpu *vcpu, irq_ack_fn ack, void *ctx);
int monitor__inject_nmi(struct vcpu *vcpu);
/* True (with @exit set) when the run loop must come to inject an NMI now:
 * one became pending and is not blocked, or an IRET unblocked one. */
bool monitor__nmi_window(struct monitor *t, struct vm_exit *exit);
/*
 * Emulates the instruction behind @ev and delivers what it raised: the
 * one "emulate, then deliver the exception" step. MONITOR_RESUME: back to
 * the guest; MONITOR_EXIT: the run loop must see @exit; MONITOR_NOT: not
 * an instruction the monitor emulates (nothing changed). *@completed (if
 * not NULL) says whether it ran to its end without raising anything.
 */
enum monitor_step { MONITOR_RESUME, MONITOR_EXIT, MONITOR_NOT };
enum monitor_step monitor__emulate(struct monitor *t, const struct sw_event *ev,
				   struct vm_exit *exit, bool *completed);
/* Delivers an event and counts it; false (with @exit filled) when the
 * machine stops. */
bool monitor__deliver(struct monitor *t, int vector, bool has_error, u32 error,
		      enum deliver_source src, u32 ret_eip,
		      struct vm_exit *exit);
/* One guest event; true when the run loop must see @exit. */
bool monitor__handle(struct monitor *t, const struct sw_event *ev,
		     struct vm_exit *exit);
/*
 * Before direct execution enters the guest: an EIP the monitor moved into
 * the monitor window (a far transfer, IRET, an event delivery) runs in
 * the window interpreter. -1 EIP is not there (enter), 0 handled (look
 * again), 1 the run loop must see @exit.
 */
int monitor__window_entry(struct monitor *t, struct vm_exit *exit);

#endif
