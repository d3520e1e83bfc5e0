/*
 * The machine (machine.h): guest RAM in one memfd, so every mode (and a
 * later software monitor that maps guest pages at guest linear addresses)
 * can map the same pages; the buses; the device instances.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "refvmm/cpu_model.h"
#include "refvmm/device.h"
#include "refvmm/exitcode.h"
#include "refvmm/log.h"
#include "refvmm/machine.h"

int machine__init(struct machine *m, u64 ram_size, struct clock *clock)
{
	int r;

	memset(m, 0, sizeof(*m));
	m->memfd = -1;
	m->ram = MAP_FAILED;
	io_bus__init(&m->pio);
	io_bus__init(&m->mmio);
	stats__init(&m->stats);
	m->clock = clock;
	m->serial_out = stdout;
	m->serial_limit = MACHINE_SERIAL_LIMIT_DEF;
	cpu_model__build(&m->cpu, host_cpu__get());
	m->host_traps = HOST_TRAP_ALL;

	if (ram_size < MACHINE_MEM_MIN || ram_size > MACHINE_MEM_MAX ||
	    ram_size % (4 * KiB))
		return -EINVAL;
	m->memfd = memfd_create("refvmm-ram", MFD_CLOEXEC);
	if (m->memfd < 0) {
		r = -errno;
		goto err;
	}
	if (ftruncate(m->memfd, (off_t)ram_size) < 0) {
		r = -errno;
		goto err_close;
	}
	m->ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      m->memfd, 0);
	if (m->ram == MAP_FAILED) {
		r = -errno;
		goto err_close;
	}
	m->ram_size = ram_size;
	return 0;

err_close:
	close(m->memfd);
	m->memfd = -1;
err:
	return r;
}

void machine__exit(struct machine *m)
{
	size_t i = m->nr_devices;

	while (i--)
		if (m->devices[i].type->exit)
			m->devices[i].type->exit(m, m->devices[i].priv);
	free(m->devices);
	m->devices = NULL;
	m->nr_devices = 0;
	if (m->ram != MAP_FAILED)
		munmap(m->ram, m->ram_size);
	m->ram = MAP_FAILED;
	if (m->memfd >= 0)
		close(m->memfd);
	m->memfd = -1;
	io_bus__exit(&m->pio);
	io_bus__exit(&m->mmio);
	stats__exit(&m->stats);
}

int machine__init_devices(struct machine *m)
{
	const struct device_type *t;
	size_t n = 0;

	for (t = device__types(); t; t = t->next)
		n++;
	m->devices = calloc(n ? n : 1, sizeof(*m->devices));
	if (!m->devices)
		return -ENOMEM;
	for (t = device__types(); t; t = t->next) {
		void *priv = NULL;
		int r = t->init(m, &priv);

		/* A half-built instance still gets its exit call. */
		if (r == 0 || priv)
			m->devices[m->nr_devices++] = (struct device_instance){
				.type = t,
				.priv = priv,
			};
		if (r < 0)
			return r; /* machine__exit unwinds what came up */
	}
	return 0;
}

void *machine__gpa_to_hva(struct machine *m, gpa_t gpa, u64 len)
{
	if (gpa > m->ram_size || len > m->ram_size - gpa)
		return NULL;
	return m->ram + gpa;
}

void machine__stop(struct machine *m, int status, const char *fmt, ...)
{
	va_list ap;

	if (m->stop)
		return;
	m->stop = true;
	m->stop_status = status;
	m->stop_msg[0] = 0;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(m->stop_msg, sizeof(m->stop_msg), fmt, ap);
		va_end(ap);
	}
}

void machine__breach(struct machine *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	m->stop = true;
	m->stop_status = REFVMM_EXIT_CONTAINMENT;
	n = snprintf(m->stop_msg, sizeof(m->stop_msg), "containment: ");
	va_start(ap, fmt);
	vsnprintf(m->stop_msg + n, sizeof(m->stop_msg) - (size_t)n, fmt, ap);
	va_end(ap);
}

void machine__pio(struct machine *m, struct vcpu *vcpu, u16 port, u8 *data,
		  u32 len, bool is_write)
{
	int r = io_bus__dispatch(&m->pio, vcpu, port, data, len, is_write);

	if (r < 0) {
		/* Nothing decodes it: the bus floats high (all ones). */
		if (!is_write)
			memset(data, 0xff, len);
		stats__add(&m->stats, "io.unclaimed_port", 1);
		if (m->log_events & LOG_IO)
			log__printf("io %s port 0x%04x len %u value 0x%llx "
				    "(unclaimed)",
				    is_write ? "out" : "in", port, len,
				    (unsigned long long)io__get(data, len));
	} else if (m->log_events & LOG_IO_ALL) {
		log__printf("io %s port 0x%04x len %u value 0x%llx",
			    is_write ? "out" : "in", port, len,
			    (unsigned long long)io__get(data, len));
	}
}

void machine__mmio(struct machine *m, struct vcpu *vcpu, gpa_t addr, u8 *data,
		   u32 len, bool is_write)
{
	int r = io_bus__dispatch(&m->mmio, vcpu, addr, data, len, is_write);

	if (r < 0) {
		if (!is_write)
			memset(data, 0xff, len);
		stats__add(&m->stats, "io.unclaimed_mmio", 1);
	}
	if (m->log_events & LOG_MMIO)
		log__printf("mmio %s 0x%llx len %u value 0x%llx%s",
			    is_write ? "write" : "read",
			    (unsigned long long)addr, len,
			    (unsigned long long)io__get(data, len),
			    r < 0 ? " (unclaimed)" : "");
}
