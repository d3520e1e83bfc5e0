/*
 * The software monitor shared by the two execution engines, trap (direct
 * execution, trap/) and bt-simple/bt (binary translation, bt/): the
 * virtual CPU state and its host set-up (monitor.c), the table-driven
 * privileged-instruction emulator (emulate.c), event delivery through
 * the guest IDT (deliver.c), stack and string instructions on memory the
 * host cannot reach (stack.c, string_insn.c), execution by proxy
 * (proxy.c) and guest code in the monitor window (window.c). An engine
 * plugs in through struct monitor_hooks; the monitor never asks which
 * engine runs it.
 */
#ifndef REFVMM_EMU_MONITOR_H
#define REFVMM_EMU_MONITOR_H

#include <capstone/capstone.h>

#include "refvmm/mode.h"
#include "refvmm/sw/cpu.h"
#include "refvmm/sw/shadow_pt.h"
#include "refvmm/sw/traps.h"

struct machine;
struct stats;
struct vcpu;

/* What one emulation step did. */
enum emu_result {
	EMU_DONE,  /* emulated; EIP moved on */
	EMU_RAISE, /* raised c->exc_* for the guest */
	EMU_EXIT,  /* needs the run loop (I/O, HLT, stop): exit filled */
	EMU_NOT,   /* not an instruction the monitor emulates */
	EMU_FATAL, /* cannot go on: exit filled with the reason */
};

struct monitor_io {
	bool pending;
	bool in, string, rep;
	u8 size;
	u16 port;
	u32 count;
	u32 next_eip;
	int seg; /* OUTS source segment */
	u8 data[4096];
};

struct monitor;

/* What an execution engine adds to the monitor (all optional). */
struct monitor_hooks {
	/* Instructions only the engine sees (bt: the sensitive ones that
	 * never trap under direct execution), tried before the emulator's
	 * own table; EMU_NOT to fall through. */
	enum emu_result (*emulate_first)(struct monitor *t, const cs_insn *in,
					 struct vm_exit *exit);
	/* A store to a traced page (a page table, or translated code) is
	 * emulated in place rather than single-stepped on an opened page:
	 * under translation the faulting instruction is not the guest's. */
	bool emulate_traced_stores;
	void *engine; /* the engine's own state */
};

struct monitor {
	struct vcpu *vcpu;
	struct machine *m;
	struct sw_cpu *c;
	csh cs;
	cs_insn *insn;
	struct monitor_io io;
	struct shadow_pt sp;
	u8 *proxy_page, *proxy_xhost; /* proxy.c */
	u64 proxied, window_steps;
	u8 maxphy;
	bool trace_step; /* single-stepping a write to a traced page */
	bool window_requested;
	bool monitor_step;
	bool cpuid_faulting, tsc_trapping, seccomp_on, shadow_on;
	char host_notes[3][160];
	u64 events, emulated, delivered_exc, delivered_irq, delivered_int;
	const cs_insn *last; /* the decoded instruction, for traces */
	struct monitor_hooks hooks;
};

/* emulate.c */
enum emu_result emulate__insn(struct monitor *t, const struct sw_event *ev,
			      struct vm_exit *exit);
void emulate__complete_io(struct monitor *t);
/* Decodes the instruction at CS:EIP; NULL when it cannot. */
const cs_insn *emulate__decode(struct monitor *t, u32 eip);
/* Operand access for the emulators (0, or -1 with c->exc_* raised). */
int emulate__op_read(struct sw_cpu *c, const cs_x86 *x, const cs_x86_op *op,
		     u32 *v);
int emulate__op_write(struct sw_cpu *c, const cs_x86 *x, const cs_x86_op *op,
		      u32 v);
u32 emulate__mem_addr(struct sw_cpu *c, const cs_x86 *x, const cs_x86_op *op,
		      int *sreg);

/* proxy.c: an instruction run on a copy of its memory operand.
 * Returns 0 done, -1 raised c->exc_*, 1 not an instruction it runs. */
