/*
 * Translation of one block of guest code (translate.h): from the key's CS:EIP
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
 *   MOV r32, CRn  at CPL 0, a load of the page's copy of CRn;
 *   STI, PUSHF, POPF  against the virtual flags in the page, when the
 *              key makes them static (emit_pushf, emit_popf);
 *   the rest   a callout stub: guest EIP and a reason into the page,
 *              far jump to the gate.
 * The map records, for each guest instruction and each exit stub, the
 * host offset and the guest EIP: a fault or an interrupt in translated
 * code is delivered at the guest instruction it belongs to. Rewritten
 * sequences only fault at points where no guest state has changed yet.
 */
#include <stdio.h>
#include <string.h>

#include "aspace.h"
#include "breakpoint.h"
#include "codepage.h"
#include "emit.h"
#include "fast.h"
#include "paging.h"
#include "refvmm/clock.h"
#include "refvmm/log.h"
#include "refvmm/machine.h"
#include "refvmm/sw/segments.h"
#include "site.h"
#include "tcache.h"
#include "translate.h"
#include "translog.h"

#define MAX_INSNS 32
#define MAX_STUBS 4
_Static_assert(BT_MAX_LINKS >= MAX_INSNS + MAX_STUBS,
	       "a block's every branch may be linked at translation");

struct stub {
	u8 *site; /* rel32 field that jumps to the stub */
	u32 target;
	bool to_lookup; /* jump to the lookup routine, not a stub */
	const struct bt_block *link; /* the target's translation, if any */
};

struct tx {
	struct bt_vm *b;
	const struct bt_key *k;
	struct bt_block *tb;
	u32 span; /* guest bytes from EIP the fetches relied on */
	struct emit e;
	u8 *start;
	csh h; /* Capstone, for the length cross-check */
	cs_insn *ci;
	struct bt_map map[MAX_INSNS * 4 + MAX_STUBS * 2];
	u32 nmap;
	struct stub stubs[MAX_INSNS + MAX_STUBS];
	u32 nstubs;
	bool no_boundary_next; /* after an inline STI: its shadow */
	bool in_insn;	       /* emit_insn is running */
	bool single_started;   /* a one-instruction block's entry is in */
	u8 *count_at;	       /* --count-insns: the sequence of ... */
	u32 count_eip;	       /* ... this instruction */
};

static void map_add(struct tx *x, u32 eip, bool boundary)
{
	struct bt_map *m;

	if (x->no_boundary_next) {
		boundary = false;
		x->no_boundary_next = false;
	}
	/* A one-instruction block owes, past its instruction's first
	 * entry, what the step callout does (the #DB of TF, the end of the
	 * interrupt shadow, the window the monitor stepped to): a kick
	 * anywhere there steps on into the gate instead of leaving with
	 * that undone. No boundary is always safe (bt.c steps to the next
	 * one, or into the gate). */
	if (x->k->single && x->single_started)
		boundary = false;
	if (x->k->single && x->in_insn)
		x->single_started = true;
	if (x->nmap && x->map[x->nmap - 1].off == (u16)(x->e.p - x->start)) {
		/* Two entries at one address: the later one describes it. */
		m = &x->map[x->nmap - 1];
	} else {
		m = &x->map[x->nmap++];
	}
	m->off = (u16)(x->e.p - x->start);
	m->eip = eip;
	m->boundary = boundary;
}

/* Leaves for the monitor with @code about the guest instruction @eip. */
static void emit_callout(struct tx *x, u32 eip, enum bt_exit code)
{
	map_add(x, eip, true);
	emit__gs_imm(&x->e, BT_PG(eip), eip);
	emit__exit(&x->e, code);
}

/* A fast site at guest @eip: its EIP and, unless 0, @fast into the
 * page, then `jmp *%cs:@ro` to a shared routine through bt_ro, or with
 * @ro 0 the fast callout's exit (fast.h). */
static void emit_fast_site(struct tx *x, u32 eip, u32 fast, u32 ro)
{
	map_add(x, eip, true);
	emit__gs_imm(&x->e, BT_PG(eip), eip);
	if (fast)
		emit__gs_imm(&x->e, BT_PG(fast_op), fast);
	if (!ro) {
		emit__exit(&x->e, BT_EXIT_FAST);
		return;
	}
	emit__bytes(&x->e, "\x2e\xff\x25", 3);
	emit__u32(&x->e, ro);
}

/* A rel32 jump field at x->e.p - 4 that goes to guest @target: to its
 * translation when one exists (emit_stubs links it). */
static void branch_to(struct tx *x, u32 target)
{
	const struct bt_block *tb = NULL;
	struct bt_key k = *x->k;

	k.eip = target;
	if (!k.single && x->b->chaining)
		tb = tcache__find(x->b, &k);
	x->stubs[x->nstubs++] =
		(struct stub){.site = x->e.p - 4, .target = target, .link = tb};
}

static void jump_lookup(struct tx *x)
{
	emit__u8(&x->e, 0xe9);
	emit__u32(&x->e, 0);
	x->stubs[x->nstubs++] =
		(struct stub){.site = x->e.p - 4, .to_lookup = true};
}

/* mov %cs:abs, %gs: the selector comes from struct bt_ro, which the
 * code segment (flat, execute/read) can read and nothing can write. */
static void load_gs(struct tx *x, u32 ro_addr)
{
	emit__u8(&x->e, 0x2e);
	emit__u8(&x->e, 0x8e);
	emit__u8(&x->e, 0x2d);
	emit__u32(&x->e, ro_addr);
}

static bool seg_prefix(u8 v)
{
	return v == 0x26 || v == 0x2e || v == 0x36 || v == 0x3e || v == 0x64 ||
	       v == 0x65;
}

/*
 * Prefix byte @i of @g as the host runs it: every segment override
 * becomes the one the decoder chose (the last), or GS with @seg_to_gs.
 * Which of several overrides a processor uses is not architectural
 * (SDM Vol. 2A 2.1.1); with one kind left, no processor can pick a
 * segment the translator did not see (translated code runs under a flat
 * code segment of the monitor's).
 */
static u8 prefix_byte(const u8 *g, const struct bt_insn *in, u32 i,
		      bool seg_to_gs)
{
	static const u8 segs[6] = {0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65};

	if (i >= in->nprefix || !seg_prefix(g[i]))
		return g[i];
	return seg_to_gs ? 0x65 : segs[in->seg];
}

/* The guest instruction's bytes, segment overrides made GS. */
static void copy_insn(struct tx *x, const u8 *g, const struct bt_insn *in,
		      bool seg_to_gs)
{
	for (u32 i = 0; i < in->len; i++)
		emit__u8(&x->e, prefix_byte(g, in, i, seg_to_gs));
}

/* CMPXCHG8B m64: 0f c7 /1 (/6 and /7 are RDRAND and RDSEED). */
static bool is_cmpxchg8b(const u8 *g, const struct bt_insn *in)
{
	return in->has_mem && in->opc_len == 2 && g[in->nprefix] == 0x0f &&
	       g[in->nprefix + 1] == 0xc7 && ((g[in->modrm_off] >> 3) & 7) == 1;
}

static void emit_ident(struct tx *x, const u8 *g, const struct bt_insn *in)
{
	bool swap = in->has_mem && (in->seg == 1 || in->seg == 5);
	/* A host whose CMPXCHG8B reads a stale lazy-flags state
	 * (sw_host__cx8_stale_flags): a jump to the next instruction ends
	 * its block and writes the pending flags back first. */
	bool sync = x->b->cx8_sync && is_cmpxchg8b(g, in);

	if (swap)
		load_gs(x, in->seg == 1 ? BT_RO(guest_cs_sel)
					: BT_RO(guest_gs_sel));
	if (sync) {
		x->b->st.cx8_syncs++;
		emit__bytes(&x->e, "\xeb\x00", 2); /* jmp .+2 */
	}
	copy_insn(x, g, in, swap);
	if (swap)
		load_gs(x, BT_RO(mon_gs_sel));
}

