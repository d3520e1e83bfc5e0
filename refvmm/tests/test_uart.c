/*
 * 16550 UART at register level (PC16550D datasheet): reset values,
 * DLAB banking, LSR THRE/TEMT, IIR priorities and FIFO bits, THRE
 * interrupt set and cleared, OUT2-gated IRQ, loopback, scratch.
 */
#include <criterion/criterion.h>

#include "refvmm/uart16550.h"

static struct uart16550 u;
static uint8_t sent[64];
static int nsent;
static int irq_level;

static int capture(void *ctx, u8 b)
{
	(void)ctx;
	if (nsent < (int)sizeof(sent))
		sent[nsent++] = b;
	return 0;
}

static void irq_set(void *ctx, int irq, int level)
{
	(void)ctx;
	cr_assert_eq(irq, 4);
	irq_level = level;
}

static void setup(void)
{
	uart16550__init(&u, 0x3f8);
	u.tx = capture;
	u.irq = (struct irq_line){irq_set, NULL, 4};
	nsent = 0;
	irq_level = 0;
}

TestSuite(uart, .init = setup);

Test(uart, reset_values)
{
	cr_assert_eq(uart16550__read(&u, UART_LSR), 0x60, "THRE|TEMT");
	cr_assert_eq(uart16550__read(&u, UART_IIR_FCR), 0x01, "no interrupt");
	cr_assert_eq(uart16550__read(&u, UART_LCR), 0);
	cr_assert_eq(uart16550__read(&u, UART_IER), 0);
	cr_assert_eq(uart16550__read(&u, UART_MCR), 0);
	cr_assert_eq(uart16550__read(&u, UART_MSR) & 0xb0, 0xb0);
}

Test(uart, thr_transmits_and_stays_ready)
{
	uart16550__write(&u, UART_RBR_THR, 'h');
	uart16550__write(&u, UART_RBR_THR, 'i');
	cr_assert_eq(nsent, 2);
	cr_assert_eq(sent[0], 'h');
	cr_assert_eq(sent[1], 'i');
	cr_assert_eq(uart16550__read(&u, UART_LSR) & 0x60, 0x60);
}

Test(uart, dlab_banks_divisor_latch)
{
	uart16550__write(&u, UART_IER, 0x05);
	uart16550__write(&u, UART_LCR, 0x83);
	uart16550__write(&u, UART_RBR_THR, 0x01); /* DLL */
	uart16550__write(&u, UART_IER, 0x02);	  /* DLM */
	cr_assert_eq(nsent, 0, "a DLL write is not a transmit");
	cr_assert_eq(uart16550__read(&u, UART_RBR_THR), 0x01);
	cr_assert_eq(uart16550__read(&u, UART_IER), 0x02);
	uart16550__write(&u, UART_LCR, 0x03);
	cr_assert_eq(uart16550__read(&u, UART_IER), 0x05, "IER kept");
	cr_assert_eq(uart16550__read(&u, UART_LCR), 0x03);
	cr_assert_eq(u.dll, 1);
	cr_assert_eq(u.dlm, 2);
}

Test(uart, ier_upper_bits_read_zero)
{
	uart16550__write(&u, UART_IER, 0xff);
	cr_assert_eq(uart16550__read(&u, UART_IER), 0x0f);
}

Test(uart, fifo_enable_sets_iir_bits)
{
	uart16550__write(&u, UART_IIR_FCR, 0x07);
	cr_assert_eq(uart16550__read(&u, UART_IIR_FCR), 0xc1);
	uart16550__write(&u, UART_IIR_FCR, 0x00);
	cr_assert_eq(uart16550__read(&u, UART_IIR_FCR), 0x01);
}

Test(uart, thre_interrupt_set_by_ier_cleared_by_iir_read)
{
	uart16550__write(&u, UART_MCR, 0x08); /* OUT2 */
	uart16550__write(&u, UART_IER, UART_IER_ETBEI);
	cr_assert_eq(irq_level, 1);
	cr_assert_eq(uart16550__read(&u, UART_IIR_FCR), 0x02);
	cr_assert_eq(irq_level, 0, "IIR read clears THRE interrupt");
	cr_assert_eq(uart16550__read(&u, UART_IIR_FCR), 0x01);
	uart16550__write(&u, UART_RBR_THR, 'x');
	cr_assert_eq(irq_level, 1, "THR empty again after transmit");
	cr_assert_eq(uart16550__read(&u, UART_IIR_FCR), 0x02);
}

Test(uart, irq_needs_out2)
{
	uart16550__write(&u, UART_IER, UART_IER_ETBEI);
	cr_assert_eq(irq_level, 0);
	uart16550__write(&u, UART_MCR, 0x08);
	cr_assert_eq(irq_level, 1);
}

Test(uart, loopback_receives_and_rda_outranks_thre)
{
	uart16550__write(&u, UART_MCR, 0x10 | 0x0b);
	uart16550__write(&u, UART_IER, UART_IER_ERBFI | UART_IER_ETBEI);
	uart16550__write(&u, UART_RBR_THR, 0x42);
	cr_assert_eq(nsent, 0, "loopback does not transmit");
	cr_assert_eq(uart16550__read(&u, UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	cr_assert_eq(uart16550__read(&u, UART_IIR_FCR), 0x04, "RDA first");
	cr_assert_eq(uart16550__read(&u, UART_RBR_THR), 0x42);
	cr_assert_eq(uart16550__read(&u, UART_LSR) & UART_LSR_DR, 0);
	cr_assert_eq(uart16550__read(&u, UART_IIR_FCR), 0x02, "then THRE");
	/* MCR DTR, RTS, OUT2 -> MSR DSR, CTS, DCD. */
	cr_assert_eq(uart16550__read(&u, UART_MSR), 0x10 | 0x20 | 0x80);
}

Test(uart, scratch_register)
{
	uart16550__write(&u, UART_SCR, 0x5a);
	cr_assert_eq(uart16550__read(&u, UART_SCR), 0x5a);
}
