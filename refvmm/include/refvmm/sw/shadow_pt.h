/*
 * Shadow paging for the software monitor: shadow page tables as a cache
 * of the guest's (docs/refvmm-trap.md, "Shadow paging"). The guest owns
 * linear [0, SW_WINDOW_BASE); a guest linear page the host can reach is
 * an mmap of the guest-RAM memfd at that linear address, made on demand:
 *
 *   hidden fault  no mapping yet, the guest's entries allow the access:
 *                 map it and resume, invisible to the guest;
 *   true fault    the guest's entries forbid it: a #PF for the guest;
 *   trace fault   a write to a page that holds a guest page table (all
 *                 its aliases are mapped read-only): the write is
 *                 applied and the mappings that used the changed
 *                 entries are dropped, or filled again at once from the
 *                 new entries (an eager fill, below).
 *
 * The cache is for one guest privilege class at a time (supervisor or
 * user, SDM Vol. 3A 4.6): entering CPL 3 drops or narrows the mappings
 * of supervisor-only pages, in as few range calls as the layout allows,
 * except above the privilege split (shadow_class.h) where the monitor
 * keeps user code out by segment limits instead.
 * A page is mapped writable only once its guest D bit is set (4.8), so
 * the first write to a clean page comes back to set it.
 *
 * An eager fill maps a page ahead of the access the guest is about to
 * make, so that it takes no hidden fault: after a write to a PTE (found
 * through the mappings that used it, or through the linear range its
 * table was last walked for) and at INVLPG. It walks as a read in the
 * class mapped now, so it sets A bits as the processor's own walk would
 * and never D (see shadow_pt.c).
 *
 * The number of mappings is bounded (each is a VMA and Linux caps them:
 * vm.max_map_count); a full cache is flushed and counted as an eviction.
 */
#ifndef REFVMM_SW_SHADOW_PT_H
#define REFVMM_SW_SHADOW_PT_H

#include "refvmm/sw/guest_pt.h"
#include "refvmm/sw/shadow_hot.h"
#include "refvmm/types.h"

#define SHADOW_LO	0x1000u /* vm.mmap_min_addr: page 0 is emulated */
#define SHADOW_AC_PAGES 64	/* user pages one STAC..CLAC opens, tracked */
/* The live mappings are listed by 4 MiB linear range: one range per
 * top-level entry without PAE, 256 per PDPTE with it (shadow_pt.c). */
#define SHADOW_BUCKETS 1024u
/* Pages the shadow dropped but the host keeps PROT_NONE on their frame
 * (each is a host VMA of its own: bounded) */
#define SHADOW_KEPT_MAX 1024u
#define SHADOW_KEPT	0x80000000u

enum shadow_outcome {
	SPT_HIDDEN,   /* mapped (or widened); resume */
	SPT_TRUE,     /* guest #PF: error and cr2 filled */
	SPT_TRACE,    /* a write to a traced page: see shadow__trace_* */
	SPT_EMULATE,  /* not mappable (page 0, MMIO, window): emulate */
	SPT_SPURIOUS, /* already mapped as needed: just resume */
};

struct shadow_stats {
	u64 hidden, true_faults, trace, evictions, cr3_switches, priv_switches,
		priv_range_calls, invlpg, flushes, mapped, traced_pages,
		dirty_upgrades, eager_fills, invlpg_kept, split_kept,
		split_lifts, switch_kept, switch_rewalked, switch_dropped,
		refreshed, kept_unmaps, kept_remaps;
	/* Hidden faults by what they bring back (shadow_pt.c): a page
	 * never mapped, or one a CR3 switch, a page-table write, a
	 * privilege switch, an INVLPG or a flush took out; a mapping
	 * widened for a write that sets D, or for another right. Across
	 * those: the retried store of a true write fault whose handler left
	 * D clear (the store's second fault for one access). */
	u64 hidden_first, hidden_switch, hidden_pt_write, hidden_class,
		hidden_invlpg, hidden_flush, hidden_set_d, hidden_widen,
		hidden_retry_d;
	/* Pages whose frame keeps changing (shadow_hot.h): fills declined
	 * for one, hidden faults on one, ones cooled again. */
	u64 hot_declined, hidden_hot, hot_cooled;
};

