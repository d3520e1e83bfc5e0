/*
 * The one output convention of the Linux guest workloads: a monotonic
 * clock, the iteration count from argv, and the single result line the
 * runner parses (docs/linux-guest.md).
 */
#ifndef POPEK_LINUX_RESULT_H
#define POPEK_LINUX_RESULT_H

#include <stdint.h>

uint64_t result__now_ns(void);
/* argv[1] as a count in 1..1e9, or fallback when absent; exits 2 if bad. */
unsigned long result__iterations(int argc, char **argv, const char *name,
				 unsigned long fallback);
void result__print(const char *name, unsigned long iterations, uint64_t ns);
/* Prints "popek-guest: error name=<name> <why>" and exits 1. */
void result__fail(const char *name, const char *why) __attribute__((noreturn));

#endif
