/*
 * mmu.hidden: hidden-fault transparency. A shadow-paging monitor takes
 * faults the guest must never see (hidden faults: its cache of the guest
 * tables is cold) and must deliver the ones the guest tables require
 * (true faults). Whatever it caches, the guest sees the architecture:
 * first touch of many pages, touches after INVLPG and CR3 reloads, after
 * CR0.WP changes, and one frame mapped at several addresses with different
 * rights (SDM Vol. 3A 4.6, 4.7, 4.10.4). Where the SDM allows either
 * outcome (a stale, more restrictive translation after rights were raised
 * without INVLPG, 4.10.4.3) the check accepts both and says so.
 */
#include "mmu_common.h"

#define ID(s) "mmu.hidden." MMU_MODE_ID "." s

POPEK_IMAGE(0, 0);

#define NPAGES 256

static void first_touch(struct pgtable *pt)
{
	unsigned bad_read = 0, bad_write = 0, bad_ad = 0, faults = 0;
	struct fault f;
	u32 v;

	for (unsigned i = 0; i < NPAGES; i++) {
		u32 *fr = alloc_page();

		fr[0] = 0x1000 + i;
		pg_map(pt, VA_BASE + i * PAGE_SIZE, (ulong)fr, PT_RW | PT_US);
	}
	for (unsigned i = 0; i < NPAGES; i++) {
		ulong va = VA_BASE + i * PAGE_SIZE;

		faults += mmu_read(i & 1 ? 3 : 0, va, &v, &f) != NO_FAULT;
		bad_read += v != 0x1000 + i;
		faults += mmu_write(i & 2 ? 3 : 0, va + 4, i, &f) != NO_FAULT;
	}
	for (unsigned i = 0; i < NPAGES; i++) {
		ulong va = VA_BASE + i * PAGE_SIZE;
		u64 pte = pg_get_pte(pt, va);
		u32 *fr = (u32 *)(ulong)(pte & 0xfffff000ul);

		bad_write += fr[1] != i;
		bad_ad += (pte & (PT_A | PT_D)) != (PT_A | PT_D);
	}
	report_eq(ID("first-touch.no-fault"),
		  "first reads and writes of 256 freshly mapped pages (CPL 0 "
		  "and 3) raise no fault: the monitor's misses stay hidden",
		  0, faults);
	report_eq(ID("first-touch.read"), "each first read sees its own frame",
		  0, bad_read);
	report_eq(ID("first-touch.write"),
		  "each first write lands in its own frame", 0, bad_write);
	report_eq(ID("first-touch.ad"),
		  "after a read and a write each PTE has A and D set (SDM "
		  "4.8)",
		  0, bad_ad);
}

static void unmap_checks(struct pgtable *pt)
{
	ulong va = VA_BASE + 3 * PAGE_SIZE;
	struct fault f;
	u32 v;

	mmu_read(0, va, &v, &f); /* warm any cache */
	pg_unmap(pt, va);
	mmu_read(0, va + 8, &v, &f);
	report_eq(ID("invlpg.not-present"),
		  "a page unmapped (P=0) and INVLPGed raises #PF(0) on the "
		  "next read: no cached translation hides the true fault",
		  PF_ERR(0), mmu_vec_err(&f));
	report_eq(ID("invlpg.cr2"), "CR2 is the faulting address", va + 8,
		  f.cr2);

	va = VA_BASE + 4 * PAGE_SIZE;
	mmu_write(3, va, 1, &f);
	pg_write(pt, pg_entry(pt, va, 1, false), 0);
	reload_cr3();
	mmu_write(3, va, 2, &f);
	report_eq(ID("cr3.not-present"),
		  "a page unmapped then flushed by a CR3 reload raises "
		  "#PF(W|U) on a CPL 3 write",
		  PF_ERR(PFERR_W | PFERR_U), mmu_vec_err(&f));

	/* a user page made supervisor-only */
	va = VA_BASE + 5 * PAGE_SIZE;
	mmu_read(3, va, &v, &f);
	pg_set_pte(pt, va, (pg_get_pte(pt, va) & ~PT_US));
	mmu_read(3, va, &v, &f);
	report_eq(ID("invlpg.user-to-sup"),
		  "a page made supervisor-only (INVLPG) raises #PF(P|U) on a "
		  "CPL 3 read",
		  PF_ERR(PFERR_P | PFERR_U), mmu_vec_err(&f));
}

