/*
 * The low-memory area the real-mode and virtual-8086 probes run in. Real
 * mode and virtual-8086 mode address segment * 16 + offset with 16-bit
 * offsets (SDM Vol. 3A 20.1.1), so their code must sit below 1 MiB: the
 * blob between v86_blob and v86_blob_end (v86_low.S) is copied to
 * LOW_BASE and runs there as segment LOW_SEG. Offsets below are from
 * LOW_BASE; the results area is read back by the C side at LOW_BASE +
 * offset. Shared by v86_low.S and the C files.
 */
#ifndef CONFORMANCE_V86_LOW_H
#define CONFORMANCE_V86_LOW_H

#define LOW_BASE 0x20000
#define LOW_SEG	 0x2000
/* What the blob may take; v86.c bails out if it grew past it. */
#define LOW_CODE_MAX 0x3000
/* The real-mode interrupt vector table the switch loads with LIDT: not
 * at 0, so the check sees that real mode honours the IDTR base. */
#define RM_IVT	     0x3000
#define RM_IVT_LIMIT 0x3ff
/* Results and parameters, 4 bytes each. */
#define RES 0x4000
/* Stack top of both modes (SS = LOW_SEG). */
#define LOW_STACK 0x8000
/* Where the segment-base checks write: segments SEGT_SEG + 0x10 * n. */
#define SEGT_SEG 0x2900
/* The virtual-8086 IVT is the one at linear 0 (SDM Vol. 3A 20.3.3.4). */

/* Real-mode results (RES + ...). */
#define R_CR0	  0x00
#define R_CS	  0x04
#define R_SIDT	  0x08 /* 6 bytes: limit, base */
#define R_SEGRD	  0x10 /* DS, ES, FS, GS, SS read back, 4 bytes each */
#define R_ANYSEG  0x24 /* DS loaded with 0xfff8, read back */
#define R_VEC	  0x28 /* last IVT handler's vector, 0xffff for none */
#define R_FIP	  0x2c /* its frame: IP, CS, FLAGS */
#define R_FCS	  0x30
#define R_FFL	  0x34
#define R_HSP	  0x38 /* SP at the handler's entry (before its pushes) */
#define R_HFL	  0x3c /* FLAGS in the handler */
#define R_RESUME  0x40 /* if nonzero: the IP the handler returns to */
#define R_INT_PRE 0x44 /* FLAGS just before INT 0x40 */
#define R_INT_SP  0x48 /* SP just before INT 0x40 */
#define R_INT_VEC 0x4c /* INT 0x40: vector, frame IP, CS, FLAGS, SP, FL */
#define R_INT_IP  0x50
#define R_INT_CS  0x54
#define R_INT_FL  0x58
#define R_INT_HSP 0x5c
#define R_INT_HFL 0x60
#define R_IRET_FL 0x64 /* FLAGS after the handler's IRET */
#define R_UD_VEC  0x68 /* UD2: vector, frame IP */
#define R_UD_IP	  0x6c
#define R_DE_VEC  0x70 /* DIV by 0: vector, frame IP */
#define R_DE_IP	  0x74
#define R_GPW_VEC 0x78 /* word at DS:0xffff: vector, frame IP, SP */
#define R_GPW_IP  0x7c
#define R_GPW_HSP 0x80
#define R_GPB_VEC 0x84 /* byte at DS:0xffff */
#define R_GPA_VEC 0x88 /* ADDR32 word at DS:0x10000 */
#define R_SSW_VEC 0x8c /* word at SS:0xffff (BP) */
#define R_SSB_VEC 0x90 /* byte at SS:0xffff (BP) */
#define R_GPW_SP  0x94 /* SP before the word access */
#define R_CPUID0  0x98 /* CPUID.0: EBX, EDX, ECX */
#define R_CPUID1A 0xa4 /* CPUID.1:EAX */
#define R_MSR_RD  0xa8 /* RDMSR SYSENTER_CS in real mode */
#define R_MSR_WR  0xac /* the value real mode writes there */
#define R_PM_IDTR 0xb0 /* in: the runtime's IDTR (6 bytes) to go back */
#define R_MSR_ON  0xb8 /* in: nonzero when CPUID says SYSENTER MSRs exist */
#define R_DONE	  0xbc /* 0x600d when the sequence ran to its end */

/* The vector the VME checks redirect through the 8086 IVT (the snippet
 * v86_int43 raises it). */
#define V_IVT_VEC 0x43

/* Selectors of the 16-bit segments the way into real mode passes
 * through (SDM Vol. 3A 10.9.2 steps 3 and 4): GDT_FREE and the next,
 * base LOW_BASE, limit 0xffff. v86.c checks they match desc.h. */
#define RM_CODE_SEL 0xf0
#define RM_DATA_SEL 0xf8
/* IRET at CPL 3 with VM = 1 in the image (v86_iret.c): a DPL 3 code
 * segment in GDT entry GDT_FREE + 3 and the EIP popped with it. Read as
 * an 8086 CS:IP the pair is linear IRET3_SEL * 16 + IRET3_EIP = 0x7f00,
 * below LOW_BASE and above the IVT and BIOS data area. */
#define IRET3_INDEX 33
#define IRET3_SEL   0x10b
#define IRET3_EIP   0x6e50
/* The runtime's flat 32-bit code and data (desc.h). */
#define PM_CODE_SEL 0x80
#define PM_DATA_SEL 0x88

#endif
