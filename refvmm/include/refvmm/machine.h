/*
 * The machine: guest RAM (one memfd, mapped once), the port and MMIO
 * buses, the device instances, the clock, the counters, and the request
 * to stop with a status. One per refvmm process, but nothing here is a
 * global: unit tests build as many as they like.
 */
#ifndef REFVMM_MACHINE_H
#define REFVMM_MACHINE_H

#include <stdio.h>

#include "clock.h"
#include "cpu_model.h"
#include "io.h"
#include "pio_pure.h"
#include "stats.h"
#include "types.h"

struct lapic;
struct pic8259;
struct pit8254;
struct ioapic;
struct device_type;

#define MACHINE_MEM_DEFAULT (256 * MiB)
#define MACHINE_MEM_MIN	    (2 * MiB)
/* Below the PCI hole, so the pc-testdev window at 0xff000000 stays MMIO. */
#define MACHINE_MEM_MAX		 (3 * GiB)
#define MACHINE_SERIAL_LIMIT_DEF (4 * MiB)

#define HOST_TRAP_CPUID 1u /* CPUID faulting (arch_prctl ARCH_SET_CPUID) */
#define HOST_TRAP_RDTSC 2u /* RDTSC trapping (prctl PR_SET_TSC) */
#define HOST_TRAP_ALL	(HOST_TRAP_CPUID | HOST_TRAP_RDTSC)

struct device_instance {
	const struct device_type *type;
	void *priv;
};

struct machine {
	int memfd;
	u8 *ram;
	u64 ram_size;

	struct io_bus pio;
	struct io_bus mmio;
	/* Port reads a monitor may answer without the device (pio_pure.h). */
	struct pio_pure_set pio_pure;

	struct device_instance *devices;
	size_t nr_devices;
	struct pic8259 *pic; /* set by the PIC's init: others wire to it */
	struct pit8254 *pit;
	struct ioapic *ioapic; /* set by the I/O APIC's init */
	struct lapic *lapic;   /* the interrupt source when present (lapic.h) */

	struct clock *clock;
	struct stats stats;
	/* The CPU the software modes show (built from the host's CPUID). */
	struct cpu_model cpu;
	/* Host traps a software mode may enable (HOST_TRAP_*); machine__init
	 * sets all, refvmm's --host-traps narrows them. */
	unsigned int host_traps;
	/* From the image's .note.popek: what the guest needs of a mode. */
	u32 image_width;
	u32 image_features;
	unsigned int log_events;
	/* The translation modes' campaign instruments (--count-insns,
	 * --translation-log): a log is open when its fd is above 2. */
	bool count_insns;
	int translog_fd;

	FILE *serial_out;
	u64 serial_limit;
	u64 serial_bytes;

	bool stop;
	int stop_status;
	char stop_msg[512];
};

int machine__init(struct machine *m, u64 ram_size, struct clock *clock);
void machine__exit(struct machine *m);
int machine__init_devices(struct machine *m);

/* Host pointer for [gpa, gpa + len) in RAM, or NULL if it is not all RAM. */
void *machine__gpa_to_hva(struct machine *m, gpa_t gpa, u64 len);

/* Asks the run loop to end with @status; the first request wins. */
void machine__stop(struct machine *m, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The guest reached the monitor (host code, monitor memory): ends the run
 * with REFVMM_EXIT_CONTAINMENT whatever was asked before, since nothing
 * the guest did after that can be believed. */
void machine__breach(struct machine *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Port and MMIO access as a mode sees it: unclaimed reads give all ones. */
void machine__pio(struct machine *m, struct vcpu *vcpu, u16 port, u8 *data,
		  u32 len, bool is_write);
void machine__mmio(struct machine *m, struct vcpu *vcpu, gpa_t addr, u8 *data,
		   u32 len, bool is_write);

#endif
