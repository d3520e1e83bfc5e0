/*
 * The 8042 keyboard controller at 0x60 (data) and 0x64 (status and
 * command), with no keyboard and no mouse behind it: what Linux's i8042
 * driver and its reboot code ask of the controller itself (IBM PC AT
 * Technical Reference, "Keyboard Controller", and the command names
 * of Linux's i8042 driver).
 *
 * The input buffer is never full (the controller takes a byte at once),
 * so a guest's wait for IBF to clear ends at its first read. Command
 * results land in the output buffer (OBF) and raise IRQ1 while the
 * command byte enables it, as the 8042 does. Bytes for the keyboard
 * find no keyboard and are dropped; unknown commands are ignored. The
 * reset line (output port bit 0) ends the run: command 0xfe (pulse it),
 * or an output port written through 0xd1 with bit 0 clear. A20 (output
 * port bit 1) is stored only: refvmm never masks address bit 20.
 */
#include <errno.h>
#include <stdlib.h>

#include "refvmm/device.h"
#include "refvmm/exitcode.h"
#include "refvmm/irq.h"
#include "refvmm/machine.h"
#include "refvmm/pic8259.h"

#define I8042_DATA 0x60
#define I8042_CMD  0x64

/* Status register bits. */
#define STR_OBF	     0x01
#define STR_SYS	     0x04
#define STR_CMDDAT   0x08 /* the last write went to 0x64 */
#define STR_UNLOCKED 0x10 /* keylock off */

/* Command byte bits. */
#define CTR_KBDINT 0x01
#define CTR_SYS	   0x04
#define CTR_KBDDIS 0x10
#define CTR_AUXDIS 0x20

/* Output port bits. */
#define OUTPORT_RESET_N 0x01 /* the CPU's reset line, active low */

/*
 * What a PC BIOS leaves after POST: the self-test passed (system flag),
 * scan code translation on, keyboard interrupt on, no mouse port; the
 * output port with reset inactive, A20 on, both clocks and data high.
 */
#define CTR_BOOT     0x65
#define OUTPORT_BOOT 0xcf

struct i8042 {
	struct machine *m;
	struct irq_line irq1;
	u8 status, ctr, outport, out;
	u8 pending;   /* a command waiting for its byte on 0x60, or 0 */
	int pure_idx; /* the status read's cell (pio_pure.h), or -1 */
};

static void i8042__update_irq(struct i8042 *k)
{
	irq_line__set(&k->irq1, (k->status & STR_OBF) && (k->ctr & CTR_KBDINT));
}

static void i8042__output(struct i8042 *k, u8 v)
{
	k->out = v;
	k->status |= STR_OBF;
	i8042__update_irq(k);
}

static void i8042__reset(struct i8042 *k, const char *why, u8 v)
{
	stats__add(&k->m->stats, "guest.resets", 1);
	machine__stop(k->m, REFVMM_EXIT_GUEST_RESET, "guest reset (%s 0x%02x)",
		      why, v);
}

static void i8042__set_ctr(struct i8042 *k, u8 v)
{
	k->ctr = v;
	/* The 8042 copies the command byte's system flag to status. */
	k->status = (u8)((k->status & ~STR_SYS) | (v & CTR_SYS));
	i8042__update_irq(k);
}

static void i8042__command(struct i8042 *k, u8 cmd)
{
	switch (cmd) {
	case 0x20: /* read command byte */
		i8042__output(k, k->ctr);
		break;
	case 0x60: /* write command byte */
	case 0xd1: /* write output port */
		k->pending = cmd;
		break;
	case 0xa7: /* disable the mouse port */
		i8042__set_ctr(k, k->ctr | CTR_AUXDIS);
		break;
	case 0xa8: /* enable the mouse port */
		i8042__set_ctr(k, k->ctr & ~CTR_AUXDIS);
		break;
	case 0xaa: /* controller self-test: passed */
		k->status |= STR_SYS;
		i8042__output(k, 0x55);
		break;
	case 0xab: /* keyboard interface test: no error */
		i8042__output(k, 0x00);
		break;
	case 0xad: /* disable the keyboard port */
		i8042__set_ctr(k, k->ctr | CTR_KBDDIS);
		break;
	case 0xae: /* enable the keyboard port */
		i8042__set_ctr(k, k->ctr & ~CTR_KBDDIS);
		break;
	case 0xd0: /* read output port */
		i8042__output(k, k->outport);
		break;
	default:
		/* 0xf0-0xff pulse the output port bits whose command bit
		 * is 0 for 6 us: bit 0 is the reset line. */
		if (cmd >= 0xf0 && !(cmd & OUTPORT_RESET_N))
			i8042__reset(k, "8042 command", cmd);
		break;
	}
}

static void i8042__data(struct i8042 *k, u8 v)
{
	u8 cmd = k->pending;

	k->pending = 0;
	if (cmd == 0x60) {
		i8042__set_ctr(k, v);
	} else if (cmd == 0xd1) {
		k->outport = v;
		if (!(v & OUTPORT_RESET_N))
			i8042__reset(k, "8042 output port", v);
	}
	/* Otherwise a byte for the keyboard, and there is none. */
}

static int i8042__io(struct vcpu *vcpu, u64 addr, u8 *data, u32 len,
		     bool is_write, void *ptr)
{
	struct i8042 *k = ptr;

	(void)vcpu;
	if (len != 1)
		return -EINVAL;
	if (addr == I8042_CMD && is_write) {
		k->status |= STR_CMDDAT;
		k->pending = 0;
		i8042__command(k, data[0]);
	} else if (addr == I8042_CMD) {
		data[0] = k->status;
	} else if (is_write) {
		k->status &= ~STR_CMDDAT;
		i8042__data(k, data[0]);
	} else {
		/* Reading takes the byte; without one, the last again. */
		data[0] = k->out;
		k->status &= ~STR_OBF;
		i8042__update_irq(k);
	}
	/* The status read changes nothing (a driver polls it for OBF and
	 * IBF): a pure read, published after every access that may
	 * change it. The data read takes the byte: never. */
	pio_pure__publish(&k->m->pio_pure, k->pure_idx, true, k->status);
	return 0;
}

static void i8042__pic_set(void *ctx, int irq, int level)
{
	pic8259__set_irq(ctx, irq, level);
}

static int i8042__init(struct machine *m, void **priv)
{
	struct i8042 *k = calloc(1, sizeof(*k));
	int r;

	if (!k)
		return -ENOMEM;
	*priv = k;
	k->m = m;
	if (m->pic)
		k->irq1 = (struct irq_line){i8042__pic_set, m->pic, 1};
	k->status = STR_SYS | STR_UNLOCKED;
	k->ctr = CTR_BOOT;
	k->outport = OUTPORT_BOOT;
	r = io_bus__register(&m->pio, I8042_DATA, 1, i8042__io, k, "i8042");
	if (r < 0)
		return r;
	r = io_bus__register(&m->pio, I8042_CMD, 1, i8042__io, k, "i8042");
	if (r < 0)
		return r;
	k->pure_idx = pio_pure__claim(&m->pio_pure, I8042_CMD);
	pio_pure__publish(&m->pio_pure, k->pure_idx, true, k->status);
	return 0;
}

static void i8042__exit(struct machine *m, void *priv)
{
	(void)m;
	free(priv);
}

static struct device_type i8042_device = {
	.name = "i8042",
	.prio = DEVICE_PRIO_DEFAULT,
	.init = i8042__init,
	.exit = i8042__exit,
};
DEVICE_REGISTER(i8042_device)
