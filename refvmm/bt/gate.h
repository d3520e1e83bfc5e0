/*
 * The callout gate (gate.S): 64-bit code copied into the monitor window,
 * reached by a far jump from translated code; it continues in the world
 * switch's landing (sw/world_switch.c).
 */
#ifndef REFVMM_BT_GATE_H
#define REFVMM_BT_GATE_H

/*
 * What the gate addresses through GS (64-bit mode: the base of
 * translated code's GS, no limit): struct sw_cpu one page below the
 * vCPU page, at SW_OFF_* (sw/cpu.h), and bt_page.eip. tcache.c checks
 * these against the C layout.
 */
#define BT_GATE_CPU    (-0x1000)
#define BT_GATE_PG_EIP 32
/* struct bt_ro, one page above the vCPU page: its far pointer (fast_ip,
 * fast_cs) is where a fast callout returns to. */
#define BT_GATE_RO 0x1000
/* BT_EXIT_FAST and BT_EXIT_MISS (vm.h), the exit codes the gate gives
 * bt_fast_callout first. */
#define BT_GATE_EXIT_FAST 13
#define BT_GATE_EXIT_MISS 3

#ifndef __ASSEMBLER__
#include "refvmm/types.h"

extern char bt_gate_start[], bt_gate_end[];
/* The 8-byte immediate in the gate that window set-up fills with the
 * landing's address (placeholder 0x1122334455667788 in gate.S). */
extern char bt_gate_landing_imm[];
#define BT_GATE_LANDING_PLACEHOLDER 0x1122334455667788ull
/* The same for bt_fast_callout's address (below; fast.c). */
extern char bt_gate_fast_imm[];
#define BT_GATE_FAST_PLACEHOLDER 0x1122334455667789ull
/* The fast return's test of the kick to its IRETQ, and where a kick in
 * that range goes instead (bt.c's signal hook). */
extern char bt_gate_fast_critical[], bt_gate_fast_critical_end[];
extern char bt_gate_fast_bail[];
extern char sw_world_landing[];

/*
 * Called by the gate (gate.S) with the guest's registers in struct
 * sw_cpu, on the host stack, with the guest's extended state, FS base
 * and data selectors still loaded. Returns where translated code goes
 * on (the lookup routine, with bt_page.target the next guest EIP), or 0:
 * the instruction was not done and the callout takes the full path (the
 * monitor's record may have caught up with a translated SYSENTER or
 * SYSEXIT first, as the full path's would: fast_sysx.h). Compiled
 * with -mgeneral-regs-only and calls nothing: it must not touch a
 * vector, x87 or FS-relative location.
 */
u64 bt_fast_callout(void);
#endif

#endif
