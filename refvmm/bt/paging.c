/*
 * Binary translation with guest paging on (shadow paging, sw/shadow_pt.c).
 *
 * Translations are keyed by guest linear EIP, so they depend on the
 * guest's page tables: code is fetched through a fetch walk with the
 * guest's rights (SDM Vol. 3A 4.6: U/S, XD, SMEP), and every page-table
 * page such a walk reads is traced by the shadow and remembered here.
 * When one of those entries changes or the shadow flushes (CR3 writes,
 * paging controls), the blocks are checked again against the new tables
 * before they run (aspace.c). Pages holding translated code are traced
 * too, so a guest store there comes back as a trace fault, is emulated
 * (trap mode's emulators), and the write hook compares the translated
 * bytes (smc.c): self-modifying code through any alias.
 *
 * With paging on, the paging-off shortcuts that assume guest-physical ==
 * host-linear (code-page mprotect, self-checking pages, MMIO shadow
 * pages, data-breakpoint pages) are off; trap mode's emulation of
 * unreachable memory serves MMIO instead.
 */
#include <stdlib.h>
#include <string.h>

#include "paging.h"
#include "refvmm/sw/guest_pt.h"
#include "refvmm/sw/segments.h"
#include "refvmm/sw/shadow_pt.h"

bool paging__on(const struct bt_vm *b)
{
	return b->t->sp.paging;
}

/*
 * A walk's result depends on the entries it read and on nothing else
 * of their tables (SDM Vol. 3A 4.3, 4.4: each level reads one entry),
 * so a change to a table code was fetched through concerns a block only
 * when it changed one of the entries a fetch walk used, a not-present
 * one included (the walk reads it too, and it may become present).
 * Which entries: per table a bit per 4 bytes and per walk class
 * (BT_PTE_HALF bytes each, supervisor first), kept since the class was
 * last forgotten (an entry a later walk no longer uses stays marked: a
 * change to it only costs an epoch too many).
 */
/* The marks of @walks walks in byte @k of bitmap @used: entries 8k to
 * 8k + 7, bit i for entry 8k + i. */
static u8 marks_at(u8 *used, u8 walks, u32 k)
{
	return (u8)(((walks & BT_WALK_SUP) ? paging_half(used, BT_WALK_SUP)[k]
					   : 0) |
		    ((walks & BT_WALK_USER) ? paging_half(used, BT_WALK_USER)[k]
					    : 0));
}

u8 paging__changed(struct bt_vm *b, u64 ppn, const u8 *changed, u32 esz)
{
	u8 *used, hit = 0;
	u32 first, last;

	if (ppn == SHADOW_ALL)
		return BT_WALK_BOTH;
	if (ppn >= b->c->ram_size >> 12 || !b->code_pt[ppn])
		return 0;
	used = b->code_pte[ppn];
	if (!used || !changed || (esz != 4 && esz != 8))
		return b->code_pt[ppn];
	if (!shadow__changed_range(changed, 4096 / esz, &first, &last))
		first = 1, last = 0;
	for (u32 i = first; i <= last; i++) {
		u32 bit = i * esz / 4;

		if (!changed[i])
			continue;
		hit |= paging_marks(used, bit);
	}
	hit &= b->code_pt[ppn];
	if (!hit)
		b->st.space_unchanged++;
	return hit;
}

/* Table @t is no longer one @walks fetch walks went through. */
static void drop_walks(struct bt_vm *b, u32 t, u8 walks)
{
	b->code_pt[t] &= (u8)~walks;
	if (!b->code_pte[t])
		return;
	if (walks & BT_WALK_SUP)
		memset(paging_half(b->code_pte[t], BT_WALK_SUP), 0,
		       BT_PTE_HALF);
	if (walks & BT_WALK_USER)
		memset(paging_half(b->code_pte[t], BT_WALK_USER), 0,
		       BT_PTE_HALF);
}

/* Only the tables of @keep walks stay listed, and of those with
 * @needed (a bitmap of pfns, NULL: all) only the ones it has. */
