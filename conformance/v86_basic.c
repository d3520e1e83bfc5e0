/*
 * conformance.v86 entry and exit: IRET with EFLAGS.VM = 1 from CPL 0
 * enters virtual-8086 mode with the segment registers it pops (SDM Vol.
 * 3A 20.2.5, Vol. 2A IRET); an exception or interrupt leaves it for a
 * protected-mode handler on the TSS's SS0:ESP0, having pushed GS, FS, DS
 * and ES before the usual frame and loaded those four with null (SDM
 * Vol. 3A 20.3.1.1). In between: 8086 addressing (selector * 16, 64 KiB
 * limits; SDM Vol. 3A 20.1.1), CPL 3 (privileged instructions #GP(0)),
 * exceptions to the protected-mode handler, and INT3/INTO, which IOPL
 * does not gate (SDM Vol. 3A 20.3.3).
 */
#include "v86.h"

#define SEG_DS 0x2101
#define SEG_ES 0x2102
#define SEG_FS 0x2103
#define SEG_GS 0x2104

static void check_entry_exit(void)
{
	static const u32 want[] = {LOW_SEG, LOW_SEG, SEG_DS,
				   SEG_ES,  SEG_FS,  SEG_GS};
	static const u8 fslot[] = {F_ES, F_DS, F_FS, F_GS};
	static const u32 fwant[] = {SEG_ES, SEG_DS, SEG_FS, SEG_GS};
	char id[CHECK_ID_MAX];
	struct v86_ctx c;
	struct v86_exit e;

	v86_ctx_init(&c, v86_regs, 3);
	c.ds = SEG_DS;
	c.es = SEG_ES;
	c.fs = SEG_FS;
	c.gs = SEG_GS;
	v86_run(&c, &e);
	const u32 seen[] = {e.eax, e.ebx, e.ecx, e.edx, e.esi, e.edi};
	for (int i = 0; i < 6; i++)
		report_equal(CHECK_ID(id,
				      "conformance.v86.enter.{cs,ss,ds,es,fs,"
				      "gs}",
				      "IRET to virtual-8086 mode loads "
				      "{1:CS,SS,DS,ES,FS,GS} with the "
				      "popped value",
				      i),
			     want[i], seen[i] & 0xffff);
	report_exit("conformance.v86.hlt.gp",
		    "virtual-8086 mode runs at CPL 3: HLT raises #GP(0)", &e,
		    GP_VECTOR, 0, v86_regs_hlt);
	report_eq("conformance.v86.exit.frame-cs",
		  "the exit frame holds the 8086 CS", LOW_SEG, e.frame[F_CS]);
	report_eq("conformance.v86.exit.frame-eflags",
		  "the exit frame holds EFLAGS with VM = 1 and the IOPL "
		  "entered with",
		  c.eflags, NO_RF(e.frame[F_EFLAGS]));
	report_eq("conformance.v86.exit.rf-fault",
		  "a fault in virtual-8086 mode (HLT's #GP) pushes EFLAGS "
		  "with RF = 1",
		  X86_EFLAGS_RF, e.frame[F_EFLAGS] & X86_EFLAGS_RF);
	report_eq("conformance.v86.exit.frame-ss",
		  "the exit frame holds the 8086 SS", LOW_SEG, e.frame[F_SS]);
	report_eq("conformance.v86.exit.frame-esp",
		  "the exit frame holds the 8086 SP", LOW_STACK,
		  e.frame[F_ESP]);
	for (int i = 0; i < 4; i++)
		report_equal(CHECK_ID(id,
				      "conformance.v86.exit.frame-{es,ds,fs,"
				      "gs}",
				      "leaving virtual-8086 mode pushes "
				      "{1:ES,DS,FS,GS} above SS",
				      i),
			     fwant[i], e.frame[fslot[i]]);
	const u16 hseg[] = {e.h_ds, e.h_es, e.h_fs, e.h_gs};
	for (int i = 0; i < 4; i++)
		report_equal(CHECK_ID(id,
				      "conformance.v86.exit.handler-{ds,es,"
				      "fs,gs}",
				      "the handler entered from virtual-8086 "
				      "mode finds {1:DS,ES,FS,GS} null",
				      i),
			     0, hseg[i]);
	report_eq("conformance.v86.exit.handler-ss",
		  "the handler runs on the TSS's SS0", KERNEL_DS, e.h_ss);
	report_eq("conformance.v86.exit.esp0",
		  "the exit frame (nine dwords) ends at the TSS's ESP0",
		  v86_esp0(), e.frame_at + 9 * 4);

	v86_ctx_init(&c, v86_pushfd, 3);
	c.eflags |= X86_EFLAGS_CF;
	v86_run(&c, &e);
	report_eq("conformance.v86.pushfd.vm-clear",
		  "PUSHFD in virtual-8086 mode (IOPL 3) pushes EFLAGS with "
		  "VM and RF clear",
		  c.eflags & ~X86_EFLAGS_VM, e.eax);
}

