/*
 * Shadow paging (shadow_pt.h). The shadow is a cache: dropping any part
 * of it is always correct, because a later access refills it from the
 * guest's tables through a hidden fault. What must never happen is a
 * mapping that allows more than the guest's tables do now: traces, the
 * privilege class and the D bit keep that true.
 *
 * An eager fill maps a page before any access to it, from a walk as a
 * read in the class mapped now. That is a translation cached for an
 * access that has not occurred, which a processor may do; before
 * caching one it sets the A bits of the entries used (SDM Vol. 3A
 * 4.10.2.3, 4.8), and so does the fill. D is set only by a write (4.8):
 * a clean page is filled read-only. A fill is made only where the guest
 * is about to use the page (a leaf entry changed to another frame or
 * left with A set, the page of the last true fault unless its retried
 * write must fault anyway to set D, INVLPG of an entry with A set),
 * never where the guest just cleared A: it reads A back to age its
 * pages.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "refvmm/sw/shadow_class.h"
#include "refvmm/sw/shadow_desc.h"
#include "refvmm/sw/shadow_pt.h"
#include "refvmm/sw/traps.h"
#include "shadow_pt_int.h"

#define NPAGES (1u << 20) /* linear pages in 4 GiB */
/* Eager fills one page-table write may make: a write that changes more
 * entries (a table zeroed or copied at once) drops the rest as before. */
#define EAGER_MAX 16
#define NO_PPN	  (~0u)

static bool mappable_ppn(const struct shadow_pt *s, u64 ppn)
{
	return (ppn + 1) << 12 <= s->ram_size;
}

static u32 entry_size(const struct shadow_pt *s)
{
	return gpt_pae(&s->ctl) ? 8 : 4;
}

/* Where the walk's first entry for linear 0 lies (4.3; 4.4.1: with
 * PAE, CR3 bits 31:5 locate the PDPT). */
static u64 top_table(const struct gpt_ctl *ctl)
{
	return gpt_pae(ctl) ? (ctl->cr3 & ~0x1fu) : (ctl->cr3 & ~0xfffu);
}

/* The top-level entry's index for @lpn: the PDE (4.3) or the PDPTE
 * (4.4.1). A bucket is one PDE's range, or a 256th of a PDPTE's. */
static u32 top_index(const struct shadow_pt *s, u32 lpn)
{
	return gpt_pae(&s->ctl) ? lpn >> 18 : lpn >> 10;
}

static u32 buckets_per_top(const struct shadow_pt *s)
{
	return gpt_pae(&s->ctl) ? 256 : 1;
}

static u32 bucket_of(u32 lpn)
{
	return lpn >> 10;
}

/* Every live mapping was made through, or kept for, the current top
 * table's entry for its range (switch_space). */
static u64 dep_addr(const struct shadow_pt *s, const struct shadow_map *m,
		    int d)
{
	if (d)
		return m->dep[d];
	return top_table(&s->ctl) + (u64)top_index(s, m->lpn) * entry_size(s);
}

/* Whether @lin lies where guest code never runs natively (noexec_lo). */
static bool noexec(const struct shadow_pt *s, u32 lin)
{
	return lin >= s->noexec_lo && lin < s->noexec_hi;
}

/* Host protection for a mapping in privilege class @user (4.6.1). */
static u8 prot_of(const struct shadow_pt *s, const struct shadow_map *m,
		  bool user)
{
	const struct gpt_ctl *ctl = &s->ctl;
	bool r, w, x;

	if (user) {
		r = m->us;
		w = r && m->rw;
		x = r && !m->xd;
	} else {
		/* SMAP: user pages are mapped for the supervisor only while
		 * AC = 1 (implicit supervisor accesses are the monitor's,
		 * never through these mappings). */
		r = !((ctl->cr4 & CR4_SMAP) && m->us && !s->ac_open);
		w = r && (m->rw || !(ctl->cr0 & CR0_WP));
		x = r && !m->xd && !((ctl->cr4 & CR4_SMEP) && m->us);
	}
	/* 4.8: a clean page stays read-only until its first write sets
	 * D; a traced page stays read-only for good. */
	if (!m->dirty || s->traced[m->ppn] == TRACED)
		w = false;
	if (noexec(s, m->lpn << 12))
		x = false;
	return (r ? PROT_READ : 0) | (w ? PROT_WRITE : 0) |
	       (x && s->native_exec ? PROT_EXEC : 0);
}

/* Above the split at CPL 3 a mapping stays as the supervisor has it:
 * no user access can form its address (shadow_class.h). */
static bool kept(const struct shadow_pt *s, const struct shadow_map *m)
{
	return s->user && m->lpn >= s->split >> 12;
}

static u8 prot_now(const struct shadow_pt *s, const struct shadow_map *m)
{
	return prot_of(s, m, s->user && !kept(s, m));
}

static void *lin_ptr(u32 lpn)
{
	return (void *)((uintptr_t)lpn << 12);
}

static int host_fail(struct shadow_pt *s, const char *what, u32 lpn)
{
	int e = errno;

	snprintf(s->err, sizeof(s->err), "%s at 0x%x: %s", what, lpn << 12,
		 strerror(e));
	return -e;
}

/* The identity map's share of the no-exec range, made read/write only. */
static int identity_noexec(struct shadow_pt *s, u64 top)
{
	u64 lo = s->noexec_lo > SHADOW_LO ? s->noexec_lo : SHADOW_LO;
	u64 hi = s->noexec_hi < top ? s->noexec_hi : top;

	if (!s->native_exec || lo >= hi)
		return 0;
	return mprotect(lin_ptr((u32)(lo >> 12)), hi - lo,
			PROT_READ | PROT_WRITE);
}

/* Marks @ppn traced; s->tlist lists the traced pages, so a CR3 switch
 * finds them without a pass over all of RAM. */
static void mark_traced(struct shadow_pt *s, u64 ppn)
{
	if (s->traced[ppn] == TRACED)
		return;
	s->traced[ppn] = TRACED;
	s->tlist[s->ntlist++] = (u32)ppn;
}

/* A writable alias of a stale page makes it a page to search again. */
static void note_writable(struct shadow_pt *s, const struct shadow_map *m,
			  u8 prot)
{
	if ((prot & PROT_WRITE) && s->traced[m->ppn] == TRACE_STALE)
		s->traced[m->ppn] = 0;
}

static int set_prot(struct shadow_pt *s, struct shadow_map *m, u8 prot)
{
	if (prot == m->prot)
		return 0;
	note_writable(s, m, prot);
	if (mprotect(lin_ptr(m->lpn), 4096, prot) < 0)
		return host_fail(s, "mprotect", m->lpn);
	m->prot = prot;
	return 0;
}

/* Counts @m's entries below the top level in s->depc, @by = 1, or takes
 * them out, -1. */
static void count_deps(struct shadow_pt *s, const struct shadow_map *m, int by)
{
	for (int d = 1; d < m->ndep; d++)
		if (mappable_ppn(s, m->dep[d] >> 12))
			s->depc[m->dep[d] >> 12] += (u32)by;
}

