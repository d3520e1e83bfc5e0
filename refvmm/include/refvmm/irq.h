/*
 * An interrupt request line from a device to the interrupt controller.
 * Devices hold one per line they drive and never see the controller.
 */
#ifndef REFVMM_IRQ_H
#define REFVMM_IRQ_H

struct irq_line {
	void (*set)(void *ctx, int irq, int level);
	void *ctx;
	int irq;
};

static inline void irq_line__set(const struct irq_line *line, int level)
{
	if (line->set)
		line->set(line->ctx, line->irq, level);
}

/* An edge for an edge-triggered input: low, high, low. */
static inline void irq_line__pulse(const struct irq_line *line)
{
	irq_line__set(line, 1);
	irq_line__set(line, 0);
}

#endif
