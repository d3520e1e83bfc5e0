/*
 * The virtual CPU of the software monitor modes (trap now, bt later):
 * the guest's general registers as direct execution leaves them, the
 * host selectors they run under, and everything the host CPU cannot
 * hold for a de-privileged guest: the segment registers' hidden
 * descriptor caches, virtual EFLAGS.IF/IOPL/NT/VM/RF, CR0-CR4, the
 * descriptor-table registers, debug registers and the MSRs probes use.
 *
 * The first part is shared with world_switch.S: keep SW_OFF_* in step.
 */
#ifndef REFVMM_SW_CPU_H
#define REFVMM_SW_CPU_H

#include "refvmm/types.h"
#include "refvmm/vcpu.h"
#include "refvmm/x86_regs.h"

/* Segment register numbers, also the host LDT slot each one owns. */
enum sw_sreg { SW_ES, SW_CS, SW_SS, SW_DS, SW_FS, SW_GS, SW_NSREGS };

/* x86 register encoding order (SDM Vol. 2A, Table 2-1). */
enum sw_gpr { SW_EAX, SW_ECX, SW_EDX, SW_EBX, SW_ESP, SW_EBP, SW_ESI, SW_EDI };

/* Why the last world switch came back. */
enum sw_exit_kind {
	SW_EXIT_SIGNAL = 1, /* a fault or trap in guest code */
	SW_EXIT_KICK = 2,   /* the deadline timer */
};

/* EFLAGS bits (SDM Vol. 1, 3.4.3). */
#define EFL_CF	  0x00000001u
#define EFL_FIXED 0x00000002u
#define EFL_TF	  0x00000100u
#define EFL_IF	  0x00000200u
#define EFL_DF	  0x00000400u
#define EFL_OF	  0x00000800u
#define EFL_IOPL  0x00003000u
#define EFL_NT	  0x00004000u
#define EFL_RF	  0x00010000u
#define EFL_VM	  0x00020000u
#define EFL_AC	  0x00040000u
#define EFL_VIF	  0x00080000u
#define EFL_VIP	  0x00100000u
#define EFL_ID	  0x00200000u
/* Flags the monitor keeps: the host runs the guest with IF=1, IOPL=0. */
#define EFL_VIRTUAL                                                            \
	(EFL_IF | EFL_IOPL | EFL_NT | EFL_RF | EFL_VM | EFL_VIF | EFL_VIP)

struct shadow_pt;

struct sw_cpu {
	/* --- shared with world_switch.S (SW_OFF_*) --- */
	u64 host_rsp;	     /* 0: monitor stack at entry */
	u64 host_fsbase;     /* 8 */
	u64 host_gsbase;     /* 16 */
	u8 *xsave_host;	     /* 24: 64-byte aligned XSAVE areas */
	u8 *xsave_guest;     /* 32 */
	u32 gpr[8];	     /* 40: EAX..EDI in encoding order */
	u32 eip;	     /* 72 */
	u32 host_eflags;     /* 76: what the host runs the guest with */
	u16 hsel[SW_NSREGS]; /* 80: host selectors ES CS SS DS FS GS */
	u32 exit_kind;	     /* 92 */
	u8 kick;	     /* 96: the run loop's "leave now" flag */
	u8 use_fxsave;	     /* 97: no XSAVE on this host */
	u8 use_xsaveopt;     /* 98: XSAVEOPT saves the guest's state */
	u8 init_in_use;	     /* 99: the way back resets only XINUSE */
	u16 host_fcw;	     /* 100: the monitor's x87 control word */
	u8 use_rdpkru;	     /* 102: PKRU kept with RDPKRU/WRPKRU */
	u8 guest_narrow;     /* 103: the guest reaches x87 and SSE only */
	u32 host_pkru;	     /* 104: the monitor's PKRU (use_rdpkru) */
	u8 use_wrfsbase;     /* 108: FSGSBASE, else arch_prctl (the way back) */
	/* --- C only --- */
	bool in_guest;
	u32 eflags; /* the guest's view, virtual bits included */
	struct vcpu_seg seg[SW_NSREGS]; /* guest selectors + hidden caches */
	struct vcpu_seg ldtr, tr;
	u32 gdt_base, idt_base;
	u16 gdt_limit, idt_limit;
	u32 cr0, cr2, cr3, cr4;
	u32 dr[8];
	u64 msr_sysenter_cs, msr_sysenter_esp, msr_sysenter_eip, msr_pat;
	u64 msr_efer;
	u64 msr_misc_enable, msr_hwcr; /* Intel's and AMD's (cpu_model.h) */
	u32 msr_tsc_aux;
	s64 tsc_offset;
	int cpl;
	bool irq_shadow;  /* after STI / MOV SS: one instruction first */
	bool nmi_blocked; /* from an NMI's delivery to the next IRET */

