/*
 * Host identity from /proc/cpuinfo and /sys/module. The host class is
 * deliberately coarse (vendor, family, model, KVM backend, and the CPU
 * emulator when popek runs in a guest of one): results from hosts in one
 * class are expected to agree, so the report can merge them.
 */
#include "hostinfo.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

static void set_flags(struct hostinfo *h, const char *flags)
{
	char *copy = xstrdup(flags ? flags : ""), *tok, *save = NULL;
	size_t cap = 0;

	for (tok = strtok_r(copy, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		VEC_GROW(h->flags, h->nflags, cap);
		h->flags[h->nflags++] = xstrdup(tok);
	}
	free(copy);
}

static void set_class(struct hostinfo *h)
{
	/*
	 * kvm_amd on a CPU without nested paging shadows its guests' page
	 * tables: the first hardware VMMs, whose exits and results differ
	 * (a CPU model with -npt in QEMU). Intel's EPT is left out: newer
	 * kernels list it apart from the flags ("vmx flags").
	 */
	const char *paging = strcmp(h->backend, "kvm_amd") == 0 &&
					     !hostinfo_has_flag(h, "npt")
				     ? "-shadow"
				     : "";

	free(h->host_class);
	/*
	 * An emulated CPU of some model is not that model: results from a
	 * TCG guest must not merge with a real host's of the same class.
	 */
	if (h->emulator)
		h->host_class =
			xasprintf("%s-%d-%d/%s%s@%s", h->vendor, h->family,
				  h->model, h->backend, paging, h->emulator);
	else
		h->host_class = xasprintf("%s-%d-%d/%s%s", h->vendor, h->family,
					  h->model, h->backend, paging);
}

void hostinfo_set(struct hostinfo *h, const char *vendor,
		  const char *model_name, int family, int model,
		  const char *flags, const char *backend)
{
	memset(h, 0, sizeof(*h));
	h->vendor = xstrdup(vendor && *vendor ? vendor : "unknown");
	h->model_name = xstrdup(model_name ? model_name : "");
	h->family = family;
	h->model = model;
	set_flags(h, flags);
	h->backend = xstrdup(backend ? backend : "none");
	h->kernel = xstrdup("");
	h->hostname = xstrdup("localhost");
	set_class(h);
}

void hostinfo_set_kernel(struct hostinfo *h, const char *release)
{
	free(h->kernel);
	h->kernel = xstrdup(release ? release : "");
}

/* Value of "key<tabs>: value" if line holds key, else NULL. */
static char *cpuinfo_value(char *line, const char *key)
{
	size_t n = strlen(key);
	char *colon;

	if (strncmp(line, key, n) != 0 ||
	    (line[n] != ' ' && line[n] != '\t' && line[n] != ':'))
		return NULL;
	colon = strchr(line + n, ':');
	return colon ? str_trim(colon + 1) : NULL;
}

void hostinfo_parse_cpuinfo(struct hostinfo *h, const char *cpuinfo,
			    const char *backend)
{
	char *text = xstrdup(cpuinfo), *line, *save = NULL, *v;
	char *vendor = NULL, *model_name = NULL, *flags = NULL;
	int family = -1, model = -1;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		/* One block is enough: hosts we test have uniform CPUs. */
		if (cpuinfo_value(line, "processor") && vendor)
			break;
		if ((v = cpuinfo_value(line, "vendor_id")))
			vendor = v;
		else if ((v = cpuinfo_value(line, "model name")))
			model_name = v;
		else if ((v = cpuinfo_value(line, "cpu family")))
			family = atoi(v);
		else if ((v = cpuinfo_value(line, "model")))
			model = atoi(v);
		else if ((v = cpuinfo_value(line, "flags")))
			flags = v;
	}
	hostinfo_set(h, vendor, model_name, family, model, flags, backend);
	free(text);
}

const char *hostinfo_emulator(const char signature[12])
{
	/* QEMU's TCG answers leaf 0x40000000 with this signature. */
	if (memcmp(signature, "TCGTCGTCGTCG", 12) == 0)
		return "qemu-tcg";
	return NULL;
}

void hostinfo_set_emulator(struct hostinfo *h, const char *emulator)
{
	free(h->emulator);
	h->emulator = emulator ? xstrdup(emulator) : NULL;
	set_class(h);
}

/*
 * The hypervisor leaves (0x40000000 up) are reserved for software only
 * when CPUID.1:ECX bit 31 is set (SDM Vol. 2A, CPUID, "Hypervisor"):
 * /proc/cpuinfo's "hypervisor" flag.
 */
static void probe_emulator(struct hostinfo *h)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned int a, b, c, d;
	char sig[12];

	if (!hostinfo_has_flag(h, "hypervisor"))
		return;
	__cpuid(0x40000000, a, b, c, d);
	(void)a;
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	hostinfo_set_emulator(h, hostinfo_emulator(sig));
#else
	(void)h;
#endif
}

const char *hostinfo_kvm_backend(const char *sysmodule)
{
	static const char *const backends[] = {"kvm_intel", "kvm_amd",
					       "kvm_pvm"};
	char path[4096];
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", sysmodule, backends[i]);
		if (stat(path, &st) == 0)
			return backends[i];
	}
	return "none";
}

int hostinfo_probe(struct hostinfo *h, struct perr *e)
{
	struct utsname u;
	char name[256];
	char *text;

	text = read_whole_file("/proc/cpuinfo", NULL, e);
	if (!text)
		return -1;
	hostinfo_parse_cpuinfo(h, text, hostinfo_kvm_backend("/sys/module"));
	free(text);
	probe_emulator(h);
	if (gethostname(name, sizeof(name)) == 0) {
		name[sizeof(name) - 1] = '\0';
		free(h->hostname);
		h->hostname = xstrdup(name);
	}
	if (uname(&u) == 0)
		hostinfo_set_kernel(h, u.release);
	return 0;
}

bool hostinfo_has_flag(const struct hostinfo *h, const char *flag)
{
	size_t i;

	for (i = 0; i < h->nflags; i++)
		if (strcmp(h->flags[i], flag) == 0)
			return true;
	return false;
}

void hostinfo_free(struct hostinfo *h)
{
	size_t i;

	for (i = 0; i < h->nflags; i++)
		free(h->flags[i]);
	free(h->flags);
	free(h->vendor);
	free(h->model_name);
	free(h->backend);
	free(h->emulator);
	free(h->kernel);
	free(h->host_class);
	free(h->hostname);
	memset(h, 0, sizeof(*h));
}

/* Components beyond this are not version numbers but typos. */
#define KERNEL_COMPONENT_MAX 100000ul

bool kernel_version_parse(const char *text, bool exact,
			  struct kernel_version *out)
{
	const char *p = text;
	char *end;

	memset(out, 0, sizeof(*out));
	while (out->n < 3) {
		if (!isdigit((unsigned char)*p))
			break;
		errno = 0;
		out->v[out->n] = strtoul(p, &end, 10);
		if (errno || out->v[out->n] >= KERNEL_COMPONENT_MAX)
			return false;
		out->n++;
		p = end;
		if (*p != '.' || !isdigit((unsigned char)p[1]))
			break;
		p++;
	}
	if (out->n < 2)
		return false;
	return !exact || *p == '\0';
}

int kernel_version_cmp(const struct kernel_version *host,
		       const struct kernel_version *want)
{
	int i;

	for (i = 0; i < want->n; i++) {
		if (host->v[i] != want->v[i])
			return host->v[i] < want->v[i] ? -1 : 1;
	}
	return 0;
}
