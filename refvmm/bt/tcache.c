/*
 * The translation cache (bt.h): the monitor window's code segment, GS
 * page and cache area; the blocks and their hash; the indirect-branch
 * lookup table that translated code reads itself; chaining; the map from
 * a cache address back to a guest EIP; and coherence with guest writes.
 *
 * Coherence: every guest page that holds translated instructions is
 * write-protected in the host mapping of guest RAM, with a snapshot of
 * the page. A guest write there faults; the monitor unprotects the page,
 * runs the writing instruction alone, and compares the translated bytes
 * with the snapshot: changed bytes flush the cache (self-modifying or
 * cross-modifying code), unchanged ones (data sharing the page) just
 * re-protect it. Writes the monitor makes for the guest (emulation,
 * exception frames) are checked the same way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bt.h"
#include "refvmm/machine.h"
#include "refvmm/sw/ldt.h"
#include "refvmm/sw/shadow_pt.h"
#include "refvmm/sw/world_switch.h"
#include "refvmm/log.h"

_Static_assert(BT_PG(landing) == 0x1028, "gate.S LANDING");
_Static_assert(sizeof(struct bt_page) <= 4096, "one page");

extern char sw_world_landing[];

#define SHARED_SIZE 0x400

struct emit {
	u8 *p;
};

static void e1(struct emit *e, u8 v)
{
	*e->p++ = v;
}

static void e4(struct emit *e, u32 v)
{
	memcpy(e->p, &v, 4);
	e->p += 4;
}

static void en(struct emit *e, const char *bytes, size_t n)
{
	memcpy(e->p, bytes, n);
	e->p += n;
}

/* mov %eax,%gs:o / mov %gs:o,%eax / mov %ecx,%gs:o / mov %gs:o,%ecx */
static void st_eax(struct emit *e, u32 o)
{
	en(e, "\x65\xa3", 2);
	e4(e, o);
}
static void ld_eax(struct emit *e, u32 o)
{
	en(e, "\x65\xa1", 2);
	e4(e, o);
}
static void st_ecx(struct emit *e, u32 o)
{
	en(e, "\x65\x89\x0d", 3);
	e4(e, o);
}
static void ld_ecx(struct emit *e, u32 o)
{
	en(e, "\x65\x8b\x0d", 3);
	e4(e, o);
}

/* OF from AL (add 0x7f overflows iff AL = 1), SF ZF AF PF CF from AH. */
static void restore_flags_regs(struct emit *e)
{
	ld_eax(e, BT_PG(scr_fl));
	en(e, "\x04\x7f\x9e", 3);
	ld_eax(e, BT_PG(scr_eax));
	ld_ecx(e, BT_PG(scr_ecx));
}

static void exit_gate(struct emit *e, enum bt_exit code)
{
	en(e, "\x65\xc7\x05", 3);
	e4(e, BT_PG(exit_code));
	e4(e, code);
	e1(e, 0xea);
	e4(e, BT_GATE_ADDR);
	e1(e, HOST_CS64);
	e1(e, 0);
}

/*
 * The indirect-branch lookup, shared by every RET and JMP/CALL r/m:
 * guest target in the page, hash (eip ^ eip >> 12) & 0xfff into the
 * table of {eip, tc}; a hit jumps to the translation, a miss leaves for
 * the monitor. The flags are saved with LAHF/SETO and restored with
 * ADD/SAHF because the guest's branch does not change them.
 */
static void build_shared(struct bt_vm *b)
{
	struct emit e = {b->tc_base};
	u8 *jne;

	b->lookup_fn = e.p;
	st_eax(&e, BT_PG(scr_eax));
	st_ecx(&e, BT_PG(scr_ecx));
	en(&e, "\x0f\x90\xc0\x9f", 4); /* seto %al; lahf */
	st_eax(&e, BT_PG(scr_fl));
	ld_eax(&e, BT_PG(target));
	en(&e, "\x89\xc1\xc1\xe9\x0c\x31\xc1\x81\xe1\xff\x0f\x00\x00", 13);
	en(&e, "\x65\x3b\x04\xcd", 4); /* cmp %gs:T(,%ecx,8), %eax */
	e4(&e, BT_TABLE_OFF);
	jne = e.p;
	en(&e, "\x75\x00", 2);
	en(&e, "\x65\x8b\x0c\xcd", 4); /* mov %gs:T+4(,%ecx,8), %ecx */
	e4(&e, BT_TABLE_OFF + 4);
	st_ecx(&e, BT_PG(jmp_target));
	en(&e, "\x65\xff\x05", 3); /* incl %gs:hits */
	e4(&e, BT_PG(hits));
	restore_flags_regs(&e);
	en(&e, "\x65\xff\x25", 3); /* jmp *%gs:jmp_target */
	e4(&e, BT_PG(jmp_target));
	jne[1] = (u8)(e.p - (jne + 2));
	restore_flags_regs(&e);
	b->miss_stub = e.p;
	exit_gate(&e, BT_EXIT_MISS);

	/* One-instruction blocks: the target goes back to the monitor. */
	b->step_ind_fn = e.p;
	st_eax(&e, BT_PG(scr_eax));
	ld_eax(&e, BT_PG(target));
	st_eax(&e, SW_OFF_EIP);
	ld_eax(&e, BT_PG(scr_eax));
	exit_gate(&e, BT_EXIT_STEP);
}