int proxy__init(struct monitor *t);
void proxy__destroy(struct monitor *t);
bool proxy__allowed(const cs_insn *in);
int proxy__encode(const cs_insn *in, u8 *out, size_t outlen, u64 at,
		  u64 scratch);
int proxy__run(struct monitor *t, const cs_insn *in, int sreg, u32 ea);
/* string_ops.c: MOVS..SCAS; *done false when a long REP was cut. */
int string_insn__emulate(struct monitor *t, const cs_insn *in, bool *done);
/* SYSENTER/SYSEXIT against IA32_SYSENTER_*; -1 raised #GP(0). */
int emulate__sysenter(struct sw_cpu *c);
int emulate__sysexit(struct sw_cpu *c);
/* Memory forms on unreachable memory: string, stack, proxy (emulate.c). */
enum emu_result emulate__generic(struct monitor *t, const cs_insn *in);
/* window_exec.c: guest code in the monitor window, one instruction at a
 * time. 0 EIP is not there; 1 ran until it left; 2 a slice ran (give the
 * run loop a turn); -1 raised c->exc_*. */
int window__emulate(struct monitor *t);

/* stack_ops.c: PUSH, POP, ENTER, LEAVE on a stack the host cannot reach;
 * 0 done (EIP not moved), -1 raised, 1 not one of them. */
int stack__emulate(struct monitor *t, const cs_insn *in);
/* Capstone segment register -> SW_ES.. (-1 for anything else). */
int emulate__sreg_of(x86_reg r);
/* Capstone general register -> encoding number (EAX 0 .. EDI 7). */
int emulate__gpr_index(x86_reg r);

/* deliver.c */
enum deliver_source {
	DELIVER_EXCEPTION, /* CPU exception: no gate DPL check */
	DELIVER_SOFT,	   /* INT n, INT3, INTO: gate DPL >= CPL */
	DELIVER_EXTERNAL,  /* PIC interrupt: EXT = 1 in error codes */
};
/*
 * Delivers @vector through the guest IDT with @return_eip in the frame;
 * nested faults become #DF, a fault while delivering #DF is a triple
 * fault: returns -1 and the caller stops the machine.
 */
int deliver__event(struct monitor *t, int vector, bool has_error, u32 error,
		   enum deliver_source src, u32 return_eip);
/* IRET (SDM Vol. 2A IRET, protected mode, 32-bit operand size). */
int deliver__iret(struct sw_cpu *c);

/* The frame an event pushes (pure; unit tested). Words high to low. */
struct deliver_frame {
	u32 word[6];
	int n;
};
void deliver__build_frame(struct deliver_frame *f, bool priv_switch, u16 old_ss,
			  u32 old_esp, u32 eflags, u16 cs, u32 eip,
			  bool has_error, u32 error);

/* monitor.c: the mode ops both engines share */
int monitor__init(struct vcpu *vcpu, char *err, size_t errlen);
void monitor__destroy(struct vcpu *vcpu);
void monitor__stats(struct vcpu *vcpu, struct stats *stats);
int monitor__inject(struct vcpu *vcpu, irq_ack_fn ack, void *ctx);
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
/* Delivers an event; false (with @exit filled) when the machine stops. */
bool monitor__deliver(struct monitor *t, int vector, bool has_error, u32 error,
		      enum deliver_source src, u32 ret_eip,
		      struct vm_exit *exit);
/* One guest event; true when the run loop must see @exit. */
bool monitor__handle(struct monitor *t, const struct sw_event *ev,
		     struct vm_exit *exit);
void monitor__count(struct monitor *t, const char *group, const char *name);
void monitor__set_eflags(struct sw_cpu *c, u32 v); /* tracks IF for windows */
/* CR0/CR3/CR4/EFER changed: tell the shadow page tables. */
void monitor__paging_changed(struct monitor *t, bool cr3_write);

#endif
