/*
 * One I/O handler signature for port I/O and MMIO (the kvmtool habit):
 * a device registers (base, length, handler, ptr) on a bus, and any
 * execution mode routes its I/O exits through io_bus__dispatch.
 */
#ifndef REFVMM_IO_H
#define REFVMM_IO_H

#include "types.h"

struct vcpu;

/*
 * @addr is the absolute port or guest physical address, @data holds @len
 * little-endian bytes (filled in by the handler on a read). Returns 0, or
 * a negative errno when the access is not one the device accepts (the
 * bus then treats it like an unclaimed access).
 */
typedef int (*io_handler_fn)(struct vcpu *vcpu, u64 addr, u8 *data, u32 len,
			     bool is_write, void *ptr);

struct io_range {
	u64 base;
	u64 len;
	io_handler_fn handler;
	void *ptr;
	const char *name;
};

struct io_bus {
	struct io_range *ranges;
	size_t nr;
	size_t cap;
};

void io_bus__init(struct io_bus *bus);
void io_bus__exit(struct io_bus *bus);
int io_bus__register(struct io_bus *bus, u64 base, u64 len,
		     io_handler_fn handler, void *ptr, const char *name);
const struct io_range *io_bus__find(const struct io_bus *bus, u64 addr,
				    u32 len);
int io_bus__dispatch(struct io_bus *bus, struct vcpu *vcpu, u64 addr, u8 *data,
		     u32 len, bool is_write);

/* Little-endian helpers for handlers. */
u64 io__get(const u8 *data, u32 len);
void io__put(u8 *data, u32 len, u64 value);

#endif
