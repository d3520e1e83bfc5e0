/*
 * The stack segments that RET far and IRET to an outer level load
 * (emu/far.c, emu/deliver.c): the checks of SDM Vol. 2B RET / Vol. 2A
 * IRET, and the accessed bit the load sets in the descriptor (Vol. 3A
 * 3.4.5.1), which a guest can read back from its GDT.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "../emu/deliver.h"
#include "../emu/far.h"
#include "flat_cpu.h"
#include "refvmm/sw/cpu.h"
#include "refvmm/sw/segments.h"
#include "refvmm/sw/shadow_desc.h"
#include "refvmm/x86_regs.h"

#define GDT	 FLAT_GDT
#define STACK	 FLAT_STACK
#define CS3	 0xb3 /* GDT index 22, RPL 3 */
#define SS3	 0xbb /* index 23: writable data, DPL 3, accessed clear */
#define SS3_NP	 0xc3 /* index 24: the same, not present */
#define ACCESSED (1ull << 40)

static u8 *ram;

static u64 *gdt(int i)
{
	return (u64 *)(ram + GDT) + i;
}

/* flat_cpu's CPU with a DPL-3 code segment and two DPL-3 stacks. */
static struct sw_cpu *cpu(void)
{
	struct sw_cpu *c = flat_cpu(&ram);

	*gdt(22) = 0x00cffb000000ffffull;
	*gdt(23) = 0x00cff2000000ffffull;
	*gdt(24) = 0x00cf72000000ffffull;
	return c;
}

static void put_frame(const u32 *f, int n)
{
	for (int i = 0; i < n; i++)
		((u32 *)(ram + STACK))[i] = f[i];
}

Test(ss_accessed, ret_outward_sets_the_accessed_bit)
{
	struct sw_cpu *c = cpu();
	const u32 f[] = {0x1234, CS3, 0x9000, SS3};

	put_frame(f, 4);
	cr_assert_eq(far__return(c, 0), 0);
	cr_assert_eq(c->cpl, 3);
	cr_assert_eq(c->seg[SW_SS].selector, SS3);
	cr_assert_eq(c->gpr[SW_ESP], 0x9000);
	cr_assert(*gdt(23) & ACCESSED, "RET set the SS descriptor's A bit");
	flat_cpu_free(c);
}

Test(ss_accessed, iret_outward_sets_the_accessed_bit)
{
	struct sw_cpu *c = cpu();
	const u32 f[] = {0x1234, CS3, 0x2, 0x9000, SS3};

	put_frame(f, 5);
	cr_assert_eq(deliver__iret(c), 0);
	cr_assert_eq(c->seg[SW_SS].selector, SS3);
	cr_assert(*gdt(23) & ACCESSED, "IRET set the SS descriptor's A bit");
	flat_cpu_free(c);
}

Test(ss_accessed, a_refused_ss_stays_unaccessed)
{
	struct sw_cpu *c = cpu();
	const u32 f[] = {0x1234, CS3, 0x9000, SS3_NP};

	put_frame(f, 4);
	cr_assert_eq(far__return(c, 0), -1);
	cr_assert_eq(c->exc_vector, 12, "not present: #SS");
	cr_assert_eq(c->exc_error, SS3_NP & ~3u);
	cr_assert_eq(c->cpl, 0);
	cr_assert_not(*gdt(24) & ACCESSED);
	flat_cpu_free(c);
}
