/*
 * conformance.nmi.df: an NMI pending while a double fault is delivered.
 * #DE whose gate is not present raises #NP during its delivery, and two
 * contributory exceptions make #DF (SDM Vol. 3A 6.15, Table 6-5), here
 * inside the NMI handler: delivering #DF does not unblock NMIs, the #DF
 * handler's IRET does (6.7.1). Second case: the IRET that faults (null
 * CS) while #GP's gate is not present, so that IRET unblocks NMIs and
 * its #GP becomes #DF: the held NMI arrives as the #DF handler is
 * entered, before its first instruction.
 */
#include "nmi.h"

extern char nmi_div[], nmi_div_resume[];
void exception_dispatch(struct ex_regs *r);

static volatile unsigned df_hits, df_count, after_df;
static volatile ulong df_err;
static ulong df_ip, df_sp;

static void df_handler(struct ex_regs *r)
{
	if (!df_ip) {
		set_irq_handler(DF_VECTOR, NULL);
		exception_dispatch(r);
		return;
	}
	df_hits++;
	df_count = nmi_log.count;
	df_err = r->error;
	/* #DF saves an undefined CS:EIP (SDM Vol. 3A 6.15, interrupt 8):
	 * resume where the test says. */
	nmi_resume_at(r, df_ip, df_sp ? df_sp : nmi_bad_sp);
	df_ip = 0;
}

static void arm(ulong ip)
{
	df_hits = df_count = after_df = 0;
	df_err = ~0ul;
	df_ip = ip;
	set_irq_handler(DF_VECTOR, df_handler);
}

static void disarm(void)
{
	df_ip = 0;
	set_irq_handler(DF_VECTOR, NULL);
}

static void pending_div(void)
{
	nmi_make_pending();
	idt_set_present(DE_VECTOR, false);
	arm((ulong)nmi_div_resume);
	asm volatile("mov " NMI_SP ", %[sp]\n\t"
		     "xor %%eax, %%eax\n\t"
		     "xor %%edx, %%edx\n\t"
		     "xor %%ecx, %%ecx\n\t" AT(nmi_div) "divl %%ecx\n\t" AT(
			     nmi_div_resume) "nop"
		     : [sp] "=m"(df_sp)
		     :
		     : "eax", "ecx", "edx", "memory", "cc");
	after_df = nmi_log.count;
	idt_set_present(DE_VECTOR, true);
	disarm();
}

static void blocked(void)
{
	u64 c;
	unsigned n = nmi_with_hook(pending_div, &c);

	report("conformance.nmi.df.blocked.df",
	       "#DE through a not-present gate in the NMI handler ends in "
	       "#DF(0)",
	       df_hits == 1 && df_err == 0,
	       "expected one #DF(0), saw %u, error %#lx", df_hits, df_err);
	report_eq("conformance.nmi.df.blocked.held",
		  "delivering #DF does not unblock NMIs: the #DF handler "
		  "sees one NMI",
		  1, df_count);
	report("conformance.nmi.df.blocked.after-iret",
	       "the #DF handler's IRET unblocks NMIs: the held NMI is in "
	       "before the instruction it returns to",
	       after_df == 2 && n == 2,
	       "expected 2 NMIs at the return from #DF, saw %u (%u in all)",
	       after_df, n);
	report_eq("conformance.nmi.df.blocked.ip",
		  "the held NMI's saved IP is where the #DF handler returned",
		  (ulong)nmi_div_resume, nmi_log.ev[1].ip);
}

static void pending_bad_iret(void)
{
	nmi_make_pending();
	idt_set_present(GP_VECTOR, false);
	arm((ulong)nmi_bad_resume);
	df_sp = 0; /* resume with the faulting IRET's stack pointer */
	nmi_faulting_iret();
	after_df = nmi_log.count;
	idt_set_present(GP_VECTOR, true);
	disarm();
}

static void entry(void)
{
	u64 c;
	unsigned n;

	n = nmi_with_hook(pending_bad_iret, &c);
	report("conformance.nmi.df.entry.df",
	       "an IRET to a null CS with #GP's gate not present ends in "
	       "#DF(0)",
	       df_hits == 1 && df_err == 0,
	       "expected one #DF(0), saw %u, error %#lx", df_hits, df_err);
	report("conformance.nmi.df.entry.delivered",
	       "the NMI held before that IRET is delivered by the time the "
	       "#DF handler has returned",
	       after_df == 2 && n == 2,
	       "expected 2 NMIs after #DF, saw %u (%u in all)", after_df, n);
	report("conformance.nmi.df.entry.first-insn",
	       "the IRET unblocked NMIs before #DF was delivered: the held "
	       "NMI interrupts the #DF handler's first instruction (SDM "
	       "6.7.1; off Intel after its IRET is accepted)",
	       nmi_unblocked_early(nmi_stub(DF_VECTOR), df_count),
	       "expected the NMI at %#lx with the #DF handler not yet run, "
	       "saw it at %#lx, %u NMIs when the #DF handler ran",
	       nmi_stub(DF_VECTOR), nmi_log.ev[1].ip, df_count);
}

void nmi_df_checks(void)
{
	blocked();
	entry();
}
