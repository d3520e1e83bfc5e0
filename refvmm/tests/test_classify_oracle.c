/*
 * The translator's classifier (bt/decode.c) against the CPU itself.
 * In translated code DS, ES, SS and FS are the guest's own segments but
 * GS is the monitor's per-vCPU page and CS its flat code segment: an
 * instruction copied as is (BT_IDENT) that reaches memory through GS or
 * CS must be known to decode__insn as has_mem with seg 5 or 1, or the
 * translator does not swap the guest's selector in around it and the
 * guest reads or writes monitor memory (docs/refvmm-bt.md).
 *
 * Every opcode of the one-byte, 0f, 0f 38 and 0f 3a maps and of VEX
 * (vex_maps below), each with the ModRM forms of `forms` and the prefix
 * sets of `prefix_sets`, goes through decode__insn; each BT_IDENT one
 * runs on the CPU (oracle_cpu.h), which says through which segments it
 * accessed memory. Only BT_IDENT encodings run: never a branch, callout
 * or system call. Fails: a GS or CS access decode did not mark, a page
 * fault outside the oracle's areas, a CPU expectation (`cases`) not met.
 * Printed only: counts, and encodings marked has_mem whose override the
 * CPU did not use (over-approximation costs a selector swap, no more).
 *
 * Pruning: a prefix set with segment overrides or 67 runs an opcode
 * only when the same opcode under the same 66/F2/F3 prefix was not #UD
 * in every form without them: segment and address-size prefixes change
 * where an operand is, not which instruction it is (SDM Vol. 2A 2.1.1).
 * REFVMM_ORACLE_NO_PRUNE=1 runs everything, to check that on a host;
 * REFVMM_ORACLE_VERBOSE=1 lists every encoding of each report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../bt/decode.h"
#include "oracle_cpu.h"

#define SEG_CS 1
#define SEG_FS 4
#define SEG_GS 5

static const char *const seg_names[6] = {"ES", "CS", "SS", "DS", "FS", "GS"};

struct bytes {
	u8 n;
	u8 b[6];
};

/*
 * Legacy prefixes: none; each segment override; 66, 67, F2, F3; each
 * override with 66, 67 and F3; GS and CS with F2; two overrides in both
 * orders (the last one counts on the CPU and in decode).
 */
static const struct bytes prefix_sets[] = {
	{0, {0}},	   {1, {0x26}},	      {1, {0x2e}},
	{1, {0x36}},	   {1, {0x3e}},	      {1, {0x64}},
	{1, {0x65}},	   {1, {0x66}},	      {1, {0x67}},
	{1, {0xf2}},	   {1, {0xf3}},	      {2, {0x26, 0x66}},
	{2, {0x2e, 0x66}}, {2, {0x36, 0x66}}, {2, {0x3e, 0x66}},
	{2, {0x64, 0x66}}, {2, {0x65, 0x66}}, {2, {0x26, 0x67}},
	{2, {0x2e, 0x67}}, {2, {0x36, 0x67}}, {2, {0x3e, 0x67}},
	{2, {0x64, 0x67}}, {2, {0x65, 0x67}}, {2, {0x26, 0xf3}},
	{2, {0x2e, 0xf3}}, {2, {0x36, 0xf3}}, {2, {0x3e, 0xf3}},
	{2, {0x64, 0xf3}}, {2, {0x65, 0xf3}}, {2, {0x65, 0xf2}},
	{2, {0x2e, 0xf2}}, {2, {0x65, 0x3e}}, {2, {0x3e, 0x65}},
	{2, {0x2e, 0x3e}}, {2, {0x3e, 0x2e}},
};
#define NPREFIX_SETS (sizeof(prefix_sets) / sizeof(prefix_sets[0]))

/*
 * ModRM forms, reg field 0 (ALL_REGS: also with reg 1-7). With 67 the
 * same bytes are 16-bit forms, noted second.
 */
#define ALL_REGS 1
static const struct {
	struct bytes m;
	u8 flags;
} forms[] = {
	{{1, {0x00}}, ALL_REGS},		  /* [eax]; [bx+si] */
	{{2, {0x04, 0x08}}, 0},			  /* [eax+ecx*1]; [si] */
	{{2, {0x45, 0x10}}, 0},			  /* [ebp+10h] SS; [di+10h] */
	{{2, {0x46, 0x10}}, 0},			  /* [esi+10h]; [bp+10h] SS */
	{{5, {0x05, 0x00, 0x02, 0x00, 0x00}}, 0}, /* [200h]; [di] */
	{{3, {0x44, 0x24, 0x08}}, 0},		  /* [esp+8] SS; [si+24h] */
	{{1, {0xc1}}, ALL_REGS},		  /* mod=11, rm 1 */
};
#define NFORMS (sizeof(forms) / sizeof(forms[0]))

