/*
 * Classification (docs/protocol.md, "How the runner classifies a check").
 * Nothing is lost: every declared check ends up with exactly one result,
 * and every reported id the image did not declare gets an error of its own.
 */
#include "classify.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static const char *const class_names[CLS_COUNT] = {
	[CLS_PASS] = "pass",	 [CLS_FAIL] = "fail", [CLS_XFAIL] = "xfail",
	[CLS_XPASS] = "xpass",	 [CLS_SKIP] = "skip", [CLS_ERROR] = "error",
	[CLS_EITHER] = "either",
};

const char *class_name(enum check_class c)
{
	return c < CLS_COUNT ? class_names[c] : "?";
}

int class_from_name(const char *name)
{
	int i;

	for (i = 0; i < CLS_COUNT; i++)
		if (strcmp(class_names[i], name) == 0)
			return i;
	return -1;
}

bool class_unexpected(enum check_class c)
{
	return c == CLS_FAIL || c == CLS_XPASS || c == CLS_ERROR;
}

static void add(struct image_result *out, const char *id, enum check_class c,
		char *reason, const char *description)
{
	struct check_result *r;

	VEC_GROW(out->checks, out->nchecks, out->cap);
	r = &out->checks[out->nchecks++];
	r->id = xstrdup(id);
	r->cls = c;
	r->reason = reason ? reason : xstrdup("");
	r->description = description;
	r->rule = NULL;
}

static char *with_stderr(char *msg, const char *last_stderr)
{
	char *s;

	if (!last_stderr || !*last_stderr)
		return msg;
	s = xasprintf("%s (last stderr: %s)", msg, last_stderr);
	free(msg);
	return s;
}

char *run_end_reason(const struct tap_report *rep, const struct run_end *end)
{
	int st = end->wait_status;

	if (rep->exit_seen)
		return NULL;
	if (end->reason)
		return xstrdup(end->reason);
	if (end->fatal_line)
		return xasprintf("target reported '%s' before 'popek: exit'",
				 end->fatal_line);
	if (end->flooded)
		return xasprintf("flooded the serial port: more than %zu bytes",
				 end->output_limit);
	if (end->timed_out)
		return xasprintf("timeout after %u s", end->timeout);
	/* Status 0 too: QEMU -no-reboot exits 0 on a triple fault. */
	if (end->exited && WIFEXITED(st))
		return with_stderr(
			xasprintf("target exited with status %d "
				  "before 'popek: exit'%s",
				  WEXITSTATUS(st),
				  WEXITSTATUS(st) == 0
					  ? " (a triple fault under "
					    "QEMU -no-reboot ends so)"
					  : ""),
			end->last_stderr);
	if (end->exited && WIFSIGNALED(st))
		return with_stderr(xasprintf("target killed by signal %d (%s)"
					     " before 'popek: exit'",
					     WTERMSIG(st),
					     strsignal(WTERMSIG(st))),
				   end->last_stderr);
	return with_stderr(xstrdup("no 'popek: exit' line"), end->last_stderr);
}

static size_t count_reports(const struct tap_report *rep, const char *id,
			    const struct tap_result **first)
{
	size_t i, n = 0;

	*first = NULL;
	for (i = 0; i < rep->nresults; i++) {
		if (strcmp(rep->results[i].id, id) != 0)
			continue;
		if (!n)
			*first = &rep->results[i];
		n++;
	}
	return n;
}

static void classify_reported(const struct check_decl *d,
			      const struct tap_result *tr,
			      const struct xfail_rule *x,
			      struct image_result *out)
{
	const char *why = *tr->reason ? tr->reason : "no reason given";

	switch (tr->kind) {
	case TAP_SKIP:
		add(out, d->id, CLS_SKIP, xstrdup(tr->reason), d->description);
		break;
	case TAP_OK:
		if (x && x->either)
			add(out, d->id, CLS_EITHER,
			    xasprintf("passed; either way is expected: %s",
				      x->reason),
			    d->description);
		else if (x)
			add(out, d->id, CLS_XPASS,
			    xasprintf("passed, but the target lists it as a "
				      "known infidelity: %s",
				      x->reason),
			    d->description);
		else
			add(out, d->id, CLS_PASS, NULL, d->description);
		break;
	default:
		if (x && x->either)
			add(out, d->id, CLS_EITHER,
			    xasprintf("failed; either way is expected: %s "
				      "(saw: %s)",
				      x->reason, why),
			    d->description);
		else if (x)
			add(out, d->id, CLS_XFAIL,
			    xasprintf("known infidelity: %s (saw: %s)",
				      x->reason, why),
			    d->description);
		else
			add(out, d->id, CLS_FAIL, xstrdup(why), d->description);
		break;
	}
}

static bool reported_before(const struct tap_report *rep, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (strcmp(rep->results[j].id, rep->results[i].id) == 0)
			return true;
	return false;
}

