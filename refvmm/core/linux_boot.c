/*
 * Linux/x86 boot protocol: the loader and the 32-bit entry (linux_boot.h;
 * the 64-bit entry's tables and state are linux_boot64.c's). Offsets are the
 * setup header's and boot_params' (the kernel's
 * arch/x86/include/uapi/asm/bootparam.h layout, which is ABI). Every
 * field read from the kernel file is bounds-checked: it is untrusted.
 */
#include <errno.h>
#include <string.h>

#include "refvmm/e820.h"
#include "refvmm/linux_boot.h"
#include "refvmm/loader.h"
#include "refvmm/machine.h"
#include "refvmm/vcpu.h"

/* Setup header fields, as offsets into the file and into boot_params. */
#define HDR_SETUP_SECTS	   0x1f1
#define HDR_VID_MODE	   0x1fa
#define HDR_BOOT_FLAG	   0x1fe /* 0xaa55 */
#define HDR_JUMP	   0x200 /* its second byte sizes the header */
#define HDR_MAGIC	   0x202 /* "HdrS" */
#define HDR_VERSION	   0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS	   0x211
#define HDR_CODE32_START   0x214
#define HDR_RAMDISK_IMAGE  0x218
#define HDR_RAMDISK_SIZE   0x21c
#define HDR_HEAP_END_PTR   0x224
#define HDR_CMD_LINE_PTR   0x228
#define HDR_INITRD_MAX	   0x22c
#define HDR_KERNEL_ALIGN   0x230
#define HDR_XLOADFLAGS	   0x236 /* 2.12 */
#define HDR_CMDLINE_SIZE   0x238
#define HDR_PREF_ADDRESS   0x258
#define HDR_INIT_SIZE	   0x260

#define LOADFLAG_LOADED_HIGH  0x01
#define LOADFLAG_CAN_USE_HEAP 0x80
#define XLF_KERNEL_64	      0x01 /* the 64-bit entry at +0x200 */

/* boot_params outside the setup header. */
#define BP_ALT_MEM_K	0x1e0
#define BP_E820_ENTRIES 0x1e8
#define BP_E820_TABLE	0x2d0
#define BP_SIZE		4096

/* 2.06: cmdline_size exists; older kernels are not worth a code path. */
#define MIN_VERSION	   0x0206
#define XLOADFLAGS_VERSION 0x020c
#define KERNEL_LOAD	   0x100000u

static u16 rd16(const u8 *p)
{
	return (u16)(p[0] | p[1] << 8);
}

static u32 rd32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static void wr16(u8 *p, u16 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
}

static void wr32(u8 *p, u32 v)
{
	wr16(p, (u16)v);
	wr16(p + 2, (u16)(v >> 16));
}

bool linux_boot__is_bzimage(const u8 *buf, size_t len)
{
	return len >= HDR_MAGIC + 4 && !memcmp(buf + HDR_MAGIC, "HdrS", 4);
}

/* The physical map the kernel is told about (core/e820.c; it also keeps
 * the first 1 MiB for itself). */
static void write_e820(u8 *bp, u64 ram_size)
{
	struct e820_entry map[E820_PC_ENTRIES];
	unsigned int n = e820__pc_map(ram_size, map);

	memcpy(bp + BP_E820_TABLE, map, n * sizeof(map[0]));
	bp[BP_E820_ENTRIES] = (u8)n;
}

/* The flat GDT the protocol asks for: __BOOT_CS execute/read and
 * __BOOT_DS read/write, 4 GiB, 32-bit, DPL 0 (SDM Vol. 3A 3.4.5). */
static void write_gdt32(struct machine *m)
{
	const u64 gdt[4] = {
		0, 0, 0x00cf9b000000ffffull, /* 0x10: code, accessed */
		0x00cf93000000ffffull,	     /* 0x18: data, accessed */
	};

	memcpy(machine__gpa_to_hva(m, LINUX_BOOT_GDT, sizeof(gdt)), gdt,
	       sizeof(gdt));
}

int linux_boot__load(struct machine *m, const u8 *kernel, size_t klen,
		     const u8 *initrd, size_t ilen, const char *cmdline,
		     struct linux_boot_info *info, char *err, size_t errlen)
{
	size_t hdr_end, setup_len, cmd_len = strlen(cmdline) + 1;
	u32 cmdline_max, initrd_max, end;
	unsigned int setup_sects;
	u8 *bp;

