/* The seccomp filter of the software modes (seccomp.h; seccomp(2)). */
#include <asm/prctl.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "refvmm/sw/seccomp.h"
#include "refvmm/types.h"

/* What the monitor calls after set-up: stdio, memory, time, signals. */
static const int allowed[] = {
	SYS_read,
	SYS_pread64,
	SYS_close,
	SYS_fstat,
	SYS_newfstatat,
	SYS_lseek,
	SYS_mmap,
	SYS_munmap,
	SYS_mprotect,
	SYS_mremap,
	SYS_brk,
	SYS_madvise,
	SYS_rt_sigaction,
	SYS_rt_sigprocmask,
	SYS_rt_sigreturn,
	SYS_sigaltstack,
	SYS_nanosleep,
	SYS_clock_nanosleep,
	SYS_clock_gettime,
	SYS_gettimeofday,
	SYS_timer_settime,
	SYS_timer_gettime,
	SYS_timer_delete,
	SYS_exit,
	SYS_exit_group,
	SYS_getpid,
	SYS_gettid,
	SYS_futex,
	SYS_modify_ldt,
	SYS_getrandom,
	SYS_restart_syscall,
	SYS_sched_yield,
	SYS_sysinfo,
};

/*
 * Calls allowed with one argument among a few values (checked on its low
 * 32 bits, the int the kernel reads): the monitor writes only to stdout
 * (the guest's serial port) and stderr; asks the terminal only whether it
 * is one (TCGETS, glibc's isatty); uses prctl only for RDTSC trapping;
 * signals only itself (the deadline kick); sets only the FS base
 * (arch_prctl). A value of -1 stands for "this process's pid", -2 for the
 * one file the monitor may write besides (--translation-log; stderr when
 * none), both filled in at install time.
 */
#define VALUE_PID    (-1)
#define VALUE_LOG_FD (-2)

static const struct arg_rule {
	int nr, arg;
	long values[3];
} arg_rules[] = {
	{SYS_write, 0, {1, 2, VALUE_LOG_FD}},
	{SYS_writev, 0, {1, 2, VALUE_LOG_FD}},
	{SYS_ioctl, 1, {0x5401, 0x5401, 0x5401}}, /* TCGETS */
	{SYS_prctl, 0, {PR_SET_TSC, PR_SET_TSC, PR_SET_TSC}},
	{SYS_tgkill, 0, {VALUE_PID, VALUE_PID, VALUE_PID}},
	/* The way back from the guest where the kernel does not enable
	 * FSGSBASE (world_switch.S): what wrfsbase does elsewhere. */
	{SYS_arch_prctl, 0, {ARCH_SET_FS, ARCH_SET_FS, ARCH_SET_FS}},
};

static int log_fd = 2;

void sw_seccomp__allow_write_fd(int fd)
{
	log_fd = fd > 2 ? fd : 2;
}
#define NRULES (sizeof(arg_rules) / sizeof(arg_rules[0]))

#ifdef POPEK_COVERAGE
/*
 * Coverage builds only (-DPOPEK_COVERAGE=ON): gcov's exit handler opens,
 * locks (fcntl F_SETLKW, so parallel runs merge their counts), reads and
 * rewrites the .gcda files, creating missing directories. Never in a
 * normal build: a monitor that can open files is a wider door.
 */
static const int coverage_allowed[] = {
	SYS_open,   SYS_openat,	   SYS_fcntl, SYS_mkdir,  SYS_mkdirat,
	SYS_access, SYS_faccessat, SYS_write, SYS_writev,
};
/* gcov writes its own files: no fd rule for write and writev then. */
#define RULE_SKIPPED(r) ((r)->nr == SYS_write || (r)->nr == SYS_writev)
#define NCOVERAGE	(sizeof(coverage_allowed) / sizeof(coverage_allowed[0]))
#else
static const int coverage_allowed[1];
#define NCOVERAGE	0
#define RULE_SKIPPED(r) 0
#endif

/*
 * mmap and mprotect with PROT_EXEC (their third argument): the BT modes
 * make every executable mapping they need (callout gate, translation
 * cache, proxy page) before the filter, so a later one can only be
 * escaped code making room for itself. trap mode keeps them: it maps
 * guest pages executable by design, whenever the guest's page tables
 * change, since guest code runs on them natively.
 */
