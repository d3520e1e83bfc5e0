/*
 * conformance.apic.selfipi, .tpr.*, .cr8.*, .order, .eoi, .irr, .ppr.*,
 * .esr: accepting and dispatching fixed interrupts (SDM Vol. 3A 12.8.3
 * "Interrupt, Task, and Processor Priority", 12.8.4 "Interrupt
 * Acceptance", 12.8.5 "Signaling Interrupt Servicing Completion", 12.5.3
 * "Error Handling"; APM Vol. 2 16.6). A self-IPI sets its IRR bit; the
 * APIC dispatches the highest IRR vector whose class (bits 7:4) is above
 * PPR[7:4], moving it from IRR to ISR; PPR is the higher of TPR and the
 * in-service class; EOI clears the highest ISR bit. A vector 0-15 is
 * illegal: the sender logs "send illegal vector" (ESR bit 5).
 */
#include "apic.h"

/* Waits for vector v's IRR bit (a self-IPI is not instantaneous). */
static bool wait_irr(u8 v)
{
	for (int i = 0; i < 100000; i++)
		if (apic_bit(APIC_IRR, v))
			return true;
	return false;
}

static void selfipi(void)
{
	const char *pat = DECLARE_CHECK(
		"conformance.apic.selfipi.{irr,deliver,isr,ppr,eoi}.class{3.."
		"15}",
		"a self-IPI of vector {2} * 16 + 5: {1:with IF=0 it sets its "
		"IRR bit and is not delivered,with IF=1 it is then delivered "
		"once,its handler sees its ISR bit set and its IRR bit "
		"clear,its handler sees PPR = its class << 4 (TPR 0),the "
		"handler's EOI clears its ISR bit}");
	char id[5][CHECK_ID_MAX];

	for (int c = 3; c < 16; c++) {
		u8 v = (u8)(c << 4 | 5);
		bool irr, skip = false;
		unsigned early;

		for (int k = 0; k < 5; k++) {
			MEMBER(id[k], pat, k, c);
			skip |= apic_skipped(id[k]);
		}
		if (skip)
			continue;
		apic_hits_clear();
		cli();
		apic_self_ipi(v);
		irr = wait_irr(v);
		early = apic_hits[v];
		report_result(id[0], irr && !early,
			      "expected IRR bit %#x set and no delivery, saw "
			      "IRR %d, %u deliveries",
			      v, irr, early);
		irq_enable();
		apic_wait_hits(v, 1);
		apic_settle();
		cli();
		report_equal(id[1], 1, apic_hits[v]);
		report_result(id[2], apic_seen[v].isr && !apic_seen[v].irr,
			      "expected ISR 1 and IRR 0 in the handler, saw "
			      "ISR %d IRR %d",
			      apic_seen[v].isr, apic_seen[v].irr);
		report_equal(id[3], (u32)c << 4, apic_seen[v].ppr & 0xff);
		report_result(id[4],
			      !apic_bit(APIC_ISR, v) && !apic_bit(APIC_IRR, v),
			      "expected ISR and IRR bit %#x clear after EOI, "
			      "saw ISR %d IRR %d",
			      v, apic_bit(APIC_ISR, v), apic_bit(APIC_IRR, v));
	}
}

#ifdef __x86_64__
static void set_prio(bool cr8, u32 c)
{
	if (cr8)
		asm volatile("mov %0, %%cr8" : : "r"((ulong)c) : "memory");
	else
		apic_write(APIC_TPR, c << 4);
}
#define NPRIO	   2
#define PRIO_NAMES "{tpr,cr8}"
#define PRIO_DESC  "{1:TPR,CR8}"
#else
static void set_prio(bool cr8, u32 c)
{
	(void)cr8;
	apic_write(APIC_TPR, c << 4);
}
#define NPRIO	   1
#define PRIO_NAMES "{tpr}"
#define PRIO_DESC  "{1:TPR}"
#endif

