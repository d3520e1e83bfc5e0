/*
 * Event delivery through the guest IDT, and IRET (deliver.c).
 */
#ifndef REFVMM_EMU_DELIVER_H
#define REFVMM_EMU_DELIVER_H

#include "vm.h"

enum deliver_source {
	DELIVER_EXCEPTION, /* CPU exception: no gate DPL check */
	DELIVER_SOFT,	   /* INT n, INT3, INTO: gate DPL >= CPL */
	DELIVER_EXTERNAL,  /* PIC interrupt: EXT = 1 in error codes */
};

/*
 * Delivers @vector through the guest IDT with @return_eip in the frame;
 * nested faults become #DF, a fault while delivering #DF is a triple
 * fault: returns -1 and the caller stops the machine; -2 for a 16-bit
 * gate, which is not modelled. A task gate switches tasks
 * (task_switch.c).
 */
int deliver__event(struct monitor *t, int vector, bool has_error, u32 error,
		   enum deliver_source src, u32 return_eip);
/* IRET (SDM Vol. 2A IRET, protected mode, 32-bit operand size); 0, or -1
 * with c->exc_* raised. */
int deliver__iret(struct sw_cpu *c);

/* The frame an event pushes (pure; unit tested). Words high to low. */
struct deliver_frame {
	u32 word[6];
	int n;
};
void deliver__build_frame(struct deliver_frame *f, bool priv_switch, u16 old_ss,
			  u32 old_esp, u32 eflags, u16 cs, u32 eip,
			  bool has_error, u32 error);

#endif
