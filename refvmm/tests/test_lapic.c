/*
 * The local APIC at register level (SDM Vol. 3A, APIC chapter) against a
 * test clock: reset values, TPR/PPR/APR, IRR -> ISR at INTA and EOI
 * order, the spurious vector, LVT masks and writable bits, self-IPIs
 * and ESR, the timer's one-shot and periodic modes and every divide
 * value count by count, IA32_APIC_BASE's #GP rules, and the 8259 passed
 * through LINT0 (ExtINT) or straight to the CPU while disabled.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "refvmm/io.h"
#include "refvmm/lapic.h"
#include "refvmm/machine.h"
#include "refvmm/pic8259.h"

#define T0 1000000ull

static struct lapic apic;
static struct pic8259 pic;
static struct clock clk;

static u32 rd(u32 reg)
{
	return lapic__read(&apic, reg);
}

static void wr(u32 reg, u32 v)
{
	lapic__write(&apic, reg, v);
}

static void at(u64 ns)
{
	clk.test_ns = T0 + ns;
	lapic__update(&apic);
}

static void setup(void)
{
	clock__init_test(&clk, T0);
	pic8259__reset(&pic);
	lapic__init(&apic, &clk, &pic, 36);
}

/* Software enabled, spurious vector 0xff. */
static void enable(void)
{
	wr(APIC_SVR, 0x1ff);
}

/* The 8259 pair as the guest runtime sets it up: vectors 0x20, 0x28. */
static void pic_init(void)
{
	static const u8 seq[][2] = {{0, 0x11}, {1, 0x20}, {1, 0x04}, {1, 0x01}};

	for (size_t i = 0; i < 4; i++)
		pic8259__write(&pic, 0, seq[i][0], seq[i][1]);
	pic8259__write(&pic, 1, 0, 0x11);
	pic8259__write(&pic, 1, 1, 0x28);
	pic8259__write(&pic, 1, 1, 0x02);
	pic8259__write(&pic, 1, 1, 0x01);
}

TestSuite(lapic, .init = setup);

Test(lapic, reset_values)
{
	cr_expect_eq(lapic__get_base(&apic), 0xfee00900ull);
	cr_expect_eq(rd(APIC_ID), 0);
	cr_expect_eq(rd(APIC_VERSION), 0x00050014u);
	cr_expect_eq(rd(APIC_TPR), 0);
	cr_expect_eq(rd(APIC_APR), 0);
	cr_expect_eq(rd(APIC_PPR), 0);
	cr_expect_eq(rd(APIC_LDR), 0);
	cr_expect_eq(rd(APIC_DFR), 0xffffffffu);
	cr_expect_eq(rd(APIC_SVR), 0xff);
	cr_expect_eq(rd(APIC_ESR), 0);
	cr_expect_eq(rd(APIC_ICR_LO), 0);
	cr_expect_eq(rd(APIC_ICR_HI), 0);
	for (u32 i = 0; i < 8; i++) {
		cr_expect_eq(rd(APIC_ISR + i * 16), 0);
		cr_expect_eq(rd(APIC_TMR + i * 16), 0);
		cr_expect_eq(rd(APIC_IRR + i * 16), 0);
	}
	cr_expect_eq(rd(APIC_LVT_TIMER), 0x10000);
	cr_expect_eq(rd(APIC_LVT_THERMAL), 0x10000);
	cr_expect_eq(rd(APIC_LVT_PERF), 0x10000);
	cr_expect_eq(rd(APIC_LVT_LINT0), 0x700, "virtual wire, as QEMU");
	cr_expect_eq(rd(APIC_LVT_LINT1), 0x10000);
	cr_expect_eq(rd(APIC_LVT_ERROR), 0x10000);
	cr_expect_eq(rd(APIC_TIMER_INIT), 0);
	cr_expect_eq(rd(APIC_TIMER_CUR), 0);
	cr_expect_eq(rd(APIC_TIMER_DIV), 0);
	cr_expect(!lapic__enabled(&apic), "software disabled at reset");
	cr_expect_eq(lapic__next_deadline(&apic), 0);
}

