/*
 * The sequencer's output: every line goes to COM1 (the results) and to the
 * VGA text screen, so a PC without a serial port still shows progress and
 * the summary. Probe images print to COM1 only: a write to video memory
 * from inside a paging probe would change what the probe measures.
 */
#include "seq.h"
#include "x86.h"
#include <popek/image.h>

void uart_init(void);
void uart_putc(char c);

#define VGA_TEXT ((volatile u16 *)0xb8000)
#define VGA_COLS 80
#define VGA_ROWS 25
#define VGA_ATTR 0x0700

static unsigned row, col;

static void vga_scroll(void)
{
	unsigned i;

	for (i = 0; i < VGA_COLS * (VGA_ROWS - 1); i++)
		VGA_TEXT[i] = VGA_TEXT[i + VGA_COLS];
	for (; i < VGA_COLS * VGA_ROWS; i++)
		VGA_TEXT[i] = VGA_ATTR | ' ';
	row = VGA_ROWS - 1;
}

static void vga_putc(char c)
{
	if (c == '\n') {
		col = 0;
		if (++row == VGA_ROWS)
			vga_scroll();
		return;
	}
	if (col == VGA_COLS) {
		col = 0;
		if (++row == VGA_ROWS)
			vga_scroll();
	}
	VGA_TEXT[row * VGA_COLS + col++] = VGA_ATTR | (u8)c;
}

void seq_console_init(void)
{
	unsigned i;

	uart_init();
	for (i = 0; i < VGA_COLS * VGA_ROWS; i++)
		VGA_TEXT[i] = VGA_ATTR | ' ';
	row = col = 0;
}

void seq_print(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	const char *p;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (p = buf; *p; p++) {
		uart_putc(*p);
		vga_putc(*p);
	}
}

#define LSR_TEMT    0x40
#define DRAIN_SPINS 1000000

void seq_console_drain(void)
{
	for (int i = 0; i < DRAIN_SPINS; i++)
		if (inb(POPEK_COM1 + 5) & LSR_TEMT)
			break;
}
