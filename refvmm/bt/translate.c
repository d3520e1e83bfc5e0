/*
 * Translation of one block of guest code (bt.h): from the key's CS:EIP
 * until a control transfer, a callout, 32 instructions or the end of the
 * CS limit. Each guest instruction becomes:
 *   IDENT      its own bytes (a GS or CS override is wrapped in a GS
 *              switch: GS is the monitor's in translated code);
 *   JCC/JMP/LOOP/CALL  a branch to an exit stub, or straight to the
 *              target's translation when it exists (chaining); CALL
 *              pushes the guest return address;
 *   RET, JMP/CALL r/m  the guest target into the page, then the shared
 *              indirect lookup;
 *   CLI        a store to the virtual IF when CPL <= IOPL;
 *   the rest   a callout stub: guest EIP and a reason into the page,
 *              far jump to the gate.
 * The map records, for each guest instruction and each exit stub, the
 * host offset and the guest EIP: a fault or an interrupt in translated
 * code is delivered at the guest instruction it belongs to. Rewritten
 * sequences only fault at points where no guest state has changed yet.
 */
#include <stdio.h>
#include <string.h>

#include "bt.h"
#include "refvmm/sw/segments.h"
#include "refvmm/sw/world_switch.h"

#define MAX_INSNS 32
#define MAX_STUBS 4

struct stub {
	u8 *site; /* rel32 field that jumps to the stub */
	u32 target;
	bool to_lookup; /* jump to the lookup routine, not a stub */
};

struct tx {
	struct bt_vm *b;
	const struct bt_key *k;
	u8 *p, *start;
	struct bt_map map[MAX_INSNS * 3 + MAX_STUBS * 2];
	u32 nmap;
	struct stub stubs[MAX_INSNS + MAX_STUBS];
	u32 nstubs;
	bool no_boundary_next; /* after an inline STI: its shadow */
};

u32 bt_key_word(const struct bt_key *k)
{
	u32 h = k->cs_base * 0x9e3779b1u;

	h ^= (u32)k->cpl << 1 | (u32)k->iopl << 3 | (u32)k->single << 5 |
	     (u32)k->fpu << 6 | (u32)k->nobp << 10 | (u32)k->ss16 << 11 |
	     (u32)k->wreq << 12;
	return h | 1; /* never 0: an empty table has key word 0 */
}

static void b1(struct tx *x, u8 v)
{
	*x->p++ = v;
}

static void b4(struct tx *x, u32 v)
{
	memcpy(x->p, &v, 4);
	x->p += 4;
}

static void map_add(struct tx *x, u32 eip, bool boundary)
{
	struct bt_map *m;

	if (x->no_boundary_next) {
		boundary = false;
		x->no_boundary_next = false;
	}
	if (x->nmap && x->map[x->nmap - 1].off == (u16)(x->p - x->start)) {
		/* Two entries at one address: the later one describes it. */
		m = &x->map[x->nmap - 1];
	} else {
		m = &x->map[x->nmap++];
	}
	m->off = (u16)(x->p - x->start);
	m->eip = eip;
	m->boundary = boundary;
}

/* movl $imm, %gs:off */
static void gs_store(struct tx *x, u32 off, u32 imm)
{
	b1(x, 0x65);
	b1(x, 0xc7);
	b1(x, 0x05);
	b4(x, off);
	b4(x, imm);
}

static void far_jump_gate(struct tx *x)
{
	b1(x, 0xea);
	b4(x, BT_GATE_ADDR);
	b1(x, HOST_CS64);
	b1(x, 0);
}

/* Leaves for the monitor with @code about the guest instruction @eip. */
static void emit_callout(struct tx *x, u32 eip, enum bt_exit code)
{
	map_add(x, eip, true);
	gs_store(x, SW_OFF_EIP, eip);
	gs_store(x, BT_PG(exit_code), code);
	far_jump_gate(x);
}

