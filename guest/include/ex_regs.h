/* The register frame isr32.S / isr64.S build for exception_dispatch(). */
#ifndef GUEST_EX_REGS_H
#define GUEST_EX_REGS_H

#include "lib.h"

#ifdef __x86_64__
struct ex_regs {
	ulong r15, r14, r13, r12, r11, r10, r9, r8;
	ulong rdi, rsi, rbp, rbx, rdx, rcx, rax;
	ulong vector, error;
	ulong ip, cs, flags, sp, ss;
};
#else
struct ex_regs {
	ulong gs, fs, es, ds;
	ulong edi, esi, ebp, esp_at_pusha, ebx, edx, ecx, eax;
	ulong vector, error;
	ulong ip, cs, flags;
	ulong sp, ss; /* only pushed on a privilege change */
};
#endif

#endif
