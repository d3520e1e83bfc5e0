/*
 * The translation cache (tcache.h): the monitor window's code segment,
 * GS page and cache area; the blocks and their hash; the indirect-branch
 * lookup table that translated code reads itself; chaining; the map from
 * a cache address back to a guest EIP. A flush drops every block and
 * every code page (codepage.c). A change of the guest's page tables
 * flushes nothing: the blocks are checked against the new tables before
 * they run again (aspace.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "aspace.h"
#include "codepage.h"
#include "emit.h"
#include "fast.h"
#include "gate.h"
#include "isys.h"
#include "paging.h"
#include "refvmm/log.h"
#include "refvmm/machine.h"
#include "refvmm/sw/ldt.h"
#include "refvmm/sw/shadow_pt.h"
#include "refvmm/sw/world_switch.h"
#include "site.h"
#include "tcache.h"

_Static_assert(sizeof(struct bt_page) <= BT_GS_LIMIT + 1, "one page");
_Static_assert(BT_PG(eip) == BT_GATE_PG_EIP, "gate.h: bt_page.eip");
_Static_assert(BT_PG(exit_code) == 0, "gate.S: bt_page.exit_code");
_Static_assert(BT_RO_ADDR - BT_GS_BASE == BT_GATE_RO, "gate.h: bt_ro");
_Static_assert(offsetof(struct bt_ro, fast_ip) == 8 &&
		       offsetof(struct bt_ro, fast_cs) == 12,
	       "gate.S: RO_FAR");
_Static_assert(BT_EXIT_FAST == BT_GATE_EXIT_FAST, "gate.h: BT_EXIT_FAST");
_Static_assert(BT_EXIT_MISS == BT_GATE_EXIT_MISS, "gate.h: BT_EXIT_MISS");
_Static_assert(BT_GS_BASE + BT_GATE_CPU == BT_CPU_ADDR, "gate.h: sw_cpu");
_Static_assert(BT_TABLE_ADDR + BT_TABLE_BYTES <= BT_TC_BASE, "layout");

#define SHARED_SIZE 0x800

/* An empty slot's tc is the miss stub: a stray match is harmless. */
static void slot_clear(struct bt_vm *b, u32 t, u32 i)
{
	u32 *slot = b->table + 2 * (t * BT_TABLE_SIZE + i);

	slot[0] = 0xffffffffu;
	slot[1] = (u32)(uintptr_t)b->miss_stub;
}

/* Empties table @t (its listed slots, or all of them) and frees it. */
static void table_empty(struct bt_vm *b, u32 t)
{
	struct bt_table *tb = &b->tables[t];
	u32 i;

	if (tb->nused <= BT_TABLE_USED_MAX)
		for (i = 0; i < tb->nused; i++)
			slot_clear(b, t, tb->used[i]);
	else
		for (i = 0; i < BT_TABLE_SIZE; i++)
			slot_clear(b, t, i);
	tb->nused = 0;
	tb->keyw = 0;
}

/* An invalidation: what the tables held may not run. */
void tcache__table_clear(struct bt_vm *b)
{
	tcache__table_drop(b, BT_WALK_BOTH);
}

/* A new epoch for @walks blocks: the tables of keys at their CPLs go (a
 * key word holds one CPL, so one walk class); the others hold blocks
 * still valid. */
void tcache__table_drop(struct bt_vm *b, u8 walks)
{
	for (u32 t = 0; t < BT_NTABLES; t++)
		if (b->tables[t].nused && (b->tables[t].walk & walks))
			table_empty(b, t);
}

/*
 * A table holds entries of one key word (translated code compares only
 * the EIP). At a change of key word (CPL at every system call and
 * interrupt from user mode) the lookup moves to that key word's table
 * if one has it, with its entries; else the next table in turn is
 * emptied for it. bt_page.table_off tells the lookup which one.
 */
