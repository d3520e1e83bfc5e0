/*
 * isa-debug-exit on port 0xf4, as QEMU's -device isa-debug-exit,
 * iobase=0xf4,iosize=0x04: a write of N ends the run with process
 * status (N << 1) | 1 (docs/protocol.md). Reads return 0, as QEMU's do.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <stdint.h>

#include <popek/image.h>

#include "refvmm/device.h"
#include "refvmm/exitcode.h"
#include "refvmm/machine.h"

static int debug_exit__io(struct vcpu *vcpu, u64 addr, u8 *data, u32 len,
			  bool is_write, void *ptr)
{
	struct machine *m = ptr;

	(void)vcpu;
	(void)addr;
	if (!is_write) {
		memset(data, 0, len);
		return 0;
	}
	stats__add(&m->stats, "debug_exit.writes", 1);
	machine__stop(m, refvmm_exit__guest((unsigned int)io__get(data, len)),
		      NULL);
	return 0;
}

static int debug_exit__init(struct machine *m, void **priv)
{
	*priv = NULL;
	return io_bus__register(&m->pio, POPEK_DEBUG_EXIT_PORT, 4,
				debug_exit__io, m, "debug-exit");
}

static struct device_type debug_exit_device = {
	.name = "debug-exit",
	.prio = DEVICE_PRIO_DEFAULT,
	.init = debug_exit__init,
};
DEVICE_REGISTER(debug_exit_device)
