/* The legacy interrupt hardware: 8259A PIC pair and 8254 PIT channel 0. */
#ifndef GUEST_PIC_H
#define GUEST_PIC_H

#include "lib.h"

#define PIC_VECTOR_BASE 0x20 /* IRQ n arrives on vector 0x20 + n */

/* Initialises both PICs with IRQs 0-15 at vectors 0x20-0x2f, all masked. */
void pic_init(void);
void pic_unmask(int irq);
void pic_mask(int irq);
void pic_eoi(int irq);
/* Programs PIT channel 0 as a rate generator (mode 2) at about hz. */
void pit_periodic(unsigned hz);
void pit_stop(void);

#endif