Test(lapic, register_writable_bits)
{
	wr(APIC_ID, 0xffffffffu);
	cr_expect_eq(rd(APIC_ID), 0xff000000u);
	wr(APIC_ID, 0);
	wr(APIC_LDR, 0xffffffffu);
	cr_expect_eq(rd(APIC_LDR), 0xff000000u);
	wr(APIC_DFR, 0);
	cr_expect_eq(rd(APIC_DFR), 0x0fffffffu);
	wr(APIC_TPR, 0xffffffffu);
	cr_expect_eq(rd(APIC_TPR), 0xff);
	wr(APIC_SVR, 0xffffffffu);
	cr_expect_eq(rd(APIC_SVR), 0x1ff);
	wr(APIC_VERSION, 0);
	cr_expect_eq(rd(APIC_VERSION), 0x00050014u);
	wr(APIC_TIMER_DIV, 0xffffffffu);
	cr_expect_eq(rd(APIC_TIMER_DIV), 0xb);
	wr(APIC_ICR_HI, 0xffffffffu);
	cr_expect_eq(rd(APIC_ICR_HI), 0xff000000u);
	cr_expect_eq(rd(APIC_ESR), 0, "no error logged so far");
}

Test(lapic, ppr_and_apr_from_tpr_isr_irr)
{
	enable();
	lapic__set_irr(&apic, 0x41);
	cr_expect_eq(lapic__ack(&apic), 0x41);
	cr_expect_eq(rd(APIC_ISR + 0x20), 1u << 1, "0x41: ISR word 2 bit 1");
	wr(APIC_TPR, 0x35);
	cr_expect_eq(rd(APIC_PPR), 0x40, "ISRV class above TPR's");
	wr(APIC_TPR, 0x45);
	cr_expect_eq(rd(APIC_PPR), 0x45, "same class: the TPR");
	wr(APIC_TPR, 0x5f);
	cr_expect_eq(rd(APIC_PPR), 0x5f);
	lapic__set_irr(&apic, 0x62);
	cr_expect_eq(rd(APIC_APR), 0x60, "IRRV class above TPR's");
	wr(APIC_TPR, 0x7a);
	cr_expect_eq(rd(APIC_APR), 0x7a);
	wr(APIC_EOI, 0);
	wr(APIC_TPR, 0);
	cr_expect_eq(rd(APIC_PPR), 0);
}

Test(lapic, irr_to_isr_and_eoi_order)
{
	enable();
	lapic__set_irr(&apic, 0x31);
	lapic__set_irr(&apic, 0x52);
	lapic__set_irr(&apic, 0x45);
	cr_expect_eq(rd(APIC_IRR + 0x10), 1u << 17);
	cr_expect_eq(rd(APIC_IRR + 0x20), (1u << 5) | (1u << 18));
	cr_expect(lapic__has_output(&apic));
	cr_expect_eq(lapic__ack(&apic), 0x52);
	cr_expect_eq(rd(APIC_IRR + 0x20), 1u << 5);
	cr_expect_eq(rd(APIC_ISR + 0x20), 1u << 18);
	cr_expect_eq(rd(APIC_PPR), 0x50);
	cr_expect(!lapic__has_output(&apic), "0x45 is below the PPR");
	lapic__set_irr(&apic, 0x61);
	cr_expect(lapic__has_output(&apic), "0x61 nests above 0x52");
	cr_expect_eq(lapic__ack(&apic), 0x61);
	cr_expect_eq(rd(APIC_ISR + 0x30), 1u << 1);
	wr(APIC_EOI, 0);
	cr_expect_eq(rd(APIC_ISR + 0x30), 0, "EOI clears the highest: 0x61");
	cr_expect_eq(rd(APIC_ISR + 0x20), 1u << 18, "0x52 still in service");
	cr_expect(!lapic__has_output(&apic));
	wr(APIC_EOI, 0);
	cr_expect_eq(rd(APIC_ISR + 0x20), 0);
	cr_expect_eq(lapic__ack(&apic), 0x45);
	wr(APIC_EOI, 0);
	cr_expect_eq(lapic__ack(&apic), 0x31);
	wr(APIC_EOI, 0);
	for (u32 i = 0; i < 8; i++)
		cr_expect_eq(rd(APIC_ISR + i * 16) | rd(APIC_IRR + i * 16), 0);
	wr(APIC_EOI, 0); /* with nothing in service: no effect */
	cr_expect_eq(rd(APIC_PPR), 0);
}

