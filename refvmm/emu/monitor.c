/*
 * The software monitor both execution engines share (monitor.h): its
 * set-up (shadow page tables, world switch, host traps, seccomp), the
 * handling of every guest event that comes back as a host signal
 * (emulate, deliver through the guest IDT, hidden and true page faults,
 * traces), interrupt injection and the counters. trap mode runs guest
 * code directly on it (trap/trap.c); bt-simple and bt run translations
 * of it (bt/).
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "emulate.h"
#include "far.h"
#include "insn_cache.h"
#include "monitor.h"
#include "proxy.h"
#include "refvmm/exitcode.h"
#include "refvmm/host_cpu.h"
#include "refvmm/lapic.h"
#include "refvmm/log.h"
#include "refvmm/machine.h"
#include "refvmm/mode.h"
#include "refvmm/run.h"
#include "refvmm/sw/seccomp.h"
#include "refvmm/sw/segments.h"
#include "refvmm/sw/shadow_desc.h"
#include "refvmm/sw/world_switch.h"
#include "refvmm/vcpu.h"
#include "window.h"

/* Shadow mappings at most: each is a VMA, and Linux allows 65530 by
 * default (vm.max_map_count); adjacent ones often merge. */
#define SHADOW_BUDGET 16384u

/* Whether nothing of the process is mapped in [0x1000, the window). */
static bool low_range_free(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long lo, hi;
	char line[512];
	bool ok = true;

	if (!f)
		return true;
	while (ok && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 &&
		    lo < SW_WINDOW_BASE && hi > SHADOW_LO)
			ok = false;
	fclose(f);
	return ok;
}

static const char *const vector_names[32] = {
	"DE", "DB", "NMI", "BP", "OF", "BR", "UD", "NM", "DF", "CSO", "TS",
	"NP", "SS", "GP",  "PF", "15", "MF", "AC", "MC", "XM", "VE",  "CP",
	"22", "23", "24",  "25", "26", "27", "HV", "VC", "SX", "31",
};

static void log_event(struct monitor *t, const struct sw_event *ev, u32 eip,
		      const char *outcome)
{
	struct sw_cpu *c = t->c;
	const cs_insn *in;
	char vec[48] = "";

	if (!(t->m->log_events & LOG_TRAPS))
		return;
	in = emulate__decode(t, eip);
	if (ev->vector >= 0 && ev->vector < 32)
		snprintf(vec, sizeof(vec), "#%s%s", vector_names[ev->vector],
			 ev->has_error ? "" : "");
	if (ev->has_error)
		snprintf(vec + strlen(vec), sizeof(vec) - strlen(vec), "(0x%x)",
			 ev->error);
	log__printf("trap %s%s%s at 0x%x:0x%x cpl %d: %s %s -> %s", ev->what,
		    vec[0] ? " " : "", vec, c->seg[SW_CS].selector, eip, c->cpl,
		    in ? in->mnemonic : "(undecodable)", in ? in->op_str : "",
		    outcome);
}

/* Stops the machine when delivery itself failed (triple fault). */
bool monitor__deliver(struct monitor *t, int vector, bool has_error, u32 error,
		      enum deliver_source src, u32 ret_eip,
		      struct vm_exit *exit)
{
	int r = deliver__event(t, vector, has_error, error, src, ret_eip);

	if (r == 0) {
		if (src == DELIVER_EXCEPTION && vector < 32)
			vm__count(t, "delivered.exception",
				  vector_names[vector]);
		else if (src == DELIVER_SOFT) {
			char n[8];

			snprintf(n, sizeof(n), "0x%02x", vector);
			vm__count(t, "delivered.int", n);
		}
		return true;
	}
	if (r == -2) {
		exit->reason = VM_EXIT_INTERNAL;
		snprintf(exit->detail, sizeof(exit->detail),
			 "trap mode: vector 0x%x goes through a 16-bit gate, "
			 "which it does not model",
			 vector);
		return false;
	}
	exit->reason = VM_EXIT_SHUTDOWN;
	snprintf(exit->detail, sizeof(exit->detail),
		 " at cs:eip 0x%x:0x%x (cpl %d, delivering vector %d)",
		 t->c->seg[SW_CS].selector, t->c->eip, t->c->cpl, vector);
	return false;
}

/*
 * The run loop injects NMIs: exit to it when an emulated access just made
 * one pending (a self-NMI through the ICR) and the guest does not block
 * it, or when one waited for the guest to unblock NMIs and an IRET just
 * did (even one that faulted) with no shadow left. Either way the NMI
 * comes at this boundary, before the next guest instruction.
 */
