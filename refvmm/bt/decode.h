/*
 * The translator's own view of a guest instruction (32-bit code): its
 * length, computed from the raw bytes with opcode tables (SDM Vol. 2D,
 * Appendix A "Opcode Map"), and its class — what the translator does
 * with it. IDENT comes only from the whitelist in the tables; anything
 * the tables do not know is UD. Capstone's length is cross-checked
 * against this one by the caller (Capstone 4 accepts encodings the CPU
 * rejects). Pure functions: unit tested in tests/test_bt.c.
 */
#ifndef REFVMM_BT_DECODE_H
#define REFVMM_BT_DECODE_H

#include "refvmm/types.h"

enum bt_class {
	BT_UD,	     /* invalid or not supported: raise #UD */
	BT_IDENT,    /* copied as is (whitelist) */
	BT_JCC,	     /* 70-7f, 0f 80-8f */
	BT_JMP,	     /* eb, e9 */
	BT_CALL,     /* e8 */
	BT_LOOP,     /* e0-e3: loopne, loope, loop, jecxz */
	BT_RET,	     /* c3, c2 iw */
	BT_JMP_IND,  /* ff /4 */
	BT_CALL_IND, /* ff /2 */
	BT_CLI,	     /* fa: inline against the virtual IF */
	BT_PUSHF,    /* 9c: inline against the virtual flags */
	BT_STI,	     /* fb: inline when no interrupt waits for IF */
	BT_POPF,     /* 9d: inline when no bit the key holds changes */
	BT_CALLOUT,  /* privileged or sensitive: the shared emulator */
	BT_NCLASSES,
};

extern const char *const bt_class_names[BT_NCLASSES];

struct bt_insn {
	enum bt_class cls;
	u8 len;
	u8 nprefix;   /* prefix bytes before the opcode */
	u8 opc_len;   /* opcode bytes (1-3, VEX included) */
	u8 modrm_off; /* offset of ModRM, 0 if none */
	bool has_modrm;
	bool has_mem;	 /* an explicit memory operand or moffs */
	bool opsize16;	 /* 66 prefix */
	bool addrsize16; /* 67 prefix */
	int seg;	 /* last segment override: 0-5 (ES..GS), -1 none */
	u8 imm_len;
	int32_t rel; /* branch displacement (JCC, JMP, CALL, LOOP) */
	u16 ret_imm; /* c2 iw */
	u8 fpu;	     /* enum bt_fpu: what CR0.EM/MP/TS do to it */
	u8 feat;     /* enum bt_feat: the CPUID feature it needs */
	u8 div;	     /* DIV/IDIV (f6/f7 /6, /7): the divisor's bytes, else 0 */
};

/*
 * Instructions of features the virtual CPU may hide (cpu_model.h): the
 * translator raises #UD for them when the model does not show the
 * feature, as a CPU without it does (SDM Vol. 2A 2.3.2, each
 * instruction's "#UD If CPUID..." line).
 */
enum bt_feat {
	BT_FEAT_NONE,
	BT_FEAT_AVX,	 /* VEX other than BMI: also #UD with CR4.OSXSAVE=0 */
	BT_FEAT_BMI1,	 /* VEX ANDN, BLS*, BEXTR */
	BT_FEAT_BMI2,	 /* VEX BZHI, PDEP, PEXT, MULX, RORX, SHLX/SARX/SHRX */
	BT_FEAT_OSXSAVE, /* XGETBV, XSETBV, XSAVE, XRSTOR, XSAVEOPT */
	BT_FEAT_RDPID,	 /* F3 0F C7 /7 (mod=3) */
	BT_FEAT_MOVDIR,	 /* 0F 38 F8/F9: MOVDIRI, MOVDIR64B, ENQCMD(S) */
	BT_FEAT_WAITPKG, /* 66/F2/F3 0F AE /6 (mod=3) */
	BT_FEAT_RDTSCP,	 /* 0F 01 F9: in line only where shown (emit_rdtsc;
			  * else the callout raises the #UD) */
	BT_FEAT_SMAP,	 /* CLAC, STAC: fast callouts only where shown
			  * (fast.c; else the callout raises the #UD) */
	BT_NFEATS,
};

/*
 * SDM Vol. 3A Table 2-2 (x87, WAIT) and 13-1: MMX (registers mm, #UD with
 * CR0.EM), SSE (registers xmm or MXCSR: also #UD with CR4.OSFXSR=0, SDM
 * Vol. 3A 13.1.3), FXSAVE/FXRSTOR (like x87).
 */
enum bt_fpu { BT_FPU_NONE, BT_FPU_X87, BT_FPU_WAIT, BT_FPU_SIMD, BT_FPU_SSE };

/* Key bit beside CR0's EM, MP, TS: the guest's CR4.OSFXSR is clear. */
#define BT_FPU_NO_OSFXSR 0x10

/* The exception @state (CR0.EM, MP, TS bits | BT_FPU_NO_OSFXSR) raises
 * for @fpu, or 0. */
int decode__fpu_fault(u8 fpu, u32 state);

/* Decodes @len bytes at @p; returns false when not a valid instruction. */
bool decode__insn(const u8 *p, size_t len, struct bt_insn *out);

#endif
