/*
 * 8254 PIT (Intel 8254 datasheet, order no. 231164). Counting is not
 * ticked: a channel remembers when its count started and how many
 * clocks it had counted before (GATE can pause it), and the count, OUT
 * and the IRQ0 edges are computed from the clock's edges at 1.193182 MHz.
 * Channel 0's OUT drives IRQ0; channels 0 and 1 have GATE tied high as
 * on the PC, channel 2's GATE is port 0x61 bit 0.
 *
 * Modes (datasheet "Operation"), N the count, t the clocks counted:
 * 0 interrupt on terminal count: OUT low until t = N, then high; GATE
 *   low pauses counting.
 * 1 one-shot: a GATE rising edge (trigger) loads N, OUT low until t = N.
 * 2 rate generator: OUT low for one clock when the count reaches 1,
 *   period N. GATE low stops counting and forces OUT high; its rising
 *   edge reloads N.
 * 3 square wave: OUT high for ceil(N/2) clocks, low for floor(N/2);
 *   GATE as in mode 2.
 * 4 software triggered strobe: OUT low for the one clock at t = N; GATE
 *   low pauses counting.
 * 5 hardware triggered strobe: mode 4 started by a trigger, as mode 1.
 * The first clock that loads the count is not modelled. Channel 0's
 * rising OUT edges raise IRQ0: once in modes 0 and 4 (Linux's one-shot
 * clock event), once per period in modes 2 and 3, where periods missed
 * while the monitor was away are coalesced into one edge.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "refvmm/device.h"
#include "refvmm/machine.h"
#include "refvmm/pic8259.h"
#include "refvmm/pit8254.h"

#define PIT_PORT_CTRL 3

void pit8254__init(struct pit8254 *pit, struct clock *clock)
{
	int i;

	memset(pit, 0, sizeof(*pit));
	pit->clock = clock;
	for (i = 0; i < 3; i++) {
		pit->ch[i].rw = PIT_RW_WORD;
		pit->ch[i].reload = 65536;
		pit->ch[i].n = 65536;
		pit->ch[i].gate = i != 2;
		pit->ch[i].write_lsb_next = true;
		pit->ch[i].read_lsb_next = true;
	}
}

static bool pit__triggered_mode(const struct pit_channel *c)
{
	return c->mode == 1 || c->mode == 5;
}

static bool pit__periodic(const struct pit_channel *c)
{
	return c->mode == 2 || c->mode == 3;
}

/* Whether the counting element decrements now. */
static bool pit__runs(const struct pit_channel *c)
{
	if (!c->loaded)
		return false;
	/* In modes 1 and 5 GATE's level does not matter, only its edge. */
	if (pit__triggered_mode(c))
		return c->triggered;
	return c->gate;
}

/*
 * The input clock is free running: its edges sit on one grid from time
 * 0, and a count loaded between two edges starts at the next one, so
 * every stretch of counting is a whole number of clocks.
 */
static u64 pit__clock_edges(u64 ns)
{
	return (u64)((unsigned __int128)ns * PIT_HZ / NSEC_PER_SEC);
}

/* Input clocks counted in the current cycle. */
static u64 pit__ticks(struct pit8254 *pit, const struct pit_channel *c)
{
	u64 now;

	if (!pit__runs(c))
		return c->base_ticks;
	now = clock__now(pit->clock);
	if (now <= c->load_ns)
		return c->base_ticks;
	return c->base_ticks + pit__clock_edges(now) -
	       pit__clock_edges(c->load_ns);
}

/* The time at which @ticks clocks will have been counted (running). */
static u64 pit__ns_at(const struct pit_channel *c, u64 ticks)
{
	unsigned __int128 edge;

	if (ticks <= c->base_ticks)
		return c->load_ns ? c->load_ns : 1; /* due already */
	edge = pit__clock_edges(c->load_ns) + (ticks - c->base_ticks);
	return (u64)((edge * NSEC_PER_SEC + PIT_HZ - 1) / PIT_HZ);
}

/* Restarts the cycle from the count register. */
static void pit__start(struct pit8254 *pit, struct pit_channel *c)
{
	c->n = c->reload;
	c->base_ticks = 0;
	c->load_ns = clock__now(pit->clock);
	c->fired = 0;
}

static void pit__irq_low(struct pit8254 *pit, int channel)
{
	if (channel == 0)
		irq_line__set(&pit->irq0, 0);
}

