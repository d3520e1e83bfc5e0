/*
 * conformance.ssload: every path that loads SS, with the descriptor kinds
 * and the CPL/RPL/DPL combinations each must accept or refuse (SDM Vol.
 * 3A, 5.7 "Privilege Level Checking When Loading the SS Register"; Vol.
 * 2A MOV, LSS, INT n, IRET; Vol. 2B POP, RET, SYSENTER, SYSEXIT, SYSCALL,
 * SYSRET). Shared between the files of the conformance-ssload images.
 */
#ifndef CONFORMANCE_SSLOAD_H
#define CONFORMANCE_SSLOAD_H

#include "common.h"

#ifdef __x86_64__
#define W64 1
#define SP  "%%rsp"
#else
#define W64 0
#define SP  "%%esp"
#endif

/* The descriptor kinds a case may load; names as in the check ids. */
enum kind {
	K_RW,	  /* writable data, base SS_BASE, accessed bit clear */
	K_NP,	  /* writable data, not present */
	K_RO,	  /* read-only data */
	K_CODE,	  /* readable code (the runtime's own code segments) */
	K_SYS,	  /* an LDT descriptor */
	K_NULL,	  /* selectors 0-3 */
	K_BEYOND, /* index past the GDT limit */
	K_LDT,	  /* writable data in the LDT (TI = 1) */
	K_LDT_BEYOND,
	K_COUNT
};

/* Base of the K_RW / K_LDT segments: outside 64-bit mode an access
 * through SS at offset x reads linear SS_BASE + x (Vol. 3A, 3.4.5). */
#define SS_BASE 0x1000u

#define SS_SLOT(n) (GDT_FREE + (n))
/* Slots 14-17 hold the fixed SYSENTER/SYSCALL selector block. */
#define SYS_SLOT SS_SLOT(14)

u16 kind_sel(enum kind k, int dpl, int rpl);

/* What a load must do: vec NO_FAULT (loaded) or the exception and its
 * error code. The rule's CPL is the CPL the new SS must match: the
 * current one, or the one RET/IRET returns to. */
struct outcome {
	int vec;
	long err;
};
struct outcome expect_load(enum kind k, int cpl, int dpl, int rpl);

/*
 * The state a load leaves: filled in by the probes (with SS possibly
 * pointing anywhere, so through absolute addresses only).
 */
struct ss_state {
	u16 ss_before, ss_after;
	ulong sp_before, sp_after;
	ulong off; /* offset read through the new SS */
	u32 val;   /* what that read returned */
};
extern volatile struct ss_state st;
/* The value a read through a correctly loaded SS returns. */
extern volatile u32 ss_marker;

/* Resets st, clears the kind's accessed bit, and sets st.off. */
void ss_prepare(enum kind k, int dpl);
/*
 * Reports id: after a fault (f->vector not NO_FAULT or RET_VECTOR) the
 * frame's SS:SP must be the state before the instruction; after a load,
 * SS must read sel, SP want_sp, the read through SS the marker, and the
 * descriptor's accessed bit must be set.
 */
bool ss_check_state(const char *id, enum kind k, int dpl, u16 sel,
		    ulong want_sp, const struct fault *f, bool loaded);

void ssload_explicit(void);
void ssload_xfer(void);
void ssload_sys(void);

#endif
