/*
 * Length and class of 32-bit guest instructions from opcode tables
 * (decode.h). Tables follow SDM Vol. 2D Appendix A (one-byte map A-2,
 * two-byte map A-3, three-byte maps, opcode extensions A-6).
 * The class says what may run natively at host CPL 3: a one-byte or
 * two-byte opcode is IDENT only when its whole row in the map behaves
 * the same at every privilege level and does not read privileged state.
 */
#include <string.h>

#include "decode.h"

const char *const bt_class_names[BT_NCLASSES] = {
	[BT_UD] = "ud",
	[BT_IDENT] = "ident",
	[BT_JCC] = "jcc",
	[BT_JMP] = "jmp",
	[BT_CALL] = "call",
	[BT_LOOP] = "loop",
	[BT_RET] = "ret",
	[BT_JMP_IND] = "jmp_ind",
	[BT_CALL_IND] = "call_ind",
	[BT_CLI] = "cli",
	[BT_PUSHF] = "pushf",
	[BT_STI] = "sti",
	[BT_POPF] = "popf",
	[BT_CALLOUT] = "callout",
};

/* Immediate kinds. */
enum { I0, IB, IW, IZ, IWB, IP, IM };

struct opc {
	u8 cls;	  /* enum bt_class; GRP: decided by ModRM.reg below */
	u8 modrm; /* 1: has ModRM */
	u8 imm;
};

#define GRP 0xff
/* clang-format off */
#define ID(m, i) {BT_IDENT, m, i}
#define CO(m, i) {BT_CALLOUT, m, i}
#define UD {BT_UD, 0, I0}
#define UDM(i) {BT_UD, 1, i} /* invalid here, with ModRM */
#define PFX {BT_UD, 0, I0} /* prefixes are consumed before the table */
/* clang-format on */