static void table_select(struct bt_vm *b, u32 keyw, u8 walk)
{
	u32 t;

	for (t = 0; t < BT_NTABLES; t++)
		if (b->tables[t].keyw == keyw)
			break;
	if (t == BT_NTABLES) {
		/* a table an epoch freed, else one in turn */
		for (t = 0; t < BT_NTABLES && b->tables[t].keyw; t++)
			;
		if (t == BT_NTABLES) {
			t = b->table_next;
			b->table_next = (t + 1) % BT_NTABLES;
		}
		table_empty(b, t);
		b->tables[t].keyw = keyw;
		b->st.table_new++;
		b->tables[t].walk = walk;
	} else {
		b->st.table_found++;
	}
	b->table_cur = t;
	b->page->table_off = t * BT_TABLE_SIZE;
}

/* Restores the flags, EAX and ECX the lookup saved. */
static void restore_flags_regs(struct emit *e)
{
	emit__restore_flags(e);
	emit__gs_load_ecx(e, BT_PG(scr_ecx));
}

/* mov %cs:@ro, %esp; mov %esp, %gs:@pg (ESP is the scratch: the
 * instruction loads it after) */
static void esp_copy(struct emit *e, u32 ro, u32 pg)
{
	emit__bytes(e, "\x2e\x8b\x25", 3);
	emit__u32(e, ro);
	emit__bytes(e, "\x65\x89\x25", 3);
	emit__u32(e, pg);
}

/*
 * SYSENTER (i = 0) and SYSEXIT (i = 1) in the translation (fast_sysx.h),
 * entered with the guest EIP of the instruction in the page. Armed: the
 * record of which ran, the new SS shadow, the count, the new key word's
 * table, the new selectors (INT's frame reads them), the target, ESP, for
 * SYSENTER IF = 0 (SDM Vol. 2B SYSENTER: VM, IF, RF cleared; VM and RF are
 * clear where armed), then the lookup. None of it changes the guest's flags or
 * other registers, and no instruction but the last jump is a boundary: a kick
 * steps to the lookup. Disarmed: the fast callout.
 */
static void build_sysx(struct bt_vm *b, struct emit *e)
{
	for (u32 i = 0; i < 2; i++) {
		u32 rel;

		b->sysx_fn[i] = e->p;
		emit__gs_imm8(e, BT_PG(sysx), i ? BT_SYSX_EXIT : BT_SYSX_ENTER);
		emit__bytes(e, "\x2e\x8e\x15", 3); /* mov %cs:sysx_ss, %ss */
		emit__u32(e, BT_RO(sysx_ss[0]) + 2 * i);
		/* inline_sysx[i]++ without touching the flags */
		emit__bytes(e, "\x65\x8b\x25", 3);
		emit__u32(e, BT_PG(inline_sysx[0]) + 4 * i);
		emit__bytes(e, "\x8d\x64\x24\x01", 4); /* lea 1(%esp), %esp */
		emit__bytes(e, "\x65\x89\x25", 3);
		emit__u32(e, BT_PG(inline_sysx[0]) + 4 * i);
		esp_copy(e, BT_RO(sysx_table_off[0]) + 4 * i, BT_PG(table_off));
		esp_copy(e, BT_RO(sysx_sels[0]) + 4 * i, BT_PG(cs_sel));
		if (i == 0) {
			esp_copy(e, BT_RO(sysenter_eip), BT_PG(target));
			emit__bytes(e, "\x2e\x8b\x25", 3);
			emit__u32(e, BT_RO(sysenter_esp));
			emit__gs_imm8(e, BT_PG(vif), 0);
		} else {
			emit__bytes(e, "\x65\x89\x15",
				    3); /* mov %edx, target */
			emit__u32(e, BT_PG(target));
			emit__bytes(e, "\x89\xcc", 2); /* mov %ecx, %esp */
		}
		emit__u8(e, 0xe9); /* jmp lookup */
		rel = (u32)(b->lookup_fn - (e->p + 4));
		emit__u32(e, rel);

		b->sysx_leave_fn[i] = e->p;
		emit__gs_imm(e, BT_PG(fast_op),
			     BT_FAST_OP(i ? BT_FAST_SYSEXIT : BT_FAST_SYSENTER,
					0, 0, 2));
		emit__exit(e, BT_EXIT_FAST);
	}
	b->ro->sysx_fn[0] = (u32)(uintptr_t)b->sysx_leave_fn[0];
	b->ro->sysx_fn[1] = (u32)(uintptr_t)b->sysx_leave_fn[1];
}

