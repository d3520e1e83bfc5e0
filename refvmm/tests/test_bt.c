/*
 * bt-simple's translator on a table of guest instruction byte strings:
 * the class the opcode tables choose and the length they compute
 * (refvmm/bt/decode.c), and the host bytes one block becomes
 * (refvmm/bt/translate.c), against a translation cache in a plain heap
 * buffer. Guest code sits in the first guest page, which the translator
 * never write-protects, so nothing of the test process is touched.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../bt/adapt.h"
#include "../bt/breakpoint.h"
#include "../bt/decode.h"
#include "../bt/fast.h"
#include "../bt/gate.h"
#include "../bt/site.h"
#include "../bt/tcache.h"
#include "../bt/translate.h"
#include "../bt/vm.h"

struct decode_case {
	const char *what;
	u8 bytes[15];
	u8 n;
	enum bt_class cls;
	u8 len;
};

static const struct decode_case decode_cases[] = {
	{"nop", {0x90}, 1, BT_IDENT, 1},
	{"add eax, ebx", {0x01, 0xd8}, 2, BT_IDENT, 2},
	{"mov eax, [ebx+ecx*4+0x12345678]",
	 {0x8b, 0x84, 0x8b, 0x78, 0x56, 0x34, 0x12},
	 7,
	 BT_IDENT,
	 7},
	{"mov ax, imm16", {0x66, 0xb8, 0x34, 0x12}, 4, BT_IDENT, 4},
	{"mov eax, moffs (67)", {0x67, 0xa1, 0x00, 0x10}, 4, BT_IDENT, 4},
	{"rep movsb", {0xf3, 0xa4}, 2, BT_IDENT, 2},
	{"lock cmpxchg [ebx], ecx", {0xf0, 0x0f, 0xb1, 0x0b}, 4, BT_IDENT, 4},
	{"test byte [eax], imm8", {0xf6, 0x00, 0x7f}, 3, BT_IDENT, 3},
	{"test dword [eax], imm32", {0xf7, 0x00, 1, 2, 3, 4}, 6, BT_IDENT, 6},
	{"enter 8, 0", {0xc8, 0x08, 0x00, 0x00}, 4, BT_IDENT, 4},
	{"fld qword [eax]", {0xdd, 0x00}, 2, BT_IDENT, 2},
	{"paddb xmm0, xmm1", {0x66, 0x0f, 0xfc, 0xc1}, 4, BT_IDENT, 4},
	{"pshufd xmm0, xmm1, 0x1b",
	 {0x66, 0x0f, 0x70, 0xc1, 0x1b},
	 5,
	 BT_IDENT,
	 5},
	{"pshufb xmm0, xmm1 (0f 38)",
	 {0x66, 0x0f, 0x38, 0x00, 0xc1},
	 5,
	 BT_IDENT,
	 5},
	{"vzeroupper (VEX)", {0xc5, 0xf8, 0x77}, 3, BT_IDENT, 3},
	{"mov eax, gs:[0]", {0x65, 0xa1, 0, 0, 0, 0}, 6, BT_IDENT, 6},
	{"jz rel8", {0x74, 0x10}, 2, BT_JCC, 2},
	{"jnz rel32", {0x0f, 0x85, 0, 1, 0, 0}, 6, BT_JCC, 6},
	{"jmp rel8", {0xeb, 0xfe}, 2, BT_JMP, 2},
	{"call rel32", {0xe8, 0, 0, 0, 0}, 5, BT_CALL, 5},
	{"loop", {0xe2, 0xfe}, 2, BT_LOOP, 2},
	{"ret", {0xc3}, 1, BT_RET, 1},
	{"ret 8", {0xc2, 8, 0}, 3, BT_RET, 3},
	{"jmp *eax", {0xff, 0xe0}, 2, BT_JMP_IND, 2},
	{"call *[ebx+4]", {0xff, 0x53, 0x04}, 3, BT_CALL_IND, 3},
	{"cli", {0xfa}, 1, BT_CLI, 1},
	{"pushf", {0x9c}, 1, BT_PUSHF, 1},
	{"popf", {0x9d}, 1, BT_POPF, 1},
	{"sti", {0xfb}, 1, BT_STI, 1},
	{"hlt", {0xf4}, 1, BT_CALLOUT, 1},
	{"mov eax, cs (8c)", {0x8c, 0xc8}, 2, BT_CALLOUT, 2},
	{"mov ds, eax (8e)", {0x8e, 0xd8}, 2, BT_CALLOUT, 2},
	{"push cs", {0x0e}, 1, BT_CALLOUT, 1},
	{"pop ss", {0x17}, 1, BT_CALLOUT, 1},
	{"push fs", {0x0f, 0xa0}, 2, BT_CALLOUT, 2},
	{"ljmp ptr16:32", {0xea, 0, 0, 0x10, 0, 0x80, 0}, 7, BT_CALLOUT, 7},
	{"lcall ptr16:16 (66)",
	 {0x66, 0x9a, 0, 0x10, 0x80, 0},
	 6,
	 BT_CALLOUT,
	 6},
	{"ljmp *[eax]", {0xff, 0x28}, 2, BT_CALLOUT, 2},
	{"retf", {0xcb}, 1, BT_CALLOUT, 1},
	{"int 0x80", {0xcd, 0x80}, 2, BT_CALLOUT, 2},
	{"int3", {0xcc}, 1, BT_CALLOUT, 1},
	{"iret", {0xcf}, 1, BT_CALLOUT, 1},
	{"sgdt [eax]", {0x0f, 0x01, 0x00}, 3, BT_CALLOUT, 3},
	{"smsw eax", {0x0f, 0x01, 0xe0}, 3, BT_CALLOUT, 3},
	{"sldt eax", {0x0f, 0x00, 0xc0}, 3, BT_CALLOUT, 3},
	{"lar eax, ecx", {0x0f, 0x02, 0xc1}, 3, BT_CALLOUT, 3},
	{"verw ax", {0x0f, 0x00, 0xe8}, 3, BT_CALLOUT, 3},
	{"mov cr0, eax", {0x0f, 0x22, 0xc0}, 3, BT_CALLOUT, 3},
	{"mov dr7, eax", {0x0f, 0x23, 0xf8}, 3, BT_CALLOUT, 3},
	{"cpuid", {0x0f, 0xa2}, 2, BT_CALLOUT, 2},
	{"rdtsc", {0x0f, 0x31}, 2, BT_CALLOUT, 2},
	{"in al, 0x60", {0xe4, 0x60}, 2, BT_CALLOUT, 2},
	{"rep outsb", {0xf3, 0x6e}, 2, BT_CALLOUT, 2},
	{"sysenter", {0x0f, 0x34}, 2, BT_CALLOUT, 2},
	{"les eax, [ebx]", {0xc4, 0x03}, 2, BT_CALLOUT, 2},
	{"xgetbv", {0x0f, 0x01, 0xd0}, 3, BT_IDENT, 3},
	{"pop r/m /1 (XOP)", {0x8f, 0xc8, 0, 0, 0}, 5, BT_UD, 2},
	{"3DNow! 0f 0f", {0x0f, 0x0f, 0xc0, 0x9e}, 4, BT_UD, 4},
	{"vmread (0f 78)", {0x0f, 0x78, 0xc0}, 3, BT_UD, 3},
	{"rdfsbase (f3 0f ae /0 mod 3)", {0xf3, 0x0f, 0xae, 0xc0}, 4, BT_UD, 4},
	{"lock jmp rel8", {0xf0, 0xeb, 0x00}, 3, BT_UD, 3},
};

Test(bt_decode, class_and_length_table)
{
	size_t i;

	for (i = 0; i < sizeof(decode_cases) / sizeof(decode_cases[0]); i++) {
		const struct decode_case *dc = &decode_cases[i];
		struct bt_insn in;
		u8 buf[15] = {0};

		memcpy(buf, dc->bytes, dc->n);
		cr_assert(decode__insn(buf, dc->n, &in), "%s: not decoded",
			  dc->what);
		cr_expect_eq(in.cls, dc->cls, "%s: class %s, expected %s",
			     dc->what, bt_class_names[in.cls],
			     bt_class_names[dc->cls]);
		cr_expect_eq(in.len, dc->len, "%s: length %u, expected %u",
			     dc->what, in.len, dc->len);
	}
}

Test(bt_decode, truncated_and_overlong)
{
	static const u8 prefixes[16] = {0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
					0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
					0x66, 0x66, 0x66, 0x90};
	static const u8 cut[3] = {0x0f, 0x85, 0x00};
	struct bt_insn in;

	/* 15 prefixes leave no opcode within the 15-byte limit. */
	cr_expect(!decode__insn(prefixes, sizeof(prefixes), &in));
	cr_expect(!decode__insn(cut, sizeof(cut), &in));
	cr_expect(decode__insn(prefixes + 14, 2, &in) && in.len == 2);
}

