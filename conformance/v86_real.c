/*
 * conformance.realmode: from protected mode back to real-address mode
 * and back again (SDM Vol. 3A 10.9.2 and 10.9.1), and what real mode does
 * meanwhile (SDM Vol. 3A 20.1): segment base = selector * 16 with no
 * descriptor behind it, INT n and exceptions through the interrupt
 * vector table the IDTR names (20.1.4: IP, CS pushed after FLAGS, no
 * error code), the 64 KiB offset limit (20.1.1; #GP, #SS for a stack
 * access), CPUID and the MSRs at CPL 0.
 *
 * The sequence runs in one go (rm_run, v86_low.S) and leaves its
 * observations in the results area; the checks read them afterwards.
 */
#include "skip.h"
#include "v86.h"

#define MSR_SYSENTER_CS 0x174
#define MSR_PM_VALUE	0x1234 /* written in protected mode, read in real */
#define MSR_RM_VALUE	0x5678 /* written in real mode, read in protected */
#define NO_VEC		0xffff /* what the sequence leaves for "none" */

static void res_set(unsigned off, u32 v)
{
	*(volatile u32 *)(ulong)(LOW_BASE + RES + off) = v;
}

PROBE do_ud2(void *a)
{
	(void)a;
	asm volatile("ud2");
}

static void check_segments(void)
{
	char id[CHECK_ID_MAX];

	for (int n = 0; n < 5; n++) {
		u32 sel = SEGT_SEG + 0x10 * n;
		u16 seen = *(volatile u16 *)(ulong)(sel * 16);

		report_equal(CHECK_ID(id,
				      "conformance.realmode.segbase."
				      "{ds,es,fs,gs,ss}",
				      "real mode: a store through "
				      "{1:DS,ES,FS,GS,SS} = S at offset 0 "
				      "lands at linear S * 16",
				      n),
			     0xa5d0 + n, seen);
		report_equal(CHECK_ID(id,
				      "conformance.realmode.selector."
				      "{ds,es,fs,gs,ss}",
				      "real mode: MOV from {1:DS,ES,FS,GS,SS} "
				      "reads back the value loaded",
				      n),
			     sel, low_res(R_SEGRD + 4 * n));
	}
	report_eq("conformance.realmode.selector.any",
		  "real mode: any value loads into a segment register "
		  "(0xfff8: no descriptor, no check) and reads back",
		  0xfff8, low_res(R_ANYSEG));
}

static void check_int(void)
{
	u32 pre = low_res(R_INT_PRE);

	report_eq("conformance.realmode.int.pre-flags",
		  "real mode: STI and STC set IF and CF",
		  X86_EFLAGS_IF | X86_EFLAGS_CF,
		  pre & (X86_EFLAGS_IF | X86_EFLAGS_CF));
	report_eq("conformance.realmode.int.vector",
		  "real mode: INT 0x40 runs the handler the IVT entry "
		  "IDTR.base + 0x100 names",
		  0x40, low_res(R_INT_VEC));
	report_eq("conformance.realmode.int.frame-ip",
		  "real mode: INT n pushes the IP after the instruction",
		  low_off(rm_int_ret), low_res(R_INT_IP));
	report_eq("conformance.realmode.int.frame-cs",
		  "real mode: INT n pushes CS", LOW_SEG, low_res(R_INT_CS));
	report_eq("conformance.realmode.int.frame-flags",
		  "real mode: INT n pushes FLAGS as they were before it", pre,
		  low_res(R_INT_FL));
	report_eq("conformance.realmode.int.frame-size",
		  "real mode: INT n pushes three words (FLAGS, CS, IP): SP "
		  "down by 6",
		  low_res(R_INT_SP) - 6, low_res(R_INT_HSP));
	report_eq("conformance.realmode.int.flags-cleared",
		  "real mode: INT n clears IF and TF, nothing else",
		  pre & ~(X86_EFLAGS_IF | X86_EFLAGS_TF), low_res(R_INT_HFL));
	report_eq("conformance.realmode.iret.flags",
		  "real mode: IRET pops IP, CS and FLAGS (IF and CF back)", pre,
		  low_res(R_IRET_FL));
}

static void check_exceptions(void)
{
	report_eq("conformance.realmode.ud.vector",
		  "real mode: UD2 raises #UD through IVT entry 6", UD_VECTOR,
		  low_res(R_UD_VEC));
	report_eq("conformance.realmode.ud.frame-ip",
		  "real mode: #UD pushes the IP of the faulting instruction",
		  low_off(rm_ud), low_res(R_UD_IP));
	report_eq("conformance.realmode.de.vector",
		  "real mode: DIV by 0 raises #DE through IVT entry 0",
		  DE_VECTOR, low_res(R_DE_VEC));
	report_eq("conformance.realmode.de.frame-ip",
		  "real mode: #DE pushes the IP of the DIV", low_off(rm_de),
		  low_res(R_DE_IP));
}

