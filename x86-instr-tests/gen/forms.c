/*
 * The curated table of instruction forms, built from op lists so that
 * every size and operand shape of an instruction is one form, and the
 * cases (edge values and seeded random ones) for each.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

/* Instructions that kvm_pvm's emulator cannot run (DAA, POPCNT,
 * CMPXCHG16B) sit in groups of their own, so they end only their image. */
const char *const group_names[] = {"alu",  "shift", "muldiv", "bit",
				   "string", "misc", "lea", "sse",
				   "bcd", "bitcount", "atomic"};
const int ngroups = sizeof(group_names) / sizeof(group_names[0]);
enum { G_ALU, G_SHIFT, G_MULDIV, G_BIT, G_STR, G_MISC, G_LEA, G_SSE,
       G_BCD, G_BITCOUNT, G_ATOMIC };

static const char *const rn8[] = {"al", "cl", "dl", "bl",
				  "ah", "ch", "dh", "bh"};
static const char *const rn16[] = {"ax", "cx", "dx", "bx",
				   "sp", "bp", "si", "di"};
static const char *const rn32[] = {"eax", "ecx", "edx", "ebx",
				   "esp", "ebp", "esi", "edi"};
static const char *const rn64[] = {"rax", "rcx", "rdx", "rbx",
				   "rsp", "rbp", "rsi", "rdi"};
static const char *const cc[] = {"o", "no", "b",  "ae", "e", "ne",
				 "be", "a", "s",  "ns", "p", "np",
				 "l", "ge", "le", "g"};

static const char *rname(int sz, int r)
{
	return sz == 8 ? rn8[r] : sz == 16 ? rn16[r] : sz == 32 ? rn32[r] : rn64[r];
}
static const char *ptrname(int sz)
{
	return sz == 8 ? "byte" : sz == 16 ? "word" : sz == 32 ? "dword" :
	       sz == 64 ? "qword" : "xmmword";
}

static int W;	/* width being built */
static struct form *F;
static int NF, MAXF;

static void imm_text(char *s, size_t n, long long v)
{
	if (v >= 0)
		snprintf(s, n, v > 9 ? "0x%llx" : "%lld", v);
	else
		snprintf(s, n, v < -9 ? "-0x%llx" : "-%lld", -v);
}

/* mem text: "dword ptr [ebx]" or "[ebx + 0x10]" */
static void mem_text(char *s, size_t n, int sz, int base, int disp)
{
	char d[32] = "";
	const char *b = W == 64 ? rn64[base] : rn32[base];

	if (disp > 0)
		snprintf(d, sizeof(d), disp > 9 ? " + 0x%x" : " + %d", disp);
	else if (disp < 0)
		snprintf(d, sizeof(d), disp < -9 ? " - 0x%x" : " - %d", -disp);
	if (sz)
		snprintf(s, n, "%s ptr [%s%s]", ptrname(sz), b, d);
	else
		snprintf(s, n, "[%s%s]", b, d);
}

static struct form *nf(int group, enum kind k, int op, int osz,
		       const char *fmt, ...)
{
	struct form *f;
	va_list ap;

	if (NF >= MAXF) {
		fprintf(stderr, "x86gen: too many forms\n");
		exit(1);
	}
	f = &F[NF++];
	memset(f, 0, sizeof(*f));
	f->width = W;
	f->group = group;
	f->kind = k;
	f->op = op;
	f->osz = osz;
	f->rd = f->rs = -1;
	f->ptr = 1u << XI_RSP;
	va_start(ap, fmt);
	vsnprintf(f->name, sizeof(f->name), fmt, ap);
	va_end(ap);
	return f;
}
static void tx(struct form *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->text, sizeof(f->text), fmt, ap);
	va_end(ap);
}
static void b(struct form *f, int v)
{
	f->code[f->len++] = v;
}
/* operand-size prefix / REX.W for size sz */
static void osz_prefix(struct form *f, int sz)
{
	if (sz == 16)
		b(f, 0x66);
	if (sz == 64)
		b(f, 0x48);
}
static void modrm_rr(struct form *f, int reg, int rm)
{
	b(f, 0xc0 | reg << 3 | rm);
}
/* [base + disp] with base != rsp, and for disp 0 base != rbp */
static void modrm_m(struct form *f, int reg, int base, int disp)
{
	if (disp == 0 && base != XI_RBP) {
		b(f, reg << 3 | base);
	} else {
		b(f, 0x40 | reg << 3 | base);
		b(f, disp & 0xff);
	}
	f->ptr |= 1u << base;
}
static void imm(struct form *f, long long v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		b(f, (v >> (8 * i)) & 0xff);
}

static int sizes(int *s)
{
	s[0] = 8, s[1] = 16, s[2] = 32, s[3] = 64;
	return W == 64 ? 4 : 3;
}

/* register pairs rotate over the forms so every register is decoded */
static const int rot_d[] = {XI_RAX, XI_RCX, XI_RDX, XI_RSI,
			    XI_RDI, XI_RBP, XI_RBX};
static const int rot_s[] = {XI_RCX, XI_RDX, XI_RSI, XI_RDI,
			    XI_RBP, XI_RBX, XI_RAX};
static int rot;
/* avoid_rbx: RBX is the memory base; in 8-bit forms register 7 is BH,
 * part of it too */
static void pick(int *d, int *s, int avoid_rbx, int sz)
{
	do {
		*d = rot_d[rot % 7];
		*s = rot_s[rot % 7];
		rot++;
	} while (avoid_rbx && (*d == XI_RBX || *s == XI_RBX ||
			       (sz == 8 && (*d == XI_RDI || *s == XI_RDI))));
}

static const char *const alu_names[] = {"add", "or",  "adc", "sbb", "and",
					"sub", "xor", "cmp", "test"};

