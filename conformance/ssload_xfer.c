/*
 * conformance.ssload.{ret,iret}: a far RET or IRET to an outer privilege
 * level pops SS and checks it against the new CPL (the return CS's RPL)
 * with the same rules as MOV SS (Vol. 2B RET, Vol. 2A IRET: #GP(selector),
 * #SS(selector) for P = 0; a null SS is #GP(0) outside 64-bit mode and
 * in 64-bit mode when returning to CPL 3; two points where the SDM
 * contradicts itself accept either outcome, see ret_one()).
 * conformance.ssload.{int,exc,callgate}: an INT n, an exception or a call
 * through a call gate to an inner level takes SS from the TSS and checks
 * it against the new CPL (Vol. 2A INT n and CALL; Vol. 3A 6.12.1): the
 * faults become #TS(selector), #SS(selector) for P = 0, with EXT set for
 * an exception; a null TSS.SS is #TS(EXT). In 64-bit mode the TSS holds
 * no SS: the new SS is null with RPL = new CPL (Vol. 3A 6.14.4). CPL 0 is
 * left out of the TSS paths: the runtime's own handlers need TSS.SS0.
 */
#include "ssload.h"

volatile u16 pad_ss;
volatile ulong pad_sp, pad_off;
volatile u32 pad_val;
extern char ss_pad[];

/* Where every transfer lands: records SS:SP and a read through SS, then
 * returns to CPL 0 through INT 0x7f. Outside 64-bit mode DS is reloaded
 * first (a return outward nulls a DS of lower DPL): CS + 8 is the data
 * segment of the same level in the runtime's GDT. */
#ifdef __x86_64__
asm(".text\n"
    "ss_pad:\n\t"
    "mov %ss, pad_ss(%rip)\n\t"
    "mov %rsp, pad_sp(%rip)\n\t"
    "mov pad_off(%rip), %rax\n\t"
    "mov %ss:(%rax), %eax\n\t"
    "mov %eax, pad_val(%rip)\n\t"
    "int $0x7f\n");
#else
asm(".text\n"
    "ss_pad:\n\t"
    "mov %cs, %ax\n\tadd $8, %ax\n\tmov %ax, %ds\n\t"
    "mov %ss, pad_ss\n\t"
    "mov %esp, pad_sp\n\t"
    "mov pad_off, %eax\n\t"
    "mov %ss:(%eax), %eax\n\t"
    "mov %eax, pad_val\n\t"
    "int $0x7f\n");
#endif

static u8 outer_stack[4096] __aligned(16);

struct xfer {
	ulong ss, sp, cs, ip;
};

PROBE do_ret(void *a)
{
	struct xfer *x = a;

	asm volatile("mov %%ss, %[ssb]\n\t"
		     "push %[ss]\n\tpush %[sp]\n\tpush %[cs]\n\tpush %[ip]\n\t"
		     "mov " SP ", %[spb]\n\t"
#ifdef __x86_64__
		     "lretq"
#else
		     "lret"
#endif
		     : [ssb] "+m"(st.ss_before), [spb] "+m"(st.sp_before)
		     : [ss] "r"(x->ss), [sp] "r"(x->sp), [cs] "r"(x->cs),
		       [ip] "r"(x->ip)
		     : "memory");
}

PROBE do_iret(void *a)
{
	struct xfer *x = a;
	ulong fl = read_flags();

	asm volatile("mov %%ss, %[ssb]\n\t"
		     "push %[ss]\n\tpush %[sp]\n\tpush %[fl]\n\t"
		     "push %[cs]\n\tpush %[ip]\n\t"
		     "mov " SP ", %[spb]\n\t"
#ifdef __x86_64__
		     "iretq"
#else
		     "iret"
#endif
		     : [ssb] "+m"(st.ss_before), [spb] "+m"(st.sp_before)
		     : [ss] "r"(x->ss), [sp] "r"(x->sp), [fl] "r"(fl),
		       [cs] "r"(x->cs), [ip] "r"(x->ip)
		     : "memory");
}

/* Copies what the landing pad saw into st, for ss_check_state(). */
static void take_pad(void)
{
	st.ss_after = pad_ss;
	st.sp_after = pad_sp;
	st.val = pad_val;
}

static void pad_reset(void)
{
	pad_ss = 0xffff;
	pad_sp = 0;
	pad_val = 0;
	pad_off = st.off;
}

static const enum kind dpl_kinds[] = {K_RW, K_NP};
static const enum kind other_kinds[] = {K_RO,	  K_CODE, K_SYS,       K_NULL,
					K_BEYOND, K_LDT,  K_LDT_BEYOND};