/* mov r/m32 -> %eax with the instruction's own addressing. */
static void emit_load_target(struct tx *x, const u8 *g,
			     const struct bt_insn *in)
{
	u32 i;

	for (i = 0; i < in->nprefix; i++)
		if (g[i] != 0xf0 && g[i] != 0xf2 && g[i] != 0xf3)
			emit__u8(&x->e, prefix_byte(g, in, i, false));
	emit__u8(&x->e, 0x8b);
	emit__u8(&x->e, g[in->modrm_off] & ~0x38u);
	for (i = in->modrm_off + 1u; i < in->len; i++)
		emit__u8(&x->e, g[i]);
}

static u32 mask_ip(const struct bt_insn *in, u32 v)
{
	return in->opsize16 ? v & 0xffff : v;
}

/* The machine logs one of @events (--trace): the instruction whose
 * line the full path writes keeps its callout. The translator's fuzzer
 * runs with no machine. */
static bool logs(const struct tx *x, u32 events)
{
	const struct machine *m = x->b->t ? x->b->t->m : NULL;

	return m && (m->log_events & events);
}

/*
 * The end of a sequence with a slow path: `jmp 2f` over it; the rel32
 * jumps ending at @slow[0..@nslow) land on `1: restore_flags` and the
 * callout (the fast callout @fast, unless 0), at no boundary after an
 * inline STI (@shadow); 2: follows.
 */
static void emit_slow_path(struct tx *x, u32 eip, u8 *const *slow, int nslow,
			   bool shadow, u32 fast)
{
	struct emit *e = &x->e;
	u8 *next;

	emit__u8(e, 0xe9); /* jmp next */
	emit__u32(e, 0);
	next = e->p;
	for (int i = 0; i < nslow; i++)
		memcpy(slow[i] - 4, &(u32){(u32)(e->p - slow[i])}, 4);
	emit__restore_flags(e);
	x->no_boundary_next = shadow; /* the callout is in the shadow too */
	if (fast)
		emit_fast_site(x, eip, fast, 0);
	else
		emit_callout(x, eip, BT_EXIT_CALLOUT);
	memcpy(next - 4, &(u32){(u32)(e->p - next)}, 4);
}

/*
 * PUSHF against the virtual flags: the host's arithmetic flags, the
 * guest's IF (the vIF byte), IOPL, NT, AC, VIF, VIP and TF (the page:
 * AC changes only by callouts, and the host holds it only where it
 * checks alignment for the guest, sw_eflags_kept), RF and
 * VM clear (SDM Vol. 2B PUSHF). The store comes first: a fault there
 * leaves the guest as it was, and the emulator redoes the PUSHF.
 */
#define PUSHF_HOST_MASK                                                        \
	(EFL_TF | EFL_IF | EFL_IOPL | EFL_NT | EFL_AC | EFL_VIF | EFL_VIP)

static void emit_pushf(struct tx *x, u32 eip)
{
	struct emit *e = &x->e;

	map_add(x, eip, true);
	emit__u8(e, 0x9c); /* pushf */
	emit__save_flags(e);
	emit__bytes(e, "\x8b\x04\x24\x25", 4); /* mov (%esp), %eax; and */
	emit__u32(e, ~PUSHF_HOST_MASK);	       /* $~mask, %eax */
	emit__bytes(e, "\x65\x0b\x05", 3);     /* or %gs:vflags, %eax */
	emit__u32(e, BT_PG(vflags));
	emit__bytes(e, "\x65\x80\x3d", 3); /* cmpb $0, %gs:vif */
	emit__u32(e, BT_PG(vif));
	emit__bytes(e, "\x00\x74\x05\x0d", 4); /* je 1f; or $IF, %eax */
	emit__u32(e, EFL_IF);
	emit__bytes(e, "\x89\x04\x24", 3); /* 1: mov %eax, (%esp) */
	emit__restore_flags(e);
}

/*
 * POPF (32-bit operand and stack, no interrupt waiting for IF) when the
 * popped value keeps every bit the key or the host's run depends on:
 * TF, NT, AC, ID, and IOPL at CPL 0 (SDM Vol. 2B POPF: CPL 0 writes IF
 * and IOPL, CPL <= IOPL writes IF, RF is cleared, VIP, VIF and VM are
 * not changed). Then POPF is a load, the virtual IF where the guest may
 * write it, DF, and OF SF ZF AF PF CF through SAHF (the host's POPF
 * would drop the TF a kick steps with):
 *
 *	save_flags		EAX and the guest's flags into the page
 *	mov %gs:scr_eax, %eax
 *	mov (%esp), %eax	a fault here leaves the guest as it was
 *	xor %gs:vflags, %eax
 *	test $kept, %eax
 *	jnz 3f
 *	xor %gs:vflags, %eax	the popped value again
 *	bt $9, %eax; setc %gs:vif	(CPL <= IOPL only)
 *	bt $10, %eax; jc 1f; cld; jmp 2f; 1: std; 2:
 *	shr $3, %ah; and $1, %ah; xchg %al, %ah	AL = OF, AH = SF..CF
 *	mov %eax, %gs:scr_fl
 *	restore_flags
 *	lea 4(%esp), %esp
 *	jmp 4f
 * 3:	restore_flags		a bit the key holds changes: the callout
 *	callout BT_EXIT_CALLOUT
 * 4:
 */
static void emit_popf(struct tx *x, u32 eip)
{
	struct emit *e = &x->e;
	bool shadow = x->no_boundary_next; /* after an inline STI */
	bool if_writable = x->k->cpl <= x->k->iopl;
	u32 kept = EFL_TF | EFL_NT | EFL_AC | EFL_ID |
		   (x->k->cpl == 0 ? EFL_IOPL : 0);
	u8 *slow;

	map_add(x, eip, true);
	emit__save_flags(e);
	emit__gs_load_eax(e, BT_PG(scr_eax));
	emit__bytes(e, "\x8b\x04\x24", 3); /* mov (%esp), %eax */
	emit__bytes(e, "\x65\x33\x05", 3); /* xor %gs:vflags, %eax */
	emit__u32(e, BT_PG(vflags));
	emit__u8(e, 0xa9); /* test $kept, %eax */
	emit__u32(e, kept);
	emit__bytes(e, "\x0f\x85", 2); /* jnz slow */
	emit__u32(e, 0);
	slow = e->p;
	emit__bytes(e, "\x65\x33\x05", 3); /* xor %gs:vflags, %eax */
	emit__u32(e, BT_PG(vflags));
	if (if_writable) {
		emit__bytes(e, "\x0f\xba\xe0\x09", 4); /* bt $9, %eax */
		emit__bytes(e, "\x65\x0f\x92\x05", 4); /* setc %gs:vif */
		emit__u32(e, BT_PG(vif));
	}
	/* bt $10, %eax; jc 1f; cld; jmp 2f; 1: std; 2: */
	emit__bytes(e, "\x0f\xba\xe0\x0a\x72\x03\xfc\xeb\x01\xfd", 10);
	/* shr $3, %ah; and $1, %ah; xchg %al, %ah */
	emit__bytes(e, "\xc0\xec\x03\x80\xe4\x01\x86\xc4", 8);
	emit__gs_store_eax(e, BT_PG(scr_fl));
	emit__restore_flags(e);
	emit__bytes(e, "\x8d\x64\x24\x04", 4); /* lea 4(%esp), %esp */
	emit_slow_path(x, eip, &slow, 1, shadow, 0);
}

