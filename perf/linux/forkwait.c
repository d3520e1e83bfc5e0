/*
 * forkwait: the paper's fork/wait workload as a Linux process. Each
 * iteration forks; the child exits at once and the parent waits for it.
 * Under a monitor this is the process-creation path: a new address space
 * (copy-on-write page tables, a CR3 switch each way), a few page faults,
 * and two system calls per side.
 */
#include "result.h"

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned long n = result__iterations(argc, argv, "forkwait", 40000);
	uint64_t start = result__now_ns();
	char why[64];

	for (unsigned long i = 0; i < n; i++) {
		pid_t pid = fork();
		int status;

		if (pid < 0)
			result__fail("forkwait", "fork failed");
		if (pid == 0)
			_exit(0);
		if (waitpid(pid, &status, 0) != pid)
			result__fail("forkwait", "waitpid failed");
		/* A child that did not exit 0 ran something else: fail. */
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			snprintf(why, sizeof(why), "child status %#x", status);
			result__fail("forkwait", why);
		}
	}
	result__print("forkwait", n, result__now_ns() - start);
	return 0;
}
