/*
 * conformance.v86.vme: virtual-8086 mode extensions (SDM Vol. 3A 20.3,
 * CR4.VME, when CPUID.1:EDX.VME says they exist). With IOPL < 3, CLI,
 * STI, PUSHF, POPF and IRET act on VIF instead of IF (20.3.3.5 and the
 * virtual-8086 branches of Vol. 2A CLI, STI, PUSHF, POPF, IRET): PUSHF
 * shows VIF as IF and IOPL as 3; STI, or POPF/IRET setting IF, with VIP
 * set is #GP(0), as is POPF/IRET setting TF; the 32-bit PUSHFD and POPFD
 * still fault. INT n consults the interrupt redirection bitmap in the TSS
 * (Table 20-2): a clear bit sends it through the 8086 IVT at linear 0
 * with IOPL 3 and IF = VIF in the pushed FLAGS, VIF then cleared (IOPL <
 * 3) or IF cleared (IOPL = 3); a set bit is #GP(0) below IOPL 3 and the
 * protected-mode handler at IOPL 3. INT3 and exceptions never take the
 * bitmap's way.
 */
#include "v86.h"

#define VIF  X86_EFLAGS_VIF
#define VIP  X86_EFLAGS_VIP
#define IF   X86_EFLAGS_IF
#define TF   X86_EFLAGS_TF
#define VM   X86_EFLAGS_VM
#define IOPL (3u << 12)

static struct v86_exit e;
/* Why the checks are skipped, NULL when the CPU has VME. Each check is
 * still declared and reported, as a SKIP, so the image owes the same
 * checks everywhere. */
static const char *no_vme;

static bool vme_equal(const char *id, u64 expected, u64 seen)
{
	if (no_vme) {
		report_skipped(id, "%s", no_vme);
		return true;
	}
	return report_equal(id, expected, seen);
}

static bool vme_exit(const char *id, int vec, u32 err, const char *at)
{
	if (no_vme) {
		report_skipped(id, "%s", no_vme);
		return true;
	}
	return v86_check_exit(id, &e, vec, err, at);
}

#undef report_eq
#undef report_exit
#define report_eq(id, desc, expected, seen)                                    \
	vme_equal(DECLARE_CHECK(id, desc), (u64)(expected), (u64)(seen))
#define report_exit(id, desc, e, vec, err, at)                                 \
	vme_exit(DECLARE_CHECK(id, desc), (vec), (err), (at))

static void run(char *label, int iopl, u32 flags, u32 ebx)
{
	struct v86_ctx c;

	if (no_vme)
		return;
	v86_ctx_init(&c, label, iopl);
	c.eflags |= flags;
	c.ebx = ebx;
	v86_run(&c, &e);
}

static u32 vflags(void)
{
	return e.frame[F_EFLAGS] & (VIF | VIP | IF | IOPL);
}

static void check_cli_sti(void)
{
	run(v86_cli, 0, VIF | IF, 0);
	report_exit("conformance.v86.vme.cli.runs",
		    "VME, IOPL 0: CLI does not fault", &e, GP_VECTOR, 0,
		    v86_cli_hlt);
	report_eq("conformance.v86.vme.cli.vif",
		  "VME, IOPL 0: CLI clears VIF and leaves IF set", IF,
		  vflags());
	run(v86_sti, 0, 0, 0);
	report_exit("conformance.v86.vme.sti.runs",
		    "VME, IOPL 0: STI does not fault", &e, GP_VECTOR, 0,
		    v86_sti_hlt);
	report_eq("conformance.v86.vme.sti.vif",
		  "VME, IOPL 0: STI sets VIF and leaves IF clear", VIF,
		  vflags());
	run(v86_sti, 0, VIP, 0);
	report_exit("conformance.v86.vme.sti.vip",
		    "VME, IOPL 0: STI with VIP set raises #GP(0)", &e,
		    GP_VECTOR, 0, v86_sti);
	run(v86_cli, 3, VIF | IF, 0);
	report_eq("conformance.v86.vme.cli.iopl3",
		  "VME, IOPL 3: CLI clears IF, not VIF", VIF | IOPL, vflags());
}

