/* Restarting an image past the check that ended its target (restart.h). */
#include "restart.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

void restart_init(struct restart_state *st, unsigned max_restarts,
		  double max_seconds, double boot_seconds)
{
	memset(st, 0, sizeof(*st));
	st->max_restarts = max_restarts;
	st->max_seconds = max_seconds;
	st->boot_seconds = boot_seconds;
}

void restart_free(struct restart_state *st)
{
	for (size_t i = 0; i < st->nkillers; i++)
		free(st->killers[i].reason);
	free(st->killers);
	free(st->stopped);
	memset(st, 0, sizeof(*st));
}

static bool reported(const struct tap_report *rep, const char *id)
{
	for (size_t i = 0; i < rep->nresults; i++)
		if (!strcmp(rep->results[i].id, id))
			return true;
	return false;
}

static bool owes_checks(const struct image *img, const struct tap_report *rep)
{
	for (size_t i = 0; i < img->nchecks; i++)
		if (!reported(rep, img->checks[i].id))
			return true;
	return false;
}

static const struct restart_killer *find_killer(const struct restart_state *st,
						long ordinal)
{
	for (size_t i = 0; i < st->nkillers; i++)
		if (st->killers[i].ordinal == ordinal)
			return &st->killers[i];
	return NULL;
}

static size_t cmdline_len(const struct restart_state *st)
{
	char *s = restart_cmdline(st);
	size_t n = strlen(s);

	free(s);
	return n;
}

/* How a boot ended, as the checks it left unreported say it. */
static char *boot_end(const struct tap_report *rep, const struct run_end *end)
{
	char *ended = run_end_reason(rep, end), *s;

	if (!rep->bailed)
		return ended;
	s = xasprintf("bail out: %s",
		      *rep->bail_reason ? rep->bail_reason : "no reason given");
	free(ended);
	return s;
}

bool restart_after_boot(struct restart_state *st, const struct image *img,
			const struct tap_report *rep, const struct run_end *end,
			double seconds)
{
	struct restart_killer *k;
	char *ended;
	long next;

	st->boots++;
	st->seconds += seconds;
	ended = boot_end(rep, end);
	if (!ended || !owes_checks(img, rep)) {
		free(ended);
		return false;
	}
	/* Checks are numbered in the order they run and each is reported
	 * after its code ran: the one after the last line is the killer. */
	next = rep->nresults ? rep->results[rep->nresults - 1].number + 1 : 1;
	free(st->stopped);
	st->stopped = NULL;
	if (find_killer(st, next))
		st->stopped = xasprintf(
			"check %ld ended the target again although popek.skip "
			"listed it: what ended it runs outside "
			"try_call()/run_at_cpl(), which alone can skip code",
			next);
	else if (st->boots > st->max_restarts)
		st->stopped =
			st->max_restarts
				? xasprintf("the bound of %u restarts "
					    "stopped the restarts",
					    st->max_restarts)
				: xstrdup("restarts are off (--restarts 0)");
	else if (st->nkillers >= RESTART_SKIP_MAX ||
		 cmdline_len(st) + 12 > RESTART_CMDLINE_MAX)
		st->stopped = xasprintf(
			"the popek.skip list is full (%zu checks, %zu bytes)",
			st->nkillers, cmdline_len(st));
	else if (st->seconds + st->boot_seconds > st->max_seconds)
		st->stopped = xasprintf(
			"the bound of %.0f s over all boots stopped the "
			"restarts (%.0f s used, a boot may take %.0f s)",
			st->max_seconds, st->seconds, st->boot_seconds);
	if (st->stopped) {
		free(ended);
		return false;
	}
	VEC_GROW(st->killers, st->nkillers, st->cap);
	k = &st->killers[st->nkillers++];
	k->ordinal = next;
	k->boot = st->boots;
	k->reason = ended;
	return true;
}

