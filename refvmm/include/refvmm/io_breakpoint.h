/*
 * I/O breakpoints (SDM Vol. 3B 18.2.4): with CR4.DE=1 a DR7 R/W field of
 * 10b makes DRn a port address, and an IN/OUT/INS/OUTS touching it
 * raises a #DB trap after the instruction with DR6.Bn set. KVM completes
 * a port I/O exit without this check, so refvmm's hw mode makes it.
 */
#ifndef REFVMM_IO_BREAKPOINT_H
#define REFVMM_IO_BREAKPOINT_H

#include "refvmm/types.h"

#include <stdbool.h>

/* Whether DR7 arms any I/O breakpoint (before CR4.DE is consulted). */
bool io_bp_armed(u64 dr7);

/*
 * The DR6 B0-B3 bits of the breakpoints an access of size bytes (1, 2
 * or 4) at port hits; 0 when CR4.DE=0 or none does.
 */
u32 io_bp_hits(u64 cr4, u64 dr7, const u64 dr[4], u16 port, unsigned size);

#endif