Test(bt_decode, branch_displacements)
{
	static const u8 jz[2] = {0x74, 0xfe};
	static const u8 call[5] = {0xe8, 0x00, 0x01, 0x00, 0x00};
	static const u8 jmp16[4] = {0x66, 0xe9, 0xfd, 0xff};
	struct bt_insn in;

	cr_assert(decode__insn(jz, 2, &in));
	cr_expect_eq(in.rel, -2);
	cr_assert(decode__insn(call, 5, &in));
	cr_expect_eq(in.rel, 0x100);
	cr_assert(decode__insn(jmp16, 4, &in));
	cr_expect_eq(in.rel, -3);
	cr_expect(in.opsize16);
}

Test(bt_decode, fpu_faults_from_cr0)
{
	/* SDM Vol. 3A Tables 2-2 and 13-1. */
	cr_expect_eq(decode__fpu_fault(BT_FPU_X87, CR0_TS), 7);
	cr_expect_eq(decode__fpu_fault(BT_FPU_X87, CR0_EM), 7);
	cr_expect_eq(decode__fpu_fault(BT_FPU_WAIT, CR0_TS), 0);
	cr_expect_eq(decode__fpu_fault(BT_FPU_WAIT, CR0_TS | CR0_MP), 7);
	cr_expect_eq(decode__fpu_fault(BT_FPU_SIMD, CR0_EM | CR0_TS), 6);
	cr_expect_eq(decode__fpu_fault(BT_FPU_SIMD, CR0_TS), 7);
	cr_expect_eq(decode__fpu_fault(BT_FPU_NONE, CR0_TS | CR0_EM), 0);
}

/* --- emission: one block into a heap cache --- */

#define GUEST_EIP 0x100u
#define TC_SIZE	  65536

static struct monitor tvm;
static struct sw_cpu cpu;
static struct bt_vm bvm;
static u8 ram[4096];
static u8 *tc;

static void setup(void)
{
	memset(&tvm, 0, sizeof(tvm));
	memset(&cpu, 0, sizeof(cpu));
	memset(&bvm, 0, sizeof(bvm));
	memset(ram, 0, sizeof(ram));
	cr_assert(cs_open(CS_ARCH_X86, CS_MODE_32, &tvm.cs) == CS_ERR_OK);
	cs_option(tvm.cs, CS_OPT_DETAIL, CS_OPT_ON);
	cpu.ram = ram;
	cpu.ram_size = sizeof(ram);
	cpu.seg[SW_CS].limit = 0xffffffff;
	cpu.seg[SW_CS].db = 1;
	tvm.c = &cpu;
	tc = calloc(1, TC_SIZE);
	bvm.t = &tvm;
	bvm.c = &cpu;
	bvm.tc_base = tc;
	bvm.lookup_fn = tc;
	bvm.step_ind_fn = tc + 0x100;
	bvm.miss_stub = tc + 0x200;
	bvm.tc_free = tc + 0x400;
	bvm.tc_end = tc + TC_SIZE;
	bvm.blocks = calloc(BT_MAX_BLOCKS, sizeof(*bvm.blocks));
	bvm.maps = calloc(BT_MAX_MAP, sizeof(*bvm.maps));
	bvm.page_idx = calloc(1, sizeof(*bvm.page_idx));
	bvm.codepages = calloc(1, sizeof(*bvm.codepages));
	bvm.selfcheck = calloc(1, 1);
	bvm.data_stores = calloc(1, 1);
	cr_assert_eq(site__init(&bvm), 0);
}

static void teardown(void)
{
	if (bvm.guest_insn)
		cs_free(bvm.guest_insn, 1);
	cs_close(&tvm.cs);
	free(tc);
	free(bvm.blocks);
	free(bvm.maps);
	free(bvm.page_idx);
	free(bvm.codepages);
	free(bvm.selfcheck);
	free(bvm.data_stores);
	site__destroy(&bvm);
}

static const struct bt_block *translate(const u8 *code, size_t n, u8 cpl,
					u8 iopl)
{
	struct bt_key k = {.eip = GUEST_EIP, .cpl = cpl, .iopl = iopl};

	memcpy(ram + GUEST_EIP, code, n);
	return translate__block(&bvm, &k);
}

static u32 rd32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, 4);
	return v;
}

TestSuite(bt_emit, .init = setup, .fini = teardown);

Test(bt_emit, ident_copied_then_fallthrough_stub)
{
	static const u8 code[] = {0x01, 0xd8, 0x90, 0xeb, 0xfe};
	const struct bt_block *tb = translate(code, sizeof(code), 0, 0);
	const u8 *p = tb->tc;

	cr_assert_eq(tb->ninsn, 3);
	cr_expect(!memcmp(p, "\x01\xd8\x90", 3), "IDENT bytes copied");
	/* jmp $ -> e9 rel32 to an exit stub for EIP 0x103 */
	cr_expect_eq(p[3], 0xe9);
	p += 8 + (int32_t)rd32(p + 4);
	cr_expect(!memcmp(p, "\x65\xc7\x05", 3), "stub: movl $eip, %%gs:eip");
	cr_expect_eq(rd32(p + 3), BT_PG(eip));
	cr_expect_eq(rd32(p + 7), GUEST_EIP + 3);
	cr_expect_eq(rd32(p + 14), BT_PG(patch_site));
	cr_expect_eq(rd32(p + 25), BT_PG(exit_code));
	cr_expect_eq(rd32(p + 29), BT_EXIT_BRANCH);
	cr_expect_eq(p[33], 0xea, "far jump to the gate");
	cr_expect_eq(rd32(p + 34), BT_GATE_ADDR);
	cr_expect_eq(p[38], 0x33);
}

Test(bt_emit, call_pushes_the_guest_return_address)
{
	static const u8 code[] = {0xe8, 0x10, 0x00, 0x00, 0x00};
	const struct bt_block *tb = translate(code, sizeof(code), 0, 0);

	cr_expect_eq(tb->tc[0], 0x68, "push imm32");
	cr_expect_eq(rd32(tb->tc + 1), GUEST_EIP + 5);
	cr_expect_eq(tb->tc[5], 0xe9);
}

Test(bt_emit, ret_pops_into_the_page_and_looks_up)
{
	static const u8 code[] = {0xc2, 0x08, 0x00};
	const struct bt_block *tb = translate(code, sizeof(code), 0, 0);
	const u8 *p = tb->tc;

	cr_expect(!memcmp(p, "\x65\x8f\x05", 3), "pop %%gs:target");
	cr_expect_eq(rd32(p + 3), BT_PG(target));
	cr_expect(!memcmp(p + 7, "\x8d\xa4\x24", 3), "lea 8(%%esp), %%esp");
	cr_expect_eq(rd32(p + 10), 8);
	cr_expect_eq(p[14], 0xe9);
	cr_expect(p + 19 + (int32_t)rd32(p + 15) == bvm.lookup_fn);
}

Test(bt_emit, cli_inline_only_when_cpl_le_iopl)
{
	static const u8 code[] = {0xfa, 0xf4};
	const struct bt_block *tb = translate(code, sizeof(code), 0, 0);

	cr_expect(!memcmp(tb->tc, "\x65\xc6\x05", 3), "movb $0, %%gs:vif");
	cr_expect_eq(rd32(tb->tc + 3), BT_PG(vif));
	cr_expect_eq(tb->tc[7], 0);
	/* then HLT: a callout stub */
	cr_expect_eq(rd32(tb->tc + 8 + 7), GUEST_EIP + 1);
	bvm.tc_free = tc + 0x400;
	tb = translate(code, sizeof(code), 3, 0);
	cr_expect_eq(tb->ninsn, 1, "CLI at CPL 3 > IOPL: a callout");
	cr_expect_eq(rd32(tb->tc + 7), GUEST_EIP);
	cr_expect_eq(rd32(tb->tc + 18), BT_EXIT_CALLOUT);
}

Test(bt_emit, gs_override_switches_gs_around_the_access)
{
	static const u8 code[] = {0x65, 0x8b, 0x03, 0xf4};
	const struct bt_block *tb = translate(code, sizeof(code), 0, 0);
	const u8 *p = tb->tc;

	cr_expect(!memcmp(p, "\x2e\x8e\x2d", 3), "mov %%cs:abs, %%gs");
	cr_expect_eq(rd32(p + 3), BT_RO(guest_gs_sel));
	cr_expect(!memcmp(p + 7, "\x65\x8b\x03", 3), "the access");
	cr_expect(!memcmp(p + 10, "\x2e\x8e\x2d", 3));
	cr_expect_eq(rd32(p + 13), BT_RO(mon_gs_sel));
}

