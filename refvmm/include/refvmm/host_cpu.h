/*
 * The host CPU, read once. refvmm executes CPUID in exactly one place,
 * host_cpu__read(), before any host trap (CPUID faulting) is enabled:
 * afterwards every question about the host is answered from this table.
 * A test checks the binary for any other CPUID instruction.
 */
#ifndef REFVMM_HOST_CPU_H
#define REFVMM_HOST_CPU_H

#include "cpuid.h"

enum cpu_vendor { VENDOR_OTHER, VENDOR_INTEL, VENDOR_AMD };

struct host_cpu {
	struct cpuid_table t;
	char vendor_name[13];
	enum cpu_vendor vendor;
	u32 max_basic, max_ext;
	u8 maxphyaddr;	/* CPUID.80000008H:EAX[7:0], or 36 */
	bool osxsave;	/* the host kernel enabled XSAVE (CR4.OSXSAVE) */
	u32 xsave_size; /* XSAVE area for the host's XCR0, 512 with FXSAVE */
	u32 xsave_max_size; /* for every component the CPU supports */
	bool xsaveopt;	    /* XSAVEOPT (CPUID.(EAX=0DH,ECX=1):EAX[0]) */
	bool xinuse; /* XGETBV with ECX 1 (CPUID.(EAX=0DH,ECX=1):EAX[2]) */
	bool ospke;  /* RDPKRU/WRPKRU enabled (CPUID.(EAX=7,ECX=0):ECX[4]) */
};

/* Executes CPUID over every leaf and subleaf the host reports. */
void host_cpu__read(struct host_cpu *h);
/* Fills the derived fields from h->t (read or parsed). */
void host_cpu__derive(struct host_cpu *h);
/* Builds @h from a dump (cpuid_table__parse's format). */
int host_cpu__parse(struct host_cpu *h, const char *text, char *err,
		    size_t errlen);
/* The process's host CPU: read on first use, which refvmm's main makes
 * before anything else. */
const struct host_cpu *host_cpu__get(void);

#endif