/* TPR (and CR8) class c holds class-c vectors, passes class c+1. */
static void priority_masking(void)
{
	const char *pat = DECLARE_CHECK(
		"conformance.apic." PRIO_NAMES
		".{holds,passes,release}.class{3..14}",
		"with " PRIO_DESC " at class {3} and IF=1: {2:a self-IPI of "
		"that class stays in IRR undelivered,a self-IPI of the next "
		"class is still delivered,lowering it to 0 delivers the held "
		"vector}");
	char id[3][CHECK_ID_MAX];

	for (int m = 0; m < NPRIO; m++) {
		for (int c = 3; c < 15; c++) {
			u8 lo = (u8)(c << 4 | 5), hi = (u8)((c + 1) << 4 | 5);
			bool held, skip = false;

			for (int k = 0; k < 3; k++) {
				MEMBER(id[k], pat, m, k, c);
				skip |= apic_skipped(id[k]);
			}
			if (skip)
				continue;
			apic_hits_clear();
			cli();
			set_prio(m, (u32)c);
			apic_self_ipi(lo);
			wait_irr(lo);
			irq_enable();
			apic_settle();
			held = apic_bit(APIC_IRR, lo);
			report_result(id[0], !apic_hits[lo] && held,
				      "expected vector %#x held in IRR, saw %u "
				      "deliveries, IRR %d",
				      lo, apic_hits[lo], held);
			apic_self_ipi(hi);
			apic_wait_hits(hi, 1);
			report_result(id[1],
				      apic_hits[hi] == 1 && !apic_hits[lo],
				      "expected vector %#x delivered once and "
				      "%#x not, saw %u and %u",
				      hi, lo, apic_hits[hi], apic_hits[lo]);
			set_prio(m, 0);
			apic_wait_hits(lo, 1);
			cli();
			report_equal(id[2], 1, apic_hits[lo]);
		}
	}
	if (!apic.skip)
		apic_reset_state();
}

/* Three vectors pending at STI: taken highest class first. */
static void order(void)
{
	const char *id = DECLARE_CHECK(
		"conformance.apic.order.priority",
		"vectors 45H, A5H and 75H pending at STI are delivered "
		"A5H, 75H, 45H: the highest IRR vector first");
	const char *both = DECLARE_CHECK(
		"conformance.apic.irr.coalesce",
		"two self-IPIs of vector 65H sent with IF=0 are delivered "
		"once: IRR holds one bit per vector");

	if (apic_skipped(id)) {
		report_skipped(both, "%s", apic.skip);
		return;
	}
	apic_hits_clear();
	cli();
	apic_self_ipi(0x45);
	apic_self_ipi(0xa5);
	apic_self_ipi(0x75);
	wait_irr(0x45);
	irq_enable();
	apic_wait_hits(0x45, 1);
	cli();
	report_result(id,
		      apic_norder == 3 && apic_order[0] == 0xa5 &&
			      apic_order[1] == 0x75 && apic_order[2] == 0x45,
		      "expected a5 75 45, saw %u deliveries: %x %x %x",
		      apic_norder, apic_order[0], apic_order[1], apic_order[2]);
	apic_hits_clear();
	apic_self_ipi(0x65);
	wait_irr(0x65);
	apic_self_ipi(0x65);
	wait_irr(0x65);
	irq_enable();
	apic_wait_hits(0x65, 1);
	apic_settle();
	cli();
	report_equal(both, 1, apic_hits[0x65]);
}

/* Where vector v was first taken in apic_order, or -1. */
static int order_of(u8 v)
{
	for (unsigned i = 0; i < apic_norder && i < ARRAY_SIZE(apic_order); i++)
		if (apic_order[i] == v)
			return (int)i;
	return -1;
}

static volatile bool nest_isr_outer;
static volatile unsigned nest_same_during, nest_higher_during;

/* Runs in vector 45H's handler, before its EOI: interrupts nest by
 * class. */
static void nest_hook(void)
{
	apic_self_ipi(0x4a);
	apic_self_ipi(0xa5);
	sti();
	apic_wait_hits(0xa5, 1);
	apic_settle();
	cli();
	nest_higher_during = apic_hits[0xa5];
	nest_same_during = apic_hits[0x4a];
	nest_isr_outer = apic_bit(APIC_ISR, 0x45);
}

