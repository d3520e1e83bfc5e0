/*
 * Exception capture with recovery, and running code at CPL 1-3.
 *
 * A catch context is a saved CPL 0 register state (guest_setjmp). When an
 * exception arrives while one is armed, exception_dispatch() records the
 * frame and jumps back to it from inside the handler: the handler's frame
 * is abandoned, and so is any CPL 1-3 context, which is how run_at_cpl()
 * returns to CPL 0 whatever the code it ran did.
 */
#include "fault.h"
#include "desc.h"
#include "ex_regs.h"
#include "report.h"
#include "skip.h"
#include "x86.h"

struct jmpbuf {
	ulong regs[9];
};
int guest_setjmp(struct jmpbuf *jb) __attribute__((returns_twice));
void __noreturn guest_longjmp(struct jmpbuf *jb, int val);
extern char ring_return[];

struct catch_ctx {
	struct jmpbuf jb;
	struct fault *f;
	struct catch_ctx *prev;
	bool in_ring;
};

static struct catch_ctx *current_catch;
static irq_handler_t irq_handlers[256];
static u8 ring_stacks[3][16384] __aligned(16);

/* Vectors that push an error code (SDM Vol. 3A, Table 6-1). */
static bool vector_has_error(ulong v)
{
	return v == DF_VECTOR || (v >= TS_VECTOR && v <= PF_VECTOR) ||
	       v == AC_VECTOR || v == CP_VECTOR || v == 29 || v == 30;
}

static const char *const exception_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
	"#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
	"#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23",
	"#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

const char *vector_name(int vector)
{
	static char buf[16];

	if (vector == NO_FAULT)
		return "no exception";
	if (vector >= 0 && vector < 32)
		return exception_names[vector];
	snprintf(buf, sizeof(buf), "INT 0x%x", vector);
	return buf;
}

void set_irq_handler(int vector, irq_handler_t h)
{
	irq_handlers[vector] = h;
}

static void record(struct fault *f, struct ex_regs *r)
{
	f->vector = r->vector;
	f->has_error = vector_has_error(r->vector);
	f->error = f->has_error ? r->error : 0;
	f->cr2 = r->vector == PF_VECTOR ? read_cr2() : 0;
	f->ip = r->ip;
	f->cs = r->cs;
	f->flags = r->flags;
#ifdef __x86_64__
	f->sp = r->sp;
	f->ss = r->ss;
#else
	/* Without a privilege change the CPU pushes no SS:ESP: the
	 * interrupted ESP is just above the frame (EIP, CS, EFLAGS, the
	 * stub's vector and error code), and SS is still the one in use. */
	f->sp = (r->cs & 3) ? r->sp : r->esp_at_pusha + 5 * sizeof(ulong);
	f->ss = (r->cs & 3) ? r->ss : read_ss();
#endif
}

void exception_dispatch(struct ex_regs *r)
{
	struct catch_ctx *c = current_catch;

	if (irq_handlers[r->vector]) {
		irq_handlers[r->vector](r);
		return;
	}
	if (c) {
		current_catch = c->prev;
		if (r->vector == RET_VECTOR && c->in_ring)
			c->f->vector = NO_FAULT;
		else
			record(c->f, r);
		guest_longjmp(&c->jb, 1);
	}
	report_bail("unexpected %s (vector %lu) at %#lx:%#lx, error code %#lx, "
		    "CR2 %#lx",
		    vector_name(r->vector), r->vector, r->cs, r->ip, r->error,
		    r->vector == PF_VECTOR ? read_cr2() : 0ul);
}

static void arm(struct catch_ctx *c, struct fault *f, bool in_ring)
{
	memset(f, 0, sizeof(*f));
	f->vector = NO_FAULT;
	c->f = f;
	c->in_ring = in_ring;
	c->prev = current_catch;
	current_catch = c;
}

int try_call(void (*fn)(void *), void *arg, struct fault *f)
{
	struct catch_ctx c;

	arm(&c, f, false);
	if (skip_run()) {
		current_catch = c.prev;
		return f->vector;
	}
	if (guest_setjmp(&c.jb) == 0) {
		fn(arg);
		current_catch = c.prev;
	}
	return f->vector;
}

static void __noreturn enter_ring(int cpl, void (*fn)(void *), void *arg)
{
	ulong *sp = (ulong *)(ring_stacks[cpl - 1] + sizeof(ring_stacks[0]));
	ulong cs = sel_code_rpl(cpl), ss = sel_data_rpl(cpl);

#ifdef __x86_64__
	*--sp = (ulong)ring_return;
	asm volatile("pushq %[ss]\n\tpushq %[sp]\n\tpushfq\n\t"
		     "pushq %[cs]\n\tpushq %[ip]\n\tiretq"
		     :
		     : [ss] "r"(ss), [sp] "r"(sp), [cs] "r"(cs), [ip] "r"(fn),
		       "D"(arg)
		     : "memory");
#else
	*--sp = (ulong)arg;
	*--sp = (ulong)ring_return;
	/* IRET to an outer level nulls data segment registers whose DPL is
	 * below the new CPL (SDM Vol. 2A, IRET), so load the ring's own. */
	asm volatile("mov %[ss], %%ds\n\tmov %[ss], %%es\n\t"
		     "pushl %[ss]\n\tpushl %[sp]\n\tpushfl\n\t"
		     "pushl %[cs]\n\tpushl %[ip]\n\tiret"
		     :
		     : [ss] "r"(ss), [sp] "r"(sp), [cs] "r"(cs), [ip] "r"(fn)
		     : "memory");
#endif
	__builtin_unreachable();
}

int run_at_cpl(int cpl, void (*fn)(void *), void *arg, struct fault *f)
{
	struct catch_ctx c;

	if (cpl == 0)
		return try_call(fn, arg, f);
	arm(&c, f, true);
	if (skip_run()) {
		current_catch = c.prev;
		return f->vector;
	}
	if (guest_setjmp(&c.jb) == 0)
		enter_ring(cpl, fn, arg);
	return f->vector;
}

static void set_if(void *a)
{
	(void)a;
	asm volatile("sti" ::: "memory");
}

bool irq_enable(void)
{
	struct fault f;

	/* A pending interrupt is taken inside set_if() or right after it;
	 * either way this boot's next report is the one that owns it. */
	try_call(set_if, NULL, &f);
	return (read_flags() & X86_EFLAGS_IF) != 0;
}

int run_at_cpl_flags(int cpl, ulong flags, void (*fn)(void *), void *arg,
		     struct fault *f)
{
	ulong saved = read_flags();
	ulong cleared =
		X86_EFLAGS_TF | X86_EFLAGS_RF | X86_EFLAGS_NT | X86_EFLAGS_VM;
	int v;

	/* With IF=1 a pending interrupt is taken here, at CPL 0: a listed
	 * check must not get this far (popek.skip). */
	if (skip_run()) {
		memset(f, 0, sizeof(*f));
		f->vector = NO_FAULT;
		return NO_FAULT;
	}
	write_flags((flags & ~cleared) | X86_EFLAGS_FIXED);
	v = run_at_cpl(cpl, fn, arg, f);
	write_flags(saved);
	return v;
}