Test(lapic, tpr_holds_back_its_class_and_below)
{
	enable();
	wr(APIC_TPR, 0x50);
	lapic__set_irr(&apic, 0x5f);
	cr_expect(!lapic__has_output(&apic), "same class as the TPR");
	lapic__set_irr(&apic, 0x60);
	cr_expect(lapic__has_output(&apic));
	cr_expect_eq(lapic__ack(&apic), 0x60);
	wr(APIC_EOI, 0);
	wr(APIC_TPR, 0x4f);
	cr_expect_eq(lapic__ack(&apic), 0x5f);
}

Test(lapic, spurious_vector_when_nothing_is_above_the_ppr)
{
	wr(APIC_SVR, 0x1e7);
	wr(APIC_TPR, 0xf0);
	lapic__set_irr(&apic, 0x40);
	cr_expect(!lapic__has_output(&apic));
	cr_expect_eq(lapic__ack(&apic), 0xe7);
	cr_expect_eq(rd(APIC_ISR + 0x70), 0, "a spurious vector sets no ISR");
	cr_expect_eq(rd(APIC_IRR + 0x20), 1, "0x40 still requested");
	cr_expect_eq(apic.spurious, 1);
}

Test(lapic, illegal_vectors_and_esr_write_then_read)
{
	enable();
	lapic__set_irr(&apic, 0x0e);
	cr_expect_eq(rd(APIC_IRR), 0, "vectors 0-15 are not accepted");
	cr_expect_eq(rd(APIC_ESR), 0, "errors show only after a write");
	wr(APIC_ESR, 0);
	cr_expect_eq(rd(APIC_ESR), APIC_ESR_RECV_ILLEGAL_VECTOR);
	wr(APIC_ICR_LO, 0x40005); /* self, vector 5 */
	wr(0x3f0, 1);		  /* a reserved register */
	cr_expect_eq(rd(APIC_ESR), APIC_ESR_RECV_ILLEGAL_VECTOR);
	wr(APIC_ESR, 0);
	cr_expect_eq(rd(APIC_ESR),
		     APIC_ESR_SEND_ILLEGAL_VECTOR | APIC_ESR_ILLEGAL_REGISTER);
	wr(APIC_ESR, 0);
	cr_expect_eq(rd(APIC_ESR), 0);
	/* an unmasked error LVT raises its vector */
	wr(APIC_LVT_ERROR, 0xfe);
	wr(0x3f0, 1);
	cr_expect_eq(lapic__ack(&apic), 0xfe);
}

Test(lapic, lvt_masks_and_writable_bits)
{
	wr(APIC_LVT_TIMER, 0x20);
	cr_expect_eq(rd(APIC_LVT_TIMER), 0x10020, "software disabled: masked");
	enable();
	wr(APIC_LVT_TIMER, 0xffffffffu);
	cr_expect_eq(rd(APIC_LVT_TIMER), 0x300ff);
	wr(APIC_LVT_THERMAL, 0xffffffffu);
	cr_expect_eq(rd(APIC_LVT_THERMAL), 0x107ff);
	wr(APIC_LVT_PERF, 0xffffffffu);
	cr_expect_eq(rd(APIC_LVT_PERF), 0x107ff);
	wr(APIC_LVT_LINT0, 0xffffffffu);
	cr_expect_eq(rd(APIC_LVT_LINT0), 0x1a7ff);
	wr(APIC_LVT_LINT1, 0xffffffffu);
	cr_expect_eq(rd(APIC_LVT_LINT1), 0x1a7ff);
	wr(APIC_LVT_ERROR, 0xffffffffu);
	cr_expect_eq(rd(APIC_LVT_ERROR), 0x100ff);
	for (u32 r = APIC_LVT_TIMER; r <= APIC_LVT_ERROR; r += 16)
		wr(r, 0x30);
	cr_expect_eq(rd(APIC_LVT_LINT0), 0x30);
	wr(APIC_SVR, 0xff); /* software disable masks every entry */
	for (u32 r = APIC_LVT_TIMER; r <= APIC_LVT_ERROR; r += 16)
		cr_expect_eq(rd(r), 0x10030, "LVT %#x", r);
}

