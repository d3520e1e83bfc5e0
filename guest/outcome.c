/* Exception outcomes in words (outcome.h). */
#include "outcome.h"

#include "x86.h"

/* "#GP(0)", not the "#GP(0x0)" a %#lx would print for the common case */
static const char *with_error(char *buf, size_t n, const char *name, ulong err)
{
	if (err)
		snprintf(buf, n, "%s(%#lx)", name, err);
	else
		snprintf(buf, n, "%s(0)", name);
	return buf;
}

static const char *expected(char *buf, size_t n, int vec, long err)
{
	if (vec == NO_FAULT || err == ANY_ERROR)
		snprintf(buf, n, "%s", vector_name(vec));
	else
		with_error(buf, n, vector_name(vec), (ulong)err);
	return buf;
}

const char *fault_outcome(char *buf, size_t n, const struct fault *f)
{
	char pf[32];

	if (f->vector == NO_FAULT || !f->has_error)
		snprintf(buf, n, "%s", vector_name(f->vector));
	else if (f->vector == PF_VECTOR)
		snprintf(buf, n, "%s at CR2=%#lx",
			 with_error(pf, sizeof(pf), "#PF", f->error), f->cr2);
	else
		with_error(buf, n, vector_name(f->vector), f->error);
	return buf;
}

bool report_exception_result(const char *id, int vec, long err,
			     const struct fault *f)
{
	char want[48], saw[64];
	bool ok = f->vector == vec &&
		  (err == ANY_ERROR || f->error == (ulong)err);

	return report_result(id, ok, "expected %s, saw %s",
			     expected(want, sizeof(want), vec, err),
			     fault_outcome(saw, sizeof(saw), f));
}
