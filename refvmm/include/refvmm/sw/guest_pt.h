/*
 * The guest's page tables as the software monitor reads them: a walk of
 * 2-level (CR4.PAE = 0, with CR4.PSE 4 MiB pages) and PAE paging that
 * decides an access the way the CPU would (SDM Vol. 3A 4.3, 4.4 formats;
 * 4.6 access rights; 4.7 #PF error code; 4.8 accessed and dirty flags).
 *
 * It is the monitor's own reading of the SDM, written apart from the
 * mmu-tests oracle that checks it. Pure: guest-physical memory is a
 * byte array; unit tested in tests/test_shadow.c.
 */
#ifndef REFVMM_SW_GUEST_PT_H
#define REFVMM_SW_GUEST_PT_H

#include "refvmm/types.h"
#include "refvmm/x86_regs.h"

#define GPT_P  (1ull << 0)
#define GPT_RW (1ull << 1)
#define GPT_US (1ull << 2)
#define GPT_A  (1ull << 5)
#define GPT_D  (1ull << 6)
#define GPT_PS (1ull << 7)
#define GPT_XD (1ull << 63)

#define PF_P	(1u << 0)
#define PF_W	(1u << 1)
#define PF_U	(1u << 2)
#define PF_RSVD (1u << 3)
#define PF_I	(1u << 4)

/* The control state a walk depends on. */
struct gpt_ctl {
	u32 cr0, cr3, cr4;
	u64 efer;
	u8 maxphy; /* MAXPHYADDR (CPUID 0x80000008 EAX[7:0]) */
};

enum gpt_kind { GPT_READ, GPT_WRITE, GPT_FETCH };

struct gpt_access {
	enum gpt_kind kind;
	bool user;     /* CPL 3 and not an implicit supervisor access */
	bool ac;       /* EFLAGS.AC, for SMAP */
	bool implicit; /* descriptor tables, TSS: supervisor, SMAP-strict */
};

struct gpt_walk {
	bool fault;
	u32 error; /* the #PF error code when fault */
	u64 phys;  /* the byte's guest-physical address */
	/* Rights over every level, for the shadow's protections. */
	bool rw, us, xd;
	bool dirty; /* leaf D after the walk */
	bool large;
	int n;	      /* entries used, top first */
	u64 entry[3]; /* their guest-physical addresses */
	u64 table[3]; /* the page-table pages they sit in */
};

/* Whether paging is on in the PAE format. */
static inline bool gpt_pae(const struct gpt_ctl *ctl)
{
	return ctl->cr4 & CR4_PAE;
}

/*
 * Walks @lin for @acc. With @set_ad, a successful access sets A in every
 * entry used and D in the leaf for a write, in @ram (4.8). A table outside
 * guest RAM reads as zeros (not present). Returns !w->fault.
 */
bool gpt_walk(const struct gpt_ctl *ctl, u8 *ram, u64 ram_size, u32 lin,
	      const struct gpt_access *acc, bool set_ad, struct gpt_walk *w);

/* Whether the rights in @w allow @acc (4.6), and the fault's error code. */
bool gpt_allows(const struct gpt_ctl *ctl, const struct gpt_walk *w,
		const struct gpt_access *acc, u32 *error);

#endif
