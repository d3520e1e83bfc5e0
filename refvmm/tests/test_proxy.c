/*
 * Execution by proxy (emu/proxy.c): for a table of 32-bit instruction
 * byte strings, whether the proxy runs them and the exact 64-bit bytes it
 * emits (the memory operand as [rip + disp32] naming the scratch buffer,
 * segment and address-size prefixes dropped, immediates kept, RET
 * appended).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../emu/proxy.h"

static csh cs;
static cs_insn *insn;

static void setup(void)
{
	cr_assert_eq(cs_open(CS_ARCH_X86, CS_MODE_32, &cs), CS_ERR_OK);
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	insn = cs_malloc(cs);
}

static void teardown(void)
{
	cs_free(insn, 1);
	cs_close(&cs);
}

static const cs_insn *dec(const u8 *b, size_t n)
{
	const u8 *p = b;
	u64 addr = 0x1000;

	cr_assert(cs_disasm_iter(cs, &p, &n, &addr, insn), "undecodable");
	return insn;
}

struct enc_case {
	const char *what;
	u8 in[15];
	int inlen;
	u8 out[24]; /* with the disp32 as 0x100 - (end of instruction) */
	int outlen;
};

/* Code at 0, scratch at 0x100: disp32 = 0x100 - instruction length. */
static const struct enc_case cases[] = {
	{"add [ebx], eax",
	 {0x01, 0x03},
	 2,
	 {0x01, 0x05, 0xfa, 0x00, 0x00, 0x00, 0xc3},
	 7},
	{"rol byte [ebx], cl",
	 {0xd2, 0x03},
	 2,
	 {0xd2, 0x05, 0xfa, 0x00, 0x00, 0x00, 0xc3},
	 7},
	{"fs: mov ecx, [eax+esi*4+0x12345678]",
	 {0x64, 0x8b, 0x8c, 0xb0, 0x78, 0x56, 0x34, 0x12},
	 8,
	 {0x8b, 0x0d, 0xfa, 0x00, 0x00, 0x00, 0xc3},
	 7},
	{"lock cmpxchg [ebx], dl",
	 {0xf0, 0x0f, 0xb0, 0x13},
	 4,
	 {0xf0, 0x0f, 0xb0, 0x15, 0xf8, 0x00, 0x00, 0x00, 0xc3},
	 9},
	{"imul cx, word [ebp-4], 0x1234",
	 {0x66, 0x69, 0x4d, 0xfc, 0x34, 0x12},
	 6,
	 {0x66, 0x69, 0x0d, 0xf7, 0x00, 0x00, 0x00, 0x34, 0x12, 0xc3},
	 10},
	{"movdqu xmm1, [esi] (F3 0F 6F)",
	 {0xf3, 0x0f, 0x6f, 0x0e},
	 4,
	 {0xf3, 0x0f, 0x6f, 0x0d, 0xf8, 0x00, 0x00, 0x00, 0xc3},
	 9},
	{"addr16: add [bx+si], al",
	 {0x67, 0x00, 0x00},
	 3,
	 {0x00, 0x05, 0xfa, 0x00, 0x00, 0x00, 0xc3},
	 7},
	{"add eax, ebx (registers only: as is)",
	 {0x01, 0xd8},
	 2,
	 {0x01, 0xd8, 0xc3},
	 3},
	{"cs: mov eax, 0x1234 (prefix dropped)",
	 {0x2e, 0xb8, 0x34, 0x12, 0x00, 0x00},
	 6,
	 {0xb8, 0x34, 0x12, 0x00, 0x00, 0xc3},
	 6},
	{"bt dword [ebx], 7",
	 {0x0f, 0xba, 0x23, 0x07},
	 4,
	 {0x0f, 0xba, 0x25, 0xf8, 0x00, 0x00, 0x00, 0x07, 0xc3},
	 9},
	/* 12 bytes padded with 66: the copy keeps one, else its
	 * RIP-relative form would be 16 bytes (#GP in the monitor) */
	{"or cx, [edi] with ten 66 prefixes",
	 {0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x0b,
	  0x0f},
	 12,
	 {0x66, 0x0b, 0x0d, 0xf9, 0x00, 0x00, 0x00, 0xc3},
	 8},
	{"f3 f2 f3 66 f3: each once, in order of last use",
	 {0xf3, 0xf2, 0xf3, 0x66, 0xf3, 0x0f, 0x10, 0x00},
	 8,
	 {0xf2, 0x66, 0xf3, 0x0f, 0x10, 0x05, 0xf6, 0x00, 0x00, 0x00, 0xc3},
	 11},
};

Test(proxy, encodes_the_operand_rip_relative, .init = setup, .fini = teardown)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct enc_case *k = &cases[i];
		const cs_insn *in = dec(k->in, (size_t)k->inlen);
		u8 out[64];
		int n;

		cr_assert(proxy__allowed(in), "%s: refused", k->what);
		n = proxy__encode(in, out, sizeof(out), 0, 0x100);
		cr_assert_eq(n, k->outlen, "%s: %d bytes", k->what, n);
		cr_assert_arr_eq(out, k->out, (size_t)n, "%s: bytes differ",
				 k->what);
	}
}

Test(proxy, refuses_control_stack_segment_and_system, .init = setup,
     .fini = teardown)
{
	static const struct {
		const char *what;
		u8 b[8];
		int n;
	} refused[] = {
		{"call [eax]", {0xff, 0x10}, 2},
		{"jmp far [eax]", {0xff, 0x28}, 2},
		{"push dword [eax]", {0xff, 0x30}, 2},
		{"pop dword [eax]", {0x8f, 0x00}, 2},
		{"mov ds, [eax]", {0x8e, 0x18}, 2},
		{"lgdt [eax]", {0x0f, 0x01, 0x10}, 3},
		{"invlpg [eax]", {0x0f, 0x01, 0x38}, 3},
		{"les eax, [eax]", {0xc4, 0x00}, 2},
		{"arpl [eax], ax", {0x63, 0x00}, 2},
		{"bound eax, [eax]", {0x62, 0x00}, 2},
		{"fxrstor [eax]", {0x0f, 0xae, 0x08}, 3},
		{"ldmxcsr [eax]", {0x0f, 0xae, 0x10}, 3},
		{"mov [eax], esp", {0x89, 0x20}, 2},
		{"inc eax (40: REX in 64-bit mode)", {0x40}, 1},
		{"82 /0 (#UD in 64-bit mode)", {0x82, 0xc0, 0x01}, 3},
		{"movsd (string, no ModRM)", {0xa5}, 1},
	};

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		cr_assert(!proxy__allowed(
				  dec(refused[i].b, (size_t)refused[i].n)),
			  "%s: allowed", refused[i].what);
}
