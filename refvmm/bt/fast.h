/*
 * Fast callouts (fast.c): the few callouts the gate finishes itself and
 * returns from to translated code, without the world switch's way back,
 * the run loop or the emulator. Docs: refvmm-bt.md, "Fast callouts".
 */
#ifndef REFVMM_BT_FAST_H
#define REFVMM_BT_FAST_H

#include "gate.h"
#include "vm.h"

/*
 * bt_page.fast_op of a BT_EXIT_FAST stub: what the translator decoded,
 * so the handler neither fetches nor decodes. Bits 0-7 the operation
 * (enum bt_fast_kind), 8-10 a general or segment register, 12-15 a control
 * register, 16-19 the instruction's length, 20-23 zero; for BT_FAST_IN
 * bit 8 says the DX form and 24-31 hold the imm8 port, for BT_FAST_INT
 * 24-31 the vector. BT_FAST_INVLPG and BT_FAST_ADAPT_MOV name the
 * memory operand's segment in 12-15 (its effective address is
 * bt_page.fast_ea), and BT_FAST_ADAPT_MOV the store in bit 11 and, in
 * bit 20 (BT_FAST_IMM), a store of bt_page.fast_imm instead of a
 * register.
 */
enum bt_fast_kind {
	BT_FAST_MOV_FROM_CR = 1, /* MOV r32, CRn (0F 20 /r) */
	BT_FAST_RAISE_DE,	 /* DIV/IDIV by zero: #DE at EIP */
	BT_FAST_IRET,		 /* IRETD (CF) */
	BT_FAST_IN,		 /* IN AL, imm8 (E4 ib) / IN AL, DX (EC) */
	BT_FAST_INT,		 /* INT imm8 (CD ib) at CPL 3 */
	BT_FAST_SYSENTER,	 /* SYSENTER (0F 34) */
	BT_FAST_SYSEXIT,	 /* SYSEXIT (0F 35) at CPL 0 */
	BT_FAST_PUSH_SREG,	 /* PUSH ES/CS/SS/DS (06 0E 16 1E), FS/GS
				  * (0F A0, 0F A8) at CPL 0 */
	BT_FAST_POP_SREG,	 /* POP ES/DS (07 1F), FS/GS (0F A1, 0F A9)
				  * at CPL 0 */
	BT_FAST_STAC,		 /* STAC (0F 01 CB) at CPL 0 */
	BT_FAST_CLAC,		 /* CLAC (0F 01 CA) at CPL 0 */
	BT_FAST_MOV_SREG,	 /* MOV ES/DS/FS/GS, r16 (8E /r, mod 3) at
				  * CPL 0: reg the segment, cr the source */
	BT_FAST_INVLPG,		 /* INVLPG m (0F 01 /7) at CPL 0 */
	BT_FAST_ADAPT_MOV,	 /* an adapted MOV r32, m32 / MOV m32, r32
				  * (8B, 89, A1, A3) or MOV m32, imm32
				  * (C7 /0) at CPL 0 */
};

#define BT_FAST_STORE (1u << 11) /* BT_FAST_ADAPT_MOV: m32 <- r32 */
#define BT_FAST_IMM   (1u << 20) /* ... with BT_FAST_STORE: m32 <- imm32 */

#define BT_FAST_OP(kind, reg, cr, len)                                         \
	((u32)(kind) | (u32)(reg) << 8 | (u32)(cr) << 12 | (u32)(len) << 16)

/* What each operation counts as, by the names the slow path's counters
 * give it (bt__stats adds bt_vm.fast_done[kind - 1] under them): an
 * emulated callout's events.callout, emulated.NAME, bt.callouts.NAME,
 * but BT_FAST_RAISE_DE's delivered.exception.DE (a raise, as
 * BT_EXIT_RAISE_DE). bt.fast.NAME counts each. */
extern const char *const bt_fast_names[BT_FAST_NOPS];

/* bt_fast_callout, the gate's fast handler: gate.h. */

/* The run loop's entry count for the integrity check: fast callouts
 * since it last checked (bt.c). */
void fast__checked(struct bt_vm *b);

/* SYSENTER, SYSEXIT, INT n and IRETD in the translation (fast_sysx.h,
 * fast_isys.h): armed or not for the state the run loop enters with;
 * and the monitor's record brought up to what the last one left
 * (false: bt_page.sysx names nothing that was armed). */
void fast__inline_arm(struct bt_vm *b);
bool fast__inline_sync(struct bt_vm *b);

#endif
