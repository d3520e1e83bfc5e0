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
 * Which entries: a bit per 4 bytes of the table, kept since the last
 * flush (an entry a later walk no longer uses stays marked: a change
 * to it only costs an epoch too many).
 */
static bool entry_used(const struct bt_vm *b, u64 ppn, const u8 *changed,
		       u32 esz)
{
	const u8 *used = b->code_pte[ppn];

	if (!used || !changed || (esz != 4 && esz != 8))
		return true;
	for (u32 i = 0; i < 4096 / esz; i++) {
		u32 bit = i * esz / 4;

		if (changed[i] && (used[bit >> 3] >> (bit & 7) & 1))
			return true;
	}
	return false;
}

u8 paging__changed(struct bt_vm *b, u64 ppn, const u8 *changed, u32 esz)
{
	if (ppn == SHADOW_ALL)
		return BT_WALK_BOTH;
	if (ppn >= b->c->ram_size >> 12 || !b->code_pt[ppn])
		return 0;
	if (!entry_used(b, ppn, changed, esz)) {
		b->st.space_unchanged++;
		return 0;
	}
	return b->code_pt[ppn];
}

void paging__forget(struct bt_vm *b)
{
	u32 n = (u32)(b->c->ram_size / 4096);

	memset(b->code_pt, 0, n);
	for (u32 i = 0; i < n; i++)
		if (b->code_pte[i])
			memset(b->code_pte[i], 0, 4096 / 32);
}

/* The tables of a walk at CPL @cpl: a change to an entry it used may
 * change what it finds. A table whose bitmap cannot be had counts with
 * all its entries (NULL). */
static void trace_tables(struct bt_vm *b, const struct gpt_walk *w, u32 cpl)
{
	for (int i = 0; i < w->n; i++) {
		u64 t = w->table[i] >> 12;
		u32 bit = (u32)(w->entry[i] & 0xfff) / 4;

		if (t >= b->c->ram_size >> 12)
			continue;
		if (!b->code_pt[t] && !b->code_pte[t])
			b->code_pte[t] = calloc(1, 4096 / 32);
		if (b->code_pte[t])
			b->code_pte[t][bit >> 3] |= (u8)(1u << (bit & 7));
		b->code_pt[t] |= cpl == 3 ? BT_WALK_USER : BT_WALK_SUP;
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
