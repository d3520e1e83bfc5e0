/*
 * The Linux/x86 boot protocol's 32-bit and 64-bit entries (the kernel's
 * Documentation/arch/x86/boot.rst, "32-bit boot protocol" and "64-bit
 * boot protocol"): a bzImage's protected-mode part at its code32_start,
 * a boot_params page with the setup header, an e820 map, the command
 * line and an initrd. A kernel whose xloadflags has XLF_KERNEL_64 (an
 * x86_64 bzImage) is entered in 64-bit mode at code32_start + 0x200
 * (linux_boot64.c); every other one at code32_start in 32-bit mode.
 */
#ifndef REFVMM_LINUX_BOOT_H
#define REFVMM_LINUX_BOOT_H

#include "types.h"

struct machine;
struct vcpu;

/* Where the loader puts its own structures: low memory the kernel
 * reserves (it keeps the first 1 MiB), above any mmap_min_addr. */
#define LINUX_BOOT_PARAMS  0x90000u
#define LINUX_BOOT_CMDLINE 0x91000u
#define LINUX_BOOT_GDT	   0x92000u
/* The 64-bit entry's identity map: PML4, PDPT, then one page directory
 * per GiB of RAM (2 MiB pages). */
#define LINUX_BOOT_PML4	       0x93000u
#define LINUX_BOOT_PDPT	       0x94000u
#define LINUX_BOOT_PD	       0x95000u
#define LINUX_BOOT_PD_MAX      4u     /* up to 4 GiB, all the loader uses */
#define LINUX_BOOT_ENTRY64     0x200u /* from the load address */
#define LINUX_BOOT_CMDLINE_MAX 2048u  /* COMMAND_LINE_SIZE on i386 */

/* The boot protocol's flat segments: __BOOT_CS and __BOOT_DS. */
#define LINUX_BOOT_CS 0x10u
#define LINUX_BOOT_DS 0x18u

struct linux_boot_info {
	u32 entry;	 /* code32_start, + 0x200 for the 64-bit entry */
	u8 width;	 /* 32 or 64: which entry */
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

/* The entry state of @info->width's entry. 32-bit: flat
 * __BOOT_CS/__BOOT_DS from a GDT in guest RAM, paging and interrupts
 * off, ESI = boot_params, EBP = EDI = EBX = 0. 64-bit:
 * linux_boot64__reset_vcpu. */
void linux_boot__reset_vcpu(struct vcpu *vcpu,
			    const struct linux_boot_info *info);

/*
 * The 64-bit entry's own structures in @m's RAM: the identity map of
 * the first @m->ram_size bytes (rounded up to 2 MiB) and the GDT with a
 * 64-bit __BOOT_CS. Called by linux_boot__load for an XLF_KERNEL_64
 * kernel.
 */
void linux_boot64__write_tables(struct machine *m);

/* Long mode with that map: CR0.PE|PG, CR4.PAE, EFER.LME|LMA, CS a
 * 64-bit __BOOT_CS, RIP = @info->entry, RSI = boot_params, IF = 0. */
void linux_boot64__reset_vcpu(struct vcpu *vcpu,
			      const struct linux_boot_info *info);

#endif
