/*
 * The 8042 keyboard controller (0x60/0x64) and System Control Port A
 * (0x92) on the machine with every device, through the port entry
 * point a mode uses: the status register, the commands Linux's i8042
 * driver and reboot code send, IRQ1 for a result, and the two ways a
 * guest resets the PC ending the run with status 0 and its reason.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "pc_fixture.h"
#include "refvmm/exitcode.h"
#include "refvmm/machine.h"
#include "refvmm/pic8259.h"

static void setup(void)
{
	pc_boot(4 * MiB);
}

TestSuite(i8042, .init = setup, .fini = pc_exit);

/* A command with one result, as Linux's i8042_command polls for it. */
static u8 command(u8 cmd)
{
	outb(cmd, 0x64);
	cr_assert_eq(inb(0x64) & 0x03, 0x01, "OBF set, IBF clear");
	return inb(0x60);
}

static void expect_reset(const char *why)
{
	cr_assert(m.stop);
	cr_assert_eq(m.stop_status, REFVMM_EXIT_GUEST_RESET);
	cr_assert_eq(REFVMM_EXIT_GUEST_RESET, 0);
	cr_assert_str_eq(m.stop_msg, why);
}

Test(i8042, status_after_boot)
{
	/* System flag, keylock off; no data, input buffer empty. */
	cr_assert_eq(inb(0x64), 0x14);
	cr_assert_eq(m.stats.nr, 0, "both ports claimed");
}

Test(i8042, read_command_byte)
{
	cr_assert_eq(command(0x20), 0x65);
	cr_assert_eq(inb(0x64), 0x1c, "last write was a command, no data");
	cr_assert_eq(inb(0x60), 0x65, "an empty buffer reads its last byte");
	cr_assert_eq(inb(0x64), 0x1c);
}

Test(i8042, write_command_byte_and_system_flag)
{
	outb(0x60, 0x64);
	outb(0x30, 0x60);
	cr_assert_eq(inb(0x64), 0x10, "system flag follows bit 2, data last");
	cr_assert_eq(command(0x20), 0x30);
	outb(0x60, 0x64);
	outb(0x47, 0x60);
	cr_assert_eq(command(0x20), 0x47);
	cr_assert_eq(inb(0x64), 0x1c);
}

Test(i8042, self_test_and_interface_test)
{
	cr_assert_eq(command(0xaa), 0x55);
	cr_assert_eq(command(0xab), 0x00);
}

Test(i8042, port_enable_bits_in_the_command_byte)
{
	outb(0xad, 0x64);
	cr_assert_eq(command(0x20), 0x75);
	outb(0xa8, 0x64);
	cr_assert_eq(command(0x20), 0x55);
	outb(0xae, 0x64);
	cr_assert_eq(command(0x20), 0x45);
	outb(0xa7, 0x64);
	cr_assert_eq(command(0x20), 0x65);
	cr_assert_not(m.stop);
}

Test(i8042, unknown_commands_and_keyboard_bytes_give_nothing)
{
	outb(0xd3, 0x64); /* mouse loopback: no mouse port here */
	cr_assert_eq(inb(0x64) & 0x01, 0);
	outb(0xf2, 0x60); /* keyboard identify: no keyboard */
	cr_assert_eq(inb(0x64), 0x14);
	outb(0xff, 0x64); /* pulse no output bit */
	cr_assert_not(m.stop);
}

Test(i8042, result_raises_irq1_while_enabled)
{
	/* PIC: ICW1-4, vectors at 0x20, then everything unmasked. */
	outb(0x11, 0x20);
	outb(0x20, 0x21);
	outb(0x04, 0x21);
	outb(0x01, 0x21);
	outb(0x00, 0x21);
	outb(0x20, 0x64);
	cr_assert(pic8259__has_output(m.pic));
	cr_assert_eq(pic8259__ack(m.pic), 0x21);
	outb(0x20, 0x20); /* EOI */
	inb(0x60);
	outb(0x60, 0x64);
	outb(0x64, 0x60); /* KBDINT off */
	outb(0xaa, 0x64);
	cr_assert_not(pic8259__has_output(m.pic));
	cr_assert_eq(inb(0x60), 0x55);
}

Test(i8042, output_port_keeps_reset_high)
{
	cr_assert_eq(command(0xd0), 0xcf);
	outb(0xd1, 0x64);
	outb(0xdd, 0x60); /* A20 off, reset inactive */
	cr_assert_not(m.stop);
	cr_assert_eq(command(0xd0), 0xdd);
}

Test(i8042, output_port_reset_line_low_resets)
{
	outb(0xd1, 0x64);
	outb(0xde, 0x60);
	expect_reset("guest reset (8042 output port 0xde)");
}

Test(i8042, pulse_reset_command_resets)
{
	/* Linux's reboot: kb_wait() for IBF clear, then 0xfe. */
	cr_assert_eq(inb(0x64) & 0x02, 0);
	outb(0xfe, 0x64);
	expect_reset("guest reset (8042 command 0xfe)");
}

Test(i8042, any_pulse_of_bit_0_resets)
{
	outb(0xf0, 0x64);
	expect_reset("guest reset (8042 command 0xf0)");
}

Test(i8042, port92_a20_reads_back)
{
	cr_assert_eq(inb(0x92), 0x02);
	outb(0x00, 0x92);
	cr_assert_eq(inb(0x92), 0x00);
	outb(0x0a, 0x92);
	cr_assert_eq(inb(0x92), 0x0a);
	cr_assert_not(m.stop);
}

Test(i8042, port92_fast_reset)
{
	outb(0x03, 0x92);
	expect_reset("guest reset (port 0x92 fast reset, 0x03)");
	cr_assert_eq(inb(0x92), 0x02, "bit 0 reads 0");
}
