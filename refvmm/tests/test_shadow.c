/*
 * Shadow paging against a synthetic guest memory (a real memfd, real
 * mappings at the guest's linear addresses in this test process): the
 * guest walk's decision for every combination of P, R/W, U/S, CPL,
 * CR0.WP and access type (SDM Vol. 3A 4.6, 4.7), A/D updates (4.8),
 * hidden vs true faults, trace invalidation, CR3 switches, privilege
 * classes, the privilege split and eviction under a tiny budget.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host_access.h"
#include "refvmm/sw/guest_pt.h"
#include "refvmm/sw/shadow_class.h"
#include "refvmm/sw/shadow_desc.h"
#include "refvmm/sw/shadow_pt.h"

#define RAM_SIZE (8u << 20)
#define PD	 0x1000u
#define PT	 0x2000u
#define PT2	 0x3000u
#define LIN	 0x400000u /* PDE 1 -> PT */
#define DATA	 0x100000u /* PTE i maps DATA + i pages */

static int memfd;
static u8 *ram;
static struct shadow_pt sp;

static u32 *pde(u32 i)
{
	return (u32 *)(void *)(ram + PD) + i;
}

static u32 *pte(u32 i)
{
	return (u32 *)(void *)(ram + PT) + i;
}

static void setup_ram(void)
{
	memfd = guest_ram_create(RAM_SIZE, &ram);
	*pde(1) = PT | 7; /* P RW US */
	for (u32 i = 0; i < 16; i++)
		*pte(i) = (DATA + i * 4096) | 7;
	for (u32 i = 0; i < 16; i++)
		memset(ram + DATA + i * 4096, 0x40 + (int)i, 4096);
}

static struct gpt_ctl ctl2l(void)
{
	return (struct gpt_ctl){.cr0 = 0x80010011u, .cr3 = PD, .maxphy = 48};
}

static void setup_shadow(u32 budget)
{
	struct gpt_ctl c = ctl2l();

	setup_ram();
	cr_assert_eq(shadow__init(&sp, memfd, ram, RAM_SIZE, budget, true), 0,
		     "%s", sp.err);
	cr_assert_eq(shadow__set_ctl(&sp, &c, false), 0);
}

static void teardown(void)
{
	shadow__destroy(&sp);
}

/* Pages 0 to @n - 1 from LIN, each read at CPL 0: a hidden fault each. */
static void fault_in(u32 n)
{
	u32 err = 0;

	for (u32 i = 0; i < n; i++)
		cr_assert_eq(shadow__fault(&sp, LIN + i * 4096, 0, false, &err),
			     SPT_HIDDEN);
}

/* --- the walk: every combination --- */

Test(guest_pt, every_p_rw_us_cpl_wp_access_combination)
{
	int n = 0;

	setup_ram();
	for (int bits = 0; bits < 64 * 8; bits++) {
		bool pdp = bits & 1, pdrw = bits & 2, pdus = bits & 4;
		bool ptp = bits & 8, ptrw = bits & 16, ptus = bits & 32;
		bool user = bits & 64, wp = bits & 128, write = bits & 256;
		struct gpt_ctl c = ctl2l();
		struct gpt_access acc = {.kind = write ? GPT_WRITE : GPT_READ,
					 .user = user};
		struct gpt_walk w;
		bool expect_fault;
		u32 expect_err;

		if (!wp)
			c.cr0 &= ~CR0_WP;
		*pde(1) = PT | (pdp ? 1 : 0) | (pdrw ? 2 : 0) | (pdus ? 4 : 0);
		*pte(0) =
			DATA | (ptp ? 1 : 0) | (ptrw ? 2 : 0) | (ptus ? 4 : 0);
		/* SDM Vol. 3A 4.6.1 in words: user needs U/S everywhere
		 * and R/W everywhere to write; supervisor writes need R/W
		 * everywhere only when CR0.WP = 1. */
		if (!pdp || !ptp) {
			expect_fault = true;
			expect_err = (write ? 2 : 0) | (user ? 4 : 0);
		} else {
			bool us = pdus && ptus, rw = pdrw && ptrw;

			expect_fault = user ? !us || (write && !rw)
					    : write && wp && !rw;
			expect_err = 1 | (write ? 2 : 0) | (user ? 4 : 0);
		}
		gpt_walk(&c, ram, RAM_SIZE, LIN + 0x123, &acc, true, &w);
		cr_assert_eq(w.fault, expect_fault, "case 0x%x", bits);
		if (expect_fault)
			cr_assert_eq(w.error, expect_err, "case 0x%x", bits);
		else
			cr_assert_eq(w.phys, DATA + 0x123);
		/* 4.8: A only on success; D only for a write. */
		cr_assert_eq(!!(*pte(0) & GPT_A), !expect_fault && ptp,
			     "case 0x%x", bits);
		cr_assert_eq(!!(*pte(0) & GPT_D), !expect_fault && write,
			     "case 0x%x", bits);
		n++;
	}
	cr_assert_eq(n, 512);
}

