/*
 * Can this host run the software modes (host_check.h)? A child process
 * writes a 32-bit code descriptor to its LDT and far-returns to 32-bit
 * code there: a signal with the LDT selector in CS says compatibility
 * mode runs, and which signal says whether the CPU checks data-segment
 * limits; #GP at the far return says the host refuses the segment.
 * A host that does not check those limits is refused too, unless the
 * user waives it. A child, so that a failed attempt leaves nothing in
 * the monitor's LDT or signal dispositions.
 */
#define _GNU_SOURCE
#include <asm/ldt.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "refvmm/sw/host_check.h"
#include "refvmm/types.h"

/* LDT entry 0 (32-bit code) and entry 1 (a one-byte data segment),
 * TI=1, RPL 3, in the child's own LDT. */
#define CHECK_SEL 0x7
#define DATA_SEL  0xf

enum {
	CHECK_OK = 0,	      /* compatibility mode; limits enforced */
	CHECK_NO_LIMITS = 1,  /* compatibility mode; limits not checked */
	CHECK_GP = 10,	      /* #GP at the far return */
	CHECK_OTHER_SIG = 11, /* another signal or vector */
	CHECK_NO_LDT = 12,    /* modify_ldt failed */
	CHECK_NO_MEM = 13,    /* no page below 4 GiB */
	CHECK_RETURNED = 14,  /* the far return went nowhere */
};

/*
 * In compatibility mode the child loads ES with the one-byte data
 * segment and reads ES:0x10 (mapped memory, past the limit): #GP(0)
 * there is a CPU that checks data-segment limits (SDM Vol. 3A 5.3);
 * reaching the UD2 after it is one that does not (QEMU's TCG). #GP with
 * the 64-bit CS is the far return refused.
 */
static void on_signal(int sig, siginfo_t *si, void *ucv)
{
	const ucontext_t *uc = ucv;
	const greg_t *g = uc->uc_mcontext.gregs;
	u16 cs = (u16)(g[REG_CSGSFS] & 0xffff);
	bool gp = sig == SIGSEGV && g[REG_TRAPNO] == 13;

	(void)si;
	if (cs == CHECK_SEL && gp && g[REG_ERR] == 0)
		_exit(CHECK_OK);
	if (cs == CHECK_SEL && sig == SIGILL)
		_exit(CHECK_NO_LIMITS);
	_exit(gp && cs != CHECK_SEL ? CHECK_GP : CHECK_OTHER_SIG);
}

static void __attribute__((noreturn)) child(void)
{
	/* mov $DATA_SEL,%ax; mov %ax,%es; mov %es:0x10,%eax; ud2 (32-bit) */
	static const u8 seq[] = {0x66, 0xb8, DATA_SEL, 0x00, 0x8e, 0xc0, 0x26,
				 0xa1, 0x10, 0x00,     0x00, 0x00, 0x0f, 0x0b};
	static u8 altstack[16384];
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
	struct user_desc code_d = {
		.entry_number = 0,
		.limit = 0xfffff,
		.seg_32bit = 1,
		.contents = 2, /* code */
		.limit_in_pages = 1,
		.useable = 1,
	};
	struct user_desc data_d = {
		.entry_number = 1, .limit = 0, .seg_32bit = 1, .useable = 1};
	struct sigaction sa;
	u8 *code;

	code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (code == MAP_FAILED)
		_exit(CHECK_NO_MEM);
	memcpy(code + 0x20, seq, sizeof(seq));
	data_d.base_addr = (unsigned)(uintptr_t)code;
	if (syscall(SYS_modify_ldt, 1, &code_d, sizeof(code_d)) < 0 ||
	    syscall(SYS_modify_ldt, 1, &data_d, sizeof(data_d)) < 0)
		_exit(CHECK_NO_LDT);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	if (sigaltstack(&ss, NULL) < 0 || sigaction(SIGILL, &sa, NULL) < 0 ||
	    sigaction(SIGSEGV, &sa, NULL) < 0 ||
	    sigaction(SIGBUS, &sa, NULL) < 0)
		_exit(CHECK_OTHER_SIG);
	asm volatile("pushq %0\n\tpushq %1\n\tlretq" ::"r"((u64)CHECK_SEL),
		     "r"((u64)(uintptr_t)(code + 0x20))
		     : "memory");
	_exit(CHECK_RETURNED);
}

