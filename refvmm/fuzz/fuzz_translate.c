/*
 * The translator on random guest code (docs/refvmm-bt.md, "Fuzzing"):
 * decode__insn at every offset of the input, then translate__block of blocks
 * starting at its first offsets, under a key taken from the input's
 * first bytes (CPL, IOPL, CR0.EM/MP/TS, single, SS.B, interrupt waiting,
 * self-checking page, adapted callouts). Nothing is executed: the cache
 * is a heap buffer, guest RAM one page (page 0, which the translator
 * never write-protects). Checked after each block: the host code and the
 * map stay inside the block, map offsets never go backwards, and decode's
 * length is 1..15.
 *
 * Built twice (refvmm/fuzz/CMakeLists.txt): with clang -fsanitize=fuzzer
 * as the libFuzzer target, and with the project's compiler as a replay
 * program for the inputs kept in regressions/ and corpus/ (main below).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bt/adapt.h"
#include "../bt/decode.h"
#include "../bt/site.h"
#include "../bt/tcache.h"
#include "../bt/translate.h"

#define RAM_SIZE 4096
#define CODE_AT	 0x100u
#define CODE_MAX (RAM_SIZE - CODE_AT - 64)
#define TC_SIZE	 (256 * 1024)
#define ENTRIES	 16
#define HEADER	 3

static struct monitor tvm;
static struct sw_cpu cpu;
static struct bt_vm bvm;
static struct bt_adapt adapt;
static u8 ram[RAM_SIZE];
static u8 *tc;

static void fail(const char *what, u32 eip)
{
	fprintf(stderr, "fuzz_translate: %s (block at 0x%x)\n", what, eip);
	abort();
}

static void init_once(void)
{
	if (tc)
		return;
	if (cs_open(CS_ARCH_X86, CS_MODE_32, &tvm.cs) != CS_ERR_OK)
		fail("cannot open Capstone", 0);
	cs_option(tvm.cs, CS_OPT_DETAIL, CS_OPT_ON);
	tc = calloc(1, TC_SIZE);
	bvm.blocks = calloc(BT_MAX_BLOCKS, sizeof(*bvm.blocks));
	bvm.maps = calloc(BT_MAX_MAP, sizeof(*bvm.maps));
	bvm.page_idx = calloc(1, sizeof(*bvm.page_idx));
	bvm.codepages = calloc(1, sizeof(*bvm.codepages));
	bvm.selfcheck = calloc(1, 1);
	bvm.data_stores = calloc(1, 1);
	if (!tc || !bvm.blocks || !bvm.maps || !bvm.page_idx ||
	    !bvm.codepages || !bvm.selfcheck || !bvm.data_stores)
		fail("out of memory", 0);
}

/* A fresh cache and CPU for one input. */
static void reset(u8 h0, u8 h1)
{
	memset(&cpu, 0, sizeof(cpu));
	memset(ram, 0, sizeof(ram));
	cpu.ram = ram;
	cpu.ram_size = RAM_SIZE;
	cpu.seg[SW_CS].limit = (h1 & 0x80) ? CODE_AT + 0x40 : 0xffffffff;
	cpu.seg[SW_CS].db = 1;
	cpu.cr0 = (u32)(h0 >> 5) << 1; /* MP, EM, TS */
	if (h1 & 0x40) {	       /* an instruction breakpoint */
		cpu.dr[0] = CODE_AT + (h1 & 0x1f);
		cpu.dr[7] = 1;
	}
	tvm.c = &cpu;
	bvm.t = &tvm;
	bvm.c = &cpu;
	bvm.tc_base = tc;
	bvm.lookup_fn = tc;
	bvm.step_ind_fn = tc + 0x100;
	bvm.miss_stub = tc + 0x200;
	bvm.tc_free = tc + 0x400;
	bvm.tc_end = tc + TC_SIZE;
	if (!bvm.sites[BT_SITE_CHAIN] && site__init(&bvm) < 0)
		fail("out of memory", 0);
	site__clear_from(&bvm, tc);
	bvm.nblocks = 0;
	bvm.nmaps = 0;
	bvm.ncodepages = 0;
	bvm.chaining = h1 & 0x20;
	bvm.selfcheck[0] = h1 & 0x10 ? 1 : 0;
	memset(bvm.hash, 0, sizeof(bvm.hash));
	adapt__init(&adapt, 1);
	bvm.adapt = (h1 & 0x08) ? &adapt : NULL;
}

static void check_block(const struct bt_block *tb, const struct bt_key *k)
{
	u32 i;

	if (tb->tc < tc + 0x400 || tb->tc + tb->tc_len > tc + TC_SIZE)
		fail("host code outside the cache", k->eip);
	if (!tb->nmap || tb->ninsn < 1 || tb->ninsn > 32)
		fail("empty block or more than 32 instructions", k->eip);
	for (i = 0; i < tb->nmap; i++) {
		if (tb->map[i].off >= tb->tc_len)
			fail("map entry beyond the block", k->eip);
		if (i && tb->map[i].off < tb->map[i - 1].off)
			fail("map offsets go backwards", k->eip);
	}
	if (tb->glen > 32 * 15)
		fail("guest bytes beyond 32 instructions", k->eip);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bt_insn in;
	struct bt_key k;
	size_t n, i;

	if (size < HEADER)
		return 0;
	init_once();
	reset(data[0], data[1]);
	n = size - HEADER < CODE_MAX ? size - HEADER : CODE_MAX;
	memcpy(ram + CODE_AT, data + HEADER, n);
	for (i = 0; i < n; i++)
		if (decode__insn(ram + CODE_AT + i, 15, &in) &&
		    (in.len < 1 || in.len > 15 || in.cls >= BT_NCLASSES))
			fail("decode length or class out of range",
			     CODE_AT + (u32)i);
	/* adapted callouts: every IDENT memory access the input marks */
	if (bvm.adapt)
		for (i = 0; i < n; i++)
			if (data[2] & (1u << (i & 7)))
				adapt__trap(&adapt, CODE_AT + (u32)i);
	for (i = 0; i < n && i < ENTRIES; i++) {
		const struct bt_block *tb;

		memset(&k, 0, sizeof(k));
		k.eip = CODE_AT + (u32)i;
		k.cpl = data[0] & 3;
		k.iopl = (data[0] >> 2) & 3;
		k.fpu = (u8)(cpu.cr0 & 0xe);
		k.single = data[1] & 1;
		k.ss16 = data[1] & 2;
		k.wreq = data[1] & 4;
		k.nobp = data[0] & 0x10;
		tb = translate__block(&bvm, &k);
		check_block(tb, &k);
		tcache__insert(&bvm, (struct bt_block *)tb);
	}
	return 0;
}

#ifdef FUZZ_REPLAY
#include <dirent.h>

static int replay_file(const char *path)
{
	static u8 buf[1 << 16];
	FILE *f = fopen(path, "rb");
	size_t len;

	if (!f) {
		fprintf(stderr, "fuzz_replay: cannot open %s\n", path);
		return -1;
	}
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	return 1;
}

/* Replays the inputs in the directories (or files) named on the command
 * line; names starting with a dot are not inputs. */
int main(int argc, char **argv)
{
	char path[4096];
	int i, n = 0, r;

	for (i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		struct dirent *e;

		if (!d) {
			if ((r = replay_file(argv[i])) < 0)
				return 1;
			n += r;
			continue;
		}
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i],
				 e->d_name);
			if ((r = replay_file(path)) < 0)
				return 1;
			n += r;
		}
		closedir(d);
	}
	printf("fuzz_replay: %d inputs replayed\n", n);
	return 0;
}
#endif
