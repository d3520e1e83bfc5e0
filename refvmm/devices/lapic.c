/*
 * The local APIC in xAPIC mode (lapic.h; SDM Vol. 3A, "Advanced
 * Programmable Interrupt Controller (APIC)"). One processor, so every
 * IPI it can send is a self-IPI; no I/O APIC, so nothing is ever level
 * triggered and the TMR stays clear.
 */
#include <errno.h>
#include <stdlib.h>

#include "refvmm/device.h"
#include "refvmm/io.h"
#include "refvmm/lapic.h"
#include "refvmm/machine.h"
#include "refvmm/pic8259.h"
#include "refvmm/run.h"

/* Writable bits of each LVT entry (SDM Vol. 3A, "Local Vector Table");
 * delivery status and remote IRR are read-only, timer mode bit 18 is
 * reserved without TSC-deadline mode. */
static const u32 lvt_writable[LVT_NR] = {
	[LVT_TIMER] = 0x300ffu,	  /* vector, mask, periodic */
	[LVT_THERMAL] = 0x107ffu, /* vector, delivery mode, mask */
	[LVT_PERF] = 0x107ffu,
	[LVT_LINT0] = 0x1a7ffu, /* + polarity, trigger mode */
	[LVT_LINT1] = 0x1a7ffu,
	[LVT_ERROR] = 0x100ffu, /* vector, mask */
};

#define ICR_LO_WRITABLE 0x000ccfffu /* all but delivery status (bit 12) */
#define SVR_WRITABLE	0x1ffu	    /* vector, enable; no focus checking */

void lapic__init(struct lapic *l, struct clock *clock, struct pic8259 *pic,
		 u8 maxphyaddr)
{
	*l = (struct lapic){
		.apic_base =
			LAPIC_BASE_DEFAULT | APIC_BASE_BSP | APIC_BASE_ENABLE,
		.dfr = 0xffffffffu,
		.svr = 0xff,
		.clock = clock,
		.pic = pic,
		.maxphys_mask = (1ull << maxphyaddr) - 1,
	};
	for (int i = 0; i < LVT_NR; i++)
		l->lvt[i] = APIC_LVT_MASKED;
	/*
	 * The SDM's reset value masks LINT0, but firmware leaves the BSP in
	 * virtual wire mode (LINT0 ExtINT) and QEMU starts there for the
	 * same reason: a guest that enables the APIC keeps its 8259.
	 */
	l->lvt[LVT_LINT0] = APIC_DM_EXTINT << 8;
}

/* --- vectors --- */

static int highest(const u32 *v)
{
	for (int i = 7; i >= 0; i--)
		if (v[i])
			return i * 32 + 31 - __builtin_clz(v[i]);
	return -1;
}

static void bit_set(u32 *v, u8 n)
{
	v[n / 32] |= 1u << (n % 32);
}

static void bit_clear(u32 *v, u8 n)
{
	v[n / 32] &= ~(1u << (n % 32));
}

/* SDM Vol. 3A, "Processor Priority Register (PPR)". */
static u32 ppr(const struct lapic *l)
{
	int isrv = highest(l->isr);
	u32 isr_class = isrv < 0 ? 0 : (u32)isrv & 0xf0;

	return (l->tpr & 0xf0) >= isr_class ? l->tpr & 0xff : isr_class;
}

/* SDM Vol. 3A, "Arbitration Priority Register (APR)". */
static u32 apr(const struct lapic *l)
{
	int irrv = highest(l->irr), isrv = highest(l->isr);
	u32 irr_class = irrv < 0 ? 0 : (u32)irrv & 0xf0;
	u32 isr_class = isrv < 0 ? 0 : (u32)isrv & 0xf0;
	u32 m;

	if ((l->tpr & 0xf0) >= irr_class && (l->tpr & 0xf0) > isr_class)
		return l->tpr & 0xff;
	m = l->tpr & 0xf0;
	m = irr_class > m ? irr_class : m;
	return isr_class > m ? isr_class : m;
}

/* The highest IRR vector whose priority class is above the PPR's. */
static int deliverable(const struct lapic *l)
{
	int v = highest(l->irr);

	return v >= 0 && ((u32)v >> 4) > (ppr(l) >> 4) ? v : -1;
}

static void error(struct lapic *l, u32 bits);