bool monitor__nmi_window(struct monitor *t, struct vm_exit *exit)
{
	struct lapic *l = t->m->lapic;
	struct sw_cpu *c = t->c;
	bool fresh = l && lapic__nmi_pending(l) && !t->nmi_window;

	if (c->nmi_blocked || (!fresh && (!t->nmi_window || c->irq_shadow)))
		return false;
	exit->reason = VM_EXIT_IRQ_WINDOW;
	return true;
}

/* Single-step #DB after an emulated instruction (SDM Vol. 3B 17.3.1.4). */
enum monitor_step monitor__emulate(struct monitor *t, const struct sw_event *ev,
				   struct vm_exit *exit, bool *completed)
{
	struct sw_cpu *c = t->c;
	enum emu_result r = emulate__insn(t, ev, exit);

	if (completed)
		*completed = r == EMU_DONE;
	switch (r) {
	case EMU_DONE:
		return monitor__nmi_window(t, exit) ? MONITOR_EXIT
						    : MONITOR_RESUME;
	case EMU_RAISE:
		if (!monitor__deliver(t, c->exc_vector, c->exc_has_error,
				      c->exc_error, DELIVER_EXCEPTION, c->eip,
				      exit))
			return MONITOR_EXIT;
		return monitor__nmi_window(t, exit) ? MONITOR_EXIT
						    : MONITOR_RESUME;
	case EMU_NOT:
		return MONITOR_NOT;
	default:
		return MONITOR_EXIT;
	}
}

static bool step_trap(struct monitor *t, struct vm_exit *exit)
{
	t->c->dr[6] |= 0x4000; /* BS */
	return monitor__deliver(t, 1, false, 0, DELIVER_EXCEPTION, t->c->eip,
				exit);
}

static u8 byte_at(struct monitor *t, u32 eip)
{
	u8 b;

	sw_code_read(t->c, (u32)t->c->seg[SW_CS].base + eip, &b, 1);
	return b;
}

static void log_fault(struct monitor *t, const char *kind, u32 lin, u32 err,
		      u32 eip)
{
	const cs_insn *in;

	if (!(t->m->log_events & LOG_FAULTS))
		return;
	in = emulate__decode(t, eip);
	log__printf("fault %s at 0x%x (error 0x%x) by 0x%x:0x%x cpl %d: %s %s",
		    kind, lin, err, t->c->seg[SW_CS].selector, eip, t->c->cpl,
		    in ? in->mnemonic : "(undecodable)", in ? in->op_str : "");
}

/*
 * A host page fault (shadow_pt.h): hidden, true, trace, or an access to
 * emulate. Returns 1/0 as handle() does, -1 to go on to the emulator.
 */
static int page_fault(struct monitor *t, const struct sw_event *ev,
		      struct vm_exit *exit)
{
	struct sw_cpu *c = t->c;
	u32 pferr = 0;

	switch (shadow__fault(&t->sp, ev->cr2, ev->error, c->eflags & EFL_AC,
			      &pferr)) {
	case SPT_HIDDEN:
		log_fault(t, "hidden", ev->cr2, ev->error, c->eip);
		return 0;
	case SPT_SPURIOUS:
		vm__count(t, "shadow", "spurious");
		return 0;
	case SPT_TRUE:
		log_fault(t, "true", ev->cr2, pferr, c->eip);
		c->cr2 = ev->cr2;
		return !monitor__deliver(t, 14, true, pferr, DELIVER_EXCEPTION,
					 c->eip, exit);
	case SPT_TRACE:
		log_fault(t, "trace", ev->cr2, ev->error, c->eip);
		if (t->hooks.emulate_traced_stores) {
			/* sw_data_write keeps the shadow and the engine's
			 * caches coherent. */
			switch (monitor__emulate(t, ev, exit, NULL)) {
			case MONITOR_RESUME:
				return 0;
			case MONITOR_EXIT:
				return 1;
			case MONITOR_NOT:
				break;
			}
			exit->reason = VM_EXIT_INTERNAL;
			snprintf(exit->detail, sizeof(exit->detail),
				 "cannot emulate the store to page-table or "
				 "code page 0x%x at 0x%x",
				 ev->cr2, c->eip);
			return 1;
		}
		if (shadow__trace_begin(&t->sp, ev->cr2) < 0) {
			exit->reason = VM_EXIT_INTERNAL;
			snprintf(exit->detail, sizeof(exit->detail),
				 "shadow page tables: %s", t->sp.err);
			return 1;
		}
		t->trace_step = true;
		return 0;
	case SPT_EMULATE:
	default:
		return -1;
	}
}