Test(guest_pt, pse_4m_page_and_reserved_bit_21)
{
	struct gpt_ctl c = ctl2l();
	struct gpt_access rd = {.kind = GPT_READ};
	struct gpt_walk w;

	setup_ram();
	c.cr4 |= CR4_PSE;
	*pde(2) = 0x00400000u | GPT_PS | 3;
	cr_assert(gpt_walk(&c, ram, RAM_SIZE, 0x00812345u, &rd, true, &w));
	cr_assert_eq(w.phys, 0x00412345u);
	cr_assert(w.large);
	cr_assert_eq(w.n, 1);
	*pde(2) |= 1u << 21; /* Table 4-4: reserved in a 4 MiB PDE */
	cr_assert(!gpt_walk(&c, ram, RAM_SIZE, 0x00812345u, &rd, true, &w));
	cr_assert_eq(w.error, PF_P | PF_RSVD);
	/* Without CR4.PSE the PS bit is ignored: a page table at 4 MiB. */
	c.cr4 = 0;
	*pde(2) = 0x00400000u | GPT_PS | 3;
	*(u32 *)(void *)(ram + 0x400000 + 0x12 * 4) = 0x5000 | 3;
	cr_assert(gpt_walk(&c, ram, RAM_SIZE, 0x00812345u, &rd, true, &w));
	cr_assert_eq(w.phys, 0x5345u);
}

Test(guest_pt, pae_nx_and_fetch_error_code)
{
	struct gpt_ctl c = {.cr0 = 0x80010011u,
			    .cr3 = 0x6000,
			    .cr4 = CR4_PAE,
			    .efer = EFER_NXE,
			    .maxphy = 48};
	struct gpt_access fetch = {.kind = GPT_FETCH, .user = true};
	struct gpt_walk w;
	u64 *pdpt, *pd, *pt;

	setup_ram();
	pdpt = (u64 *)(void *)(ram + 0x6000);
	pd = (u64 *)(void *)(ram + 0x7000);
	pt = (u64 *)(void *)(ram + 0x8000);
	pdpt[0] = 0x7000 | 1;
	pd[0] = 0x8000 | 7;
	pt[5] = 0x9000 | 7 | GPT_XD;
	cr_assert(!gpt_walk(&c, ram, RAM_SIZE, 0x5010, &fetch, true, &w));
	/* 4.7: I/D set for a fetch with PAE and EFER.NXE = 1. */
	cr_assert_eq(w.error, PF_P | PF_U | PF_I);
	/* XD is reserved when NXE = 0. */
	c.efer = 0;
	cr_assert(!gpt_walk(&c, ram, RAM_SIZE, 0x5010, &fetch, true, &w));
	cr_assert_eq(w.error, PF_P | PF_U | PF_RSVD);
	pt[5] &= ~GPT_XD;
	cr_assert(gpt_walk(&c, ram, RAM_SIZE, 0x5010, &fetch, true, &w));
	cr_assert_eq(w.phys, 0x9010);
	/* PDPTEs have no A bit (4.4.1); the PDE and PTE get one. */
	cr_assert_eq(pdpt[0], 0x7000 | 1);
	cr_assert(pd[0] & GPT_A);
	cr_assert(pt[5] & GPT_A);
	cr_assert(!(pt[5] & GPT_D));
}

