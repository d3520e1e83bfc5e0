/*
 * The access oracle (access_model.c) against hand-worked examples from the
 * SDM (Vol. 3A 4.6 access rights, 4.7 #PF error code, 4.8 A/D flags), and
 * proof that a wrong rule is visible: the model with CR0.WP ignored
 * (mutant_model.c) disagrees with the right one on exactly the cases the
 * rule decides.
 */
#include <criterion/criterion.h>

#include "access_model.h"

void mutant_model(const struct mmu_case *c, struct mmu_result *r);

#define FULL (MMU_P | MMU_RW_ | MMU_US)

static struct mmu_case open4(int cpl, int access)
{
	struct mmu_case c = {.mode = MMU_4L,
			     .cpl = cpl,
			     .access = access,
			     .wp = 1,
			     .nxe = 1,
			     .maxphy = 46};

	for (int l = 1; l <= 4; l++)
		c.e[l] = FULL;
	return c;
}

static struct mmu_result run(const struct mmu_case *c)
{
	struct mmu_result r;

	mmu_model(c, &r);
	return r;
}

Test(model, user_read_open_sets_a_everywhere)
{
	struct mmu_case c = open4(3, MMU_READ);
	struct mmu_result r = run(&c);

	cr_assert(!r.fault);
	for (int l = 1; l <= 4; l++) {
		cr_assert_eq(r.after[l], FULL | MMU_A, "level %d", l);
		cr_assert_eq(r.may[l], 0);
	}
}

Test(model, write_sets_d_in_leaf_only)
{
	struct mmu_case c = open4(0, MMU_WRITE);
	struct mmu_result r = run(&c);

	cr_assert(!r.fault);
	cr_assert_eq(r.after[1], FULL | MMU_A | MMU_D);
	cr_assert_eq(r.after[2], FULL | MMU_A);
}

/* 4.6.1: user write needs R/W=1 at every level: 0x7 = P|W|U. */
Test(model, user_write_readonly_pde)
{
	struct mmu_case c = open4(3, MMU_WRITE);

	c.e[2] &= ~MMU_RW_;
	struct mmu_result r = run(&c);
	cr_assert(r.fault);
	cr_assert_eq(r.error, 0x7);
	cr_assert_eq(r.after[1], FULL, "D not set by a faulting write");
	cr_assert_eq(r.may[1], MMU_A, "A open on a faulting access");
}

/* 4.6.1: supervisor write to a read-only page: allowed with WP=0 (and D
 * is set), #PF P|W with WP=1. */
Test(model, supervisor_write_wp)
{
	struct mmu_case c = open4(0, MMU_WRITE);

	c.e[1] &= ~MMU_RW_;
	c.wp = 0;
	struct mmu_result r = run(&c);
	cr_assert(!r.fault);
	cr_assert(r.after[1] & MMU_D);
	c.wp = 1;
	r = run(&c);
	cr_assert(r.fault);
	cr_assert_eq(r.error, 0x3);
}

/* 4.7: a not-present PTE on a user fetch with NXE=1: U|I/D = 0x14; the
 * P flag is 0 whatever the rights. */
Test(model, not_present_user_fetch)
{
	struct mmu_case c = open4(3, MMU_FETCH);

	c.e[1] = 0;
	struct mmu_result r = run(&c);
	cr_assert(r.fault);
	cr_assert_eq(r.error, 0x14);
	cr_assert_eq(r.may[4], MMU_A);
	cr_assert_eq(r.may[1], 0);
}

/* 4.7: I/D is 0 in 2-level paging without SMEP, 1 with SMEP. */
Test(model, two_level_fetch_id_bit)
{
	struct mmu_case c = {.mode = MMU_2L,
			     .cpl = 0,
			     .access = MMU_FETCH,
			     .e = {0, 0, FULL}};
	struct mmu_result r = run(&c);

	cr_assert_eq(r.error, 0x0);
	c.smep = 1;
	r = run(&c);
	cr_assert_eq(r.error, 0x10);
}

/* 4.5, 4.7: XD=1 with NXE=0 is a reserved bit: P|RSVD = 0x9. */
Test(model, xd_without_nxe_is_reserved)
{
	struct mmu_case c = open4(0, MMU_READ);

	c.nxe = 0;
	c.e[3] |= MMU_NX;
	struct mmu_result r = run(&c);
	cr_assert(r.fault);
	cr_assert_eq(r.error, 0x9);
	cr_assert_eq(r.may[4], MMU_A);
	cr_assert_eq(r.may[3], 0, "the faulting entry is not used");
}

