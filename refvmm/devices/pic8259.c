/*
 * 8259A PIC pair (Intel 8259A datasheet, order no. 231468): ICW1-ICW4
 * initialisation, OCW1 masks, OCW2 EOI and rotation, OCW3 register
 * select, poll and special mask, slave cascaded on master IR2.
 * Interrupts are delivered by the run loop: pic8259__has_output is the
 * INT pin, pic8259__ack the INTA cycle.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "refvmm/device.h"
#include "refvmm/machine.h"
#include "refvmm/pic8259.h"

#define CASCADE_IRQ 2

static void chip__reset(struct pic_chip *c)
{
	memset(c, 0, sizeof(*c));
	c->lowest_prio = 7;
}

/*
 * The pure reads (pio_pure.h): the odd port reads OCW1, the IMR, in
 * every state (8259A datasheet, "Reading the 8259A Status"), and only a
 * write changes it. The even port's IRR/ISR follow the interrupt lines
 * and acknowledges, and its poll read acknowledges: never published.
 */
static void pic8259__publish(struct pic8259 *pic)
{
	for (int chip = 0; chip < 2; chip++)
		pio_pure__publish(pic->pure, pic->pure_idx[chip], true,
				  pic->chip[chip].imr);
}

void pic8259__reset(struct pic8259 *pic)
{
	chip__reset(&pic->chip[0]);
	chip__reset(&pic->chip[1]);
	pic->spurious = 0;
	pic8259__publish(pic);
}

/*
 * Priority rank (0 highest) of the best IR set in @bits, or 8. IR
 * (lowest_prio + 1) mod 8 has the highest priority ("Rotation", p. 13).
 */
static int chip__best_rank(const struct pic_chip *c, u8 bits)
{
	int rank;

	for (rank = 0; rank < 8; rank++)
		if (bits & (1u << ((c->lowest_prio + 1 + rank) & 7)))
			return rank;
	return 8;
}

static int chip__rank_to_irq(const struct pic_chip *c, int rank)
{
	return (c->lowest_prio + 1 + rank) & 7;
}

/*
 * The IR the chip would present on INT: the best unmasked request with
 * a higher priority than everything in service. In special mask mode,
 * masked in-service levels do not block (OCW3 ESMM/SMM, p. 15).
 */
static int chip__pending(const struct pic_chip *c, u8 extra_irr)
{
	u8 irr = (u8)((c->irr | extra_irr) & ~c->imr);
	u8 isr = c->isr;
	int req;

	if (c->init_step)
		return -1;
	req = chip__best_rank(c, irr);
	if (req == 8)
		return -1;
	if (c->special_mask)
		isr &= (u8)~c->imr;
	if (req < chip__best_rank(c, isr))
		return chip__rank_to_irq(c, req);
	return -1;
}

static u8 pic__cascade_input(const struct pic8259 *pic)
{
	const struct pic_chip *master = &pic->chip[0];

	if (master->single)
		return 0;
	return chip__pending(&pic->chip[1], 0) >= 0 ? 1u << CASCADE_IRQ : 0;
}

bool pic8259__has_output(const struct pic8259 *pic)
{
	return chip__pending(&pic->chip[0], pic__cascade_input(pic)) >= 0;
}

/* The IRQ acknowledged: IRR (edge) to ISR, or auto-EOI (ICW4.AEOI). */
static void chip__ack_irq(struct pic_chip *c, int irq)
{
	u8 bit = (u8)(1u << irq);

	if (!c->level_triggered)
		c->irr &= (u8)~bit;
	if (c->auto_eoi) {
		if (c->rotate_on_aeoi)
			c->lowest_prio = (u8)irq;
	} else {
		c->isr |= bit;
	}
}

int pic8259__ack(struct pic8259 *pic)
{
	struct pic_chip *master = &pic->chip[0], *slave = &pic->chip[1];
	u8 cascade = pic__cascade_input(pic);
	int irq = chip__pending(master, cascade);
	int sirq;

	if (irq < 0) {
		/* The request went away before INTA: spurious IR7 (p. 8). */
		pic->spurious++;
		return master->vector_base + 7;
	}
	if (irq == CASCADE_IRQ && (cascade & (1u << CASCADE_IRQ))) {
		sirq = chip__pending(slave, 0);
		chip__ack_irq(master, irq);
		chip__ack_irq(slave, sirq);
		return slave->vector_base + sirq;
	}
	chip__ack_irq(master, irq);
	return master->vector_base + irq;
}

int pic8259__ack_cb(void *pic)
{
	return pic8259__ack(pic);
}

/*
 * Edge-triggered inputs latch a rising edge into IRR, which then stays
 * set until INTA even if the line drops; level mode follows the line.
 */
void pic8259__set_irq(struct pic8259 *pic, int irq, int level)
{
	struct pic_chip *c;
	u8 bit;

	if (irq < 0 || irq > 15)
		return;
	c = &pic->chip[irq >> 3];
	bit = (u8)(1u << (irq & 7));
	if (c->level_triggered) {
		if (level)
			c->irr |= bit;
		else
			c->irr &= (u8)~bit;
	} else if (level && !(c->last_level & bit)) {
		c->irr |= bit;
	}
	if (level)
		c->last_level |= bit;
	else
		c->last_level &= (u8)~bit;
}

