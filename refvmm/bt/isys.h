/*
 * INT n and IRETD in the translation (isys.S, fast_isys.h; docs
 * refvmm-bt.md, "INT n and IRETD in the translation"): the offsets the
 * routines address, which isys.c checks against the C layout, and
 * the labels the run loop maps a host fault inside them by.
 */
#ifndef REFVMM_BT_ISYS_H
#define REFVMM_BT_ISYS_H

/* struct bt_page, through %gs */
#define ISYS_PG_TARGET	  4
#define ISYS_PG_VIF	  28
#define ISYS_PG_SYSX	  29
#define ISYS_PG_EIP	  32
#define ISYS_PG_VFLAGS	  48
#define ISYS_PG_FAST_OP	  64
#define ISYS_PG_TABLE_OFF 68
#define ISYS_PG_INLINE	  104 /* inline_isys[2] */
#define ISYS_PG_CS_SEL	  112 /* cs_sel, ss_sel */
#define ISYS_PG_EAX	  116
#define ISYS_PG_ECX	  120
#define ISYS_PG_EDX	  124
#define ISYS_PG_ESP	  128
#define ISYS_PG_NEWESP	  132
#define ISYS_PG_SS	  136
#define ISYS_PG_ES	  138
#define ISYS_PG_FRAME	  140 /* isys_frame[5] */
#define ISYS_PG_STACK	  160 /* isys_stack[3] */
#define ISYS_PG_STACK_TOP 172
#define ISYS_PG_INLINE_DE 204

/* struct bt_ro, at BT_RO_ADDR, through %cs */
#define ISYS_RO_ADDR	     0xffc03000
#define ISYS_RO_MON_GS	     4
#define ISYS_RO_SYSX_SELS    44
#define ISYS_RO_FN	     52 /* isys_fn[2] */
#define ISYS_RO_LEAVE	     60
#define ISYS_RO_LOOKUP	     64
#define ISYS_RO_INT_OP	     68
#define ISYS_RO_INT_IDT	     72
#define ISYS_RO_INT_GATE     76
#define ISYS_RO_INT_CS_ADDR  84
#define ISYS_RO_INT_CS_DESC  88
#define ISYS_RO_INT_SS_ADDR  96
#define ISYS_RO_INT_SS_DESC  100
#define ISYS_RO_INT_TSS	     108
#define ISYS_RO_INT_SP_MAX   112
#define ISYS_RO_INT_EIP	     116
#define ISYS_RO_INT_TABLE    120
#define ISYS_RO_INT_SS0	     124
#define ISYS_RO_INT_HSS	     126
#define ISYS_RO_INT_SELS     128
#define ISYS_RO_INT_KEEP_IF  132
#define ISYS_RO_IRET_CS_ADDR 136
#define ISYS_RO_IRET_CS_DESC 140
#define ISYS_RO_IRET_SS_ADDR 148
#define ISYS_RO_IRET_SS_DESC 152
#define ISYS_RO_IRET_TABLE   160
#define ISYS_RO_IRET_SELS    164
#define ISYS_RO_IRET_HSS     168
#define ISYS_RO_IRET_CS_NEG  172
#define ISYS_RO_DE_FN	     176
#define ISYS_RO_CS0_ADDR     180
#define ISYS_RO_CS0_DESC     184
#define ISYS_RO_DE_IDT	     192
#define ISYS_RO_DE_GATE	     196
#define ISYS_RO_DE_EIP	     204
#define ISYS_RO_CS0_SEL	     208
#define ISYS_RO_DE_HSS	     210
#define ISYS_RO_DE_KEEP_IF   212
#define ISYS_RO_IRET0_CS_NEG 216

/* bt_ro.iret_cs_neg and iret0_cs_neg when not armed: no 16-bit
 * selector plus it is 0 */
#define ISYS_CS_NEVER 0xffff0000u

/* The EFLAGS translated code keeps in the host's flags: CF PF AF ZF SF
 * DF OF */
#define ISYS_LIVE_FLAGS 0xcd5

/* bt_page.sysx values (vm.h BT_SYSX_INT, BT_SYSX_IRET) */
#define ISYS_SYSX_INT  3
#define ISYS_SYSX_IRET 4

#ifndef __ASSEMBLER__
#include "vm.h"

/*
 * The routines (isys.S), copied into the shared part of the cache. A
 * host fault between a routine's _rb (or _rbf) label and its _commit
 * label is rolled back (isys__rollback), and from bt_isys_iret0 on, the
 * same level's IRETD: up to _rbf the flags are the live ones, after it
 * the PUSHF's; before the commit nothing the guest
 * can see has changed but the frame's words below ESP0 (INT) or ESP
 * (#DE), which the full path writes again: the #DE routine stores the
 * highest word first, so a limit faults before any store.
 */
extern char bt_isys_start[], bt_isys_end[];
extern char bt_isys_int[], bt_isys_int_rbf[], bt_isys_int_commit[];
extern char bt_isys_iret[], bt_isys_iret_rb[], bt_isys_iret_rbf[];
extern char bt_isys_iret_commit[];
extern char bt_isys_int_popped[], bt_isys_iret_popped[];
extern char bt_isys_iret0[], bt_isys_iret0_rbf[], bt_isys_iret0_commit[];
extern char bt_isys_iret0_popped[];
extern char bt_isys_de[], bt_isys_de_rbf[], bt_isys_de_commit[];
extern char bt_isys_de_popped[];
extern char bt_isys_decline[], bt_isys_decline_popped[];

/* After a signal from translated code (c->eip the host address): when
 * it came from a routine's faulting part, the registers, flags and
 * selectors the routine found, and 1 (the fault is then the INT's or
 * the IRETD's at bt_page.eip) or 2 (the #DE routine's: the DIV's #DE
 * is then delivered the long way); 0 when it came from elsewhere; -1 when
 * the page's copies of SS or ES are not the ones the monitor's record
 * says the routine found (bt_page is translated code's: a claim). */
int isys__rollback(struct bt_vm *b);

/* Whether host address @rip lies between a routine's PUSHF and its
 * POPF, where the host's TF lives in bt_page.isys_stack[2] too (the
 * kick's single-stepping: bt.c). Async-signal-safe. */
bool isys__flags_pushed(const struct bt_vm *b, u64 rip);

/* Copies the routines to @at and points bt_ro at them, disarmed;
 * returns the end of the copy. */
u8 *isys__build(struct bt_vm *b, u8 *at);
#endif

#endif
