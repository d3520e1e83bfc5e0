/* 16550 UART model (National Semiconductor PC16550D datasheet). */
#ifndef REFVMM_UART16550_H
#define REFVMM_UART16550_H

#include "irq.h"
#include "pio_pure.h"
#include "types.h"

struct machine;

/* Register offsets from the base (datasheet Table II). */
enum {
	UART_RBR_THR = 0, /* DLAB=0; DLL when DLAB=1 */
	UART_IER = 1,	  /* DLAB=0; DLM when DLAB=1 */
	UART_IIR_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
};

#define UART_LCR_DLAB  0x80
#define UART_LSR_DR    0x01
#define UART_LSR_THRE  0x20
#define UART_LSR_TEMT  0x40
#define UART_IER_ERBFI 0x01
#define UART_IER_ETBEI 0x02
#define UART_IIR_NONE  0x01
#define UART_IIR_THRI  0x02
#define UART_IIR_RDI   0x04
#define UART_IIR_FIFO  0xc0
#define UART_FCR_FIFOE 0x01
#define UART_MCR_OUT2  0x08
#define UART_MCR_LOOP  0x10

struct uart16550 {
	u16 base;
	u8 rbr, ier, lcr, mcr, lsr, msr, scr, dll, dlm, fcr;
	bool thr_ipending;
	struct irq_line irq;
	/* Where transmitted bytes go; returns 0 or a negative errno. */
	int (*tx)(void *ctx, u8 byte);
	void *tx_ctx;
	/* The machine's pure port reads (pio_pure.h), NULL if none: a
	 * cell per register offset, -1 unclaimed. */
	struct pio_pure_set *pure;
	int pure_idx[8];
};

void uart16550__init(struct uart16550 *u, u16 base);
u8 uart16550__read(struct uart16550 *u, u16 offset);
void uart16550__write(struct uart16550 *u, u16 offset, u8 value);
u8 uart16550__iir(const struct uart16550 *u);
/* Claims the eight ports in @s and publishes them (uart16550.c). */
void uart16550__publish_to(struct uart16550 *u, struct pio_pure_set *s);

#endif
