/*
 * Debug-register breakpoints under translation (breakpoint.c; SDM Vol. 3B
 * 17.2): instruction breakpoints are checked when a block is translated,
 * data breakpoints protect their pages in the host mapping of guest RAM,
 * I/O breakpoints are checked when an I/O callout completes.
 */
#ifndef REFVMM_BT_BREAKPOINT_H
#define REFVMM_BT_BREAKPOINT_H

#include "vm.h"

/* DR0-DR3 bits of the enabled instruction breakpoints (R/W = 00) at
 * linear @lin. */
u32 breakpoint__exec(const struct sw_cpu *c, u32 lin);
/* What the data breakpoints allow on guest page @pfn (PROT_* bits). */
int breakpoint__prot(const struct bt_vm *b, u32 pfn);
/* Is @lin on a page a data breakpoint protects? */
bool breakpoint__on_page(const struct bt_vm *b, u32 lin);
/* DR0-DR3 bits of the data breakpoints an access of @size at @lin hits. */
u32 breakpoint__match(const struct bt_vm *b, u32 lin, u32 size, bool write);
/* Recomputes the pages of the data breakpoints from DR7; @old gets the
 * previous ones (their count is returned). The caller protects both
 * sets again (codepage__protect). */
u32 breakpoint__update(struct bt_vm *b, u32 old[BT_MAX_DBP_PAGES]);
/* An I/O breakpoint on the IN/OUT of @size at @port that just completed:
 * a #DB trap after it. True when the run must stop with @exit. */
bool breakpoint__io(struct bt_vm *b, u16 port, u32 size, struct vm_exit *exit);

#endif
