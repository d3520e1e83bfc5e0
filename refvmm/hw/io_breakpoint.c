/*
 * I/O breakpoint matching, SDM Vol. 3B 18.2.4 (DR7 fields) and 18.2.5
 * (breakpoint field recognition): the LEN field masks the low address
 * bits, so a 2-byte breakpoint covers an aligned word, a 4-byte one an
 * aligned dword; an access overlapping any covered port hits.
 */
#include "refvmm/io_breakpoint.h"

#define CR4_DE (1u << 3)
#define RW_IO  2u

static unsigned rw_of(u64 dr7, int n)
{
	return (unsigned)(dr7 >> (16 + 4 * n)) & 3u;
}

/* LEN 00 1 byte, 01 2, 11 4; 10 is 8 bytes (SDM Table 18-2, where the
 * processor supports it). */
static unsigned len_of(u64 dr7, int n)
{
	static const unsigned len[4] = {1, 2, 8, 4};

	return len[(dr7 >> (18 + 4 * n)) & 3u];
}

static bool enabled(u64 dr7, int n)
{
	return (dr7 >> (2 * n)) & 3u;
}

bool io_bp_armed(u64 dr7)
{
	int n;

	for (n = 0; n < 4; n++)
		if (enabled(dr7, n) && rw_of(dr7, n) == RW_IO)
			return true;
	return false;
}

u32 io_bp_hits(u64 cr4, u64 dr7, const u64 dr[4], u16 port, unsigned size)
{
	u32 hits = 0;
	u64 lo, hi;
	unsigned len;
	int n;

	if (!(cr4 & CR4_DE))
		return 0;
	for (n = 0; n < 4; n++) {
		if (!enabled(dr7, n) || rw_of(dr7, n) != RW_IO)
			continue;
		len = len_of(dr7, n);
		lo = (dr[n] & 0xffff) & ~(u64)(len - 1);
		hi = lo + len;
		if (port < hi && (u64)port + size > lo)
			hits |= 1u << n;
	}
	return hits;
}