static void check_limits(void)
{
	report_eq("conformance.realmode.limit.ds-word",
		  "real mode: a word at DS:0xffff crosses the 64 KiB limit: "
		  "#GP (IVT entry 13)",
		  GP_VECTOR, low_res(R_GPW_VEC));
	report_eq("conformance.realmode.limit.frame-ip",
		  "real mode: the limit #GP pushes the IP of the access",
		  low_off(rm_gpw), low_res(R_GPW_IP));
	report_eq("conformance.realmode.limit.no-error-code",
		  "real mode: #GP pushes no error code (SP down by 6 only)",
		  low_res(R_GPW_SP) - 6, low_res(R_GPW_HSP));
	report_eq("conformance.realmode.limit.ds-byte",
		  "real mode: a byte at DS:0xffff is inside the limit: "
		  "no exception",
		  NO_VEC, low_res(R_GPB_VEC));
	report_eq("conformance.realmode.limit.addr32",
		  "real mode: a 32-bit address 0x10000 through DS is beyond "
		  "the limit: #GP",
		  GP_VECTOR, low_res(R_GPA_VEC));
	report_eq("conformance.realmode.limit.ss-word",
		  "real mode: a word at SS:0xffff (through BP) is #SS "
		  "(IVT entry 12)",
		  SS_VECTOR, low_res(R_SSW_VEC));
	report_eq("conformance.realmode.limit.ss-byte",
		  "real mode: a byte at SS:0xffff is inside the limit: "
		  "no exception",
		  NO_VEC, low_res(R_SSB_VEC));
}

static void check_cpu(bool msrs)
{
	struct cpuid c0 = cpuid(0, 0), c1 = cpuid(1, 0);

	report("conformance.realmode.cpuid.vendor",
	       "real mode: CPUID.0 returns the vendor string protected mode "
	       "sees",
	       low_res(R_CPUID0) == c0.b && low_res(R_CPUID0 + 4) == c0.d &&
		       low_res(R_CPUID0 + 8) == c0.c,
	       "expected EBX/EDX/ECX %#x/%#x/%#x, saw %#x/%#x/%#x", c0.b, c0.d,
	       c0.c, low_res(R_CPUID0), low_res(R_CPUID0 + 4),
	       low_res(R_CPUID0 + 8));
	report_eq("conformance.realmode.cpuid.signature",
		  "real mode: CPUID.1:EAX is the signature protected mode "
		  "sees",
		  c1.a, low_res(R_CPUID1A));
	const char *rd = DECLARE_CHECK(
		"conformance.realmode.msr.rdmsr",
		"real mode: RDMSR reads IA32_SYSENTER_CS as protected mode "
		"wrote it");
	const char *wr = DECLARE_CHECK(
		"conformance.realmode.msr.wrmsr",
		"real mode: WRMSR to IA32_SYSENTER_CS is what protected mode "
		"reads");
	if (!msrs) {
		report_skipped(rd, "CPUID.1:EDX.SEP = 0: no SYSENTER MSRs");
		report_skipped(wr, "CPUID.1:EDX.SEP = 0: no SYSENTER MSRs");
		return;
	}
	report_equal(rd, MSR_PM_VALUE, low_res(R_MSR_RD));
	report_equal(wr, MSR_RM_VALUE, (u32)rdmsr(MSR_SYSENTER_CS));
	wrmsr(MSR_SYSENTER_CS, 0);
}

void check_real_mode(void)
{
	struct descriptor_ptr idtr;
	bool msrs = this_cpu_has(FEAT_SEP);
	struct fault f;
	u16 *saved = (u16 *)(ulong)(LOW_BASE + RES + R_PM_IDTR);

	idt_loaded(&idtr);
	saved[0] = idtr.limit;
	saved[1] = (u16)idtr.base;
	saved[2] = (u16)(idtr.base >> 16);
	res_set(R_MSR_ON, msrs);
	res_set(R_MSR_WR, MSR_RM_VALUE);
	if (msrs)
		wrmsr(MSR_SYSENTER_CS, MSR_PM_VALUE);
	/* One real-mode visit for every check below: the restarts'
	 * popek.skip decides for it as a whole. */
	if (skip_run())
		memset((void *)(LOW_BASE + RES), 0, 0x100);
	else
		rm_run();

	report_eq("conformance.realmode.enter.cr0-pe",
		  "CR0.PE = 0 through a 16-bit segment, then a far jump: "
		  "MOV from CR0 in real mode reads PE = 0",
		  0, low_res(R_CR0) & X86_CR0_PE);
	report_eq("conformance.realmode.enter.cs",
		  "the far jump after clearing PE loads CS with the real-mode "
		  "segment",
		  LOW_SEG, low_res16(R_CS));
	report("conformance.realmode.sidt",
	       "real mode: SIDT stores what LIDT loaded (the IVT's base "
	       "and limit)",
	       low_res16(R_SIDT) == RM_IVT_LIMIT &&
		       low_res(R_SIDT + 2) == LOW_BASE + RM_IVT,
	       "expected limit %#x base %#x, saw %#x %#x", RM_IVT_LIMIT,
	       LOW_BASE + RM_IVT, low_res16(R_SIDT), low_res(R_SIDT + 2));
	check_segments();
	check_int();
	check_exceptions();
	check_limits();
	check_cpu(msrs);
	report_eq("conformance.realmode.done",
		  "the real-mode sequence runs to its end", 0x600d,
		  low_res16(R_DONE));
	report_eq("conformance.realmode.leave.cs",
		  "CR0.PE = 1 and a far jump return to the flat 32-bit code "
		  "segment",
		  KERNEL_CS32, read_cs());
	report_eq("conformance.realmode.leave.cr0-pe",
		  "back in protected mode: CR0.PE = 1", X86_CR0_PE,
		  read_cr0() & X86_CR0_PE);
	try_call(do_ud2, NULL, &f);
	report_fault("conformance.realmode.leave.idt",
		     "back in protected mode: LIDT of the runtime's IDT makes "
		     "UD2 reach its #UD gate",
		     UD_VECTOR, 0, &f);
}