static void alu_forms(void)
{
	int s[4], ns = sizes(s);

	for (int o = 0; o < 9; o++) {
		const char *m = alu_names[o];
		for (int i = 0; i < ns; i++) {
			int sz = s[i], w8 = sz == 8, d, r;
			char mt[64], it[32];
			struct form *f;
			int opc = o == 8 ? 0x85 : o * 8 + 1;

			pick(&d, &r, 1, sz);
			f = nf(G_ALU, K_ALU, o, sz, "alu.%s.r%d-r%d", m, sz, sz);
			osz_prefix(f, sz);
			b(f, opc - w8);
			modrm_rr(f, r, d);
			tx(f, "%s %s, %s", m, rname(sz, d), rname(sz, r));
			f->rd = d, f->rs = r;

			if (o < 8) {
				f = nf(G_ALU, K_ALU, o, sz, "alu.%s.r%d-r%d.alt",
				       m, sz, sz);
				osz_prefix(f, sz);
				b(f, o * 8 + 3 - w8);
				modrm_rr(f, d, r);
				tx(f, "%s %s, %s", m, rname(sz, d), rname(sz, r));
				f->rd = d, f->rs = r;
			}

			f = nf(G_ALU, K_ALU, o, sz, "alu.%s.m%d-r%d", m, sz, sz);
			osz_prefix(f, sz);
			b(f, opc - w8);
			modrm_m(f, r, XI_RBX, 0);
			mem_text(mt, sizeof(mt), sz, XI_RBX, 0);
			tx(f, "%s %s, %s", m, mt, rname(sz, r));
			f->rs = r, f->mem = 1, f->flags |= F_MEM;

			if (o < 8) {
				f = nf(G_ALU, K_ALU, o, sz, "alu.%s.r%d-m%d", m,
				       sz, sz);
				osz_prefix(f, sz);
				b(f, o * 8 + 3 - w8);
				modrm_m(f, d, XI_RBX, 8);
				mem_text(mt, sizeof(mt), sz, XI_RBX, 8);
				tx(f, "%s %s, %s", m, rname(sz, d), mt);
				f->rd = d, f->mem = 2, f->mdisp = 8;
				f->flags |= F_MEM;
			}

			/* immediate: imm8 (sign-extended for 16-64) */
			{
				long long v = (o & 1) ? -3 : 0x5a;
				long long shown = v;
				f = nf(G_ALU, K_ALU, o, sz, "alu.%s.r%d-imm8", m,
				       sz);
				osz_prefix(f, sz);
				if (o == 8) {
					if (w8) {
						b(f, 0xf6);
					} else {
						b(f, 0xf7);
					}
					modrm_rr(f, 0, d);
					imm(f, v, w8 ? 1 : sz / 8 > 4 ? 4 : sz / 8);
				} else {
					b(f, w8 ? 0x80 : 0x83);
					modrm_rr(f, o, d);
					imm(f, v, 1);
				}
				/* Capstone prints the sign-extended immediate of
				 * the logical ops as unsigned, of the others
				 * signed (8-bit: always unsigned) */
				if (v < 0 && (sz == 8 || o == 1 || o == 4 ||
					      o == 6 || o == 8))
					shown = sz == 8 ? (v & 0xff) :
						sz == 16 ? (v & 0xffff) :
						sz == 32 ? (v & 0xffffffffll) : v;
				if (sz == 64 && v < 0 && (o == 1 || o == 4 || o == 6))
					snprintf(it, sizeof(it), "0x%llx", (unsigned long long)shown);
				else
					imm_text(it, sizeof(it), shown);
				tx(f, "%s %s, %s", m, rname(sz, d), it);
				f->rd = d, f->imm = v;
			}
			if (!w8) {
				long long v = sz == 16 ? 0x8001 : 0x80000001ll;
				long long shown = sz == 64 ? (long long)(int32_t)v : v;
				if (sz == 64 && (o == 1 || o == 4 || o == 6 || o == 8))
					shown = (long long)(int32_t)v; /* printed unsigned below */
				f = nf(G_ALU, K_ALU, o, sz, "alu.%s.m%d-imm", m,
				       sz);
				osz_prefix(f, sz);
				b(f, o == 8 ? 0xf7 : 0x81);
				modrm_m(f, o == 8 ? 0 : o, XI_RBX, 0);
				imm(f, v, sz == 16 ? 2 : 4);
				mem_text(mt, sizeof(mt), sz, XI_RBX, 0);
				if (sz == 64 && (o == 1 || o == 4 || o == 6))
					snprintf(it, sizeof(it), "0x%llx", (unsigned long long)shown);
				else
					imm_text(it, sizeof(it), shown);
				tx(f, "%s %s, %s", m, mt, it);
				f->mem = 1, f->flags |= F_MEM, f->imm = v;
			}
		}
	}
	/* INC/DEC, NOT/NEG: register and memory */
	for (int o = 0; o < 4; o++) {
		static const char *const nm[] = {"inc", "dec", "not", "neg"};
		for (int i = 0; i < ns; i++) {
			int sz = s[i], d, r;
			char mt[64];
			enum kind k = o < 2 ? K_INCDEC : K_NEGNOT;
			int dig = o < 2 ? o : o;
			struct form *f;

			pick(&d, &r, 1, sz);
			f = nf(G_ALU, k, o & 1, sz, "alu.%s.r%d", nm[o], sz);
			osz_prefix(f, sz);
			b(f, o < 2 ? (sz == 8 ? 0xfe : 0xff) : (sz == 8 ? 0xf6 : 0xf7));
			modrm_rr(f, dig, d);
			tx(f, "%s %s", nm[o], rname(sz, d));
			f->rd = d;

			f = nf(G_ALU, k, o & 1, sz, "alu.%s.m%d", nm[o], sz);
			osz_prefix(f, sz);
			b(f, o < 2 ? (sz == 8 ? 0xfe : 0xff) : (sz == 8 ? 0xf6 : 0xf7));
			modrm_m(f, dig, XI_RBX, 0);
			mem_text(mt, sizeof(mt), sz, XI_RBX, 0);
			tx(f, "%s %s", nm[o], mt);
			f->mem = 1, f->flags |= F_MEM;
		}
	}
	if (W == 32) {
		struct form *f = nf(G_ALU, K_INCDEC, 0, 32, "alu.inc.r32.short");
		b(f, 0x40 + XI_RSI);
		tx(f, "inc esi");
		f->rd = XI_RSI;
		f = nf(G_ALU, K_INCDEC, 1, 32, "alu.dec.r32.short");
		b(f, 0x48 + XI_RDI);
		tx(f, "dec edi");
		f->rd = XI_RDI;
	}
}

static void shift_forms(void)
{
	static const char *const nm[] = {"rol", "ror", "rcl", "rcr",
					 "shl", "shr", "", "sar"};
	int s[4], ns = sizes(s);

	for (int o = 0; o < 8; o++) {
		if (o == 6)
			continue;
		for (int i = 0; i < ns; i++) {
			int sz = s[i], w8 = sz == 8, d, r;
			char mt[64];
			struct form *f;
			long long imms[2] = {sz - 1, sz + 3};

			pick(&d, &r, 1, sz);
			if (d == XI_RCX)
				d = XI_RDX;
			f = nf(G_SHIFT, K_SHIFT, o, sz, "shift.%s.r%d-1", nm[o], sz);
			osz_prefix(f, sz);
			b(f, w8 ? 0xd0 : 0xd1);
			modrm_rr(f, o, d);
			tx(f, "%s %s, 1", nm[o], rname(sz, d));
			f->rd = d, f->cnt = 1, f->imm = 1;

			f = nf(G_SHIFT, K_SHIFT, o, sz, "shift.%s.r%d-cl", nm[o], sz);
			osz_prefix(f, sz);
			b(f, w8 ? 0xd2 : 0xd3);
			modrm_rr(f, o, d);
			tx(f, "%s %s, cl", nm[o], rname(sz, d));
			f->rd = d, f->cnt = 2;

			f = nf(G_SHIFT, K_SHIFT, o, sz, "shift.%s.m%d-cl", nm[o], sz);
			osz_prefix(f, sz);
			b(f, w8 ? 0xd2 : 0xd3);
			modrm_m(f, o, XI_RBX, 0);
			mem_text(mt, sizeof(mt), sz, XI_RBX, 0);
			tx(f, "%s %s, cl", nm[o], mt);
			f->mem = 1, f->flags |= F_MEM, f->cnt = 2;

			for (int k = 0; k < 2; k++) {
				char it[32];
				f = nf(G_SHIFT, K_SHIFT, o, sz, "shift.%s.r%d-imm%lld",
				       nm[o], sz, imms[k]);
				osz_prefix(f, sz);
				b(f, w8 ? 0xc0 : 0xc1);
				modrm_rr(f, o, d);
				imm(f, imms[k], 1);
				imm_text(it, sizeof(it), imms[k]);
				tx(f, "%s %s, %s", nm[o], rname(sz, d), it);
				f->rd = d, f->cnt = 3, f->imm = imms[k];
			}
		}
	}
	/* SHLD / SHRD */
	for (int o = 0; o < 2; o++) {
		const char *m = o ? "shrd" : "shld";
		for (int i = 1; i < ns; i++) {
			int sz = s[i];
			struct form *f;
			f = nf(G_SHIFT, K_SHXD, o, sz, "shift.%s.r%d-r%d-cl", m, sz, sz);
			osz_prefix(f, sz);
			b(f, 0x0f);
			b(f, o ? 0xad : 0xa5);
			modrm_rr(f, XI_RSI, XI_RDI);
			tx(f, "%s %s, %s, cl", m, rname(sz, XI_RDI), rname(sz, XI_RSI));
			f->rd = XI_RDI, f->rs = XI_RSI, f->cnt = 2;

			f = nf(G_SHIFT, K_SHXD, o, sz, "shift.%s.r%d-r%d-imm", m, sz, sz);
			osz_prefix(f, sz);
			b(f, 0x0f);
			b(f, o ? 0xac : 0xa4);
			modrm_rr(f, XI_RDX, XI_RAX);
			imm(f, 5, 1);
			tx(f, "%s %s, %s, 5", m, rname(sz, XI_RAX), rname(sz, XI_RDX));
			f->rd = XI_RAX, f->rs = XI_RDX, f->cnt = 3, f->imm = 5;
		}
	}
}

