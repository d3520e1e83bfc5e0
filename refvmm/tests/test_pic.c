/*
 * 8259A pair at register level (Intel 8259A datasheet): ICW1-ICW4 as
 * the guest runtime programs them, OCW1 masking, OCW2 non-specific and
 * specific EOI and rotation, OCW3 IRR/ISR reads and poll, priority and
 * nesting, cascade through IR2, edge latching, spurious IR7, AEOI.
 */
#include <criterion/criterion.h>

#include "refvmm/pic8259.h"

static struct pic8259 pic;

/* The guest runtime's sequence (guest/pic.c): vectors 0x20 and 0x28. */
static void init_pc(u8 icw4)
{
	pic8259__reset(&pic);
	pic8259__write(&pic, 0, 0, 0x11);
	pic8259__write(&pic, 1, 0, 0x11);
	pic8259__write(&pic, 0, 1, 0x20);
	pic8259__write(&pic, 1, 1, 0x28);
	pic8259__write(&pic, 0, 1, 0x04);
	pic8259__write(&pic, 1, 1, 0x02);
	pic8259__write(&pic, 0, 1, icw4);
	pic8259__write(&pic, 1, 1, icw4);
}

static void setup(void)
{
	init_pc(0x01);
}

static void pulse(int irq)
{
	pic8259__set_irq(&pic, irq, 1);
	pic8259__set_irq(&pic, irq, 0);
}

static u8 read_isr(int chip)
{
	pic8259__write(&pic, chip, 0, 0x0b);
	return pic8259__read(&pic, chip, 0);
}

static u8 read_irr(int chip)
{
	pic8259__write(&pic, chip, 0, 0x0a);
	return pic8259__read(&pic, chip, 0);
}

TestSuite(pic, .init = setup);

Test(pic, init_sequence_sets_vectors_and_clears_mask)
{
	cr_assert_eq(pic.chip[0].vector_base, 0x20);
	cr_assert_eq(pic.chip[1].vector_base, 0x28);
	cr_assert_eq(pic.chip[0].cascade, 0x04);
	cr_assert_eq(pic.chip[1].cascade, 0x02);
	cr_assert_eq(pic8259__read(&pic, 0, 1), 0, "ICW1 clears IMR");
	cr_assert_eq(pic.chip[0].init_step, 0);
}

Test(pic, no_output_during_init)
{
	pic8259__write(&pic, 0, 0, 0x11);
	pulse(0);
	cr_assert_not(pic8259__has_output(&pic));
}

Test(pic, irq_to_vector_and_eoi)
{
	pulse(0);
	cr_assert(pic8259__has_output(&pic));
	cr_assert_eq(read_irr(0), 0x01);
	cr_assert_eq(pic8259__ack(&pic), 0x20);
	cr_assert_eq(read_irr(0), 0x00, "edge IRR cleared by INTA");
	cr_assert_eq(read_isr(0), 0x01);
	cr_assert_not(pic8259__has_output(&pic));
	pic8259__write(&pic, 0, 0, 0x20); /* non-specific EOI */
	cr_assert_eq(read_isr(0), 0x00);
}

Test(pic, mask_holds_request_until_unmasked)
{
	pic8259__write(&pic, 0, 1, 0x01);
	cr_assert_eq(pic8259__read(&pic, 0, 1), 0x01);
	pulse(0);
	cr_assert_not(pic8259__has_output(&pic));
	cr_assert_eq(read_irr(0), 0x01, "IRR latches masked requests");
	pic8259__write(&pic, 0, 1, 0x00);
	cr_assert(pic8259__has_output(&pic));
	cr_assert_eq(pic8259__ack(&pic), 0x20);
}

Test(pic, priority_and_nesting)
{
	pulse(3);
	pulse(1);
	cr_assert_eq(pic8259__ack(&pic), 0x21, "IR1 outranks IR3");
	cr_assert_not(pic8259__has_output(&pic), "IR3 waits for IR1's EOI");
	pulse(0);
	cr_assert(pic8259__has_output(&pic), "IR0 nests above IR1");
	cr_assert_eq(pic8259__ack(&pic), 0x20);
	cr_assert_eq(read_isr(0), 0x03);
	pic8259__write(&pic, 0, 0, 0x20); /* EOI clears the highest: IR0 */
	cr_assert_eq(read_isr(0), 0x02);
	pic8259__write(&pic, 0, 0, 0x20);
	cr_assert_eq(pic8259__ack(&pic), 0x23);
}