Test(bt_emit, privileged_and_invalid_become_callouts)
{
	static const u8 sgdt[] = {0x0f, 0x01, 0x00};
	static const u8 xop[] = {0x8f, 0xc8, 0, 0, 0};
	const struct bt_block *tb = translate(sgdt, sizeof(sgdt), 0, 0);

	cr_expect_eq(tb->ninsn, 1);
	cr_expect_eq(rd32(tb->tc + 18), BT_EXIT_CALLOUT);
	bvm.tc_free = tc + 0x400;
	tb = translate(xop, sizeof(xop), 0, 0);
	cr_expect_eq(rd32(tb->tc + 18), BT_EXIT_RAISE_UD);
}

Test(bt_emit, cs_limit_is_checked_at_translation)
{
	static const u8 code[] = {0x90, 0x90, 0x90};
	const struct bt_block *tb;

	cpu.seg[SW_CS].limit = GUEST_EIP + 1; /* the second NOP ends it */
	tb = translate(code, sizeof(code), 0, 0);
	cr_expect_eq(tb->ninsn, 2);
	cpu.seg[SW_CS].limit = GUEST_EIP - 1;
	bvm.tc_free = tc + 0x400;
	tb = translate(code, sizeof(code), 0, 0);
	cr_expect_eq(rd32(tb->tc + 18), BT_EXIT_RAISE_GP);
}

Test(bt_emit, map_gives_back_the_guest_instruction)
{
	static const u8 code[] = {0x01, 0xd8, 0x8b, 0x03, 0xc3};
	const struct bt_block *tb;
	u32 eip = 0;

	bvm.nblocks = 0;
	tb = translate(code, sizeof(code), 0, 0);
	cr_assert(tcache__map(&bvm, (u64)(uintptr_t)tb->tc + 2, true, &eip));
	cr_expect_eq(eip, GUEST_EIP + 2);
	cr_expect(!tcache__map(&bvm, (u64)(uintptr_t)tb->tc + 3, true, &eip),
		  "inside an instruction: no boundary");
	cr_assert(tcache__map(&bvm, (u64)(uintptr_t)tb->tc + 3, false, &eip));
	cr_expect_eq(eip, GUEST_EIP + 2);
	/* inside the RET sequence: the RET, for a precise fault */
	cr_assert(tcache__map(&bvm, (u64)(uintptr_t)tb->tc + 8, false, &eip));
	cr_expect_eq(eip, GUEST_EIP + 4);
}

Test(bt_emit, self_checking_block_compares_its_guest_bytes)
{
	static const u8 code[] = {0x01, 0xd8, 0x90, 0xeb, 0xfe};
	const struct bt_block *tb;
	const u8 *p;

	bvm.selfcheck[0] = 1; /* the guest page shares hot data */
	tb = translate(code, sizeof(code), 0, 0);
	p = tb->tc;
	/* save EAX and the flags, then cmpl $bytes, %cs:lin */
	cr_expect(!memcmp(p, "\x65\xa3", 2));
	cr_expect(!memcmp(p + 16, "\x2e\x81\x3d", 3), "first compare");
	cr_expect_eq(rd32(p + 19), GUEST_EIP);
	cr_expect_eq(rd32(p + 23), 0x90d801u | 0xeb000000u);
	cr_expect(!memcmp(p + 27, "\x0f\x85", 2), "jne to the stale exit");
	cr_expect_eq(rd32(p + 33 + 3), GUEST_EIP + 1, "second, overlapping");
}

Test(bt_emit, pushf_inline_from_the_virtual_flags)
{
	static const u8 code[] = {0x9c, 0xf4};
	static const u8 pushf16[] = {0x66, 0x9c, 0xf4};
	const struct bt_block *tb = translate(code, sizeof(code), 3, 0);
	const u8 *p = tb->tc;

	cr_expect_eq(tb->ninsn, 2, "PUSHF does not end the block");
	cr_expect_eq(p[0], 0x9c, "the host's PUSHF first (precise)");
	cr_expect(!memcmp(p + 17, "\x8b\x04\x24\x25", 4), "mov (%%esp); and");
	cr_expect_eq(rd32(p + 21), ~(EFL_TF | EFL_IF | EFL_IOPL | EFL_NT |
				     EFL_AC | EFL_VIF | EFL_VIP));
	cr_expect_eq(rd32(p + 28), BT_PG(vflags));
	cr_expect_eq(rd32(p + 35), BT_PG(vif));
	bvm.tc_free = tc + 0x400;
	tb = translate(pushf16, sizeof(pushf16), 3, 0);
	cr_expect_eq(tb->ninsn, 1, "PUSHFW: a callout");
	cr_expect_eq(rd32(tb->tc + 18), BT_EXIT_CALLOUT);
}

static bool has_bytes(const u8 *p, size_t n, const char *b, size_t bn)
{
	size_t i;

	for (i = 0; i + bn <= n; i++)
		if (!memcmp(p + i, b, bn))
			return true;
	return false;
}

Test(bt_emit, popf_inline_when_the_key_bits_stay)
{
	static const u8 code[] = {0x9d, 0xf4};
	static const u8 popf16[] = {0x66, 0x9d, 0xf4};
	static const char setc_vif[] = "\x65\x0f\x92\x05";
	struct bt_key k = {.eip = GUEST_EIP, .wreq = true};
	const struct bt_block *tb = translate(code, sizeof(code), 0, 0);
	const u8 *p = tb->tc;

	cr_expect_eq(tb->ninsn, 2, "POPF does not end the block");
	cr_expect(!memcmp(p, "\x65\xa3", 2), "EAX and the flags saved first");
	cr_expect(!memcmp(p + 22, "\x8b\x04\x24", 3),
		  "then the load: a fault leaves the guest as it was");
	cr_expect(!memcmp(p + 25, "\x65\x33\x05", 3), "xor %%gs:vflags");
	cr_expect_eq(rd32(p + 28), BT_PG(vflags));
	cr_expect_eq(p[32], 0xa9, "test $kept, %%eax");
	cr_expect_eq(rd32(p + 33), EFL_TF | EFL_NT | EFL_AC | EFL_ID | EFL_IOPL,
		     "CPL 0 writes IOPL: a change leaves");
	cr_expect(!memcmp(p + 37, "\x0f\x85", 2), "jnz to the callout");
	cr_expect(has_bytes(p, tb->tc_len, setc_vif, 4), "CPL 0 writes IF");
	cr_expect(has_bytes(p, tb->tc_len, "\x8d\x64\x24\x04", 4),
		  "lea 4(%%esp), %%esp: ESP last");
	cr_expect_eq(tb->nmap, 3, "POPF, its callout, HLT's callout");
	cr_expect(tb->map[1].off > 37 && tb->map[1].eip == GUEST_EIP &&
			  tb->map[1].boundary,
		  "the callout is at the POPF, a boundary");

	bvm.tc_free = tc + 0x400;
	tb = translate(code, sizeof(code), 3, 0);
	cr_expect_eq(tb->ninsn, 2);
	cr_expect_eq(rd32(tb->tc + 33), EFL_TF | EFL_NT | EFL_AC | EFL_ID,
		     "CPL 3: IOPL is not written, not checked");
	cr_expect(!has_bytes(tb->tc, tb->tc_len, setc_vif, 4),
		  "CPL > IOPL: IF stays (SDM Vol. 2B POPF)");

	bvm.tc_free = tc + 0x800;
	tb = translate(popf16, sizeof(popf16), 0, 0);
	cr_expect_eq(tb->ninsn, 1, "POPFW: a callout");
	cr_expect_eq(rd32(tb->tc + 18), BT_EXIT_CALLOUT);

	bvm.tc_free = tc + 0xc00;
	tb = translate__block(&bvm, &k);
	cr_expect_eq(tb->ninsn, 1, "an interrupt waits for IF: a callout");
	cr_expect_eq(rd32(tb->tc + 18), BT_EXIT_CALLOUT);
}

Test(bt_emit, data_breakpoint_ranges)
{
	/* DR1: 4-byte write breakpoint at 0x2000; DR2: 1-byte read/write
	 * at 0x3003 (SDM Vol. 3B 17.2.4, 17.2.5) */
	cpu.dr[1] = 0x2000;
	cpu.dr[2] = 0x3003;
	cpu.dr[7] = 0x400 | 1u << 2 | 1u << 4 | 1u << 20 | 3u << 22 | 3u << 24;
	cr_expect_eq(breakpoint__match(&bvm, 0x2002, 4, true), 1u << 1,
		     "a 4-byte write overlapping the dword");
	cr_expect_eq(breakpoint__match(&bvm, 0x2002, 4, false), 0,
		     "reads do not hit a write breakpoint");
	cr_expect_eq(breakpoint__match(&bvm, 0x1ffc, 4, true), 0, "just below");
	cr_expect_eq(breakpoint__match(&bvm, 0x3000, 4, false), 1u << 2,
		     "a read covering the byte");
	cr_expect_eq(breakpoint__match(&bvm, 0x3004, 2, true), 0, "just above");
}

