/* The event log (log.h): --trace EVENTS parsing and the one-line printer. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "refvmm/log.h"

static const struct {
	const char *name;
	unsigned int mask;
} trace_events[] = {
	{"io", LOG_IO},
	{"io-all", LOG_IO | LOG_IO_ALL},
	{"mmio", LOG_MMIO},
	{"exit", LOG_EXIT},
	{"irq", LOG_IRQ},
	{"traps", LOG_TRAPS},
	{"faults", LOG_FAULTS},
	{"bt", LOG_BT},
	{"adapt", LOG_ADAPT},
	{"all", LOG_IO | LOG_IO_ALL | LOG_MMIO | LOG_EXIT | LOG_IRQ |
			LOG_FAULTS | LOG_TRAPS | LOG_BT | LOG_ADAPT},
};

int log__parse_events(const char *events, unsigned int *mask)
{
	const char *p = events;

	*mask = 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		size_t i;

		for (i = 0; i < sizeof(trace_events) / sizeof(trace_events[0]);
		     i++)
			if (strlen(trace_events[i].name) == n &&
			    !strncmp(trace_events[i].name, p, n))
				break;
		if (i == sizeof(trace_events) / sizeof(trace_events[0]))
			return -EINVAL;
		*mask |= trace_events[i].mask;
		p += n;
		if (*p == ',')
			p++;
	}
	return *mask ? 0 : -EINVAL;
}

void log__printf(const char *fmt, ...)
{
	va_list ap;

	fputs("refvmm trace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