/* --- the shadow --- */

Test(shadow_pt, hidden_fault_maps_the_guest_page, .fini = teardown)
{
	u32 err = 0;
	int prot;

	setup_shadow(64);
	cr_assert(!host_can_access(LIN + 0x2000, false));
	cr_assert_eq(shadow__fault(&sp, LIN + 0x2000, 0, false, &err),
		     SPT_HIDDEN);
	cr_assert(shadow__mapped(&sp, LIN + 0x2000, &prot));
	/* The guest's page, at the guest's linear address. */
	cr_assert_eq(*(volatile u8 *)(uintptr_t)(LIN + 0x2000), 0x42);
	/* Read first: A set, D clear, so the page is read-only. */
	cr_assert(*pte(2) & GPT_A);
	cr_assert(!(*pte(2) & GPT_D));
	cr_assert_eq(prot, PROT_READ | PROT_EXEC);
	cr_assert(!host_can_access(LIN + 0x2000, true));
	/* The first write sets D and opens the page. */
	cr_assert_eq(shadow__fault(&sp, LIN + 0x2000, PF_W, false, &err),
		     SPT_HIDDEN);
	cr_assert(*pte(2) & GPT_D);
	cr_assert(host_can_access(LIN + 0x2000, true));
	cr_assert_eq(sp.st.hidden, 2);
	cr_assert_eq(sp.st.dirty_upgrades, 1);
	cr_assert_eq(sp.st.true_faults, 0);
}

Test(shadow_pt, true_fault_is_the_guests, .fini = teardown)
{
	u32 err = 0;

	setup_shadow(64);
	*pte(3) &= ~1u;
	cr_assert_eq(shadow__fault(&sp, LIN + 0x3004, PF_W, false, &err),
		     SPT_TRUE);
	cr_assert_eq(err, PF_W);
	cr_assert(!shadow__mapped(&sp, LIN + 0x3004, NULL));
	*pte(3) = (DATA + 0x3000) | 5; /* present, read-only, user */
	cr_assert_eq(shadow__set_user(&sp, true), 0);
	cr_assert_eq(shadow__fault(&sp, LIN + 0x3004, PF_W, false, &err),
		     SPT_TRUE);
	cr_assert_eq(err, PF_P | PF_W | PF_U);
	cr_assert_eq(sp.st.true_faults, 2);
	cr_assert_eq(sp.st.hidden, 0);
}

Test(shadow_pt, supervisor_pages_leave_with_cpl3, .fini = teardown)
{
	u32 err = 0;

	setup_shadow(64);
	*pte(4) = (DATA + 0x4000) | 3; /* supervisor only */
	cr_assert_eq(shadow__fault(&sp, LIN + 0x4000, 0, false, &err),
		     SPT_HIDDEN);
	cr_assert_eq(shadow__fault(&sp, LIN + 0x5000, 0, false, &err),
		     SPT_HIDDEN);
	cr_assert_eq(shadow__set_user(&sp, true), 0);
	cr_assert(!shadow__mapped(&sp, LIN + 0x4000, NULL));
	cr_assert(!host_can_access(LIN + 0x4000, false));
	cr_assert(shadow__mapped(&sp, LIN + 0x5000, NULL));
	cr_assert(host_can_access(LIN + 0x5000, false));
	cr_assert_eq(sp.st.priv_switches, 1);
	cr_assert_eq(sp.st.priv_range_calls, 1);
	/* Back at CPL 0 it comes back through a hidden fault. */
	cr_assert_eq(shadow__set_user(&sp, false), 0);
	cr_assert_eq(shadow__fault(&sp, LIN + 0x4000, 0, false, &err),
		     SPT_HIDDEN);
}

Test(shadow_pt, wp0_supervisor_write_to_read_only_page, .fini = teardown)
{
	struct gpt_ctl c = ctl2l();
	u32 err = 0;

	setup_shadow(64);
	c.cr0 &= ~CR0_WP;
	cr_assert_eq(shadow__set_ctl(&sp, &c, false), 0);
	*pte(6) = (DATA + 0x6000) | 5; /* read-only user page */
	cr_assert_eq(shadow__fault(&sp, LIN + 0x6000, PF_W, false, &err),
		     SPT_HIDDEN);
	cr_assert(host_can_access(LIN + 0x6000, true));
	/* The same page at CPL 3 is read-only again. */
	cr_assert_eq(shadow__set_user(&sp, true), 0);
	cr_assert(host_can_access(LIN + 0x6000, false));
	cr_assert(!host_can_access(LIN + 0x6000, true));
}

