/*
 * Can this host run the software modes (host_check.h)? A child process
 * writes a 32-bit code descriptor to its LDT and far-returns to a UD2
 * there: #UD (SIGILL) with the LDT selector in CS says compatibility
 * mode runs; #GP at the far return says the host refuses the segment.
 * A child, so that a failed attempt leaves nothing in the monitor's
 * LDT or signal dispositions.
 */
#define _GNU_SOURCE
#include <asm/ldt.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "refvmm/sw/host_check.h"
#include "refvmm/types.h"

/* LDT entry 0, TI=1, RPL 3 (the child's own LDT). */
#define CHECK_SEL 0x7

enum {
	CHECK_OK = 0,
	CHECK_GP = 10,	      /* #GP at the far return */
	CHECK_OTHER_SIG = 11, /* another signal or vector */
	CHECK_NO_LDT = 12,    /* modify_ldt failed */
	CHECK_NO_MEM = 13,    /* no page below 4 GiB */
	CHECK_RETURNED = 14,  /* the far return went nowhere */
};

static void on_signal(int sig, siginfo_t *si, void *ucv)
{
	const ucontext_t *uc = ucv;
	const greg_t *g = uc->uc_mcontext.gregs;
	u16 cs = (u16)(g[REG_CSGSFS] & 0xffff);

	(void)si;
	if (sig == SIGILL && cs == CHECK_SEL)
		_exit(CHECK_OK);
	_exit(sig == SIGSEGV && g[REG_TRAPNO] == 13 ? CHECK_GP
						    : CHECK_OTHER_SIG);
}

/*
 * In a child: @code (a page below 4 GiB) holds 32-bit code at @ip; LDT
 * entry 0 becomes a flat 32-bit code segment, SIGILL, SIGSEGV and SIGBUS
 * go to @handler on an alternate stack, and a far return enters
 * CHECK_SEL:@ip. Exits with @no_ldt when modify_ldt fails, @no_sig when
 * a signal cannot be set up.
 */
static void __attribute__((noreturn))
enter_ldt_code(u8 *ip, void (*handler)(int, siginfo_t *, void *), int no_ldt,
	       int no_sig)
{
	static u8 altstack[16384];
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
	struct user_desc d = {
		.entry_number = 0,
		.base_addr = 0,
		.limit = 0xfffff,
		.seg_32bit = 1,
		.contents = 2, /* code */
		.limit_in_pages = 1,
		.useable = 1,
	};
	struct sigaction sa;

	if (syscall(SYS_modify_ldt, 1, &d, sizeof(d)) < 0)
		_exit(no_ldt);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	if (sigaltstack(&ss, NULL) < 0 || sigaction(SIGILL, &sa, NULL) < 0 ||
	    sigaction(SIGSEGV, &sa, NULL) < 0 ||
	    sigaction(SIGBUS, &sa, NULL) < 0)
		_exit(no_sig);
	asm volatile("pushq %0\n\tpushq %1\n\tlretq" ::"r"((u64)CHECK_SEL),
		     "r"((u64)(uintptr_t)ip)
		     : "memory");
	_exit(no_sig);
}

static u8 *low_code_page(void)
{
	u8 *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);

	return code == MAP_FAILED ? NULL : code;
}

static void __attribute__((noreturn)) child(void)
{
	u8 *code = low_code_page();

	if (!code)
		_exit(CHECK_NO_MEM);
	code[0] = 0x0f; /* ud2 */
	code[1] = 0x0b;
	enter_ldt_code(code, on_signal, CHECK_NO_LDT, CHECK_OTHER_SIG);
}

/*
 * Whether the host CPU checks data-segment limits in compatibility mode
 * (SDM Vol. 3A 5.3): a child loads ES with a byte-granular data segment
 * of limit 0 from its LDT and reads ES:0x10. Real processors raise
 * #GP(0); QEMU's TCG checks no data-segment limits and reads on to the
 * UD2 after it.
 */
