/*
 * The virtual CPU the emulator unit tests start from: protected mode,
 * CPL 0, 64 KiB of guest RAM with the GDT at FLAT_GDT (limit 0x17f),
 * flat code 0x80 (index 16) and data 0x88 (index 17) in every segment
 * register, EFLAGS 2, ESP at FLAT_STACK. Tests add their own
 * descriptors and state.
 */
#ifndef REFVMM_TESTS_FLAT_CPU_H
#define REFVMM_TESTS_FLAT_CPU_H

#include "refvmm/sw/cpu.h"

#define FLAT_GDT   0x1000
#define FLAT_STACK 0x8000

/* A new CPU and its RAM (*@ram); free both with flat_cpu_free. */
struct sw_cpu *flat_cpu(u8 **ram);
void flat_cpu_free(struct sw_cpu *c);

#endif
