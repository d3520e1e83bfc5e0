/*
 * What a reader of the page needs before the matrix: where the results
 * come from (date, popek version and commit, baseline, whether the run was
 * cut short) and the problems spelled out, reasons as text rather than in
 * a hover, with the command that reruns each image and its logs.
 */
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "html_parts.h"
#include "timestamp.h"
#include "version.h"
#include "xml_escape.h"

static void row(FILE *f, const char *key, const char *label, const char *value)
{
	if (!value || !*value)
		return;
	fprintf(f, "<tr><th>%s</th><td data-meta=\"%s\">", label, key);
	xml_escape(f, value);
	fputs("</td></tr>\n", f);
}

/* The version and commit as one text, "0.1 (1c565bfdda2e)". */
static char *version_text(const char *version, const char *commit)
{
	if (!version || !*version)
		return NULL;
	return xasprintf("%s (%s)", version,
			 commit && *commit ? commit : "commit unknown");
}

void html_write_about(FILE *f, const struct html_meta *meta)
{
	char *now = timestamp_now(),
	     *me = version_text(popek_version(), popek_commit()), *theirs;

	fputs("<h2 id=\"about\">About these results</h2>\n<table "
	      "class=\"about\">\n",
	      f);
	row(f, "generated", "page generated (UTC)", now);
	row(f, "popek", "by popek", me);
	if (meta->now) {
		row(f, "started", "run started (UTC)", meta->now->started);
		theirs = version_text(meta->now->popek_version,
				      meta->now->popek_commit);
		if (theirs && strcmp(theirs, me) != 0)
			row(f, "results-popek", "results written by popek",
			    theirs);
		free(theirs);
	}
	row(f, "baseline", "baseline", meta->baseline);
	if (meta->base) {
		row(f, "baseline-started", "baseline run started (UTC)",
		    meta->base->started);
		theirs = version_text(meta->base->popek_version,
				      meta->base->popek_commit);
		row(f, "baseline-popek", "baseline written by popek", theirs);
		free(theirs);
	}
	fputs("</table>\n", f);
	if (meta->now && meta->now->interrupted && *meta->now->interrupted) {
		fputs("<p class=\"warn\" data-meta=\"interrupted\">Partial "
		      "results: the run was interrupted by ",
		      f);
		xml_escape(f, meta->now->interrupted);
		fputs(". Images it did not finish are errors.</p>\n", f);
	}
	free(now);
	free(me);
}

/*
 * A results file may come from any worker: a log path is linked only when
 * it is a plain path, no scheme before its first '/' (javascript:...), not
 * network-relative ("//host", and '\\' that browsers read as '/'), and
 * shown as text otherwise.
 */
static bool plain_path(const char *path)
{
	return strcspn(path, ":") >= strcspn(path, "/") &&
	       !str_starts(path, "//") && !strchr(path, '\\');
}

static void log_link(FILE *f, const char *label, const char *path)
{
	if (!*path)
		return;
	if (!plain_path(path)) {
		fprintf(f, " %s: ", label);
		xml_escape(f, path);
		return;
	}
	fputs(" <a href=\"", f);
	xml_escape(f, path);
	fprintf(f, "\">%s</a>", label);
}

static bool image_has_problem(const struct results *r,
			      const struct res_image *im)
{
	size_t i;

	if (!im->ok)
		return true;
	for (i = 0; i < r->nchecks; i++) {
		const struct res_check *c = &r->checks[i];

		if (class_unexpected(c->cls) && !strcmp(c->image, im->image) &&
		    !strcmp(c->target, im->target) &&
		    !strcmp(c->host_class, im->host_class))
			return true;
	}
	return false;
}

