/*
 * Polled 16550 on COM1: the one device every monitor must give a probe.
 * Register layout: PC16550D datasheet (THR/RBR 0, IER 1, FCR 2, LCR 3,
 * MCR 4, LSR 5; DLAB=1 maps the divisor at 0/1).
 */
#include "x86.h"
#include <popek/image.h>

#define LSR_THRE 0x20

/* Bounded so a monitor without a UART (LSR reads never ready) cannot hang us.
 */
#define THRE_SPINS 100000

void uart_init(void)
{
	outb(POPEK_COM1 + 1, 0x00); /* no interrupts: polled */
	outb(POPEK_COM1 + 3, 0x80); /* DLAB */
	outb(POPEK_COM1 + 0, 0x01); /* 115200 baud */
	outb(POPEK_COM1 + 1, 0x00);
	outb(POPEK_COM1 + 3, 0x03); /* 8N1 */
	outb(POPEK_COM1 + 2, 0x07); /* FIFO on, cleared */
	outb(POPEK_COM1 + 4, 0x03); /* DTR, RTS */
}

void uart_putc(char c)
{
	for (int i = 0; i < THRE_SPINS; i++)
		if (inb(POPEK_COM1 + 5) & LSR_THRE)
			break;
	outb(POPEK_COM1, c);
}
