/*
 * Execution by proxy: a guest instruction whose memory operand the host
 * cannot reach directly (MMIO, the low page, a segment shadowed
 * not-present) runs in the monitor on a copy of its operand.
 *
 * The instruction is re-encoded for 64-bit mode with its ModRM memory
 * operand replaced by a RIP-relative one that names a scratch buffer:
 * prefixes (minus segment overrides and the address-size prefix, since
 * the monitor computed the effective address itself), opcode, ModRM.reg
 * and immediates stay as the guest wrote them. Without REX, the encodings
 * allowed here mean the same in 64-bit mode as in 32-bit mode (SDM Vol.
 * 2A 2.2.1): the operand size defaults to 32 bits, byte registers 4-7 are
 * AH..BH. The operand is read from the device first when the instruction
 * reads it, the instruction runs against the guest's registers,
 * arithmetic flags and FPU/SSE state (proxy_stub.S), and the result is
 * written back when it writes. The generic emulator this gives is exactly
 * as good as the host CPU, which is the oracle the x86-instr family uses.
 *
 * Only an allowlist runs: general-purpose data instructions and SSE/x87
 * data instructions. Anything that transfers control, uses the stack,
 * loads segments or touches system state is refused (proxy__allowed).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fpu_image.h"
#include "operand.h"
#include "proxy.h"
#include "proxy_stub.h"
#include "refvmm/host_cpu.h"
#include "refvmm/sw/segments.h"

#define SCRATCH_OFF 256 /* code at 0, operand at 256 in the page */
#define MAX_OPERAND 64

static const x86_insn gpr_ok[] = {
	X86_INS_ADD,	X86_INS_OR,	X86_INS_ADC,	 X86_INS_SBB,
	X86_INS_AND,	X86_INS_SUB,	X86_INS_XOR,	 X86_INS_CMP,
	X86_INS_TEST,	X86_INS_NOT,	X86_INS_NEG,	 X86_INS_INC,
	X86_INS_DEC,	X86_INS_MUL,	X86_INS_IMUL,	 X86_INS_DIV,
	X86_INS_IDIV,	X86_INS_SHL,	X86_INS_SAL,	 X86_INS_SHR,
	X86_INS_SAR,	X86_INS_ROL,	X86_INS_ROR,	 X86_INS_RCL,
	X86_INS_RCR,	X86_INS_SHLD,	X86_INS_SHRD,	 X86_INS_BT,
	X86_INS_BTS,	X86_INS_BTR,	X86_INS_BTC,	 X86_INS_BSF,
	X86_INS_BSR,	X86_INS_TZCNT,	X86_INS_LZCNT,	 X86_INS_POPCNT,
	X86_INS_MOV,	X86_INS_MOVZX,	X86_INS_MOVSX,	 X86_INS_MOVBE,
	X86_INS_XCHG,	X86_INS_XADD,	X86_INS_CMPXCHG, X86_INS_CMPXCHG8B,
	X86_INS_CMOVA,	X86_INS_CMOVAE, X86_INS_CMOVB,	 X86_INS_CMOVBE,
	X86_INS_CMOVE,	X86_INS_CMOVG,	X86_INS_CMOVGE,	 X86_INS_CMOVL,
	X86_INS_CMOVLE, X86_INS_CMOVNE, X86_INS_CMOVNO,	 X86_INS_CMOVNP,
	X86_INS_CMOVNS, X86_INS_CMOVO,	X86_INS_CMOVP,	 X86_INS_CMOVS,
	X86_INS_SETA,	X86_INS_SETAE,	X86_INS_SETB,	 X86_INS_SETBE,
	X86_INS_SETE,	X86_INS_SETG,	X86_INS_SETGE,	 X86_INS_SETL,
	X86_INS_SETLE,	X86_INS_SETNE,	X86_INS_SETNO,	 X86_INS_SETNP,
	X86_INS_SETNS,	X86_INS_SETO,	X86_INS_SETP,	 X86_INS_SETS,
	X86_INS_ANDN,	X86_INS_BEXTR,	X86_INS_BLSI,	 X86_INS_BLSR,
	X86_INS_BLSMSK,
};

/*
 * Stores that never read their destination: their operand is not read
 * from the device first (a read can have side effects there). Capstone
 * 4's access flags are not trusted alone: it marks some read-modify-write
 * forms (ROL m8, CL; CMPXCHG m, r) as reads only.
 */
