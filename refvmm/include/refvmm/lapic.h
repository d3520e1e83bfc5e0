/*
 * The local APIC in xAPIC mode (SDM Vol. 3A, "Advanced Programmable
 * Interrupt Controller (APIC)"): a 4 KiB MMIO page at IA32_APIC_BASE,
 * the IRR/ISR/TMR vectors, task and processor priority, EOI, self-IPIs
 * through the ICR, the six LVT entries of version 0x14 (like QEMU's) and
 * the APIC timer, computed from an injectable clock as the PIT is.
 *
 * It is the machine's interrupt source: while it is enabled (IA32_APIC_BASE
 * bit 11 and SVR bit 8) it delivers its own vectors and passes the 8259's
 * output through LINT0 programmed as ExtINT (virtual wire mode); while it
 * is disabled the 8259 reaches the CPU directly, as without an APIC.
 */
#ifndef REFVMM_LAPIC_H
#define REFVMM_LAPIC_H

#include "clock.h"
#include "types.h"

struct pic8259;

#define LAPIC_BASE_DEFAULT 0xfee00000ull
#define LAPIC_MMIO_SIZE	   0x1000u
/* The timer's input clock, before the divide configuration: 1 GHz, as
 * QEMU's APIC, so one bus clock is one nanosecond. */
#define LAPIC_BUS_HZ 1000000000ull

/* IA32_APIC_BASE bits (MSR 0x1b, SDM Vol. 3A "Local APIC Status and
 * Location") */
#define APIC_BASE_BSP	     (1ull << 8)
#define APIC_BASE_X2APIC     (1ull << 10)
#define APIC_BASE_ENABLE     (1ull << 11)
#define APIC_BASE_ADDR_SHIFT 12

/* Register offsets in the MMIO page. */
enum {
	APIC_ID = 0x020,
	APIC_VERSION = 0x030,
	APIC_TPR = 0x080,
	APIC_APR = 0x090,
	APIC_PPR = 0x0a0,
	APIC_EOI = 0x0b0,
	APIC_RRD = 0x0c0,
	APIC_LDR = 0x0d0,
	APIC_DFR = 0x0e0,
	APIC_SVR = 0x0f0,
	APIC_ISR = 0x100,
	APIC_TMR = 0x180,
	APIC_IRR = 0x200,
	APIC_ESR = 0x280,
	APIC_ICR_LO = 0x300,
	APIC_ICR_HI = 0x310,
	APIC_LVT_TIMER = 0x320,
	APIC_LVT_THERMAL = 0x330,
	APIC_LVT_PERF = 0x340,
	APIC_LVT_LINT0 = 0x350,
	APIC_LVT_LINT1 = 0x360,
	APIC_LVT_ERROR = 0x370,
	APIC_TIMER_INIT = 0x380,
	APIC_TIMER_CUR = 0x390,
	APIC_TIMER_DIV = 0x3e0,
};

/* LVT entries in register order (APIC_LVT_TIMER + 0x10 * n). */
enum {
	LVT_TIMER,
	LVT_THERMAL,
	LVT_PERF,
	LVT_LINT0,
	LVT_LINT1,
	LVT_ERROR,
	LVT_NR
};

#define APIC_VERSION_VALUE 0x00050014u /* max LVT entry 5, version 0x14 */
#define APIC_SVR_ENABLE	   (1u << 8)
#define APIC_LVT_MASKED	   (1u << 16)
#define APIC_LVT_PERIODIC  (1u << 17)
#define APIC_DM_FIXED	   0u
#define APIC_DM_NMI	   4u
#define APIC_DM_EXTINT	   7u

/* ESR bits (SDM Vol. 3A, "Error Handling") */
#define APIC_ESR_SEND_ILLEGAL_VECTOR (1u << 5)
#define APIC_ESR_RECV_ILLEGAL_VECTOR (1u << 6)
#define APIC_ESR_ILLEGAL_REGISTER    (1u << 7)

struct lapic {
	u64 apic_base; /* IA32_APIC_BASE */
	u32 id, tpr, ldr, dfr, svr;
	u32 esr;	 /* what the guest reads: latched at the last write */
	u32 esr_pending; /* errors since that write */
	u32 icr_lo, icr_hi;
	u32 lvt[LVT_NR];
	u32 irr[8], isr[8], tmr[8];

	/* The timer: count = initial - ticks since the load, where ticks
	 * are bus clocks / divisor; base_ticks carries the ticks counted
	 * before a divide change moved load_ns. */
	u32 timer_initial, timer_div;
	u64 load_ns, base_ticks;
	u64 expired; /* expirations accounted for since the load */

	struct clock *clock;
	struct pic8259 *pic; /* LINT0's ExtINT source, or NULL */
	u64 maxphys_mask;    /* address bits IA32_APIC_BASE may hold */
	u64 timer_irqs, ipis, spurious, extint;
	/* 8259 vectors acked while the APIC was disabled (globally or in
	 * the SVR): QEMU's pc passes them to the CPU, lapic__ack too */
	u64 pic_while_disabled;
	/* An NMI message accepted and not yet taken by the CPU: one latch,
	 * however many arrive meanwhile (the NMI input is an edge). */
	bool nmi_pending;
	u64 nmis;
};

/* The state after RESET for the bootstrap processor, APIC ID 0. */
void lapic__init(struct lapic *l, struct clock *clock, struct pic8259 *pic,
		 u8 maxphyaddr);

u32 lapic__read(struct lapic *l, u32 offset);
void lapic__write(struct lapic *l, u32 offset, u32 value);

/* IA32_APIC_BASE: the write returns -EINVAL where the SDM raises #GP. */
u64 lapic__get_base(const struct lapic *l);
int lapic__set_base(struct lapic *l, u64 value);
/* Enabled in IA32_APIC_BASE and in the SVR: it owns delivery. */
bool lapic__enabled(const struct lapic *l);
/* CPUID.1:EDX as the guest sees it: the APIC flag (bit 9) follows
 * IA32_APIC_BASE.EN. */
u32 lapic__cpuid1_edx(const struct lapic *l, u32 edx);
/* CR8 is TPR[7:4]: read it, or write it (TPR[3:0] cleared). */
u8 lapic__cr8(const struct lapic *l);
void lapic__set_cr8(struct lapic *l, u8 cr8);
/* A vector waits in IRR behind the PPR: only a TPR (CR8) or EOI change
 * lets it in. */
bool lapic__held(const struct lapic *l);

/* An interrupt request at the LAPIC (a fixed-mode message). */
void lapic__set_irr(struct lapic *l, u8 vector);

/* An NMI message for this processor is pending: the CPU takes it with
 * lapic__take_nmi() when it can (its own NMI blocking decides). */
static inline bool lapic__nmi_pending(const struct lapic *l)
{
	return l->nmi_pending;
}
void lapic__take_nmi(struct lapic *l);

/* The timer: sets IRR for expirations up to now; next one (ns) or 0. */
void lapic__update(struct lapic *l);
u64 lapic__next_deadline(struct lapic *l);
u32 lapic__current_count(struct lapic *l);

/*
 * What the CPU sees on its INTR: an interrupt the LAPIC accepts (above
 * the PPR), or the 8259's output passed through ExtINT; or, disabled,
 * the 8259 directly. ack is the INTA cycle: the vector, -1 if none.
 */
bool lapic__has_output(struct lapic *l);
int lapic__ack(struct lapic *l);

#endif