/* A rel32 jump field at x->p - 4 that goes to guest @target. */
static void branch_to(struct tx *x, u32 target)
{
	const struct bt_block *tb;
	struct bt_key k = *x->k;
	u8 *site = x->p - 4;

	k.eip = target;
	if (!k.single && x->b->chaining) {
		tb = bt_tcache_find(x->b, &k);
		if (tb) {
			u32 rel = (u32)(tb->tc - (site + 4));

			memcpy(site, &rel, 4);
			x->b->st.chain_patches++;
			return;
		}
	}
	x->stubs[x->nstubs++] = (struct stub){.site = site, .target = target};
}

static void jump_lookup(struct tx *x)
{
	b1(x, 0xe9);
	b4(x, 0);
	x->stubs[x->nstubs++] =
		(struct stub){.site = x->p - 4, .to_lookup = true};
}

/* mov %cs:abs, %gs  (the monitor code segment is flat) */
static void load_gs(struct tx *x, u32 page_field)
{
	b1(x, 0x2e);
	b1(x, 0x8e);
	b1(x, 0x2d);
	b4(x, BT_GS_BASE + page_field);
}

/* The guest instruction's bytes, segment overrides made GS. */
static void copy_insn(struct tx *x, const u8 *g, const struct bt_insn *in,
		      bool seg_to_gs)
{
	u32 i;

	for (i = 0; i < in->len; i++) {
		u8 v = g[i];

		if (seg_to_gs && i < in->nprefix &&
		    (v == 0x26 || v == 0x2e || v == 0x36 || v == 0x3e ||
		     v == 0x64 || v == 0x65))
			v = 0x65;
		b1(x, v);
	}
}

static void emit_ident(struct tx *x, const u8 *g, const struct bt_insn *in)
{
	bool swap = in->has_mem && (in->seg == 1 || in->seg == 5);

	if (!swap) {
		copy_insn(x, g, in, false);
		return;
	}
	load_gs(x, in->seg == 1 ? BT_PG(guest_cs_sel) : BT_PG(guest_gs_sel));
	copy_insn(x, g, in, true);
	load_gs(x, BT_PG(mon_gs_sel));
}

/* mov r/m32 -> %eax with the instruction's own addressing. */
static void emit_load_target(struct tx *x, const u8 *g,
			     const struct bt_insn *in)
{
	u32 i;

	for (i = 0; i < in->nprefix; i++)
		if (g[i] != 0xf0 && g[i] != 0xf2 && g[i] != 0xf3)
			b1(x, g[i]);
	b1(x, 0x8b);
	b1(x, g[in->modrm_off] & ~0x38u);
	for (i = in->modrm_off + 1u; i < in->len; i++)
		b1(x, g[i]);
}

static u32 mask_ip(const struct bt_insn *in, u32 v)
{
	return in->opsize16 ? v & 0xffff : v;
}

static void save_flags(struct tx *x);
static void restore_flags(struct tx *x);

/*
 * PUSHF against the virtual flags: the host's arithmetic flags, the
 * guest's IF (the vIF byte), IOPL, NT, VIF, VIP and TF (the page), RF and
 * VM clear (SDM Vol. 2B PUSHF). The store comes first: a fault there
 * leaves the guest as it was, and the emulator redoes the PUSHF.
 */
#define PUSHF_HOST_MASK                                                        \
	(EFL_TF | EFL_IF | EFL_IOPL | EFL_NT | EFL_VIF | EFL_VIP)

