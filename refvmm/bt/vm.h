/*
 * The state of the binary-translation engine (bt-simple and bt; docs
 * refvmm-bt.md): the monitor window's layout, the page translated code
 * reaches through GS, the translation key, blocks and their maps, code
 * pages, counters, and struct bt_vm, one per vCPU, that every file of
 * bt/ works on. Types only; each concept's functions are in its own
 * header (bt.h lists them).
 */
#ifndef REFVMM_BT_VM_H
#define REFVMM_BT_VM_H

#include "../emu/monitor.h"
#include "adapt.h"
#include "decode.h"
#include "kind.h"
#include "refvmm/pio_pure.h"
#include "refvmm/sw/guest_pt.h"
#include "refvmm/sw/shadow_desc.h"
#include "refvmm/vcpu.h"

/* The operations a fast callout finishes (fast.h). */
#define BT_FAST_NOPS 14

/*
 * The monitor window (sw/world_switch.c owns pages 0 and 1: the landing
 * pad and struct sw_cpu). Translated code runs with GS = a segment over
 * exactly one page, struct bt_page: its own scratch data and nothing the
 * monitor trusts. What the monitor or the gate trusts lies outside every
 * segment translated code can write through: struct sw_cpu (host stack
 * pointer, XSAVE areas, hooks), the selectors translated code loads and
 * the lookup table, which it reads through its code segment (flat,
 * execute/read: a store through CS is #GP, SDM Vol. 3A 5.4.1), and the
 * gate's destination, an immediate in its read-only page.
 */
#define BT_GATE_ADDR	  (SW_WINDOW_BASE + 0x100) /* in the landing pad page */
#define BT_CPU_ADDR	  (SW_WINDOW_BASE + 0x1000) /* struct sw_cpu */
#define BT_GS_BASE	  (SW_WINDOW_BASE + 0x2000) /* struct bt_page */
#define BT_GS_LIMIT	  0xfff
#define BT_RO_ADDR	  (SW_WINDOW_BASE + 0x3000) /* struct bt_ro */
#define BT_TABLE_ADDR	  (SW_WINDOW_BASE + 0x4000) /* lookup table */
#define BT_TABLE_SIZE	  4096			    /* slots per table */
#define BT_NTABLES	  4 /* a power of two: the lookup masks */
#define BT_TABLE_BYTES	  (BT_NTABLES * BT_TABLE_SIZE * 8)
#define BT_TABLE_USED_MAX 1024
#define BT_TC_BASE	  (SW_WINDOW_BASE + 0x24000)
#define BT_TC_END	  ((u64)SW_WINDOW_BASE + SW_WINDOW_SIZE)

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
	BT_EXIT_ADAPT,	     /* bt: an adapted access at EIP (retranslate.c) */
	BT_EXIT_RAISE_DE,    /* #DE at EIP (DIV/IDIV by zero) */
	BT_EXIT_FAST,	     /* emulate at EIP; fast_op says how (fast.h) */
	BT_EXIT_SHADOW,	     /* an inline STI's shadow goes on at EIP */
	BT_EXIT_NR,
};

/* bt_page.sysx: which ran last in the translation (fast_sysx.h,
 * fast_isys.h) */
#define BT_SYSX_ENTER 1
#define BT_SYSX_EXIT  2
#define BT_SYSX_INT   3
#define BT_SYSX_IRET  4

/* sw_world__enter's kind for a callout (sw/cpu.h has 1 and 2). */
#define BT_EXIT_KIND_CALLOUT 3

/*
 * The per-vCPU page translated code reaches through GS (BT_GS_BASE): its
 * scratch, and what a stub tells the monitor. The monitor reads each
 * field as a claim to check, never as a pointer or an index it trusts:
 * exit_code is range-checked, patch_site must be a site the translator
 * recorded (tcache__is_site), eip and target are guest state. The rest of
 * the page is a canary (BT_CANARY) the integrity check reads.
 */