/*
 * The indirect-branch lookup, shared by every RET and JMP/CALL r/m:
 * guest target in the page, hash (eip ^ eip >> 12) & 0xfff into the
 * table of {eip, tc}; a hit jumps to the translation, a miss leaves for
 * the monitor. The flags are saved with LAHF/SETO and restored with
 * ADD/SAHF because the guest's branch does not change them. The table is
 * read through %cs (flat, execute/read): no segment translated code has
 * can write it.
 */
static void build_shared(struct bt_vm *b)
{
	struct emit e = {b->tc_base};
	u8 *jne;

	b->lookup_fn = e.p;
	emit__gs_store_eax(&e, BT_PG(scr_eax));
	emit__gs_store_ecx(&e, BT_PG(scr_ecx));
	emit__bytes(&e, "\x0f\x90\xc0\x9f", 4); /* seto %al; lahf */
	emit__gs_store_eax(&e, BT_PG(scr_fl));
	emit__gs_load_eax(&e, BT_PG(target));
	emit__bytes(&e, "\x89\xc1\xc1\xe9\x0c\x31\xc1\x81\xe1\xff\x0f\x00\x00",
		    13);
	/* the current table's slots; masked again, so that no value of
	 * table_off (translated code's scratch) reads outside the tables */
	emit__bytes(&e, "\x65\x03\x0d", 3); /* add %gs:table_off, %ecx */
	emit__u32(&e, BT_PG(table_off));
	emit__u8(&e, 0x81); /* and $(BT_NTABLES * BT_TABLE_SIZE - 1), %ecx */
	emit__u8(&e, 0xe1);
	emit__u32(&e, BT_NTABLES * BT_TABLE_SIZE - 1);
	emit__bytes(&e, "\x2e\x3b\x04\xcd", 4); /* cmp %cs:T(,%ecx,8), %eax */
	emit__u32(&e, BT_TABLE_ADDR);
	jne = e.p;
	emit__bytes(&e, "\x75\x00", 2);
	emit__bytes(&e, "\x2e\x8b\x0c\xcd", 4); /* mov %cs:T+4(,%ecx,8), %ecx */
	emit__u32(&e, BT_TABLE_ADDR + 4);
	emit__gs_store_ecx(&e, BT_PG(jmp_target));
	emit__bytes(&e, "\x65\xff\x05", 3); /* incl %gs:hits */
	emit__u32(&e, BT_PG(hits));
	restore_flags_regs(&e);
	emit__bytes(&e, "\x65\xff\x25", 3); /* jmp *%gs:jmp_target */
	emit__u32(&e, BT_PG(jmp_target));
	jne[1] = (u8)(e.p - (jne + 2));
	restore_flags_regs(&e);
	b->miss_stub = e.p;
	emit__exit(&e, BT_EXIT_MISS);

	/* One-instruction blocks: the target goes back to the monitor. */
	b->step_ind_fn = e.p;
	emit__gs_store_eax(&e, BT_PG(scr_eax));
	emit__gs_load_eax(&e, BT_PG(target));
	emit__gs_store_eax(&e, BT_PG(eip));
	emit__gs_load_eax(&e, BT_PG(scr_eax));
	emit__exit(&e, BT_EXIT_STEP);
	build_sysx(b, &e);
	e.p = isys__build(b, e.p);
	if (e.p > b->tc_base + SHARED_SIZE)
		abort(); /* SHARED_SIZE too small: a build-time mistake */
}

/* @to into the copy of the gate at @copy, at immediate @at, which
 * holds @placeholder. */
static int gate_set(u8 *copy, const char *at, u64 placeholder, u64 to)
{
	size_t off = (size_t)(at - bt_gate_start);
	u64 imm;

	memcpy(&imm, copy + off, 8);
	if (imm != placeholder)
		return -1;
	memcpy(copy + off, &to, 8);
	return 0;
}