static void nesting(void)
{
	char id[CHECK_ID_MAX];
	bool ok[4];
	char why[4][96];

	if (!apic.skip) {
		apic_hits_clear();
		nest_higher_during = nest_same_during = 0;
		nest_isr_outer = false;
		apic.nest_vector = 0x45;
		apic.nest_hook = nest_hook;
		cli();
		apic_self_ipi(0x45);
		irq_enable();
		apic_wait_hits(0x45, 1);
		apic_wait_hits(0x4a, 1);
		cli();
		apic.nest_hook = NULL;
		ok[0] = nest_higher_during == 1 && nest_isr_outer;
		snprintf(why[0], sizeof(why[0]),
			 "saw %u deliveries of A5H, ISR bit 45H %d",
			 nest_higher_during, nest_isr_outer);
		ok[1] = nest_same_during == 0;
		snprintf(why[1], sizeof(why[1]), "saw %u deliveries of 4AH",
			 nest_same_during);
		ok[2] = (apic_seen[0xa5].ppr & 0xff) == 0xa0;
		snprintf(why[2], sizeof(why[2]), "expected PPR 0xa0, saw %#x",
			 apic_seen[0xa5].ppr);
		/* 4AH once, after A5H (taken inside 45H's handler); a
		 * spurious interrupt in between is allowed */
		ok[3] = apic_hits[0x4a] == 1 &&
			order_of(0x4a) > order_of(0xa5) &&
			order_of(0xa5) > order_of(0x45);
		snprintf(why[3], sizeof(why[3]),
			 "saw %u deliveries of 4AH, order %x %x %x %x",
			 apic_hits[0x4a], apic_order[0], apic_order[1],
			 apic_order[2], apic_order[3]);
	}
	for (int i = 0; i < 4; i++) {
		CHECK_ID(id,
			 "conformance.apic.order.nest.{higher,same-class,ppr,"
			 "after-eoi}",
			 "in vector 45H's handler with IF=1 {1:a vector of a "
			 "higher class (A5H) nests while 45H stays in "
			 "service,a vector of the same class (4AH) waits,the "
			 "nested A5H handler sees PPR A0H,4AH is delivered "
			 "after 45H's EOI}",
			 i);
		if (!apic_skipped(id))
			report_result(id, ok[i], "%s", why[i]);
	}
}

/* EOI clears the highest ISR bit; an in-service class blocks its own. */
static void eoi(void)
{
	static const char *const what[] = {
		"with 45H and A5H in service one EOI clears A5H only",
		"a second EOI clears 45H",
		"an EOI with nothing in service changes nothing",
		"with 45H in service (no EOI) vector 48H of its class waits",
		"EOI of 45H lets 48H in",
		"with 45H in service and TPR 60H, PPR is 60H",
		"with 45H in service and TPR 2AH, PPR is 40H",
	};
	char id[CHECK_ID_MAX];
	bool ok[7] = {0};
	u32 ppr1 = 0, ppr2 = 0;

	if (!apic.skip) {
		apic_hits_clear();
		apic_no_eoi = true;
		cli();
		apic_self_ipi(0x45);
		irq_enable();
		apic_wait_hits(0x45, 1);
		apic_self_ipi(0xa5);
		apic_wait_hits(0xa5, 1);
		cli();
		apic_write(APIC_EOI, 0);
		ok[0] = apic_bit(APIC_ISR, 0x45) && !apic_bit(APIC_ISR, 0xa5);
		apic_write(APIC_EOI, 0);
		ok[1] = !apic_bit(APIC_ISR, 0x45);
		apic_write(APIC_EOI, 0);
		ok[2] = !apic_bit(APIC_ISR, 0x45) && !apic_bit(APIC_ISR, 0xa5);
		apic_hits_clear();
		apic_self_ipi(0x45);
		irq_enable();
		apic_wait_hits(0x45, 1);
		apic_self_ipi(0x48);
		apic_settle();
		ok[3] = !apic_hits[0x48] && apic_bit(APIC_IRR, 0x48);
		apic_write(APIC_TPR, 0x60);
		ppr1 = apic_read(APIC_PPR);
		apic_write(APIC_TPR, 0x2a);
		ppr2 = apic_read(APIC_PPR);
		apic_write(APIC_TPR, 0);
		ok[5] = (ppr1 & 0xff) == 0x60;
		ok[6] = (ppr2 & 0xff) == 0x40;
		apic_no_eoi = false;
		apic_write(APIC_EOI, 0);
		apic_wait_hits(0x48, 1);
		cli();
		ok[4] = apic_hits[0x48] == 1;
		apic_reset_state();
	}
	for (int i = 0; i < 7; i++) {
		CHECK_ID(id,
			 "conformance.apic.eoi.{clears-highest,clears-next,"
			 "empty,isr-blocks-class,unblocks,ppr-tpr,ppr-isr}",
			 "{1:with 45H and A5H in service one EOI clears A5H "
			 "only,a second EOI clears 45H,an EOI with nothing "
			 "in service changes nothing,with 45H in service "
			 "vector 48H of its class waits in IRR,EOI of 45H "
			 "lets 48H in,with 45H in service and TPR 60H PPR is "
			 "60H,with 45H in service and TPR 2AH PPR is 40H}",
			 i);
		if (apic_skipped(id))
			continue;
		report_result(id, ok[i], "expected: %s; PPR read %#x, %#x",
			      what[i], ppr1, ppr2);
	}
}

