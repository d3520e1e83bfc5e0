/*
 * The Linux/x86 boot protocol's 32-bit entry (the kernel's
 * Documentation/arch/x86/boot.rst, "32-bit boot protocol"): a bzImage's
 * protected-mode part at its code32_start, a boot_params page with the
 * setup header, an e820 map, the command line and an initrd.
 */
#ifndef REFVMM_LINUX_BOOT_H
#define REFVMM_LINUX_BOOT_H

#include "types.h"

struct machine;
struct vcpu;

/* Where the loader puts its own structures: low memory the kernel
 * reserves (it keeps the first 1 MiB), above any mmap_min_addr. */
#define LINUX_BOOT_PARAMS      0x90000u
#define LINUX_BOOT_CMDLINE     0x91000u
#define LINUX_BOOT_GDT	       0x92000u
#define LINUX_BOOT_CMDLINE_MAX 2048u /* COMMAND_LINE_SIZE on i386 */

/* The boot protocol's flat segments: __BOOT_CS and __BOOT_DS. */
#define LINUX_BOOT_CS 0x10u
#define LINUX_BOOT_DS 0x18u

struct linux_boot_info {
	u32 entry;	 /* code32_start */
	u16 version;	 /* boot protocol version, e.g. 0x020f */
	u32 kernel_size; /* protected-mode part */
	u32 initrd_addr; /* 0 without initrd */
	u32 initrd_size;
	u32 pref_address; /* where it decompresses itself */
	u32 init_size;	  /* how much room that needs */
};

/* True when @buf starts like a bzImage ("HdrS" at 0x202). */
bool linux_boot__is_bzimage(const u8 *buf, size_t len);

/*
 * Loads the bzImage @kernel (@klen bytes) into @m's RAM, with @initrd
 * (@ilen bytes, or NULL) and the command line @cmdline, and writes the
 * boot_params page. Returns 0; -ENOEXEC for a malformed kernel, -E2BIG
 * when kernel, initrd or command line do not fit (@err says which).
 */
int linux_boot__load(struct machine *m, const u8 *kernel, size_t klen,
		     const u8 *initrd, size_t ilen, const char *cmdline,
		     struct linux_boot_info *info, char *err, size_t errlen);

/* The 32-bit entry state: flat __BOOT_CS/__BOOT_DS from a GDT in guest
 * RAM, paging and interrupts off, ESI = boot_params, EBP = EDI = EBX = 0. */
void linux_boot__reset_vcpu(struct vcpu *vcpu,
			    const struct linux_boot_info *info);

#endif
