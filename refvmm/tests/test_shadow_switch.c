/*
 * The shadow across CR3 writes (shadow_pt.c, switch_space): a mapping
 * stays when the new top-level table holds the very entry it was made
 * through, so that a fresh walk (SDM Vol. 3A 4.10.4.1: a CR3 write
 * invalidates the non-global translations) finds exactly what it holds,
 * A already set; any other goes. The tables the new space no longer
 * uses stop being traced, the new top-level table is traced. Real
 * mappings in this process: whether an access works is tried.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host_access.h"
#include "refvmm/sw/guest_pt.h"
#include "refvmm/sw/shadow_pt.h"

#define RAM_SIZE (8u << 20)
#define PD	 0x1000u /* the parent's directory */
#define PD2	 0x5000u /* the child's */
#define PT	 0x2000u /* PDE 1 -> PT: shared (the kernel's half) */
#define PT2	 0x3000u /* PDE 2 -> PT2 in PD, PT3 in PD2 (the process) */
#define PT3	 0x4000u
#define LIN	 0x400000u /* PDE 1 */
#define LIN2	 0x800000u /* PDE 2 */
#define DATA	 0x100000u
#define P	 1u
#define RW	 2u
#define US	 4u
#define A	 0x20u

static int memfd;
static u8 *ram;
static struct shadow_pt sp;
static u64 changed_ppn[8];
static u32 nchanged;

static u32 *entry(u32 table, u32 i)
{
	return (u32 *)(void *)(ram + table) + i;
}

static u32 frame(u32 i)
{
	return DATA + i * 4096;
}

static void on_change(void *ctx, u64 ppn, const u8 *changed, u32 esz)
{
	(void)ctx;
	(void)changed;
	(void)esz;
	if (nchanged < 8)
		changed_ppn[nchanged] = ppn;
	nchanged++;
}

static struct gpt_ctl ctl(u32 cr3)
{
	return (struct gpt_ctl){.cr0 = 0x80010011u, .cr3 = cr3, .maxphy = 48};
}

static void setup(void)
{
	struct gpt_ctl c = ctl(PD);

	memfd = guest_ram_create(RAM_SIZE, &ram);
	*entry(PD, 1) = PT | P | RW | US;
	*entry(PD, 2) = PT2 | P | RW | US;
	for (u32 i = 0; i < 8; i++) {
		*entry(PT, i) = frame(i) | P | RW | US;
		*entry(PT2, i) = frame(8 + i) | P | RW | US;
		*entry(PT3, i) = frame(16 + i) | P | RW | US;
	}
	for (u32 i = 0; i < 24; i++)
		memset(ram + frame(i), 0x40 + (int)i, 4096);
	cr_assert_eq(shadow__init(&sp, memfd, ram, RAM_SIZE, 256, false), 0,
		     "%s", sp.err);
	cr_assert_eq(shadow__set_ctl(&sp, &c, false), 0);
	sp.on_change = on_change;
	nchanged = 0;
}

static void teardown(void)
{
	shadow__destroy(&sp);
	munmap(ram, RAM_SIZE);
	close(memfd);
}

TestSuite(shadow_switch, .init = setup, .fini = teardown);

/* The child's directory: a copy of the parent's, its own process PT. */
static void fork_directory(void)
{
	memcpy(ram + PD2, ram + PD, 4096);
	*entry(PD2, 2) = PT3 | P | RW | US;
}

static void switch_to(u32 cr3)
{
	struct gpt_ctl c = ctl(cr3);

	cr_assert_eq(shadow__set_ctl(&sp, &c, true), 0, "%s", sp.err);
}

