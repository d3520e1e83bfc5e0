/*
 * conformance.nmi.shadow: NMIs and the STI / MOV SS interrupt shadows
 * (SDM Vol. 3A 6.8.3; Vol. 2B STI: "NMIs ... may be inhibited on the
 * instruction boundary following an execution of STI that begins with
 * IF = 0"; MOV SS and POP SS inhibit interrupts "until the instruction
 * boundary following the next instruction"; APM Vol. 2 8.2.3 and 8.5).
 * Whether the shadow holds an NMI is the processor's choice; what the SDM
 * pins down is that it lasts one instruction. So the instruction in the
 * shadow here is the ICR write that sends the NMI: the NMI is then
 * pending only at boundaries no shadow covers, and must arrive, once,
 * after the write. A monitor that emulates STI or MOV SS and keeps its
 * shadow flag too long, or drops an NMI requested inside it, fails.
 */
#include "nmi.h"

extern char nmi_sti_after[], nmi_sti_end[], nmi_ss_after[], nmi_ss_end[];
#ifndef __x86_64__
extern char nmi_pop_after[], nmi_pop_end[];
#endif

struct shadow {
	int kind; /* 0 STI, 1 MOV SS, 2 POP SS */
	u64 cycles;
};

/* The wait after the write: no stack use, bounded like nmi_wait(). */
#define WAIT_LOOP(end)                                                         \
	"1: cmpl $0, %[count]\n\t"                                             \
	"jne 2f\n\t"                                                           \
	"dec %[n]\n\t"                                                         \
	"jnz 1b\n\t"                                                           \
	"2:\n\t" AT(end) "nop"

PROBE in_shadow(void *a)
{
	struct shadow *s = a;
	volatile u32 *icr = lapic_reg(APIC_ICR_LO);
	ulong n = NMI_WAIT_LOOPS;
	u64 t0;

	lapic_write(APIC_ICR_HI, (u32)lapic_id() << 24);
	t0 = rdtsc();
	if (s->kind == 0)
		asm volatile("sti\n\t"
			     "movl %[lo], (%[icr])\n\t" AT(nmi_sti_after)
				     WAIT_LOOP(nmi_sti_end) "\n\tcli"
			     : [n] "+r"(n)
			     : [lo] "r"(APIC_DM_NMI), [icr] "r"(icr),
			       [count] "m"(nmi_log.count)
			     : "memory", "cc");
	else if (s->kind == 1)
		asm volatile("mov %%ss, %%ecx\n\t"
			     "mov %%ecx, %%ss\n\t"
			     "movl %[lo], (%[icr])\n\t" AT(nmi_ss_after)
				     WAIT_LOOP(nmi_ss_end)
			     : [n] "+r"(n)
			     : [lo] "r"(APIC_DM_NMI), [icr] "r"(icr),
			       [count] "m"(nmi_log.count)
			     : "ecx", "memory", "cc");
#ifndef __x86_64__
	else
		asm volatile("push %%ss\n\t"
			     "pop %%ss\n\t"
			     "movl %[lo], (%[icr])\n\t" AT(nmi_pop_after)
				     WAIT_LOOP(nmi_pop_end)
			     : [n] "+r"(n)
			     : [lo] "r"(APIC_DM_NMI), [icr] "r"(icr),
			       [count] "m"(nmi_log.count)
			     : "memory", "cc");
#endif
	s->cycles = rdtsc() - t0;
}

/* Runs one shadow case; returns the NMIs after a second full wait. */
static unsigned run(int kind, u64 *cycles)
{
	struct shadow s = {.kind = kind};
	struct fault f;

	nmi_reset();
	try_call(in_shadow, &s, &f);
	if (f.vector != NO_FAULT)
		report_diag("unexpected %s at %#lx in a shadow test",
			    vector_name(f.vector), f.ip);
	*cycles = s.cycles;
	return nmi_wait(2, NULL);
}

static bool between(ulong ip, const char *lo, const char *hi)
{
	return ip >= (ulong)lo && ip <= (ulong)hi;
}

void nmi_shadow_checks(void)
{
	u64 c;
	unsigned n;
	ulong ip;

	n = run(0, &c);
	ip = nmi_log.ev[0].ip;
	report_nmis("conformance.nmi.shadow.sti.delivered",
		    "an NMI sent by the instruction in the STI shadow (STI "
		    "with IF=0) is delivered once",
		    1, n, c);
	report("conformance.nmi.shadow.sti.ip",
	       "that NMI arrives after the ICR write: the shadow covers one "
	       "boundary only",
	       between(ip, nmi_sti_after, nmi_sti_end),
	       "expected an IP in [%#lx, %#lx], saw %#lx", (ulong)nmi_sti_after,
	       (ulong)nmi_sti_end, ip);

	n = run(1, &c);
	ip = nmi_log.ev[0].ip;
	report_nmis("conformance.nmi.shadow.mov-ss.delivered",
		    "an NMI sent by the instruction in the MOV SS shadow is "
		    "delivered once",
		    1, n, c);
	report("conformance.nmi.shadow.mov-ss.ip",
	       "that NMI arrives after the ICR write, not before it",
	       between(ip, nmi_ss_after, nmi_ss_end),
	       "expected an IP in [%#lx, %#lx], saw %#lx", (ulong)nmi_ss_after,
	       (ulong)nmi_ss_end, ip);

#ifndef __x86_64__
	n = run(2, &c);
	ip = nmi_log.ev[0].ip;
	report_nmis("conformance.nmi.shadow.pop-ss.delivered",
		    "an NMI sent by the instruction in the POP SS shadow is "
		    "delivered once",
		    1, n, c);
	report("conformance.nmi.shadow.pop-ss.ip",
	       "that NMI arrives after the ICR write, not before it",
	       between(ip, nmi_pop_after, nmi_pop_end),
	       "expected an IP in [%#lx, %#lx], saw %#lx", (ulong)nmi_pop_after,
	       (ulong)nmi_pop_end, ip);
#endif
}
