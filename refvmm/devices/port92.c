/*
 * Port 0x92, System Control Port A (PIIX4 datasheet, "Port 92"): bit 1
 * is the fast A20 gate (stored and read back; refvmm never masks
 * address bit 20), and writing bit 0 as 1 is the fast reset, which ends
 * the run as a guest reset. The other bits are stored.
 */
#include <errno.h>
#include <stdlib.h>

#include "refvmm/device.h"
#include "refvmm/exitcode.h"
#include "refvmm/machine.h"

#define PORT92_RESET 0x01
/* A20 on, as the BIOS leaves it for a protected-mode kernel. */
#define PORT92_BOOT 0x02

struct port92 {
	struct machine *m;
	u8 value;
};

static int port92__io(struct vcpu *vcpu, u64 addr, u8 *data, u32 len,
		      bool is_write, void *ptr)
{
	struct port92 *p = ptr;

	(void)vcpu;
	(void)addr;
	if (len != 1)
		return -EINVAL;
	if (!is_write) {
		data[0] = p->value;
		return 0;
	}
	/* The reset bit reads 0 again: the reset has happened. */
	p->value = data[0] & ~PORT92_RESET;
	if (data[0] & PORT92_RESET) {
		stats__add(&p->m->stats, "guest.resets", 1);
		machine__stop(p->m, REFVMM_EXIT_GUEST_RESET,
			      "guest reset (port 0x92 fast reset, 0x%02x)",
			      data[0]);
	}
	return 0;
}

static int port92__init(struct machine *m, void **priv)
{
	struct port92 *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	*priv = p;
	p->m = m;
	p->value = PORT92_BOOT;
	return io_bus__register(&m->pio, 0x92, 1, port92__io, p, "port92");
}

static void port92__exit(struct machine *m, void *priv)
{
	(void)m;
	free(priv);
}

static struct device_type port92_device = {
	.name = "port92",
	.prio = DEVICE_PRIO_DEFAULT,
	.init = port92__init,
	.exit = port92__exit,
};
DEVICE_REGISTER(port92_device)
