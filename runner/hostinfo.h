/*
 * The host a run happens on: CPU identity, CPU flags and the KVM backend.
 * Known infidelities can depend on them (`xfail ... when` in the target files)
 * and the report groups results by host class.
 */
#ifndef POPEK_RUNNER_HOSTINFO_H
#define POPEK_RUNNER_HOSTINFO_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct hostinfo {
	char *vendor;
	char *model_name;
	int family, model;
	char **flags;
	size_t nflags;
	char *backend;	  /* kvm_intel, kvm_amd, kvm_pvm or none */
	char *host_class; /* vendor-family-model/backend */
	char *hostname;
};

/*
 * Fill from explicit values (unit tests, fake hosts). flags is a
 * space-separated list as in /proc/cpuinfo.
 */
void hostinfo_set(struct hostinfo *h, const char *vendor,
		  const char *model_name, int family, int model,
		  const char *flags, const char *backend);
/* Fill from the text of /proc/cpuinfo (its first processor block). */
void hostinfo_parse_cpuinfo(struct hostinfo *h, const char *cpuinfo,
			    const char *backend);
/* The KVM backend module loaded under sysmodule (normally /sys/module). */
const char *hostinfo_kvm_backend(const char *sysmodule);
/* This host. */
int hostinfo_probe(struct hostinfo *h, struct perr *e);
bool hostinfo_has_flag(const struct hostinfo *h, const char *flag);
void hostinfo_free(struct hostinfo *h);

#endif
