/*
 * The guest's MMX and XMM registers in the FPU image the world switch
 * keeps (sw_cpu.xsave_guest, XSAVE or FXSAVE layout): what an emulated
 * SIMD instruction reads, and the x87 state an MMX instruction leaves
 * (fpu_image.c).
 */
#ifndef REFVMM_EMU_FPU_IMAGE_H
#define REFVMM_EMU_FPU_IMAGE_H

#include "refvmm/sw/cpu.h"

/* MMX register @n (0..7) into @out. */
void fpu_image__mm(const struct sw_cpu *c, int n, u8 out[8]);
/* XMM register @n (0..7) into @out. */
void fpu_image__xmm(const struct sw_cpu *c, int n, u8 out[16]);
/* Whether an x87 exception is pending (FSW.ES): an MMX instruction
 * raises #MF first. */
bool fpu_image__x87_pending(const struct sw_cpu *c);
/* What every MMX instruction does to the x87 state: TOP 0, all tags
 * valid (SDM Vol. 1 9.5.1). */
void fpu_image__enter_mmx(struct sw_cpu *c);

/* FCW, FSW and MXCSR as the guest sees them (initial values where the
 * image says the component is in its initial configuration). */
u16 fpu_image__fcw(const struct sw_cpu *c);
u16 fpu_image__fsw(const struct sw_cpu *c);
u32 fpu_image__mxcsr(const struct sw_cpu *c);

#endif