static int window_setup(struct bt_vm *b, char *err, size_t errlen)
{
	u8 *w = (u8 *)(uintptr_t)SW_WINDOW_BASE;
	size_t gate = (size_t)(bt_gate_end - bt_gate_start);
	struct shadow_desc code = {
		.base = 0,
		.limit = 0xfffff,
		.seg_32bit = true,
		.limit_in_pages = true,
		.contents = 2,
	};
	struct shadow_desc gs = {
		.base = BT_GS_BASE,
		.limit = BT_GS_LIMIT,
		.seg_32bit = true,
	};
	int r;

	if (mprotect(w, 0x1000, PROT_READ | PROT_WRITE) < 0)
		goto err;
	memcpy(w + (BT_GATE_ADDR - SW_WINDOW_BASE), bt_gate_start, gate);
	if (mprotect(w, 0x1000, PROT_READ | PROT_EXEC) < 0)
		goto err;
	if (mprotect((u8 *)(uintptr_t)(BT_GS_BASE + BT_PAGE_OFF),
		     BT_GS_LIMIT + 1 - BT_PAGE_OFF, PROT_READ | PROT_WRITE) < 0)
		goto err;
	if (mprotect((u8 *)(uintptr_t)BT_TC_BASE, BT_TC_END - BT_TC_BASE,
		     PROT_READ | PROT_WRITE | PROT_EXEC) < 0)
		goto err;
	r = ldt__write(BT_SLOT_CODE, &code);
	if (r == 0)
		r = ldt__write(BT_SLOT_GS, &gs);
	if (r < 0) {
		snprintf(err, errlen,
			 "cannot install the translation cache's segments in "
			 "the host LDT: %s",
			 strerror(-r));
		return r;
	}
	b->sel_code = sw_slot_sel(BT_SLOT_CODE);
	b->sel_gs = sw_slot_sel(BT_SLOT_GS);
	b->page = (struct bt_page *)(uintptr_t)(BT_GS_BASE + BT_PAGE_OFF);
	b->table = (u32 *)(uintptr_t)(BT_GS_BASE + BT_TABLE_OFF);
	memset(b->page, 0, sizeof(*b->page));
	b->page->landing = (u64)(uintptr_t)sw_world_landing;
	b->page->mon_gs_sel = b->sel_gs;
	b->tc_base = (u8 *)(uintptr_t)BT_TC_BASE;
	b->tc_end = (u8 *)(uintptr_t)BT_TC_END;
	return 0;
err:
	snprintf(err, errlen, "cannot set up the translation cache: %s",
		 strerror(errno));
	return -errno;
}

int bt_tcache_init(struct bt_vm *b, char *err, size_t errlen)
{
	int r = window_setup(b, err, errlen);

	if (r < 0)
		return r;
	b->blocks = calloc(BT_MAX_BLOCKS, sizeof(*b->blocks));
	b->maps = calloc(BT_MAX_MAP, sizeof(*b->maps));
	b->page_idx = calloc(b->c->ram_size / 4096, sizeof(*b->page_idx));
	b->codepages = calloc(BT_MAX_CODEPAGES, sizeof(*b->codepages));
	b->data_stores = calloc(b->c->ram_size / 4096, 1);
	b->selfcheck = calloc(b->c->ram_size / 4096, 1);
	b->code_pt = calloc(b->c->ram_size / 4096, 1);
	if (!b->blocks || !b->maps || !b->page_idx || !b->codepages ||
	    !b->data_stores || !b->selfcheck || !b->code_pt) {
		snprintf(err, errlen,
			 "out of memory for the translation cache");
		return -ENOMEM;
	}
	build_shared(b);
	b->tc_free = b->tc_base + SHARED_SIZE;
	bt_table_clear(b);
	return 0;
}