u16 pit8254__count(struct pit8254 *pit, int channel)
{
	struct pit_channel *c = &pit->ch[channel];
	u64 t, n = c->n;

	if (!c->loaded)
		return (u16)n;
	t = pit__ticks(pit, c);
	switch (c->mode) {
	case 2:
		return (u16)(n - t % n);
	case 3:
		/* Decrements by two, twice per period (datasheet Mode 3). */
		return (u16)((n - (2 * t) % n) & ~1ull);
	default:
		/* Modes 0, 1, 4, 5 count on past 0, wrapping. */
		return (u16)(n - t);
	}
}

bool pit8254__out(struct pit8254 *pit, int channel)
{
	struct pit_channel *c = &pit->ch[channel];
	u64 t, n = c->n;

	if (!c->loaded) /* the control word sets OUT low in mode 0 only */
		return c->mode != 0;
	t = pit__ticks(pit, c);
	switch (c->mode) {
	case 0:
		return t >= n;
	case 1:
		return !c->triggered || t >= n;
	case 2:
		return !c->gate || t % n != n - 1;
	case 3:
		return !c->gate || t % n < (n + 1) / 2;
	default:
		return t != n;
	}
}

void pit8254__update(struct pit8254 *pit)
{
	struct pit_channel *c = &pit->ch[0];
	u64 t, periods;

	if (!pit__runs(c))
		return;
	t = pit__ticks(pit, c);
	if (pit__periodic(c)) {
		periods = t / c->n;
		if (periods > c->fired) {
			c->fired = periods;
			pit->irqs++;
			irq_line__pulse(&pit->irq0);
		}
	} else if ((c->mode == 0 || c->mode == 1) && !c->fired && t >= c->n) {
		c->fired = 1;
		pit->irqs++;
		/* OUT stays high: a rising edge now, no falling edge. */
		irq_line__set(&pit->irq0, 1);
	} else if ((c->mode == 4 || c->mode == 5) && !c->fired && t > c->n) {
		/* OUT rises again one clock after the strobe. */
		c->fired = 1;
		pit->irqs++;
		irq_line__pulse(&pit->irq0);
	}
}

u64 pit8254__next_deadline(struct pit8254 *pit)
{
	struct pit_channel *c = &pit->ch[0];

	if (!pit__runs(c))
		return 0;
	if (pit__periodic(c))
		return pit__ns_at(c, (c->fired + 1) * c->n);
	if (c->fired)
		return 0;
	if (c->mode == 0 || c->mode == 1)
		return pit__ns_at(c, c->n);
	return pit__ns_at(c, c->n + 1);
}

void pit8254__set_gate(struct pit8254 *pit, int channel, bool level)
{
	struct pit_channel *c = &pit->ch[channel];

	if (c->gate == level)
		return;
	if (!level) {
		/* Modes 0, 2, 3, 4: counting stops where it is. */
		if (!pit__triggered_mode(c))
			c->base_ticks = pit__ticks(pit, c);
		c->gate = false;
		return;
	}
	c->gate = true;
	if (c->mode == 0 || c->mode == 4) {
		/* Counting resumes from the held count. */
		c->load_ns = clock__now(pit->clock);
		return;
	}
	/* Modes 1, 2, 3, 5: the rising edge reloads the count. */
	if (!c->loaded)
		return;
	pit__start(pit, c);
	if (pit__triggered_mode(c)) {
		c->triggered = true;
		if (c->mode == 1)
			pit__irq_low(pit, channel);
	}
}

static void pit__load(struct pit8254 *pit, int channel, u32 count)
{
	struct pit_channel *c = &pit->ch[channel];

	c->reload = count ? count : 65536; /* 0 means 2^16 (binary) */
	c->loaded = true;
	/* A one-shot under way runs on; the next trigger loads the count. */
	if (pit__triggered_mode(c) && c->triggered)
		return;
	pit__start(pit, c);
	if (c->mode == 0)
		pit__irq_low(pit, channel);
}

static void pit__latch(struct pit8254 *pit, int channel)
{
	struct pit_channel *c = &pit->ch[channel];

	/* A second latch before the first is read is ignored. */
	if (c->latched)
		return;
	c->latched = true;
	c->latched_count = pit8254__count(pit, channel);
	c->latched_bytes = c->rw == PIT_RW_WORD ? 2 : 1;
}

