/* The device type list that DEVICE_REGISTER fills (device.h). */
#include "refvmm/device.h"

static struct device_type *device_types;

/* Kept sorted by priority, so instances come up in a fixed order. */
void device__register_type(struct device_type *type)
{
	struct device_type **p = &device_types;

	while (*p && (*p)->prio <= type->prio)
		p = &(*p)->next;
	type->next = *p;
	*p = type;
}

const struct device_type *device__types(void)
{
	return device_types;
}