static void write_images(FILE *f, const struct results *r)
{
	bool header = false;
	size_t i;

	for (i = 0; i < r->nimages; i++) {
		const struct res_image *im = &r->images[i];

		if (!image_has_problem(r, im))
			continue;
		if (!header)
			fputs("<h3>Images</h3>\n<table class=\"problems\" "
			      "id=\"problem-images\">\n<tr><th>target</th>"
			      "<th>image</th><th>status</th><th>reason</th>"
			      "<th>rerun</th><th>logs</th></tr>\n",
			      f);
		header = true;
		fputs("<tr><td>", f);
		xml_escape(f, im->target);
		fputs("</td><td class=\"img\">", f);
		xml_escape(f, im->image);
		fprintf(f, "</td><td class=\"%s\">%s</td><td>",
			im->ok ? "xfail" : "error",
			!im->ok	      ? "error"
			: *im->reason ? "xerror"
				      : "ok");
		xml_escape(f, im->reason);
		fputs("</td><td><code>", f);
		xml_escape(f, im->rerun);
		fputs("</code></td><td>", f);
		log_link(f, "serial", im->log_serial);
		log_link(f, "stderr", im->log_stderr);
		log_link(f, "info", im->log_info);
		fputs("</td></tr>\n", f);
	}
	if (header)
		fputs("</table>\n", f);
}

/*
 * A dead image makes every check it did not report an error with the
 * image's reason: those are counted, not listed again.
 */
#define PROBLEM_ROWS_MAX 500

static bool as_image_says(const struct results *r, const struct res_check *c)
{
	size_t i;

	for (i = 0; i < r->nimages; i++) {
		const struct res_image *im = &r->images[i];

		if (!strcmp(c->image, im->image) &&
		    !strcmp(c->target, im->target) &&
		    !strcmp(c->host_class, im->host_class))
			return *im->reason && !strcmp(c->reason, im->reason);
	}
	return false;
}

static void write_checks(FILE *f, const struct results *r)
{
	size_t i, shown = 0, same = 0, more = 0;

	for (i = 0; i < r->nchecks; i++) {
		const struct res_check *c = &r->checks[i];

		if (!class_unexpected(c->cls))
			continue;
		if (as_image_says(r, c)) {
			same++;
			continue;
		}
		if (shown == PROBLEM_ROWS_MAX) {
			more++;
			continue;
		}
		if (!shown)
			fputs("<h3>Checks</h3>\n<table class=\"problems\" "
			      "id=\"problem-checks\">\n<tr><th>target</th>"
			      "<th>check</th><th>result</th><th>reason</th>"
			      "<th>what it checks</th></tr>\n",
			      f);
		shown++;
		fputs("<tr><td>", f);
		xml_escape(f, c->target);
		fputs("</td><td class=\"id\">", f);
		xml_escape(f, c->id);
		fprintf(f, "</td><td class=\"%s\">%s</td><td>",
			class_name(c->cls), matrix_cell_text((int)c->cls));
		xml_escape(f, c->reason);
		fputs("</td><td>", f);
		xml_escape(f, c->description);
		fputs("</td></tr>\n", f);
	}
	if (shown)
		fputs("</table>\n", f);
	if (more)
		fprintf(f,
			"<p>... and %zu more unexpected checks (the matrix "
			"has them all).</p>\n",
			more);
	if (same)
		fprintf(f,
			"<p><span data-count=\"as-image\">%zu</span> more "
			"unexpected checks have their image's reason (above)."
			"</p>\n",
			same);
}

void html_write_problems(FILE *f, const struct results *r)
{
	size_t i, ni = 0, nc = 0;

	for (i = 0; i < r->nimages; i++)
		ni += !r->images[i].ok;
	for (i = 0; i < r->nchecks; i++)
		nc += class_unexpected(r->checks[i].cls);
	fprintf(f,
		"<h2 id=\"problems\">Problems: <span "
		"data-count=\"problem-images\">%zu</span> images in error, "
		"<span data-count=\"problem-checks\">%zu</span> unexpected "
		"checks</h2>\n",
		ni, nc);
	if (!ni && !nc) {
		fputs("<p>Every check is as expected and every image ended "
		      "properly.</p>\n",
		      f);
		return;
	}
	write_images(f, r);
	write_checks(f, r);
}
