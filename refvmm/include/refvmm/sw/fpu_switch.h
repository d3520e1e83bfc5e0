/*
 * Assembler macro shared by the world switch and the proxy executor:
 * saves the FPU/SSE/AVX state to the area whose pointer is at
 * \save(%r15) and loads the one at \load(%r15), with XSAVE (all enabled
 * components) or FXSAVE where the host has no XSAVE (byte at
 * \fxflag(%r15) non-zero). Clobbers RAX, RCX, RDX.
 */
#ifndef REFVMM_SW_FPU_SWITCH_H
#define REFVMM_SW_FPU_SWITCH_H

.macro fpu_switch_r15 fxflag, save, load
	cmpb $0, \fxflag(%r15)
	jne 1f
	mov $-1, %eax
	mov $-1, %edx
	mov \save(%r15), %rcx
	xsave64 (%rcx)
	mov \load(%r15), %rcx
	xrstor64 (%rcx)
	jmp 2f
1:	mov \save(%r15), %rcx
	fxsave64 (%rcx)
	mov \load(%r15), %rcx
	fxrstor64 (%rcx)
2:
.endm

#endif