/*
 * SYSENTER from compatibility mode where it reaches Linux (Intel CPUs;
 * AMD raises #UD, emulated as an instruction). The kernel reports its
 * vDSO landing pad as EIP, hides the guest's ESP (it becomes EBP) and,
 * when it could read the vDSO's stash at [EBP], replaced EBP by it
 * (traps.h). SYSENTER needs neither EIP nor ESP, so it is emulated after
 * EBP is put back; a faulting one is reported at the landing pad with
 * EBP as ESP: the obstacle "sysenter-intel" (docs/refvmm-trap.md).
 */
static bool sysenter_event(struct monitor *t, const struct sw_event *ev,
			   u32 eip, struct vm_exit *exit, bool ebp_stashed)
{
	struct sw_cpu *c = t->c;

	log_event(t, ev, eip, "guest event (SYSENTER)");
	vm__count(t, "emulated", "sysenter");
	if (ebp_stashed)
		c->gpr[SW_EBP] = c->gpr[SW_ESP];
	c->eip = eip;
	if (far__sysenter(c) < 0)
		return !monitor__deliver(t, 13, true, 0, DELIVER_EXCEPTION, eip,
					 exit);
	return false;
}

/*
 * The traced write ran (or the instruction stopped short): close the
 * page and drop what the write changed. 1 the run loop must see @exit,
 * 0 back to the guest (the step's own #DB), -1 go on with @ev.
 */
static int trace_step_end(struct monitor *t, const struct sw_event *ev, bool tf,
			  bool was_step, struct vm_exit *exit)
{
	t->trace_step = false;
	if (shadow__trace_end(&t->sp) < 0) {
		exit->reason = VM_EXIT_INTERNAL;
		snprintf(exit->detail, sizeof(exit->detail),
			 "shadow page tables: %s", t->sp.err);
		return 1;
	}
	if (ev->kind == SW_EV_TRAP && ev->vector == 1 && !tf && !was_step)
		return 0;
	return -1;
}

/* INT n (cd), or SYSCALL (#UD: EFER.SCE is 0 outside long mode). */
static bool syscall_event(struct monitor *t, const struct sw_event *ev, u32 eip,
			  struct vm_exit *exit)
{
	struct sw_cpu *c = t->c;
	u32 insn_eip;

	vm__count(t, "events", "syscall");
	if (traps__sysenter_landing(eip))
		return sysenter_event(t, ev, eip, exit, true);
	insn_eip = eip - 2;
	c->eip = insn_eip;
	log_event(t, ev, insn_eip, "guest event");
	if (byte_at(t, insn_eip) == 0xcd)
		return !monitor__deliver(t, byte_at(t, insn_eip + 1), false, 0,
					 DELIVER_SOFT, eip, exit);
	return !monitor__deliver(t, 6, false, 0, DELIVER_EXCEPTION, insn_eip,
				 exit);
}

/* A host #DB: the monitor's own step, INT1, or the guest's TF. */
static bool debug_event(struct monitor *t, const struct sw_event *ev, u32 eip,
			bool tf, bool was_step, struct vm_exit *exit)
{
	vm__count(t, "events", "debug");
	if (was_step && !tf) {
		exit->reason = VM_EXIT_IRQ_WINDOW;
		return true;
	}
	if (byte_at(t, eip - 1) == 0xf1 && !tf) {
		log_event(t, ev, eip - 1, "INT1");
		return !monitor__deliver(t, 1, false, 0, DELIVER_EXCEPTION, eip,
					 exit);
	}
	log_event(t, ev, eip, "single-step #DB");
	if (!step_trap(t, exit))
		return true;
	if (was_step) {
		exit->reason = VM_EXIT_IRQ_WINDOW;
		return true;
	}
	return false;
}

/* INT3 (cc), INT 3 (cd 03), INTO (ce), INT 4 (cd 04) */
static bool breakpoint_event(struct monitor *t, const struct sw_event *ev,
			     u32 eip, struct vm_exit *exit)
{
	vm__count(t, "events", ev->vector == 3 ? "breakpoint" : "overflow");
	t->c->eip = byte_at(t, eip - 1) == 0xcc || byte_at(t, eip - 1) == 0xce
			    ? eip - 1
			    : eip - 2;
	log_event(t, ev, t->c->eip, "INT");
	return !monitor__deliver(t, ev->vector, false, 0, DELIVER_SOFT, eip,
				 exit);
}

