/*
 * bt-simple internals: simple binary translation on the software
 * monitor of trap mode (ARCHITECTURE.md, "trap, bt-simple, bt"; docs
 * refvmm-bt.md). Guest code never runs untranslated: blocks of guest
 * instructions are translated on demand into the translation cache in
 * the monitor window and run there at host CPL 3 under a monitor code
 * segment of the host LDT; the guest's data segments stay the shadows of
 * trap mode, GS is the monitor's (the per-vCPU page). Everything that is
 * privileged or sensitive leaves through a callout into the emulator
 * trap mode uses (trap/emulate.c, trap/deliver.c).
 *
 *   decode.c     opcode tables: length and class of a guest instruction
 *   translate.c  one block: IDENT copies, rewrites, exit stubs, the map
 *   tcache.c     the cache: blocks, lookup, chaining, flushes, the
 *                tc -> guest EIP map, code-page write protection
 *   callout.c    sensitive instructions trap mode never sees (SGDT...,
 *                LAR/LSL/VERR/VERW, PUSHF/POPF, PUSH Sreg, INT3/INTO)
 *   mmio.c       any instruction on MMIO, on a shadow page
 *   gate.S       the 64-bit callout gate
 *   bt.c         the mode: run loop, signals, stats, traces
 */
#ifndef REFVMM_BT_H
#define REFVMM_BT_H

#include "../emu/monitor.h"
#include "adapt.h"
#include "decode.h"
#include "refvmm/sw/shadow_desc.h"
#include "refvmm/vcpu.h"

/* The monitor window (sw/world_switch.c owns pages 0 and 1). */
#define BT_GATE_ADDR  (SW_WINDOW_BASE + 0x100)	/* in the landing pad page */
#define BT_GS_BASE    (SW_WINDOW_BASE + 0x1000) /* struct sw_cpu */
#define BT_PAGE_OFF   0x1000			/* struct bt_page, from GS */
#define BT_TABLE_OFF  0x2000			/* lookup table, from GS */
#define BT_TABLE_SIZE 4096
#define BT_GS_LIMIT   (BT_TABLE_OFF + BT_TABLE_SIZE * 8 - 1)
#define BT_TC_BASE    (SW_WINDOW_BASE + 0x10000)
#define BT_TC_END     ((u64)SW_WINDOW_BASE + SW_WINDOW_SIZE)

/* Host LDT slots of the monitor (after trap mode's SW_NSLOTS). */
#define BT_SLOT_CODE 76
#define BT_SLOT_GS   77

/* What a callout stub asks of the monitor (bt_page.exit_code). */
enum bt_exit {
	BT_EXIT_CALLOUT = 1, /* emulate the instruction at EIP */
	BT_EXIT_BRANCH,	     /* continue at EIP; chain patch_site to it */
	BT_EXIT_MISS,	     /* indirect branch: continue at target */
	BT_EXIT_STEP,	     /* a one-instruction block ended: EIP next */
	BT_EXIT_RAISE_UD,    /* #UD at EIP (invalid or unsupported) */
	BT_EXIT_RAISE_GP,    /* #GP(0) at EIP (beyond the CS limit) */
	BT_EXIT_RAISE_NM,    /* #NM at EIP (CR0.TS/EM) */
	BT_EXIT_DEBUG,	     /* instruction breakpoint (DR0-DR3) at EIP */
	BT_EXIT_STALE,	     /* a self-checking block found its code changed */
	BT_EXIT_RAISE_PF,    /* #PF fetching the instruction at EIP */
	BT_EXIT_ADAPT,	     /* bt: an adapted access at EIP (adapt.c) */
	BT_EXIT_NR,
};

/* sw_world__enter's kind for a callout (sw/cpu.h has 1 and 2). */
#define BT_EXIT_KIND_CALLOUT 3

/* The per-vCPU data translated code reaches at %gs:BT_PAGE_OFF. */
struct bt_page {
	u32 exit_code;
	u32 target;	/* indirect branch target (guest EIP) */
	u32 patch_site; /* rel32 to chain, 0 when none */
	u32 jmp_target; /* lookup hit: the translation */
	u32 scr_eax, scr_ecx, scr_fl;
	u8 vif; /* the guest's EFLAGS.IF, for inline CLI */
	u8 pad0[3];
	u16 guest_gs_sel, guest_cs_sel, mon_gs_sel, pad1;
	u64 landing; /* 64-bit address of sw_world_landing */
	u64 hits;    /* indirect lookups that hit */
	u32 vflags;  /* the guest's IOPL, NT, VIF, VIP, TF, for PUSHF */
};