struct stats {
	u64 tried, ident, executed, pruned;
	u64 ends[ORACLE_NENDS], vectors[32];
	u64 first[6], any[6];
	u64 over, over_none, under_fs, fails;
};

static struct stats st;
static bool no_prune, verbose;

static void hex(char *out, size_t outlen, const u8 *p, size_t n)
{
	size_t i, o = 0;

	out[0] = 0;
	for (i = 0; i < n && o + 4 < outlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%s%02x",
				      i ? " " : "", p[i]);
}

static void accs(char *out, size_t outlen, const struct oracle_result *r)
{
	size_t o = 0;
	int i;

	out[0] = 0;
	for (i = 0; i < r->nacc; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%s%s:%c",
				      i ? "," : "", seg_names[r->acc[i] & 7],
				      r->acc[i] & ORACLE_WRITE ? 'w' : 'r');
	if (!r->nacc)
		snprintf(out, outlen, "none");
}

static const char *const end_names[ORACLE_NENDS] = {
	[ORACLE_DONE] = "completed",
	[ORACLE_UD] = "#UD",
	[ORACLE_GP] = "#GP",
	[ORACLE_FAULT] = "other exception",
	[ORACLE_ELSEWHERE] = "stopped elsewhere (length)",
	[ORACLE_STRAY] = "page fault outside the areas",
	[ORACLE_PAGES] = "more pages than followed",
};

/* Up to 20 lines of each kind of report (all with
 * REFVMM_ORACLE_VERBOSE=1); the counts say the rest. */
static void note(u64 count, const char *what, const u8 *p,
		 const struct bt_insn *in, const struct oracle_result *r)
{
	char h[64], a[64];

	if (count > 20 && !verbose)
		return;
	hex(h, sizeof(h), p, in->len);
	accs(a, sizeof(a), r);
	printf("  %s: %s  decode has_mem=%d seg=%d  cpu %s, %s "
	       "(trap %d at +%u)\n",
	       what, h, in->has_mem, in->seg, a, end_names[r->end], r->trapno,
	       r->eip);
}

/* Checks one executed encoding against the CPU's answer. */
static void judge(const u8 *p, const struct bt_insn *in,
		  const struct oracle_result *r)
{
	unsigned segs = oracle__segs(r);
	int k;

	st.ends[r->end]++;
	if (r->end == ORACLE_FAULT && r->trapno >= 0 && r->trapno < 32)
		st.vectors[r->trapno]++;
	if (r->nacc)
		st.first[r->acc[0] & 7]++;
	for (k = 0; k < 6; k++)
		if (segs & (1u << k))
			st.any[k]++;
	/* ORACLE_PAGES is REP string instructions, counted only. */
	if (r->end == ORACLE_ELSEWHERE || r->end == ORACLE_STRAY)
		note(st.ends[r->end], end_names[r->end], p, in, r);
	if (((segs >> SEG_GS) & 1 && !(in->has_mem && in->seg == SEG_GS)) ||
	    ((segs >> SEG_CS) & 1 && !(in->has_mem && in->seg == SEG_CS)) ||
	    r->end == ORACLE_STRAY) {
		st.fails++;
		if (st.fails <= 200 || verbose)
			note(1, "FAIL", p, in, r);
		return;
	}
	if (in->has_mem && in->seg >= 0) {
		if (!segs)
			st.over_none++;
		else if (!(segs & (1u << in->seg)))
			note(++st.over, "has_mem, other segment", p, in, r);
	}
	/* No instruction uses FS implicitly: an FS access is the override
	 * at work, and the same bytes with 65 would reach the monitor. */
	if (!in->has_mem && in->seg == SEG_FS && (segs & (1u << SEG_FS)))
		note(++st.under_fs, "no has_mem, FS override used", p, in, r);
}

/*
 * One opcode (@head: its bytes after the prefixes) under one prefix
 * set, in every form; returns whether anything ran and was not #UD.
 * @run_it false: decode and count only.
 */