static void muldiv_forms(void)
{
	static const char *const nm[] = {"", "", "", "", "mul", "imul",
					 "div", "idiv"};
	int s[4], ns = sizes(s);

	for (int o = 4; o < 8; o++) {
		for (int i = 0; i < ns; i++) {
			int sz = s[i];
			char mt[64];
			enum kind k = o < 6 ? K_MUL1 : K_DIV;
			struct form *f;
			int src = sz == 8 ? XI_RBX : XI_RSI;

			f = nf(G_MULDIV, k, o, sz, "muldiv.%s.r%d", nm[o], sz);
			osz_prefix(f, sz);
			b(f, sz == 8 ? 0xf6 : 0xf7);
			modrm_rr(f, o, src);
			tx(f, "%s %s", nm[o], rname(sz, src));
			f->rs = src;
			if (k == K_DIV)
				f->flags |= F_FAULTS;

			f = nf(G_MULDIV, k, o, sz, "muldiv.%s.m%d", nm[o], sz);
			osz_prefix(f, sz);
			b(f, sz == 8 ? 0xf6 : 0xf7);
			modrm_m(f, o, XI_RBX, 0);
			mem_text(mt, sizeof(mt), sz, XI_RBX, 0);
			tx(f, "%s %s", nm[o], mt);
			f->mem = 2, f->flags |= F_MEM;
			if (k == K_DIV)
				f->flags |= F_FAULTS;
		}
	}
	for (int i = 1; i < ns; i++) {
		int sz = s[i];
		char mt[64];
		struct form *f;

		f = nf(G_MULDIV, K_IMUL, 2, sz, "muldiv.imul.r%d-r%d", sz, sz);
		osz_prefix(f, sz);
		b(f, 0x0f), b(f, 0xaf);
		modrm_rr(f, XI_RCX, XI_RDI);
		tx(f, "imul %s, %s", rname(sz, XI_RCX), rname(sz, XI_RDI));
		f->rd = XI_RCX, f->rs = XI_RDI;

		f = nf(G_MULDIV, K_IMUL, 2, sz, "muldiv.imul.r%d-m%d", sz, sz);
		osz_prefix(f, sz);
		b(f, 0x0f), b(f, 0xaf);
		modrm_m(f, XI_RDX, XI_RBX, 0);
		mem_text(mt, sizeof(mt), sz, XI_RBX, 0);
		tx(f, "imul %s, %s", rname(sz, XI_RDX), mt);
		f->rd = XI_RDX, f->mem = 2, f->flags |= F_MEM;

		f = nf(G_MULDIV, K_IMUL, 3, sz, "muldiv.imul.r%d-r%d-imm8", sz, sz);
		osz_prefix(f, sz);
		b(f, 0x6b);
		modrm_rr(f, XI_RAX, XI_RSI);
		imm(f, -7, 1);
		tx(f, "imul %s, %s, %s", rname(sz, XI_RAX), rname(sz, XI_RSI),
		   "-7");
		f->rd = XI_RAX, f->rs = XI_RSI, f->imm = -7;

		f = nf(G_MULDIV, K_IMUL, 3, sz, "muldiv.imul.r%d-r%d-imm", sz, sz);
		osz_prefix(f, sz);
		b(f, 0x69);
		modrm_rr(f, XI_RBP, XI_RDX);
		imm(f, 0x12345, sz == 16 ? 2 : 4);
		tx(f, "imul %s, %s, %s", rname(sz, XI_RBP), rname(sz, XI_RDX),
		   sz == 16 ? "0x2345" : "0x12345");
		f->rd = XI_RBP, f->rs = XI_RDX, f->imm = 0x12345;
	}
	if (W == 32) {
		static const struct {
			const char *n;
			uint8_t c[2];
			int len;
			const char *t;
		} bcd[] = {
			{"daa", {0x27}, 1, "daa"},	  {"das", {0x2f}, 1, "das"},
			{"aaa", {0x37}, 1, "aaa"},	  {"aas", {0x3f}, 1, "aas"},
			{"aam", {0xd4, 0x0a}, 2, "aam"}, {"aam-7", {0xd4, 7}, 2, "aam 7"},
			{"aam-0", {0xd4, 0}, 2, "aam 0"}, {"aad", {0xd5, 0x0a}, 2, "aad"},
			{"aad-7", {0xd5, 7}, 2, "aad 7"},
		};
		for (unsigned i = 0; i < sizeof(bcd) / sizeof(bcd[0]); i++) {
			struct form *f = nf(G_BCD, K_BCD, i < 4 ? (int)i : i < 7 ? 4 : 5,
					    8, "bcd.%s", bcd[i].n);
			memcpy(f->code, bcd[i].c, bcd[i].len);
			f->len = bcd[i].len;
			tx(f, "%s", bcd[i].t);
			f->rd = XI_RAX;
			f->imm = bcd[i].len == 2 ? bcd[i].c[1] : 0;
			if (bcd[i].c[0] == 0xd4 && bcd[i].c[1] == 0)
				f->flags |= F_FAULTS;
		}
	}
}

