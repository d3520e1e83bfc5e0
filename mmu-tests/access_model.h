/*
 * The access-rule oracle: a small model of the SDM's paging rules
 * (Vol. 3A 4.6 access rights, 4.7 page-fault error code, 4.8 accessed and
 * dirty flags) for 2-level, PAE and 4-level paging with CR0.WP, CR4.PSE,
 * CR4.SMEP, CR4.SMAP, EFLAGS.AC and EFER.NXE.
 *
 * Written once, compiled into the mmu-access-* guest images (which compare
 * the CPU against it) and into a host unit test (which checks it against
 * hand-worked SDM examples). Never linked into refvmm: the monitor must
 * not share its oracle.
 *
 * Freestanding: only <stdint.h> and <stdbool.h>.
 */
#ifndef MMU_ACCESS_MODEL_H
#define MMU_ACCESS_MODEL_H

#include <stdbool.h>
#include <stdint.h>

enum mmu_mode { MMU_2L, MMU_PAE, MMU_4L };

enum mmu_access {
	MMU_READ,
	MMU_WRITE,
	MMU_FETCH,
	MMU_RW, /* a read, then a write to the same address */
};

/* Entry bits (the same positions at every level and mode). */
#define MMU_P	(1ull << 0)
#define MMU_RW_ (1ull << 1)
#define MMU_US	(1ull << 2)
#define MMU_A	(1ull << 5)
#define MMU_D	(1ull << 6)
#define MMU_PS	(1ull << 7)
#define MMU_NX	(1ull << 63)

/* #PF error code (SDM Vol. 3A 4.7). */
#define MMU_PF_P    (1u << 0)
#define MMU_PF_W    (1u << 1)
#define MMU_PF_U    (1u << 2)
#define MMU_PF_RSVD (1u << 3)
#define MMU_PF_I    (1u << 4)

struct mmu_case {
	uint8_t mode;	/* enum mmu_mode */
	uint8_t cpl;	/* 0 (supervisor) or 3 (user) */
	uint8_t access; /* enum mmu_access */
	uint8_t wp, pse, nxe, smep, smap, ac;
	uint8_t maxphy; /* MAXPHYADDR (CPUID 0x80000008 EAX[7:0]) */
	/* e[l] is the entry at level l as written (1 = PTE, 2 = PDE,
	 * 3 = PDPTE, 4 = PML4E); levels below a large page are unused. */
	uint64_t e[5];
};

struct mmu_result {
	bool fault;
	uint32_t error;	  /* #PF error code when fault */
	bool fault_write; /* MMU_RW: the fault came from the write */
	/* entries afterwards: bits in `may` may be either value, the rest
	 * must equal `after` */
	uint64_t after[5];
	uint64_t may[5];
	int leaf; /* level of the entry that maps the page (0: none) */
};

/* Number of levels of a mode: 2, 3 or 4. */
int mmu_levels(enum mmu_mode m);
/* Bits of entry at level l that are reserved (must be 0) under c. */
uint64_t mmu_reserved(const struct mmu_case *c, int level, uint64_t entry);
void mmu_model(const struct mmu_case *c, struct mmu_result *r);
/* Whether the entries after an access (seen) agree with the result. */
bool mmu_ad_ok(const struct mmu_case *c, const struct mmu_result *r,
	       const uint64_t seen[5]);

#endif