Test(bt_emit, sti_inline_unless_an_interrupt_waits)
{
	static const u8 code[] = {0xfb, 0x90, 0xf4};
	struct bt_key k = {.eip = GUEST_EIP};
	const struct bt_block *tb;
	u32 eip;

	memcpy(ram + GUEST_EIP, code, sizeof(code));
	tb = translate__block(&bvm, &k);
	cr_expect(!memcmp(tb->tc, "\x65\xc6\x05", 3), "movb $1, %%gs:vif");
	cr_expect_eq(rd32(tb->tc + 3), BT_PG(vif));
	cr_expect_eq(tb->tc[7], 1);
	/* the NOP after it is in the STI shadow: no boundary */
	cr_expect(!tcache__map(&bvm, (u64)(uintptr_t)tb->tc + 8, true, &eip));
	cr_expect(tcache__map(&bvm, (u64)(uintptr_t)tb->tc + 9, true, &eip));
	cr_expect_eq(eip, GUEST_EIP + 2);
	bvm.tc_free = tc + 0x400;
	k.wreq = true;
	tb = translate__block(&bvm, &k);
	cr_expect_eq(tb->ninsn, 1, "an interrupt waits: STI is a callout");
	cr_expect_eq(rd32(tb->tc + 18), BT_EXIT_CALLOUT);
}

/*
 * Instructions whose memory access the prefix can redirect though ModRM
 * names none count as memory instructions, so the translator runs them
 * on the guest's segment (a GS or CS override never reaches the
 * monitor's GS): MASKMOVQ, MASKMOVDQU, moffs, string sources, XLAT.
 */
Test(bt_decode, implicit_memory_is_memory)
{
	static const struct {
		const char *what;
		u8 bytes[6];
		u8 n;
	} cases[] = {
		{"gs maskmovq mm0, mm1", {0x65, 0x0f, 0xf7, 0xc1}, 4},
		{"cs maskmovq mm0, mm1", {0x2e, 0x0f, 0xf7, 0xc1}, 4},
		{"gs maskmovdqu xmm0, xmm1", {0x65, 0x66, 0x0f, 0xf7, 0xc1}, 5},
		{"gs movsb", {0x65, 0xa4}, 2},
		{"gs lodsd", {0x65, 0xad}, 2},
		{"gs xlat", {0x65, 0xd7}, 2},
		{"gs mov eax, moffs", {0x65, 0xa1, 0, 0, 0, 0}, 6},
		{"gs vmaskmovdqu xmm0, xmm1",
		 {0x65, 0xc5, 0xf9, 0xf7, 0xc1},
		 5},
		{"gs umonitor eax", {0x65, 0xf3, 0x0f, 0xae, 0xf0}, 5},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bt_insn in;
		u8 buf[15] = {0};

		memcpy(buf, cases[i].bytes, cases[i].n);
		cr_assert(decode__insn(buf, cases[i].n, &in), "%s",
			  cases[i].what);
		cr_expect(in.has_mem, "%s: not a memory instruction",
			  cases[i].what);
		cr_expect_eq(in.len, cases[i].n, "%s", cases[i].what);
	}
}

/*
 * The gate trusts nothing translated code can store to: the landing's
 * address is an immediate in its code (a placeholder the monitor fills
 * in its read-only copy), not a field of the vCPU page, where it was
 * once at GS:0x1028, the offset the escape guest still aims at.
 */
Test(bt_gate, landing_is_an_immediate_in_the_gate)
{
	size_t off = (size_t)(bt_gate_landing_imm - bt_gate_start);
	u64 imm;

	cr_assert(off + 8 <= (size_t)(bt_gate_end - bt_gate_start));
	memcpy(&imm, bt_gate_start + off, 8);
	cr_assert_eq(imm, BT_GATE_LANDING_PLACEHOLDER, "%#llx",
		     (unsigned long long)imm);
	cr_assert_eq((u8)bt_gate_start[off - 2], 0x48, "movabs rax: REX.W");
	cr_assert_eq((u8)bt_gate_start[off - 1], 0xb8, "movabs rax: B8");
}

/* Patches (chaining, adaptation) write only at sites the translator
 * recorded: a site named in the vCPU page is a claim, checked against the
 * monitor's own record, never a pointer it trusts. */
Test(bt_emit, patch_sites_are_only_the_recorded_ones)
{
	static const u8 code[] = {0x01, 0xd8, 0x90, 0xeb, 0xfe};
	const struct bt_block *tb = translate(code, sizeof(code), 0, 0);
	u64 site = (u64)(uintptr_t)(tb->tc + 4);
	u32 i, n = 0;

	/* the jmp's rel32 is the one chain site of the block */
	cr_assert_eq(tb->tc[3], 0xe9);
	cr_expect(site__is(&bvm, BT_SITE_CHAIN, site));
	cr_expect(!site__is(&bvm, BT_SITE_ADAPT, site), "not an adapt site");
	for (i = 0; i < tb->tc_len; i++)
		n += site__is(&bvm, BT_SITE_CHAIN,
			      (u64)(uintptr_t)(tb->tc + i));
	cr_expect_eq(n, 1, "one site, not every byte of the block");
	cr_expect(!site__is(&bvm, BT_SITE_CHAIN, site + 1), "mid-field");
	cr_expect(!site__is(&bvm, BT_SITE_CHAIN, 0x1028), "guest-chosen");
	cr_expect(!site__is(&bvm, BT_SITE_CHAIN, (u64)(uintptr_t)tc),
		  "the shared routines");
	/* a new block over the same bytes has its own sites only */
	bvm.tc_free = tc + 0x400;
	tb = translate((const u8 *)"\x90\x90\x90\x90\x90\xeb\xfe", 7, 0, 0);
	cr_assert_eq(tb->tc[5], 0xe9);
	cr_expect(!site__is(&bvm, BT_SITE_CHAIN, site),
		  "old site inside the new block's code");
	site = (u64)(uintptr_t)(tb->tc + 6);
	cr_expect(site__is(&bvm, BT_SITE_CHAIN, site));
	/* and a flush forgets every site */
	site__clear_from(&bvm, bvm.tc_base);
	cr_expect(!site__is(&bvm, BT_SITE_CHAIN, site), "after a flush");
}

/* MMX and SSE under CR0.EM/TS and CR4.OSFXSR (SDM Vol. 3A Table 13-1,
 * 13.1.3): an SSE form (xmm or MXCSR) raises #UD with OSFXSR clear, an
 * MMX one does not; MOVBE and CRC32 in the 0f 38 map are neither. */
Test(bt_decode, sse_needs_osfxsr)
{
	static const struct {
		const char *what;
		u8 bytes[6];
		u8 n;
		u8 fpu;
	} cases[] = {
		{"xorps xmm0, xmm0", {0x0f, 0x57, 0xc0}, 3, BT_FPU_SSE},
		{"paddb mm0, mm1", {0x0f, 0xfc, 0xc1}, 3, BT_FPU_SIMD},
		{"paddb xmm0, xmm1", {0x66, 0x0f, 0xfc, 0xc1}, 4, BT_FPU_SSE},
		{"movq xmm0, xmm1 (f3)",
		 {0xf3, 0x0f, 0x7e, 0xc1},
		 4,
		 BT_FPU_SSE},
		{"pshufb mm0, mm1", {0x0f, 0x38, 0x00, 0xc1}, 4, BT_FPU_SIMD},
		{"pshufb xmm0, xmm1",
		 {0x66, 0x0f, 0x38, 0x00, 0xc1},
		 5,
		 BT_FPU_SSE},
		{"sha1nexte xmm0, xmm1",
		 {0x0f, 0x38, 0xc8, 0xc1},
		 4,
		 BT_FPU_SSE},
		{"movbe eax, [esi]", {0x0f, 0x38, 0xf0, 0x06}, 4, BT_FPU_NONE},
		{"ldmxcsr [eax]", {0x0f, 0xae, 0x10}, 3, BT_FPU_SSE},
		{"fxsave [eax]", {0x0f, 0xae, 0x00}, 3, BT_FPU_X87},
		{"emms", {0x0f, 0x77}, 2, BT_FPU_SIMD},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bt_insn in;
		u8 buf[15] = {0};

		memcpy(buf, cases[i].bytes, cases[i].n);
		cr_assert(decode__insn(buf, cases[i].n, &in), "%s",
			  cases[i].what);
		cr_expect_eq(in.fpu, cases[i].fpu, "%s: fpu class %u, want %u",
			     cases[i].what, in.fpu, cases[i].fpu);
	}
	cr_expect_eq(decode__fpu_fault(BT_FPU_SSE, BT_FPU_NO_OSFXSR), 6);
	cr_expect_eq(decode__fpu_fault(BT_FPU_SSE, CR0_TS), 7);
	cr_expect_eq(decode__fpu_fault(BT_FPU_SSE, 0), 0);
	cr_expect_eq(decode__fpu_fault(BT_FPU_SIMD, BT_FPU_NO_OSFXSR), 0);
	cr_expect_eq(decode__fpu_fault(BT_FPU_X87, BT_FPU_NO_OSFXSR), 0);
}