/* A #GP(0) may be a fetch in the monitor window: 1/0 as handle() does,
 * -1 when it is not one. */
static int window_event(struct monitor *t, const struct sw_event *ev, u32 eip,
			struct vm_exit *exit)
{
	struct sw_cpu *c = t->c;

	switch (window__emulate(t)) {
	case 1:
		log_event(t, ev, eip, "ran in the monitor window");
		return 0;
	case 2:
		exit->reason = VM_EXIT_KICK;
		return 1;
	case -1:
		log_event(t, ev, c->eip, "raised in the window");
		return !monitor__deliver(t, c->exc_vector, c->exc_has_error,
					 c->exc_error, DELIVER_EXCEPTION,
					 c->eip, exit);
	default:
		return -1;
	}
}

/*
 * The host cannot return to such an EIP: IRET checks it against the
 * truncated CS limit (SDM Vol. 2A IRET) and would fault in the monitor.
 * What the window does not run gets the #GP(0) a fetch there gets.
 */
int monitor__window_entry(struct monitor *t, struct vm_exit *exit)
{
	struct sw_cpu *c = t->c;

	if ((u32)c->seg[SW_CS].base + c->eip < SW_WINDOW_BASE)
		return -1;
	switch (window__emulate(t)) {
	case 1:
		return 0;
	case 2:
		exit->reason = VM_EXIT_KICK;
		return 1;
	case -1:
		break;
	default:
		sw_gp(c, 0);
		break;
	}
	return !monitor__deliver(t, c->exc_vector, c->exc_has_error,
				 c->exc_error, DELIVER_EXCEPTION, c->eip, exit);
}

/* Emulated: the guest's single step (INT n through a gate clears TF:
 * no trap after it, SDM Vol. 3B 17.3.1.4), then the interrupt window
 * STI or POPF may have opened. */
static bool emulated(struct monitor *t, const struct sw_event *ev, u32 eip,
		     bool tf, bool old_if, u64 soft_ints, struct vm_exit *exit)
{
	struct sw_cpu *c = t->c;

	log_event(t, ev, eip, "emulated");
	if (t->delivered_int != soft_ints)
		tf = false;
	if (tf && !c->irq_shadow && !step_trap(t, exit))
		return true;
	if (!old_if && (c->eflags & EFL_IF) && t->window_requested) {
		if (c->irq_shadow) {
			t->monitor_step = true;
			return false;
		}
		exit->reason = VM_EXIT_IRQ_WINDOW;
		return true;
	}
	return false;
}

/* Not emulated: a host #PF the shadow could not map and the emulator
 * does not know stops the machine; anything else is the guest's. */
static bool not_emulated(struct monitor *t, const struct sw_event *ev, u32 eip,
			 struct vm_exit *exit)
{
	struct sw_cpu *c = t->c;
	const cs_insn *in;

	if (ev->vector != 14) {
		log_event(t, ev, eip, "delivered to the guest");
		return !monitor__deliver(t, ev->vector, ev->has_error,
					 ev->error, DELIVER_EXCEPTION, eip,
					 exit);
	}
	in = emulate__decode(t, eip);
	exit->reason = VM_EXIT_INTERNAL;
	snprintf(exit->detail, sizeof(exit->detail),
		 "trap mode cannot emulate the access to 0x%x by '%s "
		 "%s' at 0x%x:0x%x",
		 ev->cr2, in ? in->mnemonic : "?", in ? in->op_str : "",
		 c->seg[SW_CS].selector, eip);
	return true;
}

