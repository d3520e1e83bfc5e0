/*
 * The I/O APIC (ioapic.h). The register window and the read-only bits
 * follow QEMU 7.2's (checked on its pc machine): IOREGSEL is 8 bits, the
 * window takes only dword accesses, the 4-bit ID is also what the
 * arbitration register reads, redirection entries keep every bit but
 * delivery status and remote IRR, and the window repeats every 256
 * bytes of the 4 KiB page.
 *
 * Delivery (82093AA 3.2.4): an edge-triggered pin sends one message per
 * rising edge while unmasked (a masked edge is lost); a level-triggered
 * pin sends while asserted and unmasked, sets remote IRR, and sends again
 * only after the local APIC's EOI clears it with the pin still asserted.
 * Unmasking an asserted level pin sends at once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "refvmm/device.h"
#include "refvmm/ioapic.h"
#include "refvmm/machine.h"

#define RO_BITS (IOAPIC_RTE_DELIVS | IOAPIC_RTE_REMOTE_IRR)

struct ioapic {
	struct machine *m;
	u8 regsel;
	u8 id;
	u64 rte[IOAPIC_PINS];
	u32 asserted; /* pin levels */
	ioapic_deliver_fn deliver;
	void *ctx;
};

void ioapic__set_sink(struct ioapic *io, ioapic_deliver_fn deliver, void *ctx)
{
	io->deliver = deliver;
	io->ctx = ctx;
}

unsigned int ioapic__isa_pin(unsigned int isa_irq)
{
	return isa_irq == 0 ? 2 : isa_irq;
}

static void ioapic__send(struct ioapic *io, unsigned int pin)
{
	u64 e = io->rte[pin];
	struct ioapic_msg msg = {
		.pin = (u8)pin,
		.vector = (u8)(e & IOAPIC_RTE_VECTOR),
		.delivery_mode = (u8)IOAPIC_RTE_DELMODE(e),
		.dest_logical = !!(e & IOAPIC_RTE_DESTMODE),
		.dest = IOAPIC_RTE_DEST(e),
		.level = !!(e & IOAPIC_RTE_LEVEL),
	};

	if (msg.level)
		io->rte[pin] |= IOAPIC_RTE_REMOTE_IRR;
	if (!io->deliver) {
		stats__add(&io->m->stats, "irq.ioapic_undelivered", 1);
		return;
	}
	stats__add(&io->m->stats, "irq.ioapic_sent", 1);
	io->deliver(io->ctx, &msg);
}

/* A level pin that is asserted, unmasked and not awaiting EOI sends. */
static void ioapic__service_level(struct ioapic *io, unsigned int pin)
{
	u64 e = io->rte[pin];

	if ((e & IOAPIC_RTE_LEVEL) && (io->asserted & (1u << pin)) &&
	    !(e & (IOAPIC_RTE_MASK | IOAPIC_RTE_REMOTE_IRR)))
		ioapic__send(io, pin);
}

void ioapic__set_irq(struct ioapic *io, unsigned int pin, bool level)
{
	u32 bit = 1u << pin;
	bool rising;

	if (pin >= IOAPIC_PINS)
		return;
	rising = level && !(io->asserted & bit);
	io->asserted = level ? io->asserted | bit : io->asserted & ~bit;
	if (io->rte[pin] & IOAPIC_RTE_LEVEL)
		ioapic__service_level(io, pin);
	else if (rising && !(io->rte[pin] & IOAPIC_RTE_MASK))
		ioapic__send(io, pin);
}

void ioapic__eoi(struct ioapic *io, u8 vector)
{
	unsigned int pin;

	for (pin = 0; pin < IOAPIC_PINS; pin++) {
		u64 e = io->rte[pin];

		if ((e & IOAPIC_RTE_VECTOR) != vector ||
		    !(e & IOAPIC_RTE_LEVEL) || !(e & IOAPIC_RTE_REMOTE_IRR))
			continue;
		io->rte[pin] &= ~IOAPIC_RTE_REMOTE_IRR;
		ioapic__service_level(io, pin);
	}
}

