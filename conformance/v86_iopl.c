/*
 * conformance.v86.iopl: the IOPL-sensitive instructions of virtual-8086
 * mode, CLI, STI, PUSHF, POPF, INT n and IRET (SDM Vol. 3A 20.2.7). With
 * CR4.VME = 0 and IOPL < 3 each raises #GP(0) to the monitor; with
 * IOPL = 3 each runs, and POPF and IRET still leave IOPL alone (Vol. 2A
 * POPF and IRET, virtual-8086 branches). INT n at IOPL 3 goes to the
 * protected-mode handler whatever the redirection bitmap says, since
 * VME is off (SDM Vol. 3A Table 20-2).
 */
#include "v86.h"

#define INT_VEC	   0x41
#define POPF_VALUE 0x0cd7 /* OF DF SF ZF AF PF CF, IOPL 0, IF 0 */
#define IRET_FLAGS 0x0001 /* CF; IF 0, IOPL 0 */
#define IOPL3	   (3u << 12)
#define NINSN	   6

enum { CLI, STI, PUSHF, POPF, INT, IRET };

static char *const entry[NINSN] = {v86_cli,  v86_sti, v86_pushf,
				   v86_popf, v86_int, v86_iret};
/* Where a fault at IOPL < 3 is: the instruction itself. */
static char *const insn[NINSN] = {v86_cli,	 v86_sti, v86_pushf,
				  v86_popf_insn, v86_int, v86_iret_insn};
/* Where the exit is at IOPL 3: the HLT after it, or (INT n) the IP the
 * interrupt pushed. */
static char *const after[NINSN] = {v86_cli_hlt,	 v86_sti_hlt, v86_pushf_hlt,
				   v86_popf_hlt, v86_int_hlt, v86_iret_hlt};

static void prepare(struct v86_ctx *c, int i, int iopl)
{
	v86_ctx_init(c, entry[i], iopl);
	if (i == CLI)
		c->eflags |= X86_EFLAGS_IF;
	if (i == POPF)
		c->ebx = POPF_VALUE;
	if (i == IRET)
		c->ebx = IRET_FLAGS;
}

static void check_effects(struct v86_exit *e, const struct v86_ctx *c)
{
	u32 vm3 = X86_EFLAGS_VM | IOPL3;

	report_eq("conformance.v86.iopl3.cli.if",
		  "virtual-8086 mode, IOPL 3: CLI clears IF", 0,
		  e[CLI].frame[F_EFLAGS] & X86_EFLAGS_IF);
	report_eq("conformance.v86.iopl3.sti.if",
		  "virtual-8086 mode, IOPL 3: STI sets IF", X86_EFLAGS_IF,
		  e[STI].frame[F_EFLAGS] & X86_EFLAGS_IF);
	report_eq("conformance.v86.iopl3.pushf.image",
		  "virtual-8086 mode, IOPL 3: PUSHF pushes FLAGS as they are "
		  "(IOPL 3 in the image)",
		  c[PUSHF].eflags & 0xffff, e[PUSHF].eax & 0xffff);
	report_eq("conformance.v86.iopl3.popf.flags",
		  "virtual-8086 mode, IOPL 3: POPF loads FLAGS but not IOPL "
		  "(VM stays)",
		  vm3 | POPF_VALUE, NO_RF(e[POPF].frame[F_EFLAGS]));
	report_eq("conformance.v86.iopl3.int.frame-eflags",
		  "virtual-8086 mode, IOPL 3: INT n to the protected-mode "
		  "handler pushes EFLAGS with VM = 1",
		  c[INT].eflags, NO_RF(e[INT].frame[F_EFLAGS]));
	report_eq("conformance.v86.exit.rf-int",
		  "INT n out of virtual-8086 mode pushes EFLAGS with RF = 0 "
		  "(a software interrupt clears it first)",
		  0, e[INT].frame[F_EFLAGS] & X86_EFLAGS_RF);
	report_eq("conformance.v86.iopl3.iret.flags",
		  "virtual-8086 mode, IOPL 3: IRET pops IP, CS, FLAGS but not "
		  "IOPL",
		  vm3 | X86_EFLAGS_FIXED | IRET_FLAGS,
		  NO_RF(e[IRET].frame[F_EFLAGS]));
}

void check_v86_iopl(void)
{
	char id[CHECK_ID_MAX];
	struct v86_ctx c3[NINSN];
	struct v86_exit e3[NINSN];

	idt_set_dpl(INT_VEC, 3);
	for (int iopl = 0; iopl < 4; iopl++) {
		for (int i = 0; i < NINSN; i++) {
			struct v86_ctx c;
			struct v86_exit e;

			prepare(&c, i, iopl);
			v86_run(&c, &e);
			const char *cid = CHECK_ID(
				id,
				"conformance.v86.iopl.{cli,sti,pushf,popf,int,"
				"iret}.iopl{0..3}",
				"virtual-8086 mode, IOPL {2}: "
				"{1:CLI,STI,PUSHF,POPF,INT n,IRET} raises "
				"#GP(0) below IOPL 3 and runs at IOPL 3",
				i, iopl);
			if (iopl < 3)
				v86_check_exit(cid, &e, GP_VECTOR, 0, insn[i]);
			else
				v86_check_exit(cid, &e,
					       i == INT ? INT_VEC : GP_VECTOR,
					       0, after[i]);
			if (iopl == 3) {
				c3[i] = c;
				e3[i] = e;
			}
		}
	}
	idt_set_dpl(INT_VEC, 0);
	check_effects(e3, c3);
}