static void check_pushf_popf(void)
{
	run(v86_pushf, 0, VIF | X86_EFLAGS_CF, 0);
	report_exit("conformance.v86.vme.pushf.runs",
		    "VME, IOPL 0: PUSHF does not fault", &e, GP_VECTOR, 0,
		    v86_pushf_hlt);
	report_eq("conformance.v86.vme.pushf.image",
		  "VME, IOPL 0: PUSHF pushes VIF as IF and 3 as IOPL",
		  X86_EFLAGS_FIXED | X86_EFLAGS_CF | IF | IOPL, e.eax & 0xffff);
	run(v86_pushfd, 0, VIF, 0);
	report_exit("conformance.v86.vme.pushfd.gp",
		    "VME, IOPL 0: PUSHFD (32-bit) still raises #GP(0)", &e,
		    GP_VECTOR, 0, v86_pushfd);

	run(v86_popf, 0, 0, IF | 0xd5);
	report_exit("conformance.v86.vme.popf.runs",
		    "VME, IOPL 0: POPF does not fault", &e, GP_VECTOR, 0,
		    v86_popf_hlt);
	report_eq("conformance.v86.vme.popf.flags",
		  "VME, IOPL 0: POPF loads the popped IF into VIF, the "
		  "arithmetic flags as they are, IF and IOPL unchanged",
		  VM | VIF | X86_EFLAGS_FIXED | 0xd5, NO_RF(e.frame[F_EFLAGS]));
	run(v86_popf, 0, VIF | IF, 0);
	report_eq("conformance.v86.vme.popf.vif-clear",
		  "VME, IOPL 0: POPF of IF = 0 clears VIF, IF stays set", IF,
		  vflags());
	run(v86_popf, 0, 0, TF);
	report_exit("conformance.v86.vme.popf.tf",
		    "VME, IOPL 0: POPF of TF = 1 raises #GP(0)", &e, GP_VECTOR,
		    0, v86_popf_insn);
	run(v86_popf, 0, VIP, IF);
	report_exit("conformance.v86.vme.popf.vip",
		    "VME, IOPL 0: POPF of IF = 1 with VIP set raises #GP(0)",
		    &e, GP_VECTOR, 0, v86_popf_insn);
	run(v86_popf, 0, VIP, 0);
	report_exit("conformance.v86.vme.popf.vip-if0",
		    "VME, IOPL 0: POPF of IF = 0 with VIP set runs", &e,
		    GP_VECTOR, 0, v86_popf_hlt);
	run(v86_popfd, 0, 0, X86_EFLAGS_FIXED);
	report_exit("conformance.v86.vme.popfd.gp",
		    "VME, IOPL 0: POPFD (32-bit) still raises #GP(0)", &e,
		    GP_VECTOR, 0, v86_popfd_insn);
}

static void check_iret(void)
{
	run(v86_iret, 0, 0, IF | X86_EFLAGS_CF);
	report_exit("conformance.v86.vme.iret.runs",
		    "VME, IOPL 0: IRET (16-bit) does not fault", &e, GP_VECTOR,
		    0, v86_iret_hlt);
	report_eq("conformance.v86.vme.iret.flags",
		  "VME, IOPL 0: IRET loads the popped IF into VIF, CF as "
		  "popped, IF and IOPL unchanged",
		  VM | VIF | X86_EFLAGS_FIXED | X86_EFLAGS_CF,
		  NO_RF(e.frame[F_EFLAGS]));
	run(v86_iret, 0, VIP, IF);
	report_exit("conformance.v86.vme.iret.vip",
		    "VME, IOPL 0: IRET of IF = 1 with VIP set raises #GP(0)",
		    &e, GP_VECTOR, 0, v86_iret_insn);
	run(v86_iret, 0, 0, TF);
	report_exit("conformance.v86.vme.iret.tf",
		    "VME, IOPL 0: IRET of TF = 1 raises #GP(0)", &e, GP_VECTOR,
		    0, v86_iret_insn);
}

