/*
 * Helpers the hand-written mmu probes (hidden.c, trace.c, smc.c,
 * global.c) share: an identity-mapped address space of their own, and
 * reads and writes that report the exception they raised instead of
 * dying. CPL 3 accesses end in UD2 (a #UD means "completed"), because on
 * some hosts the runtime's INT 0x7f way back from CPL 3 does not work
 * (docs/findings.md, kvm_pvm).
 */
#ifndef MMU_COMMON_H
#define MMU_COMMON_H

#include "fault.h"
#include "paging.h"
#include "report.h"
#include "x86.h"

#define MMU_ENV_BYTES (32ul << 20)
#define VA_BASE	      0x40000000ul /* test mappings live from here */

/* The paging mode names itself in every id: mmu.<group>.<mode>.<check>. */
#ifdef __x86_64__
#define MMU_MODE    PG_4LEVEL
#define MMU_MODE_ID "4l"
#elif defined(MMU_PAE)
#define MMU_MODE    PG_PAE
#define MMU_MODE_ID "pae"
#else
#define MMU_MODE    PG_2LEVEL
#define MMU_MODE_ID "2l"
#endif

struct mmu_acc {
	volatile u32 *p;
	u32 v;
};

static void mmu_do_read(void *a)
{
	struct mmu_acc *x = a;

	x->v = *x->p;
}

static void mmu_do_write(void *a)
{
	struct mmu_acc *x = a;

	*x->p = x->v;
}

static void mmu_do_user_read(void *a)
{
	struct mmu_acc *x = a;

	x->v = *x->p;
	asm volatile("ud2");
}

static void mmu_do_user_write(void *a)
{
	struct mmu_acc *x = a;

	*x->p = x->v;
	asm volatile("ud2");
}

/* Reads at CPL 0 (cpl 0) or 3; returns the vector (NO_FAULT if none),
 * the value in *v, the fault in *f. */
static inline int mmu_read(int cpl, ulong va, u32 *v, struct fault *f)
{
	struct mmu_acc x = {(volatile u32 *)va, 0xdeadbeef};
	int vec;

	if (cpl == 0) {
		vec = try_call(mmu_do_read, &x, f);
	} else {
		vec = run_at_cpl(3, mmu_do_user_read, &x, f);
		if (vec == UD_VECTOR)
			vec = f->vector = NO_FAULT;
	}
	*v = x.v;
	return vec;
}

static inline int mmu_write(int cpl, ulong va, u32 v, struct fault *f)
{
	struct mmu_acc x = {(volatile u32 *)va, v};
	int vec;

	if (cpl == 0)
		return try_call(mmu_do_write, &x, f);
	vec = run_at_cpl(3, mmu_do_user_write, &x, f);
	if (vec == UD_VECTOR)
		vec = f->vector = NO_FAULT;
	return vec;
}

/* vector << 32 | error code, for report_eq. */
static inline u64 mmu_vec_err(const struct fault *f)
{
	return ((u64)(u32)f->vector << 32) | (f->has_error ? f->error : 0);
}
#define PF_ERR(e)    (((u64)PF_VECTOR << 32) | (e))
#define NO_FAULT_ERR ((u64)(u32)NO_FAULT << 32)

/* Builds and enables an identity map of the first 32 MiB (user, RW). */
static inline void mmu_env_init(struct pgtable *pt)
{
	pg_identity(pt, MMU_MODE, MMU_ENV_BYTES, PT_RW | PT_US);
	pg_enable(pt);
}

/* A page with a marker in every word. */
static inline u32 *mmu_frame(u32 marker)
{
	u32 *p = alloc_page();

	for (unsigned i = 0; i < PAGE_SIZE / 4; i++)
		p[i] = marker;
	return p;
}

#endif