/* Rights raised without INVLPG: a stale fault is allowed once. */
static void raise_checks(struct pgtable *pt)
{
	ulong va = VA_BASE + 6 * PAGE_SIZE;
	u32 *fr = mmu_frame(0x600d);
	struct fault f;
	u32 v;
	int vec;

	pg_map(pt, va, (ulong)fr, PT_US); /* read-only */
	mmu_write(3, va, 7, &f);
	report_eq(ID("raise.ro-fault"),
		  "a CPL 3 write to a read-only page raises #PF(P|W|U)",
		  PF_ERR(PFERR_P | PFERR_W | PFERR_U), mmu_vec_err(&f));
	pg_write(pt, pg_entry(pt, va, 1, false),
		 (ulong)fr | PT_P | PT_RW | PT_US);
	vec = mmu_write(3, va, 8, &f);
	report(ID("raise.no-invlpg"),
	       "a write after R/W was raised without INVLPG either completes "
	       "or raises #PF(P|W|U) from a stale entry: both allowed (SDM "
	       "4.10.4.3)",
	       vec == NO_FAULT ||
		       mmu_vec_err(&f) == PF_ERR(PFERR_P | PFERR_W | PFERR_U),
	       "saw %s error %#lx", vector_name(vec), f.error);
	vec = mmu_write(3, va, 9, &f);
	report(ID("raise.retry"),
	       "the write retried completes: a #PF invalidates the entries "
	       "for its address (SDM 4.10.4.1)",
	       vec == NO_FAULT && fr[0] == 9, "saw %s, frame %#x",
	       vector_name(vec), fr[0]);

	va = VA_BASE + 7 * PAGE_SIZE;
	pg_unmap(pt, va);
	mmu_read(0, va, &v, &f);
	pg_write(pt, pg_entry(pt, va, 1, false),
		 (ulong)fr | PT_P | PT_RW | PT_US);
	vec = mmu_read(0, va, &v, &f);
	report(ID("present.no-invlpg"),
	       "a read after P went 0 -> 1 without INVLPG either sees the "
	       "frame or raises #PF(0): both allowed (SDM 4.10.4.3)",
	       (vec == NO_FAULT && v == 9) || mmu_vec_err(&f) == PF_ERR(0),
	       "saw %s, value %#x", vector_name(vec), v);
	vec = mmu_read(0, va, &v, &f);
	report(ID("present.retry"), "the read retried sees the frame",
	       vec == NO_FAULT && v == 9, "saw %s, value %#x", vector_name(vec),
	       v);
}

static void wp_checks(struct pgtable *pt)
{
	ulong va = VA_BASE + 8 * PAGE_SIZE;
	u32 *fr = mmu_frame(0);
	ulong cr0 = read_cr0();
	struct fault f;

	pg_map(pt, va, (ulong)fr, 0); /* supervisor, read-only */
	write_cr0(cr0 | X86_CR0_WP);
	mmu_write(0, va, 1, &f);
	report_eq(ID("wp.1-fault"),
		  "CR0.WP=1: a CPL 0 write to a read-only page raises "
		  "#PF(P|W)",
		  PF_ERR(PFERR_P | PFERR_W), mmu_vec_err(&f));
	write_cr0(cr0 & ~X86_CR0_WP);
	mmu_write(0, va, 2, &f);
	report_eq(ID("wp.0-write"),
		  "after CR0.WP is cleared the same write completes (no "
		  "INVLPG needed: rights are checked with the current WP)",
		  NO_FAULT_ERR, mmu_vec_err(&f));
	report_eq(ID("wp.0-data"), "and reaches the frame", 2, fr[0]);
	report_eq(ID("wp.0-dirty"), "and sets D in the PTE", PT_D,
		  pg_get_pte(pt, va) & PT_D);
	write_cr0(cr0 | X86_CR0_WP);
	mmu_write(0, va, 3, &f);
	report_eq(ID("wp.1-again"),
		  "CR0.WP set again: the write faults again (a monitor that "
		  "made the page writable for WP=0 must take it back)",
		  PF_ERR(PFERR_P | PFERR_W), mmu_vec_err(&f));
	report_eq(ID("wp.1-again-data"), "and the frame is unchanged", 2,
		  fr[0]);
	write_cr0(cr0);
}

