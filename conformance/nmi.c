/*
 * conformance.nmi: NMIs this processor sends itself through its local
 * APIC (SDM Vol. 3A 6.7 "Nonmaskable Interrupt"; the APIC chapter,
 * "Interrupt Command Register" and its table of valid ICR combinations;
 * AMD APM Vol. 2 8.2.3 and 16.5). An NMI message ignores the ICR's vector
 * and always arrives as vector 2, whatever IF says. A monitor with a
 * software LAPIC must turn an ICR write with delivery mode NMI into an
 * NMI for its guest, not a fixed interrupt or nothing.
 *
 * This file: the handler, bounded waits, delivery through the ICR and
 * LVT LINT1. nmi_block.c: blocking until IRET, #DF, interrupt shadows.
 */
#include "nmi.h"
#include "pic.h"

POPEK_IMAGE(0, 0);

struct nmi_log nmi_log;
void (*volatile nmi_hook)(void);

void nmi_reset(void)
{
	memset((void *)&nmi_log, 0, sizeof(nmi_log));
	nmi_hook = NULL;
}

static void nmi_handler(struct ex_regs *r)
{
	unsigned n = nmi_log.count;

	if (n < NMI_LOG_MAX) {
		struct nmi_event *e = &nmi_log.ev[n];

		e->ip = r->ip;
		e->cs = r->cs;
		e->flags = r->flags;
		e->frame = (ulong)&r->ip;
#ifdef __x86_64__
		e->sp = r->sp;
		e->ss = r->ss;
#else
		/* only a privilege change pushes SS:ESP */
		e->sp = (r->cs & 3) ? r->sp : 0;
		e->ss = (r->cs & 3) ? r->ss : 0;
#endif
		e->handler_flags = read_flags();
		e->depth = nmi_log.depth;
	}
	nmi_log.count = n + 1;
	nmi_log.depth++;
	if (n == 0 && nmi_hook) {
		void (*h)(void) = nmi_hook;

		nmi_hook = NULL;
		h();
	}
	nmi_log.depth--;
}

unsigned nmi_wait(unsigned want, u64 *cycles)
{
	u64 t0 = rdtsc();

	for (ulong i = 0; nmi_log.count < want && i < NMI_WAIT_LOOPS; i++) {
		/* RDTSC may exit to a monitor: not on every iteration. */
		if (!(i & 1023) && rdtsc() - t0 > NMI_WAIT_CYCLES)
			break;
		asm volatile("" ::: "memory");
	}
	if (cycles)
		*cycles = rdtsc() - t0;
	return nmi_log.count;
}

bool nmi_check_count(const char *id, unsigned want, unsigned seen, u64 cycles)
{
	if (want && !seen)
		return report_result(id, false,
				     "expected %u NMI%s, none in "
				     "%llu cycles",
				     want, want == 1 ? "" : "s",
				     (unsigned long long)cycles);
	return report_result(
		id, seen == want, "expected %u NMI%s, saw %u in %llu cycles",
		want, want == 1 ? "" : "s", seen, (unsigned long long)cycles);
}

bool nmi_vendor_intel(void)
{
	struct cpuid c = cpuid(0, 0);

	/* "GenuineIntel" in EBX, EDX, ECX */
	return c.b == 0x756e6547 && c.d == 0x49656e69 && c.c == 0x6c65746e;
}

/* --- one NMI through the ICR, timed from the write --- */

struct send {
	u32 dest, lo;
	bool intf;
	u64 cycles;
	unsigned seen; /* NMIs after a second, full-length wait */
};

extern char nmi_loop[], nmi_loop_end[];
static ulong wait_sp;

/*
 * Writes ICR low and spins without touching the stack until the first NMI:
 * the frame it pushes can then be compared with the stack pointer saved
 * before the write.
 */
PROBE send_and_wait(void *a)
{
	struct send *s = a;
	volatile u32 *icr = lapic_reg(APIC_ICR_LO);
	ulong n = NMI_WAIT_LOOPS;
	u64 t0;

	lapic_write(APIC_ICR_HI, s->dest << 24);
	if (s->intf)
		sti();
	t0 = rdtsc();
	asm volatile(
		"mov " NMI_SP ", %[sp]\n\t"
		"movl %[lo], (%[icr])\n\t" AT(
			nmi_loop) "cmpl $0, %[count]\n\t"
				  "jne 1f\n\t"
				  "dec %[n]\n\t"
				  "jnz nmi_loop\n\t"
				  "1:\n\t" AT(nmi_loop_end) "nop"
		: [sp] "=m"(wait_sp), [n] "+r"(n)
		: [lo] "r"(s->lo), [icr] "r"(icr), [count] "m"(nmi_log.count)
		: "memory", "cc");
	cli();
	s->cycles = rdtsc() - t0;
}