static void bit_forms(void)
{
	static const char *const nm[] = {"bt", "bts", "btr", "btc"};
	static const int rop[] = {0xa3, 0xab, 0xb3, 0xbb};
	int s[4], ns = sizes(s);

	for (int o = 0; o < 4; o++) {
		for (int i = 1; i < ns; i++) {
			int sz = s[i];
			char mt[64], it[32];
			struct form *f;

			f = nf(G_BIT, K_BT, o + 4, sz, "bit.%s.r%d-r%d", nm[o], sz, sz);
			osz_prefix(f, sz);
			b(f, 0x0f), b(f, rop[o]);
			modrm_rr(f, XI_RCX, XI_RSI);
			tx(f, "%s %s, %s", nm[o], rname(sz, XI_RSI), rname(sz, XI_RCX));
			f->rd = XI_RSI, f->rs = XI_RCX;

			f = nf(G_BIT, K_BT, o + 4, sz, "bit.%s.r%d-imm", nm[o], sz);
			osz_prefix(f, sz);
			b(f, 0x0f), b(f, 0xba);
			modrm_rr(f, o + 4, XI_RDI);
			imm(f, sz + 3, 1);
			imm_text(it, sizeof(it), sz + 3);
			tx(f, "%s %s, %s", nm[o], rname(sz, XI_RDI), it);
			f->rd = XI_RDI, f->imm = sz + 3;

			f = nf(G_BIT, K_BT, o + 4, sz, "bit.%s.m%d-r%d", nm[o], sz, sz);
			osz_prefix(f, sz);
			b(f, 0x0f), b(f, rop[o]);
			modrm_m(f, XI_RDX, XI_RBX, 0);
			mem_text(mt, sizeof(mt), sz, XI_RBX, 0);
			tx(f, "%s %s, %s", nm[o], mt, rname(sz, XI_RDX));
			f->rs = XI_RDX, f->mem = 1, f->flags |= F_MEM;

			f = nf(G_BIT, K_BT, o + 4, sz, "bit.%s.m%d-imm", nm[o], sz);
			osz_prefix(f, sz);
			b(f, 0x0f), b(f, 0xba);
			modrm_m(f, o + 4, XI_RBX, 0);
			imm(f, 9, 1);
			tx(f, "%s %s, 9", nm[o], mt);
			f->mem = 1, f->flags |= F_MEM, f->imm = 9;
		}
	}
	static const struct {
		const char *n;
		int pre, opc, k, op, feat;
	} sc[] = {
		{"bsf", 0, 0xbc, K_BSF, 0, FEAT_NONE},
		{"bsr", 0, 0xbd, K_BSF, 1, FEAT_NONE},
		{"tzcnt", 0xf3, 0xbc, K_CNT, 0, FEAT_BMI1},
		{"lzcnt", 0xf3, 0xbd, K_CNT, 1, FEAT_ABM},
		{"popcnt", 0xf3, 0xb8, K_CNT, 2, FEAT_POPCNT},
	};
	for (unsigned o = 0; o < 5; o++) {
		for (int i = 1; i < ns; i++) {
			int sz = s[i];
			char mt[64];
			struct form *f;
			for (int m = 0; m < 2; m++) {
				f = nf(sc[o].k == K_CNT ? G_BITCOUNT : G_BIT, sc[o].k,
				       sc[o].op, sz, "bit.%s.r%d-%c%d",
				       sc[o].n, sz, m ? 'm' : 'r', sz);
				if (sz == 16)
					b(f, 0x66);
				if (sc[o].pre)
					b(f, sc[o].pre);
				if (sz == 64)
					b(f, 0x48);
				b(f, 0x0f), b(f, sc[o].opc);
				if (m) {
					modrm_m(f, XI_RAX, XI_RBX, 0);
					mem_text(mt, sizeof(mt), sz, XI_RBX, 0);
					tx(f, "%s %s, %s", sc[o].n, rname(sz, XI_RAX), mt);
					f->rd = XI_RAX, f->mem = 2, f->flags |= F_MEM;
				} else {
					modrm_rr(f, XI_RDI, XI_RSI);
					tx(f, "%s %s, %s", sc[o].n, rname(sz, XI_RDI),
					   rname(sz, XI_RSI));
					f->rd = XI_RDI, f->rs = XI_RSI;
				}
				f->feat = sc[o].feat;
			}
		}
	}
}

static void string_forms(void)
{
	static const char *const nm[] = {"movs", "cmps", "stos", "lods", "scas"};
	static const int opc[] = {0xa4, 0xa6, 0xaa, 0xac, 0xae};
	static const char sfx[] = {'b', 'w', 'd', 'q'};
	int s[4], ns = sizes(s);
	const char *si = W == 64 ? "rsi" : "esi", *di = W == 64 ? "rdi" : "edi";

	for (int o = 0; o < 5; o++) {
		for (int i = 0; i < ns; i++) {
			int sz = s[i];
			const char *p = ptrname(sz);
			const char *acc = rname(sz, XI_RAX);
			char ops[96];
			const char *es = W == 64 ? "" : "es:";

			switch (o) {
			case 0:
				snprintf(ops, sizeof(ops), "%s ptr %s[%s], %s ptr [%s]",
					 p, es, di, p, si);
				break;
			case 1:
				snprintf(ops, sizeof(ops), "%s ptr [%s], %s ptr %s[%s]",
					 p, si, p, es, di);
				break;
			case 2:
				snprintf(ops, sizeof(ops), "%s ptr %s[%s], %s", p, es,
					 di, acc);
				break;
			case 3:
				snprintf(ops, sizeof(ops), "%s, %s ptr [%s]", acc, p, si);
				break;
			default:
				snprintf(ops, sizeof(ops), "%s, %s ptr %s[%s]", acc, p,
					 es, di);
				break;
			}
			for (int rep = 0; rep < 3; rep++) {
				static const char *const rp[] = {"", "rep", "repne"};
				static const char *const rpt[] = {"", "rep ", "repne "};
				if (rep == 2 && o != 1 && o != 4)
					continue;
				for (int df = 0; df < 2; df++) {
					struct form *f;
					f = nf(G_STR, K_STR, o, sz, "string");
					snprintf(f->name, sizeof(f->name),
						 "string.%s%s%s%c.df%d", rp[rep],
						 rep ? "-" : "", nm[o], sfx[i], df);
					if (rep == 1)
						b(f, 0xf3);
					if (rep == 2)
						b(f, 0xf2);
					osz_prefix(f, sz);
					b(f, opc[o] + (sz != 8));
					tx(f, "%s%s%c %s",
					   rep == 1 && (o == 1 || o == 4) ? "repe " : rpt[rep],
					   nm[o], sfx[i], ops);
					f->imm = df; /* the DF the cases run with */
					f->cnt = rep;
					f->ptr |= 1u << XI_RSI | 1u << XI_RDI;
					f->flags |= F_MEM;
					f->mem = 1;
				}
			}
		}
	}
}