/* One-byte map (Table A-2), 32-bit mode. */
/* clang-format off */
static const struct opc one[256] = {
	/* 00-07: ALU, push/pop ES */
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(0, IB), ID(0, IZ),
	CO(0, I0), CO(0, I0),
	/* 08-0f: OR, push CS, 0f escape */
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(0, IB), ID(0, IZ),
	CO(0, I0), UD,
	/* 10-17: ADC, push/pop SS */
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(0, IB), ID(0, IZ),
	CO(0, I0), CO(0, I0),
	/* 18-1f: SBB, push/pop DS */
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(0, IB), ID(0, IZ),
	CO(0, I0), CO(0, I0),
	/* 20-27: AND, ES:, DAA */
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(0, IB), ID(0, IZ),
	PFX, ID(0, I0),
	/* 28-2f: SUB, CS:, DAS */
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(0, IB), ID(0, IZ),
	PFX, ID(0, I0),
	/* 30-37: XOR, SS:, AAA */
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(0, IB), ID(0, IZ),
	PFX, ID(0, I0),
	/* 38-3f: CMP, DS:, AAS */
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(0, IB), ID(0, IZ),
	PFX, ID(0, I0),
	/* 40-4f: INC/DEC r32 */
	ID(0, I0), ID(0, I0), ID(0, I0), ID(0, I0), ID(0, I0), ID(0, I0),
	ID(0, I0), ID(0, I0), ID(0, I0), ID(0, I0), ID(0, I0), ID(0, I0),
	ID(0, I0), ID(0, I0), ID(0, I0), ID(0, I0),
	/* 50-5f: PUSH/POP r32 */
	ID(0, I0), ID(0, I0), ID(0, I0), ID(0, I0), ID(0, I0), ID(0, I0),
	ID(0, I0), ID(0, I0), ID(0, I0), ID(0, I0), ID(0, I0), ID(0, I0),
	ID(0, I0), ID(0, I0), ID(0, I0), ID(0, I0),
	/* 60-67: PUSHA, POPA, BOUND, ARPL, FS:, GS:, 66, 67 */
	ID(0, I0), ID(0, I0), {GRP, 1, I0}, ID(1, I0), PFX, PFX, PFX, PFX,
	/* 68-6f: PUSH iz, IMUL, PUSH ib, IMUL, INS/OUTS */
	ID(0, IZ), ID(1, IZ), ID(0, IB), ID(1, IB), CO(0, I0), CO(0, I0),
	CO(0, I0), CO(0, I0),
	/* 70-7f: Jcc rel8 */
	{BT_JCC, 0, IB}, {BT_JCC, 0, IB}, {BT_JCC, 0, IB}, {BT_JCC, 0, IB},
	{BT_JCC, 0, IB}, {BT_JCC, 0, IB}, {BT_JCC, 0, IB}, {BT_JCC, 0, IB},
	{BT_JCC, 0, IB}, {BT_JCC, 0, IB}, {BT_JCC, 0, IB}, {BT_JCC, 0, IB},
	{BT_JCC, 0, IB}, {BT_JCC, 0, IB}, {BT_JCC, 0, IB}, {BT_JCC, 0, IB},
	/* 80-87: group 1, TEST, XCHG */
	ID(1, IB), ID(1, IZ), ID(1, IB), ID(1, IB), ID(1, I0), ID(1, I0),
	ID(1, I0), ID(1, I0),
	/* 88-8f: MOV, MOV r/m,Sreg, LEA, MOV Sreg, POP r/m (XOP on AMD) */
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), CO(1, I0), ID(1, I0),
	CO(1, I0), {GRP, 1, I0},
	/* 90-97: XCHG eAX */
	ID(0, I0), ID(0, I0), ID(0, I0), ID(0, I0), ID(0, I0), ID(0, I0),
	ID(0, I0), ID(0, I0),
	/* 98-9f: CWDE, CDQ, CALL far, FWAIT, PUSHF, POPF, SAHF, LAHF */
	ID(0, I0), ID(0, I0), CO(0, IP), ID(0, I0), {BT_PUSHF, 0, I0},
	{BT_POPF, 0, I0}, ID(0, I0), ID(0, I0),
	/* a0-a7: MOV moffs, MOVS, CMPS */
	ID(0, IM), ID(0, IM), ID(0, IM), ID(0, IM), ID(0, I0), ID(0, I0),
	ID(0, I0), ID(0, I0),
	/* a8-af: TEST, STOS, LODS, SCAS */
	ID(0, IB), ID(0, IZ), ID(0, I0), ID(0, I0), ID(0, I0), ID(0, I0),
	ID(0, I0), ID(0, I0),
	/* b0-bf: MOV r, imm */
	ID(0, IB), ID(0, IB), ID(0, IB), ID(0, IB), ID(0, IB), ID(0, IB),
	ID(0, IB), ID(0, IB), ID(0, IZ), ID(0, IZ), ID(0, IZ), ID(0, IZ),
	ID(0, IZ), ID(0, IZ), ID(0, IZ), ID(0, IZ),
	/* c0-c7: shifts, RET iw, RET, LES/LDS (VEX when mod=3), MOV */
	ID(1, IB), ID(1, IB), {BT_RET, 0, IW}, {BT_RET, 0, I0}, CO(1, I0),
	CO(1, I0), {GRP, 1, IB}, {GRP, 1, IZ},
	/* c8-cf: ENTER, LEAVE, RETF iw, RETF, INT3, INT, INTO, IRET */
	ID(0, IWB), ID(0, I0), CO(0, IW), CO(0, I0), CO(0, I0), CO(0, IB),
	CO(0, I0), CO(0, I0),
	/* d0-d7: shifts, AAM, AAD, SALC, XLAT */
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(0, IB), ID(0, IB),
	ID(0, I0), ID(0, I0),
	/* d8-df: x87 */
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0),
	ID(1, I0), ID(1, I0),
	/* e0-e7: LOOPNE, LOOPE, LOOP, JECXZ, IN/OUT imm */
	{BT_LOOP, 0, IB}, {BT_LOOP, 0, IB}, {BT_LOOP, 0, IB},
	{BT_LOOP, 0, IB}, CO(0, IB), CO(0, IB), CO(0, IB), CO(0, IB),
	/* e8-ef: CALL, JMP, JMP far, JMP rel8, IN/OUT dx */
	{BT_CALL, 0, IZ}, {BT_JMP, 0, IZ}, CO(0, IP), {BT_JMP, 0, IB},
	CO(0, I0), CO(0, I0), CO(0, I0), CO(0, I0),
	/* f0-f7: LOCK, INT1, REPNE, REP, HLT, CMC, group 3 */
	PFX, CO(0, I0), PFX, PFX, CO(0, I0), ID(0, I0), {GRP, 1, I0},
	{GRP, 1, I0},
	/* f8-ff: CLC STC CLI STI CLD STD, group 4, group 5 */
	ID(0, I0), ID(0, I0), {BT_CLI, 0, I0}, {BT_STI, 0, I0}, ID(0, I0),
	ID(0, I0), {GRP, 1, I0}, {GRP, 1, I0},
};
/* clang-format on */

