#include "smp_probe.h"
void smp_ipi_checks(void) {}
void smp_nmi_checks(void) {}
void smp_tlb_checks(void) {}
void smp_xmc_checks(void) {}
void smp_lock_checks(void) {}
void smp_order_checks(void) {}