static void misc_forms(void)
{
	int s[4], ns = sizes(s);
	char mt[64];
	struct form *f;
	const int aw = W; /* address/stack width */

	for (int c = 0; c < 16; c++) {
		f = nf(G_MISC, K_CMOV, c, 32, "misc.cmov%s.r32-r32", cc[c]);
		b(f, 0x0f), b(f, 0x40 + c);
		modrm_rr(f, XI_RSI, XI_RDX);
		tx(f, "cmov%s esi, edx", cc[c]);
		f->rd = XI_RSI, f->rs = XI_RDX;
		if (W == 64) {
			f = nf(G_MISC, K_CMOV, c, 64, "misc.cmov%s.r64-m64", cc[c]);
			b(f, 0x48), b(f, 0x0f), b(f, 0x40 + c);
			modrm_m(f, XI_RCX, XI_RBX, 0);
			tx(f, "cmov%s rcx, qword ptr [rbx]", cc[c]);
			f->rd = XI_RCX, f->mem = 2, f->flags |= F_MEM;
		} else {
			f = nf(G_MISC, K_CMOV, c, 16, "misc.cmov%s.r16-m16", cc[c]);
			b(f, 0x66), b(f, 0x0f), b(f, 0x40 + c);
			modrm_m(f, XI_RCX, XI_RBX, 0);
			tx(f, "cmov%s cx, word ptr [ebx]", cc[c]);
			f->rd = XI_RCX, f->mem = 2, f->flags |= F_MEM;
		}
		f = nf(G_MISC, K_SETCC, c, 8, "misc.set%s.r8", cc[c]);
		b(f, 0x0f), b(f, 0x90 + c);
		modrm_rr(f, 0, c & 4 ? XI_RCX : XI_RSP); /* cl or ah */
		tx(f, "set%s %s", cc[c], c & 4 ? "cl" : "ah");
		f->rd = c & 4 ? XI_RCX : XI_RAX;
		f = nf(G_MISC, K_SETCC, c, 8, "misc.set%s.m8", cc[c]);
		b(f, 0x0f), b(f, 0x90 + c);
		modrm_m(f, 0, XI_RBX, 0);
		tx(f, "set%s byte ptr [%s]", cc[c], W == 64 ? "rbx" : "ebx");
		f->mem = 1, f->flags |= F_MEM;
		f = nf(G_MISC, K_JCC, c, 8, "misc.j%s.rel8", cc[c]);
		b(f, 0x70 + c), b(f, 2), b(f, 0x89), b(f, 0xc1);
		tx(f, "j%s 4; mov ecx, eax", cc[c]);
		f->rd = XI_RCX;
		f = nf(G_MISC, K_JCC, c, 32, "misc.j%s.rel32", cc[c]);
		b(f, 0x0f), b(f, 0x80 + c), imm(f, 2, 4), b(f, 0x89), b(f, 0xc1);
		tx(f, "j%s 8; mov ecx, eax", cc[c]);
		f->rd = XI_RCX;
	}
	/* XCHG, XADD, CMPXCHG */
	for (int i = 0; i < ns; i++) {
		int sz = s[i], w8 = sz == 8;
		mem_text(mt, sizeof(mt), sz, XI_RBX, 0);
		f = nf(G_ATOMIC, K_XCHG, 0, sz, "misc.xchg.r%d-r%d", sz, sz);
		osz_prefix(f, sz);
		b(f, 0x87 - w8);
		modrm_rr(f, XI_RDX, XI_RSI);
		tx(f, "xchg %s, %s", rname(sz, XI_RSI), rname(sz, XI_RDX));
		f->rd = XI_RSI, f->rs = XI_RDX;
		f = nf(G_ATOMIC, K_XCHG, 0, sz, "misc.xchg.m%d-r%d", sz, sz);
		osz_prefix(f, sz);
		b(f, 0x87 - w8);
		modrm_m(f, XI_RCX, XI_RBX, 0);
		tx(f, "xchg %s, %s", mt, rname(sz, XI_RCX));
		f->rs = XI_RCX, f->mem = 1, f->flags |= F_MEM;
		for (int lk = 0; lk < 2; lk++) {
			f = nf(G_ATOMIC, K_XCHG, 1, sz, "misc.%sxadd.m%d-r%d",
			       lk ? "lock-" : "", sz, sz);
			if (lk)
				b(f, 0xf0);
			osz_prefix(f, sz);
			b(f, 0x0f), b(f, 0xc1 - w8);
			modrm_m(f, XI_RBP, XI_RBX, 0);
			tx(f, "%sxadd %s, %s", lk ? "lock " : "", mt, rname(sz, XI_RBP));
			f->rs = XI_RBP, f->mem = 1, f->flags |= F_MEM;
			f = nf(G_ATOMIC, K_XCHG, 2, sz, "misc.%scmpxchg.m%d-r%d",
			       lk ? "lock-" : "", sz, sz);
			if (lk)
				b(f, 0xf0);
			osz_prefix(f, sz);
			b(f, 0x0f), b(f, 0xb1 - w8);
			modrm_m(f, XI_RDX, XI_RBX, 0);
			tx(f, "%scmpxchg %s, %s", lk ? "lock " : "", mt,
			   rname(sz, XI_RDX));
			f->rs = XI_RDX, f->mem = 1, f->flags |= F_MEM;
		}
		f = nf(G_ATOMIC, K_XCHG, 1, sz, "misc.xadd.r%d-r%d", sz, sz);
		osz_prefix(f, sz);
		b(f, 0x0f), b(f, 0xc1 - w8);
		modrm_rr(f, XI_RDI, XI_RSI);
		tx(f, "xadd %s, %s", rname(sz, XI_RSI), rname(sz, XI_RDI));
		f->rd = XI_RSI, f->rs = XI_RDI;
		f = nf(G_ATOMIC, K_XCHG, 2, sz, "misc.cmpxchg.r%d-r%d", sz, sz);
		osz_prefix(f, sz);
		b(f, 0x0f), b(f, 0xb1 - w8);
		modrm_rr(f, XI_RDX, XI_RSI);
		tx(f, "cmpxchg %s, %s", rname(sz, XI_RSI), rname(sz, XI_RDX));
		f->rd = XI_RSI, f->rs = XI_RDX;
	}
	f = nf(G_ATOMIC, K_CX8, 0, 64, "misc.cmpxchg8b.m64");
	b(f, 0x0f), b(f, 0xc7);
	modrm_m(f, 1, XI_RSI, 0);
	tx(f, "cmpxchg8b qword ptr [%s]", W == 64 ? "rsi" : "esi");
	f->mem = 1, f->flags |= F_MEM;
	f = nf(G_ATOMIC, K_CX8, 0, 64, "misc.lock-cmpxchg8b.m64");
	b(f, 0xf0), b(f, 0x0f), b(f, 0xc7);
	modrm_m(f, 1, XI_RSI, 0);
	tx(f, "lock cmpxchg8b qword ptr [%s]", W == 64 ? "rsi" : "esi");
	f->mem = 1, f->flags |= F_MEM;
	if (W == 64) {
		f = nf(G_ATOMIC, K_CX8, 1, 128, "misc.cmpxchg16b.m128");
		b(f, 0x48), b(f, 0x0f), b(f, 0xc7);
		modrm_m(f, 1, XI_RSI, 0);
		tx(f, "cmpxchg16b xmmword ptr [rsi]");
		f->mem = 1, f->flags |= F_MEM;
	}
	/* stack */
	{
		static const int pr[] = {XI_RAX, XI_RCX, XI_RDX, XI_RBX,
					 XI_RBP, XI_RSI, XI_RDI};
		for (int i = 0; i < 7; i++) {
			f = nf(G_MISC, K_STACK, 0, aw, "misc.push.r%d.%s", aw, rn64[pr[i]] + 1);
			b(f, 0x50 + pr[i]);
			tx(f, "push %s", rname(aw, pr[i]));
			f->flags |= F_STACK | F_MEM;
			f = nf(G_MISC, K_STACK, 1, aw, "misc.pop.r%d.%s", aw, rn64[pr[i]] + 1);
			b(f, 0x58 + pr[i]);
			tx(f, "pop %s", rname(aw, pr[i]));
			f->flags |= F_STACK | F_MEM;
		}
		f = nf(G_MISC, K_STACK, 0, 16, "misc.push.r16");
		b(f, 0x66), b(f, 0x50 + XI_RCX);
		tx(f, "push cx");
		f->flags |= F_STACK | F_MEM;
		f = nf(G_MISC, K_STACK, 1, 16, "misc.pop.r16");
		b(f, 0x66), b(f, 0x58 + XI_RDX);
		tx(f, "pop dx");
		f->flags |= F_STACK | F_MEM;
		f = nf(G_MISC, K_STACK, 0, aw, "misc.push.imm8");
		b(f, 0x6a), b(f, 0xf0);
		tx(f, "push %s", W == 64 ? "-0x10" : "-0x10");
		f->flags |= F_STACK | F_MEM;
		f = nf(G_MISC, K_STACK, 0, aw, "misc.push.imm32");
		b(f, 0x68), imm(f, 0x87654321, 4);
		tx(f, W == 64 ? "push -0x789abcdf" : "push 0x87654321");
		f->flags |= F_STACK | F_MEM;
		f = nf(G_MISC, K_STACK, 0, aw, "misc.push.m%d", aw);
		b(f, 0xff);
		modrm_m(f, 6, XI_RBX, 0);
		mem_text(mt, sizeof(mt), aw, XI_RBX, 0);
		tx(f, "push %s", mt);
		f->flags |= F_STACK | F_MEM;
		f = nf(G_MISC, K_STACK, 1, aw, "misc.pop.m%d", aw);
		b(f, 0x8f);
		modrm_m(f, 0, XI_RBX, 0);
		tx(f, "pop %s", mt);
		f->flags |= F_STACK | F_MEM;
		/* level 0 only: a nesting level pushes frame pointers, whose
		 * absolute values differ between host and guest */
		for (int sz = 0; sz < 2; sz++) {
			f = nf(G_MISC, K_STACK, 2, aw, "misc.enter.level0.size%d",
			       sz ? 0x10 : 0);
			b(f, 0xc8), imm(f, sz ? 0x10 : 0, 2), b(f, 0);
			tx(f, sz ? "enter 0x10, 0" : "enter 0, 0");
			f->flags |= F_STACK | F_MEM;
			f->ptr |= 1u << XI_RBP;
			f->noptr_in = 1u << XI_RBP; /* old RBP: any value */
		}
		f = nf(G_MISC, K_STACK, 3, aw, "misc.leave");
		b(f, 0xc9);
		tx(f, "leave");
		f->flags |= F_STACK | F_MEM;
		f->ptr |= 1u << XI_RBP;
		f->noptr_out = 1u << XI_RBP; /* RBP popped: a value */
	}
}