/* Any other form of the ICR: sends, then waits for want NMIs. */
PROBE send_only(void *a)
{
	struct send *s = a;

	lapic_send(s->dest, s->lo);
	if (s->intf)
		sti();
	nmi_wait(1, &s->cycles);
	cli();
}

/* Runs fn, then a second full wait: an NMI delivered twice shows. */
static unsigned run_send(void (*fn)(void *), struct send *s)
{
	struct fault f;
	u64 c;

	nmi_reset();
	try_call(fn, s, &f);
	if (f.vector != NO_FAULT)
		report_diag("unexpected %s at %#lx while sending an NMI",
			    vector_name(f.vector), f.ip);
	s->seen = nmi_wait(2, &c);
	return s->seen;
}

static bool in_loop(ulong ip)
{
	return ip >= (ulong)nmi_loop && ip <= (ulong)nmi_loop_end;
}

static void self_physical(void)
{
	struct send s = {.dest = lapic_id(), .lo = APIC_DM_NMI};
	struct nmi_event *e = &nmi_log.ev[0];

	run_send(send_and_wait, &s);
	report_nmis("conformance.nmi.lapic.self.delivered",
		    "an ICR write with delivery mode NMI to the own APIC ID "
		    "(physical, no shorthand) delivers exactly one NMI",
		    1, s.seen, s.cycles);
	report("conformance.nmi.lapic.self.ip",
	       "the NMI's saved IP is an instruction boundary after the ICR "
	       "write, in the loop waiting for it",
	       in_loop(e->ip), "expected an IP in [%#lx, %#lx], saw %#lx",
	       (ulong)nmi_loop, (ulong)nmi_loop_end, e->ip);
	report_eq("conformance.nmi.lapic.self.cs",
		  "the NMI's saved CS is the interrupted code's", KERNEL_CS,
		  e->cs);
	report_eq("conformance.nmi.lapic.self.if0",
		  "an NMI is delivered with IF=0, and the saved EFLAGS show "
		  "IF=0",
		  0, e->flags & X86_EFLAGS_IF);
#ifdef __x86_64__
	/* IA-32e mode aligns RSP to 16 and pushes SS, RSP, RFLAGS, CS, RIP
	 * (SDM Vol. 3A 6.14.2); the gate's IST is 0 here (probe_main). */
	report_eq("conformance.nmi.lapic.self.no-error-code",
		  "the NMI frame is SS, RSP, RFLAGS, CS, RIP and no error "
		  "code: RIP 40 bytes below the 16-aligned interrupted RSP",
		  40, (wait_sp & ~15ul) - e->frame);
	report("conformance.nmi.lapic.self.ss-rsp",
	       "the NMI frame holds the interrupted SS and RSP",
	       e->sp == wait_sp && e->ss == read_ss(),
	       "expected %#x:%#lx, saw %#x:%#lx", read_ss(), wait_sp, e->ss,
	       e->sp);
#else
	/* Same privilege: EFLAGS, CS, EIP (SDM Vol. 3A 6.12.1, Figure 6-4). */
	report_eq("conformance.nmi.lapic.self.no-error-code",
		  "the NMI frame is EFLAGS, CS, EIP and no error code: EIP "
		  "12 bytes below the interrupted ESP",
		  12, wait_sp - e->frame);
#endif
}

static void self_if1(void)
{
	struct send s = {.dest = lapic_id(), .lo = APIC_DM_NMI, .intf = true};
	struct nmi_event *e = &nmi_log.ev[0];

	run_send(send_and_wait, &s);
	report_nmis("conformance.nmi.lapic.if1.delivered",
		    "a self-NMI with IF=1 is delivered exactly once", 1, s.seen,
		    s.cycles);
	report_eq("conformance.nmi.lapic.if1.saved-if",
		  "the NMI frame's EFLAGS show the interrupted IF=1",
		  X86_EFLAGS_IF, e->flags & X86_EFLAGS_IF);
	report_eq("conformance.nmi.lapic.if1.handler-if",
		  "the NMI handler, reached through an interrupt gate, runs "
		  "with IF=0",
		  0, e->handler_flags & X86_EFLAGS_IF);
}

static volatile unsigned fixed_hits;

static void fixed_handler(struct ex_regs *r)
{
	(void)r;
	fixed_hits++;
	lapic_write(APIC_EOI, 0);
}

static u32 irr_bit(u8 v)
{
	return lapic_read(APIC_IRR + 0x10 * (v / 32)) & (1u << (v % 32));
}

