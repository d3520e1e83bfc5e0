/* Set-up as a check of its own (setup_check.h). */
#include "setup_check.h"
#include "fault.h"
#include "skip.h"

unsigned report_next_ordinal(void);

const char *setup_check(const char *id, void (*fn)(void *), void *arg,
			char *buf, size_t size)
{
	unsigned n = report_next_ordinal();
	struct fault f;

	try_call(fn, arg, &f);
	if (skip_pending()) {
		/* Reported as the killer popek.skip listed; what needed it
		 * did not run either, and says why in its own words. */
		report_result(id, true, "-");
		skip_clear();
		snprintf(buf, size,
			 "needs the set-up of check %u (%s), which ended the "
			 "target on an earlier boot (popek.skip)",
			 n, id);
		return buf;
	}
	if (report_result(id, f.vector == NO_FAULT,
			  "expected no exception, "
			  "saw %s at %#lx",
			  vector_name(f.vector), f.ip))
		return NULL;
	snprintf(buf, size,
		 "needs the set-up of check %u (%s), which raised %s", n, id,
		 vector_name(f.vector));
	return buf;
}
