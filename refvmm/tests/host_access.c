/* A probing access that survives SIGSEGV, and guest RAM (host_access.h). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host_access.h"

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