/*
 * RDTSC (0F 31) and RDTSCP (0F 01 F9) run in the translation: the host's
 * TSC plus the guest's offset, which is what the callout computes, with
 * the guest's flags kept and ECX the guest's IA32_TSC_AUX:
 *
 *	save_flags		EAX and the guest's flags into the page
 *	testb $TSD, %gs:cr4	(above CPL 0)
 *	jnz 1f
 *	add $1, %gs:inline_rdtsc; adc $0, %gs:inline_rdtsc+4
 *	rdtsc | rdtscp
 *	add %gs:tsc_offset, %eax
 *	adc %gs:tsc_offset+4, %edx
 *	mov %eax, %gs:scr_eax
 *	restore_flags		EAX the sum's low half
 *	mov %gs:tsc_aux, %ecx	(RDTSCP)
 *	jmp 2f			(above CPL 0)
 * 1:	restore_flags
 *	callout			#GP(0), the callout's
 * 2:
 *
 * Above CPL 0, CR4.TSD set makes both #GP(0) (SDM Vol. 2B RDTSC,
 * RDTSCP): the test reads the copy of CR4 run_block keeps in the page,
 * which only the full path changes, so a block translated before the
 * guest set TSD takes the callout after. No prefix (the callout decides
 * what one means), not in a single-instruction block, and RDTSCP only
 * where the virtual CPU has it (else #UD, the callout's). The host runs
 * RDTSC untrapped under translation (bt.c).
 */
static int rdtsc_inline(const struct tx *x, const u8 *g,
			const struct bt_insn *in)
{
	if (x->k->single || in->nprefix)
		return 0;
	if (in->len == 2 && g[0] == 0x0f && g[1] == 0x31)
		return 1;
	if (in->len == 3 && g[0] == 0x0f && g[1] == 0x01 && g[2] == 0xf9 &&
	    (x->b->feats & (1u << BT_FEAT_RDTSCP)))
		return 2;
	return 0;
}

static void emit_rdtsc(struct tx *x, u32 eip, bool rdtscp)
{
	struct emit *e = &x->e;
	bool shadow = x->no_boundary_next; /* after an inline STI */
	u8 *slow = NULL;

	map_add(x, eip, true);
	emit__save_flags(e);
	if (x->k->cpl != 0) {
		emit__bytes(e, "\x65\xf6\x05", 3); /* testb $TSD, %gs:cr4 */
		emit__u32(e, BT_PG(cr) + 4 * 4);
		emit__u8(e, CR4_TSD);
		emit__bytes(e, "\x0f\x85", 2); /* jnz slow */
		emit__u32(e, 0);
		slow = e->p;
	}
	emit__bytes(e, "\x65\x83\x05", 3); /* add $1, %gs:inline_rdtsc */
	emit__u32(e, BT_PG(inline_rdtsc));
	emit__u8(e, 1);
	emit__bytes(e, "\x65\x83\x15", 3); /* adc $0, %gs:inline_rdtsc+4 */
	emit__u32(e, BT_PG(inline_rdtsc) + 4);
	emit__u8(e, 0);
	if (rdtscp)
		emit__bytes(e, "\x0f\x01\xf9", 3);
	else
		emit__bytes(e, "\x0f\x31", 2);
	emit__bytes(e, "\x65\x03\x05", 3); /* add %gs:tsc_offset, %eax */
	emit__u32(e, BT_PG(tsc_offset));
	emit__bytes(e, "\x65\x13\x15", 3); /* adc %gs:tsc_offset+4, %edx */
	emit__u32(e, BT_PG(tsc_offset) + 4);
	emit__gs_store_eax(e, BT_PG(scr_eax));
	emit__restore_flags(e);
	if (rdtscp)
		emit__gs_load_ecx(e, BT_PG(tsc_aux));
	if (slow)
		emit_slow_path(x, eip, &slow, 1, shadow, 0);
}

/* MOV r32, CRn at CPL 0 (fast_op's form: no prefix, CR0, CR2-CR4,
 * not ESP): the register gets the copy run_block keeps in the page;
 * the flags, undefined after it (SDM Vol. 2A MOV, Control Registers),
 * stay as they were, as on the fast callout. The count goes up through
 * the destination register, which LEA changes without the flags:
 *	mov %gs:inline_movcr, %r; lea 1(%r), %r; mov %r, %gs:inline_movcr
 *	mov %gs:cr+4*n, %r */
static void emit_mov_from_cr(struct tx *x, u32 eip, u32 reg, u32 cr)
{
	struct emit *e = &x->e;

	map_add(x, eip, true);
	emit__gs_load(e, reg, BT_PG(inline_movcr));
	emit__u8(e, 0x8d); /* lea disp8(%r), %r: mod 01 */
	emit__u8(e, (u8)(0x40 | reg << 3 | reg));
	emit__u8(e, 1);
	emit__gs_store(e, reg, BT_PG(inline_movcr));
	emit__gs_load(e, reg, BT_PG(cr) + 4 * cr);
}

/* The forms emit_div rewrites: not LOCK (#UD, which the CPU raises
 * when the bytes run as they are), and a divisor load within the
 * 15-byte limit (MOVZX is a byte longer than the DIV it reads for). */
static bool div_rewritable(const u8 *g, const struct bt_insn *in)
{
	u32 i, len = in->div == 4 ? 1u : 2u;

	if (!in->div)
		return false;
	for (i = 0; i < in->nprefix; i++) {
		if (g[i] == 0xf0)
			return false;
		len += g[i] != 0x66 && g[i] != 0xf2 && g[i] != 0xf3;
	}
	return len + in->len - in->modrm_off <= 15;
}

/*
 * DIV/IDIV r/m: a zero divisor is #DE, a fault at the DIV (SDM Vol. 2A
 * DIV, IDIV; Vol. 3A 6.15, interrupt 0), raised here by a callout
 * instead of by the host's SIGFPE. The divisor is read once, into ECX
 * (saved in the page; a fault on that read leaves every guest register
 * as it was) with the guest's own addressing, tested with JECXZ (flags
 * untouched), and the division runs on its copy in the page:
 *
 *	mov %ecx, %gs:scr_ecx
 *	mov/movzx r/m, %ecx	the guest's prefixes and ModRM, reg = ECX
 *	jecxz 1f
 *	mov %ecx, %gs:divisor
 *	mov %gs:scr_ecx, %ecx
 *	div/idiv %gs:divisor	a quotient too large: the host's #DE
 *	jmp 2f
 * 1:	mov %gs:scr_ecx, %ecx
 *	callout BT_EXIT_RAISE_DE
 * 2:
 *
 * At CPL 0 the callout is a jump through bt_ro.de_fn with the DIV's EIP
 * and fast_op in the page: to the routine that delivers the #DE in the
 * translation where it is armed (fast_isys.h), else the fast callout.
 */
static void emit_div(struct tx *x, u32 eip, const u8 *g,
		     const struct bt_insn *in)
{
	struct emit *e = &x->e;
	bool swap = in->has_mem && (in->seg == 1 || in->seg == 5);
	bool shadow = x->no_boundary_next; /* after an inline STI */
	u8 modrm = g[in->modrm_off], *raise, *next;
	u32 i;

	map_add(x, eip, true);
	emit__gs_store_ecx(e, BT_PG(scr_ecx));
	if (swap)
		load_gs(x, in->seg == 1 ? BT_RO(guest_cs_sel)
					: BT_RO(guest_gs_sel));
	for (i = 0; i < in->nprefix; i++)
		if (g[i] != 0x66 && g[i] != 0xf0 && g[i] != 0xf2 &&
		    g[i] != 0xf3)
			emit__u8(e, swap && g[i] != 0x67 ? 0x65 : g[i]);
	if (in->div == 4)
		emit__u8(e, 0x8b);
	else
		emit__bytes(e, in->div == 1 ? "\x0f\xb6" : "\x0f\xb7", 2);
	emit__u8(e, (u8)((modrm & ~0x38u) | 1u << 3));
	for (i = in->modrm_off + 1u; i < in->len; i++)
		emit__u8(e, g[i]);
	if (swap)
		load_gs(x, BT_RO(mon_gs_sel));
	emit__u8(e, 0xe3); /* jecxz raise */
	emit__u8(e, 0);
	raise = e->p;
	emit__gs_store_ecx(e, BT_PG(divisor));
	emit__gs_load_ecx(e, BT_PG(scr_ecx));
	emit__u8(e, 0x65);
	if (in->div == 2)
		emit__u8(e, 0x66);
	emit__u8(e, in->div == 1 ? 0xf6 : 0xf7);
	emit__u8(e, (u8)((modrm & 0x38u) | 5u)); /* disp32 */
	emit__u32(e, BT_PG(divisor));
	emit__u8(e, 0xeb); /* jmp next */
	emit__u8(e, 0);
	next = e->p;
	raise[-1] = (u8)(e->p - raise);
	emit__gs_load_ecx(e, BT_PG(scr_ecx));
	x->no_boundary_next = shadow; /* the raise is in the shadow too */
	if (x->k->single || x->k->cpl != 0 || shadow) {
		emit_callout(x, eip, BT_EXIT_RAISE_DE);
	} else {
		/* through bt_ro to the routine that delivers it in the
		 * translation, armed or not (fast_isys.h); else the gate
		 * may deliver it itself (fast.c) */
		emit_fast_site(x, eip,
			       BT_FAST_OP(BT_FAST_RAISE_DE, 0, 0, in->len),
			       BT_RO(de_fn));
	}
	next[-1] = (u8)(e->p - next);
}

