/*
 * One wording for what an instruction raised, shared by every probe
 * family: "#GP(0)", "#PF(0x3) at CR2=0x400000", "#UD", "no exception".
 * A failure reads "expected #GP(0), saw no exception", never the packed
 * numbers a plain report_eq would print.
 */
#ifndef GUEST_OUTCOME_H
#define GUEST_OUTCOME_H

#include "fault.h"
#include "report.h"

/* Any error code: only the vector is checked. */
#define ANY_ERROR (-1l)

/* What f recorded, worded as above, into buf. */
const char *fault_outcome(char *buf, size_t n, const struct fault *f);

/*
 * Passes when f recorded vector vec (NO_FAULT: none) and, unless err is
 * ANY_ERROR, error code err (0 for vectors that push none).
 */
bool report_exception_result(const char *id, int vec, long err,
			     const struct fault *f);
#define report_exception(id, desc, vec, err, f)                                \
	report_exception_result(DECLARE_CHECK(id, desc), (vec), (err), (f))

#endif
