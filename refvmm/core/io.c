/* Port and MMIO buses: ranges with one handler signature (io.h). */
#include <errno.h>
#include <stdlib.h>

#include "refvmm/io.h"

void io_bus__init(struct io_bus *bus)
{
	bus->ranges = NULL;
	bus->nr = 0;
	bus->cap = 0;
}

void io_bus__exit(struct io_bus *bus)
{
	free(bus->ranges);
	io_bus__init(bus);
}

int io_bus__register(struct io_bus *bus, u64 base, u64 len,
		     io_handler_fn handler, void *ptr, const char *name)
{
	size_t i;

	if (!len || base + len < base)
		return -EINVAL;
	for (i = 0; i < bus->nr; i++) {
		const struct io_range *r = &bus->ranges[i];

		if (base < r->base + r->len && r->base < base + len)
			return -EBUSY;
	}
	if (bus->nr == bus->cap) {
		size_t cap = bus->cap ? bus->cap * 2 : 16;
		struct io_range *n = realloc(bus->ranges, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		bus->ranges = n;
		bus->cap = cap;
	}
	bus->ranges[bus->nr++] = (struct io_range){
		.base = base,
		.len = len,
		.handler = handler,
		.ptr = ptr,
		.name = name,
	};
	return 0;
}

const struct io_range *io_bus__find(const struct io_bus *bus, u64 addr, u32 len)
{
	size_t i;

	for (i = 0; i < bus->nr; i++) {
		const struct io_range *r = &bus->ranges[i];

		if (addr >= r->base && addr - r->base + len <= r->len)
			return r;
	}
	return NULL;
}

int io_bus__dispatch(struct io_bus *bus, struct vcpu *vcpu, u64 addr, u8 *data,
		     u32 len, bool is_write)
{
	const struct io_range *r = io_bus__find(bus, addr, len);

	if (!r)
		return -ENOENT;
	return r->handler(vcpu, addr, data, len, is_write, r->ptr);
}

u64 io__get(const u8 *data, u32 len)
{
	u64 v = 0;
	u32 i;

	for (i = 0; i < len && i < 8; i++)
		v |= (u64)data[i] << (8 * i);
	return v;
}

void io__put(u8 *data, u32 len, u64 value)
{
	u32 i;

	for (i = 0; i < len && i < 8; i++)
		data[i] = (u8)(value >> (8 * i));
}