/* INTO: with OF clear nothing happens; with OF set the callout raises
 * #OF through the guest IDT (callout__emulate), so only then does the
 * block leave (SDM Vol. 2A INT n/INTO/INT3/INT1). */
static void emit_into(struct tx *x, u32 eip)
{
	bool shadow = x->no_boundary_next; /* after an inline STI */
	u8 *next;

	map_add(x, eip, true);
	emit__u8(&x->e, 0x71); /* jno next */
	emit__u8(&x->e, 0);
	next = x->e.p;
	x->no_boundary_next = shadow;
	emit_callout(x, eip, BT_EXIT_CALLOUT);
	next[-1] = (u8)(x->e.p - next);
}

/* `jmp rel32` to guest @eip's translation, chained when it exists. */
static void jmp_rel(struct tx *x, u32 eip)
{
	emit__u8(&x->e, 0xe9);
	emit__u32(&x->e, 0);
	branch_to(x, eip);
}

/* A block exit at guest @eip (a boundary the map records). */
static void jmp_to(struct tx *x, u32 eip)
{
	map_add(x, eip, true);
	jmp_rel(x, eip);
}

/* --mode bt: an access that kept trapping (retranslate.c) leaves as an
 * adapted callout; the stub's own address lets the monitor patch it
 * back. */
static bool adapted(const struct tx *x, u32 lin, const struct bt_insn *in)
{
	const struct bt_vm *b = x->b;

	return b->adapt && !x->k->single && in->cls == BT_IDENT &&
	       in->has_mem && !b->ndbp && adapt__is_callout(b->adapt, lin);
}

/* Where the callout of adapted @eip is patched to jump to the
 * instruction's next translation, recorded as a site: the callout's
 * first byte, or with --count-insns the count before it, so that the
 * jump skips this count for the new one's. */
static u8 *adapt_site(struct tx *x, u32 eip)
{
	u8 *site = x->count_at && x->count_eip == eip ? x->count_at : x->e.p;

	site__add(x->b, BT_SITE_ADAPT, site);
	return site;
}

/* An adapted access: a callout the monitor patches (adapt_site). */
static void emit_adapted(struct tx *x, u32 eip)
{
	u8 *site = adapt_site(x, eip);

	map_add(x, eip, true);
	emit__gs_imm(&x->e, BT_PG(eip), eip);
	emit__gs_imm(&x->e, BT_PG(patch_site), (u32)(uintptr_t)site);
	emit__exit(&x->e, BT_EXIT_ADAPT);
}

/* The segment a memory operand without an override uses: SS with EBP
 * or ESP as its base, else DS (SDM Vol. 1 3.7.5; 32-bit addressing). */
static u32 default_seg(const u8 *g, const struct bt_insn *in)
{
	u8 modrm = g[in->modrm_off], mod = modrm >> 6, rm = modrm & 7, base;

	if (!in->has_modrm)
		return SW_DS;
	base = rm == 4 ? g[in->modrm_off + 1] & 7 : rm;
	if (base == 4 || (base == 5 && mod != 0))
		return SW_SS;
	return SW_DS;
}

/*
 * The gate's memory operations (fast_shadow.h): an adapted MOV r32, m32,
 * MOV m32, r32 (8B /r, 89 /r, A1, A3) or MOV m32, imm32 (C7 /0) and
 * INVLPG m (0F 01 /7), at CPL 0 with no prefix (32-bit operand and
 * address, the default segment): BT_FAST_OP with the operand's segment,
 * or 0.
 */
static u32 mem_fast_op(const struct bt_key *k, const u8 *g,
		       const struct bt_insn *in)
{
	if (k->single || k->cpl != 0 || in->nprefix || !in->has_mem)
		return 0;
	if (in->len == 5 && (g[0] == 0xa1 || g[0] == 0xa3))
		return BT_FAST_OP(BT_FAST_ADAPT_MOV, 0, SW_DS, 5) |
		       (g[0] == 0xa3 ? BT_FAST_STORE : 0);
	if ((g[0] == 0x8b || g[0] == 0x89) && in->has_modrm &&
	    in->modrm_off == 1 && g[1] >> 6 != 3)
		return BT_FAST_OP(BT_FAST_ADAPT_MOV, g[1] >> 3 & 7,
				  default_seg(g, in), in->len) |
		       (g[0] == 0x89 ? BT_FAST_STORE : 0);
	if (g[0] == 0xc7 && in->has_modrm && in->modrm_off == 1 &&
	    (g[1] >> 3 & 7) == 0 && g[1] >> 6 != 3 && in->len >= 6)
		return BT_FAST_OP(BT_FAST_ADAPT_MOV, 0, default_seg(g, in),
				  in->len) |
		       BT_FAST_STORE | BT_FAST_IMM;
	if (g[0] == 0x0f && g[1] == 0x01 && in->has_modrm &&
	    in->modrm_off == 2 && (g[2] >> 3 & 7) == 7 && g[2] >> 6 != 3)
		return BT_FAST_OP(BT_FAST_INVLPG, 0, default_seg(g, in),
				  in->len);
	return 0;
}

/*
 * A fast site for mem_fast_op's @fast: the operand's effective address
 * into the page (LEA with the guest's ModRM, SIB and displacement, its
 * register field ECX; a moffs as it is), then the fast callout. An
 * adapted one is also the adapted callout's site, which the monitor
 * patches when the instruction goes back to IDENT (emit_adapted):
 *
 *	mov %ecx, %gs:scr_ecx
 *	lea m, %ecx			| movl $moffs, %gs:fast_ea
 *	mov %ecx, %gs:fast_ea
 *	mov %gs:scr_ecx, %ecx
 *	[movl $imm32, %gs:fast_imm]
 *	movl $eip, %gs:eip; [movl $site, %gs:patch_site]
 *	movl $fast, %gs:fast_op; the exit
 *
 * Nothing here faults, and a kick inside it steps to the gate.
 */
static void emit_fast_mem(struct tx *x, u32 eip, const u8 *g,
			  const struct bt_insn *in, u32 fast, bool adapt)
{
	struct emit *e = &x->e;
	u8 *site = adapt ? adapt_site(x, eip) : NULL;
	/* the LEA takes the operand's bytes, not C7's immediate */
	u32 i, end = in->len - ((fast & BT_FAST_IMM) ? 4u : 0u);

	map_add(x, eip, true);
	if (!in->has_modrm) {
		emit__gs_imm(e, BT_PG(fast_ea),
			     (u32)g[1] | (u32)g[2] << 8 | (u32)g[3] << 16 |
				     (u32)g[4] << 24);
	} else {
		emit__gs_store_ecx(e, BT_PG(scr_ecx));
		emit__u8(e, 0x8d); /* lea m, %ecx */
		emit__u8(e, (u8)((g[in->modrm_off] & ~0x38u) | 1u << 3));
		for (i = in->modrm_off + 1u; i < end; i++)
			emit__u8(e, g[i]);
		emit__gs_store_ecx(e, BT_PG(fast_ea));
		emit__gs_load_ecx(e, BT_PG(scr_ecx));
	}
	if (fast & BT_FAST_IMM)
		emit__gs_imm(e, BT_PG(fast_imm),
			     (u32)g[end] | (u32)g[end + 1] << 8 |
				     (u32)g[end + 2] << 16 |
				     (u32)g[end + 3] << 24);
	emit__gs_imm(e, BT_PG(eip), eip);
	if (adapt)
		emit__gs_imm(e, BT_PG(patch_site), (u32)(uintptr_t)site);
	emit__gs_imm(e, BT_PG(fast_op), fast);
	emit__exit(e, BT_EXIT_FAST);
}

