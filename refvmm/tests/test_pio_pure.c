/*
 * Pure port reads (pio_pure.h) on a whole PC: which ports the devices
 * publish, and that a published cell always holds what the device's own
 * read returns and that this read changes nothing, through any sequence
 * of guest port writes and reads (the fast IN of bt answers from the
 * cells: a stale one is a wrong guest read).
 */
#include <stdio.h>
#include <string.h>

#include "pc_fixture.h"

static FILE *sink;

static void boot(void)
{
	pc_boot(16 << 20);
	sink = fopen("/dev/null", "w");
	cr_assert(sink);
	m.serial_out = sink; /* THR writes of the random sequence */
}

static void down(void)
{
	pc_exit();
	fclose(sink);
}

TestSuite(pio_pure, .init = boot, .fini = down);

static bool cell_of(u16 port, u8 *v)
{
	return pio_pure__read(&m.pio_pure, port, v);
}

/* After reset: the PIC's IMRs, the 8042's status and the UART's
 * registers but RBR (DLAB clear) and IIR, at the values of a reset. */
Test(pio_pure, published_after_reset)
{
	static const struct {
		u16 port;
		bool valid;
		u8 value;
	} want[] = {
		{0x20, false, 0},    {0x21, true, 0x00},  {0xa0, false, 0},
		{0xa1, true, 0x00},  {0x3f8, false, 0},	  {0x3f9, true, 0x00},
		{0x3fa, false, 0},   {0x3fb, true, 0x00}, {0x3fc, true, 0x00},
		{0x3fd, true, 0x60}, {0x3fe, true, 0xb0}, {0x3ff, true, 0x00},
		{0x60, false, 0},    {0x64, true, 0x14},  {0x40, false, 0},
		{0x80, false, 0},
	};
	u8 v;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		bool got = cell_of(want[i].port, &v);

		cr_assert_eq(got, want[i].valid, "port %#x: published %d",
			     want[i].port, got);
		if (got)
			cr_assert_eq(v, want[i].value,
				     "port %#x: cell %#x, expected %#x",
				     want[i].port, v, want[i].value);
	}
}

/* Every port the PC publishes has a slot of its own in the table bt's
 * translated IN reads (pio_pure__slot): a port that shared one would
 * take the fast callout every time. */
Test(pio_pure, published_ports_have_slots_of_their_own)
{
	u16 owner[PIO_PURE_SLOTS];

	cr_assert_eq(m.pio_pure.n, 11, "ports claimed: %u", m.pio_pure.n);
	memset(owner, 0, sizeof(owner));
	for (u32 i = 0; i < m.pio_pure.n; i++) {
		u16 port = m.pio_pure.cell[i].port;
		u32 s = pio_pure__slot(port);

		cr_assert_eq(owner[s], 0, "ports %#x and %#x share slot %u",
			     owner[s], port, s);
		owner[s] = port;
	}
}

/* DLAB banks offsets 0 and 1: DLL becomes pure, offset 1 reads DLM. */
Test(pio_pure, dlab_banks_the_cells)
{
	u8 v;

	outb(0x05, 0x3f9); /* IER */
	outb(0x80, 0x3fb); /* DLAB */
	outb(0x0c, 0x3f8); /* DLL */
	outb(0x01, 0x3f9); /* DLM */
	cr_assert(cell_of(0x3f8, &v) && v == 0x0c, "DLL cell %#x", v);
	cr_assert(cell_of(0x3f9, &v) && v == 0x01, "DLM cell %#x", v);
	outb(0x03, 0x3fb);
	cr_assert(!cell_of(0x3f8, &v), "RBR published");
	cr_assert(cell_of(0x3f9, &v) && v == 0x05, "IER cell %#x", v);
}

static void snapshot(u16 *out)
{
	for (u32 i = 0; i < m.pio_pure.n; i++)
		out[i] = (u16)(m.pio_pure.cell[i].valid << 8 |
			       m.pio_pure.cell[i].value);
}

/* Every published cell equals the device's read, and that read leaves
 * every cell as it was, after each step of a random sequence. */
Test(pio_pure, cells_follow_the_devices)
{
	static const u16 ports[] = {0x20,  0x21,  0xa0,	 0xa1,	0x3f8,
				    0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd,
				    0x3fe, 0x3ff, 0x60,	 0x64};
	u32 seed = 12345, checked = 0;
	u16 before[PIO_PURE_MAX], after[PIO_PURE_MAX];

	for (int step = 0; step < 20000; step++) {
		seed = seed * 1103515245u + 12345u;
		u16 port = ports[(seed >> 16) % 14];
		u8 val = (u8)(seed >> 8);

		/* not the 8042's commands: one pulses the reset line */
		if ((seed & 0x80000000u) && port != 0x64)
			outb(val, port);
		else
			(void)inb(port);
		for (u32 i = 0; i < m.pio_pure.n; i++) {
			const struct pio_pure_cell *c = &m.pio_pure.cell[i];

			if (!c->valid)
				continue;
			snapshot(before);
			u8 full = inb(c->port);

			snapshot(after);
			cr_assert_eq(full, c->value,
				     "step %d: port %#x reads %#x, cell %#x",
				     step, c->port, full, c->value);
			cr_assert(!memcmp(before, after,
					  m.pio_pure.n * sizeof(before[0])),
				  "step %d: reading port %#x changed a cell",
				  step, c->port);
			checked++;
		}
	}
	cr_assert_gt(checked, 100000u, "only %u cell checks", checked);
}
