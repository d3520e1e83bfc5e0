/*
 * 8254 programmable interval timer, three channels (Intel 8254
 * datasheet, order no. 231164): modes 0-5, the GATE inputs, latch
 * command and read-back, lobyte/hibyte access. Counting is computed
 * from an injectable clock rather than ticked, so a test clock can
 * check it count by count.
 */
#ifndef REFVMM_PIT8254_H
#define REFVMM_PIT8254_H

#include "clock.h"
#include "irq.h"
#include "types.h"

#define PIT_HZ 1193182ull

enum { PIT_RW_LATCH = 0, PIT_RW_LSB = 1, PIT_RW_MSB = 2, PIT_RW_WORD = 3 };

struct pit_channel {
	u8 mode;	/* 0-5 */
	u8 rw;		/* PIT_RW_* */
	u32 reload;	/* the count register, 1..65536 */
	u32 n;		/* the count the current cycle started from */
	bool loaded;	/* a count has been written since the control word */
	bool gate;	/* GATE input level */
	bool triggered; /* modes 1, 5: a GATE rising edge started the count */
	u64 load_ns;	/* when the current stretch of counting started */
	u64 base_ticks; /* clocks counted before load_ns (GATE pauses) */
	u64 fired;	/* OUT rising edges raised since the cycle began */
	bool write_lsb_next, read_lsb_next;
	u8 write_latch; /* LSB held until the MSB of a word write */
	bool latched;	/* latch command holds latched_count */
	u16 latched_count;
	u8 latched_bytes; /* bytes of the latch still to read */
	bool bcd;
};

struct pit8254 {
	struct pit_channel ch[3];
	struct clock *clock;
	struct irq_line irq0; /* channel 0 OUT -> IRQ0 */
	u64 irqs;
};

/* Channels 0 and 1 have GATE tied high, as on the PC; channel 2's is
 * port 0x61 bit 0 (port61.c) and starts low. */
void pit8254__init(struct pit8254 *pit, struct clock *clock);
u8 pit8254__read(struct pit8254 *pit, int port);
void pit8254__write(struct pit8254 *pit, int port, u8 value);
void pit8254__set_gate(struct pit8254 *pit, int channel, bool level);
/* Raises IRQ0 for every OUT rising edge of channel 0 up to now. */
void pit8254__update(struct pit8254 *pit);
/* When channel 0 next raises IRQ0 (ns), or 0 if it never will. */
u64 pit8254__next_deadline(struct pit8254 *pit);
u16 pit8254__count(struct pit8254 *pit, int channel);
bool pit8254__out(struct pit8254 *pit, int channel);

#endif
