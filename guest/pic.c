/*
 * 8259A initialisation (ICW1-ICW4, Intel 8259A datasheet) and the 8254
 * PIT channel 0 (Intel 8254 datasheet: control word 0x34 = channel 0,
 * lobyte/hibyte, mode 2).
 */
#include "pic.h"
#include "x86.h"

#define PIC1	 0x20
#define PIC2	 0xa0
#define PIT_CH0	 0x40
#define PIT_CTRL 0x43
#define PIT_HZ	 1193182u

static u16 mask = 0xffff;

static void write_masks(void)
{
	outb(PIC1 + 1, mask & 0xff);
	outb(PIC2 + 1, mask >> 8);
}

void pic_init(void)
{
	outb(PIC1, 0x11); /* ICW1: edge, cascade, ICW4 needed */
	outb(PIC2, 0x11);
	outb(PIC1 + 1, PIC_VECTOR_BASE); /* ICW2: vector base */
	outb(PIC2 + 1, PIC_VECTOR_BASE + 8);
	outb(PIC1 + 1, 0x04); /* ICW3: slave on IRQ2 */
	outb(PIC2 + 1, 0x02);
	outb(PIC1 + 1, 0x01); /* ICW4: 8086 mode */
	outb(PIC2 + 1, 0x01);
	mask = 0xffff & ~(1u << 2); /* cascade line open */
	write_masks();
}

void pic_unmask(int irq)
{
	mask &= ~(1u << irq);
	write_masks();
}

void pic_mask(int irq)
{
	mask |= 1u << irq;
	write_masks();
}

void pic_eoi(int irq)
{
	if (irq >= 8)
		outb(PIC2, 0x20);
	outb(PIC1, 0x20);
}

void pit_periodic(unsigned hz)
{
	unsigned div = PIT_HZ / hz;

	outb(PIT_CTRL, 0x34);
	outb(PIT_CH0, div & 0xff);
	outb(PIT_CH0, div >> 8);
}

void pit_stop(void)
{
	outb(PIT_CTRL,
	     0x30); /* mode 0, never reloaded: one count, then quiet */
	outb(PIT_CH0, 0xff);
	outb(PIT_CH0, 0xff);
}
