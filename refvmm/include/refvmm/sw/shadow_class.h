/*
 * The privilege split of the shadow page tables (shadow_pt.h): the
 * paper's trick for kernel/user switches. At CPL 3 every guest segment
 * shadow is cut below a linear address, the split, so that user code
 * cannot form a linear address at or above it; the shadow then keeps the
 * supervisor mappings above the split across the switch to CPL 3 instead
 * of unmapping or re-protecting them, and only the pages below it (where
 * user and supervisor pages mix) change class.
 *
 * The split sits above the highest page the guest's tables ever let the
 * user class reach (U/S = 1 at every level, SDM Vol. 3A 4.6.1) as the
 * shadow saw it, rounded up to 4 MiB: for Linux, just above its user
 * space (0xc0000000). Where it is put is only a question of speed,
 * never of correctness: a CPL-3 access at or above it faults on the cut
 * segment, and the monitor lifts the split for the rest of that user
 * period and runs the access again on the full segments (the #PF the
 * guest's tables give it, or the access, as without a split); the page
 * it maps then raises the split for the next period.
 */
#ifndef REFVMM_SW_SHADOW_CLASS_H
#define REFVMM_SW_SHADOW_CLASS_H

#include "refvmm/types.h"

#define SHADOW_SPLIT_ALIGN 0x400000u

/* The split for @user_top (one past the highest user page seen, 0 for
 * none): aligned up, @window when there is nothing above it to keep. */
u32 shadow_class__split(u64 user_top, u32 window);

#endif
