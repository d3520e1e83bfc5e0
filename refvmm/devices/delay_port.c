/*
 * Port 0x80, the POST-code port that PC code writes to as an I/O delay.
 * Claimed so it stays out of --trace io; writes are dropped and reads
 * give 0xff like an empty ISA bus.
 */
#include <string.h>

#include "refvmm/device.h"
#include "refvmm/machine.h"

static int delay_port__io(struct vcpu *vcpu, u64 addr, u8 *data, u32 len,
			  bool is_write, void *ptr)
{
	(void)vcpu;
	(void)addr;
	(void)ptr;
	if (!is_write)
		memset(data, 0xff, len);
	return 0;
}

static int delay_port__init(struct machine *m, void **priv)
{
	*priv = NULL;
	return io_bus__register(&m->pio, 0x80, 1, delay_port__io, NULL,
				"delay-port");
}

static struct device_type delay_port_device = {
	.name = "delay-port",
	.prio = DEVICE_PRIO_DEFAULT,
	.init = delay_port__init,
};
DEVICE_REGISTER(delay_port_device)
