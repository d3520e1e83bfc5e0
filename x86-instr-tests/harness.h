/*
 * The register-load/store harness shared by the host generator (the
 * oracle) and the guest interpreter: the same bytes run on the build host
 * and on the target, so the only difference between an expectation and a
 * result is the CPU (or monitor) that executed the instruction.
 *
 *   prologue: save callee-saved registers and SP, load EFLAGS and the
 *             eight general registers (and XMM0/XMM1) from struct xi_state
 *   a lazy case only: ADD [state.lazy], imm8, so that the status flags
 *             the instruction sees come from an arithmetic result, not
 *             from POPF (see xi_build)
 *   the instruction under test
 *   epilogue: store SP, switch back to the saved stack, store EFLAGS and
 *             the registers, set state.done, CLD, restore, RET
 *
 * 64-bit: the state pointer arrives in RDI (System V) and stays in R15,
 * which no form uses. 32-bit: the state's absolute address is patched
 * into the code (no register is free).
 * Freestanding: included by host C and by guest C alike.
 */
#ifndef X86_INSTR_HARNESS_H
#define X86_INSTR_HARNESS_H

#include <stddef.h>
#include <stdint.h>

enum { XI_RAX, XI_RCX, XI_RDX, XI_RBX, XI_RSP, XI_RBP, XI_RSI, XI_RDI };

/* Offsets are fixed by the layout (W = sizeof(unsigned long)). */
struct xi_state {
	unsigned long in[8];  /* by register number: ax cx dx bx sp bp si di */
	unsigned long out[8];
	unsigned long fin, fout; /* EFLAGS before and after */
	unsigned long saved_sp;
	unsigned long done;
	unsigned long lazy; /* the lazy case's ADD destination */
	uint8_t pad[256 - 21 * sizeof(unsigned long)];
	uint8_t xin[2][16] __attribute__((aligned(16))); /* XMM0, XMM1 in */
	uint8_t xout[2][16];				  /* and out */
};

#define XI_OFF_IN(r)  ((uint32_t)((r) * sizeof(unsigned long)))
#define XI_OFF_OUT(r) ((uint32_t)((8 + (r)) * sizeof(unsigned long)))
#define XI_OFF_FIN    ((uint32_t)(16 * sizeof(unsigned long)))
#define XI_OFF_FOUT   ((uint32_t)(17 * sizeof(unsigned long)))
#define XI_OFF_SP     ((uint32_t)(18 * sizeof(unsigned long)))
#define XI_OFF_DONE   ((uint32_t)(19 * sizeof(unsigned long)))
#define XI_OFF_LAZY   ((uint32_t)(20 * sizeof(unsigned long)))
/* What a lazy case's check description and failure line say of it. */
#define XI_LAZY_NOTE " (status flags from an ADD just before it)"
#define XI_OFF_XIN    256u
#define XI_OFF_XOUT   288u

/* Largest harness + instruction; callers size their buffers with it. */
#define XI_CODE_MAX 512

struct xi_emit {
	uint8_t *p;
	uint32_t base; /* 32-bit: absolute address of the state */
};

static inline void xi_b(struct xi_emit *e, uint8_t b)
{
	*e->p++ = b;
}
static inline void xi_d(struct xi_emit *e, uint32_t d)
{
	xi_b(e, d);
	xi_b(e, d >> 8);
	xi_b(e, d >> 16);
	xi_b(e, d >> 24);
}

/* [state + off]: 64-bit mod=10 rm=r15 (REX.B set by the caller);
 * 32-bit mod=00 rm=101 absolute disp32. */
static inline void xi_modrm_state(struct xi_emit *e, int is64, int reg,
				  uint32_t off)
{
	if (is64) {
		xi_b(e, 0x80 | (reg << 3) | 7);
		xi_d(e, off);
	} else {
		xi_b(e, (reg << 3) | 5);
		xi_d(e, e->base + off);
	}
}

static inline void xi_mov_load(struct xi_emit *e, int is64, int reg,
			       uint32_t off)
{
	if (is64)
		xi_b(e, 0x49);
	xi_b(e, 0x8b);
	xi_modrm_state(e, is64, reg, off);
}
static inline void xi_mov_store(struct xi_emit *e, int is64, int reg,
				uint32_t off)
{
	if (is64)
		xi_b(e, 0x49);
	xi_b(e, 0x89);
	xi_modrm_state(e, is64, reg, off);
}
/* MOVDQU xmm, [state+off] (load) or [state+off], xmm (store). */
static inline void xi_movdqu(struct xi_emit *e, int is64, int xmm,
			     uint32_t off, int store)
{
	xi_b(e, 0xf3);
	if (is64)
		xi_b(e, 0x41);
	xi_b(e, 0x0f);
	xi_b(e, store ? 0x7f : 0x6f);
	xi_modrm_state(e, is64, xmm, off);
}