static void emit_pushf(struct tx *x, u32 eip)
{
	map_add(x, eip, true);
	b1(x, 0x9c); /* pushf */
	save_flags(x);
	b1(x, 0x8b); /* mov (%esp), %eax */
	b1(x, 0x04);
	b1(x, 0x24);
	b1(x, 0x25); /* and $~mask, %eax */
	b4(x, ~PUSHF_HOST_MASK);
	b1(x, 0x65); /* or %gs:vflags, %eax */
	b1(x, 0x0b);
	b1(x, 0x05);
	b4(x, BT_PG(vflags));
	b1(x, 0x65); /* cmpb $0, %gs:vif */
	b1(x, 0x80);
	b1(x, 0x3d);
	b4(x, BT_PG(vif));
	b1(x, 0x00);
	b1(x, 0x74); /* je 1f */
	b1(x, 0x05);
	b1(x, 0x0d); /* or $IF, %eax */
	b4(x, EFL_IF);
	b1(x, 0x89); /* 1: mov %eax, (%esp) */
	b1(x, 0x04);
	b1(x, 0x24);
	restore_flags(x);
}

/* A block exit at guest @eip: `jmp rel32` to its translation, chained
 * when it exists (a boundary the map records). */
static void jmp_to(struct tx *x, u32 eip)
{
	map_add(x, eip, true);
	b1(x, 0xe9);
	b4(x, 0);
	branch_to(x, eip);
}

/*
 * One guest instruction; returns true when it ends the block.
 */
static bool emit_insn(struct tx *x, u32 eip, const u8 *g,
		      const struct bt_insn *in)
{
	const struct bt_key *k = x->k;
	u32 next = eip + in->len;
	u32 target = mask_ip(in, next + (u32)in->rel);
	u8 op = g[in->nprefix];
	u32 i;

	x->b->st.cls[in->cls]++;
	if (bt_adapt_translate_callout(x->b, k, k->cs_base + eip, in)) {
		/* --mode bt: an access that kept trapping (adapt.c); the
		 * stub's own address lets the monitor patch it back */
		map_add(x, eip, true);
		gs_store(x, SW_OFF_EIP, eip);
		gs_store(x, BT_PG(patch_site), (u32)(uintptr_t)(x->p - 11));
		gs_store(x, BT_PG(exit_code), BT_EXIT_ADAPT);
		far_jump_gate(x);
		return true;
	}
	switch (in->cls) {
	case BT_IDENT:
		map_add(x, eip, true);
		emit_ident(x, g, in);
		return false;
	case BT_PUSHF:
		if (in->opsize16 || k->ss16)
			break;
		emit_pushf(x, eip);
		return false;
	case BT_STI:
		/* With an interrupt waiting for IF the monitor must see
		 * STI (a callout). Otherwise IF=1 inline; the instruction
		 * after it is no boundary, so a kick steps past it: the STI
		 * shadow (SDM Vol. 2B STI). */
		if (k->cpl > k->iopl || k->wreq || k->single)
			break;
		map_add(x, eip, true);
		b1(x, 0x65); /* movb $1, %gs:vif */
		b1(x, 0xc6);
		b1(x, 0x05);
		b4(x, BT_PG(vif));
		b1(x, 1);
		x->no_boundary_next = true;
		return false;
	case BT_CLI:
		if (k->cpl > k->iopl)
			break;
		map_add(x, eip, true);
		b1(x, 0x65); /* movb $0, %gs:vif */
		b1(x, 0xc6);
		b1(x, 0x05);
		b4(x, BT_PG(vif));
		b1(x, 0);
		return false;
	case BT_JCC:
		map_add(x, eip, true);
		b1(x, 0x0f);
		b1(x, 0x80 | ((op == 0x0f ? g[in->nprefix + 1] : op) & 0xf));
		b4(x, 0);
		branch_to(x, target);
		jmp_to(x, next);
		return true;
	case BT_JMP:
		map_add(x, eip, true);
		b1(x, 0xe9);
		b4(x, 0);
		branch_to(x, target);
		return true;
	case BT_LOOP:
		map_add(x, eip, true);
		for (i = 0; i < in->nprefix; i++)
			if (g[i] == 0x67)
				b1(x, 0x67);
		b1(x, op);
		b1(x, 5);
		jmp_to(x, next);
		jmp_to(x, target);
		return true;
	case BT_CALL:
		map_add(x, eip, true);
		if (in->opsize16) {
			b1(x, 0x66);
			b1(x, 0x68);
			b1(x, (u8)next);
			b1(x, (u8)(next >> 8));
		} else {
			b1(x, 0x68);
			b4(x, next);
		}
		jmp_to(x, target);
		return true;
	case BT_RET:
		map_add(x, eip, true);
		if (in->opsize16) {
			gs_store(x, BT_PG(target), 0);
			b1(x, 0x66);
		}
		b1(x, 0x65); /* pop %gs:target */
		b1(x, 0x8f);
		b1(x, 0x05);
		b4(x, BT_PG(target));
		if (in->ret_imm) {
			b1(x, 0x8d); /* lea imm(%esp), %esp */
			b1(x, 0xa4);
			b1(x, 0x24);
			b4(x, in->ret_imm);
		}
		jump_lookup(x);
		return true;
	case BT_JMP_IND:
	case BT_CALL_IND:
		if (in->opsize16 || in->seg == 1 || in->seg == 5)
			break; /* rare forms: the emulator does them */
		map_add(x, eip, true);
		b1(x, 0x65); /* mov %eax, %gs:scr_eax */
		b1(x, 0xa3);
		b4(x, BT_PG(scr_eax));
		emit_load_target(x, g, in);
		b1(x, 0x65); /* mov %eax, %gs:target */
		b1(x, 0xa3);
		b4(x, BT_PG(target));
		b1(x, 0x65); /* mov %gs:scr_eax, %eax */
		b1(x, 0xa1);
		b4(x, BT_PG(scr_eax));
		if (in->cls == BT_CALL_IND) {
			b1(x, 0x68);
			b4(x, next);
		}
		jump_lookup(x);
		return true;
	case BT_UD:
		emit_callout(x, eip, BT_EXIT_RAISE_UD);
		return true;
	default:
		break;
	}
	emit_callout(x, eip, BT_EXIT_CALLOUT);
	return true;
}