/*
 * Two-byte map (Table A-3). Rows of SSE/MMX/x87-state instructions are
 * IDENT: they touch only user-visible state, and their memory operands go
 * through the guest's own (shadowed) data segments.
 */
/* clang-format off */
static const struct opc two[256] = {
	/* 00-07: grp6, grp7, LAR, LSL, -, SYSCALL, CLTS, SYSRET */
	CO(1, I0), {GRP, 1, I0}, CO(1, I0), CO(1, I0), UD, CO(0, I0),
	CO(0, I0), CO(0, I0),
	/* 08-0f: INVD, WBINVD, -, UD2, -, prefetch, FEMMS, 3DNow! */
	CO(0, I0), CO(0, I0), UD, ID(0, I0), UD, ID(1, I0), UD, UDM(IB),
	/* 10-17: SSE moves */
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0),
	ID(1, I0), ID(1, I0),
	/* 18-1f: prefetch hints, hint NOPs */
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0),
	ID(1, I0), ID(1, I0),
	/* 20-27: MOV CR/DR */
	CO(1, I0), CO(1, I0), CO(1, I0), CO(1, I0), UD, UD, UD, UD,
	/* 28-2f: SSE */
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0),
	ID(1, I0), ID(1, I0),
	/* 30-37: WRMSR, RDTSC, RDMSR, RDPMC, SYSENTER, SYSEXIT, -, GETSEC */
	CO(0, I0), CO(0, I0), CO(0, I0), CO(0, I0), CO(0, I0), CO(0, I0), UD,
	UD,
	/* 38-3f: three-byte escapes 38 and 3a (handled before) */
	UD, UD, UD, UD, UD, UD, UD, UD,
	/* 40-4f: CMOVcc */
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0),
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0),
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0),
	/* 50-6f: SSE, MMX */
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0),
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0),
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0),
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0),
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0),
	ID(1, I0), ID(1, I0),
	/* 70-77: PSHUF, shift groups (imm8), PCMPEQ, EMMS */
	ID(1, IB), ID(1, IB), ID(1, IB), ID(1, IB), ID(1, I0), ID(1, I0),
	ID(1, I0), ID(0, I0),
	/* 78-7f: VMREAD/VMWRITE (EXTRQ on AMD), HADD/HSUB, MOVD/MOVQ */
	UDM(I0), UDM(I0), UD, UD, ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0),
	/* 80-8f: Jcc rel32 */
	{BT_JCC, 0, IZ}, {BT_JCC, 0, IZ}, {BT_JCC, 0, IZ}, {BT_JCC, 0, IZ},
	{BT_JCC, 0, IZ}, {BT_JCC, 0, IZ}, {BT_JCC, 0, IZ}, {BT_JCC, 0, IZ},
	{BT_JCC, 0, IZ}, {BT_JCC, 0, IZ}, {BT_JCC, 0, IZ}, {BT_JCC, 0, IZ},
	{BT_JCC, 0, IZ}, {BT_JCC, 0, IZ}, {BT_JCC, 0, IZ}, {BT_JCC, 0, IZ},
	/* 90-9f: SETcc */
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0),
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0),
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0),
	/* a0-a7: PUSH/POP FS, CPUID, BT, SHLD */
	CO(0, I0), CO(0, I0), CO(0, I0), ID(1, I0), ID(1, IB), ID(1, I0), UD,
	UD,
	/* a8-af: PUSH/POP GS, RSM, BTS, SHRD, grp15, IMUL */
	CO(0, I0), CO(0, I0), UD, ID(1, I0), ID(1, IB), ID(1, I0),
	{GRP, 1, I0}, ID(1, I0),
	/* b0-b7: CMPXCHG, LSS, BTR, LFS, LGS, MOVZX */
	ID(1, I0), ID(1, I0), CO(1, I0), ID(1, I0), CO(1, I0), CO(1, I0),
	ID(1, I0), ID(1, I0),
	/* b8-bf: POPCNT, UD1, grp8, BTC, BSF/TZCNT, BSR/LZCNT, MOVSX */
	ID(1, I0), ID(1, I0), ID(1, IB), ID(1, I0), ID(1, I0), ID(1, I0),
	ID(1, I0), ID(1, I0),
	/* c0-c7: XADD, CMPPS, MOVNTI, PINSRW, PEXTRW, SHUFPS, grp9 */
	ID(1, I0), ID(1, I0), ID(1, IB), ID(1, I0), ID(1, IB), ID(1, IB),
	ID(1, IB), {GRP, 1, I0},
	/* c8-cf: BSWAP */
	ID(0, I0), ID(0, I0), ID(0, I0), ID(0, I0), ID(0, I0), ID(0, I0),
	ID(0, I0), ID(0, I0),
	/* d0-ff: SSE, MMX (ff: UD0 with ModRM) */
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0),
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0),
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0),
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0),
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0),
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0),
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0),
	ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0), ID(1, I0),
};
/* clang-format on */