Test(pic, specific_eoi)
{
	pulse(1);
	pulse(0);
	cr_assert_eq(pic8259__ack(&pic), 0x20);
	pic8259__write(&pic, 0, 0, 0x20); /* EOI IR0 */
	cr_assert_eq(pic8259__ack(&pic), 0x21);
	pulse(0);
	cr_assert_eq(pic8259__ack(&pic), 0x20);
	cr_assert_eq(read_isr(0), 0x03);
	pic8259__write(&pic, 0, 0, 0x61); /* specific EOI, IR1 */
	cr_assert_eq(read_isr(0), 0x01);
}

Test(pic, edge_needs_a_new_rising_edge)
{
	pic8259__set_irq(&pic, 0, 1);
	cr_assert_eq(pic8259__ack(&pic), 0x20);
	pic8259__write(&pic, 0, 0, 0x20);
	pic8259__set_irq(&pic, 0, 1); /* still high: no new edge */
	cr_assert_not(pic8259__has_output(&pic));
	pic8259__set_irq(&pic, 0, 0);
	pic8259__set_irq(&pic, 0, 1);
	cr_assert(pic8259__has_output(&pic));
}

Test(pic, cascade_through_ir2)
{
	pulse(10);
	cr_assert(pic8259__has_output(&pic));
	cr_assert_eq(pic8259__ack(&pic), 0x2a);
	cr_assert_eq(read_isr(1), 0x04);
	cr_assert_eq(read_isr(0), 0x04, "master IR2 in service");
	pic8259__write(&pic, 1, 0, 0x20);
	pic8259__write(&pic, 0, 0, 0x20);
	cr_assert_eq(read_isr(1), 0);
	cr_assert_eq(read_isr(0), 0);
}

Test(pic, slave_masked_on_master)
{
	pic8259__write(&pic, 0, 1, 0x04);
	pulse(12);
	cr_assert_not(pic8259__has_output(&pic));
}

Test(pic, spurious_ir7_when_nothing_pending)
{
	cr_assert_eq(pic8259__ack(&pic), 0x27);
	cr_assert_eq(pic.spurious, 1);
	cr_assert_eq(read_isr(0), 0, "spurious IR7 is not put in service");
}

Test(pic, poll_command)
{
	pic8259__write(&pic, 0, 0, 0x0c);
	cr_assert_eq(pic8259__read(&pic, 0, 0), 0x00, "nothing pending");
	pulse(5);
	pic8259__write(&pic, 0, 0, 0x0c);
	cr_assert_eq(pic8259__read(&pic, 0, 0), 0x85);
	cr_assert_eq(read_isr(0), 0x20, "poll acknowledges");
}

Test(pic, set_priority_rotates)
{
	pic8259__write(&pic, 0, 0, 0xc3); /* IR3 lowest: IR4 highest */
	pulse(1);
	pulse(5);
	cr_assert_eq(pic8259__ack(&pic), 0x25);
}

Test(pic, rotate_on_nonspecific_eoi)
{
	pulse(1);
	cr_assert_eq(pic8259__ack(&pic), 0x21);
	pic8259__write(&pic, 0, 0, 0xa0); /* IR1 becomes lowest */
	pulse(1);
	pulse(6);
	cr_assert_eq(pic8259__ack(&pic), 0x26);
}

Test(pic, auto_eoi_leaves_isr_clear)
{
	init_pc(0x03);
	pulse(0);
	cr_assert_eq(pic8259__ack(&pic), 0x20);
	cr_assert_eq(read_isr(0), 0);
	pulse(1);
	cr_assert(pic8259__has_output(&pic), "no in-service level blocks");
}

Test(pic, special_mask_mode_lets_lower_levels_in)
{
	pulse(1);
	cr_assert_eq(pic8259__ack(&pic), 0x21);
	pulse(4);
	cr_assert_not(pic8259__has_output(&pic));
	pic8259__write(&pic, 0, 1, 0x02); /* mask IR1 (in service) */
	pic8259__write(&pic, 0, 0, 0x68); /* OCW3: set special mask */
	cr_assert(pic8259__has_output(&pic));
	cr_assert_eq(pic8259__ack(&pic), 0x24);
}

Test(pic, level_triggered_follows_line)
{
	pic8259__write(&pic, 0, 0, 0x19); /* ICW1 with LTIM */
	pic8259__write(&pic, 0, 1, 0x20);
	pic8259__write(&pic, 0, 1, 0x04);
	pic8259__write(&pic, 0, 1, 0x01);
	pic8259__set_irq(&pic, 3, 1);
	cr_assert(pic8259__has_output(&pic));
	pic8259__set_irq(&pic, 3, 0);
	cr_assert_not(pic8259__has_output(&pic));
}
