/*
 * The software monitor's state for one virtual CPU, shared by every part
 * of emu/ and by the engines: the virtual CPU, its shadow page tables,
 * the decoder, pending port I/O, the engine's hooks and the counters;
 * what one emulation step returns; and the few helpers every emulator
 * needs (named counters, EFLAGS and IOPL, paging changes).
 */
#ifndef REFVMM_EMU_VM_H
#define REFVMM_EMU_VM_H

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

/* Port I/O handed to the run loop, completed on the way back in. */
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

/*
 * How the engine runs guest code. NATIVE (trap): directly, on guest
 * pages mapped executable, so mmap/mprotect may ask for PROT_EXEC
 * whenever the guest's page tables change. TRANSLATED (bt): only from
 * the translation cache; guest pages are data, never executable, and
 * after start-up no mapping may become executable.
 */
enum monitor_code { MONITOR_CODE_NATIVE, MONITOR_CODE_TRANSLATED };

struct monitor {
	struct vcpu *vcpu;
	struct machine *m;
	struct sw_cpu *c;
	csh cs;
	struct insn_cache *icache; /* emulate__decode's */
	struct monitor_io io;
	struct shadow_pt sp;
	enum monitor_code code;
	u8 *proxy_page, *proxy_xhost; /* proxy.c */
	u64 proxied, window_steps;
	bool trace_step; /* single-stepping a write to a traced page */
	bool window_requested;
	bool nmi_window; /* an NMI waits for the IRET or the shadow's end */
	bool monitor_step;
	bool cpuid_faulting, tsc_trapping, seccomp_on, shadow_on;
	char host_notes[3][160];
	u64 events, emulated, delivered_exc, delivered_irq, delivered_int;
	const cs_insn *last; /* the decoded instruction, for traces */
	struct monitor_hooks hooks;
};

/* Adds 1 to the machine's counter "@group.@name". */
void vm__count(struct monitor *t, const char *group, const char *name);
/* Writes EFLAGS: reserved bits as the CPU keeps them (SDM Vol. 1 3.4.3). */
void vm__set_eflags(struct sw_cpu *c, u32 v);
/* EFLAGS.IOPL (SDM Vol. 1 3.4.3.3). */
int vm__iopl(const struct sw_cpu *c);
/* CR0/CR3/CR4/EFER changed: tell the shadow page tables; stops the
 * machine when they cannot follow. */
/* The shadow's privilege class for the next run of guest code: user or
 * supervisor, and for the supervisor whether SMAP is suspended (AC = 1).
 * -1 when the host calls failed. */
int vm__shadow_class(struct monitor *t);
void vm__paging_changed(struct monitor *t, bool cr3_write);

#endif