enum { LIMIT_ENFORCED = 0, LIMIT_IGNORED = 20, LIMIT_OTHER = 21 };

static void on_limit_signal(int sig, siginfo_t *si, void *ucv)
{
	const ucontext_t *uc = ucv;
	const greg_t *g = uc->uc_mcontext.gregs;
	u16 cs = (u16)(g[REG_CSGSFS] & 0xffff);

	(void)si;
	if (sig == SIGSEGV && g[REG_TRAPNO] == 13 && cs == CHECK_SEL)
		_exit(LIMIT_ENFORCED);
	_exit(sig == SIGILL && cs == CHECK_SEL ? LIMIT_IGNORED : LIMIT_OTHER);
}

static void __attribute__((noreturn)) limit_child(void)
{
	/* mov $0xf,%ax; mov %ax,%es; mov %es:0x10,%eax; ud2 (32-bit code):
	 * selector 0xf is LDT entry 1, RPL 3. */
	static const u8 seq[] = {0x66, 0xb8, 0x0f, 0x00, 0x8e, 0xc0, 0x26,
				 0xa1, 0x10, 0x00, 0x00, 0x00, 0x0f, 0x0b};
	u8 *code = low_code_page();
	struct user_desc d;

	if (!code)
		_exit(LIMIT_OTHER);
	memcpy(code + 0x20, seq, sizeof(seq));
	/* Entry 1: data over the code page, one byte long, so ES:0x10 is
	 * mapped memory past the limit. */
	d = (struct user_desc){.entry_number = 1,
			       .base_addr = (unsigned)(uintptr_t)code,
			       .limit = 0,
			       .seg_32bit = 1,
			       .contents = 0,
			       .useable = 1};
	if (syscall(SYS_modify_ldt, 1, &d, sizeof(d)) < 0)
		_exit(LIMIT_OTHER);
	enter_ldt_code(code + 0x20, on_limit_signal, LIMIT_OTHER, LIMIT_OTHER);
}

bool sw_host__limits_enforced(void)
{
	static int result = -1;
	int status;
	pid_t pid;

	if (result >= 0)
		return result;
	/* Any doubt counts as "not enforced": the caller then relies on
	 * paging alone, which is correct everywhere. */
	result = 0;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return result;
	if (pid == 0)
		limit_child();
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return result;
	result = WIFEXITED(status) && WEXITSTATUS(status) == LIMIT_ENFORCED;
	return result;
}

static int check(char *err, size_t errlen)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen,
			 "cannot fork to check the host for compatibility "
			 "mode: %s",
			 strerror(errno));
		return -errno;
	}
	if (pid == 0)
		child();
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(err, errlen, "waitpid: %s", strerror(errno));
			return -errno;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == CHECK_OK)
		return 0;
	switch (WIFEXITED(status) ? WEXITSTATUS(status) : -1) {
	case CHECK_GP:
		snprintf(err, errlen,
			 "this host cannot run 32-bit code: a far return to a "
			 "32-bit code segment of the process's LDT raises #GP "
			 "(no compatibility mode in this user space: a PVM "
			 "guest, or a kernel without IA32 emulation); the "
			 "software modes need it (use --mode hw where "
			 "/dev/kvm exists)");
		break;
	case CHECK_NO_LDT:
		snprintf(err, errlen,
			 "this host has no modify_ldt (a kernel without "
			 "CONFIG_MODIFY_LDT_SYSCALL): the software modes "
			 "need their own LDT (use --mode hw)");
		break;
	default:
		snprintf(err, errlen,
			 "this host cannot run 32-bit code from the process's "
			 "LDT (the check ended with status 0x%x); the software "
			 "modes need it (use --mode hw)",
			 status);
		break;
	}
	return -ENOSYS;
}

int sw_host__check(char *err, size_t errlen)
{
	static int result = 1;
	static char why[320];

	if (result > 0)
		result = check(why, sizeof(why));
	if (result < 0)
		snprintf(err, errlen, "%s", why);
	return result;
}