static bool is_prefix(u8 b, int *seg)
{
	static const int segs[6] = {0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65};
	int i;

	for (i = 0; i < 6; i++)
		if (b == segs[i]) {
			*seg = i;
			return true;
		}
	return b == 0x66 || b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3;
}

/* ModRM + SIB + displacement length (SDM Vol. 2A 2.1.5). */
static int modrm_len(const u8 *p, size_t avail, bool a16, bool *mem)
{
	u8 m, mod, rm;
	int n = 1;

	if (avail < 1)
		return -1;
	m = p[0];
	mod = m >> 6;
	rm = m & 7;
	*mem = mod != 3;
	if (mod == 3)
		return 1;
	if (a16) {
		if (mod == 0 && rm == 6)
			n += 2;
		n += mod == 1 ? 1 : mod == 2 ? 2 : 0;
		return n;
	}
	if (rm == 4) {
		if (avail < 2)
			return -1;
		n++;
		if (mod == 0 && (p[1] & 7) == 5)
			n += 4;
	} else if (mod == 0 && rm == 5) {
		n += 4;
	}
	n += mod == 1 ? 1 : mod == 2 ? 4 : 0;
	return n;
}

/* Opcode extensions (Table A-6) that the rows above leave open. */
static enum bt_class group_class(bool two_byte, u8 op, u8 modrm)
{
	u8 reg = (modrm >> 3) & 7, mod = modrm >> 6;