static void movx_forms(void)
{
	struct form *f;
	int s[4], ns = sizes(s);
	char mt[64];
	static const struct {
		const char *n, *t;
		int op, w64;
		uint8_t c[3];
		int len;
	} fixed[] = {
		{"misc.cbw", "cbw", 0, 0, {0x66, 0x98}, 2},
		{"misc.cwde", "cwde", 0, 0, {0x98}, 1},
		{"misc.cdqe", "cdqe", 0, 1, {0x48, 0x98}, 2},
		{"misc.cwd", "cwd", 0, 0, {0x66, 0x99}, 2},
		{"misc.cdq", "cdq", 0, 0, {0x99}, 1},
		{"misc.cqo", "cqo", 0, 1, {0x48, 0x99}, 2},
		{"misc.lahf", "lahf", 1, 0, {0x9f}, 1},
		{"misc.sahf", "sahf", 2, 0, {0x9e}, 1},
	};
	for (unsigned i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if (fixed[i].w64 && W != 64)
			continue;
		f = nf(G_MISC, K_MOVX, fixed[i].op, 32, "%s", fixed[i].n);
		memcpy(f->code, fixed[i].c, fixed[i].len);
		f->len = fixed[i].len;
		tx(f, "%s", fixed[i].t);
		f->rd = XI_RAX;
		if (W == 64 && fixed[i].op)
			f->feat = FEAT_LAHF64;
	}
	static const struct {
		const char *n;
		int opc, ds, ss;
	} mx[] = {
		{"movzx", 0xb6, 16, 8}, {"movzx", 0xb6, 32, 8}, {"movzx", 0xb7, 32, 16},
		{"movsx", 0xbe, 16, 8}, {"movsx", 0xbe, 32, 8}, {"movsx", 0xbf, 32, 16},
		{"movzx", 0xb6, 64, 8}, {"movzx", 0xb7, 64, 16}, {"movsx", 0xbe, 64, 8},
		{"movsx", 0xbf, 64, 16},
	};
	for (unsigned i = 0; i < sizeof(mx) / sizeof(mx[0]); i++) {
		if (mx[i].ds == 64 && W != 64)
			continue;
		for (int m = 0; m < 2; m++) {
			f = nf(G_MISC, K_MOVX, 3, mx[i].ds, "misc.%s.r%d-%c%d", mx[i].n,
			       mx[i].ds, m ? 'm' : 'r', mx[i].ss);
			osz_prefix(f, mx[i].ds);
			b(f, 0x0f), b(f, mx[i].opc);
			if (m) {
				modrm_m(f, XI_RDX, XI_RBX, 0);
				mem_text(mt, sizeof(mt), mx[i].ss, XI_RBX, 0);
				tx(f, "%s %s, %s", mx[i].n, rname(mx[i].ds, XI_RDX), mt);
				f->rd = XI_RDX, f->mem = 2, f->flags |= F_MEM;
			} else {
				/* bh, or bl where a REX prefix makes 7 DIL */
				int src = mx[i].ss == 8 ? (mx[i].ds == 64 ? 3 : 7) : XI_RSI;
				modrm_rr(f, XI_RCX, src);
				tx(f, "%s %s, %s", mx[i].n, rname(mx[i].ds, XI_RCX),
				   rname(mx[i].ss, src));
				f->rd = XI_RCX, f->rs = src;
			}
		}
	}
	if (W == 64) {
		f = nf(G_MISC, K_MOVX, 3, 64, "misc.movsxd.r64-r32");
		b(f, 0x48), b(f, 0x63), modrm_rr(f, XI_RAX, XI_RDI);
		tx(f, "movsxd rax, edi");
		f->rd = XI_RAX, f->rs = XI_RDI;
	}
	for (int i = 2; i < ns; i++) {
		for (int r = 0; r < 8; r += 3) {
			int sz = s[i];
			f = nf(G_MISC, K_MOVX, 4, sz, "misc.bswap.r%d.%s", sz, rn64[r] + 1);
			osz_prefix(f, sz);
			b(f, 0x0f), b(f, 0xc8 + r);
			tx(f, "bswap %s", rname(sz, r));
			f->rd = r;
		}
	}
	for (int i = 0; i < ns; i++) {
		int sz = s[i];
		mem_text(mt, sizeof(mt), sz, XI_RBX, -8);
		f = nf(G_MISC, K_MOVX, 5, sz, "misc.mov.m%d-r%d", sz, sz);
		osz_prefix(f, sz);
		b(f, sz == 8 ? 0x88 : 0x89);
		modrm_m(f, XI_RSI, XI_RBX, -8);
		tx(f, "mov %s, %s", mt, rname(sz, XI_RSI));
		f->rs = XI_RSI, f->mem = 1, f->flags |= F_MEM, f->mdisp = -8;
		f = nf(G_MISC, K_MOVX, 5, sz, "misc.mov.r%d-m%d", sz, sz);
		osz_prefix(f, sz);
		b(f, sz == 8 ? 0x8a : 0x8b);
		modrm_m(f, XI_RBP, XI_RBX, -8);
		tx(f, "mov %s, %s", rname(sz, XI_RBP), mt);
		f->rd = XI_RBP, f->mem = 2, f->flags |= F_MEM, f->mdisp = -8;
	}
}