/* RET: the guest target popped into the page, then the lookup. */
static void emit_ret(struct tx *x, const struct bt_insn *in)
{
	struct emit *e = &x->e;

	if (in->opsize16) {
		emit__gs_imm(e, BT_PG(target), 0);
		emit__u8(e, 0x66);
	}
	emit__bytes(e, "\x65\x8f\x05", 3); /* pop %gs:target */
	emit__u32(e, BT_PG(target));
	if (in->ret_imm) {
		emit__bytes(e, "\x8d\xa4\x24", 3); /* lea imm(%esp), %esp */
		emit__u32(e, in->ret_imm);
	}
	jump_lookup(x);
}

/* JMP/CALL r/m: the target loaded into the page before the push (a
 * fault leaves the guest as it was), then the lookup. */
static void emit_indirect(struct tx *x, const u8 *g, const struct bt_insn *in,
			  u32 next)
{
	emit__gs_store_eax(&x->e, BT_PG(scr_eax));
	emit_load_target(x, g, in);
	emit__gs_store_eax(&x->e, BT_PG(target));
	emit__gs_load_eax(&x->e, BT_PG(scr_eax));
	if (in->cls == BT_CALL_IND) {
		emit__u8(&x->e, 0x68);
		emit__u32(&x->e, next);
	}
	jump_lookup(x);
}

/* CALL rel: push the guest return address, jump to the target. */
static void emit_call(struct tx *x, const struct bt_insn *in, u32 next,
		      u32 target)
{
	if (in->opsize16) {
		emit__u8(&x->e, 0x66);
		emit__u8(&x->e, 0x68);
		emit__u8(&x->e, (u8)next);
		emit__u8(&x->e, (u8)(next >> 8));
	} else {
		emit__u8(&x->e, 0x68);
		emit__u32(&x->e, next);
	}
	jmp_to(x, target);
}

/*
 * A control transfer at @eip (it ends the block); false for the rare
 * forms the emulator does (a callout).
 */
static bool emit_branch(struct tx *x, u32 eip, const u8 *g,
			const struct bt_insn *in)
{
	u32 next = eip + in->len;
	u32 target = mask_ip(in, next + (u32)in->rel);
	u8 op = g[in->nprefix];
	u32 i;

	if ((in->cls == BT_JMP_IND || in->cls == BT_CALL_IND) &&
	    (in->opsize16 || in->seg == 1 || in->seg == 5))
		return false;
	map_add(x, eip, true);
	switch (in->cls) {
	case BT_JCC:
		emit__u8(&x->e, 0x0f);
		emit__u8(&x->e,
			 0x80 | ((op == 0x0f ? g[in->nprefix + 1] : op) & 0xf));
		emit__u32(&x->e, 0);
		branch_to(x, target);
		jmp_to(x, next);
		break;
	case BT_JMP:
		jmp_rel(x, target);
		break;
	case BT_LOOP:
		for (i = 0; i < in->nprefix; i++)
			if (g[i] == 0x67)
				emit__u8(&x->e, 0x67);
		emit__u8(&x->e, op);
		emit__u8(&x->e, 5);
		jmp_to(x, next);
		jmp_to(x, target);
		break;
	case BT_CALL:
		emit_call(x, in, next, target);
		break;
	case BT_RET:
		emit_ret(x, in);
		break;
	default: /* BT_JMP_IND, BT_CALL_IND */
		emit_indirect(x, g, in, next);
		break;
	}
	return true;
}

/*
 * A callout the gate may finish itself (fast.h): its bt_page.fast_op, or
 * 0: MOV from CRn, IRETD, the byte IN, INT n, SYSENTER, SYSEXIT, PUSH,
 * POP and MOV to Sreg, CLAC and STAC. Only
 * the plain encodings (no prefix: LOCK MOV CR0 is CR8 on AMD and #UD on
 * Intel, SDM Vol. 2A MOV; 66 CF is the 16-bit IRET), in blocks that run
 * more than one instruction (a single-instruction block owes a #DB or a
 * window after it), at CPL 0 (above it MOV CRn, IRET's fast cases and
 * SYSEXIT fault or go elsewhere; PUSH Sreg's fast store is a supervisor
 * one; CLAC and STAC where the virtual CPU shows SMAP), for IN at a CPL
 * its IOPL allows, for INT n at CPL 3 (the system call the handler
 * serves), SYSENTER at any.
 */
static u32 fast_op(const struct bt_key *k, u32 feats, const u8 *g,
		   const struct bt_insn *in)
{
	u8 modrm;
	u32 cr;

	if (k->single || in->nprefix)
		return 0;
	/* IN AL: where CPL <= IOPL skips the bitmap (SDM Vol. 2A IN) */
	if (k->cpl <= k->iopl && in->len == 1 && g[0] == 0xec)
		return BT_FAST_OP(BT_FAST_IN, 1, 0, 1);
	if (k->cpl <= k->iopl && in->len == 2 && g[0] == 0xe4)
		return BT_FAST_OP(BT_FAST_IN, 0, 0, 2) | (u32)g[1] << 24;
	/* system calls: INT n from user mode, SYSENTER from any level */
	if (k->cpl == 3 && in->len == 2 && g[0] == 0xcd)
		return BT_FAST_OP(BT_FAST_INT, 0, 0, 2) | (u32)g[1] << 24;
	if (in->len == 2 && g[0] == 0x0f && g[1] == 0x34)
		return BT_FAST_OP(BT_FAST_SYSENTER, 0, 0, 2);
	if (k->cpl != 0)
		return 0;
	if (in->len == 1 && g[0] == 0xcf)
		return BT_FAST_OP(BT_FAST_IRET, 0, 0, 1);
	if (in->len == 1 && (g[0] & 0xe7) == 0x06)
		return BT_FAST_OP(BT_FAST_PUSH_SREG, g[0] >> 3, 0, 1);
	if (in->len == 2 && g[0] == 0x0f && (g[1] == 0xa0 || g[1] == 0xa8))
		return BT_FAST_OP(BT_FAST_PUSH_SREG, g[1] == 0xa0 ? 4 : 5, 0,
				  2);
	/* POP ES, POP DS; not POP SS (17), whose interrupt shadow needs a
	 * single-instruction block next */
	if (in->len == 1 && (g[0] == 0x07 || g[0] == 0x1f))
		return BT_FAST_OP(BT_FAST_POP_SREG, g[0] >> 3, 0, 1);
	if (in->len == 2 && g[0] == 0x0f && (g[1] == 0xa1 || g[1] == 0xa9))
		return BT_FAST_OP(BT_FAST_POP_SREG, g[1] == 0xa1 ? 4 : 5, 0, 2);
	if (in->len == 3 && g[0] == 0x0f && g[1] == 0x01 &&
	    (g[2] == 0xca || g[2] == 0xcb) && (feats & (1u << BT_FEAT_SMAP)))
		return BT_FAST_OP(g[2] == 0xcb ? BT_FAST_STAC : BT_FAST_CLAC, 0,
				  0, 3);
	if (in->len == 2 && g[0] == 0x0f && g[1] == 0x35)
		return BT_FAST_OP(BT_FAST_SYSEXIT, 0, 0, 2);
	/* MOV ES/DS/FS/GS, r16: Linux's kernel entry loads three; not SS
	 * (its interrupt shadow), CS (#UD) or 6, 7 (#UD) */
	if (in->len == 2 && g[0] == 0x8e && (g[1] >> 6) == 3 &&
	    ((g[1] >> 3 & 7) == 0 ||
	     ((g[1] >> 3 & 7) >= 3 && (g[1] >> 3 & 7) <= 5)))
		return BT_FAST_OP(BT_FAST_MOV_SREG, g[1] >> 3 & 7, g[1] & 7, 2);
	if (in->len != 3)
		return 0;
	modrm = g[2];
	cr = (modrm >> 3) & 7;
	if (g[0] == 0x0f && g[1] == 0x20 && (modrm >> 6) == 3 &&
	    (cr == 0 || cr == 2 || cr == 3 || cr == 4))
		return BT_FAST_OP(BT_FAST_MOV_FROM_CR, modrm & 7, cr, 3);
	return 0;
}