/* The vector field of an NMI message is ignored (SDM Vol. 3A, "Interrupt
 * Command Register", delivery mode 100). */
static void vector_ignored(void)
{
	struct send s = {
		.dest = lapic_id(), .lo = APIC_DM_NMI | 0x40, .intf = true};
	u32 icr, irr;
	unsigned g;

	fixed_hits = 0;
	set_irq_handler(0x40, fixed_handler);
	run_send(send_only, &s);
	for (g = 0;
	     (lapic_read(APIC_ICR_LO) & APIC_DELIVERY_PENDING) && g < 1000u;
	     g++)
		;
	icr = lapic_read(APIC_ICR_LO);
	irr = irr_bit(0x40);
	set_irq_handler(0x40, NULL);
	report_nmis("conformance.nmi.lapic.vector-ignored.nmi",
		    "an NMI message with vector 0x40 arrives as one NMI "
		    "(vector 2)",
		    1, s.seen, s.cycles);
	report("conformance.nmi.lapic.vector-ignored.no-fixed",
	       "an NMI message with vector 0x40 raises no interrupt 0x40 and "
	       "sets no IRR bit, even with IF=1",
	       fixed_hits == 0 && irr == 0,
	       "expected no INT 0x40, saw %u, IRR bit %s", fixed_hits,
	       irr ? "set" : "clear");
	report_eq("conformance.nmi.lapic.icr.idle",
		  "ICR delivery status (bit 12) reads idle once the NMI is "
		  "sent",
		  0, icr & APIC_DELIVERY_PENDING);
	report_eq("conformance.nmi.lapic.icr.readback",
		  "ICR low reads back the delivery mode (NMI) and vector "
		  "written",
		  APIC_DM_NMI | 0x40, icr & 0x7ff);

	s.lo = APIC_DM_NMI | 0x05;
	run_send(send_only, &s);
	report_nmis("conformance.nmi.lapic.vector-illegal.nmi",
		    "an NMI message with vector 5 (illegal for fixed "
		    "delivery) still arrives as one NMI",
		    1, s.seen, s.cycles);
}

/* The forms of the ICR that reach, or do not reach, this processor
 * (SDM Vol. 3A, "Determining IPI Destination" and the valid-combinations
 * tables; no shorthand is valid for NMI in every destination mode). */
static void destinations(void)
{
	u8 id = lapic_id();
	u32 ldr = lapic_read(APIC_LDR), dfr = lapic_read(APIC_DFR);
	struct send s = {.dest = 0xff, .lo = APIC_DM_NMI};

	run_send(send_only, &s);
	report_nmis("conformance.nmi.lapic.broadcast",
		    "an NMI to physical destination 0xff (broadcast) reaches "
		    "this processor once",
		    1, s.seen, s.cycles);

	s.dest = (u8)(id + 1) == 0xff ? (u8)(id + 2) : (u8)(id + 1);
	run_send(send_only, &s);
	report_nmis("conformance.nmi.lapic.other-id",
		    "an NMI to another physical APIC ID does not reach this "
		    "processor",
		    0, s.seen, s.cycles);

	s.dest = 0;
	s.lo = APIC_DM_NMI | APIC_SHORT_ALL_BUT;
	run_send(send_only, &s);
	report_nmis("conformance.nmi.lapic.all-excluding-self",
		    "an NMI with the all-excluding-self shorthand does not "
		    "reach the sender",
		    0, s.seen, s.cycles);

	/* Flat model, logical ID bit 0 (SDM Vol. 3A, "Logical Destination
	 * Mode"). */
	lapic_write(APIC_DFR, 0xffffffffu);
	lapic_write(APIC_LDR, 0x01000000u);
	s.dest = 0x01;
	s.lo = APIC_DM_NMI | APIC_DEST_LOGICAL;
	run_send(send_only, &s);
	report_nmis("conformance.nmi.lapic.logical",
		    "an NMI to logical destination 0x01 (flat model) reaches "
		    "the processor whose LDR is 0x01",
		    1, s.seen, s.cycles);
	s.dest = 0x02;
	run_send(send_only, &s);
	report_nmis("conformance.nmi.lapic.logical-miss",
		    "an NMI to logical destination 0x02 does not reach the "
		    "processor whose LDR is 0x01",
		    0, s.seen, s.cycles);
	lapic_write(APIC_LDR, ldr);
	lapic_write(APIC_DFR, dfr);

	/* Level with assert: valid on P6, and on the xAPIC "issued as an
	 * edge triggered interrupt" (table notes): one NMI either way. */
	s.dest = id;
	s.lo = APIC_DM_NMI | APIC_TRIGGER_LEVEL | APIC_LEVEL_ASSERT;
	run_send(send_only, &s);
	report_nmis("conformance.nmi.lapic.level",
		    "an NMI sent with trigger mode level (assert) is one NMI",
		    1, s.seen, s.cycles);
}

