/*
 * The I/O APIC (Intel 82093AA datasheet) at 0xfec00000 as QEMU's pc
 * machine has it (hw/intc/ioapic.c, version 0x20: 24 pins and an EOI
 * register). Devices raise pins with ioapic__set_irq; what the
 * redirection table routes leaves through a sink, which the local APIC
 * plugs in (ioapic__set_sink) and which gives back the EOI of a
 * level-triggered vector (ioapic__eoi). Without a sink an interrupt is
 * counted (irq.ioapic_undelivered) and dropped.
 */
#ifndef REFVMM_IOAPIC_H
#define REFVMM_IOAPIC_H

#include "types.h"

#define IOAPIC_BASE    0xfec00000ull
#define IOAPIC_SIZE    0x1000u
#define IOAPIC_REGSEL  0x00
#define IOAPIC_WIN     0x10
#define IOAPIC_EOI     0x40
#define IOAPIC_PINS    24
#define IOAPIC_VERSION 0x20

#define IOAPIC_REG_ID	 0x00
#define IOAPIC_REG_VER	 0x01
#define IOAPIC_REG_ARB	 0x02
#define IOAPIC_REG_REDIR 0x10 /* pin n: low 0x10 + 2n, high 0x11 + 2n */

/* Redirection entry fields (82093AA 3.2.4). */
#define IOAPIC_RTE_VECTOR     0xffull
#define IOAPIC_RTE_DELMODE(e) (((e) >> 8) & 7)
#define IOAPIC_RTE_DESTMODE   (1ull << 11) /* logical */
#define IOAPIC_RTE_DELIVS     (1ull << 12) /* read-only */
#define IOAPIC_RTE_POLARITY   (1ull << 13) /* active low */
#define IOAPIC_RTE_REMOTE_IRR (1ull << 14) /* read-only */
#define IOAPIC_RTE_LEVEL      (1ull << 15)
#define IOAPIC_RTE_MASK	      (1ull << 16)
#define IOAPIC_RTE_DEST(e)    ((u8)((e) >> 56))

enum ioapic_delivery_mode {
	IOAPIC_DM_FIXED = 0,
	IOAPIC_DM_LOWEST = 1,
	IOAPIC_DM_SMI = 2,
	IOAPIC_DM_NMI = 4,
	IOAPIC_DM_INIT = 5,
	IOAPIC_DM_EXTINT = 7, /* the vector comes from the 8259's INTA */
};

/* One interrupt message, as the I/O APIC sends it to the local APICs. */
struct ioapic_msg {
	u8 pin;
	u8 vector;
	u8 delivery_mode; /* enum ioapic_delivery_mode */
	bool dest_logical;
	u8 dest;
	bool level; /* level-triggered: the sink must EOI it */
};

typedef void (*ioapic_deliver_fn)(void *ctx, const struct ioapic_msg *msg);

struct ioapic;

void ioapic__set_sink(struct ioapic *io, ioapic_deliver_fn deliver, void *ctx);
/* @level is the pin's asserted state (the polarity bit is stored only,
 * as in QEMU: sources give their logical level). */
void ioapic__set_irq(struct ioapic *io, unsigned int pin, bool level);
/* The local APIC's EOI broadcast for a level-triggered @vector. */
void ioapic__eoi(struct ioapic *io, u8 vector);
/* The pin an ISA IRQ reaches: its own, except the timer's IRQ0 on pin 2
 * (QEMU's wiring, and the interrupt source override firmware reports). */
unsigned int ioapic__isa_pin(unsigned int isa_irq);

#endif