/* RET (path 0) or IRET (path 1) from CPL 0 to CPL n with SS sel. */
static void ret_one(int path, int n, enum kind k, int dpl, int rpl, int ki,
		    bool has_dpl)
{
	struct outcome o = expect_load(k, n, dpl, rpl);
	u16 sel = kind_sel(k, dpl, rpl);
	struct xfer x = {sel, (ulong)outer_stack + sizeof(outer_stack) - 32,
			 sel_code_rpl(n), (ulong)ss_pad};
	struct fault f;
	char id[CHECK_ID_MAX];
	int want = o.vec == NO_FAULT ? RET_VECTOR : o.vec;

	bool loaded = o.vec == NO_FAULT;

	ss_prepare(k, dpl);
	pad_reset();
	try_call(path ? do_iret : do_ret, &x, &f);
	take_pad();
	/* IRET's pseudocode raises #SS(selector) for a not-present SS, its
	 * exception list #NP(selector); Bochs and QEMU raise #NP. Either. */
	if (path == 1 && o.vec == SS_VECTOR && f.vector == NP_VECTOR)
		want = NP_VECTOR;
	/* A null SS returning to CPL 1-2 in 64-bit mode: RET's pseudocode
	 * refuses RPL 3 only, IRET's an RPL other than "CPL"; Bochs and
	 * QEMU accept any RPL. Either, and a load must then be right. */
	if (W64 && k == K_NULL && n != 3 && f.vector == RET_VECTOR) {
		want = RET_VECTOR;
		loaded = true;
	}
	if (has_dpl) {
		check_fault(CHECK_ID(id,
				     "conformance.ssload.{ret,iret}."
				     "to-cpl{1..3}.{rw,np}.dpl{0..3}."
				     "rpl{0..3}",
				     "{1:far RET,IRET} from CPL 0 to CPL {2} "
				     "with a {3:writable,not-present "
				     "writable} SS of DPL {4}, RPL {5}: "
				     "returns iff RPL = DPL = new CPL, else "
				     "#GP(selector); P = 0 is #SS(selector) "
				     "(IRET: #SS or #NP)",
				     path, n, ki, dpl, rpl),
			    want, o.err, &f);
		ss_check_state(CHECK_ID(id,
					"conformance.ssload.{ret,iret}."
					"to-cpl{1..3}.{rw,np}.dpl{0..3}."
					"rpl{0..3}.state",
					"{1:far RET,IRET} to CPL {2}, "
					"{3:writable,not-present} SS DPL {4} "
					"RPL {5}: SS:SP unchanged after a "
					"fault; after the return the popped "
					"SS:SP, base and accessed bit",
					path, n, ki, dpl, rpl),
			       k, dpl, sel, x.sp, &f, loaded);
		return;
	}
	check_fault(CHECK_ID(id,
			     "conformance.ssload.{ret,iret}.to-cpl{1..3}."
			     "{ro,code,sys,null,beyond,ldt,ldt-beyond}."
			     "rpl{0..3}",
			     "{1:far RET,IRET} from CPL 0 to CPL {2} with an "
			     "SS of kind {3:ro,code,sys,null,beyond,ldt,"
			     "ldt-beyond}, RPL {4} (DPL = new CPL): "
			     "#GP(selector) unless writable data with RPL = "
			     "new CPL; null: #GP(0), in 64-bit mode allowed "
			     "to CPL 1-2 (with any RPL: either outcome)",
			     path, n, ki, rpl),
		    want, o.err, &f);
	ss_check_state(CHECK_ID(id,
				"conformance.ssload.{ret,iret}.to-cpl{1..3}."
				"{ro,code,sys,null,beyond,ldt,ldt-beyond}."
				"rpl{0..3}.state",
				"{1:far RET,IRET} to CPL {2}, SS kind "
				"{3:ro,code,sys,null,beyond,ldt,ldt-beyond} "
				"RPL {4}: SS:SP unchanged after a fault; "
				"after the return the popped SS:SP and base",
				path, n, ki, rpl),
		       k, dpl, sel, x.sp, &f, loaded);
}

static void returns(void)
{
	for (int path = 0; path <= 1; path++)
		for (int n = 1; n <= 3; n++)
			for (int rpl = 0; rpl <= 3; rpl++) {
				for (int i = 0; i < 2; i++)
					for (int dpl = 0; dpl <= 3; dpl++)
						ret_one(path, n, dpl_kinds[i],
							dpl, rpl, i, true);
				for (int i = 0;
				     i < (int)ARRAY_SIZE(other_kinds); i++)
					ret_one(path, n, other_kinds[i], n, rpl,
						i, false);
			}
}

