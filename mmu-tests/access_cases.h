/*
 * The combination records gen_access writes for each mmu-access image:
 * one per check, with its literal id (width suffix included) and the case
 * the oracle (access_model.h) computes the expectation for. Entry values
 * hold flags only; the probe adds the table and frame addresses.
 */
#ifndef MMU_ACCESS_CASES_H
#define MMU_ACCESS_CASES_H

#include "access_model.h"

/* What a case needs from the CPU; without it the check is a skip. */
#define NEED_NX	    (1u << 0) /* EFER.NXE can be set */
#define NEED_RSVD51 (1u << 1) /* MAXPHYADDR < 52, so bit 51 is reserved */
#define NEED_SMEP   (1u << 2)
#define NEED_SMAP   (1u << 3)
#define NEED_PSE    (1u << 4)

struct access_record {
	const char *id;
	uint32_t need;
	struct mmu_case c;
};

extern const struct access_record access_records[];
extern const unsigned access_record_count;

#endif
