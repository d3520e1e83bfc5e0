/*
 * conformance.nmi.block: "While an NMI interrupt handler is executing, the
 * processor blocks delivery of subsequent NMIs until the next execution
 * of the IRET instruction", and "an execution of the IRET instruction
 * unblocks NMIs even if the instruction causes a fault" (SDM Vol. 3A
 * 6.7.1). Any IRET: the one that ends an exception handler nested in the
 * NMI handler unblocks too. The APM (Vol. 2 8.2.3) masks NMIs "until the
 * IRET" and says nothing of an IRET that faults, so off Intel the pending
 * NMI may also come only after the #GP handler's own IRET.
 *
 * Each test makes a second NMI pending from inside the first handler (a
 * self-NMI while blocked), then does one thing that may unblock it. A
 * monitor that injects NMIs must track this blocking itself: inject the
 * second NMI neither inside the handler nor later than the IRET.
 */
#include "nmi.h"

extern char isr_stubs[];
void exception_dispatch(struct ex_regs *r);

/* Interrupt and exception handlers enter at isr_stubs + 16 * vector. */
ulong nmi_stub(int vector)
{
	return (ulong)isr_stubs + 16 * (ulong)vector;
}

volatile unsigned nmi_held;
u64 nmi_held_cycles;

/* Sends the second NMI and waits the full bound: it must stay pending. */
void nmi_make_pending(void)
{
	send_self_nmi();
	nmi_held = nmi_wait(2, &nmi_held_cycles);
}

PROBE first_nmi(void *hook)
{
	nmi_reset();
	nmi_hook = (void (*)(void))hook;
	send_self_nmi();
	nmi_wait(1, NULL);
}

/* Runs hook in the first NMI's handler; returns the NMIs seen after a
 * full wait once it has returned. */
unsigned nmi_with_hook(void (*hook)(void), u64 *cycles)
{
	struct fault f;

	nmi_held = 0;
	try_call(first_nmi, (void *)hook, &f);
	if (f.vector != NO_FAULT)
		report_diag("unexpected %s at %#lx in an NMI test",
			    vector_name(f.vector), f.ip);
	return nmi_wait(3, cycles);
}

static void nested(void)
{
	u64 c;
	unsigned n = nmi_with_hook(nmi_make_pending, &c);

	report_nmis("conformance.nmi.block.nested.held",
		    "an NMI sent while the NMI handler runs is not delivered "
		    "before the handler's IRET",
		    1, nmi_held, nmi_held_cycles);
	report_nmis("conformance.nmi.block.nested.after-iret",
		    "the NMI held during the handler is delivered after its "
		    "IRET, exactly once",
		    2, n, c);
	report("conformance.nmi.block.nested.ip",
	       "the held NMI is taken at the first boundary after the IRET: "
	       "its saved IP is the one the first NMI saved",
	       n >= 2 && nmi_log.ev[1].ip == nmi_log.ev[0].ip,
	       "expected IP %#lx, saw %#lx (%u NMIs)", nmi_log.ev[0].ip,
	       nmi_log.ev[1].ip, n);
	report_eq("conformance.nmi.block.nested.depth",
		  "the held NMI does not nest: it arrives with no NMI handler "
		  "running",
		  0, nmi_log.ev[1].depth);
}

static void pending_sti(void)
{
	send_self_nmi();
	sti();
	nmi_held = nmi_wait(2, &nmi_held_cycles);
	cli();
}

static void with_sti(void)
{
	u64 c;
	unsigned n = nmi_with_hook(pending_sti, &c);

	report_nmis("conformance.nmi.block.sti.held",
		    "STI in the NMI handler does not unblock NMIs: the NMI "
		    "sent there is held with IF=1",
		    1, nmi_held, nmi_held_cycles);
	report_nmis("conformance.nmi.block.sti.after-iret",
		    "the NMI held with IF=1 is delivered after the handler's "
		    "IRET",
		    2, n, c);
}

/* --- an exception handler's IRET inside the NMI handler --- */

extern char nmi_after_int3[];
static volatile unsigned bp_count, after_bp;

static void bp_handler(struct ex_regs *r)
{
	(void)r;
	bp_count = nmi_log.count;
}

static void pending_int3(void)
{
	nmi_make_pending();
	set_irq_handler(BP_VECTOR, bp_handler);
	asm volatile("int3\n\t" AT(nmi_after_int3) "nop" ::: "memory");
	after_bp = nmi_log.count;
	set_irq_handler(BP_VECTOR, NULL);
}

/* Last in the image: INT3 ends the run on kvm_pvm, and every other check
 * is reported before it. */
void nmi_exception_iret_checks(void)
{
	u64 c;
	unsigned n;

	bp_count = after_bp = 0;
	n = nmi_with_hook(pending_int3, &c);
	report_eq("conformance.nmi.block.exc-iret.bp-held",
		  "delivering #BP inside the NMI handler does not unblock "
		  "NMIs: the #BP handler sees one NMI",
		  1, bp_count);
	report_eq("conformance.nmi.block.exc-iret.delivered",
		  "the #BP handler's IRET unblocks NMIs: the held NMI is in "
		  "before the instruction after INT3",
		  2, after_bp);
	report("conformance.nmi.block.exc-iret.ip",
	       "the held NMI's saved IP is the instruction after INT3",
	       n >= 2 && nmi_log.ev[1].ip == (ulong)nmi_after_int3,
	       "expected %#lx, saw %#lx (%u NMIs)", (ulong)nmi_after_int3,
	       nmi_log.ev[1].ip, n);
	report_eq("conformance.nmi.block.exc-iret.nested",
		  "the held NMI nests inside the first NMI handler", 1,
		  nmi_log.ev[1].depth);
}

