/* What the guest boots, and how it is entered (boot.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refvmm/boot.h"
#include "refvmm/vcpu.h"

static int load_linux(struct machine *m, const struct boot_request *req,
		      const u8 *kernel, size_t klen, struct boot_info *info,
		      char *err, size_t errlen)
{
	char why[384] = "";
	u8 *initrd = NULL;
	size_t ilen = 0;
	int r;

	if (req->initrd) {
		r = loader__read_whole(req->initrd, "initrd", &initrd, &ilen,
				       why, sizeof(why));
		if (r < 0) {
			snprintf(err, errlen, "%s", why);
			return r;
		}
	}
	r = linux_boot__load(m, kernel, klen, initrd, ilen,
			     req->append ? req->append : "", &info->linux_, why,
			     sizeof(why));
	free(initrd);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", req->kernel, why);
		return r;
	}
	info->protocol = BOOT_LINUX;
	/* A bzImage has no Popek note: an i386 kernel needs nothing
	 * beyond the base CPU, an x86_64 one (entered in 64-bit mode) long
	 * mode, which a 64-bit width asks of the mode and the host. */
	info->image = (struct image_info){
		.entry = info->linux_.entry,
		.load_start = 0x100000,
		.load_end = 0x100000 + (u64)info->linux_.kernel_size,
		.width = info->linux_.width,
	};
	return 0;
}

static int load_multiboot(struct machine *m, const struct boot_request *req,
			  const u8 *buf, size_t len, struct boot_info *info,
			  char *err, size_t errlen)
{
	char why[384] = "", *cmdline;
	int r;

	/* Multiboot's command line starts with the image's name, then
	 * --append's text, as GRUB and QEMU pass it. */
	if (asprintf(&cmdline, "%s%s%s", req->kernel, req->append ? " " : "",
		     req->append ? req->append : "") < 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = loader__load_elf(m, buf, len, cmdline, &info->image, why,
			     sizeof(why));
	free(cmdline);
	if (r < 0)
		snprintf(err, errlen, "%s: %s", req->kernel, why);
	return r;
}

int boot__load(struct machine *m, const struct boot_request *req,
	       struct boot_info *info, char *err, size_t errlen)
{
	char why[384] = "";
	size_t len;
	u8 *buf;
	int r;

	memset(info, 0, sizeof(*info));
	r = loader__read_whole(req->kernel, "image", &buf, &len, why,
			       sizeof(why));
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", req->kernel, why);
		return r;
	}
	if (linux_boot__is_bzimage(buf, len)) {
		r = load_linux(m, req, buf, len, info, err, errlen);
	} else if (req->initrd) {
		snprintf(err, errlen,
			 "%s: --initrd needs a Linux bzImage kernel, this "
			 "is not one",
			 req->kernel);
		r = -EINVAL;
	} else {
		info->protocol = BOOT_MULTIBOOT;
		r = load_multiboot(m, req, buf, len, info, err, errlen);
	}
	free(buf);
	return r;
}

void boot__reset_vcpu(struct vcpu *vcpu, const struct boot_info *info)
{
	if (info->protocol == BOOT_LINUX)
		linux_boot__reset_vcpu(vcpu, &info->linux_);
	else
		vcpu__reset_multiboot(vcpu, info->image.entry,
				      (u32)info->image.mb_info);
}
