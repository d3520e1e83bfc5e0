/*
 * QEMU's firmware configuration device, legacy I/O interface only
 * (QEMU's docs/specs/fw_cfg.rst; hw/nvram/fw_cfg.c, hw/i386/fw_cfg.c):
 * a 16-bit selector at port 0x510, the selected item's bytes one at a
 * time from port 0x511. No DMA interface (FW_CFG_ID bit 1 clear).
 */
#ifndef REFVMM_FW_CFG_H
#define REFVMM_FW_CFG_H

#define FW_CFG_PORT_SEL	 0x510
#define FW_CFG_PORT_DATA 0x511

/* Selector keys (QEMU's include/standard-headers/linux/qemu_fw_cfg.h). */
#define FW_CFG_SIGNATURE  0x0000
#define FW_CFG_ID	  0x0001
#define FW_CFG_RAM_SIZE	  0x0003
#define FW_CFG_NB_CPUS	  0x0005
#define FW_CFG_MAX_CPUS	  0x000f
#define FW_CFG_FILE_DIR	  0x0019
#define FW_CFG_FILE_FIRST 0x0020
/* Bit 14 asked for write access (ignored since QEMU 2.4), bit 15 picks
 * the architecture's table; the rest is the item's index. */
#define FW_CFG_WRITE_CHANNEL 0x4000
#define FW_CFG_ARCH_LOCAL    0x8000
#define FW_CFG_ENTRY_MASK    0x3fff
/* QEMU's default "x-file-slots": the directory always has room for 32
 * entries, so its item is 4 + 32 * 64 bytes, zeros after the last. */
#define FW_CFG_FILE_SLOTS     0x20
#define FW_CFG_FILE_ENTRY_LEN 64
#define FW_CFG_FILE_NAME_LEN  56

#endif
