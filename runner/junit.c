/*
 * JUnit has no xfail, xpass or either: an xfail is written as a passing
 * testcase with the infidelity in system-out (it is expected), an xpass as
 * a failure (it is not), an either as a passing testcase whose system-out
 * says whether it passed ("either: passed; ..." or "either: failed;
 * ..."). Each suite's properties count its xfail and either checks.
 *
 * A CI system reads only this file, so it must fail whenever the exit
 * status does: every image also gets a testcase "IMAGE:boot", an <error>
 * when the image did not end properly (a run whose checks all passed can
 * still have died before `popek: exit`), passing otherwise, with the
 * image's wall time. The checks carry time 0: the guest does not time
 * them, so each image's time is counted once, on its boot testcase.
 */
#include "junit.h"

#include <stdio.h>
#include <string.h>

#include "outpath.h"
#include "version.h"
#include "xml_escape.h"

struct counts {
	size_t tests, failures, errors, skipped, xfail, either;
	double seconds;
};

static bool in_suite(const char *target, const char *host_class,
		     const struct res_target *t)
{
	return strcmp(target, t->name) == 0 &&
	       strcmp(host_class, t->host_class) == 0;
}

static void count_suite(const struct results *r, const struct res_target *t,
			struct counts *n)
{
	size_t i;

	memset(n, 0, sizeof(*n));
	n->seconds = t->seconds;
	n->tests = n->skipped = !t->available;
	for (i = 0; i < r->nimages; i++) {
		const struct res_image *im = &r->images[i];

		if (!in_suite(im->target, im->host_class, t))
			continue;
		n->tests++;
		n->errors += !im->ok;
	}
	for (i = 0; i < r->nchecks; i++) {
		const struct res_check *c = &r->checks[i];

		if (!in_suite(c->target, c->host_class, t))
			continue;
		n->tests++;
		n->failures += c->cls == CLS_FAIL || c->cls == CLS_XPASS;
		n->errors += c->cls == CLS_ERROR;
		n->skipped += c->cls == CLS_SKIP;
		n->xfail += c->cls == CLS_XFAIL;
		n->either += c->cls == CLS_EITHER;
	}
}

/*
 * JUnit's timestamp is an xs:dateTime without a zone (the XSD's pattern);
 * ours are UTC with a 'Z' and maybe milliseconds: keep the seconds.
 */
static void put_timestamp(FILE *f, const char *iso)
{
	if (!iso || strlen(iso) < 19)
		return;
	fputs(" timestamp=\"", f);
	fwrite(iso, 1, 19, f);
	fputs("\"", f);
}

static const struct res_image *find_image(const struct results *r,
					  const struct res_check *c)
{
	size_t i;

	for (i = 0; i < r->nimages; i++)
		if (strcmp(r->images[i].image, c->image) == 0 &&
		    strcmp(r->images[i].target, c->target) == 0 &&
		    strcmp(r->images[i].host_class, c->host_class) == 0)
			return &r->images[i];
	return NULL;
}

static void put_line(FILE *f, const char *label, const char *value)
{
	if (!value || !*value)
		return;
	fprintf(f, "%s: ", label);
	xml_escape(f, value);
	fputc('\n', f);
}

/* What a CI page shows under a failure: enough to act without the JSON. */
static void put_body(FILE *f, const struct res_check *c,
		     const struct res_image *im)
{
	if (c)
		put_line(f, "check", c->description);
	if (c)
		put_line(f, "reason", c->reason);
	if (!im)
		return;
	if (!c || strcmp(c->reason, im->reason) != 0)
		put_line(f, im->ok ? "image (xerror)" : "image", im->reason);
	put_line(f, "rerun", im->rerun);
	put_line(f, "command", im->command);
	put_line(f, "serial log", im->log_serial);
	put_line(f, "stderr log", im->log_stderr);
	put_line(f, "run info", im->log_info);
}

static void write_boot(FILE *f, const struct res_image *im)
{
	fputs("  <testcase classname=\"", f);
	xml_escape(f, im->image);
	fputs("\" name=\"", f);
	xml_escape(f, im->image);
	fprintf(f, ":boot\" time=\"%.3f\"", im->seconds);
	put_timestamp(f, im->started);
	fputs(">\n", f);
	if (!im->ok) {
		fputs("   <error type=\"image\" message=\"", f);
		xml_escape(f, im->reason);
		fputs("\">", f);
		put_body(f, NULL, im);
		fputs("</error>\n", f);
	} else {
		/* an xerror (expected breakage) says how it broke */
		fputs("   <system-out>", f);
		if (*im->reason) {
			fputs("xerror: ", f);
			xml_escape(f, im->reason);
			fputc('\n', f);
		}
		put_line(f, "rerun", im->rerun);
		put_line(f, "serial log", im->log_serial);
		put_line(f, "stderr log", im->log_stderr);
		put_line(f, "run info", im->log_info);
		fputs("</system-out>\n", f);
	}
	fputs("  </testcase>\n", f);
}

