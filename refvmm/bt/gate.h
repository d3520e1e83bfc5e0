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

#ifndef __ASSEMBLER__

extern char bt_gate_start[], bt_gate_end[];
/* The 8-byte immediate in the gate that window set-up fills with the
 * landing's address (placeholder 0x1122334455667788 in gate.S). */
extern char bt_gate_landing_imm[];
#define BT_GATE_LANDING_PLACEHOLDER 0x1122334455667788ull
extern char sw_world_landing[];
#endif

#endif
