/*
 * Shared by the real-mode and virtual-8086 probes (conformance-v86-32):
 * the low-memory blob's labels, entering a snippet in virtual-8086 mode
 * and what its exit left, and the TSS the exits go through.
 */
#ifndef CONFORMANCE_V86_H
#define CONFORMANCE_V86_H

#include "common.h"
#include "v86_low.h"

#define X86_EFLAGS_VIF (1ul << 19)
#define X86_EFLAGS_VIP (1ul << 20)
/* A fault's frame carries RF = 1 (SDM Vol. 3B 17.3.1.1), an INT n's
 * RF = 0; checks about other flags compare the frame without it, and
 * conformance.v86.exit.rf-* check it on its own. */
#define NO_RF(flags) ((flags) & ~X86_EFLAGS_RF)
#define FEAT_VME     X86_FEATURE(1, 0, 3, 1, "vme")
#define FEAT_SEP     X86_FEATURE(1, 0, 3, 11, "sep")

/* What v86_enter() IRETs to: the frame IRET pops on its way to
 * virtual-8086 mode (SDM Vol. 2A IRET, "RETURN-TO-VIRTUAL-8086-MODE"),
 * then the general registers the snippet starts with. */
struct v86_ctx {
	u32 eip, cs, eflags, esp, ss, es, ds, fs, gs;
	u32 eax, ebx, ecx, edx, esi, edi, ebp;
};

/* Frame slots of the exit, as the processor pushed them. */
enum { F_EIP, F_CS, F_EFLAGS, F_ESP, F_SS, F_ES, F_DS, F_FS, F_GS, F_N };

struct v86_exit {
	int vector; /* NO_FAULT: the snippet was not run (popek.skip) */
	u32 error;  /* 0 for vectors without an error code */
	u32 frame[F_N];
	u32 eax, ebx, ecx, edx, esi, edi;
	/* The handler's data segment registers and SS at its entry, and
	 * where the frame's EIP slot was. */
	u16 h_ds, h_es, h_fs, h_gs, h_ss;
	u32 frame_at;
};

/* A blob label's offset in segment LOW_SEG. */
u16 low_off(const char *label);
/* Reads a 16- or 32-bit result the real-mode sequence left. */
u32 low_res(unsigned off);
u16 low_res16(unsigned off);

/* A context entering label in virtual-8086 mode with the given IOPL:
 * CS, SS, DS, ES, FS and GS all LOW_SEG, SP LOW_STACK, IF clear. */
void v86_ctx_init(struct v86_ctx *c, const char *label, int iopl);
/* Runs the snippet until its first exit; returns the exit's vector. */
int v86_run(struct v86_ctx *c, struct v86_exit *e);
/* The same for a context that IRETs to CPL 3 in protected mode (VM = 0
 * in c->eflags, a DPL 3 CS and SS): the exit may come from protected
 * mode at CPL 3 (its frame has no ES, DS, FS, GS: 0 there) or from
 * virtual-8086 mode. */
int v86_run_from_pm(struct v86_ctx *c, struct v86_exit *e);

/* The TSS of the virtual-8086 runs: ESP0 for the exits, the interrupt
 * redirection bitmap, the I/O permission bitmap (SDM Vol. 3A 20.3.3.5,
 * Figure 20-5). v86_tss_load() makes it current; v86_tss_unload() puts
 * the runtime's back. */
void v86_tss_load(void);
void v86_tss_unload(void);
u32 v86_esp0(void);
/* No I/O permission bitmap (the base past the TSS limit), or one that
 * denies every port until io_allow(). */
void v86_iomap(bool present);
void v86_io_allow(u16 port, bool allow);
/* A set bit: INT n is not redirected to the 8086 IVT. */
void v86_redirect_bit(int vector, bool set);

/*
 * Checks that the exit was vector vec with error code err at the blob
 * label at (its offset is the frame's EIP), and words a failure as
 * "expected #GP(0x0) at 0x1234, saw #UD at 0x1236".
 */
bool v86_check_exit(const char *id, const struct v86_exit *e, int vec, u32 err,
		    const char *at);
#define report_exit(id, desc, e, vec, err, at)                                 \
	v86_check_exit(DECLARE_CHECK(id, desc), (e), (vec), (err), (at))

/* The real-mode sequence of v86_low.S, there and back. */
void rm_run(void);

/* The families, in the order probe_main() runs them. */
void check_real_mode(void);
void check_v86_iret_cpl3(void);
void check_v86_basic(void);
void check_v86_iopl(void);
void check_v86_io(void);
void check_v86_vme(void);

/* Blob labels (v86_low.S). */
extern char v86_blob[], v86_blob_end[], rm_stubs[];
extern char rm_int[], rm_int_ret[], rm_ud[], rm_de[], rm_gpw[];
extern char v86_regs[], v86_regs_hlt[], v86_pushfd[], v86_pushfd_hlt[];
extern char v86_seg[], v86_cli[], v86_cli_hlt[], v86_sti[], v86_sti_hlt[];
extern char v86_pushf[], v86_pushf_hlt[], v86_popf[], v86_popf_insn[];
extern char v86_popf_hlt[], v86_int[], v86_int_hlt[], v86_iret[];
extern char v86_iret_insn[], v86_iret_hlt[], v86_popfd[], v86_popfd_insn[];
extern char v86_popfd_hlt[], v86_int3[], v86_int3_hlt[], v86_into[];
extern char v86_into_hlt[], v86_int42[], v86_int43[], v86_int43_hlt[];
extern char v86_ivt_handler[], v86_ivt_handler_hlt[];
extern char v86_out[], v86_out_hlt[], v86_in[], v86_in_hlt[], v86_outw[];
extern char v86_outw_hlt[], v86_outsb[], v86_outsb_insn[], v86_outsb_hlt[];
extern char v86_insb[], v86_insb_insn[], v86_insb_hlt[];
extern char v86_gpw[], v86_gpb[], v86_gpb_hlt[], v86_gpa[], v86_gpa_insn[];
extern char v86_ssw[], v86_ssw_insn[], v86_ssb[], v86_ssb_hlt[];
extern char v86_movcr0[], v86_lmsw[], v86_ud[], v86_de[], v86_de_insn[];

#endif
