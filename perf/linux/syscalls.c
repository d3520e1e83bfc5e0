/*
 * syscalls: the system-call round trip. getppid does almost no work in
 * the kernel and glibc does not cache it, so the loop times the entry
 * and exit path (int 0x80 or sysenter through the vDSO's
 * __kernel_vsyscall, whichever the kernel chose) and little else.
 */
#include "result.h"

#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned long n = result__iterations(argc, argv, "syscalls", 100000);
	long parent = syscall(SYS_getppid);
	uint64_t start = result__now_ns();

	for (unsigned long i = 0; i < n; i++) {
		/* A different answer means a lost or misrouted call. */
		if (syscall(SYS_getppid) != parent)
			result__fail("syscalls", "getppid changed");
	}
	result__print("syscalls", n, result__now_ns() - start);
	return 0;
}