static struct shadow_map *map_at(const struct shadow_pt *s, u32 slot)
{
	return slot ? &s->pool[slot - 1] : NULL;
}

static void bucket_link(struct shadow_pt *s, struct shadow_map *m)
{
	u32 b = bucket_of(m->lpn), slot = (u32)(m - s->pool) + 1;

	m->bprev = 0;
	m->bnext = s->bucket_head[b];
	if (m->bnext)
		s->pool[m->bnext - 1].bprev = slot;
	s->bucket_head[b] = slot;
	if (!s->bucket_n[b]++)
		s->bucket_map[b / 64] |= 1ull << (b % 64);
}

/* The first bucket from @b on, before @end, that has mappings; @end if
 * none. */
static u32 next_bucket(const struct shadow_pt *s, u32 b, u32 end)
{
	while (b < end) {
		u64 w = s->bucket_map[b / 64] >> (b % 64);

		if (w) {
			b += (u32)__builtin_ctzll(w);
			return b < end ? b : end;
		}
		b = (b | 63) + 1;
	}
	return end;
}

static void bucket_unlink(struct shadow_pt *s, struct shadow_map *m)
{
	u32 b = bucket_of(m->lpn);

	if (m->bprev)
		s->pool[m->bprev - 1].bnext = m->bnext;
	else
		s->bucket_head[b] = m->bnext;
	if (m->bnext)
		s->pool[m->bnext - 1].bprev = m->bprev;
	if (!--s->bucket_n[b])
		s->bucket_map[b / 64] &= ~(1ull << (b % 64));
}

/* The mappings of one guest-physical page (a page about to be traced
 * has its writable aliases found without a pass over every mapping). */
static void ppn_link(struct shadow_pt *s, struct shadow_map *m)
{
	u32 idx = (u32)(m - s->pool) + 1, head;

	if (!mappable_ppn(s, m->ppn))
		return;
	head = s->phead[m->ppn];
	m->pprev = 0;
	m->pnext = head;
	if (head)
		s->pool[head - 1].pprev = idx;
	s->phead[m->ppn] = idx;
	m->plinked = true;
}

static void ppn_unlink(struct shadow_pt *s, struct shadow_map *m)
{
	if (!m->plinked)
		return;
	if (m->pprev)
		s->pool[m->pprev - 1].pnext = m->pnext;
	else
		s->phead[m->ppn] = m->pnext;
	if (m->pnext)
		s->pool[m->pnext - 1].pprev = m->pprev;
	m->plinked = false;
}

/* The live list keeps scans proportional to the mappings, not the
 * budget; removal swaps the last entry in, so scans that release go
 * from the end. The buckets keep the passes of CR3 and privilege
 * switches proportional to the ranges that change. */
static void release(struct shadow_pt *s, struct shadow_map *m)
{
	u32 idx = (u32)(m - s->pool), last;

	bucket_unlink(s, m);
	ppn_unlink(s, m);
	s->gone[m->lpn] = s->why;
	s->slot_of[m->lpn] = 0;
	count_deps(s, m, -1);
	m->ndep = 0;
	s->free_list[s->nfree++] = idx;
	last = s->live[--s->used];
	s->live[m->live_pos] = last;
	s->pool[last].live_pos = m->live_pos;
}

static int cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

static void set_host_ppn(struct shadow_pt *s, u32 lpn, u32 v)
{
	s->host_ppn[lpn] = v;
	s->host_gen[lpn] = s->host_gen_cur;
}

/*
 * Takes @n pages at @lpn out of the shadow. With paging on, the whole
 * window is held by one PROT_NONE reservation and a page leaves by
 * going back to it: a gap would let the host free the page tables that
 * served the page (a mapping alone in its 2 MiB or 1 GiB range), and
 * the next mapping there would allocate them again, which costs more
 * than the mapping itself. An access to the reservation faults as an
 * unmapped page does (not present). @forget: host_ppn says so (the
 * whole window's flush starts a new generation instead).
 */
static int reserve_range(struct shadow_pt *s, u32 lpn, u32 n, bool forget)
{
	for (u32 i = 0; forget && i < n; i++)
		set_host_ppn(s, lpn + i, 0);
	if (!s->reserved)
		return munmap(lin_ptr(lpn), (size_t)n << 12);
	return mmap(lin_ptr(lpn), (size_t)n << 12, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1,
		    0) == MAP_FAILED
		       ? -1
		       : 0;
}

/*
 * A run of up to SHADOW_KEPT_RUN pages, each mapped, leaves by one
 * mprotect(PROT_NONE) on their frames instead: the host call costs a
 * third of going back to the reservation (no VMA replaced), and a page
 * mapped again on the same frame (the retried store of a #PF handler's
 * page, a user page SMAP closed at a kernel entry, a PTE set back) is
 * one more mprotect instead of an mmap (map_walked). An access there
 * faults as at the reservation: the shadow decides from its own
 * mappings and the guest's tables, never from the host's error code. At
 * most SHADOW_KEPT_MAX pages are kept (each stays a VMA of its own): the
 * oldest goes back to the reservation, unless it was mapped again since.
 */
#define SHADOW_KEPT_RUN 64

static int note_kept(struct shadow_pt *s, u32 lpn)
{
	u32 slot, old;

	set_host_ppn(s, lpn, shadow_host_ppn(s, lpn) | SHADOW_KEPT);
	s->st.kept_unmaps++;
	if (s->nkept < SHADOW_KEPT_MAX) {
		slot = s->nkept++;
		s->kept[slot] = lpn;
		s->kept_at[lpn] = (u16)(slot + 1);
		return 0;
	}
	slot = s->kept_next;
	s->kept_next = (slot + 1) % SHADOW_KEPT_MAX;
	old = s->kept[slot];
	s->kept[slot] = lpn;
	s->kept_at[lpn] = (u16)(slot + 1);
	/* the oldest goes back to the reservation, unless it was mapped
	 * again since or is kept in a later slot */
	if (old == lpn || !(shadow_host_ppn(s, old) & SHADOW_KEPT) ||
	    s->kept_at[old] != slot + 1)
		return 0;
	s->kept_at[old] = 0;
	return reserve_range(s, old, 1, true);
}

static int unmap_pages(struct shadow_pt *s, u32 lpn, u32 n)
{
	bool keep = s->reserved && s->host_ppn && n <= SHADOW_KEPT_RUN;

	for (u32 i = 0; keep && i < n; i++) {
		u32 h = shadow_host_ppn(s, lpn + i);

		keep = h && !(h & SHADOW_KEPT);
	}
	if (!keep)
		return reserve_range(s, lpn, n, true);
	if (mprotect(lin_ptr(lpn), (size_t)n << 12, PROT_NONE) < 0)
		return -1;
	for (u32 i = 0; i < n; i++)
		if (note_kept(s, lpn + i) < 0)
			return -1;
	return 0;
}