/* The campaign's kinds (kind.h): which wall an instruction tests. */
Test(bt_decode, kinds_of_instructions)
{
	static const struct {
		u8 bytes[8];
		u8 n;
		enum bt_kind kind;
	} cases[] = {
		{{0x01, 0xd8}, 2, BT_KIND_PLAIN}, /* add eax, ebx */
		{{0xea, 0, 0, 0x10, 0, 0x33, 0}, 7, BT_KIND_FAR}, /* ljmp */
		{{0xcd, 0x80}, 2, BT_KIND_FAR},			  /* int 0x80 */
		{{0xff, 0x2b}, 2, BT_KIND_FAR},	     /* ljmp *(%ebx) */
		{{0xff, 0x23}, 2, BT_KIND_BRANCH},   /* jmp *(%ebx) */
		{{0x8e, 0xe8}, 2, BT_KIND_SEGLOAD},  /* mov %eax, %gs */
		{{0x0f, 0xa9}, 2, BT_KIND_SEGLOAD},  /* pop %gs */
		{{0xc5, 0x03}, 2, BT_KIND_SEGLOAD},  /* lds (%ebx) */
		{{0x65, 0xa4}, 2, BT_KIND_STRING},   /* gs movsb */
		{{0x60}, 1, BT_KIND_STACK},	     /* pusha */
		{{0xff, 0x33}, 2, BT_KIND_STACK},    /* push (%ebx) */
		{{0x65, 0xd7}, 2, BT_KIND_IMPLICIT}, /* gs xlat */
		{{0x65, 0x0f, 0xf7, 0xc1}, 4, BT_KIND_IMPLICIT}, /* maskmovq */
		{{0x0f, 0xae, 0x03}, 3, BT_KIND_IMPLICIT},	 /* fxsave */
		{{0x0f, 0xae, 0xe8}, 3, BT_KIND_PLAIN},		 /* lfence */
		{{0xf4}, 1, BT_KIND_PRIVILEGED},		 /* hlt */
		{{0xfa}, 1, BT_KIND_PRIVILEGED},		 /* cli */
		{{0x0f, 0x57, 0xc0}, 3, BT_KIND_FPU},		 /* xorps */
		{{0x0f, 0x0b}, 2, BT_KIND_PLAIN}, /* ud2: runs, and faults */
		{{0x8f, 0xc8, 0, 0, 0}, 5, BT_KIND_UD}, /* XOP */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bt_insn in;

		cr_assert(decode__insn(cases[i].bytes, cases[i].n, &in),
			  "case %zu", i);
		cr_expect_eq(kind__of(cases[i].bytes, &in), cases[i].kind,
			     "case %zu: %s, expected %s", i,
			     bt_kind_names[kind__of(cases[i].bytes, &in)],
			     bt_kind_names[cases[i].kind]);
	}
}

/* DIV/IDIV (f6/f7 /6, /7) carry their divisor's width; /0-/5 none. */
Test(bt_decode, div_divisor_width)
{
	static const struct {
		u8 bytes[4];
		u8 n, div;
	} cases[] = {
		{{0xf7, 0xf3}, 2, 4},	    /* div ebx */
		{{0xf7, 0xfb}, 2, 4},	    /* idiv ebx */
		{{0x66, 0xf7, 0x33}, 3, 2}, /* div word [ebx] */
		{{0xf6, 0xf4}, 2, 1},	    /* div ah */
		{{0xf6, 0x3b}, 2, 1},	    /* idiv byte [ebx] */
		{{0xf7, 0xe3}, 2, 0},	    /* mul ebx */
		{{0xf7, 0xdb}, 2, 0},	    /* neg ebx */
		{{0xf6, 0xc3, 0x01}, 3, 0}, /* test bl, 1 */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bt_insn in;

		cr_assert(decode__insn(cases[i].bytes, cases[i].n, &in),
			  "case %zu", i);
		cr_expect_eq(in.cls, BT_IDENT, "case %zu", i);
		cr_expect_eq(in.div, cases[i].div, "case %zu: div %u", i,
			     in.div);
	}
}

/* The host instructions of @tb, as "mnemonic op_str" lines, into @out,
 * and their offsets in the block (so branch targets are offsets too). */
static size_t host_listing(const struct bt_block *tb, char out[][64],
			   size_t max, u32 *addr)
{
	csh h;
	cs_insn *ci;
	const u8 *p = tb->tc;
	size_t len = tb->tc_len, n = 0;
	u64 a = 0;

	cr_assert(cs_open(CS_ARCH_X86, CS_MODE_32, &h) == CS_ERR_OK);
	ci = cs_malloc(h);
	while (n < max && cs_disasm_iter(h, &p, &len, &a, ci)) {
		snprintf(out[n], 64, "%.31s %.31s", ci->mnemonic, ci->op_str);
		addr[n++] = (u32)ci->address;
	}
	cs_free(ci, 1);
	cs_close(&h);
	return n;
}

static u64 at(const struct bt_block *tb, u32 off)
{
	return (u64)(uintptr_t)tb->tc + off;
}

/* A zero divisor is found before the division, which runs on the one
 * read of it; the raise callout is at the DIV's EIP. At CPL 3 (the
 * gate's fast #DE is CPL 0 only, below) a plain raise callout. */
Test(bt_emit, div_tests_its_divisor_read_once)
{
	static const u8 code[] = {0xf6, 0x33, 0x90, 0xf4}; /* div byte [ebx] */
	/* each line with the page offset or value it names */
	static const struct {
		const char *fmt;
		u32 arg;
	} want[] = {
		{"mov dword ptr gs:[0x%x], ecx", BT_PG(scr_ecx)},
		{"movzx ecx, byte ptr [ebx]", 0},
		{"jecxz", 0},
		{"mov dword ptr gs:[0x%x], ecx", BT_PG(divisor)},
		{"mov ecx, dword ptr gs:[0x%x]", BT_PG(scr_ecx)},
		{"div byte ptr gs:[0x%x]", BT_PG(divisor)},
		{"jmp", 0},
		{"mov ecx, dword ptr gs:[0x%x]", BT_PG(scr_ecx)},
		{"mov dword ptr gs:[0x%x], 0x100", BT_PG(eip)},
		{"mov dword ptr gs:[0], 0x%x", BT_EXIT_RAISE_DE},
		{"ljmp", 0},
		{"nop", 0},
	};
	char lines[32][64], w[64];
	u32 addr[32], eip = 0;
	const struct bt_block *tb;
	size_t n, i;

	bvm.nblocks = 0;
	tb = translate(code, sizeof(code), 3, 0);
	n = host_listing(tb, lines, 32, addr);
	cr_assert_geq(n, 12);
	for (i = 0; i < 12; i++) {
		snprintf(w, sizeof(w), want[i].fmt, want[i].arg);
		cr_expect(!strncmp(lines[i], w, strlen(w)),
			  "host instruction %zu: '%s', expected '%s'", i,
			  lines[i], w);
	}
	/* jecxz to the raise, jmp past it to the NOP */
	cr_expect_eq(strtoul(strchr(lines[2], ' '), NULL, 0), addr[7]);
	cr_expect_eq(strtoul(strchr(lines[6], ' '), NULL, 0), addr[11]);
	cr_expect_eq(tb->ninsn, 3, "the block goes on after the DIV");
	/* a fault anywhere before the NOP is the DIV's */
	cr_expect(tcache__map(&bvm, at(tb, addr[1]), false, &eip) &&
		  eip == GUEST_EIP);
	cr_expect(tcache__map(&bvm, at(tb, addr[8]), true, &eip) &&
			  eip == GUEST_EIP,
		  "the raise callout is a boundary at the DIV");
	cr_expect(!tcache__map(&bvm, at(tb, addr[3]), true, &eip),
		  "no boundary while ECX is the monitor's");
	cr_expect(tcache__map(&bvm, at(tb, addr[11]), true, &eip) &&
		  eip == GUEST_EIP + 2);
}