static void write_check(FILE *f, const struct results *r,
			const struct res_check *c)
{
	const struct res_image *im = find_image(r, c);

	fputs("  <testcase classname=\"", f);
	xml_escape(f, c->image);
	fputs("\" name=\"", f);
	xml_escape(f, c->id);
	fputs("\" time=\"0.000\"", f);
	if (im)
		put_timestamp(f, im->started);
	switch (c->cls) {
	case CLS_PASS:
		fputs("/>\n", f);
		return;
	case CLS_FAIL:
	case CLS_XPASS:
		fprintf(f, ">\n   <failure type=\"%s\" message=\"",
			class_name(c->cls));
		xml_escape(f, c->reason);
		fputs("\">", f);
		put_body(f, c, im);
		fputs("</failure>\n", f);
		break;
	case CLS_ERROR:
		fputs(">\n   <error type=\"error\" message=\"", f);
		xml_escape(f, c->reason);
		fputs("\">", f);
		put_body(f, c, im);
		fputs("</error>\n", f);
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

static void put_property(FILE *f, const char *name, const char *value)
{
	fprintf(f, "   <property name=\"%s\" value=\"", name);
	xml_escape(f, value);
	fputs("\"/>\n", f);
}

/* The earliest image start of the suite, else the run's start. */
static const char *suite_started(const struct results *r,
				 const struct res_target *t)
{
	const char *first = NULL;
	size_t i;

	for (i = 0; i < r->nimages; i++) {
		const struct res_image *im = &r->images[i];

		if (in_suite(im->target, im->host_class, t) && *im->started &&
		    (!first || strcmp(im->started, first) < 0))
			first = im->started;
	}
	return first ? first : r->started;
}

static void write_suite(FILE *f, const struct results *r,
			const struct res_target *t)
{
	struct counts n;
	size_t i;

	count_suite(r, t, &n);
	fputs(" <testsuite name=\"", f);
	xml_escape(f, t->name);
	fprintf(f,
		"\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
		"skipped=\"%zu\" time=\"%.3f\"",
		n.tests, n.failures, n.errors, n.skipped, n.seconds);
	put_timestamp(f, suite_started(r, t));
	fputs(" hostname=\"", f);
	xml_escape(f, t->host_class);
	fprintf(f,
		"\">\n  <properties>\n   <property name=\"xfail\" "
		"value=\"%zu\"/>\n   <property name=\"either\" "
		"value=\"%zu\"/>\n",
		n.xfail, n.either);
	put_property(f, "popek_version", popek_version());
	put_property(f, "popek_commit", popek_commit());
	put_property(f, "command", t->command);
	if (r->interrupted && *r->interrupted)
		put_property(f, "interrupted", r->interrupted);
	fputs("  </properties>\n", f);
	if (!t->available) {
		fputs("  <testcase classname=\"", f);
		xml_escape(f, t->name);
		fputs("\" name=\"", f);
		xml_escape(f, t->name);
		fputs(":available\" time=\"0.000\">\n   <skipped "
		      "message=\"unavailable: ",
		      f);
		xml_escape(f, t->reason);
		fputs("\"/>\n  </testcase>\n  <system-err>unavailable: ", f);
		xml_escape(f, t->reason);
		fputs("</system-err>\n", f);
	}
	for (i = 0; i < r->nimages; i++)
		if (in_suite(r->images[i].target, r->images[i].host_class, t))
			write_boot(f, &r->images[i]);
	for (i = 0; i < r->nchecks; i++)
		if (in_suite(r->checks[i].target, r->checks[i].host_class, t))
			write_check(f, r, &r->checks[i]);
	fputs(" </testsuite>\n", f);
}

int junit_write(const struct results *r, const char *path, struct perr *e)
{
	struct counts all = {0}, n;
	struct outfile out;
	size_t i;

	if (outpath_open(&out, path, e) < 0)
		return -1;
	for (i = 0; i < r->ntargets; i++) {
		count_suite(r, &r->targets[i], &n);
		all.tests += n.tests;
		all.failures += n.failures;
		all.errors += n.errors;
		all.skipped += n.skipped;
		all.seconds += n.seconds;
	}
	fprintf(out.f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "
		"name=\"popek\" tests=\"%zu\" failures=\"%zu\" "
		"errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\"",
		all.tests, all.failures, all.errors, all.skipped, all.seconds);
	put_timestamp(out.f, r->started);
	fputs(">\n", out.f);
	for (i = 0; i < r->ntargets; i++)
		write_suite(out.f, r, &r->targets[i]);
	fputs("</testsuites>\n", out.f);
	return outpath_commit(&out, e);
}