static void lea_forms(void)
{
	struct form *f;
	static const int scales[] = {1, 2, 4, 8};
	const char *const *rn = W == 64 ? rn64 : rn32;
	int n = 0;

	/* ModRM forms: mod 0-2 x rm (rm 4 = SIB; mod 0 rm 5 = disp32 or RIP) */
	for (int mod = 0; mod < 3; mod++) {
		for (int rm = 0; rm < 8; rm++) {
			char t[80];
			int disp = mod == 1 ? -0x24 : 0x12345;
			if (rm == 4)
				continue;
			if (mod == 0 && rm == 5 && W == 64)
				continue; /* RIP-relative: depends on where code is */
			f = nf(G_LEA, K_LEA, 0, W, "lea.mod%d-rm%d", mod, rm);
			if (W == 64)
				b(f, 0x48);
			b(f, 0x8d);
			b(f, mod << 6 | XI_RDX << 3 | rm);
			if (mod == 1)
				b(f, disp & 0xff);
			if (mod == 2 || (mod == 0 && rm == 5))
				imm(f, disp, 4);
			if (mod == 0 && rm == 5)
				snprintf(t, sizeof(t), "[0x12345]");
			else if (mod == 0)
				snprintf(t, sizeof(t), "[%s]", rn[rm]);
			else if (mod == 1)
				snprintf(t, sizeof(t), "[%s - 0x24]", rn[rm]);
			else
				snprintf(t, sizeof(t), "[%s + 0x12345]", rn[rm]);
			tx(f, "lea %s, %s", rn[XI_RDX], t);
			f->rd = XI_RDX;
			n++;
		}
	}
	/* SIB: every scale, several index/base pairs, and no-base */
	for (int sc = 0; sc < 4; sc++) {
		for (int k = 0; k < 5; k++) {
			static const int bs[] = {XI_RAX, XI_RBX, XI_RBP, XI_RDI, 5};
			static const int ix[] = {XI_RSI, XI_RDI, XI_RCX, XI_RAX, XI_RDX};
			int base = bs[k], index = ix[k], mod = 1;
			char t[80];
			if (k == 4)
				mod = 0; /* base 101 with mod 0: disp32, no base */
			f = nf(G_LEA, K_LEA, 0, W, "lea.sib-s%d-%s", scales[sc],
			       k == 4 ? "nobase" : rn64[base] + 1);
			if (W == 64)
				b(f, 0x48);
			b(f, 0x8d);
			b(f, mod << 6 | XI_RBX << 3 | 4);
			b(f, sc << 6 | index << 3 | (k == 4 ? 5 : base));
			if (mod == 1)
				b(f, 0x7f);
			else
				imm(f, -0x1000, 4);
			if (k == 4)
				snprintf(t, sizeof(t), "[%s%s%.0d - 0x1000]", rn[index],
					 sc ? "*" : "", sc ? scales[sc] : 0);
			else
				snprintf(t, sizeof(t), "[%s + %s%s%.0d + 0x7f]", rn[base],
					 rn[index], sc ? "*" : "", sc ? scales[sc] : 0);
			tx(f, "lea %s, %s", rn[XI_RBX], t);
			f->rd = XI_RBX;
		}
	}
	/* operand size 16 and 32 (in 64-bit mode) */
	f = nf(G_LEA, K_LEA, 0, 16, "lea.r16");
	b(f, 0x66), b(f, 0x8d), b(f, 0x44), b(f, 0x4e), b(f, 0x10);
	tx(f, "lea ax, [%s + %s*2 + 0x10]", rn[XI_RSI], rn[XI_RCX]);
	f->rd = XI_RAX;
	if (W == 64) {
		f = nf(G_LEA, K_LEA, 0, 32, "lea.r32");
		b(f, 0x8d), b(f, 0x44), b(f, 0x4e), b(f, 0x10);
		tx(f, "lea eax, [rsi + rcx*2 + 0x10]");
		f->rd = XI_RAX;
		f = nf(G_LEA, K_LEA, 0, 64, "lea.addr32");
		b(f, 0x67), b(f, 0x48), b(f, 0x8d), b(f, 0x44), b(f, 0x4e), b(f, 0x10);
		tx(f, "lea rax, [esi + ecx*2 + 0x10]");
		f->rd = XI_RAX;
	}
	(void)n;
}