Test(shadow_pt, trace_write_refills_what_the_pte_mapped, .fini = teardown)
{
	u32 err = 0;

	setup_shadow(64);
	/* Alias the page table itself at LIN + 15 pages. */
	*pte(15) = PT | 7;
	cr_assert_eq(shadow__fault(&sp, LIN + 0x1000, PF_W, false, &err),
		     SPT_HIDDEN);
	cr_assert_eq(shadow__fault(&sp, LIN + 0xf000, 0, false, &err),
		     SPT_HIDDEN);
	/* The page-table page is traced: its alias is read-only. */
	cr_assert(!host_can_access(LIN + 0xf000, true));
	cr_assert_eq(shadow__fault(&sp, LIN + 0xf004, PF_W, false, &err),
		     SPT_TRACE);
	cr_assert_eq(sp.st.trace, 1);
	/* The guest instruction: remap PTE 1 to another page. */
	cr_assert_eq(shadow__trace_begin(&sp, LIN + 0xf004), 0);
	*(volatile u32 *)(uintptr_t)(LIN + 0xf004) = (DATA + 0x8000) | 7;
	cr_assert_eq(shadow__trace_end(&sp), 0);
	cr_assert(!host_can_access(LIN + 0xf000, true));
	/* Filled again from the new entry at once (test_shadow_eager.c). */
	cr_assert(shadow__mapped(&sp, LIN + 0x1000, NULL));
	cr_assert_eq(*(volatile u8 *)(uintptr_t)(LIN + 0x1000), 0x48);
	cr_assert_eq(sp.st.eager_fills, 1);
	/* A monitor write to a PTE (an emulated store) does the same; one
	 * that clears P drops the mapping. */
	*pte(1) = 0;
	shadow__phys_written(&sp, PT + 4, 4);
	cr_assert(!shadow__mapped(&sp, LIN + 0x1000, NULL));
	cr_assert(shadow__mapped(&sp, LIN + 0xf000, NULL));
}

Test(shadow_pt, cr3_reload_keeps_and_invlpg_checks, .fini = teardown)
{
	struct gpt_ctl c = ctl2l();

	setup_shadow(64);
	fault_in(4);
	/* INVLPG keeps a mapping its entries still give, drops one they
	 * no longer do. */
	shadow__invlpg(&sp, LIN + 0x2abc);
	cr_assert(shadow__mapped(&sp, LIN + 0x2000, NULL));
	*pte(1) &= ~1u;
	shadow__invlpg(&sp, LIN + 0x1abc);
	cr_assert(!shadow__mapped(&sp, LIN + 0x1000, NULL));
	/* A reload of the same CR3 keeps what the entries still give
	 * (test_shadow_switch.c). */
	cr_assert_eq(shadow__set_ctl(&sp, &c, true), 0);
	for (u32 i = 0; i < 4; i++)
		cr_assert_eq(shadow__mapped(&sp, LIN + i * 4096, NULL), i != 1);
	cr_assert_eq(sp.st.cr3_switches, 1);
	cr_assert_eq(sp.st.invlpg, 2);
	cr_assert_eq(sp.st.invlpg_kept, 1);
	/* Paging off: linear == physical, mapped at once. */
	c.cr0 &= ~0x80000000u;
	cr_assert_eq(shadow__set_ctl(&sp, &c, false), 0);
	cr_assert(shadow__mapped(&sp, DATA + 0x3000, NULL));
	cr_assert_eq(*(volatile u8 *)(uintptr_t)(DATA + 0x3000), 0x43);
}

