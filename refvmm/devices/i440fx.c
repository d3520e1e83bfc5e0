/*
 * The i440FX host bridge (i440fx.h): configuration mechanism #1 and the
 * one function behind it, 00:00.0. Every other bus, device and function
 * is absent and reads all ones, which is how software finds nothing
 * there (vendor 0xffff); writes to them go nowhere. There is no PIIX3
 * at 00:01.0: refvmm's ISA devices sit on fixed ports and need no
 * bridge to be found.
 *
 * What is readable and writable follows QEMU 7.2's pc machine (checked
 * on it): the header is read-only except the command register's I/O,
 * memory, bus-master, SERR and INTx-disable bits, the cache line size
 * and the interrupt line; the device-specific bytes 0x40-0xff are all
 * writable (PAM and SMRAM are stored, never acted on: refvmm maps no
 * BIOS shadow and has no SMM).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "refvmm/device.h"
#include "refvmm/i440fx.h"
#include "refvmm/machine.h"

#define CONFIG_SPACE 256

struct i440fx {
	u32 address; /* CONFIG_ADDRESS as last written */
	u8 config[CONFIG_SPACE];
	u8 wmask[CONFIG_SPACE];
};

static void put16(u8 *p, u16 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
}

static void i440fx__reset(struct i440fx *h, u64 ram_size)
{
	u64 units = ram_size / (8 * MiB);

	memset(h->config, 0, sizeof(h->config));
	put16(h->config + 0x00, I440FX_VENDOR);
	put16(h->config + 0x02, I440FX_DEVICE);
	h->config[0x08] = I440FX_REVISION;
	h->config[0x09] = (u8)I440FX_CLASS;
	h->config[0x0a] = (u8)(I440FX_CLASS >> 8);
	h->config[0x0b] = (u8)(I440FX_CLASS >> 16);
	/* QEMU's default subsystem for a device that names none:
	 * Red Hat/Qumranet 0x1af4, QEMU 0x1100. */
	put16(h->config + 0x2c, 0x1af4);
	put16(h->config + 0x2e, 0x1100);
	h->config[I440FX_RAM_SIZE_REG] = (u8)(units > 255 ? 255 : units);
	h->config[I440FX_SMRAM_REG] = 0x02; /* C_BASE_SEG: 0xa0000 */

	memset(h->wmask, 0, sizeof(h->wmask));
	put16(h->wmask + 0x04, 0x0507); /* IO, MEM, MASTER, SERR, INTX_DIS */
	h->wmask[0x0c] = 0xff;		/* cache line size */
	h->wmask[0x3c] = 0xff;		/* interrupt line */
	memset(h->wmask + 0x40, 0xff, CONFIG_SPACE - 0x40);
}

static int i440fx__address_io(struct vcpu *vcpu, u64 addr, u8 *data, u32 len,
			      bool is_write, void *ptr)
{
	struct i440fx *h = ptr;

	(void)vcpu;
	if (is_write) {
		/* Only a whole dword at 0xcf8 is CONFIG_ADDRESS; a narrower
		 * write is not a configuration cycle and changes nothing. */
		if (addr == PCI_CONFIG_ADDRESS && len == 4)
			h->address = (u32)io__get(data, 4);
		return 0;
	}
	/* QEMU answers any read in 0xcf8-0xcfb with the register's low
	 * bytes, whatever the offset. */
	io__put(data, len, h->address);
	return 0;
}

static int i440fx__data_io(struct vcpu *vcpu, u64 addr, u8 *data, u32 len,
			   bool is_write, void *ptr)
{
	struct i440fx *h = ptr;
	/* Bits 1:0 of the register are ORed in too, as QEMU does. */
	u32 a = h->address | (u32)(addr & 3);
	u32 reg = a & 0xff;
	bool present = (a & 0x00ffff00u) == 0; /* bus 0, device 0, fn 0 */
	u32 i;

	(void)vcpu;
	if (!(h->address & PCI_CONFIG_ENABLE) || !present) {
		/* No configuration cycle, or nobody claims it: master abort,
		 * all ones (PCI 3.0, 3.2.2.3.2). */
		if (!is_write)
			memset(data, 0xff, len);
		return 0;
	}
	for (i = 0; i < len; i++) {
		u32 r = reg + i;

		if (r >= CONFIG_SPACE) {
			if (!is_write)
				data[i] = 0;
		} else if (is_write) {
			h->config[r] = (u8)((h->config[r] & ~h->wmask[r]) |
					    (data[i] & h->wmask[r]));
		} else {
			data[i] = h->config[r];
		}
	}
	return 0;
}

static int i440fx__init(struct machine *m, void **priv)
{
	struct i440fx *h = calloc(1, sizeof(*h));
	int r;

	if (!h)
		return -ENOMEM;
	*priv = h;
	i440fx__reset(h, m->ram_size);
	r = io_bus__register(&m->pio, PCI_CONFIG_ADDRESS, 4, i440fx__address_io,
			     h, "pci-config-address");
	if (r < 0)
		return r;
	return io_bus__register(&m->pio, PCI_CONFIG_DATA, 4, i440fx__data_io, h,
				"pci-config-data");
}

static void i440fx__exit(struct machine *m, void *priv)
{
	(void)m;
	free(priv);
}

static struct device_type i440fx_device = {
	.name = "i440fx",
	.prio = DEVICE_PRIO_DEFAULT,
	.init = i440fx__init,
	.exit = i440fx__exit,
};
DEVICE_REGISTER(i440fx_device)