Test(shadow_switch, shared_entries_stay_the_process_goes)
{
	u64 flushes = sp.st.flushes;

	shadow_hidden_fault(&sp, LIN, false);
	shadow_hidden_fault(&sp, LIN + 0x1000, false);
	shadow_hidden_fault(&sp, LIN2, false);
	fork_directory();
	switch_to(PD2);
	/* PDE 1 is the same entry, A included: both pages stay mapped. */
	cr_assert(host_can_access(LIN, false));
	cr_assert(host_can_access(LIN + 0x1000, false));
	cr_assert_eq(sp.st.switch_kept, 2);
	/* PDE 2 now leads elsewhere: the parent's page must not show. */
	cr_assert(!host_can_access(LIN2, false));
	cr_assert_eq(sp.st.switch_dropped, 1);
	shadow_hidden_fault(&sp, LIN2, false);
	cr_assert_eq(host_byte(LIN2), 0x40 + 16);
	cr_assert_eq(host_byte(LIN + 0x1000), 0x41);
	cr_assert_eq(sp.st.flushes, flushes);
	cr_assert_eq(nchanged, 1);
	cr_assert_eq(changed_ppn[0], SHADOW_SWITCH);
}

Test(shadow_switch, a_differing_accessed_bit_drops)
{
	shadow_hidden_fault(&sp, LIN, false);
	cr_assert(*entry(PD, 1) & A);
	fork_directory();
	*entry(PD2, 1) &= ~A;
	switch_to(PD2);
	/* A walk now would set A in the child's PDE: it must happen. */
	cr_assert(!host_can_access(LIN, false));
	cr_assert_eq(sp.st.switch_kept, 0);
	shadow_hidden_fault(&sp, LIN, false);
	cr_assert(*entry(PD2, 1) & A);
}

Test(shadow_switch, reload_keeps_everything_and_traces_stay)
{
	shadow_hidden_fault(&sp, LIN, false);
	shadow_hidden_fault(&sp, LIN2 + 0x3000, false);
	switch_to(PD);
	cr_assert(host_can_access(LIN, false));
	cr_assert(host_can_access(LIN2 + 0x3000, false));
	cr_assert_eq(sp.st.switch_kept, 2);
	/* The leaf tables are still traced: a changed PTE drops at once. */
	*entry(PT2, 3) = 0;
	shadow__phys_written(&sp, PT2 + 3 * 4, 4);
	cr_assert(!host_can_access(LIN2 + 0x3000, false));
}

Test(shadow_switch, new_top_traced_old_tables_released)
{
	shadow_hidden_fault(&sp, LIN, false);
	shadow_hidden_fault(&sp, LIN2, false);
	fork_directory();
	switch_to(PD2);
	nchanged = 0;
	/* The parent's process table serves nothing now: its writes are
	 * not the shadow's business any more. */
	*entry(PT2, 0) = frame(3) | P | RW | US;
	shadow__phys_written(&sp, PT2, 4);
	cr_assert_eq(nchanged, 0);
	/* The child's directory is: its PDE 1 changing drops LIN. */
	*entry(PD2, 1) = 0;
	shadow__phys_written(&sp, PD2 + 4, 4);
	cr_assert_eq(nchanged, 1);
	cr_assert_eq(changed_ppn[0], PD2 >> 12);
	cr_assert(!host_can_access(LIN, false));
}

Test(shadow_switch, back_to_the_parent_compares_again)
{
	shadow_hidden_fault(&sp, LIN, false);
	shadow_hidden_fault(&sp, LIN2, false);
	fork_directory();
	switch_to(PD2);
	shadow_hidden_fault(&sp, LIN2, false);
	cr_assert_eq(host_byte(LIN2), 0x40 + 16);
	/* Meanwhile the parent's PDE 1 changed, untraced (PD was left):
	 * the switch back compares the entries as they are now. */
	*entry(PD, 1) = PT3 | P | RW | US | A;
	switch_to(PD);
	cr_assert(!host_can_access(LIN, false));
	cr_assert(!host_can_access(LIN2, false));
	shadow_hidden_fault(&sp, LIN, false);
	cr_assert_eq(host_byte(LIN), 0x40 + 16);
}