/* One mapping the shadow keeps (shadow_pt.c): linear page lpn on guest
 * frame ppn, with the rights and D of the walk that made it. */
struct shadow_map {
	u32 lpn, ppn;
	u8 prot; /* what the host mapping allows now */
	bool rw, us, xd, dirty;
	u8 ndep;
	u32 live_pos;	  /* index in s->live */
	u32 bprev, bnext; /* its bucket's list: pool index + 1, 0 at an end */
	u32 pprev, pnext; /* its guest-physical page's list (s->phead), alike */
	bool plinked;
	/* Guest-physical addresses of the entries used; dep[0], the
	 * top-level entry, is read through dep_addr (a CR3 switch that
	 * keeps the mapping moves it to the new table without a visit). */
	u64 dep[3];
};
struct shadow_rmap;

struct shadow_pt {
	int memfd;
	u8 *ram;
	u64 ram_size;
	u32 budget;   /* mappings at most */
	u32 *slot_of; /* linear page -> pool index + 1 */
	/* guest-physical page -> its first mapping (pool index + 1); the
	 * others through shadow_map.pnext */
	u32 *phead;
	struct shadow_map *pool;
	u32 *free_list, nfree, used, fresh;
	u32 *live; /* pool indices in use, dense */
	/* Per 4 MiB linear range: the first of its mappings (pool index +
	 * 1, 0 if none) and how many it has. */
	u32 bucket_head[SHADOW_BUCKETS], bucket_n[SHADOW_BUCKETS];
	u64 bucket_map[SHADOW_BUCKETS / 64]; /* the ranges that have any */
	u32 *drop_buf; /* pages a pass unmaps, one call per run */
	/* Per linear page: what took its mapping out last (SHADOW_GONE_*
	 * in shadow_pt.c, 0 never mapped), and what takes them out now. */
	u8 *gone, why;
	u8 *traced;	    /* per guest-physical page */
	u32 *tlist, ntlist; /* the pages traced now (shadow_pt.c) */
	/* Per guest-physical page: entries of it the live mappings used
	 * below the top level (every live mapping used the current top
	 * table's entry for its range: the buckets count those). */
	u32 *depc;
	/* Per guest-physical page: the linear range it was last walked
	 * for as a leaf page table; valid in generation rmap_gen only (a
	 * flush starts a new one instead of clearing the array). */
	struct shadow_rmap *rmap;
	u32 rmap_gen;
	/* The linear page of the last true fault, 0 if none: the page the
	 * guest's #PF handler is about to map for a retried access. */
	u32 pending_lpn;
	bool pending_write;
	/* Binary translation's adapted callouts can reach a page the host
	 * does not map: pages whose frame keeps changing are left unmapped
	 * (shadow_hot.h), followed by the clock of page-table writes. */
	bool hot_policy;
	struct shadow_hot hot;
	u64 pt_clock;
	bool user; /* the privilege class mapped now */
	/* Supervisor class with SMAP and EFLAGS.AC = 1: user pages are open
	 * to explicit supervisor accesses (SDM Vol. 3A 4.6.1). The user
	 * pages opened that way, closed again when AC goes back to 0. */
	bool ac_open;
	u32 nexposed;
	u32 exposed[SHADOW_AC_PAGES];
	bool paging; /* CR0.PG: else identity, mapped at once */
	/* The monitor cuts every segment user code can use at the split
	 * (binary translation: no native segment load, no host selector):
	 * set_user may keep supervisor mappings above it. */
	bool split_ok;
	/* At CPL 3: supervisor mappings at or above it are kept as they
	 * are; SW_WINDOW_BASE when none are (supervisor class, lifted). */
	u32 split;
	/* One past the highest user page mapped so far (it only grows). */
	u64 user_top;
	bool identity_mapped;
	/* Paging on: unmapped pages of the window are one PROT_NONE
	 * reservation, not a gap (shadow_pt.c, unmap_pages). */
	bool reserved;
	/* Per linear page: the guest frame the host maps there (+ 1; 0 the
	 * reservation), with SHADOW_KEPT while the shadow has no mapping
	 * (a page left PROT_NONE on its frame, so that mapping it again on
	 * the same frame is one mprotect), valid while host_gen holds
	 * host_gen_cur (a flush, which reserves the whole window, starts a
	 * new one: shadow_host_ppn); the kept pages, oldest first from
	 * kept_next, at most SHADOW_KEPT_MAX (shadow_pt.c, unmap_pages). */
	u32 *host_ppn;
	u16 *host_gen, host_gen_cur;
	u32 kept[SHADOW_KEPT_MAX], nkept, kept_next;
	u16 *kept_at; /* per linear page: its latest slot in kept, + 1 */
	/* Guest code runs natively on these pages (trap mode): they are
	 * mapped executable. Binary translation never executes them. */
	bool native_exec;
	/* Linear pages never executable even then, [noexec_lo, noexec_hi):
	 * where Linux's compat SYSENTER returns (traps.h), so that a return
	 * there faults and is seen, never runs guest memory. */
	u32 noexec_lo, noexec_hi;
	struct gpt_ctl ctl;
	struct shadow_stats st;
	/* A trace write in progress (shadow__trace_begin/end). */
	u32 trace_lpn;
	u8 snapshot[4096];
	char err[160]; /* the last host call that failed */
	/* Told when guest translations may have changed: @ppn is the
	 * page-table page whose entries changed, @changed one flag per
	 * entry of @esz bytes saying which; or SHADOW_ALL (a flush, and
	 * @changed NULL). Binary translation keys its cache on them
	 * (refvmm/bt/paging.c). */
	void (*on_change)(void *ctx, u64 ppn, const u8 *changed, u32 esz);
	void *change_ctx;
};

