/*
 * mmu.access: every combination in the image's generated table
 * (gen_access.c) is set up in a private set of paging structures that map
 * one test address, the access is made at CPL 0 or 3, and fault or not,
 * the #PF error code, CR2 and the A/D flags at every level are compared
 * with the oracle (access_model.c; SDM Vol. 3A 4.6, 4.7, 4.8).
 *
 * The rest of the address space is an identity map of supervisor pages,
 * except the page of CPL 3 stubs (stubs.S), so SMEP and SMAP can be on
 * while the runtime runs. 2-level and PAE in 32-bit images, 4-level in
 * 64-bit ones.
 */
#include "access_cases.h"
#include "fault.h"
#include "paging.h"
#include "report.h"
#include "x86.h"

#ifdef __x86_64__
#define TEST_VA 0x8000000000ul
#else
#define TEST_VA 0xc0000000ul
#endif
#define ENV_BYTES (40ul << 20)
#define FRAME	  (36ul << 20) /* 4 MiB aligned, above the page pool */

#ifndef ACCESS_FEATURES
#define ACCESS_FEATURES 0
#endif
#ifdef MMU_MODEL_MUTATE /* the mutant image: wrong on purpose */
POPEK_IMAGE(ACCESS_FEATURES, POPEK_IMAGE_SELFTEST);
#else
POPEK_IMAGE(ACCESS_FEATURES, 0);
#endif

extern char mmu_user_page[];
extern char mmu_sup_read[], mmu_sup_write[], mmu_sup_rw[], mmu_sup_fetch[];
extern char mmu_user_read[], mmu_user_write[], mmu_user_rw[], mmu_user_fetch[];

static struct pgtable env;
static void *tables[5]; /* tables[l]: the table holding level-l entries */
static unsigned have;	/* NEED_* the CPU provides */
static int maxphy;
static unsigned pdpte_written; /* cases where a PAE PDPTE changed */

static unsigned index_at(int l)
{
	if (env.mode == PG_2LEVEL)
		return (TEST_VA >> (12 + 10 * (l - 1))) & 0x3ff;
	return ((u64)TEST_VA >> (12 + 9 * (l - 1))) & 0x1ff;
}

static void *entry_at(int l)
{
	return (u8 *)tables[l] + index_at(l) * (env.mode == PG_2LEVEL ? 4 : 8);
}

/* The address level l's entry holds: the next table, or the frame. */
static u64 target_of(const struct mmu_case *c, int l)
{
	if (l == 1 ||
	    (l == 2 && (c->e[2] & MMU_PS) && (c->mode != MMU_2L || c->pse)))
		return FRAME;
	return (ulong)tables[l - 1];
}

static void probe_cpu(void)
{
	struct cpuid r = cpuid(0, 0);
	u32 max = r.a;

	if (cpuid(1, 0).d & (1u << 3))
		have |= NEED_PSE;
	if (max >= 7) {
		r = cpuid(7, 0);
		if (r.b & (1u << 7))
			have |= NEED_SMEP;
		if (r.b & (1u << 20))
			have |= NEED_SMAP;
	}
	maxphy = 36;
	if (cpuid(0x80000000, 0).a >= 0x80000008)
		maxphy = cpuid(0x80000008, 0).a & 0xff;
	if (cpuid(0x80000000, 0).a >= 0x80000001 &&
	    (cpuid(0x80000001, 0).d & (1u << 20)))
		have |= NEED_NX;
	if (maxphy < 52)
		have |= NEED_RSVD51;
}

static void build_env(enum pg_mode mode)
{
	void *e;

	pg_identity(&env, mode, ENV_BYTES, PT_RW);
	e = pg_entry(&env, (ulong)mmu_user_page, 1, false);
	pg_write(&env, e, pg_read(&env, e) | PT_US);
	/* the test address gets tables of its own at every level */
	tables[pg_levels(mode)] = (void *)(ulong)env.root;
	for (int l = pg_levels(mode) - 1; l >= 1; l--)
		tables[l] = alloc_page();
}

static const char *const stubs[2][4] = {
	{mmu_sup_read, mmu_sup_write, mmu_sup_fetch, mmu_sup_rw},
	{mmu_user_read, mmu_user_write, mmu_user_fetch, mmu_user_rw},
};

/* The skip reason names what is missing, not the list of what might be. */
static const char *missing_feature(unsigned lack)
{
	if (lack & NEED_NX)
		return "the CPU lacks NX (EFER.NXE cannot be set)";
	if (lack & NEED_SMEP)
		return "the CPU lacks SMEP";
	if (lack & NEED_SMAP)
		return "the CPU lacks SMAP";
	if (lack & NEED_PSE)
		return "the CPU lacks PSE";
	return "MAXPHYADDR is 52: bit 51 of an entry is not reserved";
}