/* A fault: the shadow's, the window's, or an instruction to emulate. */
static bool fault_event(struct monitor *t, const struct sw_event *ev, u32 eip,
			bool tf, bool old_if, struct vm_exit *exit)
{
	struct sw_cpu *c = t->c;
	u64 soft_ints = t->delivered_int;
	int r;

	vm__count(t, "events",
		  ev->callout	     ? "callout"
		  : ev->vector == 13 ? "gp"
		  : ev->vector == 14 ? "pf"
		  : ev->vector == 6  ? "ud"
				     : "other_fault");
	if (ev->vector == 14 && (r = page_fault(t, ev, exit)) >= 0)
		return r;
	if (ev->vector == 13 && !ev->error &&
	    (r = window_event(t, ev, eip, exit)) >= 0)
		return r;
	switch (emulate__insn(t, ev, exit)) {
	case EMU_DONE:
		return emulated(t, ev, eip, tf, old_if, soft_ints, exit);
	case EMU_RAISE:
		log_event(t, ev, eip, "raised to the guest");
		if (!c->exc_new_task)
			c->eip = eip;
		return !monitor__deliver(t, c->exc_vector, c->exc_has_error,
					 c->exc_error, DELIVER_EXCEPTION,
					 c->eip, exit);
	case EMU_EXIT:
		log_event(t, ev, eip, "exit to the run loop");
		return true;
	case EMU_FATAL:
		log_event(t, ev, eip, "fatal");
		if (!t->m->stop && exit->reason == VM_EXIT_IO)
			exit->reason = VM_EXIT_OTHER;
		if (t->m->stop)
			exit->reason = VM_EXIT_OTHER;
		return true;
	case EMU_NOT:
	default:
		return not_emulated(t, ev, eip, exit);
	}
}

static bool handle_event(struct monitor *t, const struct sw_event *ev,
			 struct vm_exit *exit)
{
	struct sw_cpu *c = t->c;
	u32 eip = c->eip;
	bool tf = c->eflags & EFL_TF, old_if = c->eflags & EFL_IF;
	bool was_step = t->monitor_step, shadow_before;
	int r;

	t->monitor_step = false;
	if (t->trace_step &&
	    (r = trace_step_end(t, ev, tf, was_step, exit)) >= 0)
		return r;
	shadow_before = c->irq_shadow;
	c->irq_shadow = false;
	switch (ev->kind) {
	case SW_EV_KICK:
		c->irq_shadow = shadow_before;
		exit->reason = VM_EXIT_KICK;
		return true;
	case SW_EV_ESCAPE:
		machine__breach(t->m,
				"guest left compatibility mode for the host's "
				"64-bit code segment 0x%x (rip 0x%x)%s",
				HOST_CS64, eip,
				t->hooks.engine ? ""
						: ": direct execution cannot "
						  "contain this (see --help)");
		exit->reason = VM_EXIT_OTHER;
		return true;
	case SW_EV_SYSCALL:
		return syscall_event(t, ev, eip, exit);
	case SW_EV_TRAP:
		if (ev->vector == 1)
			return debug_event(t, ev, eip, tf, was_step, exit);
		return breakpoint_event(t, ev, eip, exit);
	case SW_EV_FAULT:
		/* Linux could not read the vDSO's EBP stash at [EBP] and
		 * returned to its landing pad without a system call. */
		if (ev->vector == 14 && ev->cr2 == eip &&
		    traps__sysenter_landing(eip))
			return sysenter_event(t, ev, eip, exit, false);
		return fault_event(t, ev, eip, tf, old_if, exit);
	default:
		exit->reason = VM_EXIT_INTERNAL;
		snprintf(exit->detail, sizeof(exit->detail),
			 "trap mode: unexpected signal %d (trap %d) at "
			 "0x%x:0x%x",
			 c->signo, c->trapno, c->seg[SW_CS].selector, eip);
		return true;
	}
}

bool monitor__handle(struct monitor *t, const struct sw_event *ev,
		     struct vm_exit *exit)
{
	if (handle_event(t, ev, exit))
		return true;
	return monitor__nmi_window(t, exit);
}

/* Stops the machine after an event could not be delivered. */
static void undeliverable(struct monitor *t, const struct vm_exit *exit)
{
	machine__stop(t->m,
		      exit->reason == VM_EXIT_SHUTDOWN
			      ? REFVMM_EXIT_TRIPLE_FAULT
			      : REFVMM_EXIT_INTERNAL_ERROR,
		      "%s%s",
		      exit->reason == VM_EXIT_SHUTDOWN
			      ? "guest shut down (triple fault)"
			      : "",
		      exit->detail);
}

/*
 * NMI: blocked from its delivery until the next IRET (SDM Vol. 3A 6.7.1),
 * and here also in an STI or MOV SS shadow, which the SDM allows for STI
 * (Vol. 2B STI) and asks for MOV SS ("inhibits interrupts", 6.8.3).
 */
