/*
 * Pure port reads: ports whose IN has no side effect and returns a byte
 * the device holds until it next changes it, published by the device
 * after each change. A monitor may answer an IN of a published port
 * from here without an exit (bt's fast callouts, docs/refvmm-bt.md
 * "Fast callouts"); the device sees only the accesses that change it.
 *
 * A device claims its ports once, then keeps each cell true: valid with
 * the value an IN would return now, or invalid (the read has a side
 * effect, or the value is not known without the device's code). A cell
 * left stale is a wrong read: publish from the same place that changes
 * the register. Single-threaded like the device models themselves.
 */
#ifndef REFVMM_PIO_PURE_H
#define REFVMM_PIO_PURE_H

#include "types.h"

#define PIO_PURE_MAX 16

/* A direct-mapped table of the cells for a reader that cannot search
 * (bt's translated IN, bt/translate.c emit_in): @port's slot among
 * PIO_PURE_SLOTS. The PC's published ports have a slot each
 * (test_pio_pure.c). */
#define PIO_PURE_SLOTS	     64
#define pio_pure__slot(port) (((port) ^ ((port) >> 6)) & (PIO_PURE_SLOTS - 1u))

struct pio_pure_cell {
	u16 port;
	u8 value;
	bool valid;
};

struct pio_pure_set {
	u32 n;
	/* one more at every claim and publish: a reader that keeps a copy
	 * of the cells takes it again only when this moved */
	u64 gen;
	struct pio_pure_cell cell[PIO_PURE_MAX];
};

/* A cell for @port, invalid until published: its index, or -1 when the
 * set is full or @port already has one (the device then publishes
 * nothing and every IN takes the exit, as without the set). */
static inline int pio_pure__claim(struct pio_pure_set *s, u16 port)
{
	for (u32 i = 0; i < s->n; i++)
		if (s->cell[i].port == port)
			return -1;
	if (s->n == PIO_PURE_MAX)
		return -1;
	s->cell[s->n] = (struct pio_pure_cell){.port = port};
	s->gen++;
	return (int)s->n++;
}

static inline void pio_pure__publish(struct pio_pure_set *s, int idx,
				     bool valid, u8 value)
{
	if (!s || idx < 0)
		return;
	s->cell[idx].value = valid ? value : 0xff;
	s->cell[idx].valid = valid;
	s->gen++;
}

/*
 * A one-byte IN of @port answered from the set: true and *@value, or
 * false (take the exit). Inlined into the fast callout handler, which
 * may call nothing.
 */
static inline __attribute__((always_inline)) bool
pio_pure__read(const struct pio_pure_set *s, u16 port, u8 *value)
{
	u32 n = s->n < PIO_PURE_MAX ? s->n : PIO_PURE_MAX;

	for (u32 i = 0; i < n; i++)
		if (s->cell[i].port == port) {
			if (!s->cell[i].valid)
				return false;
			*value = s->cell[i].value;
			return true;
		}
	return false;
}

#endif