/* A fixed-mode interrupt arriving; vectors 0-15 are illegal (SDM Vol.
 * 3A, "Valid Interrupt Vectors") and only logged. */
static void accept(struct lapic *l, u32 vector)
{
	if (vector < 16) {
		error(l, APIC_ESR_RECV_ILLEGAL_VECTOR);
		return;
	}
	bit_set(l->irr, (u8)vector);
	bit_clear(l->tmr, (u8)vector); /* every source here is an edge */
}

static void error(struct lapic *l, u32 bits)
{
	u32 lvt = l->lvt[LVT_ERROR];

	l->esr_pending |= bits;
	/* an illegal vector here would log an error about itself forever */
	if (!(lvt & APIC_LVT_MASKED) && (lvt & 0xff) >= 16)
		accept(l, lvt & 0xff);
}

void lapic__set_irr(struct lapic *l, u8 vector)
{
	accept(l, vector);
}

/* --- the timer (SDM Vol. 3A, "APIC Timer") --- */

/* Divide configuration bits 3, 1:0 -> 2, 4, ..., 128, then 1 for 1011b. */
static u32 divisor(u32 dcr)
{
	u32 n = ((dcr >> 1) & 4) | (dcr & 3);

	return 1u << ((n + 1) & 7);
}

static u64 ticks(const struct lapic *l, u64 now)
{
	return l->base_ticks + (now - l->load_ns) / divisor(l->timer_div);
}

static bool periodic(const struct lapic *l)
{
	return l->lvt[LVT_TIMER] & APIC_LVT_PERIODIC;
}

static u64 expirations(const struct lapic *l, u64 t)
{
	if (!l->timer_initial)
		return 0;
	if (periodic(l))
		return t / l->timer_initial;
	return t >= l->timer_initial;
}

u32 lapic__current_count(struct lapic *l)
{
	u64 t;

	if (!l->timer_initial)
		return 0;
	t = ticks(l, clock__now(l->clock));
	if (periodic(l))
		return l->timer_initial - (u32)(t % l->timer_initial);
	return t >= l->timer_initial ? 0 : l->timer_initial - (u32)t;
}

/* Expirations that passed while the monitor was away coalesce into one
 * interrupt, as an IRR bit holds only one. */
void lapic__update(struct lapic *l)
{
	u64 due;

	if (!l->timer_initial || !(l->apic_base & APIC_BASE_ENABLE))
		return;
	due = expirations(l, ticks(l, clock__now(l->clock)));
	if (due <= l->expired)
		return;
	l->expired = due;
	if (!(l->lvt[LVT_TIMER] & APIC_LVT_MASKED)) {
		accept(l, l->lvt[LVT_TIMER] & 0xff);
		l->timer_irqs++;
	}
}

u64 lapic__next_deadline(struct lapic *l)
{
	u64 target;

	if (!l->timer_initial || !(l->apic_base & APIC_BASE_ENABLE) ||
	    (l->lvt[LVT_TIMER] & APIC_LVT_MASKED))
		return 0;
	if (!periodic(l) && l->expired)
		return 0;
	target = periodic(l) ? (l->expired + 1) * l->timer_initial
			     : l->timer_initial;
	if (target <= l->base_ticks)
		return l->load_ns;
	return l->load_ns + (target - l->base_ticks) * divisor(l->timer_div);
}

static void timer_load(struct lapic *l, u32 count)
{
	l->timer_initial = count; /* 0 stops the timer */
	l->load_ns = clock__now(l->clock);
	l->base_ticks = 0;
	l->expired = 0;
}

/* A new divisor counts on from where the old one got (the fraction of a
 * tick in progress is dropped). */
static void timer_divide(struct lapic *l, u32 dcr)
{
	u64 now = clock__now(l->clock);

	lapic__update(l);
	l->base_ticks = ticks(l, now);
	l->load_ns = now;
	l->timer_div = dcr & 0xb;
}

/* --- ICR: interrupts this processor sends (SDM Vol. 3A, "Issuing
 * Interprocessor Interrupts") --- */