	if (!two_byte) {
		switch (op) {
		case 0x62: /* BOUND; mod=3 is EVEX */
			return mod == 3 ? BT_UD : BT_IDENT;
		case 0x8f: /* POP r/m; other /r are XOP */
		case 0xc6: /* MOV r/m, imm; c6 f8 XABORT */
		case 0xc7:
			return reg == 0 ? BT_IDENT : BT_UD;
		case 0xf6:
		case 0xf7:
			return BT_IDENT;
		case 0xfe:
			return reg <= 1 ? BT_IDENT : BT_UD;
		case 0xff:
			switch (reg) {
			case 0:
			case 1:
			case 6:
				return BT_IDENT;
			case 2:
				return BT_CALL_IND;
			case 4:
				return BT_JMP_IND;
			case 3:
			case 5:
				return mod == 3 ? BT_UD : BT_CALLOUT;
			default:
				return BT_UD;
			}
		}
		return BT_UD;
	}
	switch (op) {
	case 0x01: /* grp7: SGDT..INVLPG; XGETBV (d0) is user state */
		if (modrm == 0xd0)
			return BT_IDENT;
		return BT_CALLOUT;
	case 0xae: /* grp15: FXSAVE..CLFLUSH; fences (mod=3, /5-/7) */
		if (mod == 3)
			return reg >= 5 ? BT_IDENT : BT_UD;
		return BT_IDENT;
	case 0xc7: /* grp9: CMPXCHG8B (/1), RDRAND (/6), RDSEED (/7) */
		if (mod == 3)
			return reg == 6 || reg == 7 ? BT_IDENT : BT_UD;
		return reg == 1 ? BT_IDENT : BT_UD;
	}
	return BT_UD;
}

static int imm_size(int kind, bool o16, bool a16)
{
	switch (kind) {
	case IB:
		return 1;
	case IW:
		return 2;
	case IZ:
		return o16 ? 2 : 4;
	case IWB:
		return 3;
	case IP:
		return (o16 ? 2 : 4) + 2;
	case IM:
		return a16 ? 2 : 4;
	default:
		return 0;
	}
}

/* BMI1/BMI2 among VEX encodings (SDM Vol. 2A, ANDN..SHRX: VEX.0F38
 * F2-F7 by VEX.pp, VEX.0F3A F0); everything else is AVX. */
static u8 vex_feat(int map, u8 op, int pp)
{
	if (map == 3)
		return op == 0xf0 && pp == 3 ? BT_FEAT_BMI2 : BT_FEAT_AVX;
	if (map != 2)
		return BT_FEAT_AVX;
	switch (op) {
	case 0xf2: /* ANDN */
	case 0xf3: /* BLSR, BLSMSK, BLSI */
		return pp == 0 ? BT_FEAT_BMI1 : BT_FEAT_AVX;
	case 0xf5: /* BZHI, PEXT, PDEP */
		return pp != 1 ? BT_FEAT_BMI2 : BT_FEAT_AVX;
	case 0xf6: /* MULX */
		return pp == 3 ? BT_FEAT_BMI2 : BT_FEAT_AVX;
	case 0xf7: /* BEXTR; SHLX, SARX, SHRX */
		return pp == 0 ? BT_FEAT_BMI1 : BT_FEAT_BMI2;
	default:
		return BT_FEAT_AVX;
	}
}