/* Unmaps the pages in @lpns (sorted here), one call per run. */
static int unmap_runs(struct shadow_pt *s, u32 *lpns, u32 n, u64 *calls)
{
	u32 i = 0, j;

	qsort(lpns, n, sizeof(*lpns), cmp_u32);
	while (i < n) {
		for (j = i + 1; j < n && lpns[j] == lpns[j - 1] + 1; j++)
			;
		if (unmap_pages(s, lpns[i], j - i) < 0)
			return host_fail(s, "munmap", lpns[i]);
		if (calls)
			(*calls)++;
		i = j;
	}
	return 0;
}

int shadow__flush(struct shadow_pt *s)
{
	u32 i;

	s->st.flushes++;
	shadow_hot__clear(&s->hot);
	for (i = 0; i < s->used; i++) {
		struct shadow_map *m = &s->pool[s->live[i]];

		s->slot_of[m->lpn] = 0;
		s->gone[m->lpn] = GONE_FLUSH;
		m->ndep = 0;
	}
	for (i = 0; i < s->nkept; i++)
		s->kept_at[s->kept[i]] = 0;
	s->nkept = s->kept_next = 0;
	/* the whole window goes back to the reservation below: every
	 * host_ppn, also of pages released and not yet unmapped, is 0 */
	if (!++s->host_gen_cur) {
		memset(s->host_gen, 0, NPAGES * sizeof(*s->host_gen));
		s->host_gen_cur = 1;
	}
	s->used = 0;
	memset(s->phead, 0, ((s->ram_size >> 12) + 1) * sizeof(*s->phead));
	memset(s->bucket_head, 0, sizeof(s->bucket_head));
	memset(s->bucket_n, 0, sizeof(s->bucket_n));
	memset(s->bucket_map, 0, sizeof(s->bucket_map));
	s->nexposed = 0;
	s->nfree = 0; /* entries below fresh come back through free_list */
	s->fresh = 0;
	memset(s->traced, 0, s->ram_size >> 12);
	memset(s->depc, 0, (s->ram_size >> 12) * sizeof(*s->depc));
	s->ntlist = 0;
	s->rmap_gen++;
	s->pending_lpn = 0;
	s->trace_lpn = 0;
	s->reserved = s->paging;
	s->identity_mapped = false;
	if (reserve_range(s, SHADOW_LO >> 12,
			  (SW_WINDOW_BASE - SHADOW_LO) >> 12, false) < 0)
		return host_fail(s, "munmap", SHADOW_LO >> 12);
	if (!s->paging) {
		/* Paging off: linear == physical, every page reachable. */
		u64 top = s->ram_size < SW_WINDOW_BASE ? s->ram_size
						       : SW_WINDOW_BASE;
		void *p = mmap(lin_ptr(SHADOW_LO >> 12), top - SHADOW_LO,
			       PROT_READ | PROT_WRITE |
				       (s->native_exec ? PROT_EXEC : 0),
			       MAP_SHARED | MAP_FIXED, s->memfd, SHADOW_LO);

		if (p == MAP_FAILED)
			return host_fail(s, "mmap", SHADOW_LO >> 12);
		if (identity_noexec(s, top) < 0)
			return host_fail(s, "mprotect", s->noexec_lo >> 12);
		s->identity_mapped = true;
	}
	if (s->on_change)
		s->on_change(s->change_ctx, SHADOW_ALL, NULL, 0);
	return 0;
}

int shadow__init(struct shadow_pt *s, int memfd, u8 *ram, u64 ram_size,
		 u32 budget, bool native_exec)
{
	memset(s, 0, sizeof(*s));
	s->split = SW_WINDOW_BASE;
	s->memfd = memfd;
	s->native_exec = native_exec;
	if (native_exec &&
	    !traps__sysenter_landing_range(&s->noexec_lo, &s->noexec_hi))
		s->noexec_lo = s->noexec_hi = 0;
	s->ram = ram;
	s->ram_size = ram_size;
	s->budget = budget;
	s->slot_of = calloc(NPAGES, sizeof(*s->slot_of));
	s->host_ppn = calloc(NPAGES, sizeof(*s->host_ppn));
	s->host_gen = calloc(NPAGES, sizeof(*s->host_gen));
	s->kept_at = calloc(NPAGES, sizeof(*s->kept_at));
	s->gone = calloc(NPAGES, 1);
	s->pool = calloc(budget, sizeof(*s->pool));
	s->free_list = calloc(budget, sizeof(*s->free_list));
	s->live = calloc(budget, sizeof(*s->live));
	s->drop_buf = calloc(budget, sizeof(*s->drop_buf));
	s->traced = calloc((ram_size >> 12) + 1, 1);
	s->tlist = calloc((ram_size >> 12) + 1, sizeof(*s->tlist));
	s->depc = calloc((ram_size >> 12) + 1, sizeof(*s->depc));
	s->rmap = calloc((ram_size >> 12) + 1, sizeof(*s->rmap));
	s->phead = calloc((ram_size >> 12) + 1, sizeof(*s->phead));
	if (!s->slot_of || !s->host_ppn || !s->host_gen || !s->kept_at ||
	    !s->gone || !s->pool || !s->free_list || !s->traced || !s->live ||
	    !s->drop_buf || !s->rmap || !s->phead || !s->tlist || !s->depc) {
		shadow__destroy(s);
		snprintf(s->err, sizeof(s->err), "out of memory");
		return -ENOMEM;
	}
	return shadow__flush(s);
}

void shadow__destroy(struct shadow_pt *s)
{
	if (s->slot_of)
		munmap(lin_ptr(SHADOW_LO >> 12), SW_WINDOW_BASE - SHADOW_LO);
	free(s->slot_of);
	free(s->host_ppn);
	s->host_ppn = NULL;
	free(s->host_gen);
	s->host_gen = NULL;
	free(s->kept_at);
	s->kept_at = NULL;
	free(s->gone);
	s->gone = NULL;
	free(s->pool);
	free(s->free_list);
	free(s->live);
	free(s->drop_buf);
	s->drop_buf = NULL;
	free(s->traced);
	free(s->tlist);
	free(s->depc);
	s->tlist = NULL;
	s->depc = NULL;
	free(s->rmap);
	s->rmap = NULL;
	free(s->phead);
	s->phead = NULL;
	s->slot_of = NULL;
	s->pool = NULL;
	s->free_list = NULL;
	s->live = NULL;
	s->traced = NULL;
}

