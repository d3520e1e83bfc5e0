/* Helpers shared by the conformance probes (see common.h). */
#include "common.h"

const char *outcome_str(char *buf, size_t n, int vec, long err)
{
	bool has_err = vec == DF_VECTOR ||
		       (vec >= TS_VECTOR && vec <= PF_VECTOR) ||
		       vec == AC_VECTOR;

	if (vec == NO_FAULT)
		snprintf(buf, n, "no exception");
	else if (has_err && err != ANY_ERR)
		snprintf(buf, n, "%s(%#lx)", vector_name(vec), err);
	else
		snprintf(buf, n, "%s", vector_name(vec));
	return buf;
}

bool check_fault(const char *id, int vec, long err, const struct fault *f)
{
	char want[32], saw[32];
	bool ok = f->vector == vec;

	if (ok && f->has_error && err != ANY_ERR)
		ok = f->error == (ulong)err;
	outcome_str(want, sizeof(want), vec, err);
	outcome_str(saw, sizeof(saw), f->vector,
		    f->has_error ? (long)f->error : 0);
	return report_result(id, ok, "expected %s, saw %s", want, saw);
}

void gdt_set_call_gate(int index, u16 sel, ulong offset, int dpl)
{
	u64 lo = (offset & 0xffff) | ((u64)sel << 16) |
		 ((u64)(0x8c | (dpl << 5)) << 40) |
		 ((u64)((offset >> 16) & 0xffff) << 48);

	gdt[index] = lo;
#ifdef __x86_64__
	gdt[index + 1] = (u64)offset >> 32;
#endif
}

void gdt_set_system(int index, ulong base, u32 limit, u8 type, int dpl)
{
	u64 lo = (limit & 0xffff) | ((u64)(base & 0xffffff) << 16) |
		 ((u64)(0x80 | (dpl << 5) | type) << 40) |
		 ((u64)((limit >> 16) & 0xf) << 48) |
		 ((u64)((base >> 24) & 0xff) << 56);

	gdt[index] = lo;
#ifdef __x86_64__
	gdt[index + 1] = (u64)base >> 32;
#endif
}

void spin(unsigned long loops)
{
	for (volatile unsigned long i = 0; i < loops; i++)
		;
}
