/* A probing access that survives SIGSEGV, and guest RAM (host_access.h). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host_access.h"
#include "refvmm/sw/guest_pt.h"
#include "refvmm/sw/shadow_pt.h"

static sigjmp_buf jb;

static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(jb, 1);
}

bool host_can_access(u32 lin, bool write)
{
	struct sigaction sa = {.sa_handler = on_segv}, old;
	volatile bool ok = false;

	sigaction(SIGSEGV, &sa, &old);
	if (!sigsetjmp(jb, 1)) {
		volatile u8 *p = (u8 *)(uintptr_t)lin;
		u8 v = *p;

		if (write)
			*p = v;
		ok = true;
	}
	sigaction(SIGSEGV, &old, NULL);
	return ok;
}

int guest_ram_create(size_t size, u8 **ram)
{
	int fd = memfd_create("guest", 0);

	cr_assert(fd >= 0);
	cr_assert_eq(ftruncate(fd, (off_t)size), 0);
	*ram = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	cr_assert_neq(*ram, MAP_FAILED);
	return fd;
}

u8 host_byte(u32 lin)
{
	return *(volatile u8 *)(uintptr_t)lin;
}

void shadow_store_entry(struct shadow_pt *sp, u8 *ram, u32 phys, u32 v)
{
	memcpy(ram + phys, &v, 4);
	shadow__phys_written(sp, phys, 4);
}

void shadow_hidden_fault(struct shadow_pt *sp, u32 lin, bool write)
{
	u32 err = 0;

	cr_assert_eq(shadow__fault(sp, lin, write ? PF_W : 0, false, &err),
		     SPT_HIDDEN, "at 0x%x", lin);
}