/* VEX (c4/c5 with ModRM.mod = 3 in 32-bit mode, SDM Vol. 2A 2.3). */
static bool decode_vex(const u8 *p, size_t len, size_t i, struct bt_insn *o)
{
	int map = 1, ml;
	size_t start = i;
	u8 op;
	bool mem;

	if (o->nprefix &&
	    (o->opsize16 || p[o->nprefix - 1] == 0xf0 ||
	     p[o->nprefix - 1] == 0xf2 || p[o->nprefix - 1] == 0xf3))
		return false; /* #UD with 66/F2/F3/LOCK before VEX */
	if (p[i] == 0xc4) {
		if (i + 2 >= len)
			return false;
		map = p[i + 1] & 0x1f;
		i += 3;
	} else {
		i += 2;
	}
	if (map < 1 || map > 3 || i >= len)
		return false;
	op = p[i++];
	o->opc_len = (u8)(i - start);
	if (map == 1 && op == 0x77) {
		o->len = (u8)i;
		o->cls = BT_IDENT;
		o->fpu = BT_FPU_SIMD;
		return true;
	}
	o->has_modrm = true;
	o->modrm_off = (u8)i;
	ml = modrm_len(p + i, len - i, o->addrsize16, &mem);
	if (ml < 0)
		return false;
	/* VMASKMOVDQU (VEX.0F F7) stores to DS:EDI like 0f f7 (SDM Vol.
	 * 2B MASKMOVDQU): an override applies, though ModRM names none. */
	o->has_mem = mem || (map == 1 && op == 0xf7);
	i += (size_t)ml;
	if (map == 3 ||
	    (map == 1 && ((op >= 0x70 && op <= 0x73) || op == 0xc2 ||
			  op == 0xc4 || op == 0xc5 || op == 0xc6)))
		o->imm_len = 1;
	i += o->imm_len;
	if (i > len || i > 15)
		return false;
	o->len = (u8)i;
	o->cls = BT_IDENT;
	o->fpu = BT_FPU_SIMD;
	o->feat = vex_feat(map, op,
			   p[start] == 0xc4 ? p[start + 2] & 3
					    : p[start + 1] & 3);
	if (o->feat != BT_FEAT_AVX)
		o->fpu = BT_FPU_NONE; /* BMI: general-purpose registers */
	return true;
}

/* MMX or SSE: an SSE form names an xmm register (a 66/F2/F3 mandatory
 * prefix, or one of the unprefixed SSE opcodes, SDM Vol. 2D A.3) or
 * MXCSR. */
static u8 simd_kind(const struct bt_insn *o, const u8 *p, bool two_byte,
		    int map3, u8 op)
{
	bool prefixed = o->opsize16;
	u8 op3 = map3 ? p[o->nprefix + 2] : 0;

	for (int k = 0; k < o->nprefix; k++)
		prefixed |= p[k] == 0xf2 || p[k] == 0xf3;
	if (map3) {
		if (map3 == 0x38 && op3 >= 0xf0)
			return BT_FPU_NONE; /* MOVBE, CRC32, ADCX...: GPRs */
		if (prefixed || (map3 == 0x38 && op3 >= 0xc8 && op3 <= 0xcd) ||
		    (map3 == 0x3a && op3 == 0xcc))
			return BT_FPU_SSE; /* SHA works on xmm unprefixed */
		return BT_FPU_SIMD;	   /* SSSE3 on mm */
	}
	(void)two_byte;
	if (prefixed || (op >= 0x10 && op <= 0x17) ||
	    (op >= 0x28 && op <= 0x2f) || (op >= 0x50 && op <= 0x5f) ||
	    op == 0xc2 || op == 0xc6)
		return BT_FPU_SSE;
	return BT_FPU_SIMD;
}

static u8 fpu_kind(const struct bt_insn *o, const u8 *p, bool two_byte,
		   int map3, u8 op, const u8 *modrm)
{
	if (map3)
		return simd_kind(o, p, two_byte, map3, op);
	if (!two_byte) {
		if (op >= 0xd8 && op <= 0xdf)
			return BT_FPU_X87;
		return op == 0x9b ? BT_FPU_WAIT : BT_FPU_NONE;
	}
	if ((op >= 0x10 && op <= 0x17) || (op >= 0x28 && op <= 0x2f) ||
	    (op >= 0x50 && op <= 0x7f) ||
	    (op >= 0xc2 && op <= 0xc6 && op != 0xc3) || op >= 0xd0)
		return simd_kind(o, p, two_byte, map3, op);
	/* FXSAVE/FXRSTOR (#NM on EM or TS, like x87), LDMXCSR/STMXCSR */
	if (op == 0xae && modrm && (*modrm >> 6) != 3)
		return ((*modrm >> 3) & 7) <= 1	  ? BT_FPU_X87
		       : ((*modrm >> 3) & 7) <= 3 ? BT_FPU_SSE
						  : BT_FPU_NONE;
	return BT_FPU_NONE;
}

