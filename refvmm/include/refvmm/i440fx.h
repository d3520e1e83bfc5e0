/*
 * The i440FX host bridge as QEMU's pc machine has it (hw/pci-host/
 * i440fx.c): PCI configuration mechanism #1 (the PCI Local Bus
 * Specification 3.0, 3.2.2.3.2) on ports 0xcf8 (CONFIG_ADDRESS) and
 * 0xcfc-0xcff (CONFIG_DATA), and the bridge itself at 00:00.0.
 */
#ifndef REFVMM_I440FX_H
#define REFVMM_I440FX_H

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA	   0xcfc
#define PCI_CONFIG_ENABLE  0x80000000u

#define I440FX_VENDOR	0x8086
#define I440FX_DEVICE	0x1237 /* 82441FX PMC */
#define I440FX_REVISION 0x02
#define I440FX_CLASS	0x060000 /* bridge, host bridge */

/* Device-specific registers QEMU gives values at reset. */
#define I440FX_RAM_SIZE_REG 0x57 /* RAM in 8 MiB units, for old coreboot */
#define I440FX_SMRAM_REG    0x72

#endif
