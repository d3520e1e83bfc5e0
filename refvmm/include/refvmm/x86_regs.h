/*
 * Architectural control-register and EFER bits (SDM Vol. 3A 2.5, 2.2.1),
 * shared by the virtual CPU model and the software monitor.
 */
#ifndef REFVMM_X86_REGS_H
#define REFVMM_X86_REGS_H

#define CR0_PE 0x00000001u
#define CR0_MP 0x00000002u
#define CR0_EM 0x00000004u
#define CR0_TS 0x00000008u
#define CR0_ET 0x00000010u
#define CR0_NE 0x00000020u
#define CR0_WP 0x00010000u
#define CR0_AM 0x00040000u
#define CR0_NW 0x20000000u
#define CR0_CD 0x40000000u
#define CR0_PG 0x80000000u

#define CR4_VME	       0x00000001u
#define CR4_PVI	       0x00000002u
#define CR4_TSD	       0x00000004u
#define CR4_DE	       0x00000008u
#define CR4_PSE	       0x00000010u
#define CR4_PAE	       0x00000020u
#define CR4_MCE	       0x00000040u
#define CR4_PGE	       0x00000080u
#define CR4_PCE	       0x00000100u
#define CR4_OSFXSR     0x00000200u
#define CR4_OSXMMEXCPT 0x00000400u
#define CR4_UMIP       0x00000800u
#define CR4_VMXE       0x00002000u
#define CR4_FSGSBASE   0x00010000u
#define CR4_PCIDE      0x00020000u
#define CR4_OSXSAVE    0x00040000u
#define CR4_SMEP       0x00100000u
#define CR4_SMAP       0x00200000u
#define CR4_PKE	       0x00400000u

#define EFER_SCE 0x001ull
#define EFER_LME 0x100ull
#define EFER_NXE 0x800ull

#endif