/*
 * IN AL, DX and IN AL, imm8 where CPL <= IOPL (fast_op's forms): AL from
 * the copy of the machine's pure port cells (pio_pure.h) run_block
 * keeps in bt_ro.pure, one port per slot pio_pure__slot(port). A port not
 * there (unpublished, its read not pure now, or another's slot) takes
 * the fast callout, which reads the set itself. The rest of EAX and the
 * flags stay (SDM Vol. 2A IN):
 *
 *	save_flags			EAX and the flags into the page
 *	movzwl %dx, %eax; shr $6, %eax; xor %edx, %eax; and $63, %eax (DX)
 *	cmpw %dx, %cs:pure.port(,%eax,4)	| cmpw $port, %cs:pure[s].port
 *	jne 1f
 *	cmpb $0, %cs:pure.valid(,%eax,4)	| cmpb $0, %cs:pure[s].valid
 *	je 1f
 *	mov %cs:pure.value(,%eax,4), %al	| mov %cs:pure[s].value, %al
 *	mov %al, %gs:scr_eax
 *	add $1, %gs:inline_in
 *	restore_flags
 *	jmp 2f
 * 1:	restore_flags
 *	the fast callout (emit_fast_site)
 * 2:
 *
 * Not under --trace io-all or traps (the full path logs each), nor with
 * a breakpoint enabled (an I/O breakpoint is the full path's; a change
 * of DR7 flushes the cache).
 */
static bool in_inline_ok(const struct tx *x)
{
	return !logs(x, LOG_IO_ALL | LOG_TRAPS) &&
	       !(x->b->c && (x->b->c->dr[7] & 0xff));
}

/* The operand bt_ro.pure[slot] + @field of emit_in, ModRM reg field
 * @reg: the slot indexed by EAX (DX form) or the immediate port's own. */
static void pure_operand(struct emit *e, bool dx, u32 reg, u32 slot, u32 field)
{
	if (dx) {
		emit__u8(e, (u8)(reg << 3 | 4)); /* SIB: disp32(,%eax,4) */
		emit__u8(e, 0x85);
		emit__u32(e, BT_RO(pure) + field);
	} else {
		emit__u8(e, (u8)(reg << 3 | 5)); /* disp32 */
		emit__u32(e, BT_RO(pure) + 4 * slot + field);
	}
}

static void emit_in(struct tx *x, u32 eip, u32 fast)
{
	struct emit *e = &x->e;
	bool shadow = x->no_boundary_next; /* after an inline STI */
	bool dx = fast >> 8 & 1;
	u32 slot = pio_pure__slot(fast >> 24);
	u8 *miss[2];

	map_add(x, eip, true);
	emit__save_flags(e);
	if (dx) {
		/* movzwl %dx, %eax; shr $6, %eax; xor %edx, %eax;
		 * and $63, %eax; cmpw %dx, port */
		emit__bytes(e, "\x0f\xb7\xc2\xc1\xe8\x06\x31\xd0\x83\xe0\x3f",
			    11);
		emit__bytes(e, "\x2e\x66\x39", 3);
		pure_operand(e, dx, 2, slot, 0);
	} else {
		emit__bytes(e, "\x2e\x66\x81", 3); /* cmpw $port, port */
		pure_operand(e, dx, 7, slot, 0);
		emit__u8(e, fast >> 24);
		emit__u8(e, 0);
	}
	emit__bytes(e, "\x0f\x85", 2); /* jne miss */
	emit__u32(e, 0);
	miss[0] = e->p;
	emit__bytes(e, "\x2e\x80", 2); /* cmpb $0, valid */
	pure_operand(e, dx, 7, slot, 3);
	emit__u8(e, 0);
	emit__bytes(e, "\x0f\x84", 2); /* je miss */
	emit__u32(e, 0);
	miss[1] = e->p;
	emit__bytes(e, "\x2e\x8a", 2); /* mov value, %al */
	pure_operand(e, dx, 0, slot, 2);
	emit__bytes(e, "\x65\x88\x05", 3); /* mov %al, %gs:scr_eax */
	emit__u32(e, BT_PG(scr_eax));
	emit__bytes(e, "\x65\x83\x05", 3); /* add $1, %gs:inline_in */
	emit__u32(e, BT_PG(inline_in));
	emit__u8(e, 1);
	emit__restore_flags(e);
	emit_slow_path(x, eip, miss, 2, shadow, fast);
}

/*
 * One guest instruction; returns true when it ends the block.
 */
static bool emit_insn(struct tx *x, u32 eip, const u8 *g,
		      const struct bt_insn *in)
{
	const struct bt_key *k = x->k;
	int rdtsc;
	u32 fast, op;

	x->b->st.cls[in->cls]++;
	if (adapted(x, k->cs_base + eip, in)) {
		fast = mem_fast_op(k, g, in);
		if ((fast & 0xff) == BT_FAST_ADAPT_MOV)
			emit_fast_mem(x, eip, g, in, fast, true);
		else
			emit_adapted(x, eip);
		return true;
	}
	switch (in->cls) {
	case BT_IDENT:
		if (div_rewritable(g, in)) {
			emit_div(x, eip, g, in);
			return false;
		}
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
		emit__gs_imm8(&x->e, BT_PG(vif), 1);
		x->no_boundary_next = true;
		return false;
	case BT_POPF:
		/* With an interrupt waiting for IF, a POPF that may set IF
		 * must let the monitor open the window: a callout. */
		if (in->opsize16 || k->ss16 || k->single ||
		    (k->wreq && k->cpl <= k->iopl))
			break;
		emit_popf(x, eip);
		return false;
	case BT_CLI:
		if (k->cpl > k->iopl)
			break;
		map_add(x, eip, true);
		emit__gs_imm8(&x->e, BT_PG(vif), 0);
		return false;
	case BT_JCC:
	case BT_JMP:
	case BT_LOOP:
	case BT_CALL:
	case BT_RET:
	case BT_JMP_IND:
	case BT_CALL_IND:
		if (emit_branch(x, eip, g, in))
			return true;
		break;
	case BT_UD:
		emit_callout(x, eip, BT_EXIT_RAISE_UD);
		return true;
	case BT_CALLOUT:
		rdtsc = rdtsc_inline(x, g, in);
		if (rdtsc) {
			emit_rdtsc(x, eip, rdtsc == 2);
			return false;
		}
		if (in->len != 1 || g[0] != 0xce)
			break;
		emit_into(x, eip);
		return false;
	default:
		break;
	}
	/* INVLPG: the gate finishes it where the shadow keeps what it
	 * maps (fast_shadow.h) */
	fast = mem_fast_op(k, g, in);
	if ((fast & 0xff) == BT_FAST_INVLPG) {
		emit_fast_mem(x, eip, g, in, fast, false);
		return true;
	}
	fast = fast_op(k, x->b->feats, g, in);
	op = fast & 0xff;
	/* --trace traps logs each such instruction: the callout's */
	if (op == BT_FAST_MOV_FROM_CR && (fast >> 8 & 7) != 4 &&
	    !logs(x, LOG_TRAPS)) {
		emit_mov_from_cr(x, eip, fast >> 8 & 7, fast >> 12 & 0xf);
		return false;
	}
	if (op == BT_FAST_IN && in_inline_ok(x)) {
		emit_in(x, eip, fast);
		return false;
	}
	/* SYSENTER, SYSEXIT: through bt_ro to their shared routines,
	 * armed or not (fast_sysx.h), which set fast_op themselves */
	if (op == BT_FAST_SYSENTER || op == BT_FAST_SYSEXIT) {
		emit_fast_site(x, eip, 0,
			       BT_RO(sysx_fn[op == BT_FAST_SYSEXIT]));
		return true;
	}
	/* an IRET in an inline STI's shadow keeps the full path */
	if (fast && !(x->no_boundary_next && g[0] == 0xcf)) {
		/* INT and IRETD through bt_ro to their routines, armed or
		 * not (fast_isys.h), which read IRETD's frame through ESP
		 * (SS.B = 1); the others to the fast callout */
		if (op == BT_FAST_INT || (op == BT_FAST_IRET && !k->ss16))
			emit_fast_site(x, eip, fast,
				       BT_RO(isys_fn[op == BT_FAST_IRET]));
		else
			emit_fast_site(x, eip, fast, 0);
		return true;
	}
	emit_callout(x, eip, BT_EXIT_CALLOUT);
	return true;
}