/* A page becomes a traced page-table page: its aliases go read-only. */
static int trace_page(struct shadow_pt *s, u64 ppn)
{
	u32 i;
	int r;

	if (!mappable_ppn(s, ppn) || s->traced[ppn] == TRACED)
		return 0;
	if (s->traced[ppn] == TRACE_STALE) {
		mark_traced(s, ppn);
		return 0;
	}
	mark_traced(s, ppn);
	s->st.traced_pages++;
	for (i = s->phead[ppn]; i; i = s->pool[i - 1].pnext) {
		struct shadow_map *m = &s->pool[i - 1];

		if (m->ndep && (m->prot & PROT_WRITE)) {
			r = set_prot(s, m, prot_now(s, m));
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int shadow__trace_phys(struct shadow_pt *s, u64 ppn)
{
	return trace_page(s, ppn);
}

static struct shadow_map *alloc_map(struct shadow_pt *s, u32 lpn)
{
	struct shadow_map *m;

	if (!s->nfree && s->fresh == s->budget) {
		s->st.evictions++;
		if (shadow__flush(s) < 0)
			return NULL;
	}
	m = &s->pool[s->nfree ? s->free_list[--s->nfree] : s->fresh++];
	memset(m, 0, sizeof(*m));
	m->lpn = lpn;
	s->slot_of[lpn] = (u32)(m - s->pool) + 1;
	m->live_pos = s->used;
	s->live[s->used++] = (u32)(m - s->pool);
	bucket_link(s, m);
	return m;
}

static void fill_from_walk(struct shadow_pt *s, struct shadow_map *m,
			   const struct gpt_walk *w)
{
	u64 end = ((u64)m->lpn + 1) << 12;

	if (w->us && end > s->user_top)
		s->user_top = end;
	ppn_unlink(s, m);
	m->ppn = (u32)(w->phys >> 12);
	ppn_link(s, m);
	m->rw = w->rw;
	m->us = w->us;
	m->xd = w->xd;
	m->dirty = w->dirty;
	count_deps(s, m, -1);
	m->ndep = (u8)w->n;
	for (int i = 0; i < w->n; i++)
		m->dep[i] = w->entry[i];
	count_deps(s, m, 1);
}

static int close_exposed(struct shadow_pt *s)
{
	int r = 0;

	for (u32 i = 0; i < s->nexposed; i++) {
		struct shadow_map *m = shadow_map_of(s, s->exposed[i]);

		if (m && set_prot(s, m, prot_now(s, m)) < 0)
			r = -EIO;
	}
	s->nexposed = 0;
	return r;
}

/* A user page mapped for the supervisor because AC = 1: remembered, to
 * be closed when AC goes back to 0. */
static void note_exposed(struct shadow_pt *s, const struct shadow_map *m)
{
	if (!s->ac_open || s->user || !m->us || !(s->ctl.cr4 & CR4_SMAP))
		return;
	if (s->nexposed == SHADOW_AC_PAGES) {
		/* Close the oldest set; they open again on their next use. */
		bool open = s->ac_open;

		s->ac_open = false;
		close_exposed(s);
		s->ac_open = open;
	}
	s->exposed[s->nexposed++] = m->lpn;
}

int shadow__set_ac(struct shadow_pt *s, bool open)
{
	if (open == s->ac_open)
		return 0;
	s->ac_open = open;
	return open ? 0 : close_exposed(s);
}

/*
 * Whether host protection @prot lets an access of @kind through. When the
 * guest's walk allows an access the shadow cannot grant (a supervisor
 * access to a user page with SMAP and EFLAGS.AC set), mapping again would
 * fault again for ever: the access is emulated.
 */
static bool permits(u8 prot, enum gpt_kind kind)
{
	switch (kind) {
	case GPT_WRITE:
		return prot & PROT_WRITE;
	case GPT_FETCH:
		return prot & PROT_EXEC;
	default:
		return prot & PROT_READ;
	}
}

static u32 leaf_span(const struct shadow_pt *s)
{
	return gpt_pae(&s->ctl) ? 2u << 20 : 4u << 20;
}

/* Remembers the linear range the leaf table of walk @w serves (4 KiB
 * pages only: a large page's PDE has no table below it). */
static void rmap_note(struct shadow_pt *s, const struct gpt_walk *w, u32 lin)
{
	u64 ppn = w->table[w->n - 1] >> 12;
	u32 base = lin & ~(leaf_span(s) - 1);
	struct shadow_rmap *r;

	if (w->large || !mappable_ppn(s, ppn))
		return;
	r = &s->rmap[ppn];
	if (r->gen != s->rmap_gen) {
		r->gen = s->rmap_gen;
		r->base = base;
	} else if (r->base != base) {
		r->base = RMAP_MANY;
	}
}

static u64 entry_at(const struct shadow_pt *s, u64 addr)
{
	u64 v = 0;

	memcpy(&v, s->ram + addr, entry_size(s));
	return v;
}

/*
 * A new mapping of @lpn from walk @w, with the protection the class
 * (and the split) allow now: the one way a hidden fault and an eager
 * fill both map a page. NULL when the budget or the host refuses.
 */
static struct shadow_map *map_walked(struct shadow_pt *s, u32 lpn,
				     const struct gpt_walk *w)
{
	u64 flushes = s->st.flushes;
	struct shadow_map *m = alloc_map(s, lpn);

	if (!m)
		return NULL;
	/* A full budget flushed the shadow to make room: the traces of the
	 * tables this walk read, which the caller made, went with it. */
	if (s->st.flushes != flushes) {
		for (int i = 0; i < w->n; i++)
			if (trace_page(s, w->table[i] >> 12) < 0) {
				release(s, m);
				return NULL;
			}
		rmap_note(s, w, lpn << 12);
	}
	fill_from_walk(s, m, w);
	m->prot = prot_now(s, m);
	note_writable(s, m, m->prot);
	if (shadow_host_ppn(s, lpn) == ((m->ppn + 1) | SHADOW_KEPT)) {
		/* the host kept the frame there (unmap_pages) */
		if (mprotect(lin_ptr(lpn), 4096, m->prot) < 0) {
			host_fail(s, "mprotect", lpn);
			release(s, m);
			return NULL;
		}
		s->st.kept_remaps++;
	} else if (mmap(lin_ptr(lpn), 4096, m->prot,
			MAP_SHARED | MAP_FIXED | MAP_POPULATE, s->memfd,
			(off_t)m->ppn << 12) == MAP_FAILED) {
		/* Populated now: the access it is made for follows at
		 * once, and a host fault to fill the host's entry would
		 * cost more. */
		host_fail(s, "mmap", lpn);
		release(s, m);
		return NULL;
	}
	set_host_ppn(s, lpn, m->ppn + 1);
	s->st.mapped++;
	note_exposed(s, m);
	return m;
}

/* The walk an eager fill of @lpn makes: a read in the class mapped now
 * (what the next access there most likely is, and the least it needs). */
static bool fill_walk(struct shadow_pt *s, u32 lpn, bool set_ad,
		      struct gpt_walk *w)
{
	struct gpt_access acc = {
		.kind = GPT_READ,
		.user = s->user,
		.ac = s->ac_open,
	};

	return gpt_walk(&s->ctl, s->ram, s->ram_size, lpn << 12, &acc, set_ad,
			w) &&
	       mappable_ppn(s, w->phys >> 12);
}

/*
 * Maps @lpn ahead of an access (the file's header says when). @old_ppn
 * is the frame a mapping just dropped had, NO_PPN if none: a leaf entry
 * left on that frame with A clear was aged by the guest, not remapped.
 * Returns whether the page is mapped now.
 */
static bool eager_fill(struct shadow_pt *s, u32 lpn, u32 old_ppn)
{
	struct gpt_walk w;
	u64 leaf;

	if (lpn < (SHADOW_LO >> 12) || lpn >= (SW_WINDOW_BASE >> 12) ||
	    shadow_map_of(s, lpn) || !fill_walk(s, lpn, false, &w))
		return false;
	if (s->hot_policy &&
	    shadow_hot__note(&s->hot, lpn, old_ppn, (u32)(w.phys >> 12),
			     s->pt_clock)) {
		s->st.hot_declined++;
		return false;
	}
	leaf = entry_at(s, w.entry[w.n - 1]);
	if (!(leaf & GPT_A) && lpn != s->pending_lpn &&
	    (old_ppn == NO_PPN || old_ppn == (u32)(w.phys >> 12)))
		return false;
	/* The retried store of a true fault to a clean page faults again
	 * to set D whatever is mapped: its hidden fault maps it writable
	 * in one call, a fill now would only add one. */
	if (lpn == s->pending_lpn && s->pending_write && !(leaf & GPT_D))
		return false;
	if (!fill_walk(s, lpn, true, &w))
		return false;
	for (int i = 0; i < w.n; i++)
		if (trace_page(s, w.table[i] >> 12) < 0)
			return false;
	rmap_note(s, &w, lpn << 12);
	if (!map_walked(s, lpn, &w))
		return false;
	if (lpn == s->pending_lpn)
		s->pending_lpn = 0;
	s->st.eager_fills++;
	return true;
}

/* @m takes walk @w as its translation: every table the walk read is
 * traced from now on (false if one cannot be), and the leaf table's
 * linear range noted for eager fills. */
static bool adopt_walk(struct shadow_pt *s, struct shadow_map *m,
		       const struct gpt_walk *w)
{
	for (int i = 0; i < w->n; i++)
		if (trace_page(s, w->table[i] >> 12) < 0)
			return false;
	rmap_note(s, w, m->lpn << 12);
	fill_from_walk(s, m, w);
	return true;
}

/*
 * A leaf entry of mapping @m changed but still maps its frame, A set
 * (its rights or D moved): @m takes the new walk in place, with no host
 * call unless its protection must shrink. A right the entry now grants
 * is left for the access that needs it (a hidden fault widens the
 * mapping then), unless @m is the page of the last true fault, whose
 * retried access follows the handler's write at once.
 */
static bool refresh(struct shadow_pt *s, struct shadow_map *m)
{
	struct gpt_walk w;
	u8 prot;

	if (!fill_walk(s, m->lpn, false, &w) || (u32)(w.phys >> 12) != m->ppn ||
	    !(entry_at(s, w.entry[w.n - 1]) & GPT_A) ||
	    !fill_walk(s, m->lpn, true, &w))
		return false;
	if (!adopt_walk(s, m, &w))
		return false;
	prot = prot_now(s, m);
	if (m->lpn != s->pending_lpn)
		prot &= m->prot;
	if (set_prot(s, m, prot) < 0)
		return false;
	note_exposed(s, m);
	s->st.refreshed++;
	return true;
}

struct refill {
	u32 lpn, old_ppn;
};

static bool listed(const struct refill *r, u32 n, u32 lpn)
{
	for (u32 i = 0; i < n; i++)
		if (r[i].lpn == lpn)
			return true;
	return false;
}

/* The first entry of @m from the @from-th on that lies in page @ppn
 * and is marked in @changed (one flag per entry of @esz bytes); -1 if
 * none. */
static int dep_hit(const struct shadow_pt *s, const struct shadow_map *m,
		   u64 ppn, const u8 *changed, u32 esz, int from)
{
	for (int d = from; d < m->ndep; d++) {
		u64 a = dep_addr(s, m, d);

		if ((a >> 12) == ppn && changed[(a & 0xfff) / esz])
			return d;
	}
	return -1;
}

/* What a page-table write takes out: pages to unmap in runs, and the
 * pages to fill again from the new entries. */
struct dropping {
	u32 lpns[256], n, nr;
	struct refill r[EAGER_MAX];
};

static int drop_later(struct shadow_pt *s, struct dropping *dr, u32 lpn)
{
	dr->lpns[dr->n++] = lpn;
	if (dr->n < 256)
		return 0;
	dr->n = 0;
	return unmap_runs(s, dr->lpns, 256, NULL);
}

/* Mapping @m used the changed entry @hit: refreshed in place, kept for
 * a refill, or dropped. */
static int drop_hit(struct shadow_pt *s, struct shadow_map *m, int hit,
		    struct dropping *dr)
{
	u32 lpn = m->lpn;

	if (hit == m->ndep - 1 && refresh(s, m))
		return 0;
	if (hit == m->ndep - 1 && dr->nr < EAGER_MAX) {
		/* Mapped over in one call by the fill, or unmapped
		 * below when the fill does not map it. */
		dr->r[dr->nr++] = (struct refill){m->lpn, m->ppn};
		release(s, m);
		return 0;
	}
	release(s, m);
	return drop_later(s, dr, lpn);
}

/* Changed entries of the current top table: the mappings made through
 * them are the buckets of their ranges, found without a search. */
static int drop_top(struct shadow_pt *s, const u8 *changed, u32 esz,
		    struct dropping *dr)
{
	u32 first = (u32)(top_table(&s->ctl) & 0xfff) / esz, per,
	    ntop = gpt_pae(&s->ctl) ? 4 : 1024;
	int ret;

	per = buckets_per_top(s);
	for (u32 t = 0; t < ntop; t++) {
		if (!changed[first + t])
			continue;
		for (u32 b = next_bucket(s, t * per, (t + 1) * per);
		     b < (t + 1) * per;
		     b = next_bucket(s, b + 1, (t + 1) * per)) {
			u32 slot = s->bucket_head[b], next;

			for (; slot; slot = next) {
				struct shadow_map *m = map_at(s, slot);

				next = m->bnext;
				ret = drop_hit(s, m, 0, dr);
				if (ret < 0)
					return ret;
			}
		}
	}
	return 0;
}

/*
 * Changed entries of page @ppn as a page table without PAE: a mapping
 * that used one was walked through a PDE of the current directory that
 * points to @ppn, and still is (a PDE write drops the mappings made
 * through it), so only the ranges of such PDEs are searched. @first and
 * @last: the span of the changed entries (drop_deps has it).
 */
static int drop_leaf(struct shadow_pt *s, u64 ppn, const u8 *changed, u32 esz,
		     u32 first, u32 last, struct dropping *dr)
{
	u64 top = top_table(&s->ctl);
	int ret;

	for (u32 t = next_bucket(s, 0, SHADOW_BUCKETS); t < SHADOW_BUCKETS;
	     t = next_bucket(s, t + 1, SHADOW_BUCKETS)) {
		u64 pde = entry_at(s, top + (u64)t * 4);
		u32 slot, next;

		if (!(pde & 1) || (pde >> 12) != ppn)
			continue;
		if (last - first < s->bucket_n[t]) {
			/* Fewer changed entries than mappings in the range:
			 * entry i of the table PDE t names serves the page
			 * t * 1024 + i alone (4.3), so only its mapping can
			 * have used it. */
			for (u32 i = first; i <= last; i++) {
				struct shadow_map *m =
					shadow_map_of(s, t * 1024 + i);
				int hit;

				if (!changed[i] || !m)
					continue;
				hit = dep_hit(s, m, ppn, changed, esz, 1);
				if (hit >= 0 &&
				    (ret = drop_hit(s, m, hit, dr)) < 0)
					return ret;
			}
			continue;
		}
		for (slot = s->bucket_head[t]; slot; slot = next) {
			struct shadow_map *m = map_at(s, slot);
			int hit = dep_hit(s, m, ppn, changed, esz, 1);

			next = m->bnext;
			if (hit < 0)
				continue;
			ret = drop_hit(s, m, hit, dr);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

/*
 * Entries of page @ppn marked in @changed (one flag per entry of @esz
 * bytes) changed: every mapping that used one is dropped, and where a
 * leaf entry changed, filled again from the new entries at once (up to
 * EAGER_MAX), both for the mappings it had and, through the range the
 * page serves as a leaf table, for entries nothing mapped.
 */
bool shadow__changed_range(const u8 *changed, u32 n, u32 *first, u32 *last)
{
	const u8 *lo = memchr(changed, 1, n), *hi = memrchr(changed, 1, n);

	if (!lo)
		return false;
	*first = (u32)(lo - changed);
	*last = (u32)(hi - changed);
	return true;
}

static int drop_deps(struct shadow_pt *s, u64 ppn, const u8 *changed, u32 esz)
{
	struct dropping dr = {.n = 0, .nr = 0};
	const struct shadow_rmap *rm = &s->rmap[ppn];
	u32 i, nold, first = 1, last = 0;
	bool search, any;
	int ret;

	if (s->on_change)
		s->on_change(s->change_ctx, ppn, changed, esz);
	s->pt_clock++;
	any = shadow__changed_range(changed, 4096 / esz, &first, &last);
	s->why = GONE_PT_WRITE;
	if (ppn == top_table(&s->ctl) >> 12) {
		ret = drop_top(s, changed, esz, &dr);
		if (ret < 0)
			return ret;
	}
	/* No mapping used an entry of @ppn below the top level: nothing to
	 * search (a table of a space not current, or one being built). */
	search = s->depc[ppn] != 0;
	if (search && !gpt_pae(&s->ctl) &&
	    top_table(&s->ctl) + 4096 <= s->ram_size) {
		ret = any ? drop_leaf(s, ppn, changed, esz, first, last, &dr)
			  : 0;
		if (ret < 0)
			return ret;
		search = false;
	}
	for (i = search ? s->used : 0; i-- > 0;) {
		struct shadow_map *m = &s->pool[s->live[i]];
		int hit = dep_hit(s, m, ppn, changed, esz, 1);

		if (hit < 0)
			continue;
		ret = drop_hit(s, m, hit, &dr);
		if (ret < 0)
			return ret;
	}
	nold = dr.nr;
	if (any && rm->gen == s->rmap_gen && rm->base != RMAP_MANY)
		for (i = first; i <= last && dr.nr < EAGER_MAX; i++) {
			u32 lpn = (rm->base >> 12) + i;

			if (changed[i] && !listed(dr.r, nold, lpn) &&
			    !shadow_map_of(s, lpn))
				dr.r[dr.nr++] = (struct refill){lpn, NO_PPN};
		}
	for (i = 0; i < dr.nr; i++)
		if (!eager_fill(s, dr.r[i].lpn, dr.r[i].old_ppn) && i < nold) {
			ret = drop_later(s, &dr, dr.r[i].lpn);
			if (ret < 0)
				return ret;
		}
	return dr.n ? unmap_runs(s, dr.lpns, dr.n, NULL) : 0;
}

void shadow__phys_written(struct shadow_pt *s, u64 phys, u32 len)
{
	u8 changed[1024];
	u32 esz = entry_size(s);
	u64 p;

	if (!s->paging || !len)
		return;
	for (p = phys & ~0xfffull; p < phys + len; p += 4096) {
		u64 lo = p > phys ? p : phys, hi = phys + len;
		u64 off;

		if (!mappable_ppn(s, p >> 12) || s->traced[p >> 12] != TRACED)
			continue;
		if (hi > p + 4096)
			hi = p + 4096;
		memset(changed, 0, sizeof(changed));
		for (off = (lo - p) / esz; off <= (hi - 1 - p) / esz; off++)
			changed[off] = 1;
		drop_deps(s, p >> 12, changed, esz);
	}
}

/* A hidden fault maps @lpn again: counted by what took it out. */
static void count_refetch(struct shadow_pt *s, u32 lpn)
{
	u64 *by[] = {
		[GONE_NEVER] = &s->st.hidden_first,
		[GONE_SWITCH] = &s->st.hidden_switch,
		[GONE_PT_WRITE] = &s->st.hidden_pt_write,
		[GONE_CLASS] = &s->st.hidden_class,
		[GONE_INVLPG] = &s->st.hidden_invlpg,
		[GONE_FLUSH] = &s->st.hidden_flush,
	};

	(*by[s->gone[lpn]])++;
}

static enum shadow_outcome fault(struct shadow_pt *s, u32 lin, u32 herr,
				 bool ac, u32 *pf_error)
{
	u32 lpn = lin >> 12;
	struct gpt_access acc = {
		.kind = (herr & PF_I)	? GPT_FETCH
			: (herr & PF_W) ? GPT_WRITE
					: GPT_READ,
		.user = s->user,
		.ac = ac,
	};
	struct gpt_walk w;
	struct shadow_map *m;

	if (!s->paging)
		return SPT_EMULATE; /* page 0 or beyond RAM */
	if (!gpt_walk(&s->ctl, s->ram, s->ram_size, lin, &acc, true, &w)) {
		s->st.true_faults++;
		s->pending_lpn = lpn;
		s->pending_write = acc.kind == GPT_WRITE;
		*pf_error = w.error;
		return SPT_TRUE;
	}
	if (lin < SHADOW_LO || lin >= SW_WINDOW_BASE ||
	    !mappable_ppn(s, w.phys >> 12))
		return SPT_EMULATE;
	/* No CPL-3 access forms an address above the split; one that did
	 * would map a page the user class must not hold: no split then. */
	if (s->user && lin >= s->split && shadow__split_lift(s) < 0)
		return SPT_EMULATE;
	/* Every table the walk used is traced from now on. */
	for (int i = 0; i < w.n; i++)
		if (trace_page(s, w.table[i] >> 12) < 0)
			return SPT_EMULATE;
	rmap_note(s, &w, lin);
	m = shadow_map_of(s, lpn);
	if (m && m->ppn != (u32)(w.phys >> 12)) {
		/* Stale (should not happen: traces drop these first). */
		release(s, m);
		m = NULL;
	}
	if (m) {
		bool was_dirty = m->dirty;
		u8 prot;

		fill_from_walk(s, m, &w);
		prot = prot_now(s, m);
		if (acc.kind == GPT_WRITE && s->traced[m->ppn] == TRACED) {
			s->st.trace++;
			return SPT_TRACE;
		}
		if (!permits(prot, acc.kind))
			return SPT_EMULATE;
		if (prot == m->prot)
			return SPT_SPURIOUS;
		if (!(m->prot & PROT_WRITE) && (prot & PROT_WRITE))
			s->st.dirty_upgrades++;
		if (acc.kind == GPT_WRITE && !was_dirty)
			s->st.hidden_set_d++;
		else
			s->st.hidden_widen++;
		s->st.hidden++;
		if (set_prot(s, m, prot) < 0)
			return SPT_EMULATE;
		note_exposed(s, m);
		return SPT_HIDDEN;
	}
	m = map_walked(s, lpn, &w);
	if (!m)
		return SPT_EMULATE;
	s->st.hidden++;
	count_refetch(s, lpn);
	if (acc.kind == GPT_WRITE && s->traced[m->ppn] == TRACED) {
		s->st.trace++;
		return SPT_TRACE;
	}
	return permits(m->prot, acc.kind) ? SPT_HIDDEN : SPT_EMULATE;
}

/* Whether a write to @lpn is the retried store of the last true write
 * fault, to a leaf entry the guest's handler left with D clear: such a
 * store takes a hidden fault to set D whatever the shadow mapped ahead
 * (eager_fill declines it), so the store faults twice per access. */
static bool retry_of_clean(struct shadow_pt *s, u32 lpn, u32 herr)
{
	struct gpt_walk w;

	return (herr & PF_W) && lpn == s->pending_lpn && s->pending_write &&
	       fill_walk(s, lpn, false, &w) &&
	       !(entry_at(s, w.entry[w.n - 1]) & GPT_D);
}

enum shadow_outcome shadow__fault(struct shadow_pt *s, u32 lin, u32 herr,
				  bool ac, u32 *pf_error)
{
	u32 lpn = lin >> 12;
	bool retry = s->paging && retry_of_clean(s, lpn, herr);
	enum shadow_outcome r = fault(s, lin, herr, ac, pf_error);

	if (retry && r == SPT_HIDDEN)
		s->st.hidden_retry_d++;
	/* The retried access found its page: nothing waits for it any
	 * more, and a later entry there with A clear is the guest's
	 * ageing, which no fill may undo by setting A (eager_fill). */
	if ((r == SPT_HIDDEN || r == SPT_SPURIOUS) && lpn == s->pending_lpn &&
	    ((herr & PF_W) || !s->pending_write))
		s->pending_lpn = 0;
	if (r == SPT_HIDDEN && s->hot_policy && shadow_hot__is(&s->hot, lpn))
		s->st.hidden_hot++;
	return r;
}

bool shadow__hot_touch(struct shadow_pt *s, u32 lin)
{
	if (!s->hot_policy || !s->paging ||
	    !shadow_hot__touch(&s->hot, lin >> 12))
		return false;
	s->st.hot_cooled++;
	return eager_fill(s, lin >> 12, NO_PPN);
}

/*
 * The mappings in linear pages [@lo, @hi) to what the class (and the
 * split) allow now: the range a privilege switch or a lift changes.
 * Outside it a mapping's protection is the same in both classes (at or
 * above the split the user class keeps the supervisor's), so it is not
 * visited; the buckets that meet the range are.
 */
static int reclass(struct shadow_pt *s, u32 lo, u32 hi)
{
	u32 *lpns = s->drop_buf, n = 0, b, end;
	int r = 0;

	if (lo >= hi)
		return 0;
	s->why = GONE_CLASS;
	end = bucket_of(hi - 1) + 1;
	for (b = next_bucket(s, bucket_of(lo), end); b < end && r == 0;
	     b = next_bucket(s, b + 1, end)) {
		u32 slot = s->bucket_head[b], next;

		for (; slot; slot = next) {
			struct shadow_map *m = map_at(s, slot);
			u8 prot = prot_now(s, m);

			next = m->bnext;
			if (kept(s, m) && prot)
				s->st.split_kept++;
			if (!prot) {
				lpns[n++] = m->lpn;
				release(s, m);
			} else if (prot != m->prot) {
				r = set_prot(s, m, prot);
				s->st.priv_range_calls++;
				if (r < 0)
					break;
			}
		}
	}
	if (r == 0 && n)
		r = unmap_runs(s, lpns, n, &s->st.priv_range_calls);
	return r;
}

/* Mappings in buckets wholly at or above the split: the user class
 * keeps them as they are. */
static void count_split_kept(struct shadow_pt *s)
{
	for (u32 b = ((s->split >> 12) + 1023) >> 10; b < SHADOW_BUCKETS; b++)
		s->st.split_kept += s->bucket_n[b];
}

int shadow__set_user(struct shadow_pt *s, bool user)
{
	u32 was = s->split;

	if (user == s->user)
		return 0;
	s->user = user;
	s->split = SW_WINDOW_BASE;
	if (!s->paging)
		return 0;
	if (user && s->split_ok)
		s->split = shadow_class__split(s->user_top, SW_WINDOW_BASE);
	s->st.priv_switches++;
	if (!user) /* below the split the user period held user rights */
		return reclass(s, SHADOW_LO >> 12, was >> 12);
	/* A bucket the split cuts is visited whole, its pages at or above
	 * the split counted there. */
	count_split_kept(s);
	return reclass(s, SHADOW_LO >> 12, s->split >> 12);
}

int shadow__split_lift(struct shadow_pt *s)
{
	u32 was = s->split;

	if (!s->user || s->split == SW_WINDOW_BASE)
		return 0;
	s->split = SW_WINDOW_BASE;
	s->st.split_lifts++;
	return s->paging ? reclass(s, was >> 12, SW_WINDOW_BASE >> 12) : 0;
}

/*
 * Whether a walk of @m's page in the new space finds what @m holds,
 * through entries that all have A set already: then @m is that walk's
 * translation, and takes its entries as its own (a copy-on-write child
 * whose table copy still maps the parent's page). Else the access
 * must come back and walk, setting A.
 */
static bool same_in_new_space(struct shadow_pt *s, struct shadow_map *m)
{
	struct gpt_walk w;

	if (!fill_walk(s, m->lpn, false, &w) || (u32)(w.phys >> 12) != m->ppn ||
	    w.rw != m->rw || w.us != m->us || w.xd != m->xd ||
	    w.dirty != m->dirty)
		return false;
	/* PAE PDPTEs have no A bit (4.4.1). */
	for (int i = gpt_pae(&s->ctl) ? 1 : 0; i < w.n; i++)
		if (!(entry_at(s, w.entry[i]) & GPT_A))
			return false;
	if (!adopt_walk(s, m, &w))
		return false;
	return true;
}

/*
 * A CR3 write with the format unchanged: the walks of the new space
 * are taken from the new top-level table. A mapping whose top-level
 * entry there equals the one it was made through (the old one, kept in
 * line by its trace) reaches the same lower tables and entries, so a
 * walk now finds exactly what it found, A already set in every entry:
 * the mapping stays, with no host call and no fault (the kernel's half
 * of every process; all of it at a reload of the same CR3). One whose
 * page a walk of the new tables still finds the same way stays too;
 * any other goes. The tables only the dropped mappings used stop being
 * traced.
 */
static int switch_space(struct shadow_pt *s, u64 old_top)
{
	u64 top = top_table(&s->ctl);
	u32 esz = entry_size(s), per = buckets_per_top(s), *lpns = s->drop_buf,
	    n = 0, i, k, t;
	int r = 0;

	s->why = GONE_SWITCH;
	/* Only the top-level entries whose ranges have mappings. */
	for (t = next_bucket(s, 0, SHADOW_BUCKETS) / per;
	     t < SHADOW_BUCKETS / per;
	     t = next_bucket(s, (t + 1) * per, SHADOW_BUCKETS) / per) {
		u64 was = old_top + (u64)t * esz, now = top + (u64)t * esz;
		u32 nb = 0;

		for (u32 b = t * per; b < (t + 1) * per; b++)
			nb += s->bucket_n[b];
		/* The whole range keeps its mappings: their lower entries
		 * are the ones they used, and dep_addr finds their new
		 * top-level entry. */
		if (was + esz <= s->ram_size && now + esz <= s->ram_size &&
		    entry_at(s, was) == entry_at(s, now)) {
			s->st.switch_kept += nb;
			continue;
		}
		for (u32 b = t * per; b < (t + 1) * per; b++) {
			u32 slot = s->bucket_head[b], next;

			for (; slot; slot = next) {
				struct shadow_map *m = map_at(s, slot);

				next = m->bnext;
				if (same_in_new_space(s, m)) {
					s->st.switch_rewalked++;
					continue;
				}
				lpns[n++] = m->lpn;
				release(s, m);
			}
		}
	}
	s->st.switch_dropped += n;
	if (n)
		r = unmap_runs(s, lpns, n, NULL);
	if (r < 0)
		return r;
	/* Tables no live mapping uses below the top level go stale (the
	 * old top table among them); the kept ones used nothing else. */
	for (i = k = 0; i < s->ntlist; i++) {
		u32 ppn = s->tlist[i];

		if (s->traced[ppn] == TRACED && !s->depc[ppn])
			s->traced[ppn] = TRACE_STALE;
		if (s->traced[ppn] == TRACED)
			s->tlist[k++] = ppn;
	}
	s->ntlist = k;
	r = trace_page(s, top >> 12);
	if (r < 0)
		return r;
	s->rmap_gen++;
	s->pending_lpn = 0;
	/* hot pages are an address space's: another maps other frames */
	shadow_hot__clear(&s->hot);
	if (s->on_change)
		s->on_change(s->change_ctx, SHADOW_SWITCH, NULL, 0);
	return 0;
}

int shadow__set_ctl(struct shadow_pt *s, const struct gpt_ctl *ctl,
		    bool cr3_write)
{
	/* What a walk depends on (4.1.1, 4.1.3): PG, WP, PSE, PAE, SMEP,
	 * SMAP, NXE and CR3. */
	const u32 cr0m = 0x80010000u, cr4m = 0x300030u;
	bool format = (ctl->cr0 ^ s->ctl.cr0) & cr0m ||
		      (ctl->cr4 ^ s->ctl.cr4) & cr4m ||
		      (ctl->efer ^ s->ctl.efer) & EFER_NXE;
	u64 old_top = top_table(&s->ctl);
	u32 old_cr3 = s->ctl.cr3;

	s->ctl = *ctl;
	s->paging = ctl->cr0 & 0x80000000u;
	if (cr3_write)
		s->st.cr3_switches++;
	if (!format && s->paging && (cr3_write || ctl->cr3 != old_cr3))
		return switch_space(s, old_top);
	if (!format && ctl->cr3 == old_cr3)
		return 0;
	return shadow__flush(s);
}

/* Whether mapping @m is what a walk gives now, A still set in the leaf
 * (the guest has not aged the page since). */
static bool still_valid(struct shadow_pt *s, const struct shadow_map *m)
{
	struct gpt_walk w;

	return fill_walk(s, m->lpn, false, &w) &&
	       (u32)(w.phys >> 12) == m->ppn && w.rw == m->rw &&
	       w.us == m->us && w.xd == m->xd && w.dirty == m->dirty &&
	       (entry_at(s, w.entry[w.n - 1]) & GPT_A);
}

/*
 * INVLPG. Traces keep every mapping in line with the entries it used,
 * so one still valid is kept (no host call); any other is refilled from
 * the entries now, or dropped; an unmapped page whose leaf entry has A
 * set is filled, as the access that follows an INVLPG would.
 */
void shadow__invlpg(struct shadow_pt *s, u32 lin)
{
	u32 lpn = lin >> 12, old = NO_PPN;
	struct shadow_map *m = shadow_map_of(s, lpn);

	s->st.invlpg++;
	if (!s->paging)
		return;
	if (m) {
		if (still_valid(s, m)) {
			s->st.invlpg_kept++;
			return;
		}
		old = m->ppn;
		s->why = GONE_INVLPG;
		release(s, m);
	}
	if (!eager_fill(s, lpn, NO_PPN) && old != NO_PPN &&
	    unmap_pages(s, lpn, 1) < 0)
		host_fail(s, "munmap", lpn);
}

int shadow__trace_begin(struct shadow_pt *s, u32 lin)
{
	struct shadow_map *m = shadow_map_of(s, lin >> 12);

	if (!m)
		return -ENOENT;
	memcpy(s->snapshot, s->ram + ((u64)m->ppn << 12), 4096);
	if (mprotect(lin_ptr(m->lpn), 4096, m->prot | PROT_WRITE) < 0)
		return host_fail(s, "mprotect", m->lpn);
	s->trace_lpn = m->lpn;
	return 0;
}

bool shadow__tracing(const struct shadow_pt *s)
{
	return s->trace_lpn != 0;
}

int shadow__trace_end(struct shadow_pt *s)
{
	struct shadow_map *m = shadow_map_of(s, s->trace_lpn);
	u8 changed[1024];
	u32 esz = entry_size(s), i;
	bool any = false;
	const u8 *now;

	if (!s->trace_lpn)
		return 0;
	s->trace_lpn = 0;
	if (!m)
		return 0;
	if (mprotect(lin_ptr(m->lpn), 4096, m->prot) < 0)
		return host_fail(s, "mprotect", m->lpn);
	now = s->ram + ((u64)m->ppn << 12);
	for (i = 0; i < 4096 / esz; i++) {
		changed[i] =
			memcmp(now + i * esz, s->snapshot + i * esz, esz) != 0;
		any |= changed[i];
	}
	return any ? drop_deps(s, m->ppn, changed, esz) : 0;
}

bool shadow__mapped(const struct shadow_pt *s, u32 lin, int *prot)
{
	const struct shadow_map *m;

	if (!s->paging) {
		if (prot)
			*prot = PROT_READ | PROT_WRITE |
				(s->native_exec && !noexec(s, lin) ? PROT_EXEC
								   : 0);
		return s->identity_mapped && lin >= SHADOW_LO &&
		       lin < s->ram_size;
	}
	m = shadow_map_of(s, lin >> 12);
	if (m && prot)
		*prot = m->prot;
	return m != NULL;
}