/* ESR is written before it is read: the write latches the errors seen
 * since the last write (Vol. 3A 12.5.3). */
static u32 esr_latch(void)
{
	apic_write(APIC_ESR, 0);
	return apic_read(APIC_ESR);
}

static void esr(void)
{
	static const u8 illegal[] = {0, 1, 2, 3, 4, 5, 6, 7, 9, 15};
	char id[CHECK_ID_MAX];
	const char *cid;

	cid = DECLARE_CHECK("conformance.apic.esr.clear",
			    "ESR reads 0 after two writes with no error in "
			    "between");
	if (!apic_skipped(cid)) {
		esr_latch();
		report_equal(cid, 0, esr_latch());
	}
	/* vectors whose exception pushes no error code: a target that
	 * wrongly delivers one as an interrupt leaves a frame the handler
	 * can return from */
	apic_illegal_handlers(true);
	for (size_t i = 0; i < ARRAY_SIZE(illegal); i++) {
		u8 v = illegal[i];
		u32 e, irr;

		CHECK_ID(id,
			 "conformance.apic.esr.send-illegal.vector{0,1,2,3,4,"
			 "5,6,7,9,15}",
			 "a self-IPI of illegal vector {1} sets ESR bit 5 "
			 "(send illegal vector), no IRR bit and is not "
			 "delivered",
			 (int)i);
		if (apic_skipped(id))
			continue;
		cli();
		apic_hits_clear();
		esr_latch();
		apic_self_ipi(v);
		apic_settle();
		e = esr_latch();
		irr = apic_read(APIC_IRR) & 0xffff;
		irq_enable();
		apic_settle();
		cli();
		report_result(id,
			      (e & APIC_ESR_SEND_ILL) && !irr && !apic_hits[v],
			      "expected ESR bit 5, IRR[15:0] 0 and no "
			      "delivery, saw ESR %#x, IRR[15:0] %#x, %u "
			      "deliveries",
			      e, irr, apic_hits[v]);
	}
	cid = DECLARE_CHECK("conformance.apic.esr.lvt-error",
			    "with LVT error unmasked (vector E5H) an illegal "
			    "self-IPI raises the error interrupt");
	if (!apic_skipped(cid)) {
		apic_hits_clear();
		esr_latch();
		apic_write(APIC_LVT_ERROR, 0xe5);
		irq_enable();
		apic_self_ipi(3);
		apic_wait_hits(0xe5, 1);
		cli();
		apic_write(APIC_LVT_ERROR, APIC_LVT_MASKED);
		esr_latch();
		report_equal(cid, 1, apic_hits[0xe5]);
	}
	cid = DECLARE_CHECK("conformance.apic.esr.illegal-register",
			    "a write to reserved xAPIC offset 040H sets ESR "
			    "bit 7 (illegal register address)");
	if (!apic_skipped(cid)) {
		esr_latch();
		apic_write(0x40, 0);
		report_result(cid, esr_latch() & APIC_ESR_ILLEGAL_R,
			      "expected ESR bit 7 set");
	}
	if (!apic.skip)
		apic_reset_state();
	apic_illegal_handlers(false);
}

void apic_irq(void)
{
	selfipi();
	priority_masking();
	order();
	nesting();
	eoi();
	esr();
}
