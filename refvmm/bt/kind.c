/*
 * Instruction kinds (kind.h): a table over the opcode maps (SDM Vol. 2D,
 * Appendix A), matched in order: the first row whose opcode bytes match
 * (and ModRM.reg and mod, when the row names them) decides; the decoder's
 * class decides the rest.
 */
#include "kind.h"

const char *const bt_kind_names[BT_NKINDS] = {
	"ud",	    "far-transfer",    "segment-load", "string",
	"stack",    "implicit-memory", "branch",       "privileged",
	"fpu-simd", "plain",
};

/* Opcodes in [lo, hi] of map @map (0: one byte, 1: 0f, 2: 0f 38, 3: 0f
 * 3a), ModRM.reg == @reg unless @reg is -1; @mod: ANY, MEM (ModRM.mod
 * != 3) or REG (mod == 3). */
enum { ANY, MEM, REG };

static const struct kind_row {
	u8 map, lo, hi;
	int8_t reg;
	u8 mod;
	u8 kind;
} rows[] = {
	{0, 0x9a, 0x9a, -1, ANY, BT_KIND_FAR},	    /* CALL far */
	{0, 0xea, 0xea, -1, ANY, BT_KIND_FAR},	    /* JMP far */
	{0, 0xca, 0xcb, -1, ANY, BT_KIND_FAR},	    /* RET far */
	{0, 0xcc, 0xcf, -1, ANY, BT_KIND_FAR},	    /* INT3, INT, INTO, IRET */
	{0, 0xf1, 0xf1, -1, ANY, BT_KIND_FAR},	    /* INT1 */
	{0, 0xff, 0xff, 3, MEM, BT_KIND_FAR},	    /* CALL m16:32 */
	{0, 0xff, 0xff, 5, MEM, BT_KIND_FAR},	    /* JMP m16:32 */
	{1, 0x05, 0x05, -1, ANY, BT_KIND_FAR},	    /* SYSCALL */
	{1, 0x07, 0x07, -1, ANY, BT_KIND_FAR},	    /* SYSRET */
	{1, 0x34, 0x35, -1, ANY, BT_KIND_FAR},	    /* SYSENTER, SYSEXIT */
	{0, 0x8e, 0x8e, -1, ANY, BT_KIND_SEGLOAD},  /* MOV Sreg */
	{0, 0x07, 0x07, -1, ANY, BT_KIND_SEGLOAD},  /* POP ES */
	{0, 0x17, 0x17, -1, ANY, BT_KIND_SEGLOAD},  /* POP SS */
	{0, 0x1f, 0x1f, -1, ANY, BT_KIND_SEGLOAD},  /* POP DS */
	{0, 0xc4, 0xc5, -1, MEM, BT_KIND_SEGLOAD},  /* LES, LDS */
	{1, 0xa1, 0xa1, -1, ANY, BT_KIND_SEGLOAD},  /* POP FS */
	{1, 0xa9, 0xa9, -1, ANY, BT_KIND_SEGLOAD},  /* POP GS */
	{1, 0xb2, 0xb2, -1, ANY, BT_KIND_SEGLOAD},  /* LSS */
	{1, 0xb4, 0xb5, -1, ANY, BT_KIND_SEGLOAD},  /* LFS, LGS */
	{0, 0x6c, 0x6f, -1, ANY, BT_KIND_STRING},   /* INS, OUTS */
	{0, 0xa4, 0xa7, -1, ANY, BT_KIND_STRING},   /* MOVS, CMPS */
	{0, 0xaa, 0xaf, -1, ANY, BT_KIND_STRING},   /* STOS, LODS, SCAS */
	{0, 0x06, 0x06, -1, ANY, BT_KIND_STACK},    /* PUSH ES */
	{0, 0x0e, 0x0e, -1, ANY, BT_KIND_STACK},    /* PUSH CS */
	{0, 0x16, 0x16, -1, ANY, BT_KIND_STACK},    /* PUSH SS */
	{0, 0x1e, 0x1e, -1, ANY, BT_KIND_STACK},    /* PUSH DS */
	{0, 0x50, 0x61, -1, ANY, BT_KIND_STACK},    /* PUSH/POP r, PUSHA/POPA */
	{0, 0x68, 0x68, -1, ANY, BT_KIND_STACK},    /* PUSH imm32 */
	{0, 0x6a, 0x6a, -1, ANY, BT_KIND_STACK},    /* PUSH imm8 */
	{0, 0x8f, 0x8f, 0, ANY, BT_KIND_STACK},	    /* POP r/m */
	{0, 0x9c, 0x9d, -1, ANY, BT_KIND_STACK},    /* PUSHF, POPF */
	{0, 0xc8, 0xc9, -1, ANY, BT_KIND_STACK},    /* ENTER, LEAVE */
	{0, 0xff, 0xff, 6, ANY, BT_KIND_STACK},	    /* PUSH r/m */
	{1, 0xa0, 0xa0, -1, ANY, BT_KIND_STACK},    /* PUSH FS */
	{1, 0xa8, 0xa8, -1, ANY, BT_KIND_STACK},    /* PUSH GS */
	{0, 0xa0, 0xa3, -1, ANY, BT_KIND_IMPLICIT}, /* MOV moffs */
	{0, 0xd7, 0xd7, -1, ANY, BT_KIND_IMPLICIT}, /* XLAT */
	{1, 0xf7, 0xf7, -1, ANY, BT_KIND_IMPLICIT}, /* MASKMOVQ/DQU */
	{1, 0xae, 0xae, 0, MEM, BT_KIND_IMPLICIT},  /* FXSAVE */
	{1, 0xae, 0xae, 1, MEM, BT_KIND_IMPLICIT},  /* FXRSTOR */
	{1, 0xae, 0xae, 4, MEM, BT_KIND_IMPLICIT},  /* XSAVE */
	{1, 0xae, 0xae, 5, MEM, BT_KIND_IMPLICIT},  /* XRSTOR */
	{1, 0xae, 0xae, 6, MEM, BT_KIND_IMPLICIT},  /* XSAVEOPT */
	{1, 0xae, 0xae, 7, MEM, BT_KIND_IMPLICIT},  /* CLFLUSH */
	{1, 0xc7, 0xc7, 1, MEM, BT_KIND_IMPLICIT},  /* CMPXCHG8B */
	{1, 0xc7, 0xc7, 3, MEM, BT_KIND_IMPLICIT},  /* XRSTORS */
	{1, 0xc7, 0xc7, 4, MEM, BT_KIND_IMPLICIT},  /* XSAVEC */
	{1, 0xc7, 0xc7, 5, MEM, BT_KIND_IMPLICIT},  /* XSAVES */
	{1, 0x01, 0x01, 1, REG, BT_KIND_IMPLICIT},  /* MONITOR, MWAIT */
};