static bool one_opcode(const struct bytes *pre, const u8 *head, size_t hn,
		       bool run_it)
{
	bool alive = false;
	size_t f;
	int reg;

	for (f = 0; f < NFORMS; f++)
		for (reg = 0; reg < 8; reg++) {
			u8 buf[32] = {0};
			size_t n = 0;
			struct bt_insn in;
			struct oracle_result r;

			if (reg && !(forms[f].flags & ALL_REGS))
				break;
			memcpy(buf, pre->b, pre->n);
			n += pre->n;
			memcpy(buf + n, head, hn);
			n += hn;
			memcpy(buf + n, forms[f].m.b, forms[f].m.n);
			buf[n] |= (u8)(reg << 3);
			st.tried++;
			if (!decode__insn(buf, 15, &in))
				continue;
			if (in.cls == BT_IDENT) {
				st.ident++;
				if (run_it) {
					st.executed++;
					oracle__run(buf, in.len, &r);
					judge(buf, &in, &r);
					alive |= r.end != ORACLE_UD;
				} else {
					st.pruned++;
				}
			}
			/* Without a ModRM the forms are all one encoding. */
			if (!in.has_modrm)
				return alive;
		}
	return alive;
}

/* The 66/F2/F3 that picks among an opcode's forms: 0 none, 1-3. */
static int mandatory(const struct bytes *pre)
{
	int m = 0, i;

	for (i = 0; i < pre->n; i++)
		m = pre->b[i] == 0x66	? (m ? m : 1)
		    : pre->b[i] == 0xf2 ? 2
		    : pre->b[i] == 0xf3 ? 3
					: m;
	return m;
}

static bool plain(const struct bytes *pre)
{
	int i;

	for (i = 0; i < pre->n; i++)
		if (pre->b[i] != 0x66 && pre->b[i] != 0xf2 && pre->b[i] != 0xf3)
			return false;
	return true;
}

/* An opcode under every prefix set, plain sets first (pruning). */
static void opcode(const u8 *head, size_t hn)
{
	bool alive[4] = {false, false, false, false};
	size_t i;

	for (i = 0; i < NPREFIX_SETS; i++)
		if (plain(&prefix_sets[i]))
			alive[mandatory(&prefix_sets[i])] |=
				one_opcode(&prefix_sets[i], head, hn, true);
	for (i = 0; i < NPREFIX_SETS; i++)
		if (!plain(&prefix_sets[i]))
			one_opcode(&prefix_sets[i], head, hn,
				   no_prune ||
					   alive[mandatory(&prefix_sets[i])]);
}

static bool is_prefix(u8 b)
{
	return b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 ||
	       b == 0x65 || b == 0x66 || b == 0x67 || b == 0xf0 || b == 0xf2 ||
	       b == 0xf3;
}

static void legacy_maps(void)
{
	int op;

	for (op = 0; op < 256; op++) {
		u8 h1[1] = {(u8)op}, h2[2] = {0x0f, (u8)op};

		if (!is_prefix((u8)op) && op != 0x0f)
			opcode(h1, 1);
		if (op != 0x38 && op != 0x3a)
			opcode(h2, 2);
	}
	for (op = 0; op < 256; op++) {
		u8 h38[3] = {0x0f, 0x38, (u8)op}, h3a[3] = {0x0f, 0x3a, (u8)op};

		opcode(h38, 3);
		opcode(h3a, 3);
	}
}

/*
 * VEX in 32-bit mode: R (and X) set, as the top two bits of the byte
 * after c4/c5 must be for it not to be LES/LDS (SDM Vol. 2A 2.3.5);
 * vvvv 1111 (none). c5 (map 1, W0): each L and pp, variants 0-7; c4:
 * map 1 with W1, maps 2 and 3 with W0 and W1, each L and pp, variants
 * 8-47 (c4 map 1 W0 is c5 again, SDM Vol. 2A 2.3.5.6).
 */
static void vex_maps(void)
{
	int v, op;

	for (v = 0; v < 48; v++)
		for (op = 0; op < 256; op++) {
			int lpp = v & 7, w = v < 16 || (v & 8),
			    map = v / 16 + 1;
			u8 c5[3] = {0xc5, (u8)(0xf8 | lpp), (u8)op};
			u8 c4[4] = {0xc4, (u8)(0xe0 | map),
				    (u8)(w << 7 | 0x78 | lpp), (u8)op};

			if (v < 8)
				opcode(c5, sizeof(c5));
			else
				opcode(c4, sizeof(c4));
		}
}

/* What the CPU must say about encodings whose behaviour the SDM fixes
 * (MASKMOVQ/MASKMOVDQU: DS:EDI, overridable; XLAT: DS:EBX+AL; MOVS:
 * DS:ESI then ES:EDI; a write through a code segment: #GP). */