static void unprotect(u32 pfn)
{
	mprotect((void *)(uintptr_t)(pfn << 12), 4096,
		 PROT_READ | PROT_WRITE | PROT_EXEC);
}

static struct bt_codepage *codepage(const struct bt_vm *b, u32 pfn);

/*
 * Data breakpoints (DR7 R/W = 01 write, 11 read or write; SDM Vol. 3B
 * 17.2.4): translated code accesses memory natively, so the page of each
 * breakpoint is protected against the accesses that could hit it; a
 * fault there is checked against the breakpoint's range, the instruction
 * runs alone with the page open, and a hit is a #DB trap after it.
 */
static const u32 bp_len[4] = {1, 2, 8, 4};

static bool data_bp(const struct sw_cpu *c, int i, u32 *lo, u32 *len, int *rw)
{
	u32 dr7 = c->dr[7];

	*rw = (dr7 >> (16 + 4 * i)) & 3;
	if (!((dr7 >> (2 * i)) & 3) || (*rw != 1 && *rw != 3))
		return false;
	*len = bp_len[(dr7 >> (18 + 4 * i)) & 3];
	*lo = c->dr[i] & ~(*len - 1);
	return true;
}

static int dbp_prot(const struct bt_vm *b, u32 pfn)
{
	int prot = PROT_READ | PROT_WRITE | PROT_EXEC, i, rw;
	u32 lo, len;

	for (i = 0; i < 4; i++) {
		if (!data_bp(b->c, i, &lo, &len, &rw))
			continue;
		if (lo >> 12 != pfn && (lo + len - 1) >> 12 != pfn)
			continue;
		prot &= rw == 1 ? ~PROT_WRITE : PROT_NONE;
	}
	return prot;
}

/* What the host mapping of guest page @pfn must allow now. */
static void apply_prot(const struct bt_vm *b, u32 pfn)
{
	int prot = dbp_prot(b, pfn);

	if (bt_paging(b)) {
		/* The shadow keeps every alias of a code page read-only. */
		if (codepage(b, pfn) && (u64)pfn * 4096 < b->c->ram_size)
			shadow__trace_phys(&b->t->sp, pfn);
		return;
	}
	if ((u64)pfn * 4096 >= b->c->ram_size || pfn == 0)
		return;
	if (codepage(b, pfn))
		prot &= ~PROT_WRITE;
	mprotect((void *)(uintptr_t)((u64)pfn << 12), 4096, prot);
}

bool bt_dbp_page(const struct bt_vm *b, u32 lin)
{
	u32 i;

	if (bt_paging(b))
		return false; /* not with paging: see paging.c */
	for (i = 0; i < b->ndbp; i++)
		if (b->dbp_pfn[i] == lin >> 12)
			return true;
	return false;
}

u32 bt_dbp_match(const struct bt_vm *b, u32 lin, u32 size, bool write)
{
	u32 lo, len, hits = 0;
	int i, rw;

	for (i = 0; i < 4; i++)
		if (data_bp(b->c, i, &lo, &len, &rw) && (write || rw == 3) &&
		    lin < lo + len && lo < lin + size)
			hits |= 1u << i;
	return hits;
}

void bt_dbp_update(struct bt_vm *b)
{
	u32 old[8], nold = b->ndbp, lo, len, i;
	int k, rw;

	memcpy(old, b->dbp_pfn, sizeof(old));
	b->ndbp = 0;
	for (k = 0; k < 4; k++) {
		if (!data_bp(b->c, k, &lo, &len, &rw))
			continue;
		b->dbp_pfn[b->ndbp++] = lo >> 12;
		if ((lo + len - 1) >> 12 != lo >> 12)
			b->dbp_pfn[b->ndbp++] = (lo + len - 1) >> 12;
	}
	for (i = 0; i < nold; i++)
		apply_prot(b, old[i]);
	for (i = 0; i < b->ndbp; i++)
		apply_prot(b, b->dbp_pfn[i]);
}

