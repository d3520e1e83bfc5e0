/*
 * JUnit has no xfail, xpass or either: an xfail is written as a passing
 * testcase with the infidelity in system-out (it is expected), an xpass as
 * a failure (it is not), an either as a passing testcase whose system-out
 * says whether it passed ("either: passed; ..." or "either: failed;
 * ..."). Each suite's properties count its xfail and either checks.
 */
#include "junit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xml_escape.h"

static void write_suite(FILE *f, const struct results *r,
			const struct res_target *t)
{
	size_t i, tests = 0, failures = 0, errors = 0, skipped = 0, xfail = 0,
		  either = 0;

	for (i = 0; i < r->nchecks; i++) {
		const struct res_check *c = &r->checks[i];

		if (strcmp(c->target, t->name) != 0 ||
		    strcmp(c->host_class, t->host_class) != 0)
			continue;
		tests++;
		failures += c->cls == CLS_FAIL || c->cls == CLS_XPASS;
		errors += c->cls == CLS_ERROR;
		skipped += c->cls == CLS_SKIP;
		xfail += c->cls == CLS_XFAIL;
		either += c->cls == CLS_EITHER;
	}
	fputs(" <testsuite name=\"", f);
	xml_escape(f, t->name);
	fprintf(f,
		"\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
		"skipped=\"%zu\" time=\"%.3f\" hostname=\"",
		tests, failures, errors, skipped, t->seconds);
	xml_escape(f, t->host_class);
	fprintf(f,
		"\">\n  <properties>\n   <property name=\"xfail\" "
		"value=\"%zu\"/>\n   <property name=\"either\" "
		"value=\"%zu\"/>\n  </properties>\n",
		xfail, either);
	if (!t->available) {
		fputs("  <system-err>unavailable: ", f);
		xml_escape(f, t->reason);
		fputs("</system-err>\n", f);
	}
	for (i = 0; i < r->nchecks; i++) {
		const struct res_check *c = &r->checks[i];

		if (strcmp(c->target, t->name) != 0 ||
		    strcmp(c->host_class, t->host_class) != 0)
			continue;
		fputs("  <testcase classname=\"", f);
		xml_escape(f, c->image);
		fputs("\" name=\"", f);
		xml_escape(f, c->id);
		fputs("\"", f);
		switch (c->cls) {
		case CLS_PASS:
			fputs("/>\n", f);
			continue;
		case CLS_FAIL:
		case CLS_XPASS:
			fprintf(f, ">\n   <failure type=\"%s\" message=\"",
				class_name(c->cls));
			xml_escape(f, c->reason);
			fputs("\"/>\n", f);
			break;
		case CLS_ERROR:
			fputs(">\n   <error message=\"", f);
			xml_escape(f, c->reason);
			fputs("\"/>\n", f);
			break;
		case CLS_SKIP:
			fputs(">\n   <skipped message=\"", f);
			xml_escape(f, c->reason);
			fputs("\"/>\n", f);
			break;
		case CLS_EITHER:
			fputs(">\n   <system-out>either: ", f);
			xml_escape(f, c->reason);
			fputs("</system-out>\n", f);
			break;
		case CLS_XFAIL:
		default:
			fputs(">\n   <system-out>xfail: ", f);
			xml_escape(f, c->reason);
			fputs("</system-out>\n", f);
			break;
		}
		fputs("  </testcase>\n", f);
	}
	fputs(" </testsuite>\n", f);
}

int junit_write(const struct results *r, const char *path, struct perr *e)
{
	FILE *f = fopen(path, "w");
	size_t i;

	if (!f)
		return perr_set(e, "cannot write %s: %s", path,
				strerror(errno));
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "
	      "name=\"popek\">\n",
	      f);
	for (i = 0; i < r->ntargets; i++)
		write_suite(f, r, &r->targets[i]);
	fputs("</testsuites>\n", f);
	if (fclose(f) != 0)
		return perr_set(e, "cannot write %s: %s", path,
				strerror(errno));
	return 0;
}
