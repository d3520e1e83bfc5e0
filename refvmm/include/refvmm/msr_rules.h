/*
 * WRMSR rules KVM does not apply, checked by refvmm's hw mode on the
 * writes a KVM MSR filter sends to user space: IA32_PAT memory types
 * (SDM Vol. 3A 13.12.2, older editions 11.12.2) and, on Intel, the
 * canonical check on IA32_SYSENTER_ESP/EIP (Vol. 2B WRMSR: #GP(0) for a
 * non-canonical address; KVM instead canonicalizes the value, which is
 * AMD's way of ignoring the upper half).
 */
#ifndef REFVMM_MSR_RULES_H
#define REFVMM_MSR_RULES_H

#include "refvmm/types.h"

#include <stdbool.h>

#define MSR_RULES_SYSENTER_ESP 0x175u
#define MSR_RULES_SYSENTER_EIP 0x176u
#define MSR_RULES_PAT	       0x277u

/* Whether a value's bits 63:vabits-1 are all equal (vabits 48 or 57). */
bool msr_canonical(u64 v, int vabits);

/*
 * Whether WRMSR of v to msr raises #GP(0) by the rules above; vabits is
 * the guest's linear-address width (CPUID.80000008H:EAX[15:8]) and intel
 * whether the guest's vendor is Intel. Other MSRs: false.
 */
bool msr_write_faults(u32 msr, u64 v, bool intel, int vabits);

#endif