void classify_image(const struct image *img, const struct tap_report *rep,
		    const struct run_end *end, const struct target *t,
		    const struct hostinfo *h, struct image_result *out)
{
	char *missing, *ended = run_end_reason(rep, end);
	const struct tap_result *tr;
	const struct xfail_rule *x, *xe;
	bool known = true; /* every breakage is a listed infidelity */
	size_t i, n, covered = 0;

	memset(out, 0, sizeof(*out));
	out->exit_code = rep->exit_seen ? rep->exit_code : -1;
	/* A bail-out says more about the missing checks than the end. */
	if (rep->bailed)
		missing = xasprintf("bail out: %s",
				    *rep->bail_reason ? rep->bail_reason
						      : "no reason given");
	else if (ended)
		missing = xstrdup(ended);
	else
		missing = xstrdup("not reported");

	for (i = 0; i < img->nchecks; i++) {
		const struct check_decl *d = &img->checks[i];

		n = count_reports(rep, d->id, &tr);
		x = target_find_xfail(t, d->id, h);
		/* An xfail or either line never hides an error: a check
		 * not reported is held to the first xerror line, if any. */
		xe = n == 0 ? target_find_xerror(t, d->id, h) : NULL;
		if (n == 0 && xe && xe->covers_error) {
			add(out, d->id, CLS_XFAIL,
			    xasprintf("known infidelity: %s (%s)", xe->reason,
				      missing),
			    d->description);
			out->checks[out->nchecks - 1].rule = xe;
			covered++;
		} else if (n == 0) {
			add(out, d->id, CLS_ERROR, xstrdup(missing),
			    d->description);
			known = false;
		} else if (n > 1) {
			add(out, d->id, CLS_ERROR,
			    n == 2 ? xstrdup("reported twice")
				   : xasprintf("reported %zu times", n),
			    d->description);
			known = false;
		} else {
			classify_reported(d, tr, x, out);
		}
		if (n == 1 && (out->checks[out->nchecks - 1].cls == CLS_XFAIL ||
			       out->checks[out->nchecks - 1].cls == CLS_XPASS ||
			       out->checks[out->nchecks - 1].cls == CLS_EITHER))
			out->checks[out->nchecks - 1].rule = x;
	}
	for (i = 0; i < rep->nresults; i++) {
		if (image_find_check(img, rep->results[i].id) ||
		    reported_before(rep, i))
			continue;
		add(out, rep->results[i].id, CLS_ERROR,
		    xstrdup("not declared by the image"), NULL);
		known = false;
	}

	out->ok = true;
	if (rep->bailed && ended) {
		out->reason = xasprintf("%s; then %s", missing, ended);
	} else if (rep->bailed) {
		out->reason = xstrdup(missing);
	} else if (ended) {
		out->reason = xstrdup(ended);
	} else if (!rep->plan_seen) {
		out->reason = xstrdup("no plan line (1..N) before 'popek: "
				      "exit'");
	} else if ((size_t)rep->plan != rep->nresults) {
		out->reason = xasprintf("plan 1..%ld, but %zu checks reported",
					rep->plan, rep->nresults);
	}
	/* A breakage every missing check of which the target lists with
	 * xerror is a known infidelity: the image keeps its reason but is
	 * not an unexpected result ("xerror" in the JSON). */
	if (out->reason)
		out->ok = known && covered > 0;
	free(missing);
	free(ended);
}

static struct check_result *result_of(struct image_result *out, const char *id)
{
	for (size_t i = 0; i < out->nchecks; i++)
		if (!strcmp(out->checks[i].id, id))
			return &out->checks[i];
	return NULL;
}

size_t classify_reached_by_restart(const struct tap_report *rep,
				   long first_reached, struct image_result *out)
{
	size_t failed = 0;

	for (size_t i = 0; i < rep->nresults; i++) {
		const struct tap_result *tr = &rep->results[i];
		struct check_result *c = result_of(out, tr->id);
		const char *why = *tr->reason ? tr->reason : "no reason given";

		/* Only an xerror line's verdict on a reported check is
		 * reread; a check reported twice stays an error. */
		if (tr->number < first_reached || tr->kind == TAP_SKIP || !c ||
		    (c->cls != CLS_XPASS && c->cls != CLS_XFAIL) || !c->rule ||
		    !c->rule->covers_error || c->rule->either)
			continue;
		free(c->reason);
		if (c->cls == CLS_XPASS) {
			c->cls = CLS_PASS;
			c->reason = xstrdup("");
		} else {
			c->cls = CLS_FAIL;
			c->reason = xasprintf(
				"%s (reached only by a restart: the xerror "
				"line '%s' covers the target ending the image, "
				"not this failure, which needs an xfail line "
				"of its own)",
				why, c->rule->glob);
			failed++;
		}
		c->rule = NULL;
	}
	return failed;
}

void classify_all(const struct image *img, enum check_class cls,
		  const char *reason, struct image_result *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	out->ok = true;
	out->exit_code = -1;
	for (i = 0; i < img->nchecks; i++)
		add(out, img->checks[i].id, cls, xstrdup(reason),
		    img->checks[i].description);
}

void image_result_free(struct image_result *r)
{
	size_t i;

	for (i = 0; i < r->nchecks; i++) {
		free(r->checks[i].id);
		free(r->checks[i].reason);
	}
	free(r->checks);
	free(r->reason);
	memset(r, 0, sizeof(*r));
}