static const x86_insn pure_store[] = {
	X86_INS_MOV,	 X86_INS_SETA,	  X86_INS_SETAE,   X86_INS_SETB,
	X86_INS_SETBE,	 X86_INS_SETE,	  X86_INS_SETG,	   X86_INS_SETGE,
	X86_INS_SETL,	 X86_INS_SETLE,	  X86_INS_SETNE,   X86_INS_SETNO,
	X86_INS_SETNP,	 X86_INS_SETNS,	  X86_INS_SETO,	   X86_INS_SETP,
	X86_INS_SETS,	 X86_INS_MOVD,	  X86_INS_MOVQ,	   X86_INS_MOVAPS,
	X86_INS_MOVUPS,	 X86_INS_MOVAPD,  X86_INS_MOVUPD,  X86_INS_MOVDQA,
	X86_INS_MOVDQU,	 X86_INS_MOVSS,	  X86_INS_MOVSD,   X86_INS_MOVLPS,
	X86_INS_MOVHPS,	 X86_INS_MOVLPD,  X86_INS_MOVHPD,  X86_INS_MOVNTI,
	X86_INS_MOVNTDQ, X86_INS_MOVNTPS, X86_INS_MOVNTPD, X86_INS_STMXCSR,
	X86_INS_FST,	 X86_INS_FSTP,	  X86_INS_FIST,	   X86_INS_FISTP,
	X86_INS_FNSTCW,	 X86_INS_FNSTSW,  X86_INS_FISTTP,  X86_INS_MOVBE,
};

/* Never, whatever group Capstone puts them in: state the proxy does not
 * switch, segment loads, stack accesses, and memory the ModRM byte does
 * not name (Capstone 4 does not list it as an operand: MASKMOV* store
 * through DS:EDI, MONITOR reads DS:EAX), which the proxy would run at a
 * host address. */
static const x86_insn denied[] = {
	X86_INS_MASKMOVQ, X86_INS_MASKMOVDQU, X86_INS_VMASKMOVDQU,
	X86_INS_MONITOR,  X86_INS_CLFLUSHOPT, X86_INS_CLWB,
	X86_INS_XSAVEOPT, X86_INS_XSAVEC,     X86_INS_XSAVES,
	X86_INS_XRSTORS,  X86_INS_LDMXCSR,    X86_INS_FXRSTOR,
	X86_INS_FXSAVE,	  X86_INS_XRSTOR,     X86_INS_XSAVE,
	X86_INS_FLDENV,	  X86_INS_FRSTOR,     X86_INS_FNSAVE,
	X86_INS_FNSTENV,  X86_INS_CLFLUSH,    X86_INS_MOVSXD,
	X86_INS_ARPL,	  X86_INS_BOUND,      X86_INS_LDS,
	X86_INS_LES,	  X86_INS_LSS,	      X86_INS_LFS,
	X86_INS_LGS,	  X86_INS_PUSH,	      X86_INS_POP,
};

static bool in_list(x86_insn id, const x86_insn *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (l[i] == id)
			return true;
	return false;
}

static bool in_group(const cs_detail *d, int g)
{
	for (int i = 0; i < d->groups_count; i++)
		if (d->groups[i] == g)
			return true;
	return false;
}

static bool data_group(const cs_detail *d)
{
	static const int ok[] = {X86_GRP_SSE1,	X86_GRP_SSE2,  X86_GRP_SSE3,
				 X86_GRP_SSSE3, X86_GRP_SSE41, X86_GRP_SSE42,
				 X86_GRP_FPU,	X86_GRP_MMX};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (in_group(d, ok[i]))
			return true;
	return false;
}