static void keep_only(struct bt_vm *b, u8 keep, const u8 *needed)
{
	u32 n = 0;

	for (u32 i = 0; i < b->ncode_pts; i++) {
		u32 t = b->code_pts[i];
		bool need = !needed || (needed[t >> 3] >> (t & 7) & 1);

		drop_walks(b, t,
			   need ? (u8)(BT_WALK_BOTH & ~keep) : BT_WALK_BOTH);
		if (b->code_pt[t])
			b->code_pts[n++] = t;
	}
	b->ncode_pts = n;
}

void paging__forget(struct bt_vm *b)
{
	keep_only(b, 0, NULL);
}

/* Did every entry @walk walks used in top table @from hold, at the same
 * index of @to, the same value? (Then they reach the same lower tables
 * and entries: the shadow's switch_space makes the same comparison.)
 * None used: no block of the class is valid now, nothing to keep. */
static bool same_top(const struct bt_vm *b, u32 from, u32 to, u8 walk)
{
	const u32 *old = (const u32 *)(b->c->ram + ((u64)from << 12));
	const u32 *now = (const u32 *)(b->c->ram + ((u64)to << 12));

	if (!(b->code_pt[from] & walk))
		return true;
	if (!b->code_pte[from])
		return false;
	for (u32 k = 0; k < BT_PTE_HALF; k++)
		for (u32 m = marks_at(b->code_pte[from], walk, k); m;
		     m &= m - 1) {
			u32 i = 8 * k + (u32)__builtin_ctz(m);

			if (old[i] != now[i])
				return false;
		}
	return true;
}

static void need_one(u8 *need, u32 t, u32 npages, bool set)
{
	if (t >= npages)
		return;
	if (set)
		need[t >> 3] |= (u8)(1u << (t & 7));
	else
		need[t >> 3] &= (u8) ~(1u << (t & 7));
}

/* In @needed (a pfn bitmap): the new top table and the page tables its
 * entries used by @keep walks point to (present, not a 4 MiB page: SDM
 * Vol. 3A 4.3), the only tables the blocks kept depend on now. With
 * @set false, clears the same bits. */
static void need_tables(struct bt_vm *b, u32 to, u8 keep, bool set)
{
	const u32 *now = (const u32 *)(b->c->ram + ((u64)to << 12));
	u32 npages = (u32)(b->c->ram_size >> 12);
	bool pse = b->t->sp.ctl.cr4 & CR4_PSE;

	need_one(b->pt_needed, to, npages, set);
	for (u32 k = 0; k < BT_PTE_HALF; k++)
		for (u32 m = marks_at(b->code_pte[to], keep, k); m;
		     m &= m - 1) {
			u32 e = now[8 * k + (u32)__builtin_ctz(m)];

			if ((e & 1) && !(pse && (e & 0x80)))
				need_one(b->pt_needed, e >> 12, npages, set);
		}
}

u8 paging__switched(struct bt_vm *b, u32 from, u32 to)
{
	u32 npages = (u32)(b->c->ram_size >> 12);
	u8 keep = 0;

	if (from >= npages || to >= npages)
		return 0;
	if (same_top(b, from, to, BT_WALK_SUP))
		keep |= BT_WALK_SUP;
	if (same_top(b, from, to, BT_WALK_USER))
		keep |= BT_WALK_USER;
	/* The new top table takes over the old one's marks of the walks
	 * kept: the blocks valid now reached their code through them. */
	if (keep && !b->code_pte[to] &&
	    !(b->code_pte[to] = calloc(1, 2 * BT_PTE_HALF)))
		keep = 0;
	if (!keep) {
		keep_only(b, 0, NULL);
		return 0;
	}
	for (u8 w = BT_WALK_SUP; w <= BT_WALK_USER; w <<= 1) {
		if (!(keep & w) || !(b->code_pt[from] & w))
			continue;
		for (u32 i = 0; i < BT_PTE_HALF; i++)
			paging_half(b->code_pte[to], w)[i] |=
				paging_half(b->code_pte[from], w)[i];
		if (!b->code_pt[to])
			b->code_pts[b->ncode_pts++] = to;
		b->code_pt[to] |= w;
	}
	/* The other tables (the old top, another process's) stop
	 * counting: what they hold no kept block depends on any more, and
	 * a page table page reused as data must not stay traced. */
	need_tables(b, to, keep, true);
	keep_only(b, keep, b->pt_needed);
	need_tables(b, to, keep, false);
	/* The switch let the tables only code walks used go stale; they
	 * are traced again before any guest instruction runs (a stale
	 * page no alias made writable since is so at no cost). */
	for (u32 i = 0; i < b->ncode_pts; i++)
		if (shadow__trace_phys(&b->t->sp, b->code_pts[i]) < 0)
			return 0;
	return keep;
}