struct bt_page {
	u32 exit_code;
	u32 target;	/* indirect branch target (guest EIP) */
	u32 patch_site; /* rel32 to chain, 0 when none */
	u32 jmp_target; /* lookup hit: the translation */
	u32 scr_eax, scr_ecx, scr_fl;
	u8 vif; /* the guest's EFLAGS.IF, for inline CLI */
	/* BT_SYSX_*: the last SYSENTER, SYSEXIT, INT or IRET the
	 * translation ran since the monitor last looked (fast_sysx.h,
	 * fast_isys.h); a claim */
	u8 sysx;
	u8 pad0[2];
	u32 eip;     /* guest EIP of a callout: the gate copies it to sw_cpu */
	u64 hits;    /* indirect lookups that hit */
	u32 vflags;  /* guest IOPL NT AC VIF VIP TF ID, for PUSHF and POPF */
	u32 insns;   /* --count-insns: guest instructions since the last exit */
	u32 scr_cnt; /* EAX while the count goes up */
	u32 divisor; /* DIV/IDIV's divisor, read once (translate.c) */
	u32 fast_op; /* BT_EXIT_FAST: the instruction, encoded (fast.h) */
	u32 table_off; /* the current lookup table's first slot (tcache.c) */
	/* RDTSC in the translation (translate.c emit_rdtsc): the guest's
	 * TSC offset and IA32_TSC_AUX, copied in by run_block; and how
	 * many the translations ran */
	u64 tsc_offset;
	u32 tsc_aux;
	u32 pad1;
	u64 inline_rdtsc;
	/* SYSENTER, SYSEXIT the translation ran (fast_sysx.h), since the
	 * run loop last added them to bt_stats */
	u32 inline_sysx[2];
	/* INT n and IRETD in the translation (fast_isys.h, isys.S): how
	 * many ran since the run loop last added them to bt_stats; the
	 * guest's CS and SS selectors now, for INT's frame (kept by
	 * run_block, fast_switch and every routine that changes them);
	 * the routines' scratch: the registers, ESP, SS and ES they found,
	 * the ESP they leave, the IRET frame, and a stack for PUSHF */
	u32 inline_isys[2];
	u16 cs_sel, ss_sel;
	u32 isys_eax, isys_ecx, isys_edx, isys_esp, isys_newesp;
	u16 isys_ss, isys_es;
	u32 isys_frame[5];
	u32 isys_stack[3];
	/* MOV r32, CRn at CPL 0 in the translation (translate.c
	 * emit_mov_from_cr): the guest's CR0-CR4 (CR1 unused), copied in
	 * by run_block (only full exits change them), and how many ran
	 * since the run loop last added them to bt_stats */
	u32 cr[5];
	u32 inline_movcr;
	u32 inline_in; /* IN of a pure port in the translation (emit_in) */
	/* BT_FAST_INVLPG, BT_FAST_ADAPT_MOV: the memory operand's
	 * effective address, which the stub computed (translate.c
	 * emit_fast_mem); a claim like the rest */
	u32 fast_ea;
	/* #DE raised at CPL 0 in the translation (fast_isys.h, isys.S),
	 * since the run loop last added them to bt_stats */
	u32 inline_de;
	/* BT_FAST_ADAPT_MOV with BT_FAST_IMM: the immediate to store */
	u32 fast_imm;
};

/* Where the monitor may write a jump (recorded when it was emitted). */
enum bt_site {
	BT_SITE_CHAIN, /* the rel32 of a branch stub's jump */
	BT_SITE_ADAPT, /* the 5 bytes of an adapted callout's EIP store */
};

#define BT_PG(field) ((u32)offsetof(struct bt_page, field))
#define BT_CANARY    0xa5

/* What translated code loads into GS around a guest GS or CS access, read
 * through %cs at BT_RO_ADDR: written by the monitor only. */
