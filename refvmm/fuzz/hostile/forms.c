/*
 * hostile_forms: the campaign's second count of what the translator saw
 * (docs/hostile-campaign.md). Reads translation-log lines, `CLASS HEX`,
 * and writes each with its displacement and immediate bytes zeroed, so
 * that encodings differing only in those count once: a form is the
 * prefixes, opcode, ModRM and SIB. The far pointer of EA/9A (SDM Vol. 2A
 * JMP, CALL: ptr16:32) counts as an immediate. A line Capstone cannot
 * decode to its full length is written as it came.
 */
#include <capstone/capstone.h>
#include <stdio.h>
#include <string.h>

#define MAX_LEN 15

static int is_legacy_prefix(unsigned char b)
{
	return b == 0x66 || b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3 ||
	       b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 ||
	       b == 0x65;
}

static void zero(unsigned char *b, size_t n, size_t off, size_t len)
{
	if (len && off + len <= n)
		memset(b + off, 0, len);
}

static void mask(csh h, unsigned char *b, size_t n)
{
	cs_insn *in;
	size_t k = 0;

	if (cs_disasm(h, b, n, 0, 1, &in) != 1)
		return;
	if (in->size == n) {
		const cs_x86_encoding *e = &in->detail->x86.encoding;

		zero(b, n, e->disp_offset, e->disp_size);
		zero(b, n, e->imm_offset, e->imm_size);
		while (k < n && is_legacy_prefix(b[k]))
			k++;
		if (k < n && (b[k] == 0xea || b[k] == 0x9a))
			zero(b, n, k + 1, n - k - 1);
	}
	cs_free(in, 1);
}

int main(void)
{
	char cls[64], hex[2 * MAX_LEN + 2];
	csh h;

	if (cs_open(CS_ARCH_X86, CS_MODE_32, &h) != CS_ERR_OK) {
		fprintf(stderr, "hostile_forms: capstone: cannot open\n");
		return 1;
	}
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	while (scanf("%63s %31s", cls, hex) == 2) {
		unsigned char b[MAX_LEN];
		size_t n = strlen(hex) / 2;

		if (n > MAX_LEN)
			n = MAX_LEN;
		for (size_t i = 0; i < n; i++)
			if (sscanf(hex + 2 * i, "%2hhx", &b[i]) != 1)
				b[i] = 0;
		mask(h, b, n);
		printf("%s ", cls);
		for (size_t i = 0; i < n; i++)
			printf("%02x", b[i]);
		putchar('\n');
	}
	cs_close(&h);
	return 0;
}
