/*
 * 8259A programmable interrupt controller, master/slave pair as on the
 * PC (Intel 8259A datasheet, order no. 231468): slave on master IR2.
 */
#ifndef REFVMM_PIC8259_H
#define REFVMM_PIC8259_H

#include "pio_pure.h"
#include "types.h"

struct pic_chip {
	u8 irr, isr, imr;
	u8 last_level; /* input levels, for edge detection */
	u8 vector_base;
	u8 init_step; /* 0: operational; 2..4: expecting ICW2..ICW4 */
	bool icw4_needed, single, auto_eoi, rotate_on_aeoi;
	bool level_triggered; /* ICW1.LTIM */
	bool read_isr, poll, special_mask;
	u8 lowest_prio; /* IR of the lowest priority (7 after init) */
	u8 cascade;	/* ICW3 */
};

struct pic8259 {
	struct pic_chip chip[2]; /* 0 master (0x20), 1 slave (0xa0) */
	u64 spurious;
	/* The machine's pure port reads (pio_pure.h): the IMRs at 0x21
	 * and 0xa1; NULL if none. */
	struct pio_pure_set *pure;
	int pure_idx[2];
};

void pic8259__reset(struct pic8259 *pic);
/* An input changes level (IRQ 0-15). */
void pic8259__set_irq(struct pic8259 *pic, int irq, int level);
/* True when the master's INT output is asserted. */
bool pic8259__has_output(const struct pic8259 *pic);
/* The INTA cycle: returns the vector and updates IRR/ISR. */
int pic8259__ack(struct pic8259 *pic);
int pic8259__ack_cb(void *pic);

u8 pic8259__read(struct pic8259 *pic, int chip, int a0);
void pic8259__write(struct pic8259 *pic, int chip, int a0, u8 value);

#endif
