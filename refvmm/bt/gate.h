/*
 * The callout gate (gate.S): 64-bit code copied into the monitor window,
 * reached by a far jump from translated code; it continues in the world
 * switch's landing (sw/world_switch.c).
 */
#ifndef REFVMM_BT_GATE_H
#define REFVMM_BT_GATE_H

extern char bt_gate_start[], bt_gate_end[];
extern char sw_world_landing[];

#endif
