/*
 * The guest side of x86-instr-tests: the tables x86gen writes, and the
 * interpreter that runs them (interp.c).
 */
#ifndef X86_INSTR_INTERP_H
#define X86_INSTR_INTERP_H

#include "../harness.h"
#include "report.h"

/* form flags, as in gen/gen.h */
#define XI_F_MEM    1
#define XI_F_STACK  2
#define XI_F_SSE    4
#define XI_F_NOCPL3 8

enum {
	XI_FEAT_NONE,
	XI_FEAT_BMI1,
	XI_FEAT_ABM,
	XI_FEAT_POPCNT,
	XI_FEAT_SSE2,
	XI_FEAT_LAHF64
};

struct xi_form {
	const char *name, *text;
	u8 code[16];
	u8 len, flags, feat, ptr;
	u8 noptr_in, noptr_out; /* pointer registers only on output / input */
	u16 first, n;
};

struct xi_case {
	ulong in[8], out[8];
	u16 fin, fout, fmask; /* EFLAGS in, expected, bits compared */
	u8 regmask;	      /* registers compared */
	int8_t vector;	      /* expected exception, -1: none */
	int16_t win, xmm;     /* memory window / XMM data, -1: none */
	u32 lazy_m;	      /* lazy case: ADD [state.lazy], lazy_imm */
	int8_t lazy_imm;      /* first (harness.h); 0: none */
};

struct xi_win {
	u8 in[XI_WIN], out[XI_WIN];
};
struct xi_xmm {
	u8 in[32], out[32];
};

struct xi_image {
	const char *name, *cpu, *digest, *prefix;
	const struct xi_form *forms;
	u32 nforms;
	const struct xi_case *cases;
	const struct xi_win *wins;
	const struct xi_xmm *xmms;
	/* No oracle on the build host (x86gen --no-oracle): why every
	 * check is skipped; 0 when the cases carry their results. */
	const char *no_oracle;
};

void xi_run(const struct xi_image *img);

#endif
