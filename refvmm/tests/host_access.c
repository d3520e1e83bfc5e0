/* A probing access that survives SIGSEGV (host_access.h). */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>

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