/* Which map the opcode is in, and where its last byte is. */
static int opcode_map(const u8 *g, const struct bt_insn *in, u8 *op)
{
	const u8 *p = g + in->nprefix;

	if (in->opc_len >= 1 && p[0] != 0x0f) {
		*op = p[0];
		return 0;
	}
	if (in->opc_len == 2) {
		*op = p[1];
		return 1;
	}
	*op = p[2];
	return p[1] == 0x38 ? 2 : 3;
}

enum bt_kind kind__of(const u8 *g, const struct bt_insn *in)
{
	u8 op, modrm = in->has_modrm ? g[in->modrm_off] : 0;
	int map;

	if (in->cls == BT_UD)
		return BT_KIND_UD;
	/* VEX (c4/c5 with mod=11 in 32-bit code) is its own encoding */
	map = in->opc_len > 1 &&
			      (g[in->nprefix] == 0xc4 || g[in->nprefix] == 0xc5)
		      ? -1
		      : opcode_map(g, in, &op);
	for (size_t i = 0; map >= 0 && i < sizeof(rows) / sizeof(rows[0]);
	     i++) {
		const struct kind_row *r = &rows[i];

		if (r->map != map || op < r->lo || op > r->hi)
			continue;
		if (r->reg >= 0 &&
		    (!in->has_modrm || ((modrm >> 3) & 7) != r->reg))
			continue;
		if (r->mod != ANY &&
		    (!in->has_modrm || ((modrm >> 6) == 3) != (r->mod == REG)))
			continue;
		return (enum bt_kind)r->kind;
	}
	if (in->cls == BT_CALLOUT || in->cls == BT_CLI || in->cls == BT_STI)
		return BT_KIND_PRIVILEGED;
	if (in->cls != BT_IDENT && in->cls != BT_CLI && in->cls != BT_STI &&
	    in->cls != BT_PUSHF && in->cls != BT_POPF)
		return BT_KIND_BRANCH;
	if (in->fpu != BT_FPU_NONE || map < 0)
		return BT_KIND_FPU;
	return BT_KIND_PLAIN;
}
