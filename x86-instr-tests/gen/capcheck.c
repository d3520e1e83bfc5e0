/*
 * Capstone round trip: every emitted encoding must decode, instruction by
 * instruction, to exactly the bytes given (same length) and to the text
 * the form states (mnemonic and operands, Intel syntax).
 */
#include <capstone/capstone.h>
#include <string.h>

#include "gen.h"

int cap_check(int width, const uint8_t *code, int len, const char *text,
	      char *got, size_t gotsz)
{
	csh h;
	cs_insn *insn;
	size_t n, used = 0, off = 0;
	int ok;

	if (cs_open(CS_ARCH_X86, width == 64 ? CS_MODE_64 : CS_MODE_32, &h) !=
	    CS_ERR_OK) {
		snprintf(got, gotsz, "cs_open failed");
		return -1;
	}
	n = cs_disasm(h, code, len, 0, 0, &insn);
	got[0] = 0;
	for (size_t i = 0; i < n; i++) {
		off += snprintf(got + off, off < gotsz ? gotsz - off : 0,
				"%s%s%s%s", i ? "; " : "", insn[i].mnemonic,
				insn[i].op_str[0] ? " " : "", insn[i].op_str);
		used += insn[i].size;
	}
	if (n == 0)
		snprintf(got, gotsz, "(no decode)");
	ok = n > 0 && used == (size_t)len && strcmp(got, text) == 0;
	if (n)
		cs_free(insn, n);
	cs_close(&h);
	return ok ? 0 : -1;
}
