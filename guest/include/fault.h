/*
 * Running code that may fault, and code at another privilege level.
 *
 * try_call(fn, arg, &f) runs fn(arg) at CPL 0; if an exception or a
 * software interrupt arrives, the handler records it in f and execution
 * resumes after try_call, which returns the vector (NO_FAULT when fn
 * returned normally). run_at_cpl() does the same with fn running at CPL 1,
 * 2 or 3 on its own stack; any exception brings control back to CPL 0.
 */
#ifndef GUEST_FAULT_H
#define GUEST_FAULT_H

#include "lib.h"

#define NO_FAULT (-1)

struct fault {
	int vector;	/* NO_FAULT if none */
	bool has_error; /* the vector pushed an error code */
	ulong error;	/* error code, if has_error */
	ulong cr2;	/* CR2 when vector == 14 */
	ulong ip;	/* saved EIP/RIP in the exception frame */
	u16 cs;		/* saved CS: its RPL is the CPL at the fault */
	ulong flags;	/* saved EFLAGS/RFLAGS */
	ulong sp; /* stack pointer at the event (32-bit, same CPL: derived) */
	u16 ss;	  /* SS at the event (32-bit, same CPL: the current SS) */
};

int try_call(void (*fn)(void *), void *arg, struct fault *f);
int run_at_cpl(int cpl, void (*fn)(void *), void *arg, struct fault *f);
/*
 * run_at_cpl() with fn starting under the given EFLAGS (IOPL, IF, AC, the
 * arithmetic flags; TF, RF, NT and VM are cleared). The caller's flags are
 * restored afterwards. Set IF only after pic_init() has masked the PICs.
 */
int run_at_cpl_flags(int cpl, ulong flags, void (*fn)(void *), void *arg,
		     struct fault *f);

/*
 * Sets IF through try_call(), so that popek.skip can keep a check's
 * interrupts from being taken: where the return from a handler (IRET)
 * ends the target, the handler's return is part of the listed check's
 * code, and skipping that check must skip its interrupts too. Returns
 * false, IF still 0, when popek.skip keeps it from running; the reports
 * up to the next try_call()/run_at_cpl() that does run are then SKIP.
 * Code that must take the interrupt at one instruction (STI;HLT, the
 * STI shadow) runs its STI inside a try_call() of its own instead.
 */
bool irq_enable(void);

/* Names a vector for failure messages: "#GP", "#PF", "INT 0x80". */
const char *vector_name(int vector);

/* An exception frame as the stubs save it, for handlers of interrupts. */
struct ex_regs;
typedef void (*irq_handler_t)(struct ex_regs *regs);
void set_irq_handler(int vector, irq_handler_t h);

#endif