/* The mapping of linear page @lpn, or NULL. */
static inline struct shadow_map *shadow_map_of(const struct shadow_pt *s,
					       u32 lpn)
{
	u32 i = s->slot_of[lpn];

	return i ? &s->pool[i - 1] : NULL;
}

/* The 32-bit entry at guest-physical @addr, 0 (not present) outside
 * RAM, as the walks read it (guest_pt.c entry_read). */
static inline u32 shadow_ram_u32(const struct shadow_pt *s, u64 addr)
{
	if (addr + 4 > s->ram_size)
		return 0;
	return *(const volatile u32 *)(const void *)(s->ram + addr);
}

/* What shadow_quiet_walk found. */
enum shadow_quiet_walk {
	SHADOW_WALK_NONE,    /* no present entry: the fill walk fails */
	SHADOW_WALK_PRESENT, /* a 4 KiB page the fill walk would map */
	SHADOW_WALK_UNSURE,  /* a case it does not restate */
};

/*
 * The fill walk of linear page @lpn (shadow_pt.c fill_walk: a read in
 * the supervisor class, A and D neither needed nor set), restated for
 * 32-bit tables without a call, for callers inside the binary
 * translator's fast handler; they check CR4.PAE and the class. The
 * entries used go to *@pde and *@pte (0 where none was read); the entry
 * at guest-physical @at reads as @v (a store about to be made; ~0ull
 * for none). UNSURE: a 4 MiB page, a user page under SMAP (AC decides),
 * a frame outside RAM.
 */
static inline enum shadow_quiet_walk
shadow_quiet_walk(const struct shadow_pt *s, u32 lpn, u64 at, u32 v, u32 *pde,
		  u32 *pte)
{
	u64 e;

	*pte = 0;
	*pde = shadow_ram_u32(s, (u64)(s->ctl.cr3 & ~0xfffu) +
					 (u64)(lpn >> 10) * 4);
	if (!(*pde & GPT_P))
		return SHADOW_WALK_NONE;
	if (*pde & GPT_PS)
		return SHADOW_WALK_UNSURE;
	e = (u64)(*pde & ~0xfffu) + (u64)(lpn & 0x3ff) * 4;
	*pte = e == at ? v : shadow_ram_u32(s, e);
	if (!(*pte & GPT_P))
		return SHADOW_WALK_NONE;
	if (((*pde & *pte & GPT_US) && (s->ctl.cr4 & CR4_SMAP)) ||
	    ((u64)(*pte >> 12) + 1) << 12 > s->ram_size)
		return SHADOW_WALK_UNSURE;
	return SHADOW_WALK_PRESENT;
}