char *restart_cmdline(const struct restart_state *st)
{
	struct strbuf sb = {0};

	for (size_t i = 0; i < st->nkillers; i++)
		sb_addf(&sb, "%s%ld",
			i ? "," : "popek.skip=", st->killers[i].ordinal);
	sb_add(&sb, "", 0);
	return sb.s;
}

static struct check_result *find_result(struct image_result *out,
					const char *id)
{
	for (size_t i = 0; i < out->nchecks; i++)
		if (!strcmp(out->checks[i].id, id))
			return &out->checks[i];
	return NULL;
}

/* An error, or an xfail where an xerror line covers the check. */
static void mark(struct check_result *c, char *why, const struct target *t,
		 const struct hostinfo *h, bool *unexpected)
{
	const struct xfail_rule *xe = target_find_xerror(t, c->id, h);

	free(c->reason);
	if (xe && xe->covers_error) {
		c->cls = CLS_XFAIL;
		c->reason =
			xasprintf("known infidelity: %s (%s)", xe->reason, why);
		c->rule = xe;
		free(why);
	} else {
		c->cls = CLS_ERROR;
		c->reason = why;
		c->rule = NULL;
		*unexpected = true;
	}
}

static char *killer_reason(const struct restart_killer *k)
{
	return xasprintf("ended the target on boot %u (%s); later boots "
			 "skipped it (popek.skip)",
			 k->boot, k->reason);
}

/* The guest's own words after the prefix. */
static const char *guest_words(const char *reason)
{
	reason += strlen(RESTART_SKIP_PREFIX);
	return *reason == ' ' ? reason + 1 : reason;
}

void restart_classify(const struct restart_state *st,
		      const struct tap_report *rep, const struct target *t,
		      const struct hostinfo *h, struct image_result *out)
{
	bool unexpected = false;
	struct strbuf sb = {0};
	long first = LONG_MAX;
	size_t hidden;

	for (size_t i = 0; i < rep->nresults; i++) {
		const struct tap_result *tr = &rep->results[i];
		const struct restart_killer *k;
		struct check_result *c;

		if (tr->kind != TAP_SKIP ||
		    strncmp(tr->reason, RESTART_SKIP_PREFIX,
			    strlen(RESTART_SKIP_PREFIX)) ||
		    !(c = find_result(out, tr->id)) || c->cls != CLS_SKIP)
			continue;
		k = find_killer(st, tr->number);
		mark(c, k ? killer_reason(k) : xstrdup(guest_words(tr->reason)),
		     t, h, &unexpected);
	}
	if (st->stopped && st->nkillers)
		for (size_t i = 0; i < out->nchecks; i++) {
			struct check_result *c = &out->checks[i];
			char *s;

			if (reported(rep, c->id) ||
			    (c->cls != CLS_ERROR && c->cls != CLS_XFAIL))
				continue;
			s = xasprintf("%s; %s", c->reason, st->stopped);
			free(c->reason);
			c->reason = s;
		}
	if (!st->nkillers)
		return;
	for (size_t i = 0; i < st->nkillers; i++)
		if (st->killers[i].ordinal < first)
			first = st->killers[i].ordinal;
	hidden = classify_reached_by_restart(rep, first, out);
	sb_addf(&sb, "%u boot%s: %zu check%s ended the target", st->boots,
		st->boots == 1 ? "" : "s", st->nkillers,
		st->nkillers == 1 ? "" : "s");
	if (hidden)
		sb_addf(&sb,
			"; %zu check%s the first killer hid failed (each "
			"needs an xfail line of its own)",
			hidden, hidden == 1 ? "" : "s");
	if (out->reason)
		sb_addf(&sb, "; the last boot: %s", out->reason);
	if (st->stopped)
		sb_addf(&sb, "; %s", st->stopped);
	sb_add(&sb, "", 0);
	/* Whole when the last boot was (or its breakage is listed) and
	 * every killer is a listed infidelity. */
	out->ok = out->ok && !unexpected;
	free(out->reason);
	out->reason = sb.s;
}
