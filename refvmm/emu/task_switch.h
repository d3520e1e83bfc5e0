/*
 * Hardware task switches (task_switch.c): 0, or -1 with c->exc_* raised.
 * A fault after the switch has committed is raised in the new task's
 * context: c->eip and the registers are already the new task's.
 */
#ifndef REFVMM_EMU_TASK_SWITCH_H
#define REFVMM_EMU_TASK_SWITCH_H

#include "refvmm/sw/cpu.h"

/* Whether JMP/CALL far to a system descriptor @d switches tasks: a task
 * gate or a TSS descriptor, 16- or 32-bit, available or busy. */
bool task_switch__is_task(const struct vcpu_seg *d);
/* JMP / CALL far to @sel, a TSS descriptor or task gate @d; @next_eip is
 * what the outgoing task resumes at. */
int task_switch__far(struct sw_cpu *c, bool call, u16 sel,
		     const struct vcpu_seg *d, u32 next_eip);
/* An event through an IDT task gate naming @tss_sel: @eflags and
 * @ret_eip are saved in the outgoing TSS, @error is pushed on the new
 * task's stack; @ext is the EXT bit of the event's error codes. */
int task_switch__gate(struct sw_cpu *c, u16 tss_sel, u32 ext, u32 eflags,
		      u32 ret_eip, bool has_error, u32 error);
/* IRET with EFLAGS.NT = 1: back to the TSS the back link names. */
int task_switch__iret(struct sw_cpu *c, u32 next_eip);

#endif