bool proxy__allowed(const cs_insn *in)
{
	const cs_detail *d = in->detail;
	const cs_x86 *x = &d->x86;
	int nmem = 0;

	if (in_list(in->id, denied, sizeof(denied) / sizeof(denied[0])))
		return false;
	if (in_group(d, X86_GRP_JUMP) || in_group(d, X86_GRP_CALL) ||
	    in_group(d, X86_GRP_RET) || in_group(d, X86_GRP_INT) ||
	    in_group(d, X86_GRP_IRET) || in_group(d, X86_GRP_PRIVILEGE))
		return false;
	if (!in_list(in->id, gpr_ok, sizeof(gpr_ok) / sizeof(gpr_ok[0])) &&
	    !data_group(d))
		return false;
	/* VEX (C4/C5) and REX do not occur in 32-bit code; refuse them. */
	if (x->rex || in_group(d, X86_GRP_AVX) || in_group(d, X86_GRP_AVX2))
		return false;
	for (int i = 0; i < x->op_count; i++) {
		const cs_x86_op *op = &x->operands[i];

		if (op->type == X86_OP_MEM) {
			nmem++;
			if (!op->size || op->size > MAX_OPERAND)
				return false;
		} else if (op->type == X86_OP_REG &&
			   (op->reg == X86_REG_ESP || op->reg == X86_REG_SP ||
			    (op->reg >= X86_REG_CR0 &&
			     op->reg <= X86_REG_CR15) ||
			    (op->reg >= X86_REG_DR0 &&
			     op->reg <= X86_REG_DR15) ||
			    op->reg == X86_REG_CS || op->reg == X86_REG_DS ||
			    op->reg == X86_REG_ES || op->reg == X86_REG_FS ||
			    op->reg == X86_REG_GS || op->reg == X86_REG_SS)) {
			return false;
		}
	}
	/* One-byte INC/DEC (40-4F) are REX prefixes in 64-bit mode and 82
	 * is #UD there (SDM Vol. 2D, A.2.5 and Table A-2 "i64"). */
	if (x->opcode[0] == 0x82 ||
	    (x->opcode[0] >= 0x40 && x->opcode[0] <= 0x4f && !x->opcode[1]))
		return false;
	/* At most one memory operand, encoded with ModR/M. */
	return nmem == 0 || (nmem == 1 && x->encoding.modrm_offset != 0);
}

static bool legacy_prefix(u8 b)
{
	return b == 0xf0 || b == 0xf2 || b == 0xf3 || b == 0x2e || b == 0x36 ||
	       b == 0x3e || b == 0x26 || b == 0x64 || b == 0x65 || b == 0x66 ||
	       b == 0x67;
}

/*
 * The prefixes the monitor's copy keeps (operand size, LOCK, F2/F3), each
 * once, in the order of their last occurrence: repeating a prefix
 * changes nothing and the last of F2/F3 is the one that counts (SDM Vol.
 * 2A 2.1.1). A guest may pad a valid instruction with repeated prefixes
 * up to 15 bytes; its copy, with a RIP-relative operand four bytes
 * longer, must not exceed 15 itself (#GP inside the monitor).
 */
static int keep_prefixes(const u8 *b, int npre, u8 *out)
{
	int n = 0;

	for (int i = 0; i < npre; i++) {
		bool later = false;

		if (b[i] != 0x66 && b[i] != 0xf0 && b[i] != 0xf2 &&
		    b[i] != 0xf3)
			continue;
		for (int j = i + 1; j < npre; j++)
			later |= b[j] == b[i];
		if (!later)
			out[n++] = b[i];
	}
	return n;
}

#define MAX_INSN_LEN 15 /* SDM Vol. 2A 2.3.11 */

