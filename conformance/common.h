/*
 * Helpers shared by the conformance probes: naming an exception outcome
 * in a failure message, labelling instructions, and the CPL/IOPL
 * combinations most groups iterate over.
 */
#ifndef CONFORMANCE_COMMON_H
#define CONFORMANCE_COMMON_H

#include "desc.h"
#include "fault.h"
#include "report.h"
#include "x86.h"

#define PROBE static __attribute__((noinline, noclone)) void
/* Labels the next instruction so its address can be compared. */
#define AT(label) ".globl " #label "\n" #label ":\n\t"

/* "Any error code" for report_fault(). */
#define ANY_ERR (-1l)

/*
 * Checks that f records exception vec with error code err (ANY_ERR: not
 * checked; vectors without an error code: ignored), or NO_FAULT, and words
 * a failure as "expected #GP(0x0), saw no exception".
 */
bool check_fault(const char *id, int vec, long err, const struct fault *f);
#define report_fault(id, desc, vec, err, f)                                    \
	check_fault(DECLARE_CHECK(id, desc), (vec), (err), (f))
#define report_gp0(id, desc, f)	    report_fault(id, desc, GP_VECTOR, 0, f)
#define report_nofault(id, desc, f) report_fault(id, desc, NO_FAULT, 0, f)

/* Formats an outcome ("#GP(0x10)", "no exception") into buf. */
const char *outcome_str(char *buf, size_t n, int vec, long err);

/* EFLAGS with only IOPL (and optionally IF) set, for run_at_cpl_flags(). */
static inline ulong iopl_flags(int iopl, bool intf)
{
	return X86_EFLAGS_FIXED | ((ulong)iopl << 12) |
	       (intf ? X86_EFLAGS_IF : 0);
}

/* A call gate (SDM Vol. 3A, 5.8.3; 64-bit form 5.8.3.1). */
void gdt_set_call_gate(int index, u16 sel, ulong offset, int dpl);
/* A system descriptor (LDT = 2, TSS = 9, ...) of the width's size: 64-bit
 * system descriptors take two GDT slots, the second holding base[63:32]. */
void gdt_set_system(int index, ulong base, u32 limit, u8 type, int dpl);

/* Busy-waits for a number of loop iterations: only where "some time
 * passes" is enough, never as a measure of time. */
void spin(unsigned long loops);

#endif