static bool icr_targets_self(const struct lapic *l)
{
	u32 dest = l->icr_hi >> 24;

	switch ((l->icr_lo >> 18) & 3) {
	case 1: /* self */
	case 2: /* all including self */
		return true;
	case 3: /* all excluding self: nobody on one processor */
		return false;
	}
	if (!(l->icr_lo & (1u << 11))) /* physical */
		return dest == 0xff || dest == (l->id >> 24);
	if (dest == 0xff)
		return true;
	if ((l->dfr >> 28) == 0xf) /* flat model */
		return dest & (l->ldr >> 24);
	/* cluster model: cluster in bits 7:4, members in 3:0 */
	return (dest >> 4) == (l->ldr >> 28) && (dest & (l->ldr >> 24) & 0xf);
}

static void icr_send(struct lapic *l)
{
	u32 vector = l->icr_lo & 0xff, mode = (l->icr_lo >> 8) & 7;

	/* The vector of an NMI message is ignored (SDM Vol. 3A, "Interrupt
	 * Command Register"): no illegal-vector error for it. With the self
	 * or all-including-self shorthand NMI is an invalid combination
	 * (the SDM's tables of valid ICR combinations): not sent. */
	if (mode == APIC_DM_NMI) {
		if (!((l->icr_lo >> 18) & 3) && icr_targets_self(l)) {
			l->nmi_pending = true;
			l->nmis++;
			l->ipis++;
		}
		return;
	}
	/* fixed and lowest priority; SMI, INIT, SIPI are not modelled */
	if (mode != APIC_DM_FIXED && mode != 1)
		return;
	if (vector < 16) {
		error(l, APIC_ESR_SEND_ILLEGAL_VECTOR);
		return;
	}
	if (icr_targets_self(l)) {
		accept(l, vector);
		l->ipis++;
	}
}

void lapic__take_nmi(struct lapic *l)
{
	l->nmi_pending = false;
}

/* --- registers --- */

u32 lapic__read(struct lapic *l, u32 offset)
{
	switch (offset) {
	case APIC_ID:
		return l->id;
	case APIC_VERSION:
		return APIC_VERSION_VALUE;
	case APIC_TPR:
		return l->tpr;
	case APIC_APR:
		return apr(l);
	case APIC_PPR:
		return ppr(l);
	case APIC_LDR:
		return l->ldr;
	case APIC_DFR:
		return l->dfr;
	case APIC_SVR:
		return l->svr;
	case APIC_ESR:
		return l->esr;
	case APIC_ICR_LO:
		return l->icr_lo;
	case APIC_ICR_HI:
		return l->icr_hi;
	case APIC_TIMER_INIT:
		return l->timer_initial;
	case APIC_TIMER_CUR:
		return lapic__current_count(l);
	case APIC_TIMER_DIV:
		return l->timer_div;
	}
	if (offset >= APIC_ISR && offset < APIC_ISR + 0x80)
		return l->isr[(offset - APIC_ISR) / 16];
	if (offset >= APIC_TMR && offset < APIC_TMR + 0x80)
		return l->tmr[(offset - APIC_TMR) / 16];
	if (offset >= APIC_IRR && offset < APIC_IRR + 0x80)
		return l->irr[(offset - APIC_IRR) / 16];
	if (offset >= APIC_LVT_TIMER && offset <= APIC_LVT_ERROR)
		return l->lvt[(offset - APIC_LVT_TIMER) / 16];
	/* EOI and RRD read 0; so do reserved registers, without the
	 * illegal-register error a read could log: the BT modes read a
	 * whole MMIO page for instructions other than MOV (bt/mmio.c). */
	return 0;
}

static void write_svr(struct lapic *l, u32 value)
{
	l->svr = value & SVR_WRITABLE;
	/* Software disabled: every LVT entry masked (SDM Vol. 3A, "Local
	 * APIC State After It Has Been Software Disabled"). */
	if (!(l->svr & APIC_SVR_ENABLE))
		for (int i = 0; i < LVT_NR; i++)
			l->lvt[i] |= APIC_LVT_MASKED;
}

static void write_lvt(struct lapic *l, int n, u32 value)
{
	if (n == LVT_TIMER)
		lapic__update(l); /* expirations under the old mode first */
	l->lvt[n] = value & lvt_writable[n];
	/* ...and while disabled, attempts to unmask are ignored */
	if (!(l->svr & APIC_SVR_ENABLE))
		l->lvt[n] |= APIC_LVT_MASKED;
}