int proxy__encode(const cs_insn *in, u8 *out, size_t outlen, u64 at,
		  u64 scratch)
{
	const cs_x86 *x = &in->detail->x86;
	const u8 *b = in->bytes;
	int mo = x->encoding.modrm_offset, k = 0, n = 0, end;
	u8 modrm = b[mo];
	int mod = modrm >> 6, rm = modrm & 7;
	s64 rel;
	bool mem = false;

	for (int i = 0; i < x->op_count; i++)
		mem |= x->operands[i].type == X86_OP_MEM;
	if (!mem) {
		/* Registers and immediates only: the bytes as they are,
		 * minus prefixes that mean nothing without memory. */
		if ((size_t)in->size + 1 > outlen)
			return -1;
		while (k < in->size - 1 && legacy_prefix(b[k]))
			k++;
		n = keep_prefixes(b, k, out);
		memcpy(out + n, b + k, (size_t)(in->size - k));
		n += in->size - k;
		out[n++] = 0xc3;
		return n;
	}

	/* Where the guest's memory encoding ends (SDM Vol. 2A 2.1.5). */
	end = mo + 1;
	if (x->addr_size == 2) {
		end += mod == 1 ? 1 : mod == 2 || (mod == 0 && rm == 6) ? 2 : 0;
	} else {
		bool sib = rm == 4;

		if (sib)
			end++;
		end += mod == 1 ? 1
		       : mod == 2 || (mod == 0 && rm == 5) ||
				       (mod == 0 && sib && (b[mo + 1] & 7) == 5)
			       ? 4
			       : 0;
	}
	if (end > in->size || (size_t)in->size + 8 > outlen)
		return -1;
	while (k < mo && legacy_prefix(b[k]))
		k++;
	n = keep_prefixes(b, k, out);
	memcpy(out + n, b + k, (size_t)(mo - k));
	n += mo - k;
	out[n++] = (u8)((modrm & 0x38) | 5); /* [rip + disp32] */
	n += 4;
	memcpy(out + n, b + end, (size_t)(in->size - end));
	n += in->size - end;
	rel = (s64)scratch - (s64)(at + (u64)n);
	if (rel != (int32_t)rel)
		return -1;
	{
		int32_t r32 = (int32_t)rel;

		memcpy(out + n - (in->size - end) - 4, &r32, 4);
	}
	if (n > MAX_INSN_LEN)
		return -1;
	out[n++] = 0xc3; /* ret to proxy_stub.S */
	return n;
}

int proxy__init(struct monitor *t)
{
	u32 xs = host_cpu__get()->xsave_max_size;

	t->proxy_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->proxy_page == MAP_FAILED) {
		t->proxy_page = NULL;
		return -1;
	}
	t->proxy_xhost = aligned_alloc(64, (xs + 63) & ~63u);
	if (!t->proxy_xhost)
		return -1;
	memset(t->proxy_xhost, 0, xs);
	return 0;
}

void proxy__destroy(struct monitor *t)
{
	if (t->proxy_page)
		munmap(t->proxy_page, 4096);
	free(t->proxy_xhost);
	t->proxy_page = NULL;
	t->proxy_xhost = NULL;
}

/* #DE cases the host would raise inside the monitor (SDM Vol. 2A DIV). */
static bool divide_faults(struct sw_cpu *c, const cs_insn *in, const u8 *m,
			  int size)
{
	u64 div = 0, lo, q;

	if (in->id != X86_INS_DIV && in->id != X86_INS_IDIV)
		return false;
	memcpy(&div, m, (size_t)size);
	/* The dividend: AX, DX:AX or EDX:EAX. */
	if (size == 1)
		lo = c->gpr[SW_EAX] & 0xffff;
	else if (size == 2)
		lo = (c->gpr[SW_EDX] & 0xffff) << 16 |
		     (c->gpr[SW_EAX] & 0xffff);
	else
		lo = (u64)c->gpr[SW_EDX] << 32 | c->gpr[SW_EAX];
	if (!div)
		return true;
	if (in->id == X86_INS_DIV) {
		q = lo / div;
		return q >> (size * 8);
	}
	{
		int bits = size * 8;
		s64 sd = (s64)(div << (64 - bits)) >> (64 - bits);
		s64 sn = size == 4 ? (s64)lo
				   : (s64)(lo << (64 - 2 * bits)) >>
					     (64 - 2 * bits);
		s64 sq;

		if (sd == -1 && sn == INT64_MIN)
			return true;
		sq = sn / sd;
		return sq < -(1ll << (bits - 1)) ||
		       sq > (1ll << (bits - 1)) - 1;
	}
}

/*
 * An x87 or SSE instruction would raise #MF or #XM inside the monitor when
 * the guest has unmasked an exception (SDM Vol. 1 8.6, 11.5): refuse those
 * states (the guest then stops with one line) rather than emulate them.
 * FSW.ES (bit 7) is a pending x87 exception; MXCSR masks are bits 12:7.
 */
static bool fpu_exception_possible(const struct sw_cpu *c, const cs_insn *in)
{
	const cs_detail *d = in->detail;
	u16 fsw = fpu_image__fsw(c), fcw = fpu_image__fcw(c);
	u32 mxcsr = fpu_image__mxcsr(c);

	if (in_group(d, X86_GRP_FPU) || in_group(d, X86_GRP_MMX))
		return (fsw & 0x80) || (~fcw & 0x3f);
	if (data_group(d))
		return (~mxcsr & 0x1f80) != 0;
	return false;
}

