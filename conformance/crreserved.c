/*
 * conformance.trap.mov-to-cr*.reserved: MOV to a control register that
 * sets a reserved bit, or an invalid combination, raises #GP(0) and
 * leaves the register unchanged (SDM Vol. 2A, "MOV—Move to/from Control
 * Registers", Protected Mode and 64-Bit Mode Exceptions; Vol. 3A, 2.5).
 * In an image of its own, CR4 last: QEMU 7.2 TCG hangs on a reserved CR4
 * bit (docs/findings.md), and a hang must not hide other checks.
 */
#include "common.h"

POPEK_IMAGE(0, 0);

PROBE wr_cr0(void *a)
{
	write_cr0(*(ulong *)a);
}
PROBE wr_cr4(void *a)
{
	write_cr4(*(ulong *)a);
}
#ifdef __x86_64__
PROBE wr_cr8(void *a)
{
	asm volatile("mov %0, %%cr8" : : "r"(*(ulong *)a));
}
#endif

#ifdef __x86_64__
static ulong read_cr8(void)
{
	ulong v;

	asm volatile("mov %%cr8, %0" : "=r"(v));
	return v;
}
#endif

/*
 * fn(value) raises #GP(0) and leaves the register reg() reads unchanged.
 * The register is restored afterwards whatever the target did.
 */
static void reserved(const char *id, void (*fn)(void *), ulong value,
		     ulong (*reg)(void))
{
	struct fault f;
	ulong v = value, before = reg(), after;

	try_call(fn, &v, &f);
	after = reg();
	v = before;
	fn(&v);
	report_result(id,
		      f.vector == GP_VECTOR && f.error == 0 && after == before,
		      "expected #GP(0) with the register unchanged, saw %s, "
		      "register %#lx -> %#lx",
		      vector_name(f.vector), before, after);
}

void probe_main(void)
{
	ulong cr0 = read_cr0();

	/* NW=1 with CD=0 is an invalid combination (2.5). */
	reserved(DECLARE_CHECK("conformance.trap.mov-to-cr0.nw-without-cd",
			       "MOV to CR0 with NW=1 and CD=0 raises #GP(0)"),
		 wr_cr0, (cr0 & ~(1ul << 30)) | (1ul << 29), read_cr0);
#ifdef __x86_64__
	reserved(DECLARE_CHECK("conformance.trap.mov-to-cr0.reserved-bit32",
			       "MOV to CR0 with bit 32 set raises #GP(0)"),
		 wr_cr0, cr0 | (1ul << 32), read_cr0);
	reserved(DECLARE_CHECK("conformance.trap.mov-to-cr8.reserved-bit4",
			       "MOV to CR8 with bit 4 set raises #GP(0)"),
		 wr_cr8, 0x10, read_cr8);
#endif
	report_diag("step: MOV to CR4 with bit 15 (may hang on QEMU 7.2 TCG)");
	reserved(DECLARE_CHECK(
			 "conformance.trap.mov-to-cr4.reserved-bit15",
			 "MOV to CR4 with reserved bit 15 set raises #GP(0)"),
		 wr_cr4, read_cr4() | (1ul << 15), read_cr4);
#ifdef __x86_64__
	reserved(DECLARE_CHECK("conformance.trap.mov-to-cr4.reserved-bit32",
			       "MOV to CR4 with bit 32 set raises #GP(0)"),
		 wr_cr4, read_cr4() | (1ul << 32), read_cr4);
#endif
}