/* Points stub @s's jump at its target's translation. A target on a page
 * the block does not have keeps its stub: the link is undone when the
 * guest's tables change (aspace.c). */
static void link_stub(struct tx *x, const struct stub *s)
{
	struct bt_vm *b = x->b;
	u32 rel = (u32)(s->link->tc - (s->site + 4));

	aspace__link(b, s->site, 4, x->tb, s->link);
	memcpy(s->site, &rel, 4);
	b->st.chain_patches++;
	b->links[b->nlinks++] =
		(struct bt_link){(u32)(uintptr_t)s->site,
				 (u32)(uintptr_t)s->link->tc, s->target};
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
		} else if (s->link && (!paging__on(x->b) ||
				       aspace__within(s->link, x->tb))) {
			link_stub(x, s);
			continue;
		} else {
			dest = x->e.p;
			map_add(x, s->target, true);
			if (!x->k->single)
				site__add(x->b, BT_SITE_CHAIN, s->site);
			emit__gs_imm(&x->e, BT_PG(eip), s->target);
			emit__gs_imm(&x->e, BT_PG(patch_site),
				     x->k->single ? 0
						  : (u32)(uintptr_t)s->site);
			emit__exit(&x->e, x->k->single ? BT_EXIT_STEP
						       : BT_EXIT_BRANCH);
		}
		rel = (u32)(dest - (s->site + 4));
		memcpy(s->site, &rel, 4);
		if (s->link)
			link_stub(x, s);
	}
}

/*
 * The self-check of a block on a page shared with data (smc.c): the
 * guest bytes compared with what was translated, 4 at a time through
 * the flat monitor code segment; flags saved with LAHF/SETO. A mismatch
 * leaves for the monitor, which drops the stale translations.
 */
#define CHECK_CHUNKS	16
#define CHECK_MAX_BYTES (CHECK_CHUNKS * 4)
#define CHECK_PROLOGUE	(16 + CHECK_CHUNKS * 17 + 15 + 5)

static void emit_check(struct tx *x, const struct bt_key *k, u8 *body, u32 glen)
{
	struct emit *e = &x->e;
	u8 *fail = e->p, *end;
	u32 lin = k->cs_base + k->eip, off, v;
	u8 *sites[CHECK_CHUNKS];
	int n = 0, i;

	emit__restore_flags(e);
	emit__gs_imm(e, BT_PG(eip), k->eip);
	emit__exit(e, BT_EXIT_STALE);
	end = e->p;
	e->p = x->start;
	emit__save_flags(e);
	for (off = 0; off < glen && n < CHECK_CHUNKS; off += 4) {
		u32 at = off + 4 <= glen ? off : glen - 4;

		if (glen < 4)
			at = 0;
		sw_lin_read(x->b->c, lin + at, &v, 4);
		emit__bytes(e, "\x2e\x81\x3d", 3); /* cmpl $v, %cs:lin+at */
		emit__u32(e, lin + at);
		emit__u32(e, v);
		emit__bytes(e, "\x0f\x85", 2); /* jne fail */
		emit__u32(e, 0);
		sites[n++] = e->p - 4;
	}
	emit__restore_flags(e);
	emit__u8(e, 0xe9);
	emit__u32(e, (u32)(body - (e->p + 4)));
	for (i = 0; i < n; i++) {
		v = (u32)(fail - (sites[i] + 4));
		memcpy(sites[i], &v, 4);
	}
	e->p = end;
}

/*
 * The guest instruction at @eip into @g and @in: fetched with the
 * guest's rights, decoded by the tables, its length confirmed by
 * Capstone. Returns how many bytes could be fetched.
 */
static u32 fetch_insn(struct tx *x, u32 eip, u8 *g, struct bt_insn *in)
{
	const u8 *cp = g;
	size_t clen = 15;
	u64 caddr = eip;
	u32 got, pf_lin = 0, pf_err = 0;
	bool ok;

	memset(g, 0, 16);
	got = paging__fetch(x->b, x->k->cs_base + eip, g, 15, &pf_lin, &pf_err);
	ok = decode__insn(g, 15, in);
	/* Capstone must agree on the length, or the CPU might see a
	 * different instruction than the one classified. */
	if (ok && !cs_disasm_iter(x->h, &cp, &clen, &caddr, x->ci))
		ok = in->cls == BT_UD;
	else if (ok && x->ci->size != in->len)
		ok = false;
	if (!ok)
		*in = (struct bt_insn){.cls = BT_UD, .len = 1, .seg = -1};
	/* a feature the virtual CPU does not show: #UD */
	if (in->feat && !(x->b->feats & (1u << in->feat)))
		in->cls = BT_UD;
	return got;
}

/* The exception the instruction at @eip raises before it runs (its exit
 * code), or 0. */
static u32 raised_before(const struct tx *x, u32 eip, const struct bt_insn *in,
			 u32 got)
{
	const struct bt_key *k = x->k;
	int fpu = decode__fpu_fault(in->fpu, k->fpu);

	/* CS limit (SDM Vol. 3A 5.3): checked here, since the cache's code
	 * segment does not enforce the guest's. */
	if ((u64)eip + in->len - 1 > x->b->c->seg[SW_CS].limit)
		return BT_EXIT_RAISE_GP;
	/* A fetch the guest's page tables forbid (SDM Vol. 3A 4.6): #PF
	 * when the instruction runs, from its own block. */
	if (in->len > got)
		return BT_EXIT_RAISE_PF;
	/* Instruction breakpoints (SDM Vol. 3B 17.3.1.1, a fault at the
	 * instruction), CR0.EM/MP/TS on x87/SSE. */
	if (!k->nobp && breakpoint__exec(x->b->c, k->cs_base + eip))
		return BT_EXIT_DEBUG;
	return fpu == 7 ? BT_EXIT_RAISE_NM : fpu == 6 ? BT_EXIT_RAISE_UD : 0;
}

/* Room for one more block: the cache, the maps, the code pages. */
static void make_room(struct bt_vm *b)
{
	if (b->ncodepages + 4 > BT_MAX_CODEPAGES)
		tcache__flush(b, "code pages");
	if (b->tc_end - b->tc_free < 16384 || b->nblocks >= BT_MAX_BLOCKS ||
	    b->nmaps + 256 > BT_MAX_MAP)
		tcache__flush(b, "cache full");
}

/* --count-insns: the page's counter + 1 without touching the flags (LEA),
 * EAX kept in the page meanwhile. A map entry of its own: the guest
 * state is complete there, the instruction not yet run (after an inline
 * STI neither is a boundary). */
