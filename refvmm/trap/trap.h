/*
 * trap mode internals: classical trap-and-emulate with direct execution
 * (ARCHITECTURE.md, "trap, bt-simple, bt"). trap.c is the mode (ops,
 * run loop step, host set-up), emulate.c the privileged-instruction
 * emulator, deliver.c event delivery through the guest IDT.
 */
#ifndef REFVMM_TRAP_H
#define REFVMM_TRAP_H

#include <capstone/capstone.h>

#include "refvmm/mode.h"
#include "refvmm/sw/cpu.h"
#include "refvmm/sw/shadow_pt.h"
#include "refvmm/sw/traps.h"

struct machine;
struct vcpu;

/* What one emulation step did. */
enum emu_result {
	EMU_DONE,  /* emulated; EIP moved on */
	EMU_RAISE, /* raised c->exc_* for the guest */
	EMU_EXIT,  /* needs the run loop (I/O, HLT, stop): exit filled */
	EMU_NOT,   /* not an instruction the monitor emulates */
	EMU_FATAL, /* cannot go on: exit filled with the reason */
};

struct trap_io {
	bool pending;
	bool in, string, rep;
	u8 size;
	u16 port;
	u32 count;
	u32 next_eip;
	int seg; /* OUTS source segment */
	u8 data[4096];
};

struct trap_vm {
	struct vcpu *vcpu;
	struct machine *m;
	struct sw_cpu *c;
	csh cs;
	cs_insn *insn;
	struct trap_io io;
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
	/* bt: sensitive instructions trap mode never sees, tried first. */
	enum emu_result (*emulate_hook)(struct trap_vm *t, const cs_insn *in,
					struct vm_exit *exit);
	void *bt; /* struct bt_vm when a BT mode runs on this monitor */
};

/* emulate.c */
enum emu_result emulate__insn(struct trap_vm *t, const struct sw_event *ev,
			      struct vm_exit *exit);
void emulate__complete_io(struct trap_vm *t);
/* Decodes the instruction at CS:EIP; NULL when it cannot. */
const cs_insn *emulate__decode(struct trap_vm *t, u32 eip);
/* Operand access for the emulators (0, or -1 with c->exc_* raised). */
int emulate__op_read(struct sw_cpu *c, const cs_x86 *x, const cs_x86_op *op,
		     u32 *v);
int emulate__op_write(struct sw_cpu *c, const cs_x86 *x, const cs_x86_op *op,
		      u32 v);
u32 emulate__mem_addr(struct sw_cpu *c, const cs_x86 *x, const cs_x86_op *op,
		      int *sreg);

/* proxy.c: an instruction run on a copy of its memory operand.
 * Returns 0 done, -1 raised c->exc_*, 1 not an instruction it runs. */
int proxy__init(struct trap_vm *t);
void proxy__destroy(struct trap_vm *t);
bool proxy__allowed(const cs_insn *in);
int proxy__encode(const cs_insn *in, u8 *out, size_t outlen, u64 at,
		  u64 scratch);
int proxy__run(struct trap_vm *t, const cs_insn *in, int sreg, u32 ea);
/* string_ops.c: MOVS..SCAS; *done false when a long REP was cut. */
int string__run(struct trap_vm *t, const cs_insn *in, bool *done);
/* SYSENTER/SYSEXIT against IA32_SYSENTER_*; -1 raised #GP(0). */
int emulate__sysenter(struct sw_cpu *c);
int emulate__sysexit(struct sw_cpu *c);
/* Memory forms on unreachable memory: string, stack, proxy (emulate.c). */
enum emu_result emulate__generic(struct trap_vm *t, const cs_insn *in);
/* window_exec.c: guest code in the monitor window, one instruction at a
 * time. 0 EIP is not there; 1 ran until it left; 2 a slice ran (give the
 * run loop a turn); -1 raised c->exc_*. */
int window__run(struct trap_vm *t);

/* stack_ops.c: PUSH, POP, ENTER, LEAVE on a stack the host cannot reach;
 * 0 done (EIP not moved), -1 raised, 1 not one of them. */
int stack__run(struct trap_vm *t, const cs_insn *in);
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
int deliver__event(struct trap_vm *t, int vector, bool has_error, u32 error,
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

/* trap.c */
/* Delivers an event; false (with @exit filled) when the machine stops. */
bool trap__deliver(struct trap_vm *t, int vector, bool has_error, u32 error,
		   enum deliver_source src, u32 ret_eip, struct vm_exit *exit);
/* One guest event; true when the run loop must see @exit. */
bool trap__handle(struct trap_vm *t, const struct sw_event *ev,
		  struct vm_exit *exit);
void trap__count(struct trap_vm *t, const char *group, const char *name);
void trap__set_eflags(struct sw_cpu *c, u32 v); /* tracks IF for windows */
/* CR0/CR3/CR4/EFER changed: tell the shadow page tables. */
void trap__paging_changed(struct trap_vm *t, bool cr3_write);

#endif
