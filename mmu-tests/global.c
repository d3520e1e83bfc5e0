/*
 * mmu.global: global pages (CR4.PGE, the G flag) and PCIDs (CR4.PCIDE)
 * in 4-level paging: which flushes must drop which translations (SDM
 * Vol. 3A 4.10.4.1), and which may keep them (a stale translation is
 * allowed, never required: those checks accept both and say so).
 */
#include "mmu_common.h"

POPEK_IMAGE(POPEK_FEAT_PGE, 0);

#define VA	    (VA_BASE + 0x3000)
#define CR4_PCIDE   (1ul << 17)
#define CR3_NOFLUSH (1ull << 63)

static u32 peek(void)
{
	struct fault f;
	u32 v;

	mmu_read(0, VA, &v, &f);
	return v;
}

static void set_pte_noflush(struct pgtable *pt, u32 *frame, u64 flags)
{
	pg_write(pt, pg_entry(pt, VA, 1, false),
		 (ulong)frame | PT_P | PT_RW | flags);
}

static void global_checks(struct pgtable *pt)
{
	u32 *f1 = mmu_frame(0x61), *f2 = mmu_frame(0x62), *f3 = mmu_frame(0x63);
	ulong cr4 = read_cr4();
	u32 v;

	write_cr4(cr4 | X86_CR4_PGE);
	pg_map(pt, VA, (ulong)f1, PT_RW | PT_G);
	peek();
	set_pte_noflush(pt, f2, PT_G);
	reload_cr3();
	v = peek();
	report("mmu.global.cr3-may-keep",
	       "a global page changed without INVLPG, then CR3 reloaded: the "
	       "old (global) translation or the new one, both allowed (SDM "
	       "4.10.4.1: MOV CR3 keeps global entries)",
	       v == 0x61 || v == 0x62, "saw %#x", v);
	invlpg((void *)VA);
	report_eq("mmu.global.invlpg",
		  "INVLPG drops a global translation (SDM 4.10.4.1)", 0x62,
		  peek());
	set_pte_noflush(pt, f3, PT_G);
	write_cr4(cr4 & ~X86_CR4_PGE);
	write_cr4(cr4 | X86_CR4_PGE);
	report_eq("mmu.global.pge-toggle",
		  "clearing and setting CR4.PGE drops global translations "
		  "(SDM 4.10.4.1)",
		  0x63, peek());
	/* A TLB entry keeps the G it was cached with (SDM 4.10.2.2): the
	 * global one for f3 may outlive MOV CR3 even after the PTE drops G,
	 * so cache a non-global entry first. Found on Bochs;
	 * docs/findings.md. */
	set_pte_noflush(pt, f1, 0); /* G=0 now */
	invlpg((void *)VA);
	peek();
	set_pte_noflush(pt, f2, 0);
	reload_cr3();
	report_eq("mmu.global.non-global-cr3",
		  "a non-global page changed, then CR3 reloaded: the new "
		  "frame is used",
		  0x62, peek());
	pg_unmap(pt, VA);
	write_cr4(cr4);
}

static void pcid_checks(struct pgtable *pt)
{
	u32 *f1 = mmu_frame(0x71), *f2 = mmu_frame(0x72), *f3 = mmu_frame(0x73);
	ulong cr4 = read_cr4();
	u64 root = pt->root;
	u32 v;

	if (!(cpuid(1, 0).c & (1u << 17))) {
		report_skip("mmu.global.pcid.other-pcid",
			    "PCID 1 cached the old frame; PCID 2 (CR3[63]=0) "
			    "uses the new one (SDM 4.10.1)",
			    "no PCID (CPUID.1:ECX[17])");
		report_skip("mmu.global.pcid.noflush-may-keep",
			    "back to PCID 1 with CR3[63]=1: its old "
			    "translation or the new one, both allowed (SDM "
			    "4.10.4.1)",
			    "no PCID (CPUID.1:ECX[17])");
		report_skip("mmu.global.pcid.flush",
			    "PCID 1 loaded with CR3[63]=0: the new frame (SDM "
			    "4.10.4.1)",
			    "no PCID (CPUID.1:ECX[17])");
		report_skip("mmu.global.pcid.invlpg-current",
			    "INVLPG under PCID 1 drops its translation",
			    "no PCID (CPUID.1:ECX[17])");
		return;
	}
	write_cr4(cr4 | CR4_PCIDE);
	pg_map(pt, VA, (ulong)f1, PT_RW);
	write_cr3(root | 1); /* PCID 1, flushed */
	peek();
	set_pte_noflush(pt, f2, 0);
	write_cr3(root | 2);
	report_eq("mmu.global.pcid.other-pcid",
		  "PCID 1 cached the old frame; PCID 2 (CR3[63]=0) uses the "
		  "new one (SDM 4.10.1)",
		  0x72, peek());
	write_cr3(root | 1 | CR3_NOFLUSH);
	v = peek();
	report("mmu.global.pcid.noflush-may-keep",
	       "back to PCID 1 with CR3[63]=1: its old translation or the "
	       "new one, both allowed (SDM 4.10.4.1)",
	       v == 0x71 || v == 0x72, "saw %#x", v);
	write_cr3(root | 1);
	report_eq("mmu.global.pcid.flush",
		  "PCID 1 loaded with CR3[63]=0: the new frame (SDM "
		  "4.10.4.1)",
		  0x72, peek());
	set_pte_noflush(pt, f3, 0);
	invlpg((void *)VA);
	report_eq("mmu.global.pcid.invlpg-current",
		  "INVLPG under PCID 1 drops its translation", 0x73, peek());
	write_cr3(root);
	write_cr4(cr4);
	pg_unmap(pt, VA);
}

void probe_main(void)
{
	struct pgtable *boot = pg_current(), pt;

	mmu_env_init(&pt);
	global_checks(&pt);
	pcid_checks(&pt);
	pg_enable(boot);
}