/* --- an IRET that faults --- */

/*
 * IRET to a null CS: #GP(0) (SDM Vol. 2A IRET, protected mode and
 * IA-32e mode). The exception handlers below resume at nmi_bad_resume
 * with the stack as it was at the IRET.
 */
extern char nmi_bad_iret[], nmi_bad_resume[];
ulong nmi_bad_sp;

__attribute__((noinline, noclone)) void nmi_faulting_iret(void)
{
#ifdef __x86_64__
	asm volatile(
		"mov %%ss, %%eax\n\t"
		"pushq %%rax\n\t"
		"pushq %%rsp\n\t"
		"pushfq\n\t"
		"pushq $0\n\t"
		"lea nmi_bad_resume(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"mov %%rsp, nmi_bad_sp(%%rip)\n\t" AT(
			nmi_bad_iret) "iretq\n\t" AT(nmi_bad_resume) "addq "
								     "$40, "
								     "%%rsp"
		:
		:
		: "rax", "memory", "cc");
#else
	asm volatile("pushfl\n\t"
		     "pushl $0\n\t"
		     "pushl $nmi_bad_resume\n\t"
		     "mov %%esp, nmi_bad_sp\n\t" AT(nmi_bad_iret) "iret\n\t" AT(
			     nmi_bad_resume) "addl $12, %%esp"
		     :
		     :
		     : "memory", "cc");
#endif
}

/* Makes the handler's IRET land at ip with the stack pointer sp. */
void nmi_resume_at(struct ex_regs *r, ulong ip, ulong sp)
{
	r->ip = ip;
	r->cs = KERNEL_CS;
#ifdef __x86_64__
	r->sp = sp;
	r->ss = read_ss();
#else
	(void)sp;
#endif
}

static volatile unsigned gp_hits, gp_count, after_gp;
static volatile ulong gp_ip, gp_err;

static void gp_handler(struct ex_regs *r)
{
	if (r->ip != (ulong)nmi_bad_iret) {
		set_irq_handler(GP_VECTOR, NULL);
		exception_dispatch(r);
		return;
	}
	gp_hits++;
	gp_count = nmi_log.count;
	gp_ip = r->ip;
	gp_err = r->error;
	nmi_resume_at(r, (ulong)nmi_bad_resume, nmi_bad_sp);
}

static void pending_bad_iret(void)
{
	nmi_make_pending();
	set_irq_handler(GP_VECTOR, gp_handler);
	nmi_faulting_iret();
	after_gp = nmi_log.count;
	set_irq_handler(GP_VECTOR, NULL);
}

/*
 * Where the held NMI came: at the handler's first instruction (SDM:
 * unblocked before the handler is invoked), or, accepted off Intel, at
 * the resume point after the handler's IRET.
 */
bool nmi_unblocked_early(ulong stub, unsigned count_in_handler)
{
	const struct nmi_event *e = &nmi_log.ev[1];
	bool sdm = count_in_handler == 2 && e->ip == stub;
	bool late = count_in_handler == 1 && e->ip == (ulong)nmi_bad_resume;

	if (late)
		report_diag("the held NMI came after the handler's IRET "
			    "(%s)",
			    nmi_vendor_intel() ? "an Intel CPU: not accepted"
					       : "accepted off Intel");
	return sdm || (late && !nmi_vendor_intel());
}

static void faulting_iret(void)
{
	u64 c;
	unsigned n;

	gp_hits = gp_count = after_gp = 0;
	gp_err = ~0ul;
	n = nmi_with_hook(pending_bad_iret, &c);
	report("conformance.nmi.block.fault-iret.gp",
	       "an IRET to a null CS in the NMI handler raises #GP(0) at "
	       "the IRET",
	       gp_hits == 1 && gp_err == 0 && gp_ip == (ulong)nmi_bad_iret,
	       "expected one #GP(0) at %#lx, saw %u, error %#lx at %#lx",
	       (ulong)nmi_bad_iret, gp_hits, gp_err, gp_ip);
	report("conformance.nmi.block.fault-iret.unblocked",
	       "the faulting IRET unblocks NMIs: the held NMI is delivered "
	       "by the time the #GP handler has returned",
	       nmi_held == 1 && after_gp == 2 && n == 2,
	       "expected 1 NMI before the IRET and 2 after #GP, saw %u and "
	       "%u (%u in all)",
	       nmi_held, after_gp, n);
	report("conformance.nmi.block.fault-iret.first-insn",
	       "the held NMI is taken before the #GP handler's first "
	       "instruction (SDM 6.7.1; off Intel after its IRET is "
	       "accepted)",
	       nmi_unblocked_early(nmi_stub(GP_VECTOR), gp_count),
	       "expected the NMI at %#lx with the #GP handler not yet run, "
	       "saw it at %#lx, %u NMIs when the #GP handler ran",
	       nmi_stub(GP_VECTOR), nmi_log.ev[1].ip, gp_count);
}

void nmi_block_checks(void)
{
	nested();
	with_sti();
	faulting_iret();
	nmi_df_checks();
}