static void run_case(const struct access_record *rec)
{
	struct mmu_case c = rec->c;
	struct mmu_result r;
	struct fault f;
	ulong cr0 = read_cr0(), cr4 = read_cr4(), fl = read_flags();
	u64 seen[5] = {0}, written[5] = {0};
	int top = mmu_levels(c.mode);
	ulong want_cr2;
	u8 *frame = (u8 *)FRAME;
	bool ok;

	if (rec->need & ~have) {
		report_skipped(rec->id, "%s",
			       missing_feature(rec->need & ~have));
		return;
	}
	c.maxphy = maxphy;
	mmu_model(&c, &r);

	frame[0] = 0x0f; /* ud2 */
	frame[1] = 0x0b;
	for (int l = top; l >= 1; l--) {
		written[l] = c.e[l] | target_of(&c, l);
		pg_write(&env, entry_at(l), written[l]);
	}
	if (have & NEED_NX) {
		u64 efer = rdmsr(MSR_EFER);

		wrmsr(MSR_EFER, c.nxe ? efer | EFER_NXE : efer & ~EFER_NXE);
	}
	write_cr0(c.wp ? cr0 | X86_CR0_WP : cr0 & ~X86_CR0_WP);
	write_cr4((cr4 & ~(X86_CR4_SMEP | X86_CR4_SMAP | X86_CR4_PSE)) |
		  (c.smep ? X86_CR4_SMEP : 0) | (c.smap ? X86_CR4_SMAP : 0) |
		  (c.pse || c.mode != MMU_2L ? X86_CR4_PSE : 0));
	write_cr3(env.root); /* flushes the TLB and PAE's PDPTE registers */
	write_cr2(0);
	if (c.cpl == 3) {
		run_at_cpl(3, (void (*)(void *))stubs[1][c.access], NULL, &f);
	} else {
		write_flags(c.ac ? fl | X86_EFLAGS_AC : fl & ~X86_EFLAGS_AC);
		try_call((void (*)(void *))stubs[0][c.access], NULL, &f);
	}
	write_flags(fl);
	write_cr4(cr4);
	write_cr0(cr0);
	for (int l = top; l >= 1; l--)
		seen[l] = pg_read(&env, entry_at(l)) & ~target_of(&c, l);

	want_cr2 = c.access == MMU_FETCH ? TEST_VA : TEST_VA + 8;
	if (r.fault) {
		ok = f.vector == PF_VECTOR && f.error == r.error &&
		     f.cr2 == want_cr2;
	} else {
		ok = f.vector == UD_VECTOR &&
		     (c.access != MMU_FETCH || f.ip == TEST_VA);
	}
	if (c.mode == MMU_PAE) {
		/* the PDPTE is checked once per image (below), so that one
		 * deviation does not hide every other result */
		pdpte_written += seen[3] != r.after[3];
		seen[3] = r.after[3];
	}
	ok = ok && mmu_ad_ok(&c, &r, seen);
	if (ok) {
		report_result(rec->id, true, "ok");
		return;
	}
	report_result(
		rec->id, false,
		"expected %s error %#x CR2 %#lx, entries (top first) "
		"%#llx %#llx %#llx %#llx may-differ %#llx %#llx %#llx; "
		"saw %s error %#lx CR2 %#lx IP %#lx, entries %#llx %#llx "
		"%#llx %#llx",
		r.fault ? "#PF" : "completion (#UD)", r.error,
		r.fault ? want_cr2 : 0ul, (unsigned long long)r.after[4],
		(unsigned long long)r.after[3], (unsigned long long)r.after[2],
		(unsigned long long)r.after[1],
		(unsigned long long)(r.may[4] | r.may[3]),
		(unsigned long long)r.may[2], (unsigned long long)r.may[1],
		vector_name(f.vector), f.error, f.cr2, f.ip,
		(unsigned long long)seen[4], (unsigned long long)seen[3],
		(unsigned long long)seen[2], (unsigned long long)seen[1]);
}

void probe_main(void)
{
	struct pgtable *boot = pg_current();
	u64 efer = 0;

	probe_cpu();
	if (have & NEED_NX)
		efer = rdmsr(MSR_EFER);
#ifdef __x86_64__
	build_env(PG_4LEVEL);
#else
	build_env(access_records[0].c.mode == MMU_PAE ? PG_PAE : PG_2LEVEL);
#endif
	pg_enable(&env);
	for (unsigned i = 0; i < access_record_count; i++)
		run_case(&access_records[i]);
	if (have & NEED_NX)
		wrmsr(MSR_EFER, efer);
#ifdef ACCESS_PAE
	report("mmu.access.pae.pdpte-untouched",
	       "no access sets a flag in a PAE PDPTE: bits 8:5 are reserved "
	       "and the PDPTEs are loaded into registers at MOV CR3, not "
	       "written back (SDM 4.4.1, Table 4-8)",
	       pdpte_written == 0, "a PDPTE changed in %u of %u cases",
	       pdpte_written, access_record_count);
#endif
	if (boot)
		pg_enable(boot);
	else
		pg_disable();
}