struct bt_ro {
	u16 guest_gs_sel, guest_cs_sel, mon_gs_sel;
	u16 pad;
	/* Where the gate returns to after a fast callout (gate.S, fast.c):
	 * a far pointer, m16:32, 4-byte aligned for #AC (SDM Vol. 1 4.1.1). */
	u32 fast_ip;
	u16 fast_cs;
	/* SYSENTER and SYSEXIT in the translation (fast_sysx.h), armed by
	 * the run loop: where each jumps (the routine that does it, or the
	 * one that leaves as the fast callout), the SS shadow and the
	 * lookup table of the state after it, IA32_SYSENTER_ESP and EIP */
	u16 sysx_ss[2];
	u32 sysx_fn[2];
	u32 sysx_table_off[2];
	u32 sysenter_esp, sysenter_eip;
	/* ... and the CS and SS selectors each leaves (CS | SS << 16) */
	u32 sysx_sels[2];
	/* INT n and IRETD in the translation (fast_isys.h, isys.S), armed
	 * by the run loop: where translated INT and IRETD jump (the
	 * routine, or the fast callout's exit, isys_leave), the lookup; the
	 * INT armed: its bt_page.fast_op, the linear addresses and the raw
	 * bytes of its gate and of the descriptors of the gate's CS and of
	 * SS0, TSS.ESP0's address, the highest ESP0 - 20 that keeps the
	 * frame in SS0 and in RAM, the gate's offset, the new key word's
	 * table, TSS.SS0, SS0's host selector, the new CS | SS << 16, and
	 * 0xff for a trap gate (IF kept), 0 for an interrupt gate; the
	 * IRETD armed: its CS and SS descriptors' addresses and raw bytes,
	 * the table, the CS | SS << 16 its frame must hold, SS's host
	 * selector */
	u32 isys_fn[2], isys_leave, lookup_ip;
	u32 int_op, int_idt, int_gate[2];
	u32 int_cs_addr, int_cs_desc[2], int_ss_addr, int_ss_desc[2];
	u32 int_tss, int_sp_max, int_eip, int_table_off;
	u16 int_ss0, int_hss;
	u32 int_sels;
	u8 int_keep_if, pad2[3];
	u32 iret_cs_addr, iret_cs_desc[2], iret_ss_addr, iret_ss_desc[2];
	u32 iret_table_off;
	u32 iret_sels;
	u16 iret_hss, pad3;
	u32 iret_cs_neg; /* -CS: a test without the flags */
	/* #DE at CPL 0 and IRETD to the same CS at CPL 0 in the
	 * translation (fast_isys.h, isys.S), armed by the run loop: where
	 * a translated DIV's raise jumps (the routine, or isys_leave); the
	 * running CS's GDT descriptor, its linear address and raw bytes,
	 * and its selector; the gate of vector 0, its linear address and
	 * raw bytes, its offset, the host SS the routine must find, 0xff
	 * for a trap gate (IF kept); -CS for IRETD's frame test (never
	 * matched when that is not armed, like iret_cs_neg) */
	u32 de_fn;
	u32 cs0_addr, cs0_desc[2];
	u32 de_idt, de_gate[2];
	u32 de_eip;
	u16 cs0_sel, de_hss;
	u8 de_keep_if, pad4[3];
	u32 iret0_cs_neg;
	/* IN of a pure port in the translation (translate.c emit_in): the
	 * machine's published cells (pio_pure.h) as run_block found them,
	 * each in slot pio_pure__slot(port), an empty slot port 0 invalid */
	struct bt_pure_slot {
		u16 port;
		u8 value, valid;
	} pure[PIO_PURE_SLOTS];
};

#define BT_RO(field) (BT_RO_ADDR + (u32)offsetof(struct bt_ro, field))

/* Translation key: what the translated code depends on. */
struct bt_key {
	u32 eip, cs_base;
	u8 cpl, iopl;
	u8 fpu;	     /* CR0.EM/MP/TS: x87/SSE may raise #NM or #UD */
	bool single; /* one instruction, then back to the monitor */
	bool nobp;   /* EFLAGS.RF: instruction breakpoints do not fire */
	bool ss16;   /* SS.B=0: PUSHF stays a callout */
	bool wreq;   /* an interrupt waits for IF: STI, POPF stay callouts */
};

/* The key's fpu field: what x87/SSE raise follows from CR0.EM/MP/TS
 * and CR4.OSFXSR (decode.h). */
static inline u8 bt_key_fpu(const struct sw_cpu *c)
{
	return (u8)(c->cr0 & (CR0_EM | CR0_MP | CR0_TS)) |
	       (c->cr4 & CR4_OSFXSR ? 0 : BT_FPU_NO_OSFXSR);
}

/* What a lookup table holds entries of (tcache.c): every field of the
 * key but the EIP, hashed; never 0 (an empty table's). Inline: the fast
 * callouts (fast.c) compute it too. */
static inline u32 bt_key_word(const struct bt_key *k)
{
	u32 h = k->cs_base * 0x9e3779b1u;

	h ^= (u32)k->cpl << 1 | (u32)k->iopl << 3 | (u32)k->single << 5 |
	     (u32)k->fpu << 6 | (u32)k->nobp << 10 | (u32)k->ss16 << 11 |
	     (u32)k->wreq << 12;
	return h | 1;
}

/* tc offset -> guest EIP; boundary: the guest state is all there. */
struct bt_map {
	u16 off;
	bool boundary;
	u32 eip;
};

/* A fetch from this linear page faults (aspace.c). */
#define BT_NO_PAGE 0xffffffffu

/* The privilege classes of fetch walks (SDM Vol. 3A 4.6: CPL 3 or not),
 * as bits: the walks a page table was read by (bt_vm.code_pt). */