/* At CPL 0 the raise is a fast stub: the DIV's EIP, the operation with
 * the DIV's length in fast_op, then a jump through bt_ro.de_fn (the
 * routine that delivers it in the translation, or the fast callout's
 * exit: fast_isys.h); the same boundary at the DIV. */
Test(bt_emit, div_raise_is_a_fast_stub_at_cpl0)
{
	static const u8 code[] = {0xf6, 0x33, 0x90, 0xf4}; /* div byte [ebx] */
	char lines[32][64], w[64];
	u32 addr[32], eip = 0;
	const struct bt_block *tb;
	size_t n;

	bvm.nblocks = 0;
	tb = translate(code, sizeof(code), 0, 0);
	n = host_listing(tb, lines, 32, addr);
	cr_assert_geq(n, 12);
	snprintf(w, sizeof(w), "mov dword ptr gs:[0x%x], 0x100", BT_PG(eip));
	cr_expect(!strncmp(lines[8], w, strlen(w)), "'%s'", lines[8]);
	snprintf(w, sizeof(w), "mov dword ptr gs:[0x%x], 0x%x", BT_PG(fast_op),
		 BT_FAST_OP(BT_FAST_RAISE_DE, 0, 0, 2));
	cr_expect(!strncmp(lines[9], w, strlen(w)), "'%s'", lines[9]);
	snprintf(w, sizeof(w), "jmp dword ptr cs:[0x%x]", BT_RO(de_fn));
	cr_expect(!strncmp(lines[10], w, strlen(w)), "'%s'", lines[10]);
	cr_expect(tcache__map(&bvm, at(tb, addr[8]), true, &eip) &&
			  eip == GUEST_EIP,
		  "the fast stub is a boundary at the DIV");
	cr_expect_eq(tb->ninsn, 3, "the block goes on after the DIV");
}

/* IRETD at CPL 0 stores fast_op and jumps through bt_ro.isys_fn[1] (its
 * routine in the translation, or the fast callout's exit); the 16-bit
 * IRET (66 CF) and IRETD at CPL 3 stay callouts the full path
 * emulates. */
Test(bt_emit, iret_is_a_fast_stub_at_cpl0_only)
{
	static const struct {
		u8 code[2];
		size_t len;
		u8 cpl;
		u32 exit; /* BT_EXIT_FAST: through bt_ro.isys_fn[1] */
	} cases[] = {
		{{0xcf}, 1, 0, BT_EXIT_FAST},
		{{0x66, 0xcf}, 2, 0, BT_EXIT_CALLOUT},
		{{0xcf}, 1, 3, BT_EXIT_CALLOUT},
	};
	char lines[32][64], w[64];
	u32 addr[32];
	size_t n, i, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bvm.nblocks = 0;
		n = host_listing(
			translate(cases[i].code, cases[i].len, cases[i].cpl, 0),
			lines, 32, addr);
		/* Capstone writes immediates below 10 in decimal; IRETD's
		 * fast exit is the routine's or its exit (fast_isys.h) */
		if (cases[i].exit == BT_EXIT_FAST)
			snprintf(w, sizeof(w), "jmp dword ptr cs:[0x%x]",
				 BT_RO(isys_fn[1]));
		else
			snprintf(w, sizeof(w), "mov dword ptr gs:[0], %u",
				 cases[i].exit);
		for (j = 0; j < n && strncmp(lines[j], w, strlen(w)); j++)
			;
		cr_expect(j < n, "case %zu: no '%s'", i, w);
		snprintf(w, sizeof(w), "mov dword ptr gs:[0x%x], 0x%x",
			 BT_PG(fast_op), BT_FAST_OP(BT_FAST_IRET, 0, 0, 1));
		for (j = 0; j < n && strncmp(lines[j], w, strlen(w)); j++)
			;
		cr_expect((j < n) == (cases[i].exit == BT_EXIT_FAST),
			  "case %zu: fast_op store %s", i,
			  j < n ? "present" : "absent");
	}
}

/* 16 bits: MOVZX word without the operand-size prefix, the division
 * with it; a GS override reads the divisor with the guest's GS. */
Test(bt_emit, div_word_through_gs)
{
	static const u8 code[] = {0x65, 0x66, 0xf7, 0x7b, 0x08, 0xf4};
	char lines[32][64];
	u32 addr[32];
	const struct bt_block *tb = translate(code, sizeof(code), 0, 0);
	size_t n = host_listing(tb, lines, 32, addr);

	char want[64];

	cr_assert_geq(n, 8);
	snprintf(want, sizeof(want), "mov gs, word ptr cs:[0x%x]",
		 BT_RO(guest_gs_sel));
	cr_expect_str_eq(lines[1], want);
	cr_expect_str_eq(lines[2], "movzx ecx, word ptr gs:[ebx + 8]");
	snprintf(want, sizeof(want), "mov gs, word ptr cs:[0x%x]",
		 BT_RO(mon_gs_sel));
	cr_expect_str_eq(lines[3], want);
	snprintf(want, sizeof(want), "idiv word ptr gs:[0x%x]", BT_PG(divisor));
	cr_expect_str_eq(lines[7], want);
}

/* INTO leaves only with OF set; the block goes on. */
Test(bt_emit, into_leaves_only_on_overflow)
{
	static const u8 code[] = {0xce, 0x90, 0xf4};
	char lines[32][64];
	u32 addr[32];
	const struct bt_block *tb = translate(code, sizeof(code), 3, 0);
	size_t n = host_listing(tb, lines, 32, addr);

	cr_assert_geq(n, 5);
	cr_expect(!strncmp(lines[0], "jno ", 4), "%s", lines[0]);
	cr_expect_eq(strtoul(lines[0] + 4, NULL, 0), addr[4]);
	cr_expect_str_eq(lines[2], "mov dword ptr gs:[0], 1");
	cr_expect_str_eq(lines[4], "nop ");
	cr_expect_eq(tb->ninsn, 3);
}

/* LOCK DIV is #UD (SDM Vol. 2A LOCK), and a DIV whose MOVZX would pass
 * 15 bytes runs as it is: neither is rewritten. */
Test(bt_emit, div_forms_left_to_the_cpu)
{
	static const u8 lock[] = {0xf0, 0xf7, 0x33, 0xf4};
	u8 long_div[16];
	const struct bt_block *tb = translate(lock, sizeof(lock), 0, 0);

	cr_expect_eq(rd32(tb->tc + 18), BT_EXIT_RAISE_UD, "LOCK DIV: #UD");
	memset(long_div, 0x26, 13); /* es: x 13, div byte [ebx] */
	long_div[13] = 0xf6;
	long_div[14] = 0x33;
	long_div[15] = 0xf4;
	bvm.tc_free = tc + 0x400;
	tb = translate(long_div, sizeof(long_div), 0, 0);
	cr_expect(!memcmp(tb->tc, long_div, 15), "15-byte DIV copied");
	long_div[1] = 0x66; /* the MOVZX drops it: 14 bytes, rewritten */
	bvm.tc_free = tc + 0x400;
	tb = translate(long_div + 1, 15, 0, 0);
	cr_expect(!memcmp(tb->tc, "\x65\x89\x0d", 3), "rewritten");
}

/* After an inline STI the DIV is in its shadow (SDM Vol. 2B STI): the
 * raise callout is no boundary either, so no interrupt lands there. */
Test(bt_emit, div_raise_in_the_sti_shadow)
{
	static const u8 code[] = {0xfb, 0xf7, 0xf1, 0xf4}; /* sti; div ecx */
	char lines[32][64], w[64];
	u32 addr[32], eip = 0;
	const struct bt_block *tb;
	size_t n, i;

	bvm.nblocks = 0;
	tb = translate(code, sizeof(code), 0, 0);
	n = host_listing(tb, lines, 32, addr);
	snprintf(w, sizeof(w), "mov dword ptr gs:[0x%x], 0x%x", BT_PG(eip),
		 GUEST_EIP + 1);
	for (i = 0; i < n && strcmp(lines[i], w); i++)
		;
	cr_assert_lt(i, n, "no raise callout for the DIV");
	cr_expect(!tcache__map(&bvm, at(tb, addr[i]), true, &eip),
		  "the raise callout is a boundary in the STI shadow");
	cr_expect(!tcache__map(&bvm, at(tb, addr[1]), true, &eip),
		  "the DIV is a boundary in the STI shadow");
}

/* IN AL, DX and IN AL, imm8 at CPL <= IOPL read the copy of the pure
 * port cells in bt_ro (DX: the slot from the port at run time; imm8:
 * the port's own slot), and fall back to the fast callout; the block
 * goes on after them. */
