/*
 * Translations across guest address spaces (aspace.h).
 *
 * The cache is keyed by CS:EIP (and the rest of struct bt_key), which
 * names code only through the guest's current page tables. Each block
 * records, per linear page its fetches used (at most two: a block is
 * under 500 bytes), the guest-physical page a fetch at its CPL found
 * there, or that the fetch faulted (SDM Vol. 3A 4.6: U/S, XD, SMEP,
 * checked by the walk). When the tables may have changed (a CR3 write,
 * a changed entry of a table such a walk read, a change of CR0.PG/WP,
 * CR4.PSE/PAE/SMEP/SMAP or EFER.NXE) the epoch goes up and nothing is
 * dropped: a lookup walks the block's pages again, once per epoch, and
 * runs it only where they map as recorded. Supervisor and user blocks
 * have an epoch each: a changed table that only CPL 3 walks read (a
 * process's page tables, copy-on-write at a fork) leaves the kernel's
 * blocks and their links alone. Two address spaces that map
 * one EIP to different code keep a block each under the same key; the
 * lookup takes the one whose pages match.
 *
 * Translated code also reaches blocks without a lookup: through chained
 * jumps and the indirect-branch table. At a new epoch the table is
 * cleared (tcache.c; it lists its slots), and every patched jump to a block
 * with a page its source does not have is put back to its exit stub; a jump
 * within the source's own pages stays, since the source runs only where
 * those pages map as recorded. The code pages themselves stay traced
 * whatever maps them (codepage.c), so a write to translated code through
 * any alias of any address space is still seen (smc.c).
 *
 * Global pages (CR4.PGE, SDM Vol. 3A 4.10.4.1) would let kernel blocks
 * skip the walk after a CR3 write; they are checked like the others.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aspace.h"
#include "codepage.h"
#include "paging.h"

/* What a walk depends on besides the tables (4.1.1, 4.1.3, 4.6). */
#define CR0_WALK (CR0_PG | CR0_WP)
#define CR4_WALK (CR4_PSE | CR4_PAE | CR4_SMEP | CR4_SMAP)

/* The epoch of blocks (and walks) at CPL @cpl. */
static u64 *epoch_of(struct bt_vm *b, u32 cpl)
{
	return &b->epoch[cpl == 3];
}

int aspace__init(struct bt_vm *b)
{
	int r = 0;

	for (u32 l = 0; l < BT_UNDO_LISTS; l++) {
		b->undo[l] = calloc(BT_MAX_UNDO, sizeof(*b->undo[l]));
		if (!b->undo[l])
			r = -ENOMEM;
	}
	/* the walk memo starts out of date */
	b->epoch[0] = b->epoch[1] = 1;
	b->paged = paging__on(b);
	b->seen = b->t->sp.ctl;
	return r;
}

void aspace__destroy(struct bt_vm *b)
{
	for (u32 l = 0; l < BT_UNDO_LISTS; l++) {
		free(b->undo[l]);
		b->undo[l] = NULL;
	}
}

/* A fetch walk at CPL @cpl of linear page @lpn; the result holds for the
 * whole epoch (any change to its tables ends the epoch). */
static u32 walk(struct bt_vm *b, u32 lpn, u8 cpl)
{
	u8 user = cpl == 3;

	if (b->memo.epoch == *epoch_of(b, cpl) && b->memo.lpn == lpn &&
	    b->memo.cpl == user)
		return b->memo.ppn;
	b->memo.ppn = paging__fetch_page(b, lpn, cpl);
	b->memo.epoch = *epoch_of(b, cpl);
	b->memo.lpn = lpn;
	b->memo.cpl = user;
	return b->memo.ppn;
}

void aspace__record(struct bt_vm *b, struct bt_block *tb, u32 span)
{
	u32 lin = tb->key.cs_base + tb->key.eip;
	u32 first = lin >> 12, last = (lin + (span ? span : 1) - 1) >> 12;

	tb->npages = first == last ? 1 : 2;
	tb->lpn[0] = first;
	tb->lpn[1] = last;
	for (u32 i = 0; i < tb->npages; i++)
		tb->ppn[i] = walk(b, tb->lpn[i], tb->key.cpl);
	tb->epoch = *epoch_of(b, tb->key.cpl);
	tb->valid = true;
}

bool aspace__valid(struct bt_vm *b, struct bt_block *tb)
{
	u64 now = *epoch_of(b, tb->key.cpl);
	bool ok = true;

	if (tb->epoch == now)
		return tb->valid;
	for (u32 i = 0; i < tb->npages && ok; i++)
		ok = walk(b, tb->lpn[i], tb->key.cpl) == tb->ppn[i];
	tb->epoch = now;
	tb->valid = ok;
	if (ok)
		b->st.blocks_revalidated++;
	else
		b->st.blocks_stale++;
	return ok;
}