/* One frame at three addresses with different rights. */
static void alias_checks(struct pgtable *pt)
{
	ulong rw = VA_BASE + 16 * PAGE_SIZE, ro = rw + PAGE_SIZE,
	      sup = rw + 2 * PAGE_SIZE;
	u32 *fr = mmu_frame(0);
	struct fault f;
	u32 v;

	pg_map(pt, rw, (ulong)fr, PT_RW | PT_US);
	pg_map(pt, ro, (ulong)fr, PT_US);
	pg_map(pt, sup, (ulong)fr, PT_RW);
	mmu_read(3, ro, &v, &f);
	mmu_write(3, rw, 0xa11a5, &f);
	report_eq(ID("alias.rw-write"),
		  "CPL 3 write through the read-write alias completes",
		  NO_FAULT_ERR, mmu_vec_err(&f));
	mmu_read(3, ro, &v, &f);
	report_eq(ID("alias.ro-read"),
		  "the read-only alias (read before the write) now reads the "
		  "new value",
		  0xa11a5, v);
	mmu_write(3, ro, 1, &f);
	report_eq(ID("alias.ro-write"),
		  "a CPL 3 write through the read-only alias raises "
		  "#PF(P|W|U), although the frame is writable elsewhere",
		  PF_ERR(PFERR_P | PFERR_W | PFERR_U), mmu_vec_err(&f));
	mmu_read(3, sup, &v, &f);
	report_eq(ID("alias.sup-user-read"),
		  "a CPL 3 read through the supervisor alias raises #PF(P|U)",
		  PF_ERR(PFERR_P | PFERR_U), mmu_vec_err(&f));
	mmu_read(0, sup, &v, &f);
	report_eq(ID("alias.sup-read"),
		  "a CPL 0 read through the supervisor alias sees the value",
		  0xa11a5, v);
	report_eq(ID("alias.dirty"),
		  "D is set only in the PTE written through (rw alias: D=1, "
		  "read-only alias: D=0)",
		  PT_D,
		  (pg_get_pte(pt, rw) & PT_D) | (pg_get_pte(pt, ro) & PT_D)
							<< 1);
	pg_unmap(pt, rw);
	mmu_write(3, rw, 2, &f);
	u64 gone = mmu_vec_err(&f);
	mmu_read(0, sup, &v, &f);
	report(ID("alias.unmap-one"),
	       "unmapping one alias faults it (#PF(W|U)) and leaves the "
	       "others",
	       gone == PF_ERR(PFERR_W | PFERR_U) &&
		       mmu_vec_err(&f) == NO_FAULT_ERR && v == 0xa11a5,
	       "saw %#llx then %s, value %#x", (unsigned long long)gone,
	       vector_name(f.vector), v);
}

void probe_main(void)
{
	struct pgtable *boot = pg_current(), pt;

	mmu_env_init(&pt);
	first_touch(&pt);
	unmap_checks(&pt);
	raise_checks(&pt);
	wp_checks(&pt);
	alias_checks(&pt);
	if (boot)
		pg_enable(boot);
	else
		pg_disable();
}