static void emit_stubs(struct tx *x)
{
	u32 i, rel;

	for (i = 0; i < x->nstubs; i++) {
		struct stub *s = &x->stubs[i];
		u8 *dest;

		if (s->to_lookup) {
			dest = x->k->single ? x->b->step_ind_fn
					    : x->b->lookup_fn;
		} else {
			dest = x->p;
			map_add(x, s->target, true);
			gs_store(x, SW_OFF_EIP, s->target);
			gs_store(x, BT_PG(patch_site),
				 x->k->single ? 0 : (u32)(uintptr_t)s->site);
			gs_store(x, BT_PG(exit_code),
				 x->k->single ? BT_EXIT_STEP : BT_EXIT_BRANCH);
			far_jump_gate(x);
		}
		rel = (u32)(dest - (s->site + 4));
		memcpy(s->site, &rel, 4);
	}
}

/*
 * The self-check of a block on a page shared with data (tcache.c): the
 * guest bytes compared with what was translated, 4 at a time through
 * the flat monitor code segment; flags saved with LAHF/SETO. A mismatch
 * leaves for the monitor, which drops the stale translations.
 */
#define CHECK_CHUNKS	16
#define CHECK_MAX_BYTES (CHECK_CHUNKS * 4)
#define CHECK_PROLOGUE	(16 + CHECK_CHUNKS * 17 + 15 + 5)

static void save_flags(struct tx *x)
{
	b1(x, 0x65); /* mov %eax, %gs:scr_eax */
	b1(x, 0xa3);
	b4(x, BT_PG(scr_eax));
	b1(x, 0x0f); /* seto %al; lahf */
	b1(x, 0x90);
	b1(x, 0xc0);
	b1(x, 0x9f);
	b1(x, 0x65); /* mov %eax, %gs:scr_fl */
	b1(x, 0xa3);
	b4(x, BT_PG(scr_fl));
}