/* An IDT gate (Vol. 3A 6.11, 64-bit 6.14.1), interrupt type; the old
 * entry is saved in old[] for gate_restore(). */
static u64 *gate_at(int vec)
{
	struct descriptor_ptr p;

	idt_loaded(&p);
	return (u64 *)(p.base + (ulong)vec * (W64 ? 16 : 8));
}

static void gate_set(int vec, u16 cs, ulong off, int dpl, u64 old[2])
{
	u64 *g = gate_at(vec);

	old[0] = g[0];
	g[0] = (off & 0xffff) | (u64)cs << 16 | (u64)(0x8e | dpl << 5) << 40 |
	       (u64)((off >> 16) & 0xffff) << 48;
	if (W64) {
		old[1] = g[1];
		g[1] = (u64)off >> 32;
	}
}

static void gate_restore(int vec, const u64 old[2])
{
	u64 *g = gate_at(vec);

	g[0] = old[0];
	if (W64)
		g[1] = old[1];
}

#define INNER_VEC 0x42

PROBE do_int(void *a)
{
	(void)a;
	asm volatile("mov %%ss, %[ssb]\n\tmov " SP ", %[spb]\n\tint $0x42"
		     : [ssb] "+m"(st.ss_before), [spb] "+m"(st.sp_before)
		     :
		     : "memory");
}

PROBE do_exc(void *a)
{
	(void)a;
	asm volatile("mov %%ss, %[ssb]\n\tmov " SP ", %[spb]\n\tud2"
		     : [ssb] "+m"(st.ss_before), [spb] "+m"(st.sp_before)
		     :
		     : "memory");
}

static u8 inner_stack[4096] __aligned(16);

#ifndef __x86_64__
#define CALL_GATE SS_SLOT(13)

PROBE do_callgate(void *a)
{
	static const struct __attribute__((packed)) {
		u32 off;
		u16 sel;
	} fp = {0, CALL_GATE << 3 | 3};

	(void)a;
	asm volatile("mov %%ss, %[ssb]\n\tmov %%esp, %[spb]\n\tlcall *%[fp]"
		     : [ssb] "+m"(st.ss_before), [spb] "+m"(st.sp_before)
		     : [fp] "m"(fp)
		     : "memory");
}

enum inner { I_INT, I_EXC, I_CALL };
static void (*const inner_probes[])(void *) = {do_int, do_exc, do_callgate};

/* The TSS path's outcome: MOV's, with #GP as #TS and EXT for an
 * exception (Vol. 3A 6.13). */
static struct outcome expect_tss(enum inner p, enum kind k, int n, int dpl,
				 int rpl)
{
	struct outcome o = expect_load(k, n, dpl, rpl);

	if (o.vec == GP_VECTOR)
		o.vec = TS_VECTOR;
	if (o.vec != NO_FAULT && p == I_EXC)
		o.err |= 1;
	return o;
}

