/*
 * The byte emitter (emit.h): translate.c writes blocks with it, tcache.c
 * the shared lookup routines.
 */
#include <string.h>

#include "emit.h"
#include "refvmm/sw/world_switch.h"

void emit__u8(struct emit *e, u8 v)
{
	*e->p++ = v;
}

void emit__u32(struct emit *e, u32 v)
{
	memcpy(e->p, &v, 4);
	e->p += 4;
}

void emit__bytes(struct emit *e, const char *bytes, size_t n)
{
	memcpy(e->p, bytes, n);
	e->p += n;
}

void emit__gs_imm(struct emit *e, u32 off, u32 imm)
{
	emit__bytes(e, "\x65\xc7\x05", 3);
	emit__u32(e, off);
	emit__u32(e, imm);
}

void emit__gs_imm8(struct emit *e, u32 off, u8 imm)
{
	emit__bytes(e, "\x65\xc6\x05", 3);
	emit__u32(e, off);
	emit__u8(e, imm);
}

/* GS-relative moves: @op (with its ModRM byte when it has one), @off. */
static void gs_move(struct emit *e, const char *op, size_t n, u32 off)
{
	emit__u8(e, 0x65);
	emit__bytes(e, op, n);
	emit__u32(e, off);
}

void emit__gs_store_eax(struct emit *e, u32 off)
{
	gs_move(e, "\xa3", 1, off);
}

void emit__gs_load_eax(struct emit *e, u32 off)
{
	gs_move(e, "\xa1", 1, off);
}

/* mov %r32, %gs:off (89 /r) or back (8B /r), ModRM mod 00 r/m 101:
 * disp32 alone */
static void gs_move_reg(struct emit *e, u8 opcode, u32 reg, u32 off)
{
	emit__u8(e, 0x65);
	emit__u8(e, opcode);
	emit__u8(e, (u8)((reg & 7) << 3 | 5));
	emit__u32(e, off);
}

void emit__gs_store(struct emit *e, u32 reg, u32 off)
{
	gs_move_reg(e, 0x89, reg, off);
}

void emit__gs_load(struct emit *e, u32 reg, u32 off)
{
	gs_move_reg(e, 0x8b, reg, off);
}

void emit__gs_store_ecx(struct emit *e, u32 off)
{
	emit__gs_store(e, 1, off);
}

void emit__gs_load_ecx(struct emit *e, u32 off)
{
	emit__gs_load(e, 1, off);
}

void emit__gate(struct emit *e)
{
	emit__u8(e, 0xea);
	emit__u32(e, BT_GATE_ADDR);
	emit__u8(e, HOST_CS64);
	emit__u8(e, 0);
}

void emit__exit(struct emit *e, enum bt_exit code)
{
	emit__gs_imm(e, BT_PG(exit_code), code);
	emit__gate(e);
}

void emit__save_flags(struct emit *e)
{
	emit__gs_store_eax(e, BT_PG(scr_eax));
	emit__bytes(e, "\x0f\x90\xc0\x9f", 4); /* seto %al; lahf */
	emit__gs_store_eax(e, BT_PG(scr_fl));
}

void emit__restore_flags(struct emit *e)
{
	emit__gs_load_eax(e, BT_PG(scr_fl));
	emit__bytes(e, "\x04\x7f\x9e", 3); /* add $0x7f, %al; sahf */
	emit__gs_load_eax(e, BT_PG(scr_eax));
}
