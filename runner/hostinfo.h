/*
 * The host a run happens on: CPU identity, CPU flags, the KVM backend and
 * the kernel release. Known infidelities can depend on them (`xfail ... when`
 * in the target files) and the report groups results by host class.
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
	char *kernel;	  /* the kernel release (uname -r), "" if unknown */
	char *emulator;	  /* "qemu-tcg" or NULL: see hostinfo_emulator */
	char *host_class; /* vendor-family-model/backend[@emulator] */
	char *hostname;
};

/*
 * Fill from explicit values (unit tests, fake hosts). flags is a
 * space-separated list as in /proc/cpuinfo.
 */
void hostinfo_set(struct hostinfo *h, const char *vendor,
		  const char *model_name, int family, int model,
		  const char *flags, const char *backend);
/* The kernel release, as uname -r prints it ("" when unknown). */
void hostinfo_set_kernel(struct hostinfo *h, const char *release);
/* Fill from the text of /proc/cpuinfo (its first processor block). */
void hostinfo_parse_cpuinfo(struct hostinfo *h, const char *cpuinfo,
			    const char *backend);
/* The KVM backend module loaded under sysmodule (normally /sys/module). */
const char *hostinfo_kvm_backend(const char *sysmodule);
/*
 * The CPU emulator a hypervisor signature (CPUID leaf 0x40000000 EBX, ECX,
 * EDX, 12 bytes) names, or NULL. Only emulators count: a hardware-assisted
 * hypervisor runs the real CPU, so its guests stay in the host's class.
 */
const char *hostinfo_emulator(const char signature[12]);
/* Mark the host as emulated by emulator (NULL: not): its class says so. */
void hostinfo_set_emulator(struct hostinfo *h, const char *emulator);
/* This host. */
int hostinfo_probe(struct hostinfo *h, struct perr *e);
bool hostinfo_has_flag(const struct hostinfo *h, const char *flag);
void hostinfo_free(struct hostinfo *h);

/* A kernel version: MAJOR.MINOR[.PATCH], n of them given (2 or 3). */
struct kernel_version {
	unsigned long v[3];
	int n;
};

/*
 * Read the version that starts text. A release ("6.8.0-45-generic") may go
 * on after it; with exact, nothing may follow (a condition's value).
 * Returns false when text does not start with MAJOR.MINOR.
 */
bool kernel_version_parse(const char *text, bool exact,
			  struct kernel_version *out);
/*
 * Compare a host's version with a wanted one on as many components as
 * the wanted one gives (6.7.5 against 6.7 is equal): <0, 0 or >0.
 */
int kernel_version_cmp(const struct kernel_version *host,
		       const struct kernel_version *want);

#endif