	/* Host LDT slots (segments.c): guest GDT index i is shadowed at
	 * host LDT index i, so a host selector the guest saved in memory
	 * (push %ds ... pop %ds) still names the same guest entry; the
	 * private slots above keep a register's hidden descriptor cache
	 * when the guest reloads the same entry after changing it. */
#define SW_SHADOW_SLOTS 64
#define SW_NSLOTS	(SW_SHADOW_SLOTS + 12)
	struct vcpu_seg slot[SW_NSLOTS];
	u16 hsel_set[SW_NSREGS]; /* what the monitor last installed */
	bool slot_used[SW_NSLOTS];
	/* A data segment the host cannot shadow: run with a null selector,
	 * every access through it faults and is emulated. */
	bool seg_emulated[SW_NSREGS];
	u64 slot_writes;
	/* Where the shadows end, 0 for the window: at CPL 3 the shadow
	 * page tables' privilege split (shadow_class.h), so that no user
	 * access reaches the supervisor mappings they keep. Each slot
	 * remembers the cut it was written with. */
	u32 seg_cut;
	u32 slot_cut[SW_NSLOTS];
	/* With seg_banks (binary translation, where the guest never sees a
	 * host selector) each slot has a second host LDT entry, SW_BANK
	 * above, for the cut shadows: a switch of privilege class then
	 * changes selectors, not descriptors (no modify_ldt once both are
	 * written). bank_cut[k]: the cut that entry holds slot[k] at; 0
	 * for none (a cut entry always has a cut). */
	bool seg_banks;
	u32 bank_cut[SW_NSLOTS];

	/* The exception an emulation step raised (segments.h sw_raise).
	 * exc_new_task: raised after a task switch committed, so it
	 * returns to c->eip, the new task's, not to the instruction. */
	int exc_vector;
	u32 exc_error;
	bool exc_has_error;
	bool exc_new_task;

	/* Guest RAM as the monitor sees it, and the machine for MMIO. */
	struct shadow_pt *shadow; /* paging (NULL: linear == physical) */
	int acc_cpl;		  /* -1, or the CPL explicit accesses use */
	u8 *ram;
	u64 ram_size;
	struct vcpu *vcpu;

	/* Called after every write the monitor makes to guest memory
	 * (bt: translated code pages must see them). NULL in trap mode. */
	void (*write_hook)(struct sw_cpu *c, u32 lin, u32 len);

	/* What the last signal said (traps.c decodes it). */
	int signo, si_code, trapno;
	u32 err;
	u64 addr;
	int syscall_nr;
};

/*
 * The EFLAGS bits the host must not take from the guest for a run at the
 * guest's current CPL: EFL_VIRTUAL, and AC unless it checks alignment
 * for the guest too. The host runs all guest code at CPL 3 with CR0.AM
 * set, but AC only means "check alignment" at CPL 3 with CR0.AM (SDM
 * Vol. 3A 2.5, 6.15 "#AC"): a kernel's STAC would otherwise make every
 * misaligned access it does fault.
 */
static inline u32 sw_eflags_kept(const struct sw_cpu *c)
{
	bool ac_live = c->cpl == 3 && (c->cr0 & CR0_AM);

	return EFL_VIRTUAL | (ac_live ? 0 : EFL_AC);
}

#define SW_OFF_HOST_RSP	    0
#define SW_OFF_HOST_FSBASE  8
#define SW_OFF_HOST_GSBASE  16
#define SW_OFF_XSAVE_HOST   24
#define SW_OFF_XSAVE_GUEST  32
#define SW_OFF_GPR	    40
#define SW_OFF_EIP	    72
#define SW_OFF_HOST_EFL	    76
#define SW_OFF_HSEL	    80
#define SW_OFF_EXIT_KIND    92
#define SW_OFF_KICK	    96
#define SW_OFF_USE_FXSAVE   97
#define SW_OFF_USE_XSAVEOPT 98
#define SW_OFF_INIT_IN_USE  99
#define SW_OFF_HOST_FCW	    100
#define SW_OFF_USE_RDPKRU   102
#define SW_OFF_GUEST_NARROW 103
#define SW_OFF_HOST_PKRU    104
#define SW_OFF_USE_WRFSBASE 108

/* Host selector of LDT slot @n: TI=1, RPL 3. */
static inline u16 sw_slot_sel(int n)
{
	return (u16)((n << 3) | 4 | 3);
}

/* The cut shadows' host LDT entries: slot k's at k + SW_BANK (after the
 * monitor's own slots, bt/vm.h). */
#define SW_BANK 128

/* The host LDT entry slot @k is used through now (seg_banks). */
static inline int sw_slot_phys(const struct sw_cpu *c, int k)
{
	return c->seg_banks && c->seg_cut ? k + SW_BANK : k;
}

/* Does the host LDT entry slot @k is used through hold it at the
 * current cut? */
static inline bool sw_slot_current(const struct sw_cpu *c, int k)
{
	if (c->seg_banks && c->seg_cut)
		return c->bank_cut[k] == c->seg_cut;
	return c->slot_cut[k] == c->seg_cut;
}

/* The slot a host selector names, either bank; -1 for none. */
static inline int sw_sel_slot(const struct sw_cpu *c, u16 h)
{
	int k = h >> 3;

	if (!(h & 4))
		return -1;
	if (c->seg_banks && k >= SW_BANK)
		k -= SW_BANK;
	return k < SW_NSLOTS ? k : -1;
}

#endif