Test(bt_emit, in_of_a_pure_port_reads_the_copy_in_bt_ro)
{
	static const u8 in_dx[] = {0xec, 0x90, 0xf4};
	static const u8 in_imm[] = {0xe4, 0x21, 0x90, 0xf4};
	char lines[64][64], w[2][64], ops[40];
	u32 addr[64];
	const struct bt_block *tb;
	size_t n, i, j;

	/* Capstone writes the displacement signed (bt_ro is near 4 GiB);
	 * host_listing keeps 31 characters of the operands */
	snprintf(ops, sizeof(ops), "word ptr cs:[eax*4 - 0x%x], dx",
		 0u - BT_RO(pure));
	snprintf(w[0], sizeof(w[0]), "cmp %.31s", ops);
	snprintf(w[1], sizeof(w[1]), "cmp word ptr cs:[0x%x], 0x21",
		 BT_RO(pure) + 4 * pio_pure__slot(0x21));
	for (int c = 0; c < 2; c++) {
		bvm.nblocks = 0;
		tb = c ? translate(in_imm, sizeof(in_imm), 0, 0)
		       : translate(in_dx, sizeof(in_dx), 0, 0);
		cr_assert_eq(tb->ninsn, 3, "the block goes on after the IN");
		n = host_listing(tb, lines, 64, addr);
		for (i = 0; i < n && strcmp(lines[i], w[c]); i++)
			;
		cr_expect_lt(i, n, "no '%s'", w[c]);
		for (j = 0; j < n && !strstr(lines[j], "gs:[0x"); j++)
			;
		cr_expect_lt(j, i, "the flags are saved before the compare");
		/* at CPL 3 with IOPL 0 the I/O permission check is the
		 * full path's: no copy read */
		bvm.nblocks = 0;
		tb = c ? translate(in_imm, sizeof(in_imm), 3, 0)
		       : translate(in_dx, sizeof(in_dx), 3, 0);
		n = host_listing(tb, lines, 64, addr);
		for (i = 0; i < n && !strstr(lines[i], "cs:["); i++)
			;
		cr_expect_eq(i, n, "CPL 3 reads the copy: %s", lines[i]);
	}
}

/* An inline STI that is a block's last instruction (the 32nd) ends it
 * with the shadow exit, at no boundary: the monitor runs the next
 * instruction alone, in the shadow, instead of a jump to a block whose
 * start is a boundary where a kick would deliver an interrupt before
 * the shadowed instruction. */
Test(bt_emit, sti_ending_a_block_leaves_with_the_shadow)
{
	u8 code[34];
	char lines[64][64], w[64];
	u32 addr[64], eip = 0;
	const struct bt_block *tb;
	const struct bt_map *last;
	size_t n, i;

	memset(code, 0x90, 31);
	code[31] = 0xfb; /* sti */
	code[32] = 0xf4; /* hlt */
	code[33] = 0xf4;
	bvm.nblocks = 0;
	tb = translate(code, sizeof(code), 0, 0);
	cr_assert_eq(tb->ninsn, 32);
	last = &tb->map[tb->nmap - 1];
	cr_expect_eq(last->eip, GUEST_EIP + 32);
	cr_expect(!last->boundary, "the exit after STI is a boundary");
	cr_expect(!tcache__map(&bvm, at(tb, last->off), true, &eip));
	n = host_listing(tb, lines, 64, addr);
	/* Capstone writes a zero displacement without 0x */
	snprintf(w, sizeof(w),
		 BT_PG(exit_code) ? "mov dword ptr gs:[0x%x], 0x%x"
				  : "mov dword ptr gs:[%u], 0x%x",
		 BT_PG(exit_code), (unsigned)BT_EXIT_SHADOW);
	for (i = 0; i < n && strcmp(lines[i], w); i++)
		;
	cr_expect_lt(i, n, "no shadow exit in the block");

	/* one instruction earlier, the STI's shadow is inside the block */
	code[30] = 0xfb;
	code[31] = 0x90;
	bvm.nblocks = 0;
	tb = translate(code, sizeof(code), 0, 0);
	n = host_listing(tb, lines, 64, addr);
	for (i = 0; i < n && strcmp(lines[i], w); i++)
		;
	cr_expect_eq(i, n, "a shadow exit with the shadow inside the block");
}

/* A one-instruction block owes what follows its instruction (the #DB
 * of TF, the end of an interrupt shadow, the window the monitor stepped
 * to): only its start is a boundary, so a kick that lands on an exit
 * stub steps into the gate and the step callout runs. Were a stub a
 * boundary, the kick would leave at the next EIP with the step's work
 * undone: an interrupt pending at STI then waited one more instruction. */
Test(bt_emit, single_block_stubs_are_no_boundary)
{
	static const u8 nop[] = {0x90, 0xf4};
	static const u8 jz[] = {0x74, 0x10, 0xf4};
	static const u8 self[] = {0xeb, 0xfe}; /* its stub is at its EIP */
	const u8 *codes[] = {nop, jz, self};
	const size_t lens[] = {sizeof(nop), sizeof(jz), sizeof(self)};
	/* map entries after the instruction's: nop's fall-through jump
	 * and its stub; jz's fall-through jump and two stubs; jmp $'s
	 * stub */
	const u32 nlater[] = {2, 3, 1};

	for (int c = 0; c < 3; c++) {
		struct bt_key k = {.eip = GUEST_EIP, .single = true};
		const struct bt_block *tb;
		u32 eip = 0, later = 0;

		bvm.nblocks = 0;
		memcpy(ram + GUEST_EIP, codes[c], lens[c]);
		tb = translate__block(&bvm, &k);
		cr_assert_eq(tb->ninsn, 1);
		cr_expect(tcache__map(&bvm, at(tb, 0), true, &eip),
			  "the instruction's start is a boundary");
		cr_expect_eq(eip, GUEST_EIP);
		for (u32 i = 0; i < tb->nmap; i++) {
			if (!tb->map[i].off)
				continue;
			later++;
			cr_expect(!tb->map[i].boundary,
				  "case %d: entry %u (0x%x) is a boundary", c,
				  i, tb->map[i].eip);
		}
		cr_expect_eq(later, nlater[c], "case %d: %u later entries", c,
			     later);
	}
}

/* On a host whose CMPXCHG8B reads a stale lazy-flags state (QEMU 7.2's
 * TCG: sw_host__cx8_stale_flags) each CMPXCHG8B follows a jump to the
 * next instruction (the CMPXCHG8B), which ends the host's block; the jump
 * belongs to the instruction (its start is the boundary, a fault on the
 * CMPXCHG8B maps to its EIP). Elsewhere the bytes are the guest's alone.
 * RDRAND, the same 0f c7 with /6, gets no jump. */
Test(bt_emit, cmpxchg8b_after_a_block_end_on_a_stale_flags_host)
{
	static const u8 cx8[] = {0x0f, 0xc7, 0x0e, 0xf4}; /* (%esi) */
	static const u8 gs_cx8[] = {0x65, 0x0f, 0xc7, 0x0e, 0xf4};
	static const u8 rdrand[] = {0x0f, 0xc7, 0xf0, 0xf4};
	const struct bt_block *tb;
	char lines[16][64];
	u32 addr[16], eip = 0;
	size_t n;

	bvm.nblocks = 0;
	tb = translate(cx8, sizeof(cx8), 0, 0);
	n = host_listing(tb, lines, 16, addr);
	cr_assert_gt(n, 1);
	cr_expect_str_eq(lines[0], "cmpxchg8b qword ptr [esi]");
	cr_expect_eq(bvm.st.cx8_syncs, 0);

	bvm.cx8_sync = true;
	bvm.nblocks = 0;
	tb = translate(cx8, sizeof(cx8), 0, 0);
	n = host_listing(tb, lines, 16, addr);
	cr_assert_gt(n, 2);
	cr_expect(!memcmp(tb->tc, "\xeb\x00\x0f\xc7\x0e", 5),
		  "jmp .+2, then the guest's bytes");
	cr_expect_str_eq(lines[1], "cmpxchg8b qword ptr [esi]");
	cr_expect(tcache__map(&bvm, at(tb, 0), true, &eip));
	cr_expect_eq(eip, GUEST_EIP);
	cr_expect(!tcache__map(&bvm, at(tb, 2), true, &eip),
		  "the CMPXCHG8B after the jump is a boundary");
	cr_expect(tcache__map(&bvm, at(tb, 2), false, &eip));
	cr_expect_eq(eip, GUEST_EIP, "a fault on it maps to 0x%x", eip);
	cr_expect_eq(bvm.st.cx8_syncs, 1);

	/* a GS override: the jump goes right before the instruction,
	 * inside the guest GS load and the monitor's */
	bvm.nblocks = 0;
	tb = translate(gs_cx8, sizeof(gs_cx8), 0, 0);
	n = host_listing(tb, lines, 16, addr);
	cr_assert_gt(n, 4);
	cr_expect(!strncmp(lines[0], "mov gs, ", 8), "%s", lines[0]);
	cr_expect(!strncmp(lines[1], "jmp ", 4), "%s", lines[1]);
	cr_expect_eq(addr[2] - addr[1], 2, "a short jump to the next byte");
	cr_expect_str_eq(lines[2], "cmpxchg8b qword ptr gs:[esi]");
	cr_expect(!strncmp(lines[3], "mov gs, ", 8), "%s", lines[3]);
	cr_expect_eq(bvm.st.cx8_syncs, 2);

	bvm.nblocks = 0;
	tb = translate(rdrand, sizeof(rdrand), 0, 0);
	n = host_listing(tb, lines, 16, addr);
	cr_assert_gt(n, 1);
	cr_expect(strncmp(lines[0], "jmp", 3), "RDRAND after a jump");
	cr_expect_eq(bvm.st.cx8_syncs, 2);
}