#define BT_PG(field) (BT_PAGE_OFF + (u32)offsetof(struct bt_page, field))

/* Translation key: what the translated code depends on. */
struct bt_key {
	u32 eip, cs_base;
	u8 cpl, iopl;
	u8 fpu;	     /* CR0.EM/MP/TS: x87/SSE may raise #NM or #UD */
	bool single; /* one instruction, then back to the monitor */
	bool nobp;   /* EFLAGS.RF: instruction breakpoints do not fire */
	bool ss16;   /* SS.B=0: PUSHF stays a callout */
	bool wreq;   /* an interrupt waits for IF: STI stays a callout */
};

/* tc offset -> guest EIP; boundary: the guest state is all there. */
struct bt_map {
	u16 off;
	bool boundary;
	u32 eip;
};

struct bt_block {
	struct bt_key key;
	u8 *tc;
	u32 tc_len, glen;
	u32 ninsn;
	struct bt_map *map;
	u32 nmap;
	bool nocache;
	struct bt_block *hnext;
};

#define BT_MAX_BLOCKS	 32768
#define BT_MAX_MAP	 (BT_MAX_BLOCKS * 24)
#define BT_HASH		 16384
#define BT_MAX_CODEPAGES 1024
#define BT_MMIO_PAGES	 2

struct bt_codepage {
	u32 pfn;
	u8 snap[4096];
	u8 mask[512]; /* bytes covered by translated instructions */
};

struct bt_stats {
	u64 translations, guest_bytes, tc_bytes, flushes, chain_patches;
	u64 lookup_miss, callouts, exits[BT_EXIT_NR];
	u64 smc_faults, smc_flushes, smc_false, monitor_writes, smc_emulated;
	u64 kicks, kick_steps, steps, translate_ns, selfcheck_pages, stale;
	u64 dbp_faults, dbp_hits, mmio_steps;
	u64 host_faults; /* signals from translated code, not the kick */
	u64 cls[BT_NCLASSES];
};

/* A host fault in an IDENT translation, seen before it is handled
 * (adapt.c): counted once the monitor has emulated it in place. */
struct bt_adapt_probe {
	bool armed;
	struct bt_key key;
	u64 rip;
	u32 eip, len;
	u64 delivered;
	u64 gen; /* the cache's generation when it faulted */
};

struct bt_vm {
	struct monitor *t;
	struct sw_cpu *c;
	struct bt_page *page;
	u32 *table; /* BT_TABLE_SIZE x {eip, tc} */
	u32 table_keyw;
	u16 sel_code, sel_gs;
	u32 feats; /* 1 << enum bt_feat the virtual CPU shows */
	u8 *tc_base, *tc_free, *tc_end;
	u8 *lookup_fn, *miss_stub, *step_ind_fn; /* shared, at tc_base */
	struct bt_block *blocks;
	u32 nblocks;
	struct bt_map *maps;
	u32 nmaps;
	struct bt_block *hash[BT_HASH];
	u64 generation; /* bumped by every flush */
	/* code-page protection (self-modifying code) */
	u16 *page_idx;	 /* pfn -> index + 1 into codepages */
	u8 *data_stores; /* pfn -> stores seen on it while protected */
	u8 *selfcheck;	 /* pfn -> 1: never protected, blocks check */
	u8 *code_pt;	 /* pfn -> 1: a page table code was fetched through */
	u64 paging_flushes;
	struct bt_codepage *codepages;
	u32 ncodepages;
	u32 dbp_pfn[8]; /* pages of the data breakpoints */
	u32 ndbp;
	u32 dbp_hits; /* breakpoints the stepped instruction hit */
	u32 dbp_fire; /* ... to report when its one-instruction run ends */
	struct {
		u32 page;
		u8 before[4096];
	} mmio[2]; /* shadow pages of MMIO (mmio.c) */
	u32 nmmio, mmio_eip;
	u32 smc_pending[4];
	u32 nsmc;
	u32 smc_eip;
	bool smc_active;
	bool chaining;
	volatile bool stepping; /* the kick is walking to a boundary */
	csh cs_host;		/* Capstone for --trace bt */
	cs_insn *host_insn;
	cs_insn *guest_insn; /* the translator's Capstone cross-check */
	struct bt_stats st;
	char callout_names[64][24];
	u64 callout_counts[64];
	u32 ncallout_names;
	struct bt_adapt *adapt; /* --mode bt only */
	struct bt_adapt_probe probe;
};