static void restore_flags(struct tx *x)
{
	b1(x, 0x65); /* mov %gs:scr_fl, %eax; add $0x7f, %al; sahf */
	b1(x, 0xa1);
	b4(x, BT_PG(scr_fl));
	b1(x, 0x04);
	b1(x, 0x7f);
	b1(x, 0x9e);
	b1(x, 0x65); /* mov %gs:scr_eax, %eax */
	b1(x, 0xa1);
	b4(x, BT_PG(scr_eax));
}

static void emit_check(struct tx *x, const struct bt_key *k, u8 *body, u32 glen)
{
	u8 *fail = x->p, *end;
	u32 lin = k->cs_base + k->eip, off, v;
	u8 *sites[CHECK_CHUNKS];
	int n = 0, i;

	restore_flags(x);
	gs_store(x, SW_OFF_EIP, k->eip);
	gs_store(x, BT_PG(exit_code), BT_EXIT_STALE);
	far_jump_gate(x);
	end = x->p;
	x->p = x->start;
	save_flags(x);
	for (off = 0; off < glen && n < CHECK_CHUNKS; off += 4) {
		u32 at = off + 4 <= glen ? off : glen - 4;

		if (glen < 4)
			at = 0;
		sw_lin_read(x->b->c, lin + at, &v, 4);
		b1(x, 0x2e); /* cmpl $v, %cs:lin+at */
		b1(x, 0x81);
		b1(x, 0x3d);
		b4(x, lin + at);
		b4(x, v);
		b1(x, 0x0f); /* jne fail */
		b1(x, 0x85);
		b4(x, 0);
		sites[n++] = x->p - 4;
	}
	restore_flags(x);
	b1(x, 0xe9);
	b4(x, (u32)(body - (x->p + 4)));
	for (i = 0; i < n; i++) {
		v = (u32)(fail - (sites[i] + 4));
		memcpy(sites[i], &v, 4);
	}
	x->p = end;
}

/* An enabled instruction breakpoint (R/W = 00) at linear @lin. */
static bool exec_breakpoint(const struct sw_cpu *c, u32 lin)
{
	u32 dr7 = c->dr[7];
	int i;

	for (i = 0; i < 4; i++)
		if ((dr7 >> (2 * i)) & 3 && !((dr7 >> (16 + 4 * i)) & 3) &&
		    c->dr[i] == lin)
			return true;
	return false;
}

struct bt_block *bt_translate(struct bt_vm *b, const struct bt_key *k)
{
	struct monitor *t = b->t;
	const struct vcpu_seg *cs = &b->c->seg[SW_CS];
	struct bt_block *tb;
	struct tx x;
	u32 eip = k->eip, n = 0, glen = 0;
	cs_insn *ci;
	bool check;
	u8 *body;

	if (b->tc_end - b->tc_free < 16384 || b->nblocks >= BT_MAX_BLOCKS ||
	    b->nmaps + 256 > BT_MAX_MAP)
		bt_tcache_flush(b, "cache full");
	/* The length cross-check needs no operand detail: the trace
	 * handle (detail off) decodes several times faster. */
	csh h = b->cs_host ? b->cs_host : t->cs;