bool aspace__within(const struct bt_block *to, const struct bt_block *from)
{
	if ((to->key.cpl == 3) != (from->key.cpl == 3))
		return false;
	for (u32 i = 0; i < to->npages; i++) {
		bool found = false;

		for (u32 j = 0; j < from->npages && !found; j++)
			found = to->lpn[i] == from->lpn[j] &&
				to->ppn[i] == from->ppn[j];
		if (!found)
			return false;
	}
	return true;
}

void aspace__link(struct bt_vm *b, u8 *site, u32 len,
		  const struct bt_block *from, const struct bt_block *to)
{
	u32 l = from ? from->key.cpl == 3 : 2;
	struct bt_undo *u;

	/* Without paging no epoch ends: a change of CR0.PG flushes. */
	if (!paging__on(b) || (from && to && aspace__within(to, from)))
		return;
	if (b->nundo[l] == BT_MAX_UNDO || len > sizeof(u->orig)) {
		b->undo_full = true; /* the next change flushes */
		return;
	}
	u = &b->undo[l][b->nundo[l]++];
	u->site = site;
	u->len = (u8)len;
	memcpy(u->orig, site, len);
}

/* Puts back the patches made by @walks blocks (and those of sites in no
 * block), last first: a site patched twice gets its first bytes. A site
 * is in one list, its block's. */
static void undo(struct bt_vm *b, u8 walks)
{
	for (u32 l = 0; l < BT_UNDO_LISTS; l++) {
		if (l < 2 && !(walks & (l ? BT_WALK_USER : BT_WALK_SUP)))
			continue;
		for (u32 i = b->nundo[l]; i-- > 0;) {
			const struct bt_undo *u = &b->undo[l][i];

			memcpy(u->site, u->orig, u->len);
			b->st.links_undone++;
		}
		b->nundo[l] = 0;
	}
}

/* Has what a walk depends on besides CR3 and the tables changed? */
static bool format_moved(const struct gpt_ctl *c, const struct gpt_ctl *s)
{
	return (c->cr0 ^ s->cr0) & CR0_WALK || (c->cr4 ^ s->cr4) & CR4_WALK ||
	       (c->efer ^ s->efer) & EFER_NXE;
}

static void new_epoch(struct bt_vm *b, u8 walks)
{
	if (walks & BT_WALK_SUP)
		b->epoch[0]++;
	if (walks & BT_WALK_USER)
		b->epoch[1]++;
	b->st.space_changes++;
	undo(b, walks);
}

/* The shadow let the pages only bt traced go stale: the code pages
 * must stay traced (codepage.c). */
static void protect_code(struct bt_vm *b)
{
	for (u32 i = 0; i < b->ncodepages; i++)
		codepage__protect(b, b->codepages[i].pfn);
}

bool aspace__changed(struct bt_vm *b, u8 walks, bool all)
{
	bool keep = b->paged && paging__on(b) && !b->undo_full;

	if (all || walks == BT_WALK_BOTH) {
		b->paged = paging__on(b);
		b->seen = b->t->sp.ctl;
	}
	if (!keep)
		return false;
	new_epoch(b, walks);
	if (all) {
		/* The shadow forgot its traces: the tables walked before
		 * concern no block now. */
		paging__forget(b);
		protect_code(b);
	}
	return true;
}

/*
 * With 32-bit paging (PAE's PDPTEs are loaded at the CR3 write, SDM
 * Vol. 3A 4.4.1: not this comparison) and nothing else of the format
 * changed, a class keeps its epoch when paging__switched finds the new
 * top-level table holding every entry its code walks used: the kernel's
 * half of each Linux process is the same directory entries, so its
 * blocks and links outlive the switch between processes.
 */
bool aspace__switched(struct bt_vm *b, u8 *walks)
{
	const struct gpt_ctl *now = &b->t->sp.ctl, *was = &b->seen;
	u8 kept;

	*walks = BT_WALK_BOTH;
	if (!b->paged || !paging__on(b) || b->undo_full ||
	    (now->cr4 & CR4_PAE) || format_moved(now, was))
		return aspace__changed(b, BT_WALK_BOTH, true);
	kept = paging__switched(b, was->cr3 >> 12, now->cr3 >> 12);
	b->seen = *now;
	*walks = (u8)(BT_WALK_BOTH & ~kept);
	if (*walks)
		new_epoch(b, *walks);
	else
		b->st.space_kept++;
	protect_code(b);
	return true;
}

bool aspace__moved(const struct bt_vm *b)
{
	const struct gpt_ctl *c = &b->t->sp.ctl, *s = &b->seen;

	return c->cr3 != s->cr3 || format_moved(c, s) ||
	       paging__on(b) != b->paged;
}

void aspace__flushed(struct bt_vm *b)
{
	for (u32 l = 0; l < BT_UNDO_LISTS; l++)
		b->nundo[l] = 0;
	b->undo_full = false;
	b->epoch[0]++;
	b->epoch[1]++;
}