/* ICW1 (p. 10): starts the sequence and resets the chip's state. */
static void chip__icw1(struct pic_chip *c, u8 v)
{
	u8 base = c->vector_base;

	chip__reset(c);
	c->vector_base = base;
	c->icw4_needed = v & 0x01;
	c->single = v & 0x02;
	c->level_triggered = v & 0x08;
	c->init_step = 2;
}

/* OCW2 (p. 14): R, SL, EOI in bits 7-5, level in bits 2-0. */
static void chip__ocw2(struct pic_chip *c, u8 v)
{
	int level = v & 7;
	int rank;

	switch (v >> 5) {
	case 0: /* rotate in automatic EOI mode (clear) */
		c->rotate_on_aeoi = false;
		break;
	case 4: /* rotate in automatic EOI mode (set) */
		c->rotate_on_aeoi = true;
		break;
	case 1: /* non-specific EOI */
	case 5: /* rotate on non-specific EOI */
		rank = chip__best_rank(c, c->isr);
		if (rank == 8)
			break;
		level = chip__rank_to_irq(c, rank);
		c->isr &= (u8) ~(1u << level);
		if (v >> 5 == 5)
			c->lowest_prio = (u8)level;
		break;
	case 3: /* specific EOI */
		c->isr &= (u8) ~(1u << level);
		break;
	case 7: /* rotate on specific EOI */
		c->isr &= (u8) ~(1u << level);
		c->lowest_prio = (u8)level;
		break;
	case 6: /* set priority: level becomes the lowest */
		c->lowest_prio = (u8)level;
		break;
	default: /* 2: no operation */
		break;
	}
}

/* OCW3 (p. 15): ESMM/SMM, poll, RR/RIS. */
static void chip__ocw3(struct pic_chip *c, u8 v)
{
	if (v & 0x40)
		c->special_mask = v & 0x20;
	if (v & 0x04)
		c->poll = true;
	if (v & 0x02)
		c->read_isr = v & 0x01;
}

void pic8259__write(struct pic8259 *pic, int chip, int a0, u8 value)
{
	struct pic_chip *c = &pic->chip[chip];

	if (!a0) {
		if (value & 0x10)
			chip__icw1(c, value);
		else if (value & 0x08)
			chip__ocw3(c, value);
		else
			chip__ocw2(c, value);
		return;
	}
	switch (c->init_step) {
	case 2: /* ICW2: T7-T3 of the vector (8086 mode) */
		c->vector_base = value & 0xf8;
		c->init_step = c->single ? (c->icw4_needed ? 4 : 0) : 3;
		break;
	case 3: /* ICW3: slave mask (master) or slave id (slave) */
		c->cascade = value;
		c->init_step = c->icw4_needed ? 4 : 0;
		break;
	case 4: /* ICW4: AEOI is the bit that matters to software */
		c->auto_eoi = value & 0x02;
		c->init_step = 0;
		break;
	default: /* OCW1: the interrupt mask */
		c->imr = value;
		break;
	}
}

/* Poll (OCW3 P=1): the next read is the poll word and acknowledges. */
static u8 chip__poll(struct pic8259 *pic, int chip)
{
	struct pic_chip *c = &pic->chip[chip];
	u8 extra = chip == 0 ? pic__cascade_input(pic) : 0;
	int irq = chip__pending(c, extra);

	c->poll = false;
	if (irq < 0)
		return 0;
	chip__ack_irq(c, irq);
	return (u8)(0x80 | irq);
}

u8 pic8259__read(struct pic8259 *pic, int chip, int a0)
{
	struct pic_chip *c = &pic->chip[chip];

	if (a0)
		return c->imr;
	if (c->poll)
		return chip__poll(pic, chip);
	return c->read_isr ? c->isr : c->irr;
}

static int pic8259__io(struct vcpu *vcpu, u64 addr, u8 *data, u32 len,
		       bool is_write, void *ptr)
{
	int chip = addr >= 0xa0;
	int a0 = addr & 1;

	(void)vcpu;
	if (len != 1)
		return -EINVAL;
	if (is_write) {
		pic8259__write(ptr, chip, a0, data[0]);
		pic8259__publish(ptr);
	} else {
		data[0] = pic8259__read(ptr, chip, a0);
	}
	return 0;
}

static int pic8259__dev_init(struct machine *m, void **priv)
{
	struct pic8259 *pic = calloc(1, sizeof(*pic));
	int r;

	if (!pic)
		return -ENOMEM;
	pic8259__reset(pic);
	r = io_bus__register(&m->pio, 0x20, 2, pic8259__io, pic, "pic-master");
	if (r < 0)
		goto err_free;
	r = io_bus__register(&m->pio, 0xa0, 2, pic8259__io, pic, "pic-slave");
	if (r < 0)
		goto err_free;
	m->pic = pic;
	pic->pure = &m->pio_pure;
	pic->pure_idx[0] = pio_pure__claim(pic->pure, 0x21);
	pic->pure_idx[1] = pio_pure__claim(pic->pure, 0xa1);
	pic8259__publish(pic);
	*priv = pic;
	return 0;

err_free:
	free(pic);
	return r;
}

static void pic8259__dev_exit(struct machine *m, void *priv)
{
	m->pic = NULL;
	free(priv);
}

static struct device_type pic8259_device = {
	.name = "pic8259",
	.prio = DEVICE_PRIO_IRQCHIP,
	.init = pic8259__dev_init,
	.exit = pic8259__dev_exit,
};
DEVICE_REGISTER(pic8259_device)