static void check_addressing(void)
{
	struct v86_ctx c;
	struct v86_exit e;

	v86_ctx_init(&c, v86_seg, 3);
	v86_run(&c, &e);
	report_eq("conformance.v86.segbase",
		  "virtual-8086 mode: a store through ES = S at offset 0 "
		  "lands at linear S * 16",
		  0xa5e0, *(volatile u16 *)(ulong)((SEGT_SEG + 0x50) * 16));
	report_eq("conformance.v86.selector",
		  "virtual-8086 mode: MOV to ES takes any value, MOV from ES "
		  "reads it back",
		  SEGT_SEG + 0x50, e.ebx & 0xffff);

	v86_ctx_init(&c, v86_gpw, 3);
	v86_run(&c, &e);
	report_exit("conformance.v86.limit.ds-word",
		    "virtual-8086 mode: a word at DS:0xffff crosses the 64 KiB "
		    "limit: #GP(0)",
		    &e, GP_VECTOR, 0, v86_gpw);
	v86_ctx_init(&c, v86_gpb, 3);
	v86_run(&c, &e);
	report_exit("conformance.v86.limit.ds-byte",
		    "virtual-8086 mode: a byte at DS:0xffff is inside the "
		    "limit (the exit is the HLT after it)",
		    &e, GP_VECTOR, 0, v86_gpb_hlt);
	v86_ctx_init(&c, v86_gpa, 3);
	v86_run(&c, &e);
	report_exit("conformance.v86.limit.addr32",
		    "virtual-8086 mode: a 32-bit address 0x10000 through DS "
		    "is beyond the limit: #GP(0)",
		    &e, GP_VECTOR, 0, v86_gpa_insn);
	v86_ctx_init(&c, v86_ssw, 3);
	v86_run(&c, &e);
	report_exit("conformance.v86.limit.ss-word",
		    "virtual-8086 mode: a word at SS:0xffff (through BP) is "
		    "#SS(0)",
		    &e, SS_VECTOR, 0, v86_ssw_insn);
	v86_ctx_init(&c, v86_ssb, 3);
	v86_run(&c, &e);
	report_exit("conformance.v86.limit.ss-byte",
		    "virtual-8086 mode: a byte at SS:0xffff is inside the "
		    "limit (the exit is the HLT after it)",
		    &e, GP_VECTOR, 0, v86_ssb_hlt);
}

static void check_cpl3(void)
{
	struct v86_ctx c;
	struct v86_exit e;

	v86_ctx_init(&c, v86_movcr0, 3);
	v86_run(&c, &e);
	report_exit("conformance.v86.priv.mov-cr0",
		    "virtual-8086 mode (CPL 3): MOV from CR0 raises #GP(0)", &e,
		    GP_VECTOR, 0, v86_movcr0);
	v86_ctx_init(&c, v86_lmsw, 3);
	v86_run(&c, &e);
	report_exit("conformance.v86.priv.lmsw",
		    "virtual-8086 mode (CPL 3): LMSW raises #GP(0)", &e,
		    GP_VECTOR, 0, v86_lmsw);
	v86_ctx_init(&c, v86_ud, 0);
	v86_run(&c, &e);
	report_exit("conformance.v86.exception.ud",
		    "virtual-8086 mode: UD2 raises #UD to the protected-mode "
		    "handler, EIP at the UD2",
		    &e, UD_VECTOR, 0, v86_ud);
	v86_ctx_init(&c, v86_de, 0);
	v86_run(&c, &e);
	report_exit("conformance.v86.exception.de",
		    "virtual-8086 mode: DIV by 0 raises #DE to the "
		    "protected-mode handler, EIP at the DIV",
		    &e, DE_VECTOR, 0, v86_de_insn);
	/* INT3 and INTO reach their (DPL 3) gates whatever IOPL is. */
	v86_ctx_init(&c, v86_int3, 0);
	v86_run(&c, &e);
	report_exit("conformance.v86.int3.iopl0",
		    "virtual-8086 mode, IOPL 0: INT3 is not IOPL-sensitive, "
		    "#BP to the protected-mode handler after the INT3",
		    &e, BP_VECTOR, 0, v86_int3_hlt);
	v86_ctx_init(&c, v86_into, 0);
	c.eflags |= X86_EFLAGS_OF;
	v86_run(&c, &e);
	report_exit("conformance.v86.into.iopl0",
		    "virtual-8086 mode, IOPL 0: INTO with OF = 1 is not "
		    "IOPL-sensitive, #OF to the protected-mode handler",
		    &e, OF_VECTOR, 0, v86_into_hlt);
	/* The gate's DPL still counts for INT n (CPL 3 > DPL 0). */
	v86_ctx_init(&c, v86_int42, 3);
	v86_run(&c, &e);
	report_exit("conformance.v86.int.gate-dpl0",
		    "virtual-8086 mode, IOPL 3: INT 0x42 through a DPL 0 gate "
		    "raises #GP(0x42 * 8 + 2)",
		    &e, GP_VECTOR, 0x42 * 8 + 2, v86_int42);
}

void check_v86_basic(void)
{
	check_entry_exit();
	check_addressing();
	check_cpl3();
}
