/*
 * The x86-instr-tests generator: instruction forms, their cases, the
 * undefined-flag rules, the native oracle and the Capstone round trip.
 */
#ifndef X86_INSTR_GEN_H
#define X86_INSTR_GEN_H

#include <stdint.h>
#include <stdio.h>

#include "../harness.h"

enum kind {
	K_ALU,	  /* op: 0 add .. 7 cmp, 8 test */
	K_INCDEC, /* op: 0 inc, 1 dec */
	K_NEGNOT, /* op: 0 not, 1 neg */
	K_SHIFT,  /* op: 0 rol 1 ror 2 rcl 3 rcr 4 shl 5 shr 7 sar */
	K_SHXD,	  /* op: 0 shld, 1 shrd */
	K_MUL1,	  /* op: 4 mul, 5 imul (one operand) */
	K_IMUL,	  /* two- and three-operand IMUL */
	K_DIV,	  /* op: 6 div, 7 idiv */
	K_BCD,	  /* op: 0 daa 1 das 2 aaa 3 aas 4 aam 5 aad */
	K_BT,	  /* op: 4 bt 5 bts 6 btr 7 btc */
	K_BSF,	  /* op: 0 bsf, 1 bsr */
	K_CNT,	  /* op: 0 tzcnt, 1 lzcnt, 2 popcnt */
	K_STR,	  /* string ops */
	K_CMOV,
	K_SETCC,
	K_JCC,
	K_XCHG, /* xchg, xadd, cmpxchg */
	K_CX8,	/* cmpxchg8b / cmpxchg16b */
	K_STACK,
	K_LEA,
	K_MOVX, /* movzx, movsx, movsxd, cbw..cqo, bswap, lahf, sahf, mov */
	K_SSE,
	K_NKIND
};

enum {
	F_MEM = 1,	/* has a memory operand: also run on the MMIO page */
	F_STACK = 2,	/* uses the stack: RSP points into the window */
	F_SSE = 4,	/* loads/stores XMM0, XMM1 */
	F_NOCPL3 = 8,	/* not legal at CPL 3 */
	F_FAULTS = 16,	/* some cases fault */
	F_SSEFLAGS = 32 /* SSE form that writes EFLAGS (COMISD) */
};

enum { FEAT_NONE, FEAT_BMI1, FEAT_ABM, FEAT_POPCNT, FEAT_SSE2, FEAT_LAHF64 };

struct form {
	char name[64]; /* id prefix: "alu.adc.r32-r32" */
	char text[96]; /* Capstone's Intel-syntax text: "adc eax, ecx" */
	uint8_t code[16];
	int len;
	int width; /* image width: 32 or 64 */
	int group;
	enum kind kind;
	int op;
	int osz;	/* operand size in bits */
	unsigned flags; /* F_* */
	int feat;
	unsigned ptr;  /* registers holding offsets into the window */
	unsigned noptr_in, noptr_out; /* ...except on input / output */
	int rd, rs;    /* destination / source registers, -1 none */
	int mem;       /* memory operand is the destination (1) or source (2) */
	int mdisp;     /* memory operand offset in the window */
	long long imm; /* immediate (shift count, IMUL multiplier...) */
	int cnt;       /* shift count: 1 one, 2 CL, 3 imm */
	int ncases;
};

struct xcase {
	unsigned long in[8], out[8];
	unsigned long fin, fout;
	unsigned fmask;	  /* flags compared */
	unsigned regmask; /* registers compared */
	int vector;	  /* -1: none */
	uint8_t win_in[XI_WIN], win_out[XI_WIN];
	uint8_t xin[32], xout[32];
	uint32_t lazy_m; /* lazy case: ADD [state.lazy], lazy_imm first */
	int8_t lazy_imm; /* 0: a plain case (flags from POPF only) */
};

/* The last NLAZY cases of every form are lazy ones (cases_lazy). */
#define NLAZY 2

/* forms.c */
extern const char *const group_names[];
extern const int ngroups;
int forms_build(int width, struct form *out, int max);
void cases_make(const struct form *f, struct xcase *c, int n, uint64_t seed);
void cases_lazy(struct xcase *c, int j);

/* masks.c: the undefined-flag and vendor tables */
struct flag_rule {
	enum kind kind;
	int op; /* -1: every op of the kind */
	unsigned undef;
	const char *ref;
};
extern const struct flag_rule flag_rules[];
unsigned undef_flags(const struct form *f, const struct xcase *c,
		     const char **ref);
unsigned undef_regs(const struct form *f, const struct xcase *c,
		    const char **ref);

/* native.c */
void native_init(void);
void native_run(const struct form *f, struct xcase *c);
int native_check_lazy(int width);

/* capcheck.c: returns 0 if the bytes decode to text, else -1 with
 * Capstone's disassembly in got */
int cap_check(int width, const uint8_t *code, int len, const char *text,
	      char *got, size_t gotsz);

#endif