Test(lapic, self_ipi_by_shorthand_and_destination)
{
	enable();
	wr(APIC_ICR_LO, 0x40040); /* fixed, shorthand self */
	cr_expect_eq(rd(APIC_IRR + 0x20), 1, "0x40 requested");
	cr_expect_eq(rd(APIC_ICR_LO), 0x40040, "delivery status idle");
	wr(APIC_ICR_LO, 0x80041); /* all including self */
	cr_expect_eq(rd(APIC_IRR + 0x20), 3);
	wr(APIC_ICR_LO, 0xc0042); /* all excluding self: nobody */
	cr_expect_eq(rd(APIC_IRR + 0x20), 3);
	wr(APIC_ICR_HI, 0x01000000u);
	wr(APIC_ICR_LO, 0x43); /* physical 1: another processor */
	cr_expect_eq(rd(APIC_IRR + 0x20), 3);
	wr(APIC_ICR_HI, 0);
	wr(APIC_ICR_LO, 0x44); /* physical 0: this one */
	cr_expect_eq(rd(APIC_IRR + 0x20), 0x13);
	wr(APIC_LDR, 0x02000000u);
	wr(APIC_ICR_HI, 0x03000000u);
	wr(APIC_ICR_LO, 0x845); /* logical, flat: 0x03 & 0x02 */
	cr_expect_eq(rd(APIC_IRR + 0x20), 0x33);
	wr(APIC_ICR_HI, 0x04000000u);
	wr(APIC_ICR_LO, 0x846);
	cr_expect_eq(rd(APIC_IRR + 0x20), 0x33);
	wr(APIC_ICR_LO, 0x40447); /* NMI with shorthand self: invalid */
	cr_expect_eq(rd(APIC_IRR + 0x20), 0x33);
	cr_expect_not(lapic__nmi_pending(&apic));
	cr_expect_eq(apic.ipis, 4);
	cr_expect_eq(lapic__ack(&apic), 0x45);
}

/* Delivery mode NMI (SDM Vol. 3A, "Interrupt Command Register"): the
 * vector is ignored, no IRR bit and no illegal-vector error; one latch. */
Test(lapic, nmi_through_the_icr)
{
	enable();
	wr(APIC_ICR_HI, 0);
	wr(APIC_ICR_LO, 0x405); /* NMI, vector 5, physical 0: this one */
	cr_expect(lapic__nmi_pending(&apic));
	cr_expect_eq(rd(APIC_IRR), 0, "vector 5 not requested");
	wr(APIC_ESR, 0);
	cr_expect_eq(rd(APIC_ESR), 0, "no send-illegal-vector error");
	wr(APIC_ICR_LO, 0x440); /* a second one while pending: one latch */
	cr_expect_eq(rd(APIC_IRR + 0x20), 0);
	cr_expect_eq(apic.nmis, 2);
	lapic__take_nmi(&apic);
	cr_expect_not(lapic__nmi_pending(&apic));
	cr_expect_not(lapic__has_output(&apic), "no fixed interrupt either");

	wr(APIC_ICR_LO, 0xc0400); /* all excluding self: nobody */
	wr(APIC_ICR_HI, 0x01000000u);
	wr(APIC_ICR_LO, 0x400); /* physical 1: another processor */
	cr_expect_not(lapic__nmi_pending(&apic));
	wr(APIC_ICR_HI, 0xff000000u);
	wr(APIC_ICR_LO, 0x400); /* physical broadcast */
	cr_expect(lapic__nmi_pending(&apic));
	lapic__take_nmi(&apic);
	wr(APIC_LDR, 0x01000000u);
	wr(APIC_ICR_HI, 0x02000000u);
	wr(APIC_ICR_LO, 0xc00); /* logical 0x02, this one is 0x01 */
	cr_expect_not(lapic__nmi_pending(&apic));
	wr(APIC_ICR_HI, 0x01000000u);
	wr(APIC_ICR_LO, 0xc00); /* logical 0x01 */
	cr_expect(lapic__nmi_pending(&apic));
}

