/*
 * The nmi family (docs/probes/nmi.md): NMIs sent to this processor through
 * its local APIC, what blocks them and what unblocks them. Shared by
 * nmi.c (delivery through the LAPIC), nmi_block.c (blocking until IRET,
 * #DF, interrupt shadows) and nmi_lapic.c (the xAPIC registers used).
 */
#ifndef CONFORMANCE_NMI_H
#define CONFORMANCE_NMI_H

#include "common.h"
#include "ex_regs.h"

/* xAPIC register offsets (SDM Vol. 3A, Table "Local APIC Register Address
 * Map"). */
#define APIC_ID	       0x020
#define APIC_EOI       0x0b0
#define APIC_LDR       0x0d0
#define APIC_DFR       0x0e0
#define APIC_SVR       0x0f0
#define APIC_IRR       0x200
#define APIC_ICR_LO    0x300
#define APIC_ICR_HI    0x310
#define APIC_LVT_LINT1 0x360

/* ICR and LVT fields (SDM Vol. 3A, "Interrupt Command Register", "Local
 * Vector Table"). */
#define APIC_DM_NMI	      (4u << 8)
#define APIC_DEST_LOGICAL     (1u << 11)
#define APIC_DELIVERY_PENDING (1u << 12)
#define APIC_LEVEL_ASSERT     (1u << 14)
#define APIC_TRIGGER_LEVEL    (1u << 15)
#define APIC_LVT_MASKED	      (1u << 16)
#define APIC_SHORT_SELF	      (1u << 18)
#define APIC_SHORT_ALL_BUT    (3u << 18)

#ifdef __x86_64__
#define NMI_SP "%%rsp"
#else
#define NMI_SP "%%esp"
#endif

/* Maps and software-enables the xAPIC; bails out without one. */
void nmi_lapic_init(void);
u32 lapic_read(u32 reg);
void lapic_write(u32 reg, u32 v);
volatile u32 *lapic_reg(u32 reg);
u8 lapic_id(void);
/* Writes ICR high (the destination) then ICR low (which sends). */
void lapic_send(u32 dest, u32 lo);
/* An NMI to this processor's own APIC ID, the form every test uses to
 * make one more NMI pending. */
void send_self_nmi(void);

/* One NMI as the handler saw it. */
struct nmi_event {
	ulong ip, flags, frame, sp;
	u16 cs, ss;
	ulong handler_flags;
	int depth; /* NMI handlers already running when it arrived */
};

#define NMI_LOG_MAX 4
struct nmi_log {
	volatile unsigned count;
	volatile int depth;
	struct nmi_event ev[NMI_LOG_MAX];
};
extern struct nmi_log nmi_log;
/* Run once inside the first NMI handler of a test, before its IRET. */
extern void (*volatile nmi_hook)(void);

void nmi_reset(void);

/*
 * Spins until nmi_log.count reaches want, for at most NMI_WAIT_LOOPS
 * iterations or NMI_WAIT_CYCLES TSC cycles, and returns the count;
 * *cycles (if not NULL) gets the cycles spent. A self-IPI takes a few
 * thousand cycles on hardware and is synchronous with the ICR write in
 * emulators; the cycle bound keeps a target that runs this loop slowly
 * (single-stepped after an NMI on kvm_pvm) within its timeout.
 */
#define NMI_WAIT_LOOPS	2000000ul
#define NMI_WAIT_CYCLES 20000000ull
unsigned nmi_wait(unsigned want, u64 *cycles);

/* Reports "expected N NMIs, saw M" / "expected an NMI, none in C cycles". */
bool nmi_check_count(const char *id, unsigned want, unsigned seen, u64 cycles);
#define report_nmis(id, desc, want, seen, cycles)                              \
	nmi_check_count(DECLARE_CHECK(id, desc), (want), (seen), (cycles))

/* "GenuineIntel": the SDM's rule applies where the APM says less. */
bool nmi_vendor_intel(void);

/* The entry of the handler of an exception or interrupt vector. */
ulong nmi_stub(int vector);

/*
 * The blocking tests: nmi_with_hook() sends a self-NMI whose handler runs
 * hook before its IRET, and returns the NMIs seen after a full wait;
 * nmi_make_pending(), run as or from a hook, sends a second NMI and
 * waits the full bound, leaving in nmi_held what arrived meanwhile.
 */
unsigned nmi_with_hook(void (*hook)(void), u64 *cycles);
void nmi_make_pending(void);
extern volatile unsigned nmi_held;
extern u64 nmi_held_cycles;

/* IRET to a null CS (#GP(0)); its handlers resume at nmi_bad_resume with
 * the stack pointer nmi_bad_sp, through nmi_resume_at(). */
void nmi_faulting_iret(void);
extern char nmi_bad_iret[], nmi_bad_resume[];
extern ulong nmi_bad_sp;
void nmi_resume_at(struct ex_regs *r, ulong ip, ulong sp);
/* The held (second) NMI came at the first instruction of the handler at
 * stub, count_in_handler = 2; off Intel also after its IRET. */
bool nmi_unblocked_early(ulong stub, unsigned count_in_handler);

void nmi_block_checks(void);
void nmi_df_checks(void);
void nmi_exception_iret_checks(void);
void nmi_shadow_checks(void);

#endif