/*
 * LVT LINT1 with delivery mode NMI, how firmware wires the platform's NMI
 * (SDM Vol. 3A, "Local Vector Table"). The guest cannot raise the pin
 * itself; what it can check is that the entry holds its fields and that
 * programming it sends nothing.
 */
static void lint1(void)
{
	u32 old = lapic_read(APIC_LVT_LINT1), v;
	unsigned n;
	u64 c;

	nmi_reset();
	lapic_write(APIC_LVT_LINT1, APIC_DM_NMI | 0x20);
	v = lapic_read(APIC_LVT_LINT1);
	report_eq("conformance.nmi.lint1.readback",
		  "LVT LINT1 written with delivery mode NMI, vector 0x20, "
		  "unmasked, edge reads back 0x420",
		  APIC_DM_NMI | 0x20, v);
	n = nmi_wait(1, &c);
	report_nmis("conformance.nmi.lint1.quiet",
		    "unmasking LVT LINT1 in NMI mode delivers nothing while "
		    "the pin is not raised",
		    0, n, c);
	lapic_write(APIC_LVT_LINT1, APIC_LVT_MASKED | APIC_DM_NMI | 0x20);
	report_eq("conformance.nmi.lint1.masked",
		  "LVT LINT1 keeps the mask bit (16) with delivery mode NMI",
		  APIC_LVT_MASKED | APIC_DM_NMI | 0x20,
		  lapic_read(APIC_LVT_LINT1));
	lapic_write(APIC_LVT_LINT1, old);
}

PROBE send_from_cpl3(void *a)
{
	struct send *s = a;

	lapic_send(s->dest, s->lo);
	nmi_wait(1, &s->cycles);
}

/* NMIs are not subject to gate DPL and leave CPL 3 through the TSS's
 * ring-0 stack (SDM Vol. 3A 6.12.1, 6.12.1.1; 64-bit: 6.14.2). */
static void from_cpl3(void)
{
	struct send s = {.dest = lapic_id(), .lo = APIC_DM_NMI};
	struct nmi_event *e = &nmi_log.ev[0];
	struct fault f;
	unsigned n;

	nmi_reset();
	run_at_cpl_flags(3, iopl_flags(0, false), send_from_cpl3, &s, &f);
	n = nmi_wait(2, NULL);
	/* The way back to CPL 0 (INT 0x7f) is the runtime's, not this
	 * check's: what it raised is only noted. */
	if (f.vector != NO_FAULT)
		report_diag("returning from CPL 3 raised %s at %#lx",
			    vector_name(f.vector), f.ip);
	report_nmis("conformance.nmi.lapic.cpl3.delivered",
		    "an NMI sent at CPL 3 (the xAPIC page is user-accessible "
		    "here) is delivered once",
		    1, n, s.cycles);
	report_eq("conformance.nmi.lapic.cpl3.cs",
		  "the NMI frame holds the CPL 3 code selector (RPL 3)",
		  sel_code_rpl(3), e->cs);
	report_eq("conformance.nmi.lapic.cpl3.ss",
		  "the NMI frame holds the CPL 3 stack selector: the handler "
		  "ran on the ring-0 stack",
		  sel_data_rpl(3), e->ss);
}

static void spurious(struct ex_regs *r)
{
	(void)r;
}

/* Linux and this runtime put NMI on IST 1; a nested NMI would then
 * overwrite the frame of the one it interrupts. The nesting tests need
 * each frame on the stack of the code it interrupts (IST 0). */
static void nmi_gate_ist(u8 ist)
{
#ifdef __x86_64__
	struct descriptor_ptr p;

	idt_loaded(&p);
	((volatile u8 *)p.base)[NMI_VECTOR * 16 + 4] = ist;
#else
	(void)ist;
#endif
}

void probe_main(void)
{
	pic_init();
	nmi_lapic_init();
	set_irq_handler(0xff, spurious);
	set_irq_handler(NMI_VECTOR, nmi_handler);
	nmi_gate_ist(0);
	self_physical();
	self_if1();
	vector_ignored();
	destinations();
	lint1();
	from_cpl3();
	nmi_block_checks();
	nmi_shadow_checks();
	nmi_exception_iret_checks();
	nmi_gate_ist(1);
	set_irq_handler(NMI_VECTOR, NULL);
}