Test(shadow_switch, a_released_table_is_written_through_its_alias)
{
	u32 err = 0;

	/* PDE 1's PT maps PT2 (the parent's process table) at LIN + 0x7000,
	 * read-only while PT2 is traced. */
	*entry(PT, 7) = PT2 | P | RW | US | 0x40; /* D set */
	shadow_hidden_fault(&sp, LIN2, false);
	shadow_hidden_fault(&sp, LIN + 0x7000, false);
	cr_assert(!host_can_access(LIN + 0x7000, true));
	fork_directory();
	switch_to(PD2);
	cr_assert(host_can_access(LIN + 0x7000, false));
	/* Untraced now: the write that comes back is a hidden fault that
	 * widens the alias, not a trace. */
	cr_assert_eq(shadow__fault(&sp, LIN + 0x7000, PF_W, false, &err),
		     SPT_HIDDEN);
	cr_assert(host_can_access(LIN + 0x7000, true));
}

Test(shadow_switch, a_table_copy_with_the_same_entries_keeps_them)
{
	shadow_hidden_fault(&sp, LIN2, false);
	shadow_hidden_fault(&sp, LIN2 + 0x1000, false);
	shadow_hidden_fault(&sp, LIN2 + 0x2000, false);
	/* fork: the child's PT3 is a copy of PT2 (A set by the touches),
	 * its page 1 made read-only, page 2 never accessed in the copy. */
	memcpy(ram + PT3, ram + PT2, 4096);
	*entry(PT3, 1) &= ~RW;
	*entry(PT3, 2) &= ~A;
	fork_directory();
	*entry(PD2, 2) |= A;
	switch_to(PD2);
	cr_assert(host_can_access(LIN2, false));
	cr_assert(!host_can_access(LIN2 + 0x1000, false));
	cr_assert(!host_can_access(LIN2 + 0x2000, false));
	cr_assert_eq(sp.st.switch_rewalked, 1);
	cr_assert_eq(sp.st.switch_dropped, 2);
	/* It holds through the child's table now, which is traced. */
	nchanged = 0;
	*entry(PT3, 0) = 0;
	shadow__phys_written(&sp, PT3, 4);
	cr_assert_eq(nchanged, 1);
	cr_assert(!host_can_access(LIN2, false));
}

Test(shadow_switch, the_new_directory_alias_goes_read_only)
{
	u32 err = 0;

	/* The kernel built the child's directory through a writable alias
	 * (LIN + 0x6000 maps PD2, D set), in the range that stays. */
	*entry(PT, 6) = PD2 | P | RW | US | 0x40;
	cr_assert_eq(shadow__fault(&sp, LIN + 0x6000, PF_W, false, &err),
		     SPT_HIDDEN);
	cr_assert(host_can_access(LIN + 0x6000, true));
	fork_directory();
	switch_to(PD2);
	cr_assert_eq(sp.st.switch_kept, 1);
	/* Traced from now on: the kept alias must not write it unseen. */
	cr_assert(host_can_access(LIN + 0x6000, false));
	cr_assert(!host_can_access(LIN + 0x6000, true));
	cr_assert_eq(shadow__fault(&sp, LIN + 0x6000, PF_W, false, &err),
		     SPT_TRACE);
}

Test(shadow_switch, a_pde_write_takes_out_its_range_alone)
{
	/* 4 MiB ranges: a PDE write in the current directory takes out
	 * the mappings of its range alone, found without a search. */
	shadow_hidden_fault(&sp, LIN, false);
	shadow_hidden_fault(&sp, LIN + 0x1000, false);
	shadow_hidden_fault(&sp, LIN2, false);
	*entry(PD, 2) = PT3 | P | RW | US;
	shadow__phys_written(&sp, PD + 8, 4);
	cr_assert(!host_can_access(LIN2, false));
	cr_assert(host_can_access(LIN, false));
	cr_assert(host_can_access(LIN + 0x1000, false));
	cr_assert_eq(sp.bucket_n[LIN >> 22], 2);
	cr_assert_eq(sp.bucket_n[LIN2 >> 22], 0);
	shadow_hidden_fault(&sp, LIN2, false);
	cr_assert_eq(host_byte(LIN2), 0x40 + 16);
}
