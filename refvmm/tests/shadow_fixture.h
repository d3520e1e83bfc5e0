/*
 * The guest and the shadow that test_shadow_eager.c, test_shadow_kept.c
 * and test_shadow_quiet.c build alike: RAM_SIZE bytes of guest RAM (a
 * real memfd: host_access.h), 32-bit paging with the directory at PD,
 * its entries from 1 on naming the tables from PT on (linear LIN on),
 * PTE i mapping page i to frame DATA + i pages, and a shadow over it
 * (real mappings in this process). Included by one test file per
 * executable, which defines RAM_SIZE first; its state is that file's.
 */
#ifndef REFVMM_TESTS_SHADOW_FIXTURE_H
#define REFVMM_TESTS_SHADOW_FIXTURE_H

#include <criterion/criterion.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host_access.h"
#include "refvmm/sw/guest_pt.h"
#include "refvmm/sw/shadow_pt.h"

#ifndef RAM_SIZE
#error "define RAM_SIZE before shadow_fixture.h"
#endif

#define PD   0x1000u
#define PT   0x2000u   /* PDE 1; the next table PDE 2, and so on */
#define LIN  0x400000u /* PDE 1 */
#define DATA 0x100000u /* PTE i maps DATA + i pages */
#define P    1u
#define RW   2u
#define US   4u

static int memfd;
static u8 *ram;
static struct shadow_pt sp;

static inline u32 *pte(u32 i)
{
	return (u32 *)(void *)(ram + PT) + i;
}

static inline u32 frame(u32 i)
{
	return DATA + i * 4096;
}

/* The RAM, with PTEs 0 to @npte - 1 present (P RW US and @flags) and
 * the directory entries naming their tables (P RW US). */
static inline void guest_up(u32 npte, u32 flags)
{
	memfd = guest_ram_create(RAM_SIZE, &ram);
	for (u32 t = 0; t * 1024 < npte; t++)
		*(u32 *)(void *)(ram + PD + 4 + t * 4) =
			(PT + t * 4096) | P | RW | US;
	for (u32 i = 0; i < npte; i++)
		*pte(i) = frame(i) | P | RW | US | flags;
}

/* The shadow of @budget mappings, paging on with CR3 = PD and CR4
 * @cr4; with @hot the page policy --mode bt sets (shadow_hot.h). */
static inline void shadow_up_with(u32 budget, u32 cr4, bool hot)
{
	struct gpt_ctl c = {
		.cr0 = 0x80010011u, .cr3 = PD, .cr4 = cr4, .maxphy = 48};

	cr_assert_eq(shadow__init(&sp, memfd, ram, RAM_SIZE, budget, false), 0,
		     "%s", sp.err);
	sp.hot_policy = hot;
	cr_assert_eq(shadow__set_ctl(&sp, &c, false), 0);
}

/* The monitor's emulated store of PTE @i, the shadow told. */
static inline void store_pte(u32 i, u32 v)
{
	shadow_store_entry(&sp, ram, PT + i * 4, v);
}

/* A host fault at page @i that the shadow resolves as a hidden one. */
static inline void map_by_fault(u32 i, bool write)
{
	shadow_hidden_fault(&sp, LIN + i * 4096, write);
}

static inline void guest_down(void)
{
	shadow__destroy(&sp);
	munmap(ram, RAM_SIZE);
	close(memfd);
}

#endif
