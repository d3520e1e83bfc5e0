/*
 * The access-rule oracle (access_model.h). Each rule cites the SDM
 * (Intel SDM Vol. 3A, chapter 4) section it comes from.
 *
 * MMU_MODEL_MUTATE selects a deliberately wrong rule, so the suite can be
 * shown to catch a wrong expectation (mmu-tests/CMakeLists.txt builds a
 * mutant image and a test that expects the runner to report failures):
 *   1  CR0.WP ignored: supervisor writes to read-only pages never fault
 */
#include "access_model.h"

#ifndef MMU_MODEL_MUTATE
#define MMU_MODEL_MUTATE 0
#endif

int mmu_levels(enum mmu_mode m)
{
	return m == MMU_2L ? 2 : m == MMU_PAE ? 3 : 4;
}

static bool is_large(const struct mmu_case *c, int level, uint64_t e)
{
	/* 4.3: a 2-level PDE maps a 4 MiB page when CR4.PSE = 1 and PS = 1;
	 * 4.4.2/4.5: a PAE or 4-level PDE maps 2 MiB with PS = 1 (PDPTE
	 * 1 GiB pages are not modelled). */
	if (level != 2 || !(e & MMU_PS))
		return false;
	return c->mode != MMU_2L || c->pse;
}

uint64_t mmu_reserved(const struct mmu_case *c, int level, uint64_t e)
{
	uint64_t rsvd = 0;

	if (c->mode == MMU_2L) {
		/* 4.3, Table 4-4: a 4 MiB PDE reserves bit 21 (bits 20:13
		 * hold physical address bits 39:32 at most). 4 KiB entries
		 * have no reserved bits. */
		if (is_large(c, level, e))
			rsvd |= 1ull << 21;
		return rsvd;
	}
	/* 4.4.2, 4.5: bits 51:MAXPHYADDR reserved in every entry; bits
	 * 62:52 too with PAE paging (ignored with 4-level paging). */
	for (int b = c->maxphy; b < 52; b++)
		rsvd |= 1ull << b;
	if (c->mode == MMU_PAE)
		rsvd |= 0x7ffull << 52;
	/* XD (bit 63) is reserved when IA32_EFER.NXE = 0. */
	if (!c->nxe)
		rsvd |= MMU_NX;
	/* A 2 MiB PDE reserves bits 20:13 (bit 12 is PAT). */
	if (is_large(c, level, e))
		rsvd |= 0xffull << 13;
	/* 4.5: PS is reserved in a PML4E. */
	if (c->mode == MMU_4L && level == 4)
		rsvd |= MMU_PS;
	/* 4.4.1: a PAE PDPTE has no R/W, U/S, A, D, PS, XD; its loading is
	 * not modelled (the probes keep these bits 0). */
	return rsvd;
}

static uint32_t error_bits(const struct mmu_case *c, bool write, bool fetch)
{
	uint32_t err = 0;

	/* 4.7: W/R and U/S describe the access, not the rights. */
	if (write)
		err |= MMU_PF_W;
	if (c->cpl == 3)
		err |= MMU_PF_U;
	/* 4.7: I/D = 1 for a fetch when CR4.SMEP = 1, or when PAE/4-level
	 * paging is used with IA32_EFER.NXE = 1. */
	if (fetch && (c->smep || (c->mode != MMU_2L && c->nxe)))
		err |= MMU_PF_I;
	return err;
}

/*
 * One access (read, write or fetch): walks the entries in r->after (so a
 * second access sees the first one's A/D updates) and fills the fault
 * fields. Returns true if it faulted.
 */
static bool one_access(const struct mmu_case *c, struct mmu_result *r,
		       bool write, bool fetch)
{
	int top = mmu_levels(c->mode), leaf = 0;
	bool rw = true, us = true, xd = false;
	uint32_t err = error_bits(c, write, fetch);

	for (int l = top; l >= 1; l--) {
		uint64_t e = r->after[l];
		bool pdpte = c->mode == MMU_PAE && l == 3;

		/* 4.7: P = 0 in any entry used: not-present fault. */
		if (!(e & MMU_P)) {
			r->fault = true;
			r->error = err;
			for (int u = top; u > l; u--)
				if (!(c->mode == MMU_PAE && u == 3))
					r->may[u] |= MMU_A & ~r->after[u];
			return true;
		}
		/* 4.7: a reserved bit set: P = 1, RSVD = 1. */
		if (e & mmu_reserved(c, l, e)) {
			r->fault = true;
			r->error = err | MMU_PF_P | MMU_PF_RSVD;
			for (int u = top; u > l; u--)
				if (!(c->mode == MMU_PAE && u == 3))
					r->may[u] |= MMU_A & ~r->after[u];
			return true;
		}
		/* 4.6: rights combine over every level; PAE PDPTEs carry
		 * none (4.4.1). */
		if (!pdpte) {
			rw = rw && (e & MMU_RW_);
			us = us && (e & MMU_US);
			xd = xd || (c->nxe && (e & MMU_NX));
		}
		if (l == 1 || is_large(c, l, e)) {
			leaf = l;
			break;
		}
	}
	r->leaf = leaf;

	/* 4.6.1: access rights. */
	bool ok;
	bool wp = MMU_MODEL_MUTATE == 1 ? false : c->wp;
	if (c->cpl == 3) {
		if (fetch)
			ok = us && !xd;
		else
			ok = us && (!write || rw);
	} else if (fetch) {
		/* supervisor fetch: SMEP forbids user pages; XD forbids. */
		ok = !xd && !(us && c->smep);
	} else {
		/* supervisor data: SMAP forbids user pages unless AC = 1
		 * (explicit accesses); WP = 1 forbids read-only writes. */
		ok = !(us && c->smap && !c->ac) && (!write || rw || !wp);
	}
	if (!ok) {
		r->fault = true;
		r->error = err | MMU_PF_P;
		/* 4.8 does not say whether A is set when the access faults
		 * after a complete walk: accept either, at every level. */
		for (int u = top; u >= leaf; u--)
			if (!(c->mode == MMU_PAE && u == 3))
				r->may[u] |= MMU_A & ~r->after[u];
		return true;
	}
	/* 4.8: A set in every entry used (not PAE PDPTEs, which have none);
	 * D set in the leaf on a write. */
	for (int u = top; u >= leaf; u--)
		if (!(c->mode == MMU_PAE && u == 3)) {
			r->after[u] |= MMU_A;
			r->may[u] &= ~MMU_A;
		}
	if (write)
		r->after[leaf] |= MMU_D;
	return false;
}

void mmu_model(const struct mmu_case *c, struct mmu_result *r)
{
	*r = (struct mmu_result){0};
	for (int l = 0; l < 5; l++)
		r->after[l] = c->e[l];
	switch (c->access) {
	case MMU_READ:
		one_access(c, r, false, false);
		break;
	case MMU_WRITE:
		one_access(c, r, true, false);
		break;
	case MMU_FETCH:
		one_access(c, r, false, true);
		break;
	case MMU_RW:
		if (!one_access(c, r, false, false) &&
		    one_access(c, r, true, false))
			r->fault_write = true;
		break;
	}
}

bool mmu_ad_ok(const struct mmu_case *c, const struct mmu_result *r,
	       const uint64_t seen[5])
{
	for (int l = 1; l <= mmu_levels(c->mode); l++)
		if ((seen[l] ^ r->after[l]) & ~r->may[l])
			return false;
	return true;
}