static void check_redirect(void)
{
	u16 *ivt = NULL;

	/* The 8086 IVT at linear 0 (low_restore() puts it back). */
	asm("" : "+r"(ivt));
	ivt[2 * V_IVT_VEC] = low_off(v86_ivt_handler);
	ivt[2 * V_IVT_VEC + 1] = LOW_SEG;
	ivt[2 * BP_VECTOR] = low_off(v86_ivt_handler);
	ivt[2 * BP_VECTOR + 1] = LOW_SEG;
	ivt[2 * UD_VECTOR] = low_off(v86_ivt_handler);
	ivt[2 * UD_VECTOR + 1] = LOW_SEG;

	/* IOPL < 3, bit clear: through the IVT, IF = VIF in the image. */
	run(v86_int43, 0, VIF, 0);
	report_exit("conformance.v86.vme.int.redirect",
		    "VME, IOPL 0, redirection bit clear: INT n runs the 8086 "
		    "handler the IVT at linear 0 names",
		    &e, GP_VECTOR, 0, v86_ivt_handler_hlt);
	report_eq("conformance.v86.vme.int.frame-ip",
		  "VME redirection pushes the IP after INT n",
		  low_off(v86_int43_hlt), e.eax & 0xffff);
	report_eq("conformance.v86.vme.int.frame-cs",
		  "VME redirection pushes CS", LOW_SEG, e.ebx & 0xffff);
	report_eq("conformance.v86.vme.int.frame-flags",
		  "VME redirection, IOPL 0: the pushed FLAGS hold VIF as IF "
		  "and 3 as IOPL",
		  X86_EFLAGS_FIXED | IF | IOPL, e.ecx & 0xffff);
	report_eq("conformance.v86.vme.int.frame-size",
		  "VME redirection pushes three words (SP down by 6)",
		  LOW_STACK - 6, e.edx & 0xffff);
	report_eq("conformance.v86.vme.int.vif-cleared",
		  "VME redirection, IOPL 0: VIF cleared in the handler", 0,
		  vflags());
	run(v86_int43, 0, IF, 0);
	report_eq("conformance.v86.vme.int.if-kept",
		  "VME redirection, IOPL 0: IF unchanged, the pushed IF is "
		  "VIF (0)",
		  (u32)IF << 16 | (X86_EFLAGS_FIXED | IOPL),
		  (vflags() & IF) << 16 | (e.ecx & 0xffff));

	/* IOPL 3, bit clear: through the IVT, IF cleared. */
	run(v86_int43, 3, IF | VIF, 0);
	report_exit("conformance.v86.vme.int.iopl3.redirect",
		    "VME, IOPL 3, redirection bit clear: INT n runs the 8086 "
		    "handler",
		    &e, GP_VECTOR, 0, v86_ivt_handler_hlt);
	report_eq("conformance.v86.vme.int.iopl3.flags",
		  "VME redirection, IOPL 3: FLAGS pushed as they are, then IF "
		  "cleared and VIF kept",
		  (u32)(VIF | IOPL) << 16 | (X86_EFLAGS_FIXED | IF | IOPL),
		  vflags() << 16 | (e.ecx & 0xffff));

	/* Bit set: #GP(0) below IOPL 3, the IDT's gate at IOPL 3. */
	v86_redirect_bit(V_IVT_VEC, true);
	run(v86_int43, 0, VIF, 0);
	report_exit("conformance.v86.vme.int.bit-set",
		    "VME, IOPL 0, redirection bit set: INT n raises #GP(0)", &e,
		    GP_VECTOR, 0, v86_int43);
	idt_set_dpl(V_IVT_VEC, 3);
	run(v86_int43, 3, VIF, 0);
	idt_set_dpl(V_IVT_VEC, 0);
	report_exit("conformance.v86.vme.int.iopl3.bit-set",
		    "VME, IOPL 3, redirection bit set: INT n goes to the "
		    "protected-mode handler",
		    &e, V_IVT_VEC, 0, v86_int43_hlt);
	v86_redirect_bit(V_IVT_VEC, false);

	run(v86_int3, 0, VIF, 0);
	report_exit("conformance.v86.vme.int3",
		    "VME, IOPL 0, bit 3 clear: INT3 is not redirected, #BP "
		    "goes to the protected-mode handler",
		    &e, BP_VECTOR, 0, v86_int3_hlt);
	run(v86_ud, 0, VIF, 0);
	report_exit("conformance.v86.vme.exception",
		    "VME, IOPL 0, bit 6 clear: #UD is not redirected, it goes "
		    "to the protected-mode handler",
		    &e, UD_VECTOR, 0, v86_ud);
}

void check_v86_vme(void)
{
	no_vme = this_cpu_has(FEAT_VME)
			 ? NULL
			 : "CPUID.1:EDX.VME = 0: no virtual-8086 "
			   "mode extensions";
	if (!no_vme)
		write_cr4(read_cr4() | X86_CR4_VME);
	check_cli_sti();
	check_pushf_popf();
	check_iret();
	check_redirect();
	if (!no_vme)
		write_cr4(read_cr4() & ~X86_CR4_VME);
}
