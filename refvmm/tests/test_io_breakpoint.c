/* I/O breakpoint matching against the SDM's DR7 layout (Vol. 3B 18.2.4). */
#include "refvmm/io_breakpoint.h"

#include <criterion/criterion.h>

#define DE (1u << 3)
/* Ln enable, R/W=10b (I/O), LEN field len (00 1 byte, 01 2, 11 4). */
#define IO_BP(n, len)                                                          \
	((1ull << (2 * (n))) | (2ull << (16 + 4 * (n))) |                      \
	 ((u64)(len) << (18 + 4 * (n))))

Test(io_breakpoint, armed_only_by_an_enabled_io_field)
{
	cr_assert(io_bp_armed(IO_BP(2, 0)));
	/* R/W=10b without L2/G2 */
	cr_assert_not(io_bp_armed(2ull << 24));
	/* an enabled write breakpoint (R/W=01b) */
	cr_assert_not(io_bp_armed((1ull << 4) | (1ull << 24)));
	/* G3 with R/W=10b */
	cr_assert(io_bp_armed((2ull << 6) | (2ull << 28)));
}

Test(io_breakpoint, hits_by_port_and_length)
{
	u64 dr[4] = {0x3f8, 0x80, 0x60, 0x71};

	cr_assert_eq(io_bp_hits(DE, IO_BP(1, 0), dr, 0x80, 1), 0x2);
	cr_assert_eq(io_bp_hits(DE, IO_BP(1, 0), dr, 0x81, 1), 0);
	/* a word access at 0x7f overlaps port 0x80 */
	cr_assert_eq(io_bp_hits(DE, IO_BP(1, 0), dr, 0x7f, 2), 0x2);
	/* LEN=11b: DR3 0x71 covers the aligned dword 0x70-0x73 */
	cr_assert_eq(io_bp_hits(DE, IO_BP(3, 3), dr, 0x72, 1), 0x8);
	cr_assert_eq(io_bp_hits(DE, IO_BP(3, 3), dr, 0x74, 1), 0);
	/* LEN=01b: DR2 0x60 covers 0x60-0x61 */
	cr_assert_eq(io_bp_hits(DE, IO_BP(2, 1), dr, 0x61, 1), 0x4);
	/* several at once */
	cr_assert_eq(io_bp_hits(DE, IO_BP(0, 0) | IO_BP(1, 0), dr, 0x3f8, 1),
		     0x1);
	dr[0] = 0x80;
	cr_assert_eq(io_bp_hits(DE, IO_BP(0, 0) | IO_BP(1, 0), dr, 0x80, 4),
		     0x3);
}

Test(io_breakpoint, nothing_without_cr4_de)
{
	u64 dr[4] = {0, 0x80, 0, 0};

	cr_assert_eq(io_bp_hits(0, IO_BP(1, 0), dr, 0x80, 1), 0);
	/* with DE=0, R/W=10b is undefined: no I/O match is made */
	cr_assert_eq(io_bp_hits(DE, 0, dr, 0x80, 1), 0);
}