/*
 * Writes harness + insn into buf (executable memory at run time) and
 * returns the length. state: where struct xi_state will be (32-bit only;
 * 64-bit code is position independent). sse: load and store XMM0/XMM1.
 * lazy_imm: 0, or the imm8 of an ADD dword [state.lazy], imm8 right
 * before the instruction. An emulator that computes flags lazily (QEMU's
 * TCG, a binary translator) then enters the instruction with the flags
 * still pending as an operation and its operands, where POPF would
 * have left them computed: an instruction that keeps some flags
 * (CMPXCHG8B keeps all but ZF, SDM Vol. 2A) or reads them (ADC, SETcc)
 * must get the same bits from that state as from EFLAGS itself.
 */
static inline size_t xi_build(uint8_t *buf, int is64, uint32_t state,
			      const uint8_t *insn, size_t len, int sse,
			      int8_t lazy_imm)
{
	struct xi_emit e = {buf, state};
	static const int load_order[] = {XI_RAX, XI_RCX, XI_RDX, XI_RBX,
					 XI_RBP, XI_RSI, XI_RDI};
	size_t i;

	/* prologue */
	xi_b(&e, 0x53); /* push rbx */
	xi_b(&e, 0x55); /* push rbp */
	if (is64) {
		xi_b(&e, 0x41);
		xi_b(&e, 0x57); /* push r15 */
		xi_b(&e, 0x49);
		xi_b(&e, 0x89);
		xi_b(&e, 0xff); /* mov r15, rdi */
	} else {
		xi_b(&e, 0x56); /* push esi */
		xi_b(&e, 0x57); /* push edi */
	}
	xi_mov_store(&e, is64, XI_RSP, XI_OFF_SP);
	if (sse) {
		xi_movdqu(&e, is64, 0, XI_OFF_XIN, 0);
		xi_movdqu(&e, is64, 1, XI_OFF_XIN + 16, 0);
	}
	if (is64)
		xi_b(&e, 0x41);
	xi_b(&e, 0xff); /* push [state+fin] */
	xi_modrm_state(&e, is64, 6, XI_OFF_FIN);
	xi_b(&e, 0x9d); /* popf */
	for (i = 0; i < sizeof(load_order) / sizeof(load_order[0]); i++)
		xi_mov_load(&e, is64, load_order[i], XI_OFF_IN(load_order[i]));
	xi_mov_load(&e, is64, XI_RSP, XI_OFF_IN(XI_RSP));
	if (lazy_imm) {
		if (is64)
			xi_b(&e, 0x41);
		xi_b(&e, 0x83); /* add dword [state+lazy], imm8 */
		xi_modrm_state(&e, is64, 0, XI_OFF_LAZY);
		xi_b(&e, (uint8_t)lazy_imm);
	}

	for (i = 0; i < len; i++)
		xi_b(&e, insn[i]);

	/* epilogue: nothing here may change the flags before PUSHF */
	xi_mov_store(&e, is64, XI_RSP, XI_OFF_OUT(XI_RSP));
	xi_mov_load(&e, is64, XI_RSP, XI_OFF_SP);
	xi_b(&e, 0x9c); /* pushf */
	if (is64)
		xi_b(&e, 0x41);
	xi_b(&e, 0x8f); /* pop [state+fout] */
	xi_modrm_state(&e, is64, 0, XI_OFF_FOUT);
	for (i = 0; i < sizeof(load_order) / sizeof(load_order[0]); i++)
		xi_mov_store(&e, is64, load_order[i],
			     XI_OFF_OUT(load_order[i]));
	if (sse) {
		xi_movdqu(&e, is64, 0, XI_OFF_XOUT, 1);
		xi_movdqu(&e, is64, 1, XI_OFF_XOUT + 16, 1);
	}
	if (is64)
		xi_b(&e, 0x49);
	xi_b(&e, 0xc7); /* mov [state+done], 1 */
	xi_modrm_state(&e, is64, 0, XI_OFF_DONE);
	xi_d(&e, 1);
	xi_b(&e, 0xfc); /* cld */
	if (is64) {
		xi_b(&e, 0x41);
		xi_b(&e, 0x5f); /* pop r15 */
	} else {
		xi_b(&e, 0x5f);
		xi_b(&e, 0x5e);
	}
	xi_b(&e, 0x5d);
	xi_b(&e, 0x5b);
	xi_b(&e, 0xc3);
	return (size_t)(e.p - buf);
}

/* Flags the suite compares: the status flags and DF. */
#define XI_FL_CF 0x001u
#define XI_FL_PF 0x004u
#define XI_FL_AF 0x010u
#define XI_FL_ZF 0x040u
#define XI_FL_SF 0x080u
#define XI_FL_DF 0x400u
#define XI_FL_OF 0x800u
#define XI_FL_STATUS 0x8d5u

/* Where the memory operand's window sits inside the memory area: the
 * area is XI_MEM_AREA bytes, the window XI_WIN bytes at XI_WIN_OFF, and
 * pointer registers hold offsets from the window start. */
#define XI_MEM_AREA 0x2000u
#define XI_WIN_OFF  0x1000u
#define XI_WIN	    64u
/* Non-stack forms run on a scratch stack: RSP = scratch + this. */
#define XI_SCRATCH_SP 0x1800u

#endif
