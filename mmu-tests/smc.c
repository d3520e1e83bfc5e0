/*
 * mmu.smc: self- and cross-modifying code. Code is written as data and
 * then executed (after a jump, as SDM Vol. 3A 8.1.3 asks of portable
 * self-modifying code): through the same mapping, through an alias
 * mapping of the same frame, and with the instruction straddling a page
 * boundary. A binary translator must drop translations of written pages
 * (the same trace mechanism as page tables); any monitor must not execute
 * stale code.
 */
#include "mmu_common.h"

#define ID(s) "mmu.smc." MMU_MODE_ID "." s

POPEK_IMAGE(0, 0);

#define CODE_VA	 (VA_BASE + 0x10000) /* two pages, executable view */
#define WRITE_VA (VA_BASE + 0x20000) /* the same two frames, data view */

typedef u32 (*fn_t)(void);

/* mov $imm, %eax; ret */
static void put_mov_ret(volatile u8 *p, u32 imm)
{
	p[0] = 0xb8;
	p[1] = imm;
	p[2] = imm >> 8;
	p[3] = imm >> 16;
	p[4] = imm >> 24;
	p[5] = 0xc3;
}

static u32 call(ulong va)
{
	return ((fn_t)va)();
}

void probe_main(void)
{
	struct pgtable *boot = pg_current(), pt;
	u8 *c0, *c1;

	mmu_env_init(&pt);
	c0 = alloc_page();
	c1 = alloc_page();
	pg_map(&pt, CODE_VA, (ulong)c0, PT_RW);
	pg_map(&pt, CODE_VA + PAGE_SIZE, (ulong)c1, PT_RW);
	pg_map(&pt, WRITE_VA, (ulong)c0, PT_RW);
	pg_map(&pt, WRITE_VA + PAGE_SIZE, (ulong)c1, PT_RW);

	/* same page, same mapping */
	put_mov_ret((u8 *)CODE_VA + 0x100, 0x1111);
	report_eq(ID("same.first"), "freshly written code runs", 0x1111,
		  call(CODE_VA + 0x100));
	put_mov_ret((u8 *)CODE_VA + 0x100, 0x2222);
	report_eq(ID("same.rewrite"),
		  "code rewritten through the mapping it runs from: the new "
		  "instruction runs",
		  0x2222, call(CODE_VA + 0x100));
	((volatile u8 *)CODE_VA)[0x101] = 0x33;
	report_eq(ID("same.byte"),
		  "one immediate byte rewritten: the new value is returned",
		  0x2233, call(CODE_VA + 0x100));

	/* through an alias mapping of the frame */
	put_mov_ret((u8 *)WRITE_VA + 0x200, 0x3333);
	report_eq(ID("alias.first"),
		  "code written through an alias runs at the other address",
		  0x3333, call(CODE_VA + 0x200));
	put_mov_ret((u8 *)WRITE_VA + 0x200, 0x4444);
	report_eq(ID("alias.rewrite"),
		  "code rewritten through the alias after it ran: the new "
		  "instruction runs (cross-modifying through another linear "
		  "address)",
		  0x4444, call(CODE_VA + 0x200));
	put_mov_ret(c0 + 0x300, 0x5555);
	report_eq(ID("alias.identity"),
		  "code written through the identity map runs at the test "
		  "address",
		  0x5555, call(CODE_VA + 0x300));

	/* the instruction straddles the page boundary: b8 | imm32 ret */
	volatile u8 *edge = (u8 *)CODE_VA + PAGE_SIZE - 2;
	put_mov_ret(edge, 0x66667777);
	report_eq(ID("cross-page.first"),
		  "an instruction straddling two pages runs", 0x66667777,
		  call((ulong)edge));
	((volatile u8 *)WRITE_VA)[PAGE_SIZE + 1] = 0x99; /* imm byte 2 */
	report_eq(ID("cross-page.second-page"),
		  "a byte of it rewritten on the second page through the "
		  "alias: the new instruction runs",
		  0x66997777, call((ulong)edge));
	((volatile u8 *)WRITE_VA)[PAGE_SIZE - 1] = 0x88; /* imm byte 0 */
	report_eq(ID("cross-page.first-page"),
		  "a byte rewritten on the first page through the alias",
		  0x66997788, call((ulong)edge));
	/* remapping the second page to another frame changes the code */
	u8 *c2 = alloc_page();
	memcpy(c2, c1, 16);
	c2[1] = 0x12;
	pg_map(&pt, CODE_VA + PAGE_SIZE, (ulong)c2, PT_RW);
	report_eq(ID("cross-page.remap"),
		  "the second page remapped (INVLPG) to a frame with other "
		  "bytes: the instruction reads them",
		  0x66127788, call((ulong)edge));
	if (boot)
		pg_enable(boot);
	else
		pg_disable();
}
