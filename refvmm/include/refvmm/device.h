/*
 * Devices register themselves from their own file (the kvmtool init
 * list): DEVICE_REGISTER(type) adds a type at start-up, and
 * machine__init_devices creates one instance of each, in priority order
 * (interrupt controllers before the devices that raise interrupts).
 * The state lives in the instance, never in the file.
 */
#ifndef REFVMM_DEVICE_H
#define REFVMM_DEVICE_H

struct machine;

enum device_prio {
	DEVICE_PRIO_IRQCHIP = 10,
	DEVICE_PRIO_LAPIC = 15, /* after the 8259 it passes through */
	DEVICE_PRIO_TIMER = 20,
	DEVICE_PRIO_DEFAULT = 30,
};

struct device_type {
	const char *name;
	int prio;
	/* Creates an instance, registers its I/O; returns 0 or -errno. */
	int (*init)(struct machine *m, void **priv);
	void (*exit)(struct machine *m, void *priv);
	struct device_type *next;
};

void device__register_type(struct device_type *type);
const struct device_type *device__types(void);

#define DEVICE_REGISTER(type)                                                  \
	static void __attribute__((constructor)) type##__register(void)        \
	{                                                                      \
		device__register_type(&type);                                  \
	}

#endif
