/* --trace EVENTS: one line per event on stderr, selected by kind. */
#ifndef REFVMM_TRACE_H
#define REFVMM_TRACE_H

#include "types.h"

enum {
	TRACE_IO = 1u << 0, /* unclaimed port accesses (and all with io-all) */
	TRACE_MMIO = 1u << 1, /* MMIO exits */
	TRACE_EXIT = 1u << 2, /* every exit from the mode */
	TRACE_IRQ = 1u << 3,  /* interrupt injection */
	TRACE_IO_ALL = 1u << 4,
	TRACE_TRAPS = 1u << 5,	/* software modes: each guest event */
	TRACE_FAULTS = 1u << 6, /* software modes: hidden/true/trace faults */
	TRACE_BT = 1u << 7,	/* bt modes: each translation, guest | host */
	TRACE_ADAPT = 1u << 8,	/* bt: each adaptation decision */
};

/* Parses "io,mmio,exit,irq,io-all,traps,all"; returns the mask or -EINVAL. */
int trace__parse(const char *events, unsigned int *mask);
void trace__printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