#define BT_WALK_SUP  1u
#define BT_WALK_USER 2u
#define BT_WALK_BOTH (BT_WALK_SUP | BT_WALK_USER)

struct bt_block {
	struct bt_key key;
	u8 *tc;
	u32 tc_len, glen;
	u32 ninsn;
	struct bt_map *map;
	u32 nmap;
	bool nocache;
	/* The linear pages its code was fetched from (one or two) and the
	 * guest-physical pages a fetch at the key's CPL found there, or
	 * BT_NO_PAGE; whether that still holds in epoch @epoch of its
	 * privilege class (aspace.c). */
	u8 npages;
	bool valid;
	u32 lpn[2], ppn[2];
	u64 epoch;
	struct bt_block *hnext;
};

/* A patch of translated code that jumps to another block, undone when
 * the guest's address space changes (aspace.c): the bytes it replaced. */
struct bt_undo {
	u8 *site;
	u8 len;
	u8 orig[5];
};

#define BT_MAX_UNDO 16384 /* per list */
/* The undo lists: supervisor blocks', user blocks', sites in no block. */
#define BT_UNDO_LISTS 3

#define BT_MAX_BLOCKS 32768
#define BT_MAX_MAP    (BT_MAX_BLOCKS * 24)
#define BT_HASH	      16384

/* The block hash's bucket of @k (tcache.c), and whether two keys are
 * one: inline for the fast lookup miss (fast.c) too. */
static inline u32 bt_key_hash(const struct bt_key *k)
{
	return (k->eip ^ (k->eip >> 11) ^ bt_key_word(k)) % BT_HASH;
}

static inline bool bt_key_eq(const struct bt_key *a, const struct bt_key *b)
{
	return a->eip == b->eip && a->cs_base == b->cs_base &&
	       a->cpl == b->cpl && a->iopl == b->iopl && a->fpu == b->fpu &&
	       a->single == b->single && a->nobp == b->nobp &&
	       a->ss16 == b->ss16 && a->wreq == b->wreq;
}
#define BT_MAX_CODEPAGES 1024
#define BT_MMIO_PAGES	 2
#define BT_MAX_DBP_PAGES 8 /* four breakpoints, each on up to two pages */

/* The direct branches of one block (translate.c: MAX_INSNS + MAX_STUBS). */
#define BT_MAX_LINKS 36

/* A rel32 at cache address @site pointed at @tc, guest @eip's block. */
struct bt_link {
	u32 site, tc, eip;
};

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
	u64 cx8_syncs; /* CMPXCHG8B translated after a block-ending jump */
	u64 dbp_faults, dbp_hits, mmio_steps;
	u64 host_faults; /* signals from translated code, not the kick */
	u64 integrity_checks;
	u64 fast_callouts; /* finished by the gate (fast.c), as folded */
	u64 space_changes, blocks_revalidated, blocks_stale, links_undone;
	u64 space_unchanged;  /* table changes no code walk's entry saw */
	u64 space_kept;	      /* CR3 writes that kept both epochs */
	u64 table_found;      /* a key word found its lookup table (tcache.c) */
	u64 table_new;	      /* a key word given an emptied one */
	u64 fast_misses;      /* lookup misses the gate filled (fast.c) */
	u64 inline_sysx[2];   /* SYSENTER, SYSEXIT in the translation */
	u64 inline_isys[2];   /* INT n, IRETD in the translation */
	u64 inline_movcr;     /* MOV r32, CRn in the translation */
	u64 inline_in;	      /* IN of a pure port in the translation */
	u64 isys_armed[2];    /* entries with those armed (fast_isys.h) */
	u64 inline_de;	      /* #DE raised at CPL 0 in the translation */
	u64 level0_armed[2];  /* entries with it, and IRETD to CPL 0, armed */
	u64 isys_rollbacks;   /* host faults inside their routines */
	u64 sysx_armed;	      /* entries with those armed (fast_sysx.h) */
	u64 guest_insns;      /* --count-insns: executed, as counted */
	u64 kinds[BT_NKINDS]; /* translated instructions by kind */
	u64 cls[BT_NCLASSES];
};

/* A host fault in an IDENT translation, seen before it is handled
 * (retranslate.c): counted once the monitor has emulated it in place. */
struct bt_adapt_probe {
	bool armed;
	struct bt_key key;
	u64 rip;
	u32 eip, len;
	u64 delivered;
	u64 adaptable; /* the shadow's hidden faults a callout avoids */
	u64 gen;       /* the cache's generation when it faulted */
};