/* The listing line @i starts with @want. */
static void expect_line(char lines[][64], size_t i, const char *want)
{
	cr_expect(!strncmp(lines[i], want, strlen(want)),
		  "line %zu: '%s', want '%s'", i, lines[i], want);
}

/* An adapted MOV and INVLPG at CPL 0 (--mode bt) leave through the fast
 * callout with their operand's effective address in bt_page.fast_ea
 * (fast_shadow.h): LEA of the guest's ModRM with ECX saved around it, or
 * a moffs as an immediate; an adapted one is still its patch site. A
 * prefix or CPL 3 keeps the callouts as they were; bt-simple adapts
 * nothing, but its INVLPG is a fast site too. */
Test(bt_emit, adapted_mov_and_invlpg_leave_with_their_effective_address)
{
	static const u8 load[] = {0x8b, 0x7c, 0x24, 0x08}; /* [esp + 8] */
	static const u8 store[] = {0xa3, 0x00, 0x00, 0x80, 0x40};
	static const u8 fs_load[] = {0x64, 0x8b, 0x07};
	/* mov dword ptr [eax + ebx*4 + 0x10], 0x12345678 */
	static const u8 store_imm[] = {0xc7, 0x44, 0x98, 0x10,
				       0x78, 0x56, 0x34, 0x12};
	static const u8 invlpg[] = {0x0f, 0x01, 0x3e, 0xf4}; /* [esi] */
	const struct bt_block *tb;
	char lines[16][64], w[64];
	u32 addr[16], eip = 0;
	struct bt_adapt_rec *r;
	size_t n;

	bvm.adapt = calloc(1, sizeof(*bvm.adapt));
	cr_assert(bvm.adapt);
	adapt__init(bvm.adapt, 2);
	r = adapt__rec(bvm.adapt, GUEST_EIP, true);
	cr_assert(r);
	r->callout = true;
	cr_expect_eq(adapt_find(bvm.adapt, GUEST_EIP), r);
	cr_expect_null(adapt_find(bvm.adapt, GUEST_EIP + 1));

	bvm.nblocks = 0;
	tb = translate(load, sizeof(load), 0, 0);
	n = host_listing(tb, lines, 16, addr);
	cr_assert_geq(n, 9);
	snprintf(w, sizeof(w), "mov dword ptr gs:[0x%x], ecx", BT_PG(scr_ecx));
	expect_line(lines, 0, w);
	expect_line(lines, 1, "lea ecx, [esp + 8]");
	snprintf(w, sizeof(w), "mov dword ptr gs:[0x%x], ecx", BT_PG(fast_ea));
	expect_line(lines, 2, w);
	snprintf(w, sizeof(w), "mov ecx, dword ptr gs:[0x%x]", BT_PG(scr_ecx));
	expect_line(lines, 3, w);
	snprintf(w, sizeof(w), "mov dword ptr gs:[0x%x], 0x%x", BT_PG(eip),
		 GUEST_EIP);
	expect_line(lines, 4, w);
	snprintf(w, sizeof(w), "mov dword ptr gs:[%u], 0x%x", BT_PG(patch_site),
		 (u32)(uintptr_t)tb->tc);
	expect_line(lines, 5, w);
	snprintf(w, sizeof(w), "mov dword ptr gs:[0x%x], 0x%x", BT_PG(fast_op),
		 BT_FAST_OP(BT_FAST_ADAPT_MOV, 7, SW_SS, 4));
	expect_line(lines, 6, w);
	snprintf(w, sizeof(w), "mov dword ptr gs:[0], 0x%x", BT_EXIT_FAST);
	expect_line(lines, 7, w);
	expect_line(lines, 8, "ljmp");
	cr_expect(site__is(&bvm, BT_SITE_ADAPT, (u64)(uintptr_t)tb->tc),
		  "the sequence's start is the adapt site");
	cr_expect(tcache__map(&bvm, at(tb, 0), true, &eip) && eip == GUEST_EIP);
	cr_expect(!tcache__map(&bvm, at(tb, addr[1]), true, &eip),
		  "the LEA is inside the instruction");

	bvm.nblocks = 0;
	tb = translate(store, sizeof(store), 0, 0);
	n = host_listing(tb, lines, 16, addr);
	cr_assert_geq(n, 4);
	snprintf(w, sizeof(w), "mov dword ptr gs:[0x%x], 0x40800000",
		 BT_PG(fast_ea));
	expect_line(lines, 0, w);
	snprintf(w, sizeof(w), "mov dword ptr gs:[0x%x], 0x%x", BT_PG(fast_op),
		 BT_FAST_OP(BT_FAST_ADAPT_MOV, 0, SW_DS, 5) | BT_FAST_STORE);
	expect_line(lines, 3, w);

	/* MOV m32, imm32: the LEA takes the operand without the
	 * immediate, which goes to fast_imm */
	bvm.nblocks = 0;
	tb = translate(store_imm, sizeof(store_imm), 0, 0);
	n = host_listing(tb, lines, 16, addr);
	cr_assert_geq(n, 10);
	expect_line(lines, 1, "lea ecx, [eax + ebx*4 + 0x10]");
	snprintf(w, sizeof(w), "mov dword ptr gs:[0x%x], 0x12345678",
		 BT_PG(fast_imm));
	expect_line(lines, 4, w);
	snprintf(w, sizeof(w), "mov dword ptr gs:[0x%x], 0x%x", BT_PG(fast_op),
		 BT_FAST_OP(BT_FAST_ADAPT_MOV, 0, SW_DS, 8) | BT_FAST_STORE |
			 BT_FAST_IMM);
	expect_line(lines, 7, w);

	/* a segment override: the adapted callout as it was */
	bvm.nblocks = 0;
	tb = translate(fs_load, sizeof(fs_load), 0, 0);
	n = host_listing(tb, lines, 16, addr);
	cr_assert_geq(n, 3);
	snprintf(w, sizeof(w), "mov dword ptr gs:[0], 0x%x", BT_EXIT_ADAPT);
	expect_line(lines, 2, w);
	/* at CPL 3 too */
	bvm.nblocks = 0;
	tb = translate(load, sizeof(load), 3, 0);
	n = host_listing(tb, lines, 16, addr);
	cr_assert_geq(n, 3);
	expect_line(lines, 2, w);

	/* INVLPG [esi] at CPL 0: the segment is DS, the block ends */
	r->callout = false;
	bvm.nblocks = 0;
	tb = translate(invlpg, sizeof(invlpg), 0, 0);
	n = host_listing(tb, lines, 16, addr);
	cr_assert_geq(n, 8);
	expect_line(lines, 1, "lea ecx, [esi]");
	snprintf(w, sizeof(w), "mov dword ptr gs:[0x%x], 0x%x", BT_PG(fast_op),
		 BT_FAST_OP(BT_FAST_INVLPG, 0, SW_DS, 3));
	expect_line(lines, 5, w);
	cr_expect_eq(tb->ninsn, 1, "INVLPG ends the block");
	/* in bt-simple too (the kept and unmapped cases) */
	free(bvm.adapt);
	bvm.adapt = NULL;
	bvm.nblocks = 0;
	tb = translate(invlpg, sizeof(invlpg), 0, 0);
	n = host_listing(tb, lines, 16, addr);
	cr_assert_geq(n, 6);
	expect_line(lines, 1, "lea ecx, [esi]");
	expect_line(lines, 5, w);
	/* at CPL 3 the callout (the full path's #GP(0)); Capstone writes
	 * an immediate below 10 in decimal */
	snprintf(w, sizeof(w), "mov dword ptr gs:[0], %u", BT_EXIT_CALLOUT);
	bvm.nblocks = 0;
	tb = translate(invlpg, sizeof(invlpg), 3, 0);
	n = host_listing(tb, lines, 16, addr);
	cr_assert_geq(n, 2);
	expect_line(lines, 1, w);
}
