/*
 * The event log behind --trace EVENTS: one line per event on stderr,
 * selected by kind. ("Trace" in the code means the paper's memory
 * trace, a write-protected page; the log keeps the option's QEMU-like
 * name only on the command line.)
 */
#ifndef REFVMM_LOG_H
#define REFVMM_LOG_H

#include "types.h"

enum {
	LOG_IO = 1u << 0,   /* unclaimed port accesses (and all with io-all) */
	LOG_MMIO = 1u << 1, /* MMIO exits */
	LOG_EXIT = 1u << 2, /* every exit from the mode */
	LOG_IRQ = 1u << 3,  /* interrupt injection */
	LOG_IO_ALL = 1u << 4,
	LOG_TRAPS = 1u << 5,  /* software modes: each guest event */
	LOG_FAULTS = 1u << 6, /* software modes: hidden/true/trace faults */
	LOG_BT = 1u << 7,     /* bt modes: each translation, guest | host */
	LOG_ADAPT = 1u << 8,  /* bt: each adaptation decision */
};

/* Parses "io,mmio,exit,irq,io-all,traps,all"; returns the mask or -EINVAL. */
int log__parse_events(const char *events, unsigned int *mask);
void log__printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
