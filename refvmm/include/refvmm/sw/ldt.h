/*
 * The host LDT of the process (modify_ldt(2)): one slot per guest
 * segment register (enum sw_sreg), written only when the guest loads
 * that register, so Linux's own reloads from the LDT (IRET to user
 * space, context switches) see the descriptor the guest loaded: the
 * hidden descriptor cache. Each modify_ldt copies the whole table, so
 * it stays SW_NSREGS entries long.
 */
#ifndef REFVMM_SW_LDT_H
#define REFVMM_SW_LDT_H

#include "refvmm/sw/shadow_desc.h"

/* Writes slot @n; returns 0 or -errno. */
int ldt__write(int n, const struct shadow_desc *d);
/* modify_ldt calls made so far (for --stats). */
u64 ldt__writes(void);

#endif
