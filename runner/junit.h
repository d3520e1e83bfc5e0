/* JUnit XML for CI systems that show test results natively. */
#ifndef POPEK_RUNNER_JUNIT_H
#define POPEK_RUNNER_JUNIT_H

#include "results.h"
#include "util.h"

/* One testsuite per target, one testcase (classname=image, name=id) per
 * check. */
int junit_write(const struct results *r, const char *path, struct perr *e);

#endif