int monitor__inject_nmi(struct vcpu *vcpu)
{
	struct monitor *t = vcpu->mode_priv;
	struct sw_cpu *c = t->c;
	struct vm_exit exit;

	if (c->nmi_blocked || c->irq_shadow) {
		t->nmi_window = true;
		if (c->irq_shadow)
			t->monitor_step = true;
		return -EAGAIN;
	}
	t->nmi_window = false;
	if (t->io.pending)
		emulate__complete_io(t);
	memset(&exit, 0, sizeof(exit));
	if (!monitor__deliver(t, 2, false, 0, DELIVER_EXTERNAL, c->eip,
			      &exit)) {
		undeliverable(t, &exit);
		return 0;
	}
	c->nmi_blocked = true;
	vm__count(t, "delivered", "nmi");
	return 0;
}

int monitor__inject(struct vcpu *vcpu, irq_ack_fn ack, void *ctx)
{
	struct monitor *t = vcpu->mode_priv;
	struct sw_cpu *c = t->c;
	struct vm_exit exit;
	int vector;

	if (!(c->eflags & EFL_IF) || c->irq_shadow) {
		t->window_requested = true;
		if ((c->eflags & EFL_IF) && c->irq_shadow)
			t->monitor_step = true;
		return -EAGAIN;
	}
	t->window_requested = false;
	vector = ack(ctx);
	if (vector < 0)
		return 0;
	if (t->io.pending)
		emulate__complete_io(t);
	memset(&exit, 0, sizeof(exit));
	if (!monitor__deliver(t, vector, false, 0, DELIVER_EXTERNAL, c->eip,
			      &exit))
		undeliverable(t, &exit);
	else
		vm__count(t, "delivered", "interrupt");
	return 0;
}

/* The Multiboot entry state (vcpu.h) loaded into the virtual CPU. */
static int load_state(struct monitor *t, char *err, size_t errlen)
{
	const struct vcpu_state *st = &t->vcpu->state;
	struct sw_cpu *c = t->c;
	const struct vcpu_seg *segs[SW_NSREGS] = {
		[SW_ES] = &st->es, [SW_CS] = &st->cs, [SW_SS] = &st->ss,
		[SW_DS] = &st->ds, [SW_FS] = &st->fs, [SW_GS] = &st->gs,
	};
	int i, r;

	c->gpr[SW_EAX] = (u32)st->rax;
	c->gpr[SW_EBX] = (u32)st->rbx;
	c->gpr[SW_ECX] = (u32)st->rcx;
	c->gpr[SW_EDX] = (u32)st->rdx;
	c->gpr[SW_ESI] = (u32)st->rsi;
	c->gpr[SW_EDI] = (u32)st->rdi;
	c->gpr[SW_ESP] = (u32)st->rsp;
	c->gpr[SW_EBP] = (u32)st->rbp;
	c->eip = (u32)st->rip;
	vm__set_eflags(c, (u32)st->rflags);
	for (i = 0; i < SW_NSREGS; i++) {
		r = sw_set_sreg(c, i, segs[i]);
		if (r < 0) {
			snprintf(err, errlen,
				 "cannot install the guest segments in the "
				 "host LDT: %s",
				 strerror(-r));
			return r;
		}
	}
	c->tr = st->tr;
	c->ldtr = st->ldt;
	c->gdt_base = (u32)st->gdt_base;
	c->gdt_limit = st->gdt_limit;
	c->idt_base = (u32)st->idt_base;
	c->idt_limit = st->idt_limit;
	c->cr0 = (u32)st->cr0;
	c->cr4 = (u32)st->cr4;
	c->dr[6] = 0xffff0ff0;
	c->dr[7] = 0x400;
	c->msr_pat = 0x0007040600070406ull;
	c->msr_misc_enable = MISC_ENABLE_RESET;
	c->msr_hwcr = HWCR_RESET;
	c->cpl = 0;
	return 0;
}

void monitor__destroy(struct vcpu *vcpu)
{
	struct monitor *t = vcpu->mode_priv;

	if (!t)
		return;
	kick__set_target(NULL);
	insn_cache__free(t->icache);
	if (t->cs)
		cs_close(&t->cs);
	sw_world__exit(t->c);
	shadow__destroy(&t->sp);
	proxy__destroy(t);
	free(t);
	vcpu->mode_priv = NULL;
}

static int cpuid_faulting_on(struct monitor *t)
{
	if (syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0) != 0)
		return -1;
	t->cpuid_faulting = true;
	return 0;
}

static int tsc_trapping_on(struct monitor *t)
{
	if (prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0) != 0)
		return -1;
	prctl(PR_SET_TSC, PR_TSC_ENABLE, 0, 0, 0);
	t->tsc_trapping = true;
	sw_world__set_tsc_trapping(true);
	return 0;
}

