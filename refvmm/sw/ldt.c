/* The host LDT (ldt.h), through modify_ldt(2) function 0x11. */
#include <asm/ldt.h>
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "refvmm/sw/ldt.h"

static u64 ldt_writes;

int ldt__write(int n, const struct shadow_desc *d)
{
	struct user_desc u = {
		.entry_number = (unsigned int)n,
		.base_addr = d->base,
		.limit = d->limit,
		.seg_32bit = d->seg_32bit,
		.contents = d->contents,
		.read_exec_only = d->read_exec_only,
		.limit_in_pages = d->limit_in_pages,
		.seg_not_present = d->not_present,
		.useable = d->useable,
	};

	ldt_writes++;
	if (syscall(SYS_modify_ldt, 0x11, &u, sizeof(u)) < 0)
		return -errno;
	return 0;
}

u64 ldt__writes(void)
{
	return ldt_writes;
}