Test(shadow_pt, eviction_under_a_tiny_budget, .fini = teardown)
{
	setup_shadow(4);
	fault_in(10);
	/* 4 fit; the 5th and the 9th flush the cache. */
	cr_assert_eq(sp.st.evictions, 2);
	cr_assert_eq(sp.used, 2);
	cr_assert(shadow__mapped(&sp, LIN + 9 * 4096, NULL));
	cr_assert(!shadow__mapped(&sp, LIN + 3 * 4096, NULL));
	cr_assert(!host_can_access(LIN + 3 * 4096, false));
}

/* The mapping that made the flush keeps its tables traced: a write to
 * its PTE right after is seen, and the page goes. */
Test(shadow_pt, the_mapping_that_flushed_keeps_its_tables_traced,
     .fini = teardown)
{
	setup_shadow(4);
	fault_in(5);
	cr_assert_eq(sp.st.evictions, 1);
	cr_assert(host_can_access(LIN + 4 * 4096, false));
	shadow_store_entry(&sp, ram, PT + 4 * 4, 0);
	cr_assert(!host_can_access(LIN + 4 * 4096, false));
	cr_assert(!shadow__mapped(&sp, LIN + 4 * 4096, NULL));
}

/* A flush in the middle of a PTE change (its refills fill the budget)
 * leaves no record of a frame the host no longer maps: the page the
 * change took out, mapped again on its frame, shows that frame, and a
 * store there reaches guest RAM. */
Test(shadow_pt, a_flush_during_a_change_forgets_the_pages_it_dropped,
     .fini = teardown)
{
	u32 v[3];

	setup_shadow(4);
	fault_in(4);
	/* PTE 3 (mapped) not present; PTEs 4, 5 present with A: filled */
	v[0] = (DATA + 3 * 4096) | 6;
	v[1] = (DATA + 4 * 4096) | 7 | GPT_A;
	v[2] = (DATA + 5 * 4096) | 7 | GPT_A;
	memcpy(pte(3), v, sizeof(v));
	shadow__phys_written(&sp, PT + 3 * 4, sizeof(v));
	cr_assert_eq(sp.st.evictions, 1);
	shadow_store_entry(&sp, ram, PT + 3 * 4,
			   (DATA + 3 * 4096) | 7 | GPT_A | GPT_D);
	/* A and D set: filled at once, writable */
	cr_assert(host_can_access(LIN + 0x3000, true));
	cr_assert_eq(host_byte(LIN + 0x3000), 0x43);
	*(volatile u8 *)(uintptr_t)(LIN + 0x3000) = 0x77;
	cr_assert_eq(ram[DATA + 3 * 4096], 0x77);
}

/* --- the privilege split (shadow_class.h) --- */

Test(shadow_class, split_above_the_highest_user_page)
{
	/* Nothing seen: no split. */
	cr_assert_eq(shadow_class__split(0, SW_WINDOW_BASE), SW_WINDOW_BASE);
	/* Linux: the stack's top page ends at 0xc0000000. */
	cr_assert_eq(shadow_class__split(0xc0000000u, SW_WINDOW_BASE),
		     0xc0000000u);
	/* A program's first pages: rounded up to 4 MiB. */
	cr_assert_eq(shadow_class__split(0x0804a000u, SW_WINDOW_BASE),
		     0x08400000u);
	cr_assert_eq(shadow_class__split(0x00400001u, SW_WINDOW_BASE),
		     0x00800000u);
	/* User pages up to the window: nothing above them to keep. */
	cr_assert_eq(shadow_class__split(0xffb00000u, SW_WINDOW_BASE),
		     SW_WINDOW_BASE);
	cr_assert_eq(shadow_class__split((u64)SW_WINDOW_BASE, SW_WINDOW_BASE),
		     SW_WINDOW_BASE);
}

#define SUP_LIN 0x800000u /* PDE 2 -> PT2: supervisor pages */

/* User pages at LIN (PDE 1), supervisor pages at SUP_LIN (PDE 2), one
 * of each below the split and the supervisor one above it mapped. */
