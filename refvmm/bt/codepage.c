/*
 * Code pages (codepage.h). Every guest page that holds translated
 * instructions is write-protected in the host mapping of guest RAM (with
 * paging, traced by the shadow, so every linear alias is read-only),
 * with a snapshot of the page and a mask of the bytes translations
 * cover. A guest write there faults; smc.c runs or emulates the writing
 * instruction and compares the covered bytes with the snapshot here.
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>

#include "breakpoint.h"
#include "codepage.h"
#include "paging.h"
#include "refvmm/sw/shadow_pt.h"

struct bt_codepage *codepage__find(const struct bt_vm *b, u32 pfn)
{
	u16 i;

	if ((u64)pfn * 4096 >= b->c->ram_size)
		return NULL;
	i = b->page_idx[pfn];
	return i ? &b->codepages[i - 1] : NULL;
}

void codepage__protect(const struct bt_vm *b, u32 pfn)
{
	int prot = breakpoint__prot(b, pfn);

	if (paging__on(b)) {
		/* The shadow keeps every alias of a code page read-only. */
		if (codepage__find(b, pfn) && (u64)pfn * 4096 < b->c->ram_size)
			shadow__trace_phys(&b->t->sp, pfn);
		return;
	}
	if ((u64)pfn * 4096 >= b->c->ram_size || pfn == 0)
		return;
	if (codepage__find(b, pfn))
		prot &= ~PROT_WRITE;
	mprotect((void *)(uintptr_t)((u64)pfn << 12), 4096, prot);
}

/* The code page of @pfn, made (snapshot, protected) when it is new; NULL
 * when the table is full (the cache is flushed before the next block). */
static struct bt_codepage *get(struct bt_vm *b, u32 pfn)
{
	struct bt_codepage *p = codepage__find(b, pfn);

	if (p)
		return p;
	if (b->ncodepages >= BT_MAX_CODEPAGES)
		return NULL;
	p = &b->codepages[b->ncodepages++];
	b->page_idx[pfn] = (u16)b->ncodepages;
	p->pfn = pfn;
	memcpy(p->snap, b->c->ram + ((u64)pfn << 12), 4096);
	memset(p->mask, 0, sizeof(p->mask));
	codepage__protect(b, pfn);
	return p;
}

void codepage__note(struct bt_vm *b, u32 lin, u32 len)
{
	u32 a, phys = 0;

	for (a = lin; a < lin + len; a++) {
		u32 pfn;
		struct bt_codepage *p;

		/* With paging the code page is the guest-physical one. */
		if (a == lin || !(a & 0xfff))
			phys = paging__code_phys(b, a & ~0xfffu);
		if (!phys)
			continue; /* page 0 (or unmapped): never protected */
		pfn = phys >> 12;
		if (phys < 0x1000 || (u64)phys >= b->c->ram_size)
			continue; /* page 0 and MMIO: never written natively */
		if (b->selfcheck[pfn])
			continue;
		p = get(b, pfn);
		if (p)
			p->mask[(a & 0xfff) >> 3] |= (u8)(1u << (a & 7));
	}
}

bool codepage__protected(const struct bt_vm *b, u32 lin)
{
	u32 i;

	if (paging__on(b))
		return false; /* trace faults, through the shared monitor */
	if (!codepage__find(b, lin >> 12))
		return false;
	for (i = 0; i < b->nsmc; i++)
		if (b->smc_pending[i] == lin >> 12)
			return false;
	return true;
}

bool codepage__changed(const struct bt_vm *b, const struct bt_codepage *p)
{
	const u8 *now = b->c->ram + ((u64)p->pfn << 12);
	u32 i;

	for (i = 0; i < 4096; i++)
		if ((p->mask[i >> 3] >> (i & 7)) & 1 && now[i] != p->snap[i])
			return true;
	return false;
}

bool codepage__selfcheck(const struct bt_vm *b, u32 lin)
{
	return !paging__on(b) && (u64)lin < b->c->ram_size &&
	       b->selfcheck[lin >> 12];
}

void codepage__forget_all(struct bt_vm *b)
{
	u32 i, n = b->ncodepages;

	b->ncodepages = 0;
	for (i = 0; i < n; i++) {
		b->page_idx[b->codepages[i].pfn] = 0;
		codepage__protect(b, b->codepages[i].pfn);
	}
	for (i = 0; i < b->nsmc; i++)
		codepage__protect(b, b->smc_pending[i]);
	b->nsmc = 0;
	paging__forget(b);
}