static void inner_one(enum inner p, int n, enum kind k, int dpl, int rpl,
		      int ki, bool has_dpl)
{
	struct outcome o = expect_tss(p, k, n, dpl, rpl);
	u16 sel = kind_sel(k, dpl, rpl);
	ulong top = (ulong)inner_stack + sizeof(inner_stack);
	ulong espn = top - (k == K_RW || k == K_LDT ? SS_BASE : 0);
	ulong want_sp = espn - (p == I_CALL ? 16 : 20);
	struct fault f;
	char id[CHECK_ID_MAX];
	u64 old[2];

	ss_prepare(k, dpl);
	pad_reset();
	set_tss_ss(n, sel);
	set_tss_stack(n, espn);
	if (p == I_CALL)
		gdt_set_call_gate(CALL_GATE, SEL_CODE32(n), (ulong)ss_pad, 3);
	else
		gate_set(p == I_INT ? INNER_VEC : UD_VECTOR, SEL_CODE32(n),
			 (ulong)ss_pad, p == I_INT ? 3 : 0, old);
	run_at_cpl(3, inner_probes[p], NULL, &f);
	if (p != I_CALL)
		gate_restore(p == I_INT ? INNER_VEC : UD_VECTOR, old);
	set_tss_ss(n, 0);
	take_pad();
	if (has_dpl) {
		check_fault(CHECK_ID(id,
				     "conformance.ssload.{int,exc,callgate}."
				     "to-cpl{1..2}.{rw,np}.dpl{0..3}."
				     "rpl{0..3}",
				     "{1:INT n,#UD,far CALL through a call "
				     "gate} from CPL 3 to CPL {2} with "
				     "TSS.SS{2} a {3:writable,not-present "
				     "writable} segment of DPL {4}, RPL {5}: "
				     "enters iff RPL = DPL = new CPL, else "
				     "#TS(selector); P = 0 is #SS(selector); "
				     "EXT set for #UD",
				     p, n, ki, dpl, rpl),
			    o.vec, o.err, &f);
		ss_check_state(CHECK_ID(id,
					"conformance.ssload.{int,exc,"
					"callgate}.to-cpl{1..2}.{rw,np}."
					"dpl{0..3}.rpl{0..3}.state",
					"{1:INT n,#UD,call gate} to CPL {2}, "
					"TSS.SS {3:writable,not-present} DPL "
					"{4} RPL {5}: the CPL 3 SS:ESP in the "
					"fault frame; after entry SS = "
					"TSS.SS, ESP, base, accessed bit",
					p, n, ki, dpl, rpl),
			       k, dpl, sel, want_sp, &f, o.vec == NO_FAULT);
		return;
	}
	check_fault(CHECK_ID(id,
			     "conformance.ssload.{int,exc,callgate}."
			     "to-cpl{1..2}.{ro,code,sys,null,beyond,ldt,"
			     "ldt-beyond}.rpl{0..3}",
			     "{1:INT n,#UD,far CALL through a call gate} "
			     "from CPL 3 to CPL {2} with TSS.SS{2} of kind "
			     "{3:ro,code,sys,null,beyond,ldt,ldt-beyond}, "
			     "RPL {4} (DPL = new CPL): #TS(selector) unless "
			     "writable data with RPL = new CPL; null: "
			     "#TS(0); EXT set for #UD",
			     p, n, ki, rpl),
		    o.vec, o.err, &f);
	ss_check_state(CHECK_ID(id,
				"conformance.ssload.{int,exc,callgate}."
				"to-cpl{1..2}.{ro,code,sys,null,beyond,ldt,"
				"ldt-beyond}.rpl{0..3}.state",
				"{1:INT n,#UD,call gate} to CPL {2}, TSS.SS "
				"kind {3:ro,code,sys,null,beyond,ldt,"
				"ldt-beyond} RPL {4}: the CPL 3 SS:ESP in "
				"the fault frame; after entry SS, ESP, base",
				p, n, ki, rpl),
		       k, dpl, sel, want_sp, &f, o.vec == NO_FAULT);
}

static void inner(void)
{
	for (int p = I_INT; p <= I_CALL; p++)
		for (int n = 1; n <= 2; n++)
			for (int rpl = 0; rpl <= 3; rpl++) {
				for (int i = 0; i < 2; i++)
					for (int dpl = 0; dpl <= 3; dpl++)
						inner_one(p, n, dpl_kinds[i],
							  dpl, rpl, i, true);
				for (int i = 0;
				     i < (int)ARRAY_SIZE(other_kinds); i++)
					inner_one(p, n, other_kinds[i], n, rpl,
						  i, false);
			}
	gdt[CALL_GATE] = 0;
}
#else
/* 64-bit: the gate to CPL n loads a null SS with RPL n and RSPn from
 * the TSS, aligned down to 16 before the 40-byte frame (6.14.2). */
static void inner(void)
{
	ulong top = (ulong)inner_stack + sizeof(inner_stack) - 8;
	char id[CHECK_ID_MAX];
	struct fault f;
	u64 old[2];

	for (int p = 0; p <= 1; p++)
		for (int n = 1; n <= 2; n++) {
			int vec = p == 0 ? INNER_VEC : UD_VECTOR;

			ss_prepare(K_NULL, 0);
			pad_reset();
			set_tss_stack(n, top);
			gate_set(vec, SEL_CODE64(n), (ulong)ss_pad,
				 p == 0 ? 3 : 0, old);
			run_at_cpl(3, p == 0 ? do_int : do_exc, NULL, &f);
			gate_restore(vec, old);
			take_pad();
			check_fault(CHECK_ID(id,
					     "conformance.ssload.{int,exc}."
					     "to-cpl{1..2}",
					     "{1:INT n,#UD} from CPL 3 through "
					     "a gate to CPL {2} in 64-bit mode "
					     "is delivered (the TSS has no SS)",
					     p, n),
				    NO_FAULT, 0, &f);
			ss_check_state(
				CHECK_ID(id,
					 "conformance.ssload.{int,exc}."
					 "to-cpl{1..2}.state",
					 "{1:INT n,#UD} to CPL {2} in 64-bit "
					 "mode: SS is null with RPL {2}, RSP "
					 "is RSP{2} aligned to 16 less the "
					 "40-byte frame, SS reads flat",
					 p, n),
				K_NULL, 0, (u16)n, (top & ~15ul) - 40, &f,
				true);
		}
}
#endif

void ssload_xfer(void)
{
	returns();
	inner();
}
