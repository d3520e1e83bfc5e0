/*
 * conformance.xsave: what the three files of the family share. The
 * CPU's XSAVE enumeration (CPUID leaf 0DH, SDM Vol. 1 13.2), the
 * instructions as try_call()/run_at_cpl() targets taking their operands
 * from globals, and the XCR0 rules of SDM Vol. 1 13.3 / Vol. 3A 2.6.
 */
#ifndef CONFORMANCE_XSAVE_H
#define CONFORMANCE_XSAVE_H

#include "common.h"

#define CR4_OSXSAVE (1ul << 18)

/* XCR0 / XSTATE_BV bits (SDM Vol. 1 13.1). */
#define XF_X87	   (1ull << 0)
#define XF_SSE	   (1ull << 1)
#define XF_AVX	   (1ull << 2)
#define XF_OPMASK  (1ull << 5)
#define XF_ZMM_HI  (1ull << 6)
#define XF_HI16	   (1ull << 7)
#define XF_AVX512  (XF_OPMASK | XF_ZMM_HI | XF_HI16)
#define XF_PKRU	   (1ull << 9)
#define XCOMP_FORM (1ull << 63)

/* The XSAVE header: 64 bytes at offset 512 (SDM Vol. 1 13.4.2). */
#define HDR	   512
#define EXT	   576 /* first byte of the extended region */
#define AREA_BYTES 16384

enum xinsn {
	XI_XSAVE,
	XI_XRSTOR,
	XI_XSAVEOPT,
	XI_XSAVEC,
	XI_XSAVES,
	XI_XRSTORS,
	XI_N
};

struct xsave_cpu {
	bool xsave; /* CPUID.1:ECX.XSAVE */
	bool on;    /* CR4.OSXSAVE could be set and XCR0 read and written */
	const char *why; /* why not, the skip reason of what needs it */
	bool avx;	 /* CPUID.1:ECX.AVX */
	bool opt, compact, xinuse, sup; /* CPUID.(0DH,1):EAX bits 0-3 */
	bool intel;    /* vendor GenuineIntel: Intel SDM wording applies */
	u64 supported; /* CPUID.(0DH,0):EDX:EAX, the XCR0 bits allowed */
	u64 work;      /* the XCR0 the area checks run under */
	u32 max_size;  /* CPUID.(0DH,0):ECX */
	u32 size[64], off[64];
	bool align64[64];
};
extern struct xsave_cpu xc;

/* Operands of the op_* functions below. */
extern u8 *xop_addr;
extern u64 xop_mask;  /* EDX:EAX of XSAVE*, XRSTOR*, the value of XSETBV */
extern ulong xop_ecx; /* ECX (RCX in 64-bit mode) of XGETBV/XSETBV */

void op_xsave(void *a);
void op_xrstor(void *a);
void op_xsaveopt(void *a);
void op_xsavec(void *a);
void op_xsaves(void *a);
void op_xrstors(void *a);
void op_xgetbv(void *a); /* result into *(u64 *)a */
void op_xsetbv(void *a);
void op_vxorps(void *a); /* VEX.128 VXORPS xmm0, xmm0, xmm0 */

extern void (*const xinsn_op[XI_N])(void *);
extern const char *const xinsn_name[XI_N];
/* Whether CPUID enumerates the instruction (Vol. 2 "#UD If CPUID..."). */
bool xinsn_enumerated(enum xinsn i);

/* XGETBV(0)/XSETBV(0) at CPL 0, for set-up; xsetbv0 bails on a fault. */
u64 xgetbv0(void);
void xsetbv0(u64 v);
/* Whether XSETBV accepts v as XCR0 (SDM Vol. 3A 2.6, Vol. 1 13.3). */
bool xcr0_valid(u64 v);

/* Runs fn(p), an instruction that plants or reads state, through
 * try_call(); bails on a fault. */
void xstate_op(void (*fn)(void *), void *p);
void op_fxsave(void *a);

/* Register state the checks plant and read back (through xstate_op). */
void set_xmm0(const u8 v[16]);
void get_xmm0(u8 v[16]);
void set_ymm0_hi(const u8 v[16]); /* YMM0[255:128]; XMM0 kept */
void get_ymm0_hi(u8 v[16]);
u16 get_fcw(void);
void set_fcw(u16 v);
u32 get_mxcsr(void);
void set_mxcsr(u32 v);

/* The family's parts, in the order probe_main runs them. */
void xsave_xcr_checks(void);
void xsave_area_checks(void);
void xsave_cpl_checks(void);
void xsave_xcr_cpl(void); /* xsave_xcr.c's part of xsave_cpl_checks */

#endif