/* The translation engine a monitor runs (NULL under trap mode): what
 * the sw layer's hooks, which know only the vCPU, use to find it. */
static inline struct bt_vm *bt_of(const struct sw_cpu *c)
{
	const struct monitor *t =
		c && c->vcpu ? (const struct monitor *)c->vcpu->mode_priv
			     : NULL;

	return t && t->hooks.emulate_first ? t->hooks.engine : NULL;
}

/* translate.c */
struct bt_block *bt_translate(struct bt_vm *b, const struct bt_key *k);
u32 bt_key_word(const struct bt_key *k);

/* tcache.c */
int bt_tcache_init(struct bt_vm *b, char *err, size_t errlen);
void bt_tcache_flush(struct bt_vm *b, const char *why);
struct bt_block *bt_tcache_find(struct bt_vm *b, const struct bt_key *k);
struct bt_block *bt_tcache_alloc(struct bt_vm *b);
void bt_tcache_insert(struct bt_vm *b, struct bt_block *tb);
void bt_table_set(struct bt_vm *b, u32 keyw, u32 eip, u8 *tc);
void bt_table_clear(struct bt_vm *b);
const struct bt_block *bt_tcache_block_at(const struct bt_vm *b, u64 addr);
/* Guest EIP for tc address @addr; @exact: only a boundary start. */
bool bt_tcache_map(const struct bt_vm *b, u64 addr, bool exact, u32 *eip);
void bt_chain(struct bt_vm *b, u32 site, const u8 *target);
/* Code pages: protect what was translated, detect writes. */
void bt_code_note(struct bt_vm *b, u32 lin, u32 len);
bool bt_code_page_protected(const struct bt_vm *b, u32 lin);
/* Counts a store that hit data on a code page; hot pages switch from
 * write protection to self-checking blocks. */
void bt_data_store(struct bt_vm *b, u32 lin);
bool bt_page_selfcheck(const struct bt_vm *b, u32 lin);
void bt_smc_fault(struct bt_vm *b, u32 lin, u32 eip);
/* Data breakpoints: protect their pages, match an access. */
void bt_dbp_update(struct bt_vm *b);
bool bt_dbp_page(const struct bt_vm *b, u32 lin);
u32 bt_dbp_match(const struct bt_vm *b, u32 lin, u32 size, bool write);
void bt_smc_settle(struct bt_vm *b);
void bt_monitor_write(struct sw_cpu *c, u32 lin, u32 len);

/* mmio.c: any instruction on MMIO, run on a shadow page */
bool bt_mmio_addr(const struct bt_vm *b, u32 lin);
bool bt_mmio_open(struct bt_vm *b, u32 lin, u32 eip);
void bt_mmio_settle(struct bt_vm *b);

/* callout.c */
enum emu_result bt_callout_emulate(struct monitor *t, const cs_insn *in,
				   struct vm_exit *exit);

/* adapt.c: the mechanism of --mode bt (adapt.h has the policy) */
bool bt_adapt_translate_callout(const struct bt_vm *b, const struct bt_key *k,
				u32 lin, const struct bt_insn *in);
void bt_adapt_before_fault(struct bt_vm *b, const struct bt_key *k, u64 rip,
			   u32 eip);
void bt_adapt_after_fault(struct bt_vm *b, bool stopped);
bool bt_adapt_run_callout(struct bt_vm *b, const struct bt_key *k,
			  struct vm_exit *exit);

/* gate.S */
extern char bt_gate_start[], bt_gate_end[];

/* paging.c: translation on top of shadow paging (guest CR0.PG = 1). */
bool bt_paging(const struct bt_vm *b);
void bt_paging_init(struct bt_vm *b);
/*
 * Guest code bytes for translation: how many of @len could be fetched at
 * @lin with the guest's rights (a fetch walk; A bits set, the tables
 * traced); *pf_lin and *pf_err describe the #PF of the first byte that
 * could not.
 */
u32 bt_fetch(struct bt_vm *b, u32 lin, u8 *buf, u32 len, u32 *pf_lin,
	     u32 *pf_err);
/* Guest-physical address of code at @lin (identity with paging off). */
u32 bt_code_phys(struct bt_vm *b, u32 lin);

#endif