Test(lapic, timer_one_shot)
{
	enable();
	wr(APIC_LVT_TIMER, 0x30);
	wr(APIC_TIMER_DIV, 0xb); /* divide by 1: a count per ns */
	wr(APIC_TIMER_INIT, 1000);
	cr_expect_eq(rd(APIC_TIMER_CUR), 1000);
	cr_expect_eq(lapic__next_deadline(&apic), T0 + 1000);
	at(400);
	cr_expect_eq(rd(APIC_TIMER_CUR), 600);
	cr_expect(!lapic__has_output(&apic));
	at(999);
	cr_expect_eq(rd(APIC_TIMER_CUR), 1);
	cr_expect(!lapic__has_output(&apic));
	at(1000);
	cr_expect_eq(rd(APIC_TIMER_CUR), 0);
	cr_expect_eq(rd(APIC_IRR + 0x10), 1u << 16, "vector 0x30 requested");
	cr_expect_eq(lapic__next_deadline(&apic), 0, "one shot only");
	cr_expect_eq(lapic__ack(&apic), 0x30);
	wr(APIC_EOI, 0);
	at(100000);
	cr_expect_eq(rd(APIC_TIMER_CUR), 0);
	cr_expect(!lapic__has_output(&apic));
	cr_expect_eq(apic.timer_irqs, 1);
	cr_expect_eq(rd(APIC_TIMER_INIT), 1000, "the initial count stays");
}

Test(lapic, timer_periodic_coalesces_missed_periods)
{
	enable();
	wr(APIC_LVT_TIMER, APIC_LVT_PERIODIC | 0x31);
	wr(APIC_TIMER_DIV, 3);	  /* divide by 16 */
	wr(APIC_TIMER_INIT, 100); /* period 1600 ns */
	cr_expect_eq(lapic__next_deadline(&apic), T0 + 1600);
	at(1599);
	cr_expect_eq(rd(APIC_TIMER_CUR), 1);
	cr_expect(!lapic__has_output(&apic));
	at(1600);
	cr_expect_eq(rd(APIC_TIMER_CUR), 100, "reloaded");
	cr_expect_eq(lapic__ack(&apic), 0x31);
	wr(APIC_EOI, 0);
	cr_expect_eq(lapic__next_deadline(&apic), T0 + 3200);
	at(4 * 1600 + 800);
	cr_expect_eq(rd(APIC_TIMER_CUR), 50);
	cr_expect_eq(lapic__ack(&apic), 0x31);
	cr_expect_eq(apic.timer_irqs, 2, "three periods, one interrupt");
	cr_expect_eq(lapic__next_deadline(&apic), T0 + 5 * 1600);
	wr(APIC_TIMER_INIT, 0); /* stops it */
	cr_expect_eq(rd(APIC_TIMER_CUR), 0);
	cr_expect_eq(lapic__next_deadline(&apic), 0);
}

Test(lapic, timer_every_divide_value)
{
	static const struct {
		u32 dcr, div;
	} table[] = {{0x0, 2},	{0x1, 4},  {0x2, 8},   {0x3, 16},
		     {0x8, 32}, {0x9, 64}, {0xa, 128}, {0xb, 1}};

	enable();
	wr(APIC_LVT_TIMER, 0x30);
	for (size_t i = 0; i < 8; i++) {
		clk.test_ns = T0;
		wr(APIC_TIMER_DIV, table[i].dcr);
		wr(APIC_TIMER_INIT, 1000);
		at(1000ull * table[i].div - 1);
		cr_expect_eq(rd(APIC_TIMER_CUR), 1, "dcr %#x", table[i].dcr);
		at(1000ull * table[i].div);
		cr_expect_eq(rd(APIC_TIMER_CUR), 0, "dcr %#x", table[i].dcr);
		cr_expect_eq(lapic__ack(&apic), 0x30);
		wr(APIC_EOI, 0);
	}
	cr_expect_eq(apic.timer_irqs, 8);
}

Test(lapic, timer_divide_change_counts_on)
{
	enable();
	wr(APIC_LVT_TIMER, 0x30);
	wr(APIC_TIMER_DIV, 0xb);
	wr(APIC_TIMER_INIT, 1000);
	at(400);
	wr(APIC_TIMER_DIV, 0); /* divide by 2 from here */
	cr_expect_eq(rd(APIC_TIMER_CUR), 600);
	at(400 + 2 * 599);
	cr_expect_eq(rd(APIC_TIMER_CUR), 1);
	cr_expect_eq(lapic__next_deadline(&apic), T0 + 400 + 1200);
	at(400 + 1200);
	cr_expect_eq(lapic__ack(&apic), 0x30);
}

