/*
 * pc-testdev, with the guest-visible layout of QEMU's hw/misc/pc-testdev.c
 * (see testdev.h). The MMIO window is RAM-backed but never mapped into
 * the guest, so every access to it exits: a probe can force any monitor
 * to decode and emulate the instruction that touched it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "refvmm/device.h"
#include "refvmm/ioapic.h"
#include "refvmm/machine.h"
#include "refvmm/pic8259.h"
#include "refvmm/testdev.h"

/* 0xe0-0xe3 (any size) and 0xe8-0xeb (byte-wise): one 32-bit latch. */
static int testdev__port(struct vcpu *vcpu, u64 addr, u8 *data, u32 len,
			 bool is_write, void *ptr)
{
	struct testdev *t = ptr;
	u32 shift = (u32)(addr & 3) * 8;
	u64 mask;

	(void)vcpu;
	if (shift + len * 8 > 32)
		return -EINVAL;
	mask = ((1ull << (len * 8)) - 1) << shift;
	if (is_write) {
		t->port_data = (u32)((t->port_data & ~mask) |
				     ((io__get(data, len) << shift) & mask));
	} else {
		io__put(data, len, (t->port_data & mask) >> shift);
	}
	return 0;
}

/*
 * 0xe4: QEMU drops and restores the host mapping of the page whose
 * address is written. Guest RAM here is one shared mapping that the
 * engine reads directly, so there is nothing to flush: accept it.
 */
static int testdev__flush(struct vcpu *vcpu, u64 addr, u8 *data, u32 len,
			  bool is_write, void *ptr)
{
	(void)vcpu;
	(void)addr;
	(void)ptr;
	if (!is_write)
		memset(data, 0, len);
	return len == 4 ? 0 : -EINVAL;
}

/* 0x2000 + n: the level of ISA IRQ n (n < 16 reach the PIC pair). */
static int testdev__irq(struct vcpu *vcpu, u64 addr, u8 *data, u32 len,
			bool is_write, void *ptr)
{
	struct testdev *t = ptr;
	int irq = (int)(addr - TESTDEV_IRQ_PORT);

	(void)vcpu;
	if (len != 1)
		return -EINVAL;
	if (!is_write) {
		data[0] = 0;
		return 0;
	}
	/* An ISA IRQ, as QEMU routes it: to the 8259 and to the I/O APIC
	 * pin the ISA wiring gives. QEMU takes ISA IRQs only (0-15). */
	if (irq >= 16)
		return 0;
	if (t->pic)
		pic8259__set_irq(t->pic, irq, data[0] != 0);
	if (t->ioapic)
		ioapic__set_irq(t->ioapic, ioapic__isa_pin((unsigned int)irq),
				data[0] != 0);
	return 0;
}

static int testdev__iomem(struct vcpu *vcpu, u64 addr, u8 *data, u32 len,
			  bool is_write, void *ptr)
{
	struct testdev *t = ptr;
	u64 off = addr - TESTDEV_IOMEM_BASE;

	(void)vcpu;
	if (off + len > TESTDEV_IOMEM_SIZE)
		return -EINVAL;
	if (is_write)
		memcpy(&t->iomem[off], data, len);
	else
		memcpy(data, &t->iomem[off], len);
	return 0;
}

static int testdev__init(struct machine *m, void **priv)
{
	struct testdev *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return -ENOMEM;
	t->pic = m->pic;
	t->ioapic = m->ioapic;
	r = io_bus__register(&m->pio, TESTDEV_PORT, 4, testdev__port, t,
			     "testdev");
	if (!r)
		r = io_bus__register(&m->pio, TESTDEV_FLUSH_PORT, 4,
				     testdev__flush, t, "testdev-flush");
	if (!r)
		r = io_bus__register(&m->pio, TESTDEV_BYTE_PORT, 4,
				     testdev__port, t, "testdev-byte");
	if (!r)
		r = io_bus__register(&m->pio, TESTDEV_IRQ_PORT,
				     TESTDEV_IRQ_LINES, testdev__irq, t,
				     "testdev-irq");
	if (!r)
		r = io_bus__register(&m->mmio, TESTDEV_IOMEM_BASE,
				     TESTDEV_IOMEM_SIZE, testdev__iomem, t,
				     "testdev-iomem");
	/*
	 * On failure the instance stays owned by the machine (priv), so the
	 * ranges already registered never point at freed memory.
	 */
	*priv = t;
	return r;
}

static void testdev__exit(struct machine *m, void *priv)
{
	(void)m;
	free(priv);
}

static struct device_type testdev_device = {
	.name = "pc-testdev",
	.prio = DEVICE_PRIO_DEFAULT,
	.init = testdev__init,
	.exit = testdev__exit,
};
DEVICE_REGISTER(testdev_device)
