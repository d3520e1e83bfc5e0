/*
 * Port 0x61, the PC's "port B" (PIIX4 datasheet: NMI Status and Control
 * Register). Bit 0 is the GATE of PIT channel 2 and bit 5 reads that
 * channel's OUT, which is how Linux calibrates the TSC (channel 2 in
 * mode 0, polled through bit 5 or the count's MSB). Bit 1 enables the
 * speaker (there is none: stored only); bits 2 and 3 (SERR#, IOCHK# NMI
 * enables) are stored; bits 6 and 7 (NMI sources) read 0, refvmm has no
 * NMI. Bit 4 toggles with every DRAM refresh request.
 */
#include <errno.h>
#include <stdlib.h>

#include "refvmm/device.h"
#include "refvmm/machine.h"
#include "refvmm/pit8254.h"

#define PORT61_GATE2	0x01
#define PORT61_WRITABLE 0x0f
#define PORT61_REFRESH	0x10
#define PORT61_OUT2	0x20
/*
 * The PC BIOS programs PIT channel 1 with 18 for DRAM refresh: one
 * request every 18 / 1.193182 MHz = 15.085 us, and the chipsets kept
 * the bit toggling at that rate after refresh moved elsewhere. Old
 * delay loops count its edges.
 */
#define PORT61_REFRESH_NS 15085

struct port61 {
	struct machine *m;
	u8 value; /* bits 0-3 as written */
};

static u8 port61__read(struct port61 *p)
{
	struct machine *m = p->m;
	u8 v = p->value;

	if ((clock__now(m->clock) / PORT61_REFRESH_NS) & 1)
		v |= PORT61_REFRESH;
	if (m->pit && pit8254__out(m->pit, 2))
		v |= PORT61_OUT2;
	return v;
}

static void port61__write(struct port61 *p, u8 v)
{
	/* Bits 4-7 are read-only. */
	p->value = v & PORT61_WRITABLE;
	if (p->m->pit)
		pit8254__set_gate(p->m->pit, 2, v & PORT61_GATE2);
}

static int port61__io(struct vcpu *vcpu, u64 addr, u8 *data, u32 len,
		      bool is_write, void *ptr)
{
	(void)vcpu;
	(void)addr;
	if (len != 1)
		return -EINVAL;
	if (is_write)
		port61__write(ptr, data[0]);
	else
		data[0] = port61__read(ptr);
	return 0;
}

static int port61__init(struct machine *m, void **priv)
{
	struct port61 *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->m = m;
	*priv = p;
	return io_bus__register(&m->pio, 0x61, 1, port61__io, p, "port61");
}

static void port61__exit(struct machine *m, void *priv)
{
	(void)m;
	free(priv);
}

static struct device_type port61_device = {
	.name = "port61",
	.prio = DEVICE_PRIO_DEFAULT,
	.init = port61__init,
	.exit = port61__exit,
};
DEVICE_REGISTER(port61_device)
