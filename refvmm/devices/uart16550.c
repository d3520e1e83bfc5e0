/*
 * 16550 UART on COM1 (National Semiconductor PC16550D datasheet, June
 * 1995): transmit goes to the machine's serial sink at once, so the
 * transmitter is always empty (LSR.THRE and LSR.TEMT stay set) and a
 * polled driver never waits. No receive path except loopback (MCR bit 4).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "refvmm/device.h"
#include "refvmm/exitcode.h"
#include "refvmm/machine.h"
#include "refvmm/pic8259.h"
#include "refvmm/uart16550.h"

#define COM1_IRQ 4

/* MSR bits 4-7 (datasheet, "Modem Status Register"). */
#define UART_MSR_CTS 0x10
#define UART_MSR_DSR 0x20
#define UART_MSR_RI  0x40
#define UART_MSR_DCD 0x80

void uart16550__init(struct uart16550 *u, u16 base)
{
	*u = (struct uart16550){
		.base = base,
		/* Reset values: datasheet Table IV ("UART Reset Config"). */
		.lsr = UART_LSR_THRE | UART_LSR_TEMT,
		.msr = UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS,
	};
}

/* Interrupt identification, highest priority first (datasheet Table V). */
u8 uart16550__iir(const struct uart16550 *u)
{
	u8 fifo = (u->fcr & UART_FCR_FIFOE) ? UART_IIR_FIFO : 0;

	if ((u->ier & UART_IER_ERBFI) && (u->lsr & UART_LSR_DR))
		return fifo | UART_IIR_RDI;
	if ((u->ier & UART_IER_ETBEI) && u->thr_ipending)
		return fifo | UART_IIR_THRI;
	return fifo | UART_IIR_NONE;
}

/* On the PC, OUT2 gates the UART's INTRPT pin onto the ISA IRQ line. */
static void uart16550__update_irq(struct uart16550 *u)
{
	int level = !(uart16550__iir(u) & UART_IIR_NONE) &&
		    (u->mcr & UART_MCR_OUT2);

	irq_line__set(&u->irq, level);
}

static u8 uart16550__msr(const struct uart16550 *u)
{
	if (!(u->mcr & UART_MCR_LOOP))
		return u->msr;
	/* Loopback: the modem control outputs feed the inputs. */
	return (u8)(((u->mcr & 0x02) ? UART_MSR_CTS : 0) |
		    ((u->mcr & 0x01) ? UART_MSR_DSR : 0) |
		    ((u->mcr & 0x04) ? UART_MSR_RI : 0) |
		    ((u->mcr & 0x08) ? UART_MSR_DCD : 0));
}

u8 uart16550__read(struct uart16550 *u, u16 offset)
{
	bool dlab = u->lcr & UART_LCR_DLAB;
	u8 v = 0;

	switch (offset) {
	case UART_RBR_THR:
		if (dlab)
			return u->dll;
		v = u->rbr;
		u->lsr &= (u8)~UART_LSR_DR;
		break;
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case UART_IIR_FCR:
		v = uart16550__iir(u);
		/* Reading IIR clears a THRE interrupt it reports. */
		if ((v & 0x0f) == UART_IIR_THRI)
			u->thr_ipending = false;
		break;
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return u->lsr;
	case UART_MSR:
		return uart16550__msr(u);
	case UART_SCR:
		return u->scr;
	}
	uart16550__update_irq(u);
	return v;
}

static void uart16550__transmit(struct uart16550 *u, u8 value)
{
	if (u->mcr & UART_MCR_LOOP) {
		u->rbr = value;
		u->lsr |= UART_LSR_DR;
	} else if (u->tx) {
		u->tx(u->tx_ctx, value);
	}
	/* Sent at once: THR is empty again, which is an interrupt source. */
	u->thr_ipending = true;
}