/* Set by check(): whether the child saw the limit enforced. */
static bool limits_enforced;

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
	if (WIFEXITED(status) && (WEXITSTATUS(status) == CHECK_OK ||
				  WEXITSTATUS(status) == CHECK_NO_LIMITS)) {
		limits_enforced = WEXITSTATUS(status) == CHECK_OK;
		return 0;
	}
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

/* The child's answer, once per process: 0 or -ENOSYS with @why. */
static int compat_mode(const char **why)
{
	static int result = 1;
	static char line[320];

	if (result > 0)
		result = check(line, sizeof(line));
	*why = line;
	return result;
}

/* REFVMM_ALLOW_UNENFORCED_LIMITS=1: run the software modes on a host
 * that does not check segment limits, where the guest can reach the
 * monitor (testing the monitor under an emulator; docs/security.md). */
static bool limits_waived(void)
{
	const char *v = getenv("REFVMM_ALLOW_UNENFORCED_LIMITS");

	return v && !strcmp(v, "1");
}

int sw_host__check(char *err, size_t errlen)
{
	const char *why;

	if (compat_mode(&why) < 0) {
		snprintf(err, errlen, "%s", why);
		return -ENOSYS;
	}
	/* The monitor window, the privilege split and every segment the
	 * guest's are cut from end where their limits say: a CPU that does
	 * not check them lets translated and native guest code read and
	 * write the monitor (the window's escape tests fail under TCG). */
	if (!limits_enforced && !limits_waived()) {
		snprintf(err, errlen,
			 "this host's CPU does not check data-segment limits "
			 "(an emulator such as QEMU's TCG; SDM Vol. 3A 5.3 "
			 "requires #GP), and the software modes keep the guest "
			 "out of the monitor by those limits; use --mode hw, "
			 "or REFVMM_ALLOW_UNENFORCED_LIMITS=1 for a guest you "
			 "trust");
		return -ENOSYS;
	}
	return 0;
}

bool sw_host__limits_enforced(void)
{
	const char *why;

	/* Any doubt counts as "not enforced". */
	return compat_mode(&why) == 0 && limits_enforced;
}

/*
 * CMPXCHG8B sets ZF and leaves CF, PF, AF, SF and OF as they were (SDM
 * Vol. 2A CMPXCHG8B). QEMU 7.2's TCG, as the host CPU, computes them from
 * the lazy-flags operation it last wrote back at the end of one of its
 * blocks, not from the one pending: after this ADD (0x7ffffff0 + 0x11:
 * OF SF) they come out as the ADD's source operand, 0x11 (CF AF). POPFQ
 * first, so that what was written back is the flags themselves. The
 * compare fails (memory 1, EDX:EAX 0): ZF stays clear either way.
 */
static bool cx8_probe(void)
{
	/* static: PUSHFQ writes below RSP, where a leaf function's locals
	 * may live (the red zone) */
	static u32 m;
	static u64 q;
	u32 eax = 0, edx = 0;
	u64 fl;

	m = 0x7ffffff0u;
	q = 1;

	asm volatile("pushfq\n\t"
		     "popfq\n\t"
		     "addl $0x11, %[m]\n\t"
		     "cmpxchg8b %[q]\n\t"
		     "pushfq\n\t"
		     "popq %[fl]"
		     : [fl] "=r"(fl), [m] "+m"(m), [q] "+m"(q), "+a"(eax),
		       "+d"(edx)
		     : "b"(0), "c"(0)
		     : "cc", "memory");
	return (fl & 0x8d5u) != 0x880u;
}

bool sw_host__cx8_stale_flags(void)
{
	static int stale = -1;

	if (stale < 0)
		stale = cx8_probe();
	return stale;
}