void bt_tcache_flush(struct bt_vm *b, const char *why)
{
	u32 i, n = b->ncodepages;

	if (b->t && b->t->m && (b->t->m->log_events & LOG_BT))
		log__printf("bt flush: %s (%u blocks, %u bytes)", why,
			      b->nblocks, (u32)(b->tc_free - b->tc_base));
	b->ncodepages = 0;
	for (i = 0; i < n; i++) {
		b->page_idx[b->codepages[i].pfn] = 0;
		apply_prot(b, b->codepages[i].pfn);
	}
	for (i = 0; i < b->nsmc; i++)
		apply_prot(b, b->smc_pending[i]);
	b->nsmc = 0;
	b->tc_free = b->tc_base + SHARED_SIZE;
	b->nblocks = 0;
	b->nmaps = 0;
	memset(b->hash, 0, sizeof(b->hash));
	memset(b->code_pt, 0, b->c->ram_size / 4096);
	bt_table_clear(b);
	b->generation++;
	b->st.flushes++;
}

static u32 hash_of(const struct bt_key *k)
{
	return (k->eip ^ (k->eip >> 11) ^ bt_key_word(k)) % BT_HASH;
}

static bool key_eq(const struct bt_key *a, const struct bt_key *b)
{
	return a->eip == b->eip && a->cs_base == b->cs_base &&
	       a->cpl == b->cpl && a->iopl == b->iopl && a->fpu == b->fpu &&
	       a->single == b->single && a->nobp == b->nobp &&
	       a->ss16 == b->ss16 && a->wreq == b->wreq;
}

struct bt_block *bt_tcache_find(struct bt_vm *b, const struct bt_key *k)
{
	struct bt_block *tb;

	for (tb = b->hash[hash_of(k)]; tb; tb = tb->hnext)
		if (key_eq(&tb->key, k))
			return tb;
	return NULL;
}

struct bt_block *bt_tcache_alloc(struct bt_vm *b)
{
	struct bt_block *tb = &b->blocks[b->nblocks++];

	memset(tb, 0, sizeof(*tb));
	return tb;
}

void bt_tcache_insert(struct bt_vm *b, struct bt_block *tb)
{
	u32 h = hash_of(&tb->key);

	tb->hnext = b->hash[h];
	b->hash[h] = tb;
}

static u32 table_index(u32 eip)
{
	return (eip ^ (eip >> 12)) & (BT_TABLE_SIZE - 1);
}

void bt_table_set(struct bt_vm *b, u32 keyw, u32 eip, u8 *tc)
{
	u32 i = table_index(eip);

	if (keyw != b->table_keyw)
		return;
	b->table[2 * i] = eip;
	b->table[2 * i + 1] = (u32)(uintptr_t)tc;
}

void bt_table_clear(struct bt_vm *b)
{
	u32 i;

	/* An empty slot's tc is the miss stub: a stray match is harmless. */
	for (i = 0; i < BT_TABLE_SIZE; i++) {
		b->table[2 * i] = 0xffffffffu;
		b->table[2 * i + 1] = (u32)(uintptr_t)b->miss_stub;
	}
	b->table_keyw = 0;
}

/* Async-signal-safe: only reads the arrays. */
const struct bt_block *bt_tcache_block_at(const struct bt_vm *b, u64 addr)
{
	u32 lo = 0, hi = b->nblocks;

	while (lo < hi) {
		u32 mid = (lo + hi) / 2;
		const struct bt_block *tb = &b->blocks[mid];

		if (addr < (u64)(uintptr_t)tb->tc)
			hi = mid;
		else if (addr >= (u64)(uintptr_t)tb->tc + tb->tc_len)
			lo = mid + 1;
		else
			return tb;
	}
	return NULL;
}

bool bt_tcache_map(const struct bt_vm *b, u64 addr, bool exact, u32 *eip)
{
	const struct bt_block *tb;
	u32 off, i;

	if (addr == (u64)(uintptr_t)b->miss_stub) {
		*eip = b->page->target;
		return true;
	}
	tb = bt_tcache_block_at(b, addr);
	if (!tb)
		return false;
	off = (u32)(addr - (u64)(uintptr_t)tb->tc);
	for (i = tb->nmap; i-- > 0;) {
		if (tb->map[i].off > off)
			continue;
		if (exact && (tb->map[i].off != off || !tb->map[i].boundary))
			return false;
		*eip = tb->map[i].eip;
		return true;
	}
	return false;
}

void bt_chain(struct bt_vm *b, u32 site, const u8 *target)
{
	u8 *s = (u8 *)(uintptr_t)site;
	u32 rel;

	if (s < b->tc_base + SHARED_SIZE || s + 4 > b->tc_free)
		return;
	rel = (u32)(target - (s + 4));
	memcpy(s, &rel, 4);
	b->st.chain_patches++;
}

/* --- code pages --- */

static struct bt_codepage *codepage(const struct bt_vm *b, u32 pfn)
{
	u16 i;