Test(lapic, masked_timer_counts_without_interrupts)
{
	enable();
	wr(APIC_LVT_TIMER, APIC_LVT_MASKED | APIC_LVT_PERIODIC | 0x30);
	wr(APIC_TIMER_DIV, 0xb);
	wr(APIC_TIMER_INIT, 100);
	cr_expect_eq(lapic__next_deadline(&apic), 0, "nothing to wake for");
	at(250);
	cr_expect_eq(rd(APIC_TIMER_CUR), 50);
	cr_expect_eq(rd(APIC_IRR + 0x10), 0);
	wr(APIC_LVT_TIMER, APIC_LVT_PERIODIC | 0x30);
	cr_expect_eq(lapic__next_deadline(&apic), T0 + 300);
	at(300);
	cr_expect_eq(lapic__ack(&apic), 0x30);
	cr_expect_eq(apic.timer_irqs, 1);
}

Test(lapic, pic_through_extint_or_straight)
{
	pic_init();
	pic8259__set_irq(&pic, 0, 1);
	cr_expect(lapic__has_output(&apic), "software disabled: the 8259");
	cr_expect_eq(lapic__ack(&apic), 0x20);
	pic8259__write(&pic, 0, 0, 0x20); /* EOI */
	pic8259__set_irq(&pic, 0, 0);

	enable(); /* LINT0 is ExtINT from reset */
	pic8259__set_irq(&pic, 0, 1);
	lapic__set_irr(&apic, 0x50);
	cr_expect_eq(lapic__ack(&apic), 0x50, "the LAPIC's own first");
	cr_expect_eq(lapic__ack(&apic), 0x20, "ExtINT ignores the PPR");
	cr_expect_eq(rd(APIC_ISR + 0x10), 0, "ExtINT sets no ISR bit");
	cr_expect_eq(apic.extint, 1);
	pic8259__write(&pic, 0, 0, 0x20);
	pic8259__set_irq(&pic, 0, 0);

	wr(APIC_LVT_LINT0, APIC_LVT_MASKED | 0x700);
	pic8259__set_irq(&pic, 1, 1);
	cr_expect(!lapic__has_output(&apic), "LINT0 masked: no 8259");
	wr(APIC_LVT_LINT0, 0x30); /* fixed: not a path for the 8259 here */
	cr_expect(!lapic__has_output(&apic));
	cr_expect_eq(lapic__set_base(&apic, 0xfee00000ull), 0);
	cr_expect(lapic__has_output(&apic), "globally disabled: the 8259");
	cr_expect_eq(lapic__ack(&apic), 0x21);
}

Test(lapic, apic_base_msr_rules)
{
	cr_expect_eq(lapic__set_base(&apic, 0xfee00800ull | 0x400), -EINVAL,
		     "x2APIC is hidden");
	cr_expect_eq(lapic__set_base(&apic, 0xfee00801ull), -EINVAL);
	cr_expect_eq(lapic__set_base(&apic, 0xfee00a00ull), -EINVAL, "bit 9");
	cr_expect_eq(lapic__set_base(&apic, 0x1000000000ull | 0x800), -EINVAL,
		     "above MAXPHYADDR 36");
	cr_expect_eq(lapic__get_base(&apic), 0xfee00900ull, "unchanged");
	cr_expect_eq(lapic__set_base(&apic, 0xfec01800ull), 0);
	cr_expect_eq(lapic__get_base(&apic), 0xfec01900ull,
		     "moved; BSP is read-only");
	cr_expect_eq(lapic__set_base(&apic, 0xfee00800ull), 0);
	enable();
	cr_expect(lapic__enabled(&apic));
	cr_expect_eq(lapic__set_base(&apic, 0xfee00000ull), 0);
	cr_expect(!lapic__enabled(&apic));
	cr_expect_eq(rd(APIC_SVR), 0xff, "disabling clears SVR's enable");
	cr_expect_eq(rd(APIC_LVT_LINT0), 0x10700);
}

Test(lapic, cpuid_apic_flag_follows_global_enable)
{
	cr_expect_eq(lapic__cpuid1_edx(&apic, 0x1234f2ffu), 0x1234f2ffu);
	cr_expect_eq(lapic__set_base(&apic, 0xfee00000ull), 0);
	cr_expect_eq(lapic__cpuid1_edx(&apic, 0x1234f2ffu), 0x1234f0ffu,
		     "globally disabled: CPUID.1:EDX.APIC reads 0");
	cr_expect_eq(lapic__set_base(&apic, 0xfee00800ull), 0);
	cr_expect_eq(lapic__cpuid1_edx(&apic, 0x1234f2ffu), 0x1234f2ffu);
}