int decode__fpu_fault(u8 fpu, u32 state)
{
	bool em = state & 4, mp = state & 2, ts = state & 8;
	bool nofx = state & BT_FPU_NO_OSFXSR;

	switch (fpu) {
	case BT_FPU_X87:
		return em || ts ? 7 : 0;
	case BT_FPU_WAIT:
		return mp && ts ? 7 : 0;
	case BT_FPU_SIMD:
		return em ? 6 : ts ? 7 : 0;
	case BT_FPU_SSE:
		return em || nofx ? 6 : ts ? 7 : 0;
	default:
		return 0;
	}
}

/* Features of legacy-encoded instructions the model may hide. */
static u8 legacy_feat(const struct bt_insn *o, const u8 *p, bool two_byte,
		      int map3, u8 op)
{
	u8 modrm = o->has_modrm ? p[o->modrm_off] : 0;
	u8 reg = (modrm >> 3) & 7, mod = modrm >> 6;
	bool f3 = false, f2 = false;

	for (int k = 0; k < o->nprefix; k++) {
		f3 |= p[k] == 0xf3;
		f2 |= p[k] == 0xf2;
	}
	if (map3 == 0x38 && (op == 0xf8 || op == 0xf9))
		return BT_FEAT_MOVDIR;
	if (!two_byte || map3)
		return BT_FEAT_NONE;
	if (op == 0x01 && (modrm == 0xd0 || modrm == 0xd1))
		return BT_FEAT_OSXSAVE;
	if (op == 0xae && mod != 3 &&
	    (reg == 4 || reg == 5 || (reg == 6 && !o->opsize16)))
		return BT_FEAT_OSXSAVE;
	if (op == 0xae && mod == 3 && reg == 6 && (f2 || f3 || o->opsize16))
		return BT_FEAT_WAITPKG;
	if (op == 0xc7 && mod == 3 && reg == 7 && f3)
		return BT_FEAT_RDPID;
	return BT_FEAT_NONE;
}