/* Each host trap: its --host-traps bit, how it is turned on (-1 with
 * errno), the call named when it fails, and what the guest sees then. */
static const struct {
	unsigned int bit;
	int (*on)(struct monitor *t);
	const char *call, *without;
} host_trap_list[] = {
	{HOST_TRAP_CPUID, cpuid_faulting_on, "arch_prctl ARCH_SET_CPUID",
	 "guest CPUID runs natively in trap mode and sees the host's values"},
	{HOST_TRAP_RDTSC, tsc_trapping_on, "prctl PR_SET_TSC",
	 "guest RDTSC runs natively in trap mode, CR4.TSD is not enforced"},
};

/*
 * CPUID faulting and RDTSC trapping, where this host allows them and
 * --host-traps asks for them. The host's CPUID was read at start-up
 * (host_cpu.h): from here on the monitor never executes CPUID, and it
 * reads the TSC only through sw_world__host_tsc().
 */
static void host_traps(struct monitor *t)
{
	unsigned int want = t->m->host_traps;

	host_cpu__get();
	for (size_t i = 0; i < 2; i++) {
		char *note = t->host_notes[i];
		size_t len = sizeof(t->host_notes[i]);

		if (!(want & host_trap_list[i].bit))
			snprintf(note, len, "off (--host-traps): %s",
				 host_trap_list[i].without);
		else if (host_trap_list[i].on(t) < 0)
			snprintf(note, len, "unavailable (%s: %s): %s",
				 host_trap_list[i].call, strerror(errno),
				 host_trap_list[i].without);
	}
}

int monitor__seccomp(struct monitor *t, char *err, size_t errlen)
{
	int r;

	sw_seccomp__allow_write_fd(t->m->translog_fd);
	r = sw_seccomp__install_for(t->code == MONITOR_CODE_NATIVE
					    ? SW_SECCOMP_EXEC_ALLOWED
					    : SW_SECCOMP_EXEC_FORBIDDEN,
				    err, errlen);
	if (r < 0)
		return r;
	t->seccomp_on = true;
	if (getenv("REFVMM_SECCOMP_PROBE"))
		sw_seccomp__probe(getenv("REFVMM_SECCOMP_PROBE"));
	return 0;
}

int monitor__init(struct vcpu *vcpu, char *err, size_t errlen)
{
	return monitor__init_for(vcpu, MONITOR_CODE_NATIVE, err, errlen);
}

int monitor__init_for(struct vcpu *vcpu, enum monitor_code code, char *err,
		      size_t errlen)
{
	struct machine *m = vcpu->machine;
	struct monitor *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return -ENOMEM;
	t->vcpu = vcpu;
	t->m = m;
	t->code = code;
	vcpu->mode_priv = t;
	/* The guest owns linear [0x1000, window): nothing of ours may
	 * live there, since the shadow maps and unmaps it wholesale. */
	if (!low_range_free()) {
		snprintf(err, errlen,
			 "the host process already uses linear addresses "
			 "below 0x%x; the guest's space is not free",
			 SW_WINDOW_BASE);
		r = -EEXIST;
		goto err;
	}
	r = shadow__init(&t->sp, m->memfd, m->ram, m->ram_size, SHADOW_BUDGET,
			 code == MONITOR_CODE_NATIVE);
	if (r < 0) {
		snprintf(err, errlen, "shadow page tables: %s", t->sp.err);
		goto err;
	}
	t->shadow_on = true;
	t->c = sw_world__init(err, errlen);
	if (!t->c) {
		r = -EIO;
		goto err;
	}
	t->c->shadow = &t->sp;
	t->c->acc_cpl = -1;
	t->c->ram = m->ram;
	t->c->ram_size = m->ram_size;
	t->c->vcpu = vcpu;
	if (cs_open(CS_ARCH_X86, CS_MODE_32, &t->cs) != CS_ERR_OK) {
		snprintf(err, errlen, "cannot open the Capstone decoder");
		r = -EIO;
		goto err;
	}
	cs_option(t->cs, CS_OPT_DETAIL, CS_OPT_ON);
	t->icache = insn_cache__new();
	if (!t->icache) {
		r = -ENOMEM;
		goto err;
	}
	if (proxy__init(t) < 0) {
		snprintf(err, errlen, "cannot set up the proxy executor");
		r = -ENOMEM;
		goto err;
	}
	r = load_state(t, err, errlen);
	if (r < 0)
		goto err;
	host_traps(t);
	kick__set_target(&t->c->kick);
	if (code == MONITOR_CODE_NATIVE) {
		r = monitor__seccomp(t, err, errlen);
		if (r < 0)
			goto err;
	}
	return 0;
err:
	monitor__destroy(vcpu);
	return r;
}