static void exec_code(struct monitor *t)
{
	struct sw_cpu *c = t->c;
	struct proxy_ctx ctx;
	int i;

	for (i = 0; i < 8; i++)
		ctx.gpr[i] = c->gpr[i];
	ctx.flags = (c->eflags & 0x8d5u) | 2;
	ctx.code = t->proxy_page;
	ctx.xguest = c->xsave_guest;
	ctx.xhost = t->proxy_xhost;
	ctx.use_fxsave = c->use_fxsave;
	proxy_stub__exec(&ctx);
	for (i = 0; i < 8; i++)
		if (i != SW_ESP)
			c->gpr[i] = (u32)ctx.gpr[i];
	c->eflags = (c->eflags & ~0x8d5u) | ((u32)ctx.flags & 0x8d5u);
}

/* No memory operand: registers, flags and FPU/SSE state only. */
static int run_registers(struct monitor *t, const cs_insn *in)
{
	if (in->id == X86_INS_DIV || in->id == X86_INS_IDIV ||
	    fpu_exception_possible(t->c, in))
		return 1; /* a #DE, #MF or #XM would be the monitor's */
	if (proxy__encode(in, t->proxy_page, SCRATCH_OFF, 0, 0) < 0)
		return 1;
	exec_code(t);
	t->proxied++;
	return 0;
}

int proxy__run(struct monitor *t, const cs_insn *in, int sreg, u32 ea)
{
	struct sw_cpu *c = t->c;
	const cs_x86 *x = &in->detail->x86;
	const cs_x86_op *mop = NULL;
	u8 *scratch = t->proxy_page + SCRATCH_OFF, before[MAX_OPERAND];
	int i, n, size, bitreg = -1;
	u32 saved_bitreg = 0;
	bool rd, wr;

	if (!t->proxy_page || !proxy__allowed(in))
		return 1;
	for (i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_MEM)
			mop = &x->operands[i];
	if (!mop)
		return run_registers(t, in);
	size = mop->size;
	rd = !(mop->access == CS_AC_WRITE &&
	       in_list(in->id, pure_store,
		       sizeof(pure_store) / sizeof(pure_store[0])));
	wr = !mop->access || (mop->access & CS_AC_WRITE);
	/* BT* with a register bit offset address a bit string: the byte
	 * holding the bit is at EA + (offset >> 3) (SDM Vol. 2A BT). */
	if ((in->id == X86_INS_BT || in->id == X86_INS_BTS ||
	     in->id == X86_INS_BTR || in->id == X86_INS_BTC) &&
	    x->operands[1].type == X86_OP_REG) {
		int bits = size * 8;
		int32_t off;

		for (i = 0; i < 8; i++)
			if (operand__gpr(x->operands[1].reg) == i)
				bitreg = i;
		if (bitreg < 0)
			return 1;
		saved_bitreg = c->gpr[bitreg];
		off = size == 2 ? (int16_t)saved_bitreg : (int32_t)saved_bitreg;
		ea += (u32)((off >> (bits == 16 ? 4 : 5)) * (bits / 8));
	}
	memset(scratch, 0, MAX_OPERAND);
	if (rd && sw_read(c, sreg, ea, scratch, (u32)size) < 0)
		return -1;
	memcpy(before, scratch, (size_t)size);
	if (wr && !rd && sw_seg_check(c, sreg, ea, (u32)size, true) < 0)
		return -1;
	if (divide_faults(c, in, scratch, size))
		return sw_raise(c, 0, 0, false);
	if (fpu_exception_possible(c, in))
		return 1;
	n = proxy__encode(in, t->proxy_page, SCRATCH_OFF,
			  (u64)(uintptr_t)t->proxy_page,
			  (u64)(uintptr_t)scratch);
	if (n < 0)
		return 1;
	/* The bit offset now selects a bit of the copied operand. */
	if (bitreg >= 0)
		c->gpr[bitreg] = saved_bitreg & (size == 2 ? 15 : 31);
	exec_code(t);
	if (bitreg >= 0)
		c->gpr[bitreg] = saved_bitreg;
	wr = wr || memcmp(before, scratch, (size_t)size);
	if (wr && sw_write(c, sreg, ea, scratch, (u32)size) < 0)
		return -1;
	t->proxied++;
	return 0;
}