static const struct {
	const char *what;
	struct bytes b;
	const char *acc;
	u8 end;
} cases[] = {
	{"gs maskmovq", {4, {0x65, 0x0f, 0xf7, 0xc1}}, "GS:w", ORACLE_DONE},
	{"gs maskmovdqu",
	 {5, {0x65, 0x66, 0x0f, 0xf7, 0xc1}},
	 "GS:w",
	 ORACLE_DONE},
	{"cs xlat", {2, {0x2e, 0xd7}}, "CS:r", ORACLE_DONE},
	{"gs movsb", {2, {0x65, 0xa4}}, "ES:w,GS:r", ORACLE_DONE},
	{"gs cmpsb", {2, {0x65, 0xa6}}, "ES:r,GS:r", ORACLE_DONE},
	{"gs mov eax, moffs", {6, {0x65, 0xa1}}, "GS:r", ORACLE_DONE},
	{"mov eax, [ebp+10h]", {3, {0x8b, 0x45, 0x10}}, "SS:r", ORACLE_DONE},
	{"mov cs:[eax], eax", {3, {0x2e, 0x89, 0x00}}, "none", ORACLE_GP},
	{"add eax, ecx", {2, {0x01, 0xc8}}, "none", ORACLE_DONE},
};

/* Which access comes first is the CPU's choice (CMPS reads ES:EDI
 * before DS:ESI on some): expectations list them by segment. */
static void sort_accs(struct oracle_result *r)
{
	int i, j;

	for (i = 1; i < r->nacc; i++)
		for (j = i; j > 0 && (r->acc[j] & 7) < (r->acc[j - 1] & 7);
		     j--) {
			u8 t = r->acc[j];

			r->acc[j] = r->acc[j - 1];
			r->acc[j - 1] = t;
		}
}

static int expectations(void)
{
	int bad = 0;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct oracle_result r;
		char a[64];

		oracle__run(cases[i].b.b, cases[i].b.n, &r);
		sort_accs(&r);
		accs(a, sizeof(a), &r);
		if (r.end != cases[i].end || strcmp(a, cases[i].acc)) {
			printf("expectation: %s: cpu %s, %s; want %s, %s\n",
			       cases[i].what, a, end_names[r.end], cases[i].acc,
			       end_names[cases[i].end]);
			bad++;
		}
	}
	return bad;
}

static double seconds(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static bool env_on(const char *name)
{
	const char *v = getenv(name);

	return v && !strcmp(v, "1");
}

int main(void)
{
	char err[256];
	bool skip;
	struct timespec t0, t1;
	double secs;
	int bad, k, e;

	setvbuf(stdout, NULL, _IOLBF, 0);
	no_prune = env_on("REFVMM_ORACLE_NO_PRUNE");
	verbose = env_on("REFVMM_ORACLE_VERBOSE");
	if (oracle__init(&skip, err, sizeof(err)) < 0) {
		printf("classify_oracle: %s: %s\n", skip ? "SKIP" : "error",
		       err);
		return skip ? 77 : 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	bad = expectations();
	legacy_maps();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("legacy maps: %llu executed in %.1f s\n",
	       (unsigned long long)st.executed, seconds(&t0, &t1));
	vex_maps();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = seconds(&t0, &t1);
	printf("encodings tried %llu, ident %llu, executed %llu, not run "
	       "(opcode #UD without overrides) %llu; %llu world switches in "
	       "%.1f s\n",
	       (unsigned long long)st.tried, (unsigned long long)st.ident,
	       (unsigned long long)st.executed, (unsigned long long)st.pruned,
	       (unsigned long long)oracle__entries(), secs);
	for (e = 0; e < ORACLE_NENDS; e++)
		printf("  ended %s: %llu\n", end_names[e],
		       (unsigned long long)st.ends[e]);
	for (e = 0; e < 32; e++)
		if (st.vectors[e])
			printf("    vector %d: %llu\n", e,
			       (unsigned long long)st.vectors[e]);
	for (k = 0; k < 6; k++)
		printf("  %s: first access %llu, any access %llu\n",
		       seg_names[k], (unsigned long long)st.first[k],
		       (unsigned long long)st.any[k]);
	printf("has_mem with an override, cpu used other segments: %llu; "
	       "no access at all: %llu\n",
	       (unsigned long long)st.over, (unsigned long long)st.over_none);
	printf("no has_mem, cpu used an FS override: %llu\n",
	       (unsigned long long)st.under_fs);
	printf("GS/CS accesses decode did not mark: %llu\n",
	       (unsigned long long)st.fails);
	if (bad)
		printf("%d CPU expectations failed: the oracle is broken\n",
		       bad);
	return bad || st.fails ? 1 : 0;
}