/* The landing's and the fast handler's addresses into the copy. */
static int gate_set_landing(u8 *copy)
{
	if (gate_set(copy, bt_gate_landing_imm, BT_GATE_LANDING_PLACEHOLDER,
		     (u64)(uintptr_t)sw_world_landing) < 0)
		return -1;
	return gate_set(copy, bt_gate_fast_imm, BT_GATE_FAST_PLACEHOLDER,
			(u64)(uintptr_t)bt_fast_callout);
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
	if (gate_set_landing(w + (BT_GATE_ADDR - SW_WINDOW_BASE)) < 0) {
		snprintf(err, errlen,
			 "the callout gate has no landing or fast "
			 "handler placeholder");
		return -EINVAL;
	}
	if (mprotect(w, 0x1000, PROT_READ | PROT_EXEC) < 0)
		goto err;
	if (mprotect((u8 *)(uintptr_t)BT_GS_BASE,
		     BT_TABLE_ADDR + BT_TABLE_BYTES - BT_GS_BASE,
		     PROT_READ | PROT_WRITE) < 0)
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
	b->page = (struct bt_page *)(uintptr_t)BT_GS_BASE;
	b->ro = (struct bt_ro *)(uintptr_t)BT_RO_ADDR;
	b->table = (u32 *)(uintptr_t)BT_TABLE_ADDR;
	memset(b->page, BT_CANARY, BT_GS_LIMIT + 1);
	memset(b->page, 0, sizeof(*b->page));
	b->ro->mon_gs_sel = b->sel_gs;
	b->tc_base = (u8 *)(uintptr_t)BT_TC_BASE;
	b->tc_end = (u8 *)(uintptr_t)BT_TC_END;
	return 0;
err:
	snprintf(err, errlen, "cannot set up the translation cache: %s",
		 strerror(errno));
	return -errno;
}

/* The guest's tables may map the code of @walks blocks differently
 * (@all: the shadow dropped its traces): a new address-space epoch,
 * which nothing reached through the lookup table outlives; a flush when
 * paging went on or off. */
static void space_changed(struct bt_vm *b, u8 walks, bool all, const char *why)
{
	if (aspace__changed(b, walks, all)) {
		tcache__table_drop(b, walks);
		return;
	}
	b->paging_flushes++;
	tcache__flush(b, why);
}

/* The shadow changed entries of a page table (or all). */
static void paging_changed(void *ctx, u64 ppn, const u8 *changed, u32 esz)
{
	struct bt_vm *b = ctx;
	u8 walks;

	if (ppn == SHADOW_SWITCH) {
		if (!aspace__switched(b, &walks)) {
			b->paging_flushes++;
			tcache__flush(b, "guest paging state changed");
		} else if (walks) {
			tcache__table_drop(b, walks);
		}
		return;
	}
	walks = paging__changed(b, ppn, changed, esz);

	if (walks)
		space_changed(b, walks, ppn == SHADOW_ALL,
			      ppn == SHADOW_ALL ? "guest paging state changed"
						: "a page table code was "
						  "fetched through changed");
}

void tcache__sync(struct bt_vm *b)
{
	if (aspace__moved(b))
		space_changed(b, BT_WALK_BOTH, false,
			      "guest paging controls changed");
}

int tcache__init(struct bt_vm *b, char *err, size_t errlen)
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
	b->code_pte = calloc(b->c->ram_size / 4096, sizeof(*b->code_pte));
	b->code_pts = calloc(b->c->ram_size / 4096, sizeof(*b->code_pts));
	b->pt_needed = calloc(b->c->ram_size / 4096 / 8 + 1, 1);
	if (!b->blocks || !b->maps || !b->page_idx || !b->codepages ||
	    !b->data_stores || !b->selfcheck || !b->code_pt || !b->code_pte ||
	    !b->code_pts || !b->pt_needed || site__init(b) < 0 ||
	    aspace__init(b) < 0) {
		snprintf(err, errlen,
			 "out of memory for the translation cache");
		return -ENOMEM;
	}
	build_shared(b);
	b->tc_free = b->tc_base + SHARED_SIZE;
	for (u32 t = 0; t < BT_NTABLES; t++) {
		b->tables[t].nused = BT_TABLE_USED_MAX + 1; /* all, once */
		table_empty(b, t);
	}
	b->t->sp.on_change = paging_changed;
	b->t->sp.change_ctx = b;
	return 0;
}

