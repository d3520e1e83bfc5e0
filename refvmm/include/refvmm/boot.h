/*
 * What the guest boots: a Multiboot image (IMAGE, or --kernel with an
 * ELF) or a Linux bzImage (--kernel, --initrd, --append: QEMU's
 * spelling and meaning), and the entry state each protocol defines.
 */
#ifndef REFVMM_BOOT_H
#define REFVMM_BOOT_H

#include "linux_boot.h"
#include "loader.h"

struct machine;
struct vcpu;

struct boot_request {
	const char *kernel; /* the image or --kernel */
	const char *initrd; /* NULL without --initrd */
	const char *append; /* NULL without --append */
};

enum boot_protocol { BOOT_MULTIBOOT, BOOT_LINUX };

struct boot_info {
	enum boot_protocol protocol;
	struct image_info image; /* width and features for both */
	struct linux_boot_info linux_;
};

/*
 * Loads @req into @m. Returns 0, or -errno from reading a file,
 * -ENOEXEC (malformed), -E2BIG (does not fit), -EINVAL (an initrd with
 * a Multiboot kernel); @err says why in one line.
 */
int boot__load(struct machine *m, const struct boot_request *req,
	       struct boot_info *info, char *err, size_t errlen);

/* The entry state of @info's protocol. */
void boot__reset_vcpu(struct vcpu *vcpu, const struct boot_info *info);

#endif
