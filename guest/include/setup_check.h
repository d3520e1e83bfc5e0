/*
 * Set-up as a check of its own (docs/protocol.md, "Restarts"). Set-up
 * that can end a target (an instruction its monitor cannot run) runs
 * through try_call() and is reported like any check, so that popek.skip
 * can skip it on a restart; the checks that need it then report skip
 * with a reason naming it, instead of each ending the target in turn or
 * running without it.
 *
 *   char why[SETUP_WHY_MAX];
 *
 *   if (SETUP_CHECK("conformance.x.setup", "the set-up runs", fn, NULL,
 *                   why))
 *           report_skipped(id, "%s", why);  (each check that needs it)
 */
#ifndef GUEST_SETUP_CHECK_H
#define GUEST_SETUP_CHECK_H

#include "report.h"

#define SETUP_WHY_MAX 160

/*
 * Runs fn(arg) through try_call() and reports id: it passes when fn ran
 * without an exception. Returns NULL then; otherwise writes into buf, and
 * returns, the reason the checks that need the set-up report skip: it
 * raised an exception, or popek.skip kept it from running because it
 * ended the target on an earlier boot.
 */
const char *setup_check(const char *id, void (*fn)(void *), void *arg,
			char *buf, size_t size);
#define SETUP_CHECK(id, desc, fn, arg, buf)                                    \
	setup_check(DECLARE_CHECK(id, desc), (fn), (arg), (buf), sizeof(buf))

#endif
