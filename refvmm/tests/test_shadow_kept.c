/*
 * Pages the shadow drops alone or in short runs stay on their frame in
 * the host, PROT_NONE (shadow_pt.c unmap_pages): mapping one again on
 * the same frame is an mprotect, not an mmap. Whatever the host keeps,
 * an access to a page the shadow does not map must fault, and a page
 * mapped again must show the frame the guest's entry names now. Real
 * mappings in this process: whether an access works is tried, not asked
 * of the shadow.
 */
#define _GNU_SOURCE
#include <string.h>

#define RAM_SIZE (16u << 20)
#define NPTE	 2048u /* PDEs 1 and 2: one array of PTEs */
#include "shadow_fixture.h"

static void setup(void)
{
	guest_up(NPTE, GPT_A | GPT_D);
	for (u32 i = 0; i < NPTE; i++)
		memset(ram + frame(i), (int)(i & 0xff), 4096);
	shadow_up_with(4096, 0, false);
}

TestSuite(shadow_kept, .init = setup, .fini = guest_down);

Test(shadow_kept, a_dropped_page_faults_and_comes_back_on_its_frame)
{
	map_by_fault(3, true);
	cr_assert_eq(host_byte(LIN + 0x3000), 3);
	/* not present: dropped, kept PROT_NONE, and no access gets through */
	store_pte(3, frame(3) | RW | US);
	cr_assert(!host_can_access(LIN + 0x3000, false));
	cr_assert(!host_can_access(LIN + 0x3000, true));
	cr_assert_eq(sp.st.kept_unmaps, 1);
	/* present again on the same frame: one mprotect, the same page */
	store_pte(3, frame(3) | P | RW | US | GPT_A | GPT_D);
	cr_assert(host_can_access(LIN + 0x3000, true));
	cr_assert_eq(host_byte(LIN + 0x3000), 3);
	cr_assert_eq(sp.st.kept_remaps, 1);
}

Test(shadow_kept, a_run_dropped_by_one_write_is_kept_in_one_call)
{
	u32 none[4] = {0, 0, 0, 0};

	for (u32 i = 10; i < 14; i++)
		map_by_fault(i, false);
	/* one 16-byte store takes four PTEs out: one run of four pages */
	memcpy(pte(10), none, sizeof(none));
	shadow__phys_written(&sp, PT + 10 * 4, sizeof(none));
	cr_assert_eq(sp.st.kept_unmaps, 4);
	for (u32 i = 10; i < 14; i++) {
		cr_assert(!host_can_access(LIN + i * 4096, false), "page %u",
			  i);
		store_pte(i, frame(i) | P | RW | US | GPT_A);
		cr_assert_eq(host_byte(LIN + i * 4096), i, "page %u", i);
	}
	cr_assert_eq(sp.st.kept_remaps, 4);
}

Test(shadow_kept, a_kept_page_mapped_on_another_frame_shows_that_frame)
{
	map_by_fault(4, false);
	store_pte(4, 0);
	cr_assert(!host_can_access(LIN + 0x4000, false));
	/* ptemod's other frame: mapped by mmap, not the kept frame */
	store_pte(4, frame(9) | P | RW | US | GPT_A);
	cr_assert(host_can_access(LIN + 0x4000, false));
	cr_assert_eq(host_byte(LIN + 0x4000), 9);
	cr_assert_eq(sp.st.kept_remaps, 0);
	/* and dropped again, then back on frame 9: the kept one is 9 */
	store_pte(4, 0);
	store_pte(4, frame(9) | P | RW | US | GPT_A);
	cr_assert_eq(host_byte(LIN + 0x4000), 9);
	cr_assert_eq(sp.st.kept_remaps, 1);
	store_pte(4, 0);
	store_pte(4, frame(4) | P | RW | US | GPT_A);
	cr_assert_eq(host_byte(LIN + 0x4000), 4);
	cr_assert_eq(sp.st.kept_remaps, 1);
}

Test(shadow_kept, a_true_fault_on_a_kept_page_is_the_guests)
{
	u32 err = 0;

	map_by_fault(5, true);
	store_pte(5, frame(5) | RW | US);
	/* the host's error says protection; the guest's entry says not
	 * present, and that is the #PF the guest gets */
	cr_assert_eq(shadow__fault(&sp, LIN + 0x5008, PF_W | PF_P, false, &err),
		     SPT_TRUE);
	cr_assert_eq(err & (PF_P | PF_W), PF_W);
}

Test(shadow_kept, at_most_the_bound_are_kept_and_the_oldest_go_back)
{
	u32 n = SHADOW_KEPT_MAX + 16;

	cr_assert(n <= NPTE);
	for (u32 i = 0; i < n; i++)
		map_by_fault(i, false);
	for (u32 i = 0; i < n; i++)
		store_pte(i, frame(i) | RW | US);
	cr_assert_eq(sp.st.kept_unmaps, n);
	cr_assert_eq(sp.nkept, SHADOW_KEPT_MAX);
	for (u32 i = 0; i < n; i++) {
		cr_assert(!host_can_access(LIN + i * 4096, false), "page %u",
			  i);
		cr_assert_eq(shadow_host_ppn(&sp, (LIN >> 12) + i) != 0,
			     i >= 16, "page %u", i);
	}
	/* the first 16 went back to the reservation: mapped by mmap */
	for (u32 i = 0; i < n; i++)
		store_pte(i, frame(i) | P | RW | US | GPT_A);
	cr_assert_eq(sp.st.kept_remaps, SHADOW_KEPT_MAX);
	for (u32 i = 0; i < n; i++)
		cr_assert_eq(host_byte(LIN + i * 4096), i & 0xff, "page %u", i);
}

Test(shadow_kept, a_flush_forgets_what_the_host_kept)
{
	struct gpt_ctl c = {.cr0 = 0x80010011u, .cr3 = PD, .maxphy = 48};

	map_by_fault(6, false);
	store_pte(6, 0);
	cr_assert_eq(sp.nkept, 1);
	cr_assert_eq(shadow__flush(&sp), 0);
	cr_assert_eq(sp.nkept, 0);
	cr_assert_eq(shadow_host_ppn(&sp, (LIN >> 12) + 6), 0);
	cr_assert_eq(shadow__set_ctl(&sp, &c, false), 0);
	*pte(6) = frame(6) | P | RW | US | GPT_A;
	map_by_fault(6, false);
	cr_assert_eq(host_byte(LIN + 0x6000), 6);
	cr_assert_eq(sp.st.kept_remaps, 0);
}