static void sse_forms(void)
{
	static const struct {
		const char *n;
		int pre, opc;
	} ops[] = {
		{"paddb", 0x66, 0xfc},	  {"paddw", 0x66, 0xfd},   {"paddd", 0x66, 0xfe},
		{"paddq", 0x66, 0xd4},	  {"psubb", 0x66, 0xf8},   {"psubw", 0x66, 0xf9},
		{"psubd", 0x66, 0xfa},	  {"psubq", 0x66, 0xfb},   {"pand", 0x66, 0xdb},
		{"pandn", 0x66, 0xdf},	  {"por", 0x66, 0xeb},	   {"pxor", 0x66, 0xef},
		{"pcmpeqb", 0x66, 0x74},  {"pcmpeqw", 0x66, 0x75}, {"pcmpeqd", 0x66, 0x76},
		{"pcmpgtb", 0x66, 0x64},  {"pcmpgtw", 0x66, 0x65}, {"pcmpgtd", 0x66, 0x66},
		{"pmullw", 0x66, 0xd5},	  {"pmulhw", 0x66, 0xe5},  {"pmuludq", 0x66, 0xf4},
		{"pmaddwd", 0x66, 0xf5},  {"psadbw", 0x66, 0xf6},  {"pmaxub", 0x66, 0xde},
		{"pminub", 0x66, 0xda},	  {"pmaxsw", 0x66, 0xee},  {"pminsw", 0x66, 0xea},
		{"pavgb", 0x66, 0xe0},	  {"paddusb", 0x66, 0xdc}, {"psubusb", 0x66, 0xd8},
		{"paddsw", 0x66, 0xed},	  {"psubsw", 0x66, 0xe9},  {"packsswb", 0x66, 0x63},
		{"packuswb", 0x66, 0x67}, {"packssdw", 0x66, 0x6b}, {"punpcklbw", 0x66, 0x60},
		{"punpckhbw", 0x66, 0x68}, {"punpckldq", 0x66, 0x62},
		{"punpcklqdq", 0x66, 0x6c}, {"punpckhqdq", 0x66, 0x6d},
		{"psllw", 0x66, 0xf1},	  {"psrld", 0x66, 0xd2},   {"psraw", 0x66, 0xe1},
		{"addsd", 0xf2, 0x58},	  {"subsd", 0xf2, 0x5c},   {"mulsd", 0xf2, 0x59},
		{"divsd", 0xf2, 0x5e},	  {"minsd", 0xf2, 0x5d},   {"maxsd", 0xf2, 0x5f},
		{"sqrtsd", 0xf2, 0x51},	  {"addpd", 0x66, 0x58},   {"mulpd", 0x66, 0x59},
		{"subpd", 0x66, 0x5c},	  {"divpd", 0x66, 0x5e},   {"addss", 0xf3, 0x58},
		{"mulss", 0xf3, 0x59},	  {"addps", 0, 0x58},	   {"andpd", 0x66, 0x54},
		{"xorpd", 0x66, 0x57},	  {"cvtsd2ss", 0xf2, 0x5a}, {"cvtss2sd", 0xf3, 0x5a},
		{"cvtdq2pd", 0xf3, 0xe6}, {"cvttpd2dq", 0x66, 0xe6}, {"cvtps2dq", 0x66, 0x5b},
		{"ucomisd", 0x66, 0x2e},  {"comisd", 0x66, 0x2f},  {"unpcklpd", 0x66, 0x14},
	};
	struct form *f;
	const char *bx = W == 64 ? "rbx" : "ebx";

	for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		int fl = ops[i].opc == 0x2e || ops[i].opc == 0x2f;
		for (int m = 0; m < (i % 4 == 0 || fl ? 2 : 1); m++) {
			f = nf(G_SSE, K_SSE, (int)i, 128, "sse.%s.x-%c", ops[i].n,
			       m ? 'm' : 'x');
			if (ops[i].pre)
				b(f, ops[i].pre);
			b(f, 0x0f), b(f, ops[i].opc);
			if (m) {
				modrm_m(f, 0, XI_RBX, 0);
				/* Capstone 4 calls COMISD's m64 "xmmword" */
				const char *psz = ops[i].opc == 0x2f ? "xmmword" :
						  ops[i].pre == 0xf2 || fl ? "qword" :
						  ops[i].pre == 0xf3 ? "dword" : "xmmword";
				tx(f, "%s xmm0, %s ptr [%s]", ops[i].n, psz, bx);
				f->mem = 2, f->flags |= F_MEM;
			} else {
				modrm_rr(f, 0, 1);
				tx(f, "%s xmm0, xmm1", ops[i].n);
			}
			f->flags |= F_SSE | (fl ? F_SSEFLAGS : 0);
			f->feat = FEAT_SSE2;
		}
	}
	static const struct {
		const char *n;
		int opc, dig;
	} sh[] = {
		{"psllw", 0x71, 6}, {"psrlw", 0x71, 2}, {"psraw", 0x71, 4},
		{"pslld", 0x72, 6}, {"psrld", 0x72, 2}, {"psrad", 0x72, 4},
		{"psllq", 0x73, 6}, {"psrlq", 0x73, 2}, {"pslldq", 0x73, 7},
		{"psrldq", 0x73, 3},
	};
	for (unsigned i = 0; i < sizeof(sh) / sizeof(sh[0]); i++) {
		f = nf(G_SSE, K_SSE, 100 + i, 128, "sse.%s.x-imm", sh[i].n);
		b(f, 0x66), b(f, 0x0f), b(f, sh[i].opc);
		modrm_rr(f, sh[i].dig, 0);
		b(f, 5);
		tx(f, "%s xmm0, 5", sh[i].n);
		f->flags |= F_SSE, f->feat = FEAT_SSE2;
	}
	f = nf(G_SSE, K_SSE, 200, 128, "sse.pshufd.x-x-imm");
	b(f, 0x66), b(f, 0x0f), b(f, 0x70), modrm_rr(f, 0, 1), b(f, 0x1b);
	tx(f, "pshufd xmm0, xmm1, 0x1b");
	f->flags |= F_SSE, f->feat = FEAT_SSE2;
	f = nf(G_SSE, K_SSE, 201, 128, "sse.cvtsi2sd.x-r32");
	b(f, 0xf2), b(f, 0x0f), b(f, 0x2a), modrm_rr(f, 0, XI_RSI);
	tx(f, "cvtsi2sd xmm0, esi");
	f->flags |= F_SSE, f->feat = FEAT_SSE2, f->rs = XI_RSI;
	f = nf(G_SSE, K_SSE, 202, 128, "sse.cvttsd2si.r32-x");
	b(f, 0xf2), b(f, 0x0f), b(f, 0x2c), modrm_rr(f, XI_RDI, 1);
	tx(f, "cvttsd2si edi, xmm1");
	f->flags |= F_SSE, f->feat = FEAT_SSE2, f->rd = XI_RDI;
	f = nf(G_SSE, K_SSE, 203, 128, "sse.movd.x-r32");
	b(f, 0x66), b(f, 0x0f), b(f, 0x6e), modrm_rr(f, 1, XI_RCX);
	tx(f, "movd xmm1, ecx");
	f->flags |= F_SSE, f->feat = FEAT_SSE2, f->rs = XI_RCX;
	f = nf(G_SSE, K_SSE, 204, 128, "sse.movd.r32-x");
	b(f, 0x66), b(f, 0x0f), b(f, 0x7e), modrm_rr(f, 0, XI_RDX);
	tx(f, "movd edx, xmm0");
	f->flags |= F_SSE, f->feat = FEAT_SSE2, f->rd = XI_RDX;
	f = nf(G_SSE, K_SSE, 205, 128, "sse.movdqu.m-x");
	b(f, 0xf3), b(f, 0x0f), b(f, 0x7f), modrm_m(f, 1, XI_RBX, 0);
	tx(f, "movdqu xmmword ptr [%s], xmm1", bx);
	f->flags |= F_SSE | F_MEM, f->feat = FEAT_SSE2, f->mem = 1;
	f = nf(G_SSE, K_SSE, 206, 128, "sse.movdqa.x-m");
	b(f, 0x66), b(f, 0x0f), b(f, 0x6f), modrm_m(f, 0, XI_RBX, 0);
	tx(f, "movdqa xmm0, xmmword ptr [%s]", bx);
	f->flags |= F_SSE | F_MEM, f->feat = FEAT_SSE2, f->mem = 2;
	f = nf(G_SSE, K_SSE, 207, 128, "sse.movq.m-x");
	b(f, 0x66), b(f, 0x0f), b(f, 0xd6), modrm_m(f, 0, XI_RBX, 0);
	tx(f, "movq qword ptr [%s], xmm0", bx);
	f->flags |= F_SSE | F_MEM, f->feat = FEAT_SSE2, f->mem = 1;
}

int forms_build(int width, struct form *out, int max)
{
	W = width, F = out, NF = 0, MAXF = max, rot = 0;
	alu_forms();
	shift_forms();
	muldiv_forms();
	bit_forms();
	string_forms();
	misc_forms();
	movx_forms();
	lea_forms();
	sse_forms();
	return NF;
}
