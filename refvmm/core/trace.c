/* --trace: event selection and the one-line printer. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "refvmm/trace.h"

static const struct {
	const char *name;
	unsigned int mask;
} trace_events[] = {
	{"io", TRACE_IO},
	{"io-all", TRACE_IO | TRACE_IO_ALL},
	{"mmio", TRACE_MMIO},
	{"exit", TRACE_EXIT},
	{"irq", TRACE_IRQ},
	{"traps", TRACE_TRAPS},
	{"faults", TRACE_FAULTS},
	{"bt", TRACE_BT},
	{"adapt", TRACE_ADAPT},
	{"all", TRACE_IO | TRACE_IO_ALL | TRACE_MMIO | TRACE_EXIT | TRACE_IRQ |
			TRACE_FAULTS | TRACE_TRAPS | TRACE_BT | TRACE_ADAPT},
};

int trace__parse(const char *events, unsigned int *mask)
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

void trace__printf(const char *fmt, ...)
{
	va_list ap;

	fputs("refvmm trace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