static int32_t read_rel(const u8 *p, int n)
{
	if (n == 1)
		return (int8_t)p[0];
	if (n == 2)
		return (int16_t)(p[0] | p[1] << 8);
	return (int32_t)((u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 |
			 (u32)p[3] << 24);
}

/* The prefixes at @p into @o; returns how many there are. */
static size_t decode_prefixes(const u8 *p, size_t len, struct bt_insn *o)
{
	size_t i = 0;
	int seg = -1;

	while (i < len && is_prefix(p[i], &seg)) {
		if (p[i] == 0x66)
			o->opsize16 = true;
		if (p[i] == 0x67)
			o->addrsize16 = true;
		i++;
	}
	o->seg = seg;
	o->nprefix = (u8)i;
	return i;
}

/* The entry of an opcode of the 0f 38 (@map3 0x38) or 0f 3a map; @op3 is
 * its last opcode byte. */
static const struct opc *map3_entry(int map3, u8 op3)
{
	/* 0f 38 80-82: INVEPT/INVVPID/INVPCID, privileged */
	static const struct opc m38 = {BT_IDENT, 1, I0},
				m38_priv = {BT_UD, 1, I0},
				m3a = {BT_IDENT, 1, IB};

	if (map3 == 0x3a)
		return &m3a;
	return op3 >= 0x80 && op3 <= 0x82 ? &m38_priv : &m38;
}

/* The immediate at @p + @i of an instruction of class @cls, and the
 * length; false when it does not fit. */
static bool decode_imm(const u8 *p, size_t len, size_t i, const struct opc *e,
		       bool two_byte, u8 op, u8 cls, struct bt_insn *o)
{
	o->imm_len = (u8)imm_size(e->imm, o->opsize16, o->addrsize16);
	if (!two_byte && (op == 0xf6 || op == 0xf7) && o->has_modrm &&
	    ((p[o->modrm_off] >> 3) & 7) <= 1)
		o->imm_len = op == 0xf6 ? 1 : (o->opsize16 ? 2 : 4);
	/* Memory through a segment the prefix can override, though ModRM
	 * names none: moffs, string sources (DS:ESI), XLAT (DS:EBX), and
	 * MASKMOVQ/MASKMOVDQU (0f f7, DS:EDI; SDM Vol. 2B MASKMOVQ) and
	 * UMONITOR (f3 0f ae /6, mod=3: DS:r32; 66 and f2 forms take no
	 * address, over-approximated). The translator runs them on the
	 * guest's segment, never the monitor's GS. */
	if ((!two_byte && ((op >= 0xa0 && op <= 0xa7) || op == 0xac ||
			   op == 0xad || op == 0xd7)) ||
	    (two_byte && op == 0xf7) ||
	    (two_byte && op == 0xae && o->has_modrm &&
	     (p[o->modrm_off] & 0xf8) == 0xf0))
		o->has_mem = true;
	if (i + o->imm_len > len || i + o->imm_len > 15)
		return false;
	if (cls == BT_JCC || cls == BT_JMP || cls == BT_CALL || cls == BT_LOOP)
		o->rel = read_rel(p + i, o->imm_len);
	if (cls == BT_RET && o->imm_len)
		o->ret_imm = (u16)(p[i] | p[i + 1] << 8);
	o->len = (u8)(i + o->imm_len);
	return true;
}

/* LOCK is only valid on read-modify-write memory forms: let the CPU
 * judge, but never on anything the translator rewrites. */
static void check_lock(const u8 *p, struct bt_insn *o)
{
	size_t k;

	if (o->cls == BT_IDENT || o->cls == BT_UD || o->cls == BT_CALLOUT)
		return;
	for (k = 0; k < o->nprefix; k++)
		if (p[k] == 0xf0)
			o->cls = BT_UD;
}

bool decode__insn(const u8 *p, size_t len, struct bt_insn *o)
{
	size_t i, start;
	const struct opc *e;
	bool two_byte = false, mem = false;
	int ml, map3 = 0;
	u8 op, cls;

	memset(o, 0, sizeof(*o));
	if (len > 15)
		len = 15;
	i = start = decode_prefixes(p, len, o);
	if (i >= len)
		return false;
	op = p[i];
	if ((op == 0xc4 || op == 0xc5) && i + 1 < len && (p[i + 1] >> 6) == 3)
		return decode_vex(p, len, i, o);
	if (op == 0x0f) {
		if (++i >= len)
			return false;
		op = p[i];
		two_byte = true;
		if (op == 0x38 || op == 0x3a) {
			map3 = op;
			if (++i >= len)
				return false;
		}
	}
	i++;
	o->opc_len = (u8)(i - start);
	e = map3 ? map3_entry(map3, p[i - 1]) : two_byte ? &two[op] : &one[op];
	cls = e->cls;
	if (e->modrm) {
		o->has_modrm = true;
		o->modrm_off = (u8)i;
		ml = modrm_len(p + i, len - i, o->addrsize16, &mem);
		if (ml < 0)
			return false;
		o->has_mem = mem;
		if (cls == GRP)
			cls = group_class(two_byte, op, p[i]);
		i += (size_t)ml;
	}
	if (!decode_imm(p, len, i, e, two_byte, op, cls, o))
		return false;
	o->cls = cls;
	if (!two_byte && (op == 0xf6 || op == 0xf7) &&
	    ((p[o->modrm_off] >> 3) & 7) >= 6)
		o->div = op == 0xf6 ? 1 : o->opsize16 ? 2 : 4;
	o->fpu = fpu_kind(o, p, two_byte, map3, op,
			  o->has_modrm ? p + o->modrm_off : NULL);
	o->feat = legacy_feat(o, p, two_byte, map3, map3 ? p[start + 2] : op);
	check_lock(p, o);
	return true;
}