static void setup_split(bool split_ok)
{
	u32 err = 0;

	setup_shadow(64);
	sp.split_ok = split_ok;
	*pde(2) = PT2 | 7;
	((u32 *)(void *)(ram + PT2))[0] = (DATA + 0x8000) | 3;
	*pte(4) = (DATA + 0x4000) | 3; /* supervisor only, below the split */
	cr_assert_eq(shadow__fault(&sp, LIN + 0x5000, 0, false, &err),
		     SPT_HIDDEN);
	cr_assert_eq(shadow__fault(&sp, LIN + 0x4000, 0, false, &err),
		     SPT_HIDDEN);
	cr_assert_eq(shadow__fault(&sp, SUP_LIN, PF_W, false, &err),
		     SPT_HIDDEN);
	cr_assert_eq(sp.user_top, LIN + 0x6000);
}

Test(shadow_pt, split_keeps_supervisor_pages_above_it, .fini = teardown)
{
	int prot = 0;

	setup_split(true);
	cr_assert_eq(shadow__set_user(&sp, true), 0);
	cr_assert_eq(sp.split, 0x800000u);
	/* Above the split: untouched, no host call. */
	cr_assert(shadow__mapped(&sp, SUP_LIN, &prot));
	cr_assert_eq(prot, PROT_READ | PROT_WRITE | PROT_EXEC);
	cr_assert_eq(sp.st.split_kept, 1);
	/* Below it: the class still decides (one munmap). */
	cr_assert(!shadow__mapped(&sp, LIN + 0x4000, NULL));
	cr_assert(shadow__mapped(&sp, LIN + 0x5000, NULL));
	cr_assert_eq(sp.st.priv_range_calls, 1);
	/* Back to CPL 0: nothing to do for the kept page. */
	cr_assert_eq(shadow__set_user(&sp, false), 0);
	cr_assert_eq(sp.split, SW_WINDOW_BASE);
	cr_assert(shadow__mapped(&sp, SUP_LIN, NULL));
	cr_assert_eq(sp.st.priv_range_calls, 1);
}

Test(shadow_pt, split_lift_drops_what_it_kept, .fini = teardown)
{
	u32 err = 0;

	setup_split(true);
	cr_assert_eq(shadow__set_user(&sp, true), 0);
	cr_assert(host_can_access(SUP_LIN,
				  true)); /* only the segments keep it out */
	cr_assert_eq(shadow__split_lift(&sp), 0);
	cr_assert_eq(sp.st.split_lifts, 1);
	cr_assert_eq(sp.split, SW_WINDOW_BASE);
	cr_assert(!shadow__mapped(&sp, SUP_LIN, NULL));
	cr_assert(!host_can_access(SUP_LIN, false));
	/* The user access it stopped now faults as the tables say. */
	cr_assert_eq(shadow__fault(&sp, SUP_LIN, 0, false, &err), SPT_TRUE);
	cr_assert_eq(err, PF_P | PF_U);
	/* Lifted once per user period. */
	cr_assert_eq(shadow__split_lift(&sp), 0);
	cr_assert_eq(sp.st.split_lifts, 1);
}

Test(shadow_pt, user_fault_above_the_split_lifts_it, .fini = teardown)
{
	u32 err = 0;

	setup_split(true);
	((u32 *)(void *)(ram + PT2))[1] = (DATA + 0x9000) | 7; /* user */
	cr_assert_eq(shadow__set_user(&sp, true), 0);
	cr_assert_eq(shadow__fault(&sp, SUP_LIN + 0x1000, 0, false, &err),
		     SPT_HIDDEN);
	cr_assert_eq(sp.st.split_lifts, 1);
	cr_assert(!shadow__mapped(&sp, SUP_LIN, NULL));
	cr_assert(!host_can_access(SUP_LIN, false));
	/* The next user period puts the split above that page. */
	cr_assert_eq(shadow__set_user(&sp, false), 0);
	cr_assert_eq(shadow__set_user(&sp, true), 0);
	cr_assert_eq(sp.split, 0xc00000u);
}

Test(shadow_pt, no_split_without_the_monitor_cutting_segments, .fini = teardown)
{
	setup_split(false);
	cr_assert_eq(shadow__set_user(&sp, true), 0);
	cr_assert_eq(sp.split, SW_WINDOW_BASE);
	cr_assert(!shadow__mapped(&sp, SUP_LIN, NULL));
	cr_assert(!host_can_access(SUP_LIN, false));
	cr_assert_eq(sp.st.split_kept, 0);
}
