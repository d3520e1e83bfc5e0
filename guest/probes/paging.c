/*
 * runtime.paging: the runtime's page-table helpers against the
 * architecture: translation through an alias, #PF error codes and CR2
 * (SDM Vol. 3A, 4.7), INVLPG and CR3 reloads (4.10.4). 2-level and PAE in
 * 32-bit images, 4-level in 64-bit images.
 */
#include "paging.h"
#include "fault.h"
#include "outcome.h"
#include "report.h"
#include "x86.h"

#define ALIAS  0x40000000ul /* a linear address outside the identity map */
#define MAGIC1 0x5eed1234u
#define MAGIC2 0xc0ffee77u

static void read_alias(void *a)
{
	(void)*(volatile u32 *)a;
}

static void write_alias(void *a)
{
	*(volatile u32 *)a = 0;
}

/*
 * The modes an image checks its tables in, as the id component after
 * "runtime.paging.": 64-bit images the boot tables and tables of their
 * own, 32-bit ones the one mode they run.
 */
#ifdef __x86_64__
#define MODES "4level.{boot,4k}"
enum { MODE_BOOT, MODE_4K };
#elif defined(PAGING_PAE)
#define MODES "{pae}"
#else
#define MODES "{2level}"
#endif

/* The same checks in each mode: mode selects the member of MODES. */
static void paging_checks(struct pgtable *pt, int mode)
{
	u32 *page = alloc_page(), *page2 = alloc_page();
	struct fault f;
	char id[CHECK_ID_MAX];

	page[0] = MAGIC1;
	page2[0] = MAGIC2;
	pg_map(pt, ALIAS, (ulong)page, PT_RW);
	report_equal(CHECK_ID(id, "runtime.paging." MODES ".alias-read",
			      "a read through an alias PTE sees the frame",
			      mode),
		     MAGIC1, *(volatile u32 *)ALIAS);
	*(volatile u32 *)(ALIAS + 4) = MAGIC2;
	report_equal(CHECK_ID(id, "runtime.paging." MODES ".alias-write",
			      "a write through an alias PTE reaches the frame",
			      mode),
		     MAGIC2, page[1]);
	pg_map(pt, ALIAS, (ulong)page2, PT_RW);
	report_equal(CHECK_ID(id, "runtime.paging." MODES ".invlpg",
			      "after a PTE change and INVLPG the new frame is "
			      "seen",
			      mode),
		     MAGIC2, *(volatile u32 *)ALIAS);
	pg_write(pt, pg_entry(pt, ALIAS, 1, false), (ulong)page | PT_P | PT_RW);
	reload_cr3();
	report_equal(CHECK_ID(id, "runtime.paging." MODES ".cr3-reload",
			      "after a PTE change and a CR3 reload the new "
			      "frame is seen",
			      mode),
		     MAGIC1, *(volatile u32 *)ALIAS);
	pg_unmap(pt, ALIAS);
	write_cr2(0);
	try_call(read_alias, (void *)(ALIAS + 8), &f);
	report_exception_result(
		CHECK_ID(id, "runtime.paging." MODES ".pf-read-np",
			 "a supervisor read of a non-present page raises "
			 "#PF with error code 0",
			 mode),
		PF_VECTOR, 0, &f);
	report_equal(CHECK_ID(id, "runtime.paging." MODES ".pf-cr2",
			      "#PF loads CR2 with the faulting linear address",
			      mode),
		     ALIAS + 8, f.cr2);
	try_call(write_alias, (void *)ALIAS, &f);
	report_exception_result(
		CHECK_ID(id, "runtime.paging." MODES ".pf-write-np",
			 "a supervisor write to a non-present page raises "
			 "#PF with error code W",
			 mode),
		PF_VECTOR, PFERR_W, &f);
	pg_map(pt, ALIAS, (ulong)page, 0);
	run_at_cpl(3, read_alias, (void *)ALIAS, &f);
	report_exception_result(
		CHECK_ID(id, "runtime.paging." MODES ".pf-user-read",
			 "a CPL 3 read of a supervisor page raises #PF "
			 "with error code P|U",
			 mode),
		PF_VECTOR, PFERR_P | PFERR_U, &f);
	pg_map(pt, ALIAS, (ulong)page, PT_US);
	run_at_cpl(3, write_alias, (void *)ALIAS, &f);
	report_exception_result(
		CHECK_ID(id, "runtime.paging." MODES ".pf-user-write-ro",
			 "a CPL 3 write to a read-only user page raises "
			 "#PF with error code P|W|U",
			 mode),
		PF_VECTOR, PFERR_P | PFERR_W | PFERR_U, &f);
	pg_unmap(pt, ALIAS);
}

#ifdef __x86_64__
POPEK_IMAGE(0, 0);

void probe_main(void)
{
	struct pgtable *boot = pg_current(), fresh;
	u64 efer = rdmsr(MSR_EFER);

	report_eq("runtime.paging.4level.lma",
		  "64-bit images run with EFER.LMA set", EFER_LMA,
		  efer & EFER_LMA);
	report_eq("runtime.paging.4level.cr4-pae",
		  "long mode runs with CR4.PAE set", X86_CR4_PAE,
		  read_cr4() & X86_CR4_PAE);
	paging_checks(boot, MODE_BOOT);
	pg_identity(&fresh, PG_4LEVEL, 64ul << 20, PT_RW | PT_US);
	pg_enable(&fresh);
	report_eq("runtime.paging.4level.switch",
		  "CR3 holds the new tables after a switch", fresh.root,
		  read_cr3());
	paging_checks(&fresh, MODE_4K);
	pg_enable(boot);
}
#elif defined(PAGING_PAE)
POPEK_IMAGE(POPEK_FEAT_PAE, 0);

void probe_main(void)
{
	struct pgtable pt;

	pg_identity(&pt, PG_PAE, 64ul << 20, PT_RW | PT_US);
	pg_enable(&pt);
	report_eq("runtime.paging.pae.enable", "PAE paging can be enabled",
		  X86_CR0_PG | X86_CR4_PAE,
		  (read_cr0() & X86_CR0_PG) | (read_cr4() & X86_CR4_PAE));
	paging_checks(&pt, 0);
	pg_disable();
	write_cr4(read_cr4() & ~X86_CR4_PAE);
	report_eq("runtime.paging.pae.disable",
		  "CR0.PG and CR4.PAE are clear after paging is turned off", 0,
		  (read_cr0() & X86_CR0_PG) | (read_cr4() & X86_CR4_PAE));
}
#else
POPEK_IMAGE(0, 0);

void probe_main(void)
{
	struct pgtable pt;

	report_eq("runtime.paging.off", "32-bit images start with paging off",
		  0, read_cr0() & X86_CR0_PG);
	pg_identity(&pt, PG_2LEVEL, 64ul << 20, PT_RW | PT_US);
	pg_enable(&pt);
	report_eq("runtime.paging.2level.enable", "CR0.PG is set", X86_CR0_PG,
		  read_cr0() & X86_CR0_PG);
	paging_checks(&pt, 0);
	pg_disable();
	report_eq("runtime.paging.2level.disable",
		  "CR0.PG is clear after paging is turned off", 0,
		  read_cr0() & X86_CR0_PG);
}
#endif