/*
 * A store of @v to the 4-byte entry at guest-physical @phys of a traced
 * page table, made here with what shadow__phys_written would then do,
 * when that is only bookkeeping: no mapping to drop, no page to map
 * (shadow_pt_store.c says when). False, with nothing changed, when the
 * caller must store through the full path. General registers only and
 * no call: the binary translator's fast handler calls it. The caller
 * answers for the translation cache (on_change): no code walk used the
 * table.
 */
bool shadow__quiet_pt_store(struct shadow_pt *s, u64 phys, u32 v);

/* What the host maps at linear page @lpn (shadow_pt.host_ppn). */
static inline u32 shadow_host_ppn(const struct shadow_pt *s, u32 lpn)
{
	return s->host_gen[lpn] == s->host_gen_cur ? s->host_ppn[lpn] : 0;
}

/* The first and last entry on_change's @changed flags (0 or 1 each, of
 * @n entries): false when none is. A guest store changes one entry or
 * two, so a pass over the flags goes from the one to the other. */
bool shadow__changed_range(const u8 *changed, u32 n, u32 *first, u32 *last);

#define SHADOW_ALL (~0ull)
/* on_change's @ppn after a CR3 write with the format unchanged: the
 * tables only dropped mappings used went stale, as at SHADOW_ALL, but a
 * listener may compare the old and the new top-level table first. */
#define SHADOW_SWITCH (~1ull)

/* @native_exec: see struct shadow_pt. */
int shadow__init(struct shadow_pt *s, int memfd, u8 *ram, u64 ram_size,
		 u32 budget, bool native_exec);
void shadow__destroy(struct shadow_pt *s);

/*
 * The guest's paging controls changed (MOV CR0/CR3/CR4, WRMSR EFER):
 * drops what the change invalidates; @cr3_write counts a CR3 switch.
 */
int shadow__set_ctl(struct shadow_pt *s, const struct gpt_ctl *ctl,
		    bool cr3_write);
/* The privilege class the guest runs in next (CPL 3 or not). With
 * split_ok, s->split is then where its segments must end. */
int shadow__set_user(struct shadow_pt *s, bool user);
/* A CPL-3 access stopped at the split (or the segments could not be cut
 * there): the rest of this user period runs without a split, its
 * supervisor mappings re-protected as without one. */
int shadow__split_lift(struct shadow_pt *s);
/* Whether supervisor code runs with SMAP suspended (CPL < 3, AC = 1):
 * closing again revokes the user pages opened meanwhile. */
int shadow__set_ac(struct shadow_pt *s, bool open);
/* A host page fault at @lin: host error code @herr (P, W, I bits). */
enum shadow_outcome shadow__fault(struct shadow_pt *s, u32 lin, u32 herr,
				  bool ac, u32 *pf_error);
/* INVLPG (SDM Vol. 2A): bring what maps @lin in line with the guest's
 * entries now (keep, refill or drop). */
void shadow__invlpg(struct shadow_pt *s, u32 lin);
/* An adapted callout accessed @lin, which the host does not map: true
 * when that cooled a page whose frame kept changing and mapped it again
 * (shadow_hot.h), so that the instruction's next access needs no
 * callout. */
bool shadow__hot_touch(struct shadow_pt *s, u32 lin);
/* Drops every mapping (eviction, CR3, paging on/off). */
int shadow__flush(struct shadow_pt *s);

/*
 * A trace write: begin opens the page at @lin for one guest instruction
 * (the caller single-steps it); end closes it again and drops the
 * mappings whose entries the instruction changed.
 */
int shadow__trace_begin(struct shadow_pt *s, u32 lin);
int shadow__trace_end(struct shadow_pt *s);
bool shadow__tracing(const struct shadow_pt *s);

/* The monitor wrote guest-physical [phys, phys+len): keep coherence. */
void shadow__phys_written(struct shadow_pt *s, u64 phys, u32 len);

/* Traces guest-physical page @ppn from now on (its aliases read-only):
 * page tables a translator read, or pages holding translated code. */
int shadow__trace_phys(struct shadow_pt *s, u64 ppn);

/* Whether @lin is mapped now (tests and --trace). */
bool shadow__mapped(const struct shadow_pt *s, u32 lin, int *prot);

#endif