/* A new CS and SS, the host selectors their shadow slots give, and the
 * lookup table of the new key (fast_cpl.h). */
struct fast_switch {
	struct vcpu_seg cs, ss;
	u16 hcs, hss;
	u32 table;
};

struct bt_vm {
	struct monitor *t;
	struct sw_cpu *c;
	struct bt_page *page;
	struct bt_ro *ro;
	u32 *table; /* BT_NTABLES x BT_TABLE_SIZE x {eip, tc} */
	/* A lookup table per recent key word (tcache.c): the lookup reads
	 * the one bt_page.table_off names, so a change of key word (twice
	 * per system call) is a store, and each table keeps its entries. */
	struct bt_table {
		u32 keyw; /* 0: free */
		u8 walk;  /* BT_WALK_* of its key's CPL */
		/* the slots set since it was last empty (BT_TABLE_USED_MAX
		 * + 1: too many to list, clear them all) */
		u32 nused;
		u16 used[BT_TABLE_USED_MAX];
	} tables[BT_NTABLES];
	u32 table_cur, table_next;
	u8 *sites[2];	  /* bitmaps over the cache: enum bt_site */
	size_t sites_end; /* no site recorded at or after this offset */
	u16 sel_code, sel_gs;
	u32 feats; /* 1 << enum bt_feat the virtual CPU shows */
	u8 *tc_base, *tc_free, *tc_end;
	u8 *lookup_fn, *miss_stub, *step_ind_fn; /* shared, at tc_base */
	/* shared too: SYSENTER, SYSEXIT in the translation, and the way
	 * each leaves as its fast callout instead (fast_sysx.h) */
	u8 *sysx_fn[2], *sysx_leave_fn[2];
	bool sysx_armed;
	bool breach_sysx; /* REFVMM_BREACH_PROBE=sysx (bt.c) */
	/* INT n and IRETD in the translation (fast_isys.h): the routines'
	 * copy (isys.S), the exit they decline to; whether each is armed,
	 * the state it leaves as armed (CPL 0 after INT, 3 after IRETD);
	 * the vector INT is armed for and the CS and SS selectors IRETD
	 * is armed for: the last the fast callouts served */
	u8 *isys_base, *isys_leave_fn;
	bool isys_armed[2];
	/* #DE and IRETD to the same level armed (fast_isys.h); the #DEs
	 * the translation raised not yet added to the dynamic counters */
	bool level0_armed[2];
	u64 de_unfolded;
	struct fast_switch isys_sw[2];
	u8 int_vec;
	u16 iret_cs3, iret_ss3;
	bool isys_rolled; /* the last signal came from a routine (isys.c) */
	bool de_rolled;	  /* ... from the #DE routine */
	struct bt_block *blocks;
	u32 nblocks;
	struct bt_map *maps;
	u32 nmaps;
	struct bt_block *hash[BT_HASH];
	u64 generation; /* bumped by every flush */
	/* Address spaces (aspace.c): the epochs of supervisor and user
	 * blocks, bumped when the guest's tables may map their code
	 * differently; the paging controls and CR0.PG they were last both
	 * bumped for; the patches to undo then, in one list per class of
	 * their source block (and one for a site in no block), so that an
	 * epoch reads only its own (a Linux fork keeps thousands of the
	 * kernel's links across a dozen user epochs). */
	u64 epoch[2];
	struct gpt_ctl seen;
	bool paged;
	struct bt_undo *undo[BT_UNDO_LISTS];
	u32 nundo[BT_UNDO_LISTS];
	bool undo_full;
	struct {
		u64 epoch;
		u32 lpn, ppn;
		u8 cpl;
	} memo; /* the last fetch walk of a check */
	/* code-page protection (self-modifying code) */
	u16 *page_idx;	 /* pfn -> index + 1 into codepages */
	u8 *data_stores; /* pfn -> stores seen on it while protected */
	u8 *selfcheck;	 /* pfn -> 1: never protected, blocks check */
	u8 *code_pt; /* pfn -> BT_WALK_*: a table code was fetched through */
	/* pfn -> the entries of that table code fetches used, a bit per
	 * 4 bytes (NULL: not known, any entry counts; paging.c) */
	u8 **code_pte;
	u32 *code_pts, ncode_pts; /* the pfns whose code_pt is not 0 */
	u8 *pt_needed;		  /* scratch pfn bitmap (paging.c) */
	u64 paging_flushes;
	struct bt_codepage *codepages;
	u32 ncodepages;
	u32 dbp_pfn[BT_MAX_DBP_PAGES]; /* pages of the data breakpoints */
	u32 ndbp;
	u32 dbp_hits; /* breakpoints the stepped instruction hit */
	u32 dbp_fire; /* ... to report when its one-instruction run ends */
	struct {
		u32 page;
		u8 before[4096];
		u32 store_off, store_len; /* the faulting store, if any */
	} mmio[BT_MMIO_PAGES];		  /* shadow pages of MMIO (mmio.c) */
	u32 nmmio, mmio_eip;
	/* the pure port cells' generation bt_ro.pure was copied at
	 * (bt.c pure_copy) */
	u64 pure_gen;
	u32 smc_pending[4];
	u32 nsmc;
	u32 smc_eip;
	bool smc_active;
	bool chaining;
	/* The branches the last translate__block pointed straight at an
	 * existing translation: --trace bt shows them after the block. */
	struct bt_link links[BT_MAX_LINKS];
	u32 nlinks;
	volatile bool stepping; /* the kick is walking to a boundary */
	csh cs_host;		/* Capstone for --trace bt */
	cs_insn *host_insn;
	cs_insn *guest_insn; /* the translator's Capstone cross-check */
	struct bt_stats st;
	struct bt_adapt *adapt; /* --mode bt only */
	bool count_insns;	/* --count-insns */
	bool cx8_sync; /* sw_host__cx8_stale_flags(): a jump before CMPXCHG8B */
	int translog_fd; /* --translation-log when above 2 */
	size_t translog_len;
	char translog_buf[65536];
	struct bt_adapt_probe probe;
	/* Fast callouts (fast.c): finished per operation, not yet in the
	 * named counters (bt__stats adds them), and since the run loop's
	 * last integrity check. */
	u64 fast_done[BT_FAST_NOPS];
	/* ... and the adapted accesses' #PFs (fast_shadow.h), counted as
	 * the full path counts a raise */
	u64 fast_pf;
	u32 fast_since_check;
};