static void pit__control(struct pit8254 *pit, u8 v)
{
	int channel = v >> 6;
	struct pit_channel *c;
	int i;

	if (channel == 3) {
		/* Read-back (datasheet "Read-Back Command"): bit 5 low
		 * latches the counts of the channels in bits 1-3. */
		for (i = 0; i < 3; i++)
			if (!(v & 0x20) && (v & (2u << i)))
				pit__latch(pit, i);
		return;
	}
	c = &pit->ch[channel];
	if (((v >> 4) & 3) == PIT_RW_LATCH) {
		pit__latch(pit, channel);
		return;
	}
	c->rw = (v >> 4) & 3;
	c->mode = (v >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4; /* 6 and 7 are aliases of 2 and 3 */
	c->bcd = v & 1;
	c->loaded = false;
	c->triggered = false;
	c->fired = 0;
	c->latched = false;
	c->write_lsb_next = true;
	c->read_lsb_next = true;
	/*
	 * Writing a control word sets OUT low in mode 0, high otherwise.
	 * IRQ0 is modelled as pulses (one rising edge per period), so the
	 * line itself rests low: programming the PIT raises no interrupt.
	 */
	pit__irq_low(pit, channel);
}

static void pit__write_count(struct pit8254 *pit, int channel, u8 v)
{
	struct pit_channel *c = &pit->ch[channel];

	switch (c->rw) {
	case PIT_RW_LSB:
		pit__load(pit, channel, v);
		break;
	case PIT_RW_MSB:
		pit__load(pit, channel, (u32)v << 8);
		break;
	default:
		if (c->write_lsb_next) {
			c->write_latch = v;
			c->write_lsb_next = false;
			/* Mode 0: the first byte stops the count and sets
			 * OUT low (datasheet Mode 0). */
			if (c->mode == 0 && c->loaded) {
				c->n = pit8254__count(pit, channel);
				c->loaded = false;
				pit__irq_low(pit, channel);
			}
		} else {
			c->write_lsb_next = true;
			pit__load(pit, channel, c->write_latch | (u32)v << 8);
		}
		break;
	}
}

static u8 pit__read_count(struct pit8254 *pit, int channel)
{
	struct pit_channel *c = &pit->ch[channel];
	u16 count;
	bool lsb;

	if (c->latched) {
		count = c->latched_count;
		lsb = c->rw != PIT_RW_MSB &&
		      (c->rw == PIT_RW_LSB || c->latched_bytes == 2);
		if (--c->latched_bytes == 0)
			c->latched = false;
		return lsb ? (u8)count : (u8)(count >> 8);
	}
	count = pit8254__count(pit, channel);
	switch (c->rw) {
	case PIT_RW_LSB:
		return (u8)count;
	case PIT_RW_MSB:
		return (u8)(count >> 8);
	default:
		lsb = c->read_lsb_next;
		c->read_lsb_next = !lsb;
		return lsb ? (u8)count : (u8)(count >> 8);
	}
}

u8 pit8254__read(struct pit8254 *pit, int port)
{
	if (port == PIT_PORT_CTRL)
		return 0xff; /* the control word register is write-only */
	return pit__read_count(pit, port);
}

void pit8254__write(struct pit8254 *pit, int port, u8 value)
{
	if (port == PIT_PORT_CTRL)
		pit__control(pit, value);
	else
		pit__write_count(pit, port, value);
}

static int pit8254__io(struct vcpu *vcpu, u64 addr, u8 *data, u32 len,
		       bool is_write, void *ptr)
{
	(void)vcpu;
	if (len != 1)
		return -EINVAL;
	if (is_write)
		pit8254__write(ptr, (int)(addr - 0x40), data[0]);
	else
		data[0] = pit8254__read(ptr, (int)(addr - 0x40));
	return 0;
}

static void pit8254__pic_set(void *ctx, int irq, int level)
{
	pic8259__set_irq(ctx, irq, level);
}

static int pit8254__dev_init(struct machine *m, void **priv)
{
	struct pit8254 *pit = calloc(1, sizeof(*pit));
	int r;

	if (!pit)
		return -ENOMEM;
	pit8254__init(pit, m->clock);
	if (m->pic)
		pit->irq0 = (struct irq_line){pit8254__pic_set, m->pic, 0};
	r = io_bus__register(&m->pio, 0x40, 4, pit8254__io, pit, "pit");
	if (r < 0) {
		free(pit);
		return r;
	}
	m->pit = pit;
	*priv = pit;
	return 0;
}

static void pit8254__dev_exit(struct machine *m, void *priv)
{
	m->pit = NULL;
	free(priv);
}

static struct device_type pit8254_device = {
	.name = "pit8254",
	.prio = DEVICE_PRIO_TIMER,
	.init = pit8254__dev_init,
	.exit = pit8254__dev_exit,
};
DEVICE_REGISTER(pit8254_device)