	if ((u64)pfn * 4096 >= b->c->ram_size)
		return NULL;
	i = b->page_idx[pfn];
	return i ? &b->codepages[i - 1] : NULL;
}

void bt_code_note(struct bt_vm *b, u32 lin, u32 len)
{
	u32 a, phys = 0;

	for (a = lin; a < lin + len; a++) {
		u32 pfn;
		struct bt_codepage *p;

		/* With paging the code page is the guest-physical one. */
		if (a == lin || !(a & 0xfff))
			phys = bt_code_phys(b, a & ~0xfffu);
		if (!phys)
			continue; /* page 0 (or unmapped): never protected */
		pfn = phys >> 12;
		if (phys < 0x1000 || (u64)phys >= b->c->ram_size)
			continue; /* page 0 and MMIO: never written natively */
		if (b->selfcheck[pfn])
			continue;
		p = codepage(b, pfn);
		if (!p) {
			if (b->ncodepages >= BT_MAX_CODEPAGES)
				continue; /* flushed before the next block */
			p = &b->codepages[b->ncodepages++];
			b->page_idx[pfn] = (u16)b->ncodepages;
			p->pfn = pfn;
			memcpy(p->snap, b->c->ram + ((u64)pfn << 12), 4096);
			memset(p->mask, 0, sizeof(p->mask));
			apply_prot(b, pfn);
		}
		p->mask[(a & 0xfff) >> 3] |= (u8)(1u << (a & 7));
	}
}

bool bt_code_page_protected(const struct bt_vm *b, u32 lin)
{
	u32 i;

	if (bt_paging(b))
		return false; /* trace faults, through trap.c */
	if (!codepage(b, lin >> 12))
		return false;
	for (i = 0; i < b->nsmc; i++)
		if (b->smc_pending[i] == lin >> 12)
			return false;
	return true;
}

#define SELFCHECK_AFTER 16

void bt_data_store(struct bt_vm *b, u32 lin)
{
	u32 pfn = lin >> 12;

	if ((u64)lin >= b->c->ram_size || b->selfcheck[pfn] || bt_paging(b))
		return;
	if (++b->data_stores[pfn] < SELFCHECK_AFTER)
		return;
	b->selfcheck[pfn] = 1;
	b->st.selfcheck_pages++;
	/* its blocks were translated without the check */
	bt_tcache_flush(b, "page switched to self-checking");
}

bool bt_page_selfcheck(const struct bt_vm *b, u32 lin)
{
	return !bt_paging(b) && (u64)lin < b->c->ram_size &&
	       b->selfcheck[lin >> 12];
}

void bt_smc_fault(struct bt_vm *b, u32 lin, u32 eip)
{
	b->st.smc_faults++;
	if (b->nsmc < 4)
		b->smc_pending[b->nsmc++] = lin >> 12;
	unprotect(lin >> 12);
	b->smc_active = true;
	b->smc_eip = eip;
}

static bool page_changed(const struct bt_vm *b, const struct bt_codepage *p)
{
	const u8 *now = b->c->ram + ((u64)p->pfn << 12);
	u32 i;

	for (i = 0; i < 4096; i++)
		if ((p->mask[i >> 3] >> (i & 7)) & 1 && now[i] != p->snap[i])
			return true;
	return false;
}

void bt_smc_settle(struct bt_vm *b)
{
	bool changed = false;
	u32 i;

	for (i = 0; i < b->nsmc; i++) {
		struct bt_codepage *p = codepage(b, b->smc_pending[i]);

		if (p && page_changed(b, p))
			changed = true;
	}
	if (changed) {
		b->st.smc_flushes++;
		bt_tcache_flush(b, "self-modifying code");
	} else {
		b->st.smc_false++;
		for (i = 0; i < b->nsmc; i++)
			apply_prot(b, b->smc_pending[i]);
		for (i = 0; i < b->nsmc; i++)
			bt_data_store(b, b->smc_pending[i] << 12);
	}
	b->nsmc = 0;
	b->smc_active = false;
}

void bt_monitor_write(struct sw_cpu *c, u32 lin, u32 len)
{
	struct bt_vm *b = bt_of(c);
	u32 pfn;

	if (!b || b->c != c || !len)
		return;
	for (pfn = lin >> 12; pfn <= (lin + len - 1) >> 12; pfn++) {
		struct bt_codepage *p = codepage(b, pfn);

		if (p && page_changed(b, p)) {
			b->st.monitor_writes++;
			bt_tcache_flush(b, "monitor write to code");
			return;
		}
	}
}