void lapic__write(struct lapic *l, u32 offset, u32 value)
{
	switch (offset) {
	case APIC_ID:
		l->id = value & 0xff000000u;
		return;
	case APIC_TPR:
		l->tpr = value & 0xff;
		return;
	case APIC_EOI: {
		int v = highest(l->isr);

		if (v >= 0)
			bit_clear(l->isr, (u8)v);
		return;
	}
	case APIC_LDR:
		l->ldr = value & 0xff000000u;
		return;
	case APIC_DFR:
		l->dfr = value | 0x0fffffffu;
		return;
	case APIC_SVR:
		write_svr(l, value);
		return;
	case APIC_ESR:
		l->esr = l->esr_pending;
		l->esr_pending = 0;
		return;
	case APIC_ICR_LO:
		l->icr_lo = value & ICR_LO_WRITABLE;
		icr_send(l);
		return;
	case APIC_ICR_HI:
		l->icr_hi = value & 0xff000000u;
		return;
	case APIC_TIMER_INIT:
		timer_load(l, value);
		return;
	case APIC_TIMER_DIV:
		timer_divide(l, value);
		return;
	case APIC_VERSION:
	case APIC_APR:
	case APIC_PPR:
	case APIC_RRD:
	case APIC_TIMER_CUR:
		return; /* read-only */
	}
	if (offset >= APIC_LVT_TIMER && offset <= APIC_LVT_ERROR) {
		write_lvt(l, (int)(offset - APIC_LVT_TIMER) / 16, value);
		return;
	}
	if (offset >= APIC_ISR && offset < APIC_IRR + 0x80)
		return; /* ISR, TMR, IRR: read-only */
	error(l, APIC_ESR_ILLEGAL_REGISTER);
}

/* --- IA32_APIC_BASE (SDM Vol. 3A, "Local APIC Status and Location") --- */

u64 lapic__get_base(const struct lapic *l)
{
	return l->apic_base;
}

int lapic__set_base(struct lapic *l, u64 value)
{
	/* bits 7:0, 9 and those above MAXPHYADDR are reserved; x2APIC
	 * mode (bit 10) is reserved because the model hides x2APIC */
	u64 reserved = ~(l->maxphys_mask & ~0xfffull) &
		       ~(APIC_BASE_BSP | APIC_BASE_ENABLE);

	if (value & reserved)
		return -EINVAL;
	/* the BSP flag is the processor's role, not software's */
	l->apic_base =
		(value & ~APIC_BASE_BSP) | (l->apic_base & APIC_BASE_BSP);
	/* Globally disabled, it is software disabled too once it returns. */
	if (!(value & APIC_BASE_ENABLE))
		write_svr(l, l->svr & ~APIC_SVR_ENABLE);
	return 0;
}

bool lapic__enabled(const struct lapic *l)
{
	return (l->apic_base & APIC_BASE_ENABLE) && (l->svr & APIC_SVR_ENABLE);
}

/* "When IA32_APIC_BASE[11] is 0 ... the CPUID feature flag for the APIC
 * is also set to 0" (SDM Vol. 3A 12.4.3). */
u32 lapic__cpuid1_edx(const struct lapic *l, u32 edx)
{
	return l->apic_base & APIC_BASE_ENABLE ? edx : edx & ~(1u << 9);
}

/* SDM Vol. 3A 12.8.6.1: MOV to CR8 writes TPR[7:4] from CR8[3:0] and
 * clears TPR[3:0]; MOV from CR8 reads TPR[7:4]. */
u8 lapic__cr8(const struct lapic *l)
{
	return (u8)((l->tpr >> 4) & 0xf);
}

void lapic__set_cr8(struct lapic *l, u8 cr8)
{
	l->tpr = (u32)(cr8 & 0xf) << 4;
}

bool lapic__held(const struct lapic *l)
{
	return lapic__enabled(l) && highest(l->irr) >= 0 && deliverable(l) < 0;
}

/* --- the CPU's INTR --- */

static bool extint_open(const struct lapic *l)
{
	u32 lvt0 = l->lvt[LVT_LINT0];

	return l->pic && !(lvt0 & APIC_LVT_MASKED) &&
	       ((lvt0 >> 8) & 7) == APIC_DM_EXTINT;
}

