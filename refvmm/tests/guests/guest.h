/*
 * Shared by the test guests of test_cli.c. Each guest is one file of
 * 32-bit code that the build links at 1 MiB and keeps as raw bytes;
 * test_cli.c wraps them in a Multiboot image whose entry is the first
 * byte. refvmm enters in flat protected mode with paging off and no
 * IDT, so any exception ends the run as a triple fault.
 */
#ifndef REFVMM_TEST_GUEST_H
#define REFVMM_TEST_GUEST_H

/* isa-debug-exit: writing N ends the run with status (N << 1) | 1. */
#define DEBUG_EXIT 0xf4
#define COM1 0x3f8
/* pc-testdev's MMIO window: every access exits to the monitor. */
#define TESTDEV_MMIO 0xff000000

#endif
