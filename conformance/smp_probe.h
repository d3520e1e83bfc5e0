/*
 * The smp probe family (docs/probes/smp.md): shared by its files. Every
 * check is reported through smp_eq()/smp_check(), which turn it into a
 * skip with smp_skip's reason on a target with one CPU, so each
 * declared check is reported on every path.
 */
#ifndef CONFORMANCE_SMP_PROBE_H
#define CONFORMANCE_SMP_PROBE_H

#include "report.h"
#include "smp.h"

/* Why nothing runs (one CPU), or NULL. */
extern const char *smp_skip;
/* The AP the checks use. */
#define AP 1

bool smp_eq(const char *id, u64 expected, u64 seen);
bool smp_check(const char *id, bool pass, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define SMP_EQ(id, desc, expected, seen)                                       \
	smp_eq(DECLARE_CHECK(id, desc), (u64)(expected), (u64)(seen))
#define SMP_CHECK(id, desc, cond, ...)                                         \
	smp_check(DECLARE_CHECK(id, desc), (cond), __VA_ARGS__)

/* Waits, with the BSP's interrupts on, until *p == v (bounded). */
bool smp_wait_for(const volatile u32 *p, u32 v);

void smp_start_checks(void);
void smp_ipi_checks(void);
void smp_nmi_checks(void);
void smp_tlb_checks(void);
void smp_xmc_checks(void);
void smp_lock_checks(void);
void smp_order_checks(void);

#endif
