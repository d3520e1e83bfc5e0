/*
 * runtime.smoke: the few things any monitor must get right before the
 * rest of the suite means anything, in order of risk, each announced on
 * the serial port first so the last line printed tells how far a target
 * got: IRET at CPL 0, INT3, an exception (#DE), a round trip through
 * CPL 3, and one PIT interrupt through the PIC that wakes a HLT.
 */
#include "desc.h"
#include "ex_regs.h"
#include "fault.h"
#include "outcome.h"
#include "pic.h"
#include "report.h"
#include "x86.h"

POPEK_IMAGE(0, 0);

static volatile unsigned ticks;

static void iret_same_level(void *a)
{
	(void)a;
#ifdef __x86_64__
	asm volatile("mov %%rsp, %%rax\n\tpushq %0\n\tpushq %%rax\n\tpushfq\n\t"
		     "pushq %1\n\tleaq 1f(%%rip), %%rax\n\tpushq %%rax\n\t"
		     "iretq\n1:"
		     :
		     : "i"(KERNEL_DS), "i"(KERNEL_CS)
		     : "rax", "memory");
#else
	asm volatile("pushfl\n\tpushl %0\n\tpushl $1f\n\tiret\n1:"
		     :
		     : "i"(KERNEL_CS)
		     : "memory");
#endif
}

static void int3(void *a)
{
	(void)a;
	asm volatile("int3");
}

static void div0(void *a)
{
	(void)a;
	asm volatile("mov $1, %%eax\n\txor %%edx, %%edx\n\txor %%ecx, %%ecx\n\t"
		     "divl %%ecx" ::
			     : "eax", "ecx", "edx");
}

static void user_code(void *a)
{
	*(u16 *)a = read_cs();
}

static void timer_irq(struct ex_regs *r)
{
	(void)r;
	ticks++;
	pic_eoi(0);
}

void probe_main(void)
{
	struct fault f;
	u16 cs = 0;

	report_diag("step: IRET at CPL 0");
	try_call(iret_same_level, NULL, &f);
	report_exception("runtime.smoke.iret",
			 "IRET to the same privilege level", NO_FAULT,
			 ANY_ERROR, &f);
	report_diag("step: INT3");
	try_call(int3, NULL, &f);
	report_exception("runtime.smoke.int3", "INT3 is delivered as #BP",
			 BP_VECTOR, ANY_ERROR, &f);
	report_diag("step: #DE");
	try_call(div0, NULL, &f);
	report_exception("runtime.smoke.exception",
			 "a divide error is delivered as #DE", DE_VECTOR,
			 ANY_ERROR, &f);
	report_diag("step: CPL 3 round trip");
	run_at_cpl(3, user_code, &cs, &f);
	report_eq("runtime.smoke.cpl3",
		  "code at CPL 3 runs and returns to CPL 0",
		  ((u64)NO_FAULT << 16) | 3, ((u64)f.vector << 16) | (cs & 3));

	report_diag("step: PIT interrupt wakes HLT");
	set_irq_handler(PIC_VECTOR_BASE, timer_irq);
	pic_init();
	pit_periodic(1000);
	pic_unmask(0);
	/* STI's interrupt shadow covers the HLT, so no tick is lost between
	 * them (SDM Vol. 2B, STI). */
	asm volatile("sti; hlt; cli" ::: "memory");
	pit_stop();
	pic_mask(0);
	report("runtime.smoke.pit-irq",
	       "a PIT interrupt through the PIC wakes HLT and is delivered",
	       ticks > 0, "expected at least one tick on vector 0x20, saw %u",
	       ticks);
}