void monitor__stats(struct vcpu *vcpu, struct stats *stats)
{
	struct monitor *t = vcpu->mode_priv;

	if (!t)
		return;
	stats__set(stats, "trap.events", t->events);
	stats__set(stats, "trap.emulated", t->emulated);
	stats__set(stats, "trap.proxied", t->proxied);
	stats__set(stats, "trap.window_steps", t->window_steps);
	stats__set(stats, "trap.delivered_exceptions", t->delivered_exc);
	stats__set(stats, "trap.delivered_interrupts", t->delivered_irq);
	stats__set(stats, "trap.delivered_soft_int", t->delivered_int);
	stats__set(stats, "trap.ldt_writes", t->c->slot_writes);
	stats__set(stats, "trap.tsc_rearms", sw_world__tsc_rearms());
	stats__set(stats, "trap.monitor_tsc_faults",
		   sw_world__monitor_tsc_faults());
	stats__set(stats, "shadow.hidden_faults", t->sp.st.hidden);
	stats__set(stats, "shadow.true_faults", t->sp.st.true_faults);
	stats__set(stats, "shadow.trace_faults", t->sp.st.trace);
	stats__set(stats, "shadow.dirty_upgrades", t->sp.st.dirty_upgrades);
	stats__set(stats, "shadow.evictions", t->sp.st.evictions);
	stats__set(stats, "shadow.flushes", t->sp.st.flushes);
	stats__set(stats, "shadow.cr3_switches", t->sp.st.cr3_switches);
	stats__set(stats, "shadow.invlpg", t->sp.st.invlpg);
	stats__set(stats, "shadow.invlpg_kept", t->sp.st.invlpg_kept);
	stats__set(stats, "shadow.kept_unmaps", t->sp.st.kept_unmaps);
	stats__set(stats, "shadow.kept_remaps", t->sp.st.kept_remaps);
	stats__set(stats, "shadow.eager_fills", t->sp.st.eager_fills);
	stats__set(stats, "shadow.priv_switches", t->sp.st.priv_switches);
	stats__set(stats, "shadow.priv_range_calls", t->sp.st.priv_range_calls);
	stats__set(stats, "shadow.split_kept", t->sp.st.split_kept);
	stats__set(stats, "shadow.split_lifts", t->sp.st.split_lifts);
	stats__set(stats, "shadow.switch_kept", t->sp.st.switch_kept);
	stats__set(stats, "shadow.switch_rewalked", t->sp.st.switch_rewalked);
	stats__set(stats, "shadow.switch_dropped", t->sp.st.switch_dropped);
	stats__set(stats, "shadow.refreshed", t->sp.st.refreshed);
	stats__set(stats, "shadow.pages_mapped", t->sp.st.mapped);
	stats__set(stats, "shadow.traced_pages", t->sp.st.traced_pages);
	stats__set(stats, "shadow.hidden.first", t->sp.st.hidden_first);
	stats__set(stats, "shadow.hidden.switch", t->sp.st.hidden_switch);
	stats__set(stats, "shadow.hidden.pt_write", t->sp.st.hidden_pt_write);
	stats__set(stats, "shadow.hidden.class", t->sp.st.hidden_class);
	stats__set(stats, "shadow.hidden.invlpg", t->sp.st.hidden_invlpg);
	stats__set(stats, "shadow.hidden.flush", t->sp.st.hidden_flush);
	stats__set(stats, "shadow.hidden.set_d", t->sp.st.hidden_set_d);
	stats__set(stats, "shadow.hidden.widen", t->sp.st.hidden_widen);
	stats__set(stats, "shadow.hidden.retry_d", t->sp.st.hidden_retry_d);
	stats__set(stats, "shadow.hidden.hot", t->sp.st.hidden_hot);
	stats__set(stats, "shadow.hot_declined", t->sp.st.hot_declined);
	stats__set(stats, "shadow.hot_cooled", t->sp.st.hot_cooled);
	stats__note(stats, "host.cpuid_faulting",
		    t->cpuid_faulting ? "on" : t->host_notes[0]);
	stats__note(stats, "host.rdtsc_trapping",
		    t->tsc_trapping ? "on (PR_TSC_SIGSEGV)" : t->host_notes[1]);
	stats__note(stats, "host.seccomp", t->seccomp_on ? "on" : "off");
}