void tcache__destroy(struct bt_vm *b)
{
	free(b->blocks);
	free(b->maps);
	free(b->page_idx);
	free(b->codepages);
	free(b->data_stores);
	free(b->selfcheck);
	free(b->code_pt);
	if (b->code_pte)
		for (u32 i = 0; i < b->c->ram_size / 4096; i++)
			free(b->code_pte[i]);
	free(b->code_pte);
	free(b->code_pts);
	free(b->pt_needed);
	site__destroy(b);
	aspace__destroy(b);
}

void tcache__flush(struct bt_vm *b, const char *why)
{
	if (b->t && b->t->m && (b->t->m->log_events & LOG_BT))
		log__printf("bt flush: %s (%u blocks, %u bytes)", why,
			    b->nblocks, (u32)(b->tc_free - b->tc_base));
	codepage__forget_all(b);
	site__clear_from(b, b->tc_base);
	b->tc_free = b->tc_base + SHARED_SIZE;
	b->nblocks = 0;
	b->nmaps = 0;
	memset(b->hash, 0, sizeof(b->hash));
	tcache__table_clear(b);
	aspace__flushed(b);
	b->generation++;
	b->st.flushes++;
}

/* The newest block of @k whose code pages the guest's tables map as
 * when it was translated: address spaces that map @k's EIP differently
 * each have theirs. */
struct bt_block *tcache__find(struct bt_vm *b, const struct bt_key *k)
{
	struct bt_block *tb;

	for (tb = b->hash[bt_key_hash(k)]; tb; tb = tb->hnext)
		if (bt_key_eq(&tb->key, k) && aspace__valid(b, tb))
			return tb;
	return NULL;
}

struct bt_block *tcache__alloc(struct bt_vm *b)
{
	struct bt_block *tb = &b->blocks[b->nblocks++];

	memset(tb, 0, sizeof(*tb));
	return tb;
}

void tcache__insert(struct bt_vm *b, struct bt_block *tb)
{
	u32 h = bt_key_hash(&tb->key);

	tb->hnext = b->hash[h];
	b->hash[h] = tb;
}

void tcache__table_set(struct bt_vm *b, const struct bt_key *k, u8 *tc)
{
	u32 keyw = bt_key_word(k);

	if (keyw != b->tables[b->table_cur].keyw)
		table_select(b, keyw, k->cpl == 3 ? BT_WALK_USER : BT_WALK_SUP);
	bt_table_put(b, b->table_cur, bt_table_index(k->eip), k->eip, tc);
}

/* Async-signal-safe: only reads the arrays. */
const struct bt_block *tcache__block_at(const struct bt_vm *b, u64 addr)
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

bool tcache__map(const struct bt_vm *b, u64 addr, bool exact, u32 *eip)
{
	const struct bt_block *tb;
	u32 off, i;

	if (addr == (u64)(uintptr_t)b->miss_stub) {
		*eip = b->page->target;
		return true;
	}
	tb = tcache__block_at(b, addr);
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

void tcache__trace_chain(const struct bt_vm *b, u32 site, u32 target, u32 eip)
{
	if (b->t->m->log_events & LOG_BT)
		log__printf("bt chain 0x%x -> 0x%x (guest 0x%x)", site, target,
			    eip);
}

void tcache__chain(struct bt_vm *b, u32 site, const u8 *target, u32 eip)
{
	u8 *s = (u8 *)(uintptr_t)site;
	u32 rel;

	if (!site__is(b, BT_SITE_CHAIN, site))
		return;
	aspace__link(b, s, 4, tcache__block_at(b, site),
		     tcache__block_at(b, (u64)(uintptr_t)target));
	rel = (u32)(target - (s + 4));
	memcpy(s, &rel, 4);
	b->st.chain_patches++;
	tcache__trace_chain(b, site, (u32)(uintptr_t)target, eip);
}