static const int exec_calls[] = {SYS_mmap, SYS_mprotect};
#define NEXEC (sizeof(exec_calls) / sizeof(exec_calls[0]))

#define NALLOWED  (sizeof(allowed) / sizeof(allowed[0]) + NCOVERAGE)
#define MAX_INSNS 128
/* Seven filter instructions before the rules, eight per rule, five per
 * exec rule, one load and two returns around the list. */
_Static_assert(NALLOWED + 8 * NRULES + 5 * NEXEC + 10 <= MAX_INSNS,
	       "the allowlist outgrew the filter array");

/* A rule: not this call, skip it; this call with an allowed value,
 * allow; any other value, trap. */
static u32 rule_value(long v)
{
	if (v == VALUE_PID)
		return (u32)getpid();
	return (u32)(v == VALUE_LOG_FD ? log_fd : v);
}

static size_t emit_rule(struct sock_filter *f, size_t n,
			const struct arg_rule *r)
{
	u32 v0 = rule_value(r->values[0]), v1 = rule_value(r->values[1]);
	u32 v2 = rule_value(r->values[2]);

	f[n++] = (struct sock_filter)BPF_STMT(
		BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					      (u32)r->nr, 0, 6);
	f[n++] = (struct sock_filter)BPF_STMT(
		BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, args) + 8 * (u32)r->arg);
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, v0, 2,
					      0);
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, v1, 1,
					      0);
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, v2, 0,
					      1);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
					      SECCOMP_RET_ALLOW);
	f[n++] =
		(struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
	return n;
}

/* Not this call, skip it; PROT_EXEC in its prot, trap; else go on. */
static size_t emit_no_exec(struct sock_filter *f, size_t n, int nr)
{
	f[n++] = (struct sock_filter)BPF_STMT(
		BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					      (u32)nr, 0, 3);
	f[n++] = (struct sock_filter)BPF_STMT(
		BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, args) + 8 * 2);
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K,
					      PROT_EXEC, 0, 1);
	f[n++] =
		(struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
	return n;
}

int sw_seccomp__install(char *err, size_t errlen)
{
	return sw_seccomp__install_for(SW_SECCOMP_EXEC_ALLOWED, err, errlen);
}

int sw_seccomp__install_for(enum sw_seccomp_exec exec, char *err, size_t errlen)
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
	f[n++] =
		(struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
	/* A 64-bit call from below 4 GiB: guest linear space. */
	f[n++] = (struct sock_filter)BPF_STMT(
		BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, instruction_pointer) + 4);
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0,
					      1);
	f[n++] =
		(struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
	for (i = 0; i < NRULES; i++)
		if (!RULE_SKIPPED(&arg_rules[i]))
			n = emit_rule(f, n, &arg_rules[i]);
	for (i = 0; exec == SW_SECCOMP_EXEC_FORBIDDEN && i < NEXEC; i++)
		n = emit_no_exec(f, n, exec_calls[i]);
	f[n++] = (struct sock_filter)BPF_STMT(
		BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	for (i = 0; i < nr; i++)
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						      (u32)list[i],
						      (u8)(nr - i), 0);
	f[n++] =
		(struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
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

void sw_seccomp__probe(const char *what)
{
	static const char c = 'x';
	void *p;

	if (!strcmp(what, "open"))
		syscall(SYS_openat, -100 /* AT_FDCWD */, "/etc/hostname", 0);
	else if (!strcmp(what, "write3"))
		syscall(SYS_write, 3, &c, 1);
	else if (!strcmp(what, "tiocsti"))
		syscall(SYS_ioctl, 1, 0x5412 /* TIOCSTI */, &c);
	else if (!strcmp(what, "mmap-exec")) {
		p = mmap(NULL, 4096, PROT_READ | PROT_EXEC,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED)
			munmap(p, 4096);
	} else if (!strcmp(what, "mprotect-exec")) {
		/* a writable page made executable: what injected code needs */
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED) {
			mprotect(p, 4096, PROT_READ | PROT_EXEC);
			munmap(p, 4096);
		}
	}
}
