/* The seccomp filter of the software modes (seccomp.h; seccomp(2)). */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "refvmm/sw/seccomp.h"
#include "refvmm/types.h"

/* What the monitor calls after set-up: stdio, memory, time, signals. */
static const int allowed[] = {
	SYS_read,	     SYS_write,		 SYS_writev,
	SYS_pread64,	     SYS_close,		 SYS_fstat,
	SYS_newfstatat,	     SYS_lseek,		 SYS_ioctl,
	SYS_mmap,	     SYS_munmap,	 SYS_mprotect,
	SYS_mremap,	     SYS_brk,		 SYS_madvise,
	SYS_rt_sigaction,    SYS_rt_sigprocmask, SYS_rt_sigreturn,
	SYS_sigaltstack,     SYS_nanosleep,	 SYS_clock_nanosleep,
	SYS_clock_gettime,   SYS_gettimeofday,	 SYS_timer_settime,
	SYS_timer_gettime,   SYS_timer_delete,	 SYS_exit,
	SYS_exit_group,	     SYS_getpid,	 SYS_gettid,
	SYS_tgkill,	     SYS_futex,		 SYS_modify_ldt,
	SYS_prctl,	     SYS_getrandom,	 SYS_restart_syscall,
	SYS_sched_yield,     SYS_sysinfo,
};

#ifdef POPEK_COVERAGE
/*
 * Coverage builds only (-DPOPEK_COVERAGE=ON): gcov's exit handler opens,
 * locks (fcntl F_SETLKW, so parallel runs merge their counts), reads and
 * rewrites the .gcda files, creating missing directories. Never in a
 * normal build: a monitor that can open files is a wider door.
 */
static const int coverage_allowed[] = {
	SYS_open,    SYS_openat, SYS_fcntl,	SYS_mkdir,
	SYS_mkdirat, SYS_access, SYS_faccessat,
};
#define NCOVERAGE (sizeof(coverage_allowed) / sizeof(coverage_allowed[0]))
#else
static const int coverage_allowed[1];
#define NCOVERAGE 0
#endif

#define NALLOWED  (sizeof(allowed) / sizeof(allowed[0]) + NCOVERAGE)
#define MAX_INSNS 64
/* Seven filter instructions before the list, two after it. */
_Static_assert(NALLOWED + 9 <= MAX_INSNS,
	       "the allowlist outgrew the filter array");

int sw_seccomp__install(char *err, size_t errlen)
{
	struct sock_filter f[MAX_INSNS];
	struct sock_fprog prog;
	size_t n = 0, i, nr = NALLOWED;
	int list[NALLOWED];

	for (i = 0; i < nr; i++)
		list[i] = i < sizeof(allowed) / sizeof(allowed[0])
				  ? allowed[i]
				  : coverage_allowed[i - (nr - NCOVERAGE)];

	/* Not x86-64 (int 0x80, sysenter, compat syscall): the guest's. */
	f[n++] = (struct sock_filter)BPF_STMT(
		BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					      AUDIT_ARCH_X86_64, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
					      SECCOMP_RET_TRAP);
	/* A 64-bit call from below 4 GiB: guest linear space. */
	f[n++] = (struct sock_filter)BPF_STMT(
		BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, instruction_pointer) + 4);
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0,
					      1);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
					      SECCOMP_RET_TRAP);
	f[n++] = (struct sock_filter)BPF_STMT(
		BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	for (i = 0; i < nr; i++)
		f[n++] = (struct sock_filter)BPF_JUMP(
			BPF_JMP | BPF_JEQ | BPF_K, (u32)list[i],
			(u8)(nr - i), 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
					      SECCOMP_RET_TRAP);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
					      SECCOMP_RET_ALLOW);
	prog.len = (unsigned short)n;
	prog.filter = f;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		snprintf(err, errlen, "cannot install the seccomp filter: %s",
			 strerror(errno));
		return -errno;
	}
	return 0;
}
