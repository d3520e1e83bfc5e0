/*
 * bt-simple and bt: binary translation on the software monitor of trap
 * mode (docs/refvmm-bt.md). Guest code never runs untranslated: blocks
 * of guest instructions are translated on demand into the translation
 * cache in the monitor window and run there at host CPL 3 under a
 * monitor code segment of the host LDT; the guest's data segments stay
 * the shadows of trap mode, GS is the monitor's (the per-vCPU page).
 * Everything that is privileged or sensitive leaves through a callout
 * into the emulator trap mode uses (emu/).
 *
 *   vm.h           the engine's state (struct bt_vm) and the window
 *   decode.c       opcode tables: length and class of a guest instruction
 *   emit.c         the byte emitter of host code
 *   translate.c    one block: IDENT copies, rewrites, exit stubs, the map
 *   tcache.c       the cache: blocks, lookup, chaining, flushes, the
 *                  cache address -> guest EIP map
 *   codepage.c     code pages: write protection and snapshots
 *   smc.c          self-modifying code: writes to code pages
 *   breakpoint.c   instruction, data and I/O breakpoints
 *   paging.c       translation on guest paging: fetch walks
 *   aspace.c       blocks kept across address spaces: checked, unlinked
 *   mmio.c         any instruction on MMIO, on a shadow page
 *   callout.c      callouts: what a stub asks, and the sensitive
 *                  instructions trap mode never sees
 *   adapt.c        adaptive translation's policy (pure)
 *   retranslate.c  its mechanism: retranslate and patch
 *   gate.S         the 64-bit callout gate
 *   bt.c           the modes: run loop, signals, stats
 */
#ifndef REFVMM_BT_BT_H
#define REFVMM_BT_BT_H

#include "refvmm/mode.h"

extern const struct mode_ops bt_simple_mode_ops, bt_mode_ops;

#endif
