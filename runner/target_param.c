/*
 * What a run may change in a target without a new file (docs/targets.md):
 * `param NAME = VALUE` lines used as {NAME} in the command, {env:NAME}
 * taken from the environment, and --target-set KEY=VALUE. The runner's
 * own placeholders are checked here too, and the names coming work needs
 * are reserved.
 */
#include "target.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Substituted for each run by target_expand. */
static const char *const run_names[] = {"image", "bindir", "srcdir", "iso",
					"cmdline"};
/* Taken for booting a Linux guest: refused until the runner can. */
static const char *const reserved_names[] = {"kernel", "initrd", "append"};
/* Keys of a target file: a param of that name would make --target-set
 * ambiguous. */
static const char *const key_names[] = {
	"name",	   "description",  "command",	   "requires",
	"timeout", "widths",	   "unsupported",  "include",
	"boot",	   "output_limit", "param",	   "fatal_stderr",
	"env",	   "restarts",	   "restart_time", "restart_images",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static bool in(const char *const *names, size_t n, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(names[i]) == len && !strncmp(names[i], s, len))
			return true;
	return false;
}

static bool is_ident(const char *s, size_t len)
{
	size_t i;

	if (!len || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (i = 1; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

#define KNOWN                                                                  \
	"(known: {image} {iso} {bindir} {srcdir} {cmdline} {env:NAME} "        \
	"{PARAM})"

int target_check_placeholders(const char *path, int lineno, const char *arg,
			      struct perr *e)
{
	const char *p = arg, *close, *in_;
	size_t len;

	while ((p = strchr(p, '{'))) {
		close = strchr(p, '}');
		if (!close)
			return perr_set(e,
					"%s:%d: unterminated placeholder in "
					"'%s'",
					path, lineno, arg);
		in_ = p + 1;
		len = (size_t)(close - in_);
		if (in(reserved_names, N(reserved_names), in_, len))
			return perr_set(e,
					"%s:%d: placeholder '%.*s' is reserved "
					"for booting a Linux guest, which "
					"popek does not do yet",
					path, lineno, (int)(len + 2), p);
		if (len >= 4 && !strncmp(in_, "env:", 4)) {
			if (!is_ident(in_ + 4, len - 4))
				return perr_set(e,
						"%s:%d: bad placeholder '%.*s' "
						"(expected {env:NAME}, NAME "
						"letters, digits and _)",
						path, lineno, (int)(len + 2),
						p);
		} else if (!is_ident(in_, len)) {
			return perr_set(
				e, "%s:%d: unknown placeholder '%.*s' " KNOWN,
				path, lineno, (int)(len + 2), p);
		}
		p = close + 1;
	}
	return 0;
}

static struct target_param *find_param(const struct target *t, const char *s,
				       size_t len)
{
	size_t i;

	for (i = 0; i < t->nparams; i++)
		if (strlen(t->params[i].name) == len &&
		    !strncmp(t->params[i].name, s, len))
			return &t->params[i];
	return NULL;
}

int target_parse_param(struct target *t, const char *path, int lineno,
		       const char *name, const char *value, struct perr *e)
{
	size_t len = strlen(name);

	if (!is_ident(name, len))
		return perr_set(e,
				"%s:%d: bad param name '%s' (letters, digits "
				"and _, not starting with a digit)",
				path, lineno, name);
	if (in(run_names, N(run_names), name, len) ||
	    in(reserved_names, N(reserved_names), name, len) ||
	    in(key_names, N(key_names), name, len))
		return perr_set(e, "%s:%d: param name '%s' is reserved", path,
				lineno, name);
	if (find_param(t, name, len))
		return perr_set(e, "%s:%d: param %s given twice", path, lineno,
				name);
	if (strchr(value, '{'))
		return perr_set(e,
				"%s:%d: a param's value holds no placeholder",
				path, lineno);
	t->params = xrealloc(t->params, (t->nparams + 1) * sizeof(*t->params));
	t->params[t->nparams].name = xstrdup(name);
	t->params[t->nparams].value = xstrdup(value);
	t->params[t->nparams].line = lineno;
	t->nparams++;
	return 0;
}

static int check_word(const struct target *t, int lineno, const char *w,
		      struct perr *e)
{
	const char *p = w, *close;
	size_t len;

	while ((p = strchr(p, '{')) && (close = strchr(p, '}'))) {
		len = (size_t)(close - p - 1);
		if (!in(run_names, N(run_names), p + 1, len) &&
		    strncmp(p + 1, "env:", 4) && !find_param(t, p + 1, len))
			return perr_set(e,
					"%s:%d: unknown placeholder '%.*s': "
					"no 'param %.*s = VALUE' line " KNOWN,
					t->path, lineno, (int)(len + 2), p,
					(int)len, p + 1);
		p = close + 1;
	}
	return 0;
}

int target_check_params(struct target *t, struct perr *e)
{
	size_t i;

	for (i = 0; i < t->ntmpl; i++)
		if (check_word(t, t->command_line, t->tmpl[i], e) < 0)
			return -1;
	for (i = 0; i < t->nreqs; i++)
		if (check_word(t, t->reqs[i].line, t->reqs[i].tmpl, e) < 0)
			return -1;
	target_resolve(t);
	return 0;
}

/*
 * The value of {NAME} or {env:NAME} at s (len bytes inside the braces),
 * or NULL for the runner's own placeholders. An unset variable is noted
 * once in t->unresolved and reads as empty.
 */
static const char *var_value(struct target *t, const char *s, size_t len)
{
	const struct target_param *p;
	char *name;
	const char *v;

	if (len > 4 && !strncmp(s, "env:", 4)) {
		name = xstrndup(s + 4, len - 4);
		v = getenv(name);
		if (!v && !t->unresolved)
			t->unresolved = xasprintf(
				"environment variable %s is not set (the "
				"target uses {env:%s})",
				name, name);
		free(name);
		return v ? v : "";
	}
	p = find_param(t, s, len);
	return p ? p->value : NULL;
}

static char *substitute_vars(struct target *t, const char *w)
{
	struct strbuf sb = {0};
	const char *p = w, *close, *v;

	while (*p) {
		close = *p == '{' ? strchr(p, '}') : NULL;
		v = close ? var_value(t, p + 1, (size_t)(close - p - 1)) : NULL;
		if (v) {
			sb_adds(&sb, v);
			p = close + 1;
		} else {
			sb_add(&sb, p++, 1);
		}
	}
	sb_add(&sb, "", 0);
	return sb.s;
}

static void push(char ***v, size_t *n, size_t *cap, char *s)
{
	VEC_GROW(*v, *n + 1, *cap);
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
}

/*
 * A word that is one param or variable and nothing else becomes as many
 * words as its value has (none when it is empty), so `param extra =
 * -smp 2` adds two arguments and an empty one adds none.
 */
void target_resolve(struct target *t)
{
	size_t i, n = 0, cap = 0, len;
	char **argv = NULL, *copy, *tok, *save;
	const char *w, *v;

	free(t->unresolved);
	t->unresolved = NULL;
	for (i = 0; i < t->ntmpl; i++) {
		w = t->tmpl[i];
		len = strlen(w);
		v = w[0] == '{' && strchr(w, '}') == w + len - 1
			    ? var_value(t, w + 1, len - 2)
			    : NULL;
		if (!v) {
			push(&argv, &n, &cap, substitute_vars(t, w));
			continue;
		}
		copy = xstrdup(v);
		save = NULL;
		for (tok = strtok_r(copy, " \t", &save); tok;
		     tok = strtok_r(NULL, " \t", &save))
			push(&argv, &n, &cap, xstrdup(tok));
		free(copy);
	}
	if (!argv)
		push(&argv, &n, &cap, xstrdup(""));
	argv_free(t->argv);
	t->argv = argv;
	t->argc = n;
	for (i = 0; i < t->nreqs; i++) {
		free(t->reqs[i].arg);
		t->reqs[i].arg = substitute_vars(t, t->reqs[i].tmpl);
	}
}

static int set_number(struct target *t, const char *key, const char *value,
		      unsigned long max, unsigned long *out, struct perr *e)
{
	char *end;

	errno = 0;
	*out = strtoul(value, &end, 10);
	if (!isdigit((unsigned char)*value) || *end || errno || !*out ||
	    *out > max)
		return perr_set(e,
				"--target-set %s:%s must be a whole number "
				"from 1 to %lu, not '%s'",
				t->name, key, max, value);
	return 0;
}

int target_set(struct target *t, const char *key, const char *value,
	       struct perr *e)
{
	struct target_param *p = find_param(t, key, strlen(key));
	struct strbuf names = {0};
	unsigned long n;
	size_t i;

	if (p) {
		if (strchr(value, '{'))
			return perr_set(e,
					"--target-set %s: a param's value "
					"holds no placeholder",
					key);
		free(p->value);
		p->value = xstrdup(value);
		target_resolve(t);
		return 0;
	}
	if (!strcmp(key, "timeout")) {
		if (set_number(t, key, value, 86400, &n, e) < 0)
			return -1;
		t->timeout = (unsigned)n;
		return 0;
	}
	if (!strcmp(key, "output_limit")) {
		if (set_number(t, key, value, 1ul << 30, &n, e) < 0)
			return -1;
		t->output_limit = n;
		return 0;
	}
	for (i = 0; i < t->nparams; i++)
		sb_addf(&names, " %s", t->params[i].name);
	perr_set(e,
		 "target %s has no param '%s' (it can set:%s timeout "
		 "output_limit)",
		 t->name, key, sb_str(&names));
	sb_free(&names);
	return 1;
}