Test(lapic, cr8_is_tpr_class)
{
	enable();
	wr(APIC_TPR, 0x5a);
	cr_expect_eq(lapic__cr8(&apic), 5);
	lapic__set_cr8(&apic, 0x3);
	cr_expect_eq(rd(APIC_TPR), 0x30, "TPR[3:0] cleared");
	lapic__set_irr(&apic, 0x35);
	cr_expect(!lapic__has_output(&apic), "class 3 held by CR8 3");
	cr_expect(lapic__held(&apic));
	lapic__set_cr8(&apic, 0);
	cr_expect(!lapic__held(&apic));
	cr_expect(lapic__has_output(&apic));
	cr_expect_eq(lapic__ack(&apic), 0x35);
}

/* A machine with its devices, on a test clock at 0. */
static void machine_up(struct machine *m, struct clock *c)
{
	clock__init_test(c, 0);
	cr_assert_eq(machine__init(m, 4 * MiB, c), 0);
	cr_assert_eq(machine__init_devices(m), 0);
	cr_assert(m->lapic);
}

/* The page as the machine's MMIO bus delivers guest accesses to it. */
Test(lapic, mmio_page_on_the_machine_bus)
{
	struct machine m;
	struct clock c;
	u8 d[4];

	machine_up(&m, &c);
	machine__mmio(&m, NULL, 0xfee00030, d, 4, false);
	cr_expect_eq(io__get(d, 4), 0x00050014u);
	machine__mmio(&m, NULL, 0xfee00032, d, 1, false);
	cr_expect_eq(d[0], 0x05, "a byte of the version register");
	machine__mmio(&m, NULL, 0xfee00034, d, 4, false);
	cr_expect_eq(io__get(d, 4), 0, "bytes 4-15 of a register slot");
	io__put(d, 4, 0x1ff);
	machine__mmio(&m, NULL, 0xfee000f0, d, 4, true);
	cr_expect(lapic__enabled(m.lapic));
	d[0] = 0x01; /* one byte of an OR that set bit 16: the mask */
	machine__mmio(&m, NULL, 0xfee00352, d, 1, true);
	cr_expect_eq(lapic__read(m.lapic, APIC_LVT_LINT0), 0x10700,
		     "a byte write merges into the register");
	cr_expect_eq(lapic__set_base(m.lapic, 0xfee00000ull), 0);
	machine__mmio(&m, NULL, 0xfee00030, d, 4, false);
	cr_expect_eq(io__get(d, 4), 0xffffffffu,
		     "globally disabled: the page is unclaimed");
	machine__exit(&m);
}

/* A clock that moves 97 ticks (at divide-by-2) at every reading, as
 * real time may between two samples of one access on a loaded host. */
static u64 moving__now(struct clock *c)
{
	return c->test_ns += 2 * 97;
}

/* A periodic count read as four bytes at a reload: every byte comes
 * from the one sample, never 0x0000_00xx's low byte with the reloaded
 * count's upper bytes (a value above the initial count). */
Test(lapic, mmio_read_is_one_sample)
{
	struct machine m;
	struct clock c;
	u8 d[4];

	machine_up(&m, &c);
	lapic__write(m.lapic, APIC_SVR, 0x1ff);
	lapic__write(m.lapic, APIC_TIMER_DIV, 0); /* divide by 2 */
	lapic__write(m.lapic, APIC_LVT_TIMER,
		     APIC_LVT_MASKED | APIC_LVT_PERIODIC);
	lapic__write(m.lapic, APIC_TIMER_INIT, 0x30d40);
	c.now = moving__now;
	for (int i = 0; i < 4000; i++) {
		machine__mmio(&m, NULL, 0xfee00390, d, 4, false);
		cr_assert_leq(io__get(d, 4), 0x30d40u, "read %#x at read %d",
			      (u32)io__get(d, 4), i);
		cr_assert_geq(io__get(d, 4), 1u);
	}
	machine__exit(&m);
}
