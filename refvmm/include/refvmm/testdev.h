/*
 * A test device laid out like QEMU's pc-testdev (hw/misc/pc-testdev.c)
 * so probes that use it run on both:
 *   ports 0xe0-0xe3   a 32-bit data latch, any access size
 *   ports 0xe4-0xe7   "flush page" (write only; QEMU re-protects the page)
 *   ports 0xe8-0xeb   the same latch, byte by byte
 *   ports 0x2000-0x2017 IRQ line control (write: level of ISA IRQ n,
 *                       0-15, to the PIC and the I/O APIC)
 *   MMIO 0xff000000, 64 KiB of RAM-backed memory that always exits, so
 *   any instruction touching it must be emulated by the monitor.
 */
#ifndef REFVMM_TESTDEV_H
#define REFVMM_TESTDEV_H

#include "types.h"

#define TESTDEV_PORT	   0xe0
#define TESTDEV_FLUSH_PORT 0xe4
#define TESTDEV_BYTE_PORT  0xe8
#define TESTDEV_IRQ_PORT   0x2000
#define TESTDEV_IRQ_LINES  24
#define TESTDEV_IOMEM_BASE 0xff000000ull
#define TESTDEV_IOMEM_SIZE 0x10000u

struct pic8259;
struct ioapic;

struct testdev {
	u32 port_data;
	struct pic8259 *pic;
	struct ioapic *ioapic;
	u8 iomem[TESTDEV_IOMEM_SIZE];
};

#endif