/* The translation engine a monitor runs (NULL under trap mode): what
 * the sw layer's hooks, which know only the vCPU, use to find it. */
static inline struct bt_vm *vm__of(const struct sw_cpu *c)
{
	const struct monitor *t =
		c && c->vcpu ? (const struct monitor *)c->vcpu->mode_priv
			     : NULL;

	return t && t->hooks.emulate_first ? t->hooks.engine : NULL;
}

/* The event of an instruction a callout emulates as if it had trapped:
 * #GP(0), as trap mode sees every privileged instruction. */
static inline struct sw_event vm__callout_event(const char *what)
{
	return (struct sw_event){.kind = SW_EV_FAULT,
				 .vector = 13,
				 .has_error = true,
				 .syscall_nr = -1,
				 .what = what,
				 .callout = true};
}

/* The key's fields that follow from the virtual CPU's state (all but
 * the EIP, single and nobp): the run loop's current key (bt.c), the key
 * of the block a run came back from, and the fast lookup miss's. */
static inline void bt_key_state(const struct bt_vm *b, struct bt_key *k)
{
	const struct sw_cpu *c = b->c;

	k->cs_base = (u32)c->seg[SW_CS].base;
	k->cpl = (u8)c->cpl;
	k->iopl = (u8)((c->eflags & EFL_IOPL) >> 12);
	k->fpu = bt_key_fpu(c);
	k->ss16 = !c->seg[SW_SS].db;
	k->wreq = b->t->window_requested;
}

/* The lookup table slot of guest EIP @eip (the lookup routine's hash,
 * tcache.c build_shared). */
static inline u32 bt_table_index(u32 eip)
{
	return (eip ^ (eip >> 12)) & (BT_TABLE_SIZE - 1);
}

/* Table @t's slot @i becomes {@eip, @tc}, listed for the next emptying
 * (tcache.c table_empty). Inline: the fast lookup miss (fast.c) fills
 * slots too. */
static inline void bt_table_put(struct bt_vm *b, u32 t, u32 i, u32 eip,
				const u8 *tc)
{
	struct bt_table *tb = &b->tables[t];
	u32 *slot = b->table + 2 * (t * BT_TABLE_SIZE + i);

	if (slot[0] == 0xffffffffu && tb->nused <= BT_TABLE_USED_MAX) {
		if (tb->nused < BT_TABLE_USED_MAX)
			tb->used[tb->nused] = (u16)i;
		tb->nused++;
	}
	slot[0] = eip;
	slot[1] = (u32)(uintptr_t)tc;
}

#endif
