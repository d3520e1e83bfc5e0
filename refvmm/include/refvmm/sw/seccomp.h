/*
 * Containment for what can be contained (docs/refvmm.md):
 * a seccomp filter that allows the monitor only the system calls it
 * needs, and turns every system call made from guest linear space (the
 * i386 entry points int 0x80 / sysenter / compat syscall, or any call
 * whose instruction pointer is below 4 GiB) into SIGSYS: a guest event,
 * never a host call. A monitor call outside the allowlist is SIGSYS
 * too; the handler ends refvmm with one line naming the call.
 */
#ifndef REFVMM_SW_SECCOMP_H
#define REFVMM_SW_SECCOMP_H

#include <stddef.h>

/* Returns 0, or -errno with a reason in @err. */
int sw_seccomp__install(char *err, size_t errlen);

/* The one file descriptor above 2 the monitor may write to after the
 * filter is installed (--translation-log); call before installing. */
void sw_seccomp__allow_write_fd(int fd);

/*
 * The test hook (REFVMM_SECCOMP_PROBE=open|write3|tiocsti): makes one
 * call the filter forbids, as escaped code would, so a test sees the
 * wall stop it. Returns only if @what is unknown or the call went
 * through.
 */
void sw_seccomp__probe(const char *what);

#endif