	if (!b->guest_insn)
		b->guest_insn = cs_malloc(h);
	ci = b->guest_insn;
	tb = bt_tcache_alloc(b);
	memset(&x, 0, sizeof(x));
	x.b = b;
	x.k = k;
	x.p = x.start = b->tc_free;
	/* A page that code shares with hot data is not write-protected:
	 * its blocks compare their guest bytes on entry instead. */
	check = bt_page_selfcheck(b, k->cs_base + eip) ||
		bt_page_selfcheck(b, k->cs_base + eip + CHECK_MAX_BYTES);
	if (check) {
		map_add(&x, eip, true);
		x.p += CHECK_PROLOGUE;
	}
	body = x.p;
	for (;;) {
		u8 g[16];
		struct bt_insn in;
		const u8 *cp = g;
		size_t clen = 15;
		u64 caddr = eip;
		bool ok, ends;
		enum bt_exit stop;
		u32 got, pf_lin = 0, pf_err = 0;

		memset(g, 0, sizeof(g));
		got = bt_fetch(b, k->cs_base + eip, g, 15, &pf_lin, &pf_err);
		ok = bt_decode(g, 15, &in);
		/* Capstone must agree on the length, or the CPU might see
		 * a different instruction than the one classified. */
		if (ok && !cs_disasm_iter(h, &cp, &clen, &caddr, ci))
			ok = in.cls == BT_UD;
		else if (ok && ci->size != in.len)
			ok = false;
		if (!ok)
			in = (struct bt_insn){
				.cls = BT_UD, .len = 1, .seg = -1};
		/* a feature the virtual CPU does not show: #UD */
		if (in.feat && !(b->feats & (1u << in.feat)))
			in.cls = BT_UD;
		/* CS limit (SDM Vol. 3A 5.3): checked here, since the cache's
		 * code segment does not enforce the guest's. */
		if ((u64)eip + in.len - 1 > cs->limit) {
			if (n) {
				jmp_to(&x, eip);
				break;
			}
			emit_callout(&x, eip, BT_EXIT_RAISE_GP);
			n++;
			break;
		}
		/* A fetch the guest's page tables forbid (SDM Vol. 3A 4.6):
		 * #PF when the instruction runs, from its own block. */
		if (in.len > got) {
			if (n) {
				jmp_to(&x, eip);
				break;
			}
			emit_callout(&x, eip, BT_EXIT_RAISE_PF);
			n++;
			break;
		}
		/* Exceptions the instruction raises before it runs:
		 * instruction breakpoints (SDM Vol. 3B 17.3.1.1, a fault
		 * at the instruction), CR0.EM/MP/TS on x87/SSE. */
		stop = !k->nobp && exec_breakpoint(b->c, k->cs_base + eip)
			       ? BT_EXIT_DEBUG
		       : bt_fpu_fault(in.fpu, k->fpu) == 7 ? BT_EXIT_RAISE_NM
		       : bt_fpu_fault(in.fpu, k->fpu) == 6 ? BT_EXIT_RAISE_UD
							   : 0;
		if (stop) {
			if (n) {
				jmp_to(&x, eip);
				break;
			}
			emit_callout(&x, eip, stop);
			n++;
			break;
		}
		if (in.cls == BT_UD && n) {
			/* End before it: the #UD belongs to its own block. */
			jmp_to(&x, eip);
			break;
		}
		ends = emit_insn(&x, eip, g, &in);
		bt_code_note(b, k->cs_base + eip, in.len);
		glen += in.len;
		eip += in.len;
		n++;
		if (ends)
			break;
		if (n >= MAX_INSNS || k->single ||
		    (check && glen + 15 > CHECK_MAX_BYTES)) {
			jmp_to(&x, eip);
			break;
		}
	}
	emit_stubs(&x);
	if (check)
		emit_check(&x, k, body, glen);
	tb->key = *k;
	tb->tc = x.start;
	tb->tc_len = (u32)(x.p - x.start);
	tb->glen = glen;
	tb->ninsn = n;
	tb->map = b->maps + b->nmaps;
	tb->nmap = x.nmap;
	memcpy(tb->map, x.map, x.nmap * sizeof(x.map[0]));
	b->nmaps += x.nmap;
	/* Blocks start 16-byte aligned, as compilers align loop heads:
	 * a hot loop that straddles a fetch line runs measurably slower. */
	b->tc_free = (u8 *)(((uintptr_t)x.p + 15) & ~(uintptr_t)15);
	b->st.translations++;
	b->st.guest_bytes += glen;
	b->st.tc_bytes += tb->tc_len;
	return tb;
}