static u32 ioapic__read_reg(struct ioapic *io)
{
	unsigned int r = io->regsel;

	switch (r) {
	case IOAPIC_REG_ID:
	case IOAPIC_REG_ARB:
		return (u32)io->id << 24;
	case IOAPIC_REG_VER:
		return (IOAPIC_PINS - 1) << 16 | IOAPIC_VERSION;
	}
	if (r >= IOAPIC_REG_REDIR && r < IOAPIC_REG_REDIR + 2 * IOAPIC_PINS) {
		u64 e = io->rte[(r - IOAPIC_REG_REDIR) / 2];

		return (u32)(r & 1 ? e >> 32 : e);
	}
	return 0;
}

static void ioapic__write_reg(struct ioapic *io, u32 v)
{
	unsigned int r = io->regsel;
	unsigned int pin;
	u64 e;

	if (r == IOAPIC_REG_ID) {
		io->id = (u8)((v >> 24) & 0xf);
		return;
	}
	if (r < IOAPIC_REG_REDIR || r >= IOAPIC_REG_REDIR + 2 * IOAPIC_PINS)
		return; /* version, arbitration, nothing: read-only */
	pin = (r - IOAPIC_REG_REDIR) / 2;
	e = io->rte[pin];
	if (r & 1)
		e = (e & 0xffffffffull) | (u64)v << 32;
	else
		e = (e & ~0xffffffffull) | v;
	e = (e & ~RO_BITS) | (io->rte[pin] & RO_BITS);
	/* Remote IRR means nothing for an edge pin; Linux clears a stuck
	 * one by switching the pin to edge and back (QEMU does the same). */
	if (!(e & IOAPIC_RTE_LEVEL))
		e &= ~IOAPIC_RTE_REMOTE_IRR;
	io->rte[pin] = e;
	ioapic__service_level(io, pin);
}

static int ioapic__mmio(struct vcpu *vcpu, u64 addr, u8 *data, u32 len,
			bool is_write, void *ptr)
{
	struct ioapic *io = ptr;
	u32 off = (u32)(addr - IOAPIC_BASE) & 0xff;
	u32 v = is_write ? (u32)io__get(data, len) : 0;

	(void)vcpu;
	switch (off) {
	case IOAPIC_REGSEL:
		if (is_write)
			io->regsel = (u8)v;
		else
			v = io->regsel;
		break;
	case IOAPIC_WIN:
		if (len != 4)
			break;
		if (is_write)
			ioapic__write_reg(io, v);
		else
			v = ioapic__read_reg(io);
		break;
	case IOAPIC_EOI:
		if (is_write && len == 4 && v <= 0xff)
			ioapic__eoi(io, (u8)v);
		break;
	}
	if (!is_write)
		io__put(data, len, v);
	return 0;
}

static int ioapic__init(struct machine *m, void **priv)
{
	struct ioapic *io = calloc(1, sizeof(*io));
	unsigned int pin;

	if (!io)
		return -ENOMEM;
	*priv = io;
	io->m = m;
	for (pin = 0; pin < IOAPIC_PINS; pin++)
		io->rte[pin] = IOAPIC_RTE_MASK;
	m->ioapic = io;
	return io_bus__register(&m->mmio, IOAPIC_BASE, IOAPIC_SIZE,
				ioapic__mmio, io, "ioapic");
}

static void ioapic__exit(struct machine *m, void *priv)
{
	if (m->ioapic == priv)
		m->ioapic = NULL;
	free(priv);
}

static struct device_type ioapic_device = {
	.name = "ioapic",
	.prio = DEVICE_PRIO_IRQCHIP,
	.init = ioapic__init,
	.exit = ioapic__exit,
};
DEVICE_REGISTER(ioapic_device)
