/*
 * A whole PC for device tests: RAM and every registered device on a
 * test clock at 0, reached through the port bus the way a guest reaches
 * them. Include once per test file; pc_boot in the suite's init (or a
 * test, for another RAM size), pc_exit in its fini.
 */
#ifndef REFVMM_TEST_PC_FIXTURE_H
#define REFVMM_TEST_PC_FIXTURE_H

#include <criterion/criterion.h>

#include "refvmm/io.h"
#include "refvmm/machine.h"

static struct machine m;
static struct clock clk;

static inline void pc_boot(u64 ram)
{
	clock__init_test(&clk, 0);
	cr_assert_eq(machine__init(&m, ram, &clk), 0);
	cr_assert_eq(machine__init_devices(&m), 0);
}

static inline void pc_exit(void)
{
	machine__exit(&m);
}

/* @len bytes from @port; bytes no device writes read back as 0x5a. */
static inline u32 pio_in(u16 port, u32 len)
{
	u8 d[4] = {0x5a, 0x5a, 0x5a, 0x5a};

	machine__pio(&m, NULL, port, d, len, false);
	return (u32)io__get(d, len);
}

static inline void pio_out(u16 port, u32 len, u32 v)
{
	u8 d[4];

	io__put(d, len, v);
	machine__pio(&m, NULL, port, d, len, true);
}

static inline u8 inb(u16 port)
{
	return (u8)pio_in(port, 1);
}

static inline void outb(u8 v, u16 port)
{
	pio_out(port, 1, v);
}

#endif