	memset(info, 0, sizeof(*info));
	if (!linux_boot__is_bzimage(kernel, klen))
		return loader__fail(
			err, errlen, -ENOEXEC,
			"not a bzImage (no \"HdrS\" setup header at "
			"0x202)");
	info->version = rd16(kernel + HDR_VERSION);
	if (info->version < MIN_VERSION)
		return loader__fail(err, errlen, -ENOEXEC,
				    "boot protocol %u.%02u is older than 2.06",
				    info->version >> 8, info->version & 0xff);
	hdr_end = HDR_MAGIC + kernel[HDR_JUMP + 1];
	if (klen < HDR_INIT_SIZE + 4 || hdr_end > klen || hdr_end > BP_SIZE)
		return loader__fail(err, errlen, -ENOEXEC,
				    "truncated setup header (%zu bytes)", klen);
	if (!(kernel[HDR_LOADFLAGS] & LOADFLAG_LOADED_HIGH))
		return loader__fail(err, errlen, -ENOEXEC,
				    "a zImage (loaded low) is not supported: "
				    "LOADED_HIGH is clear");
	setup_sects = kernel[HDR_SETUP_SECTS] ? kernel[HDR_SETUP_SECTS] : 4;
	setup_len = (setup_sects + 1) * 512u;
	if (setup_len >= klen)
		return loader__fail(
			err, errlen, -ENOEXEC,
			"no protected-mode kernel after %u setup sectors",
			setup_sects);
	info->kernel_size = (u32)(klen - setup_len);
	info->entry = rd32(kernel + HDR_CODE32_START);
	info->width = 32;
	if (info->version >= XLOADFLAGS_VERSION &&
	    hdr_end >= HDR_XLOADFLAGS + 2 &&
	    (rd16(kernel + HDR_XLOADFLAGS) & XLF_KERNEL_64))
		info->width = 64;
	info->pref_address = rd32(kernel + HDR_PREF_ADDRESS);
	info->init_size = rd32(kernel + HDR_INIT_SIZE);
	if (info->entry != KERNEL_LOAD)
		return loader__fail(
			err, errlen, -ENOEXEC,
			"code32_start 0x%x: only 0x100000 is supported",
			info->entry);
	if (info->width == 64 && info->kernel_size <= LINUX_BOOT_ENTRY64)
		return loader__fail(err, errlen, -ENOEXEC,
				    "XLF_KERNEL_64 set, but the protected-mode "
				    "kernel (%u bytes) ends before its 64-bit "
				    "entry at +0x200",
				    info->kernel_size);
	end = KERNEL_LOAD + info->kernel_size;
	if ((u64)end > m->ram_size ||
	    (u64)info->pref_address + info->init_size > m->ram_size)
		return loader__fail(
			err, errlen, -E2BIG,
			"the kernel needs [0x%x, 0x%llx) of guest RAM, "
			"there are %llu MiB",
			info->pref_address,
			(unsigned long long)info->pref_address +
				info->init_size,
			(unsigned long long)(m->ram_size / MiB));
	cmdline_max = rd32(kernel + HDR_CMDLINE_SIZE);
	if (cmdline_max > LINUX_BOOT_CMDLINE_MAX - 1)
		cmdline_max = LINUX_BOOT_CMDLINE_MAX - 1;
	if (cmd_len - 1 > cmdline_max)
		return loader__fail(
			err, errlen, -E2BIG,
			"--append is %zu bytes, the kernel takes %u",
			cmd_len - 1, cmdline_max);

	bp = machine__gpa_to_hva(m, LINUX_BOOT_PARAMS, BP_SIZE);
	memset(bp, 0, BP_SIZE);
	memcpy(bp + HDR_SETUP_SECTS, kernel + HDR_SETUP_SECTS,
	       hdr_end - HDR_SETUP_SECTS);
	memcpy(machine__gpa_to_hva(m, KERNEL_LOAD, info->kernel_size),
	       kernel + setup_len, info->kernel_size);
	memcpy(machine__gpa_to_hva(m, LINUX_BOOT_CMDLINE, cmd_len), cmdline,
	       cmd_len);

	if (initrd) {
		/* As high as allowed, page aligned, above the kernel's
		 * decompression area (QEMU and GRUB do the same). */
		initrd_max = rd32(kernel + HDR_INITRD_MAX);
		u64 top = m->ram_size < (u64)initrd_max + 1
				  ? m->ram_size
				  : (u64)initrd_max + 1;
		u64 lo = (u64)info->pref_address + info->init_size;

		if (ilen > top || ((top - ilen) & ~4095ull) < lo)
			return loader__fail(
				err, errlen, -E2BIG,
				"the initrd (%zu bytes) does not fit "
				"between 0x%llx and 0x%llx",
				ilen, (unsigned long long)lo,
				(unsigned long long)top);
		info->initrd_addr = (u32)((top - ilen) & ~4095ull);
		info->initrd_size = (u32)ilen;
		memcpy(machine__gpa_to_hva(m, info->initrd_addr, ilen), initrd,
		       ilen);
		wr32(bp + HDR_RAMDISK_IMAGE, info->initrd_addr);
		wr32(bp + HDR_RAMDISK_SIZE, info->initrd_size);
	}
	wr16(bp + HDR_VID_MODE, 0xffff); /* "normal" */
	bp[HDR_TYPE_OF_LOADER] = 0xff;	 /* undefined loader */
	bp[HDR_LOADFLAGS] |= LOADFLAG_CAN_USE_HEAP;
	wr16(bp + HDR_HEAP_END_PTR, 0xfe00);
	wr32(bp + HDR_CMD_LINE_PTR, LINUX_BOOT_CMDLINE);
	wr32(bp + BP_ALT_MEM_K, (u32)((m->ram_size - MiB) / KiB));
	write_e820(bp, m->ram_size);
	if (info->width == 64) {
		linux_boot64__write_tables(m);
		info->entry += LINUX_BOOT_ENTRY64;
	} else {
		write_gdt32(m);
	}
	return 0;
}

void linux_boot__reset_vcpu(struct vcpu *vcpu,
			    const struct linux_boot_info *info)
{
	struct vcpu_state *st = &vcpu->state;

	if (info->width == 64) {
		linux_boot64__reset_vcpu(vcpu, info);
		return;
	}
	/* The Multiboot state is the same machine (flat PM, paging and
	 * interrupts off, a usable TR for VM entry); only registers, the
	 * GDT and the selectors differ. */
	vcpu__reset_multiboot(vcpu, info->entry, 0);
	st->rax = 0;
	st->rbx = 0;
	st->rsi = LINUX_BOOT_PARAMS;
	vcpu__flat_seg(&st->cs, LINUX_BOOT_CS, 0xb);
	vcpu__flat_seg(&st->ds, LINUX_BOOT_DS, 0x3);
	st->es = st->ds;
	st->fs = st->ds;
	st->gs = st->ds;
	st->ss = st->ds;
	st->gdt_base = LINUX_BOOT_GDT;
	st->gdt_limit = 4 * 8 - 1;
}
