/*
 * The oracle: runs a case's bytes, inside the shared harness, on the
 * build host's CPU in this process (a 64-bit build for 64-bit cases, a
 * -m32 build for 32-bit ones). A fault arrives as a signal; its trap
 * number (from the signal context) is the exception vector.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "gen.h"

static uint8_t *code, *area;
static struct xi_state st __attribute__((aligned(64)));
static sigjmp_buf jb;
static volatile int trapno;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si;
	trapno = (int)((ucontext_t *)uc)->uc_mcontext.gregs[REG_TRAPNO];
	siglongjmp(jb, 1);
}

void native_init(void)
{
	static const int sigs[] = {SIGFPE, SIGSEGV, SIGBUS, SIGILL, SIGTRAP};
	static uint8_t altstack[65536];
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
	struct sigaction sa;

	code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	area = mmap(NULL, XI_MEM_AREA, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (code == MAP_FAILED || area == MAP_FAILED) {
		perror("x86gen: mmap");
		exit(1);
	}
	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

void native_run(const struct form *f, struct xcase *c)
{
	uint8_t *win = area + XI_WIN_OFF;
	unsigned long bases[8], obases[8];

	xi_build(code, f->width == 64, (uint32_t)(uintptr_t)&st, f->code,
		 f->len, !!(f->flags & F_SSE), c->lazy_imm);
	memset(&st, 0, sizeof(st));
	st.lazy = c->lazy_m;
	for (int r = 0; r < 8; r++) {
		bases[r] = 0;
		if (f->ptr & (1u << r))
			bases[r] = (unsigned long)(uintptr_t)win;
		if (r == XI_RSP && !(f->flags & F_STACK))
			bases[r] = (unsigned long)(uintptr_t)(area + XI_SCRATCH_SP);
		if (f->kind == K_CX8 && r == XI_RSI)
			bases[r] = (unsigned long)(uintptr_t)win;
		obases[r] = f->noptr_out & (1u << r) ? 0 : bases[r];
		if (f->noptr_in & (1u << r))
			bases[r] = 0;
		st.in[r] = c->in[r] + bases[r];
	}
	st.fin = c->fin;
	memcpy(st.xin, c->xin, 32);
	memcpy(win, c->win_in, XI_WIN);
	trapno = -1;
	if (sigsetjmp(jb, 1) == 0)
		((void (*)(void *))code)(&st);
	asm volatile("cld");
	c->vector = st.done ? -1 : trapno;
	for (int r = 0; r < 8; r++)
		c->out[r] = st.out[r] - obases[r];
	c->fout = st.fout;
	memcpy(c->xout, st.xout, 32);
	memcpy(c->win_out, win, XI_WIN);
}

/* The lazy producers give the status flags cases_lazy claims: the ADD and
 * then no instruction at all, on the oracle's CPU. */
int native_check_lazy(int width)
{
	struct form f;
	struct xcase c;

	memset(&f, 0, sizeof(f));
	f.width = width;
	for (int j = 0; j < NLAZY; j++) {
		memset(&c, 0, sizeof(c));
		c.fin = 2;
		cases_lazy(&c, j);
		native_run(&f, &c);
		if (c.vector >= 0 || ((c.fout ^ c.fin) & XI_FL_STATUS) != 0) {
			fprintf(stderr,
				"x86gen: lazy producer %d gives flags %#lx, "
				"cases_lazy says %#lx\n",
				j, c.fout & XI_FL_STATUS, c.fin & XI_FL_STATUS);
			return -1;
		}
	}
	return 0;
}