/* The tables of a walk at CPL @cpl: a change to an entry it used may
 * change what it finds. A table whose bitmap cannot be had counts with
 * all its entries (NULL). */
static void trace_tables(struct bt_vm *b, const struct gpt_walk *w, u32 cpl)
{
	u8 walk = cpl == 3 ? BT_WALK_USER : BT_WALK_SUP;

	for (int i = 0; i < w->n; i++) {
		u64 t = w->table[i] >> 12;
		u32 bit = (u32)(w->entry[i] & 0xfff) / 4;

		if (t >= b->c->ram_size >> 12)
			continue;
		if (!b->code_pt[t]) {
			b->code_pts[b->ncode_pts++] = (u32)t;
			if (!b->code_pte[t])
				b->code_pte[t] = calloc(1, 2 * BT_PTE_HALF);
		}
		if (b->code_pte[t])
			paging_half(b->code_pte[t], walk)[bit >> 3] |=
				(u8)(1u << (bit & 7));
		b->code_pt[t] |= walk;
		shadow__trace_phys(&b->t->sp, t);
	}
}

u32 paging__fetch_page(struct bt_vm *b, u32 lpn, u8 cpl)
{
	struct shadow_pt *sp = &b->t->sp;
	struct gpt_access acc = {.kind = GPT_FETCH, .user = cpl == 3};
	struct gpt_walk w;
	bool ok;

	if (!sp->paging)
		return lpn;
	ok = gpt_walk(&sp->ctl, b->c->ram, b->c->ram_size, lpn << 12, &acc,
		      true, &w);
	trace_tables(b, &w, cpl);
	return ok ? (u32)(w.phys >> 12) : BT_NO_PAGE;
}

u32 paging__fetch(struct bt_vm *b, u32 lin, u8 *buf, u32 len, u32 *pf_lin,
		  u32 *pf_err)
{
	struct shadow_pt *sp = &b->t->sp;
	struct gpt_access acc = {.kind = GPT_FETCH, .user = b->c->cpl == 3};
	u32 got = 0;

	if (!sp->paging) {
		sw_lin_read(b->c, lin, buf, len);
		return len;
	}
	while (got < len) {
		u32 a = lin + got, n = 4096 - (a & 0xfff);
		struct gpt_walk w;

		if (n > len - got)
			n = len - got;
		if (!gpt_walk(&sp->ctl, b->c->ram, b->c->ram_size, a, &acc,
			      true, &w)) {
			*pf_lin = a;
			*pf_err = w.error;
			memset(buf + got, 0, len - got);
			return got;
		}
		trace_tables(b, &w, b->c->cpl);
		if (w.phys + n <= b->c->ram_size)
			memcpy(buf + got, b->c->ram + w.phys, n);
		else
			memset(buf + got, 0xff, n); /* code in MMIO: none */
		got += n;
	}
	return got;
}

u32 paging__code_phys(struct bt_vm *b, u32 lin)
{
	struct shadow_pt *sp = &b->t->sp;
	struct gpt_access acc = {.kind = GPT_READ, .implicit = true};
	struct gpt_walk w;

	if (!sp->paging)
		return lin;
	if (!gpt_walk(&sp->ctl, b->c->ram, b->c->ram_size, lin, &acc, false,
		      &w))
		return 0; /* page 0: never protected */
	return (u32)w.phys;
}