/* 4.6.1: XD in any level forbids fetches; user: 0x15 = P|U|I/D. */
Test(model, xd_upper_level)
{
	struct mmu_case c = open4(3, MMU_FETCH);

	c.e[4] |= MMU_NX;
	struct mmu_result r = run(&c);
	cr_assert(r.fault);
	cr_assert_eq(r.error, 0x15);
}

/* 4.6.1: SMAP: supervisor read of a user page faults unless AC=1. */
Test(model, smap_ac)
{
	struct mmu_case c = open4(0, MMU_READ);

	c.smap = 1;
	struct mmu_result r = run(&c);
	cr_assert(r.fault);
	cr_assert_eq(r.error, 0x1);
	c.ac = 1;
	r = run(&c);
	cr_assert(!r.fault);
	/* a supervisor page is not affected */
	c.ac = 0;
	c.e[1] &= ~MMU_US;
	r = run(&c);
	cr_assert(!r.fault);
}

/* 4.6.1: SMEP: supervisor fetch from a user page: P|I/D = 0x11. */
Test(model, smep_fetch)
{
	struct mmu_case c = open4(0, MMU_FETCH);

	c.smep = 1;
	struct mmu_result r = run(&c);
	cr_assert(r.fault);
	cr_assert_eq(r.error, 0x11);
}

/* Read before write: the read sets A everywhere, then the write faults
 * (P|W|U) and A stays set. */
Test(model, read_then_write)
{
	struct mmu_case c = open4(3, MMU_RW);

	c.e[1] &= ~MMU_RW_;
	struct mmu_result r = run(&c);
	cr_assert(r.fault);
	cr_assert(r.fault_write);
	cr_assert_eq(r.error, 0x7);
	cr_assert_eq(r.after[1], (FULL & ~MMU_RW_) | MMU_A);
	cr_assert_eq(r.may[1], 0);
}

/* 4.3: a 4 MiB page with CR4.PSE; bit 21 is reserved in its PDE. */
Test(model, two_level_large)
{
	struct mmu_case c = {.mode = MMU_2L,
			     .cpl = 3,
			     .access = MMU_WRITE,
			     .pse = 1,
			     .wp = 1,
			     .e = {0, 0, FULL | MMU_PS}};
	struct mmu_result r = run(&c);

	cr_assert(!r.fault);
	cr_assert_eq(r.leaf, 2);
	cr_assert_eq(r.after[2], FULL | MMU_PS | MMU_A | MMU_D);
	c.e[2] |= 1u << 21;
	r = run(&c);
	cr_assert_eq(r.error, 0xf);
}

/* 4.4.1: PAE PDPTEs carry no rights and get no A flag. */
Test(model, pae_pdpte)
{
	struct mmu_case c = {.mode = MMU_PAE,
			     .cpl = 3,
			     .access = MMU_READ,
			     .maxphy = 36,
			     .e = {0, FULL, FULL, MMU_P}};
	struct mmu_result r = run(&c);

	cr_assert(!r.fault);
	cr_assert_eq(r.after[3], MMU_P);
	/* bit 51 is reserved with MAXPHYADDR 36 */
	c.e[1] |= 1ull << 51;
	r = run(&c);
	cr_assert_eq(r.error, 0xd);
}

/* The mutant disagrees with the model exactly where CR0.WP decides:
 * supervisor writes to read-only pages with WP=1. */
Test(mutant, differs_only_where_wp_decides)
{
	unsigned differ = 0, total = 0;

	for (unsigned bits = 0; bits < (1u << 12); bits++)
		for (int acc = 0; acc < 4; acc++)
			for (int cpl = 0; cpl <= 3; cpl += 3) {
				struct mmu_case c = open4(cpl, acc);
				struct mmu_result a, b;
				bool ro = false, sup_user = false;

				for (int l = 1; l <= 4; l++) {
					unsigned v = bits >> (3 * (l - 1));
					c.e[l] = MMU_P | (v & 1 ? MMU_RW_ : 0) |
						 (v & 2 ? MMU_US : 0) |
						 (v & 4 ? MMU_NX : 0);
					ro |= !(v & 1);
				}
				(void)sup_user;
				mmu_model(&c, &a);
				mutant_model(&c, &b);
				total++;
				bool same = a.fault == b.fault &&
					    a.error == b.error;
				if (!same) {
					differ++;
					cr_assert(cpl == 0 && ro &&
						  (acc == MMU_WRITE ||
						   acc == MMU_RW));
				}
			}
	cr_assert_gt(differ, 0, "the mutation must be visible");
	cr_log_info("%u of %u cases differ", differ, total);
}
