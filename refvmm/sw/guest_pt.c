/*
 * Guest page walk (guest_pt.h). Each rule cites SDM Vol. 3A chapter 4.
 */
#include <string.h>

#include "refvmm/sw/guest_pt.h"

static u64 entry_read(u8 *ram, u64 ram_size, u64 addr, bool pae)
{
	u32 v32;
	u64 v64;

	if (addr + (pae ? 8 : 4) > ram_size)
		return 0;
	if (pae) {
		memcpy(&v64, ram + addr, 8);
		return v64;
	}
	memcpy(&v32, ram + addr, 4);
	return v32;
}

static void entry_set(u8 *ram, u64 ram_size, u64 addr, u64 bits)
{
	/* A and D live in the low dword in both formats (4.8): a locked
	 * OR on it, as the CPU's page walker does. */
	if (addr + 4 > ram_size)
		return;
	__atomic_fetch_or((u32 *)(void *)(ram + addr), (u32)bits,
			  __ATOMIC_SEQ_CST);
}

/* Reserved bits of an entry at @level (1 PTE, 2 PDE, 3 PDPTE). */
static u64 reserved(const struct gpt_ctl *ctl, int level, bool large)
{
	u64 r = 0;

	if (!gpt_pae(ctl))
		/* 4.3, Table 4-4: a 4 MiB PDE reserves bit 21 (PSE-36 puts
		 * address bits 39:32 in 20:13). */
		return large ? 1ull << 21 : 0;
	/* 4.4.2: bits 63:MAXPHYADDR, except XD when EFER.NXE = 1. */
	for (int b = ctl->maxphy; b < 64; b++)
		r |= 1ull << b;
	if (ctl->efer & EFER_NXE)
		r &= ~GPT_XD;
	if (level == 3) /* 4.4.1: PDPTE bits 2:1, 8:5 are reserved */
		r |= 0x1e6ull | GPT_XD;
	if (large)
		r |= 0xffull << 13; /* 2 MiB PDE: bits 20:13 */
	return r;
}

static u32 base_error(const struct gpt_ctl *ctl, const struct gpt_access *acc)
{
	u32 err = 0;

	if (acc->kind == GPT_WRITE)
		err |= PF_W;
	if (acc->user)
		err |= PF_U;
	/* 4.7: I/D only with SMEP, or PAE paging with EFER.NXE. */
	if (acc->kind == GPT_FETCH &&
	    ((ctl->cr4 & CR4_SMEP) || (gpt_pae(ctl) && (ctl->efer & EFER_NXE))))
		err |= PF_I;
	return err;
}

bool gpt_allows(const struct gpt_ctl *ctl, const struct gpt_walk *w,
		const struct gpt_access *acc, u32 *error)
{
	bool ok;

	/* 4.6.1: user accesses need U/S = 1 everywhere, and R/W = 1 to
	 * write; XD forbids fetches at any level. */
	if (acc->user) {
		if (acc->kind == GPT_FETCH)
			ok = w->us && !w->xd;
		else
			ok = w->us && (acc->kind != GPT_WRITE || w->rw);
	} else if (acc->kind == GPT_FETCH) {
		ok = !w->xd && !(w->us && (ctl->cr4 & CR4_SMEP));
	} else {
		/* Supervisor data: SMAP forbids user pages to implicit
		 * accesses and to explicit ones with AC = 0; CR0.WP = 1
		 * makes read-only pages read-only here too. */
		bool smap = (ctl->cr4 & CR4_SMAP) && w->us &&
			    (acc->implicit || !acc->ac);

		ok = !smap &&
		     (acc->kind != GPT_WRITE || w->rw || !(ctl->cr0 & CR0_WP));
	}
	if (!ok && error)
		*error = base_error(ctl, acc) | PF_P;
	return ok;
}

bool gpt_walk(const struct gpt_ctl *ctl, u8 *ram, u64 ram_size, u32 lin,
	      const struct gpt_access *acc, bool set_ad, struct gpt_walk *w)
{
	bool pae = gpt_pae(ctl);
	bool nxe = pae && (ctl->efer & EFER_NXE);
	int level = pae ? 3 : 2;
	u64 table, addr, e = 0;

	memset(w, 0, sizeof(*w));
	w->rw = w->us = true;
	/* 4.3: CR3 bits 31:12 locate the page directory; 4.4.1: with PAE,
	 * bits 31:5 locate the PDPT. */
	table = pae ? (ctl->cr3 & ~0x1fu) : (ctl->cr3 & ~0xfffu);
	for (;; level--) {
		u32 idx;
		bool large;

		if (pae)
			idx = level == 3   ? lin >> 30
			      : level == 2 ? (lin >> 21) & 0x1ff
					   : (lin >> 12) & 0x1ff;
		else
			idx = level == 2 ? lin >> 22 : (lin >> 12) & 0x3ff;
		addr = table + (u64)idx * (pae ? 8 : 4);
		e = entry_read(ram, ram_size, addr, pae);
		w->entry[w->n] = addr;
		w->table[w->n] = addr & ~0xfffull;
		w->n++;
		/* 4.7: P = 0 in any entry used is a not-present fault. */
		if (!(e & GPT_P)) {
			w->fault = true;
			w->error = base_error(ctl, acc);
			return false;
		}
		large = level == 2 && (e & GPT_PS) &&
			(pae || (ctl->cr4 & CR4_PSE));
		if (e & reserved(ctl, level, large)) {
			w->fault = true;
			w->error = base_error(ctl, acc) | PF_P | PF_RSVD;
			return false;
		}
		if (!(pae && level == 3)) { /* PDPTEs carry no rights */
			w->rw = w->rw && (e & GPT_RW);
			w->us = w->us && (e & GPT_US);
			w->xd = w->xd || (nxe && (e & GPT_XD));
		}
		if (level == 1 || large) {
			w->large = large;
			break;
		}
		table = pae ? (e & 0x000ffffffffff000ull) : (e & 0xfffff000u);
	}
	if (w->large)
		w->phys = pae ? (e & 0x000fffffffe00000ull) | (lin & 0x1fffff)
			      : (e & 0xffc00000u) | ((e & 0x1fe000ull) << 19) |
					  (lin & 0x3fffff);
	else
		w->phys = (pae ? (e & 0x000ffffffffff000ull)
			       : (e & 0xfffff000u)) |
			  (lin & 0xfff);
	w->dirty = e & GPT_D;
	if (!gpt_allows(ctl, w, acc, &w->error)) {
		w->fault = true;
		return false;
	}
	if (set_ad) {
		/* 4.8: A in every entry used (PAE PDPTEs have none), D in
		 * the leaf on a write. */
		for (int i = pae ? 1 : 0; i < w->n; i++)
			entry_set(ram, ram_size, w->entry[i], GPT_A);
		if (acc->kind == GPT_WRITE) {
			entry_set(ram, ram_size, w->entry[w->n - 1], GPT_D);
			w->dirty = true;
		}
	}
	return true;
}