static void emit_count(struct tx *x, u32 eip)
{
	bool no_boundary = x->no_boundary_next;

	map_add(x, eip, true);
	x->no_boundary_next = no_boundary;
	x->count_at = x->e.p;
	x->count_eip = eip;
	emit__gs_store_eax(&x->e, BT_PG(scr_cnt));
	emit__gs_load_eax(&x->e, BT_PG(insns));
	emit__bytes(&x->e, "\x8d\x40\x01", 3); /* lea 1(%eax), %eax */
	emit__gs_store_eax(&x->e, BT_PG(insns));
	emit__gs_load_eax(&x->e, BT_PG(scr_cnt));
}

/*
 * The block goes on at guest @eip in another: a jump there, or, when an
 * inline STI was the last instruction, an exit that makes the monitor
 * run the next one alone with the shadow set. A jump would make that
 * instruction's start a boundary in its own block, and an interrupt a
 * kick brings there would come before it: after `sti` ending a block,
 * before the `hlt` the shadow exists to protect (SDM Vol. 2B STI).
 */
static void end_block(struct tx *x, u32 eip)
{
	if (x->no_boundary_next)
		emit_callout(x, eip, BT_EXIT_SHADOW);
	else
		jmp_to(x, eip);
}

/* The guest instructions of the block, until one ends it; returns their
 * count, *glen their bytes. */
static u32 emit_body(struct tx *x, bool check, u32 *glen)
{
	const struct bt_key *k = x->k;
	u32 eip = k->eip, n = 0;

	for (;;) {
		u8 g[16];
		struct bt_insn in;
		u32 got = fetch_insn(x, eip, g, &in);
		u32 stop = raised_before(x, eip, &in, got);
		/* through the first byte that could not be fetched */
		u32 end = eip - k->eip + (got < in.len ? got + 1 : in.len);
		bool ends;

		if (stop || (in.cls == BT_UD && n)) {
			/* the exception belongs to the instruction's own
			 * block: end this one before it */
			if (n) {
				end_block(x, eip);
				return n;
			}
			x->span = end;
			translog__insn(x->b, g, &in);
			emit_callout(x, eip, stop);
			return 1;
		}
		translog__insn(x->b, g, &in);
		if (x->b->count_insns)
			emit_count(x, eip);
		x->in_insn = true;
		ends = emit_insn(x, eip, g, &in);
		x->in_insn = false;
		codepage__note(x->b, k->cs_base + eip, in.len);
		x->span = end;
		*glen += in.len;
		eip += in.len;
		n++;
		if (ends)
			return n;
		if (n >= MAX_INSNS || k->single ||
		    (check && *glen + 15 > CHECK_MAX_BYTES)) {
			end_block(x, eip);
			return n;
		}
	}
}

/* The block's record, from what was emitted into @x. */
static void finish(struct tx *x, struct bt_block *tb, u32 n, u32 glen)
{
	struct bt_vm *b = x->b;

	tb->key = *x->k;
	tb->tc = x->start;
	tb->tc_len = (u32)(x->e.p - x->start);
	tb->glen = glen;
	tb->ninsn = n;
	tb->map = b->maps + b->nmaps;
	tb->nmap = x->nmap;
	memcpy(tb->map, x->map, x->nmap * sizeof(x->map[0]));
	b->nmaps += x->nmap;
	/* Blocks start 16-byte aligned, as compilers align loop heads:
	 * a hot loop that straddles a fetch line runs measurably slower. */
	b->tc_free = (u8 *)(((uintptr_t)x->e.p + 15) & ~(uintptr_t)15);
	b->st.translations++;
	b->st.guest_bytes += glen;
	b->st.tc_bytes += tb->tc_len;
}

struct bt_block *translate__block(struct bt_vm *b, const struct bt_key *k)
{
	struct tx x;
	struct bt_block *tb;
	u32 lin = k->cs_base + k->eip, n, glen = 0;
	bool check;
	u8 *body;

	make_room(b);
	b->nlinks = 0;
	site__clear_from(b, b->tc_free);
	memset(&x, 0, sizeof(x));
	/* The length cross-check needs no operand detail: the trace
	 * handle (detail off) decodes several times faster. */
	x.h = b->cs_host ? b->cs_host : b->t->cs;
	if (!b->guest_insn)
		b->guest_insn = cs_malloc(x.h);
	x.ci = b->guest_insn;
	tb = tcache__alloc(b);
	tb->key = *k;
	x.b = b;
	x.k = k;
	x.tb = tb;
	x.e.p = x.start = b->tc_free;
	/* A page that code shares with hot data is not write-protected:
	 * its blocks compare their guest bytes on entry instead. */
	check = codepage__selfcheck(b, lin) ||
		codepage__selfcheck(b, lin + CHECK_MAX_BYTES);
	if (check) {
		map_add(&x, k->eip, true);
		x.e.p += CHECK_PROLOGUE;
	}
	body = x.e.p;
	n = emit_body(&x, check, &glen);
	aspace__record(b, tb, x.span);
	emit_stubs(&x);
	if (check)
		emit_check(&x, k, body, glen);
	finish(&x, tb, n, glen);
	return tb;
}

/* --- --trace bt: the block, guest and host side by side --- */

/* The guest side of map entry @i: the instruction, or a stub's target. */
static void guest_text(struct bt_vm *b, const struct bt_block *tb, u32 i,
		       char *out, size_t len)
{
	const cs_insn *gi = NULL;

	if (tb->map[i].eip >= tb->key.eip &&
	    tb->map[i].eip < tb->key.eip + tb->glen)
		gi = emulate__decode(b->t, tb->map[i].eip);
	if (gi)
		snprintf(out, len, "%08x  %s %s", tb->map[i].eip, gi->mnemonic,
			 gi->op_str);
	else
		snprintf(out, len, "  -> %08x", tb->map[i].eip);
}

static void log_block(struct bt_vm *b, const struct bt_block *tb)
{
	u32 i;

	log__printf("bt translate 0x%x (cs base 0x%x cpl %d iopl %d%s): "
		    "%u guest bytes, %u instructions -> %u host bytes at "
		    "0x%x",
		    tb->key.eip, tb->key.cs_base, tb->key.cpl, tb->key.iopl,
		    tb->key.single ? ", single" : "", tb->glen, tb->ninsn,
		    tb->tc_len, (u32)(uintptr_t)tb->tc);
	for (i = 0; i < tb->nmap; i++) {
		u32 off = tb->map[i].off;
		u32 end = i + 1 < tb->nmap ? tb->map[i + 1].off : tb->tc_len;
		const u8 *p = tb->tc + off;
		size_t len = end - off;
		u64 addr = (u64)(uintptr_t)p;
		char guest[256];
		bool first = true;

		guest_text(b, tb, i, guest, sizeof(guest));
		while (len && cs_disasm_iter(b->cs_host, &p, &len, &addr,
					     b->host_insn)) {
			log__printf(
				"bt   %-40s | %08x  %s %s", first ? guest : "",
				(u32)b->host_insn->address,
				b->host_insn->mnemonic, b->host_insn->op_str);
			first = false;
		}
		if (first)
			log__printf("bt   %-40s |", guest);
	}
}

void translate__trace_links(const struct bt_vm *b)
{
	u32 i;

	for (i = 0; i < b->nlinks; i++)
		tcache__trace_chain(b, b->links[i].site, b->links[i].tc,
				    b->links[i].eip);
}

struct bt_block *translate__get(struct bt_vm *b, const struct bt_key *k)
{
	struct bt_block *tb;
	u64 t0;
	bool open = (b->smc_active && k->eip == b->smc_eip) ||
		    (b->nmmio && k->eip == b->mmio_eip);

	if (!open) {
		tb = tcache__find(b, k);
		if (tb)
			return tb;
	}
	t0 = clock__monotonic_ns();
	tb = translate__block(b, k);
	b->st.translate_ns += clock__monotonic_ns() - t0;
	if (open)
		tb->nocache = true;
	else
		tcache__insert(b, tb);
	if (b->t->m->log_events & LOG_BT)
		log_block(b, tb);
	translate__trace_links(b);
	return tb;
}
