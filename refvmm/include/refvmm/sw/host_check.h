/*
 * What the software modes need of the host before anything else: a
 * 64-bit process that can run 32-bit code from its own LDT
 * (compatibility mode, SDM Vol. 3A 5.2.1). Most x86-64 Linux hosts
 * can; a kernel without IA32 emulation or with modify_ldt compiled out
 * cannot, nor the user space of a PVM guest, whose hypervisor keeps
 * the descriptor tables (docs/refvmm.md, "Hosts the software modes
 * need").
 */
#ifndef REFVMM_SW_HOST_CHECK_H
#define REFVMM_SW_HOST_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/* 0 when the host runs compatibility-mode code and checks its
 * data-segment limits (or REFVMM_ALLOW_UNENFORCED_LIMITS=1 waives the
 * second); else -ENOSYS with one line in @err saying what failed. The
 * host's answer is kept: the check runs once per process (a child does
 * the far jump). */
int sw_host__check(char *err, size_t errlen);

/* Whether the host CPU raises #GP for a data access past its segment's
 * limit in compatibility mode, as the SDM requires (Vol. 3A 5.3); QEMU's
 * TCG does not. Checked once per process in a child; false when the
 * check cannot tell. */
bool sw_host__limits_enforced(void);
/*
 * Whether the host CPU computes the flags CMPXCHG8B keeps (all but ZF)
 * from a stale lazy-flags state, as QEMU 7.2's TCG does; probed once.
 * The translator then ends the host's block before each CMPXCHG8B
 * (docs/refvmm-bt.md, "Host errata").
 */
bool sw_host__cx8_stale_flags(void);

#endif
