/*
 * The apic family (docs/probes/apic.md): the local APIC in xAPIC and
 * x2APIC mode (SDM Vol. 3A chapter "Advanced Programmable Interrupt
 * Controller (APIC)", 12 in current editions, 10 in older ones; AMD APM
 * Vol. 2 16, "Local APIC"). Registers are named by their xAPIC MMIO
 * offset; in x2APIC mode the same register is MSR 800H + offset / 16
 * (Vol. 3A 12.12.1.2).
 */
#ifndef CONFORMANCE_APIC_H
#define CONFORMANCE_APIC_H

#include "msr.h"

#define MSR_APIC_BASE	 0x1b
#define MSR_TSC_DEADLINE 0x6e0
#define APIC_BASE_BSP	 (1ull << 8)
#define APIC_BASE_EXTD	 (1ull << 10)
#define APIC_BASE_EN	 (1ull << 11)
#define APIC_MMIO	 0xfee00000u

enum {
	APIC_ID = 0x20,
	APIC_VERSION = 0x30,
	APIC_TPR = 0x80,
	APIC_PPR = 0xa0,
	APIC_EOI = 0xb0,
	APIC_LDR = 0xd0,
	APIC_SVR = 0xf0,
	APIC_ISR = 0x100,
	APIC_TMR = 0x180,
	APIC_IRR = 0x200,
	APIC_ESR = 0x280,
	APIC_LVT_CMCI = 0x2f0,
	APIC_ICR = 0x300,
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
	APIC_SELF_IPI = 0x3f0, /* x2APIC only */
};

#define APIC_SVR_ENABLE	   (1u << 8)
#define APIC_LVT_MASKED	   (1u << 16)
#define APIC_LVT_PERIODIC  (1u << 17)
#define APIC_LVT_DEADLINE  (2u << 17)
#define APIC_ICR_SELF	   (1u << 18) /* destination shorthand 01b */
#define APIC_ESR_SEND_ILL  (1u << 5)
#define APIC_ESR_RECV_ILL  (1u << 6)
#define APIC_ESR_ILLEGAL_R (1u << 7)

/* What CPUID and the version register report, read once by apic_init(). */
struct apic_cpu {
	bool present;	  /* CPUID.1:EDX.APIC and IA32_APIC_BASE.EN */
	bool x2apic;	  /* CPUID.1:ECX[21] */
	bool deadline;	  /* CPUID.1:ECX[24] */
	bool x2mode;	  /* accessors use MSRs (x2APIC mode) */
	u32 initial_id;	  /* CPUID.1:EBX[31:24] */
	bool has_leaf_b;  /* CPUID.0BH reports an x2APIC ID */
	u32 x2apic_id;	  /* CPUID.0BH:EDX */
	int max_lvt;	  /* version register bits 23:16 */
	u64 base;	  /* IA32_APIC_BASE at entry */
	const char *skip; /* why nothing can be checked, or NULL */
	/* called by the handler of nest_vector before its EOI */
	void (*nest_hook)(void);
	u8 nest_vector;
};
extern struct apic_cpu apic;

/* The register at xAPIC offset off, through MMIO or its x2APIC MSR. */
u32 apic_read(u32 off);
void apic_write(u32 off, u32 v);
/* Sends a fixed interrupt to this processor: ICR self shorthand (xAPIC)
 * or the SELF IPI register (x2APIC). */
void apic_self_ipi(u8 vector);
/* Bit n of the 256-bit ISR, TMR or IRR starting at off. */
bool apic_bit(u32 off, u8 n);
/* Brings the APIC to a known state: software enabled, spurious vector
 * 0xff, TPR 0, every LVT masked, the timer stopped, ISR and ESR empty. */
void apic_reset_state(void);

/* Per-vector interrupt counts, and what the handler saw when it ran. */
extern volatile unsigned apic_hits[256];
extern volatile u8 apic_order[16];
extern volatile unsigned apic_norder;
/* Handlers on every vector 0x30-0xfe that count, log order and EOI
 * (unless apic_no_eoi); the runtime's own vectors are left alone. */
void apic_handlers_install(void);
extern volatile bool apic_no_eoi;
/* The same handler on illegal vectors 0-7, 9 and 15 (on) or none (off):
 * a target that wrongly delivers one is counted instead of misread as
 * an exception. */
void apic_illegal_handlers(bool on);
/* What the handler of a vector read when it last ran. */
struct apic_seen {
	bool isr, irr; /* the vector's own ISR and IRR bits */
	u32 ppr, cur;  /* PPR, timer current count */
	u64 tsc;
};
extern struct apic_seen apic_seen[256];
void apic_hits_clear(void);
/* Waits (with IF as it is) until vector v was taken n times, or a bound
 * of TSC cycles passes: delivery may lag on an emulator. */
bool apic_wait_hits(u8 v, unsigned n);
/* Waits long enough for a held interrupt to be wrongly delivered. */
void apic_settle(void);

/* The id of a member of the family pattern pat (declared once with
 * DECLARE_CHECK), one selector per group, into buf (CHECK_ID_MAX). */
#define MEMBER(buf, pat, ...)                                                  \
	check_member_id((buf), (pat), (const int[]){__VA_ARGS__},              \
			ARRAY_SIZE(((const int[]){__VA_ARGS__})))
/* Reports a skip for the member when nothing can be checked. */
bool apic_skipped(const char *id);

/*
 * Why the checks that leave xAPIC mode (x2APIC, global disable) must not
 * run, or NULL: under the ISO sequencer the next image gets this
 * machine, and QEMU's and Bochs's APIC, once globally disabled, do not
 * come back (docs/probes/apic.md).
 */
const char *apic_no_mode_change(void);

void apic_mode(void);
void apic_mode_last(void);
void apic_x2apic(void);
void apic_regs(void);
void apic_lvt(void);
void apic_irq(void);
void apic_timer(void);
void apic_deadline(void);

#endif