bool lapic__has_output(struct lapic *l)
{
	if (!lapic__enabled(l))
		return l->pic && pic8259__has_output(l->pic);
	if (deliverable(l) >= 0)
		return true;
	return extint_open(l) && pic8259__has_output(l->pic);
}

/*
 * The INTA cycle: the LAPIC's own vector moves from IRR to ISR; an
 * ExtINT vector comes from the 8259 and bypasses IRR, ISR and the PPR;
 * with neither any more, the spurious vector, which sets no ISR bit
 * (SDM Vol. 3A, "Spurious Interrupt").
 */
int lapic__ack(struct lapic *l)
{
	int v;

	if (!lapic__enabled(l)) {
		if (!l->pic)
			return -1;
		l->pic_while_disabled++;
		return pic8259__ack(l->pic);
	}
	v = deliverable(l);
	if (v >= 0) {
		bit_clear(l->irr, (u8)v);
		bit_set(l->isr, (u8)v);
		return v;
	}
	if (extint_open(l) && pic8259__has_output(l->pic)) {
		l->extint++;
		return pic8259__ack(l->pic);
	}
	l->spurious++;
	return (int)(l->svr & 0xff);
}

/* --- the device --- */

/*
 * A write of fewer than 4 bytes within a register merges into its
 * current value: the SDM leaves such accesses undefined, but the BT
 * modes write back only the bytes an instruction other than MOV changed
 * (bt/mmio.c), so an OR into an LVT entry arrives as one byte.
 */
static void mmio_write(struct lapic *l, u32 off, const u8 *data, u32 len)
{
	u32 b = off & 0xf, reg = off & ~0xfu, v, mask;

	if (b + len > 4)
		return; /* beyond the register's 32 bits: nothing there */
	if (len == 4) {
		lapic__write(l, reg, (u32)io__get(data, 4));
		return;
	}
	mask = ((1u << (8 * len)) - 1) << (8 * b);
	v = lapic__read(l, reg) & ~mask;
	lapic__write(l, reg, v | ((u32)io__get(data, len) << (8 * b)));
}

static int lapic__mmio(struct vcpu *vcpu, u64 addr, u8 *data, u32 len,
		       bool is_write, void *ptr)
{
	struct lapic *l = ptr;
	u64 base = l->apic_base & ~0xfffull, deadline;
	u32 off, i, v = 0;

	(void)vcpu;
	/* globally disabled or moved away: not there at all */
	if (!(l->apic_base & APIC_BASE_ENABLE) || addr < base ||
	    addr - base + len > LAPIC_MMIO_SIZE)
		return -EINVAL;
	off = (u32)(addr - base);
	if (is_write) {
		deadline = lapic__next_deadline(l);
		mmio_write(l, off, data, len);
		/* The software modes emulate this inside a run: an interrupt
		 * or a deadline the write made must reach the run loop
		 * before the guest's next STI or its next long loop. */
		if (lapic__has_output(l) || lapic__next_deadline(l) != deadline)
			kick__now();
		return 0;
	}
	/* Each register is read once per access: the current count moves
	 * between two reads, and bytes of two samples would make a count
	 * no timer ever held (above the initial count at a reload). */
	for (i = 0; i < len; i++) {
		u32 o = off + i, b = o & 0xf;

		if (i == 0 || b == 0)
			v = lapic__read(l, o & ~0xfu);
		data[i] = b < 4 ? (u8)(v >> (8 * b)) : 0;
	}
	return 0;
}

static int lapic__dev_init(struct machine *m, void **priv)
{
	struct lapic *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return -ENOMEM;
	lapic__init(l, m->clock, m->pic,
		    m->cpu.maxphyaddr ? m->cpu.maxphyaddr : 36);
	r = io_bus__register(&m->mmio, LAPIC_BASE_DEFAULT, LAPIC_MMIO_SIZE,
			     lapic__mmio, l, "lapic");
	if (r < 0) {
		free(l);
		return r;
	}
	m->lapic = l;
	*priv = l;
	return 0;
}

static void lapic__dev_exit(struct machine *m, void *priv)
{
	m->lapic = NULL;
	free(priv);
}

static struct device_type lapic_device = {
	.name = "lapic",
	.prio = DEVICE_PRIO_LAPIC,
	.init = lapic__dev_init,
	.exit = lapic__dev_exit,
};
DEVICE_REGISTER(lapic_device)