void uart16550__write(struct uart16550 *u, u16 offset, u8 value)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (offset) {
	case UART_RBR_THR:
		if (dlab)
			u->dll = value;
		else
			uart16550__transmit(u, value);
		break;
	case UART_IER:
		if (dlab) {
			u->dlm = value;
			break;
		}
		/* Enabling ETBEI with THR empty raises the interrupt. */
		if (!(u->ier & UART_IER_ETBEI) && (value & UART_IER_ETBEI))
			u->thr_ipending = true;
		u->ier = value & 0x0f;
		break;
	case UART_IIR_FCR:
		/* Bits 1-2 reset the FIFOs and clear themselves. */
		if (value & 0x02)
			u->lsr &= (u8)~UART_LSR_DR;
		u->fcr = value & 0xc9;
		break;
	case UART_LCR:
		u->lcr = value;
		break;
	case UART_MCR:
		u->mcr = value & 0x1f;
		break;
	case UART_SCR:
		u->scr = value;
		break;
	default: /* LSR and MSR writes: factory test only, ignored */
		break;
	}
	uart16550__update_irq(u);
}

/*
 * The reads a monitor may answer itself (pio_pure.h): all but RBR (it
 * clears LSR.DR) and IIR (it clears the THRE interrupt it reports);
 * with DLAB set, offset 0 is DLL, a plain latch. LSR is pure in this
 * model: it never sets the error bits a read would clear (OE, PE, FE,
 * BI). The values come from uart16550__read itself, which returns before
 * any side effect for these offsets.
 */
static void uart16550__publish(struct uart16550 *u)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	if (!u->pure)
		return;
	for (u16 off = 0; off < 8; off++) {
		bool pure =
			off != UART_IIR_FCR && (off != UART_RBR_THR || dlab);

		pio_pure__publish(u->pure, u->pure_idx[off], pure,
				  pure ? uart16550__read(u, off) : 0);
	}
}

void uart16550__publish_to(struct uart16550 *u, struct pio_pure_set *s)
{
	u->pure = s;
	for (u16 off = 0; off < 8; off++)
		u->pure_idx[off] = pio_pure__claim(s, (u16)(u->base + off));
	uart16550__publish(u);
}

/* Every register change comes through here: published after each. */
static int uart16550__io(struct vcpu *vcpu, u64 addr, u8 *data, u32 len,
			 bool is_write, void *ptr)
{
	struct uart16550 *u = ptr;
	u16 off = (u16)(addr - u->base);

	(void)vcpu;
	if (len != 1)
		return -EINVAL; /* an 8-bit device: wider accesses float */
	if (is_write)
		uart16550__write(u, off, data[0]);
	else
		data[0] = uart16550__read(u, off);
	uart16550__publish(u);
	return 0;
}

/* The serial sink: stdout, bounded so a guest cannot flood the log. */
static int uart16550__sink(void *ctx, u8 byte)
{
	struct machine *m = ctx;

	if (m->serial_bytes >= m->serial_limit) {
		machine__stop(m, REFVMM_EXIT_SERIAL_FLOOD,
			      "serial flood: guest wrote more than %llu bytes "
			      "to COM1",
			      (unsigned long long)m->serial_limit);
		return -ENOSPC;
	}
	m->serial_bytes++;
	fputc(byte, m->serial_out);
	if (byte == '\n')
		fflush(m->serial_out);
	return 0;
}

static void uart16550__pic_set(void *ctx, int irq, int level)
{
	pic8259__set_irq(ctx, irq, level);
}

static int uart16550__dev_init(struct machine *m, void **priv)
{
	struct uart16550 *u = calloc(1, sizeof(*u));
	int r;

	if (!u)
		return -ENOMEM;
	uart16550__init(u, 0x3f8);
	u->tx = uart16550__sink;
	u->tx_ctx = m;
	if (m->pic)
		u->irq =
			(struct irq_line){uart16550__pic_set, m->pic, COM1_IRQ};
	r = io_bus__register(&m->pio, u->base, 8, uart16550__io, u, "com1");
	if (r < 0) {
		free(u);
		return r;
	}
	uart16550__publish_to(u, &m->pio_pure);
	*priv = u;
	return 0;
}

static void uart16550__dev_exit(struct machine *m, void *priv)
{
	fflush(m->serial_out);
	free(priv);
}

static struct device_type uart16550_device = {
	.name = "uart16550",
	.prio = DEVICE_PRIO_DEFAULT,
	.init = uart16550__dev_init,
	.exit = uart16550__dev_exit,
};
DEVICE_REGISTER(uart16550_device)
