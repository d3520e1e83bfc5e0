/*
 * Target files (docs/targets.md). Errors name file:line so a user who adds
 * a hypervisor can fix the file without reading this code.
 */
#include "target.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "host_command.h"

/* The placeholders substituted for each run: {iso} is the ISO an ISO
 * target boots (boot = iso), in {image}'s place; {cmdline} the image's
 * command line, empty until the runner passes images one. */
static const char *const placeholders[] = {"{image}", "{bindir}", "{srcdir}",
					   "{iso}", "{cmdline}"};
#define NPLACEHOLDERS 5

static int parse_command(struct target *t, const char *path, int lineno,
			 char *value, struct perr *e)
{
	char *tok, *save = NULL;
	size_t cap = 0;

	t->command_line = lineno;
	for (tok = strtok_r(value, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (target_check_placeholders(path, lineno, tok, e) < 0)
			return -1;
		VEC_GROW(t->tmpl, t->ntmpl + 1, cap);
		t->tmpl[t->ntmpl++] = xstrdup(tok);
		t->tmpl[t->ntmpl] = NULL; /* target_free may come next */
	}
	if (!t->ntmpl)
		return perr_set(e, "%s:%d: empty command", path, lineno);
	return 0;
}

static int parse_requires(struct target *t, const char *path, int lineno,
			  char *value, struct perr *e)
{
	static const char *const kinds[] = {"binary", "device", "file",
					    "command"};
	char *arg = value;
	size_t i;

	while (*arg && !isspace((unsigned char)*arg))
		arg++;
	if (*arg)
		*arg++ = '\0';
	arg = str_trim(arg);
	for (i = 0; i < 4; i++)
		if (strcmp(value, kinds[i]) == 0)
			break;
	if (i == 4 || !*arg)
		return perr_set(e,
				"%s:%d: bad requires '%s' (expected "
				"'binary NAME', 'device PATH', "
				"'file PATH' or 'command ARGV')",
				path, lineno, value);
	if (target_check_placeholders(path, lineno, arg, e) < 0)
		return -1;
	t->reqs = xrealloc(t->reqs, (t->nreqs + 1) * sizeof(*t->reqs));
	t->reqs[t->nreqs].kind = (enum requirement_kind)i;
	t->reqs[t->nreqs].tmpl = xstrdup(arg);
	t->reqs[t->nreqs].arg = xstrdup(arg);
	t->reqs[t->nreqs].line = lineno;
	t->nreqs++;
	return 0;
}

static int parse_uint(const char *path, int lineno, const char *key,
		      const char *value, unsigned long max, unsigned long *out,
		      struct perr *e)
{
	char *end;

	errno = 0;
	*out = strtoul(value, &end, 10);
	if (!isdigit((unsigned char)*value) || *end || errno || *out == 0 ||
	    *out > max)
		return perr_set(e,
				"%s:%d: %s must be a whole number from 1 "
				"to %lu, not '%s'",
				path, lineno, key, max, value);
	return 0;
}

static int parse_widths(struct target *t, const char *path, int lineno,
			char *value, struct perr *e)
{
	char *tok, *save = NULL;

	t->width32 = t->width64 = false;
	for (tok = strtok_r(value, " \t,", &save); tok;
	     tok = strtok_r(NULL, " \t,", &save)) {
		if (strcmp(tok, "32") == 0)
			t->width32 = true;
		else if (strcmp(tok, "64") == 0)
			t->width64 = true;
		else
			return perr_set(e,
					"%s:%d: bad width '%s' (expected "
					"32 and/or 64)",
					path, lineno, tok);
	}
	if (!t->width32 && !t->width64)
		return perr_set(e, "%s:%d: widths is empty", path, lineno);
	return 0;
}

/* kernel>=6.7, kernel<6.8.2, ...: two-character operators first. */
static const struct {
	const char *text;
	enum version_op op;
} version_ops[] = {
	{">=", VOP_GE}, {"<=", VOP_LE}, {"!=", VOP_NE},
	{">", VOP_GT},	{"<", VOP_LT},	{"=", VOP_EQ},
};
#define NVERSION_OPS (sizeof(version_ops) / sizeof(version_ops[0]))

static int parse_kernel_condition(const char *path, int lineno,
				  const char *text, struct condition *c,
				  struct perr *e)
{
	const char *p = text + strlen("kernel");
	size_t i;

	c->kind = COND_KERNEL;
	for (i = 0; i < NVERSION_OPS; i++)
		if (str_starts(p, version_ops[i].text))
			break;
	if (i == NVERSION_OPS ||
	    !kernel_version_parse(p + strlen(version_ops[i].text), true,
				  &c->version))
		return perr_set(e,
				"%s:%d: bad kernel condition '%s' (expected "
				"kernel OP MAJOR.MINOR[.PATCH], OP one of >= "
				"<= > < = !=)",
				path, lineno, text);
	c->op = version_ops[i].op;
	c->value = xstrdup(p + strlen(version_ops[i].text));
	return 0;
}

static int parse_condition(const char *path, int lineno, char *text,
			   struct condition *c, struct perr *e)
{
	static const char *const backends[] = {"kvm_intel", "kvm_amd",
					       "kvm_pvm", "none"};
	/* The CPU emulators hostinfo_emulator recognises, and "none" for a
	 * host whose CPU is the real one. */
	static const char *const emulators[] = {"qemu-tcg", "none"};
	size_t i;

	memset(c, 0, sizeof(*c));
	text = str_trim(text);
	if (str_starts(text, "kernel"))
		return parse_kernel_condition(path, lineno, text, c, e);
	if (str_starts(text, "vendor="))
		c->kind = COND_VENDOR;
	else if (str_starts(text, "feature="))
		c->kind = COND_FEATURE;
	else if (str_starts(text, "!feature="))
		c->kind = COND_NO_FEATURE;
	else if (str_starts(text, "backend="))
		c->kind = COND_BACKEND;
	else if (str_starts(text, "emulator="))
		c->kind = COND_EMULATOR;
	else
		goto bad;
	c->value = strchr(text, '=') + 1;
	if (!*c->value || strpbrk(c->value, " \t"))
		goto bad;
	if (c->kind == COND_BACKEND) {
		for (i = 0; i < 4; i++)
			if (strcmp(c->value, backends[i]) == 0)
				break;
		if (i == 4)
			return perr_set(e,
					"%s:%d: unknown backend '%s' "
					"(expected kvm_intel, kvm_amd, "
					"kvm_pvm or none)",
					path, lineno, c->value);
	}
	if (c->kind == COND_EMULATOR) {
		for (i = 0; i < 2; i++)
			if (strcmp(c->value, emulators[i]) == 0)
				break;
		if (i == 2)
			return perr_set(e,
					"%s:%d: unknown emulator '%s' "
					"(expected qemu-tcg or none)",
					path, lineno, c->value);
	}
	c->value = xstrdup(c->value);
	return 0;
bad:
	c->value = NULL;
	return perr_set(e,
			"%s:%d: bad condition '%s' (expected vendor=, "
			"feature=, !feature=, backend=, emulator= or kernel OP "
			"VERSION)",
			path, lineno, text);
}

/* The expectation lines, and what each covers. */
static const struct {
	const char *keyword;
	bool covers_error, either;
} rule_kinds[] = {
	{"xfail", false, false},
	{"xerror", true, false},
	{"either", false, true},
};
#define NRULE_KINDS (sizeof(rule_kinds) / sizeof(rule_kinds[0]))

/* The kind of expectation line `line` is, or -1. */
static int rule_kind(const char *line)
{
	size_t i, n;

	for (i = 0; i < NRULE_KINDS; i++) {
		n = strlen(rule_kinds[i].keyword);
		if (str_starts(line, rule_kinds[i].keyword) &&
		    (isspace((unsigned char)line[n]) || line[n] == '\0'))
			return (int)i;
	}
	return -1;
}

static void free_conditions(struct condition *conds, size_t n)
{
	while (n)
		free(conds[--n].value);
	free(conds);
}

/*
 * The COND[,COND...] after a `when` of a `what` line (an expectation
 * keyword or include) into *conds; nothing is kept on an error.
 */
static int parse_conditions(const char *path, int lineno, const char *what,
			    char *text, struct condition **conds,
			    size_t *nconds, struct perr *e)
{
	struct condition *c = NULL;
	size_t n = 0;
	char *tok, *next;

	if (!*str_trim(text))
		return perr_set(e,
				"%s:%d: bad %s line: 'when' without "
				"conditions",
				path, lineno, what);
	/* Split by hand: an empty condition (a,,b) is a typo. */
	for (tok = text; tok; tok = next) {
		next = strchr(tok, ',');
		if (next)
			*next++ = '\0';
		c = xrealloc(c, (n + 1) * sizeof(*c));
		if (parse_condition(path, lineno, tok, &c[n], e) < 0) {
			free_conditions(c, n);
			return -1;
		}
		n++;
	}
	*conds = c;
	*nconds = n;
	return 0;
}

/* Ends the first word of s in place; the rest, trimmed. */
static char *cut_word(char *s)
{
	while (*s && !isspace((unsigned char)*s))
		s++;
	if (*s)
		*s++ = '\0';
	return str_trim(s);
}

/* Whether s starts with the keyword `when` (then conditions follow). */
static bool is_when(const char *s)
{
	return str_starts(s, "when") && (!s[4] || isspace((unsigned char)s[4]));
}

/* xfail|xerror|either ID-GLOB [when COND[,COND...]] : reason */
static int parse_xfail(struct target *t, const char *path, int lineno,
		       char *line, int kind, struct perr *e)
{
	const char *kw = rule_kinds[kind].keyword;
	struct xfail_rule r = {.line = lineno,
			       .covers_error = rule_kinds[kind].covers_error,
			       .either = rule_kinds[kind].either};
	char *rest = line + strlen(kw);
	char *colon = strchr(rest, ':'), *glob, *when;

	if (!colon)
		return perr_set(e,
				"%s:%d: bad %s line: expected '%s "
				"ID-GLOB [when COND,...] : reason'",
				path, lineno, kw, kw);
	*colon = '\0';
	r.reason = str_trim(colon + 1);
	if (!*r.reason)
		return perr_set(e, "%s:%d: bad %s line: empty reason", path,
				lineno, kw);
	glob = str_trim(rest);
	when = cut_word(glob);
	if (!*glob)
		return perr_set(e, "%s:%d: bad %s line: no check id pattern",
				path, lineno, kw);
	if (*when) {
		if (!is_when(when))
			return perr_set(e,
					"%s:%d: bad %s line: expected "
					"'when' after the pattern, saw "
					"'%s'",
					path, lineno, kw, when);
		if (parse_conditions(path, lineno, kw, when + 4, &r.conds,
				     &r.nconds, e) < 0)
			return -1;
	}
	r.glob = xstrdup(glob);
	r.reason = xstrdup(r.reason);
	t->xfails = xrealloc(t->xfails, (t->nxfails + 1) * sizeof(*t->xfails));
	t->xfails[t->nxfails++] = r;
	return 0;
}

static char *expected_name(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	if (str_ends(base, ".conf"))
		return xstrndup(base, strlen(base) - 5);
	return xstrdup(base);
}

/*
 * Strip a comment: '#' at the start or after whitespace. The reason of an
 * xfail/xerror/either line is free text that names exceptions ("#GP"), so
 * there only a whole-line comment counts.
 */
static void strip_comment(char *line)
{
	char *p = line;

	while (isspace((unsigned char)*p))
		p++;
	if (rule_kind(p) >= 0) {
		if (*p == '#')
			*line = '\0';
		return;
	}
	for (p = line; *p; p++) {
		if (*p == '#' && (p == line || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			return;
		}
	}
}

/*
 * The next line of a target file's text at *rest that says something,
 * its comment cut and its spaces trimmed; NULL at the end. *lineno counts
 * every line passed, blank or not.
 */
static char *next_line(char **rest, int *lineno)
{
	char *line;

	while ((line = *rest)) {
		*rest = strchr(line, '\n');
		if (*rest)
			*(*rest)++ = '\0';
		(*lineno)++;
		strip_comment(line);
		line = str_trim(line);
		if (*line)
			return line;
	}
	return NULL;
}

/*
 * Where include = FILE is: a bare name beside the including file, else in
 * the first directory of the search path holding it (a target kept in
 * another repository includes the suite's kvm_pvm.infidelities); a path
 * with '/' relative to the including file's directory.
 */
static char *find_include(const char *path, const struct target_path *sp,
			  const char *file)
{
	const char *slash = strrchr(path, '/');
	char *beside =
		file[0] == '/' ? xstrdup(file)
		: slash ? xasprintf("%.*s/%s", (int)(slash - path), path, file)
			: xstrdup(file);
	char *found;

	if (access(beside, F_OK) == 0 || strchr(file, '/'))
		return beside;
	found = target_path_find(sp, file);
	if (found) {
		free(beside);
		return found;
	}
	return beside;
}

/*
 * include = FILE: the known infidelities of a host class shared by several
 * targets (every KVM-based target on kvm_pvm has the same ones). FILE
 * holds only xfail/xerror lines; or it is another target file
 * (NAME.conf), whose xfail/xerror lines are taken and the rest ignored: a
 * target that boots the same monitor another way (qemu-iso) shares its
 * infidelities.
 */
static int parse_include(struct target *t, const char *path,
			 const struct target_path *sp, int lineno, char *file,
			 int depth, struct perr *e)
{
	char *inc, *text, *line, *rest, *when, *eq;
	struct condition *conds = NULL, *rc;
	size_t flen, nconds = 0, i, first = t->nxfails;
	bool conf;
	int n = 0, ret = 0, kind;
	struct xfail_rule *r;

	/* Target files include each other (qemu-iso.conf takes
	 * qemu-tcg.conf, which takes its CPU's file): a loop would not end. */
	if (depth > 4)
		return perr_set(e,
				"%s:%d: include '%s': included too deep "
				"(an include loop?)",
				path, lineno, file);

	when = cut_word(file);
	if (*when) {
		if (!is_when(when))
			return perr_set(e,
					"%s:%d: bad include line: expected "
					"'include = FILE [when COND,...]', "
					"saw '%s' after the file",
					path, lineno, when);
		if (parse_conditions(path, lineno, "include", when + 4, &conds,
				     &nconds, e) < 0)
			return -1;
	}
	inc = find_include(path, sp, file);
	flen = strlen(file);
	conf = flen > 5 && !strcmp(file + flen - 5, ".conf");
	if (access(inc, F_OK) < 0) {
		ret = perr_set(e,
			       "%s:%d: include '%s': not beside the target "
			       "file%s (%s)",
			       path, lineno, file,
			       strchr(file, '/') ? ""
						 : " nor in the targets "
						   "search path",
			       strerror(errno));
		free(inc);
		free_conditions(conds, nconds);
		return ret;
	}
	text = read_whole_file(inc, NULL, e);
	if (!text)
		ret = -1;
	rest = text;
	while (!ret && (line = next_line(&rest, &n))) {
		kind = rule_kind(line);
		eq = strchr(line, '=');
		if (kind >= 0)
			ret = parse_xfail(t, inc, n, line, kind, e);
		else if (!conf)
			ret = perr_set(e,
				       "%s:%d: an included file holds only "
				       "xfail, xerror and either lines",
				       inc, n);
		else if (eq) {
			*eq = '\0';
			if (strcmp(str_trim(line), "include") == 0)
				ret = parse_include(t, inc, sp, n,
						    str_trim(eq + 1), depth + 1,
						    e);
		}
	}
	/* The include's conditions are ANDed to every line it brought. */
	for (r = t->xfails + first;
	     !ret && nconds && r < t->xfails + t->nxfails; r++) {
		r->conds = xrealloc(r->conds,
				    (r->nconds + nconds) * sizeof(*r->conds));
		for (i = 0; i < nconds; i++) {
			rc = &r->conds[r->nconds++];
			*rc = conds[i];
			if (rc->value)
				rc->value = xstrdup(rc->value);
		}
	}
	free(text);
	free(inc);
	free_conditions(conds, nconds);
	return ret;
}

static int parse_line(struct target *t, const char *path,
		      const struct target_path *sp, int lineno, char *line,
		      int *name_line, struct perr *e)
{
	int kind = rule_kind(line);
	char *eq, *key, *value;
	unsigned long n;

	if (kind >= 0)
		return parse_xfail(t, path, lineno, line, kind, e);
	eq = strchr(line, '=');
	if (!eq)
		return perr_set(e,
				"%s:%d: expected 'key = value' or an xfail, "
				"xerror or either line",
				path, lineno);
	*eq = '\0';
	key = str_trim(line);
	value = str_trim(eq + 1);
	if (str_starts(key, "param") && isspace((unsigned char)key[5]))
		return target_parse_param(t, path, lineno, str_trim(key + 5),
					  value, e);
	if (!*value)
		return perr_set(e, "%s:%d: %s has no value", path, lineno, key);

#define ONCE(field)                                                            \
	do {                                                                   \
		if (field)                                                     \
			return perr_set(e, "%s:%d: %s given twice", path,      \
					lineno, key);                          \
	} while (0)

	if (strcmp(key, "name") == 0) {
		ONCE(t->name);
		t->name = xstrdup(value);
		*name_line = lineno;
	} else if (strcmp(key, "description") == 0) {
		ONCE(t->description);
		t->description = xstrdup(value);
	} else if (strcmp(key, "command") == 0) {
		ONCE(t->tmpl);
		return parse_command(t, path, lineno, value, e);
	} else if (strcmp(key, "requires") == 0) {
		return parse_requires(t, path, lineno, value, e);
	} else if (strcmp(key, "timeout") == 0) {
		if (parse_uint(path, lineno, key, value, 86400, &n, e) < 0)
			return -1;
		t->timeout = (unsigned)n;
	} else if (strcmp(key, "unsupported") == 0) {
		char *colon = strchr(value, ':');
		struct unsupported_rule u;

		if (!colon || !*str_trim(colon + 1))
			return perr_set(e,
					"%s:%d: expected 'unsupported = "
					"IMAGE-GLOB : reason'",
					path, lineno);
		*colon = '\0';
		u.glob = xstrdup(str_trim(value));
		u.reason = xstrdup(str_trim(colon + 1));
		t->unsupported = xrealloc(t->unsupported,
					  (t->nunsupported + 1) *
						  sizeof(*t->unsupported));
		t->unsupported[t->nunsupported++] = u;
	} else if (strcmp(key, "include") == 0) {
		return parse_include(t, path, sp, lineno, value, 0, e);
	} else if (strcmp(key, "fatal_stderr") == 0) {
		t->fatal_stderr = xrealloc(t->fatal_stderr,
					   (t->nfatal_stderr + 1) *
						   sizeof(*t->fatal_stderr));
		t->fatal_stderr[t->nfatal_stderr++] = xstrdup(value);
	} else if (strcmp(key, "output_limit") == 0) {
		if (parse_uint(path, lineno, key, value, 1ul << 30, &n, e) < 0)
			return -1;
		t->output_limit = n;
	} else if (strcmp(key, "restarts") == 0) {
		/* the bound of --restarts (cmd_run.c) */
		if (parse_uint(path, lineno, key, value, 1000, &n, e) < 0)
			return -1;
		t->restarts = (unsigned)n;
	} else if (strcmp(key, "restart_time") == 0) {
		if (parse_uint(path, lineno, key, value, 86400, &n, e) < 0)
			return -1;
		t->restart_time = (unsigned)n;
	} else if (strcmp(key, "restart_images") == 0) {
		char *tok, *save = NULL;

		for (tok = strtok_r(value, " \t", &save); tok;
		     tok = strtok_r(NULL, " \t", &save)) {
			t->restart_images =
				xrealloc(t->restart_images,
					 (t->nrestart_images + 1) *
						 sizeof(*t->restart_images));
			t->restart_images[t->nrestart_images++] = xstrdup(tok);
		}
	} else if (strcmp(key, "widths") == 0) {
		return parse_widths(t, path, lineno, value, e);
	} else if (strcmp(key, "boot") == 0) {
		if (strcmp(value, "kernel") && strcmp(value, "iso"))
			return perr_set(e,
					"%s:%d: boot is 'kernel' or 'iso', not "
					"'%s'",
					path, lineno, value);
		t->boot_iso = !strcmp(value, "iso");
	} else {
		return perr_set(e, "%s:%d: unknown key '%s'", path, lineno,
				key);
	}
#undef ONCE
	return 0;
}

static bool command_uses(const struct target *t, const char *placeholder)
{
	size_t i;

	for (i = 0; i < t->ntmpl; i++)
		if (strstr(t->tmpl[i], placeholder))
			return true;
	return false;
}

int target_parse_in(const char *path, const char *text,
		    const struct target_path *sp, struct target *t,
		    struct perr *e)
{
	char *copy = xstrdup(text), *line, *rest, *want = NULL;
	int lineno = 0, name_line = 0, ret = -1;

	memset(t, 0, sizeof(*t));
	t->timeout = TARGET_DEFAULT_TIMEOUT;
	t->output_limit = TARGET_DEFAULT_OUTPUT_LIMIT;
	t->width32 = t->width64 = true;
	t->path = xstrdup(path);
	rest = copy;
	while ((line = next_line(&rest, &lineno)))
		if (parse_line(t, path, sp, lineno, line, &name_line, e) < 0)
			goto out;
	if (!t->name) {
		perr_set(e, "%s: missing required key 'name'", path);
		goto out;
	}
	if (!t->description) {
		perr_set(e, "%s: missing required key 'description'", path);
		goto out;
	}
	if (!t->tmpl) {
		perr_set(e, "%s: missing required key 'command'", path);
		goto out;
	}
	if (command_uses(t, t->boot_iso ? "{image}" : "{iso}")) {
		perr_set(e,
			 "%s: a boot = %s target's command must use %s, not %s",
			 path, t->boot_iso ? "iso" : "kernel",
			 t->boot_iso ? "{iso}" : "{image}",
			 t->boot_iso ? "{image}" : "{iso}");
		goto out;
	}
	/* Without it every image would boot the same thing (or nothing),
	 * and the runner would classify whatever that printed. */
	if (!command_uses(t, t->boot_iso ? "{iso}" : "{image}")) {
		perr_set(e,
			 "%s:%d: the command never names the image: a boot = "
			 "%s target's command must use %s",
			 path, t->command_line, t->boot_iso ? "iso" : "kernel",
			 t->boot_iso ? "{iso}" : "{image}");
		goto out;
	}
	/* A restart passes popek.skip on the image's command line. */
	if ((t->restarts || t->restart_time || t->nrestart_images) &&
	    !target_takes_cmdline(t)) {
		perr_set(e,
			 "%s: restarts need a command that boots images and "
			 "passes {cmdline}",
			 path);
		goto out;
	}
	if (target_check_params(t, e) < 0)
		goto out;
	want = expected_name(path);
	if (strcmp(want, t->name) != 0) {
		perr_set(e,
			 "%s:%d: name '%s' does not match the file name "
			 "(expected '%s')",
			 path, name_line, t->name, want);
		goto out;
	}
	ret = 0;
out:
	free(want);
	free(copy);
	if (ret < 0)
		target_free(t);
	return ret;
}

int target_parse(const char *path, const char *text, struct target *t,
		 struct perr *e)
{
	return target_parse_in(path, text, NULL, t, e);
}

int target_load_in(const char *path, const struct target_path *sp,
		   struct target *t, struct perr *e)
{
	char *text = read_whole_file(path, NULL, e);
	int r;

	if (!text)
		return -1;
	r = target_parse_in(path, text, sp, t, e);
	free(text);
	return r;
}

int target_load(const char *path, struct target *t, struct perr *e)
{
	return target_load_in(path, NULL, t, e);
}

void target_free(struct target *t)
{
	size_t i, j;

	free(t->name);
	free(t->description);
	free(t->path);
	argv_free(t->argv);
	argv_free(t->tmpl);
	for (i = 0; i < t->nparams; i++) {
		free(t->params[i].name);
		free(t->params[i].value);
	}
	free(t->params);
	free(t->unresolved);
	for (i = 0; i < t->nreqs; i++) {
		free(t->reqs[i].arg);
		free(t->reqs[i].tmpl);
	}
	free(t->reqs);
	for (i = 0; i < t->nxfails; i++) {
		for (j = 0; j < t->xfails[i].nconds; j++)
			free(t->xfails[i].conds[j].value);
		free(t->xfails[i].conds);
		free(t->xfails[i].glob);
		free(t->xfails[i].reason);
	}
	free(t->xfails);
	for (i = 0; i < t->nfatal_stderr; i++)
		free(t->fatal_stderr[i]);
	for (i = 0; i < t->nunsupported; i++) {
		free(t->unsupported[i].glob);
		free(t->unsupported[i].reason);
	}
	free(t->unsupported);
	free(t->fatal_stderr);
	for (i = 0; i < t->nrestart_images; i++)
		free(t->restart_images[i]);
	free(t->restart_images);
	memset(t, 0, sizeof(*t));
}

int target_list_load(const char *dir, struct target_list *list, struct perr *e)
{
	struct target_path sp = {0};
	int r;

	target_path_add(&sp, dir);
	r = target_list_load_path(&sp, list, e);
	target_path_free(&sp);
	return r;
}

void target_list_free(struct target_list *list)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		target_free(&list->v[i]);
	free(list->v);
	memset(list, 0, sizeof(*list));
}

struct target *target_list_find(struct target_list *list, const char *name)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		if (strcmp(list->v[i].name, name) == 0)
			return &list->v[i];
	return NULL;
}

static bool executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path, X_OK) == 0;
}

static bool find_in_path(const char *name)
{
	const char *env = getenv("PATH");
	char *copy, *dir, *save = NULL, *full;
	bool found = false;

	if (!env)
		env = "/usr/local/bin:/usr/bin:/bin";
	copy = xstrdup(env);
	for (dir = strtok_r(copy, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		full = xasprintf("%s/%s", *dir ? dir : ".", name);
		found = executable(full);
		free(full);
	}
	free(copy);
	return found;
}

static char *substitute(const char *arg,
			const char *const values[NPLACEHOLDERS]);

/* A requires command names programs beside popek ({bindir}) or in the
 * tree ({srcdir}); it boots no image. */
static bool command_ok(const char *arg, char **why)
{
	char *bindir = self_dir();
	const char *values[NPLACEHOLDERS] = {"", bindir, POPEK_SOURCE_DIR, "",
					     ""};
	char *line = substitute(arg, values);
	bool ok = host_command_ok(line, why);

	free(line);
	free(bindir);
	return ok;
}

bool target_usable(const struct target *t, char **why)
{
	const struct requirement *r;
	struct stat st;
	size_t i;
	int fd;

	*why = NULL;
	if (t->unresolved) {
		*why = xstrdup(t->unresolved);
		return false;
	}
	for (i = 0; i < t->nreqs; i++) {
		r = &t->reqs[i];
		switch (r->kind) {
		case REQ_BINARY:
			if (strchr(r->arg, '/')) {
				if (!executable(r->arg)) {
					*why = xasprintf("binary %s is not an "
							 "executable file",
							 r->arg);
					return false;
				}
			} else if (!find_in_path(r->arg)) {
				*why = xasprintf("binary %s not found in PATH",
						 r->arg);
				return false;
			}
			break;
		case REQ_DEVICE:
			fd = open(r->arg, O_RDWR | O_CLOEXEC | O_NOCTTY);
			if (fd < 0) {
				*why = xasprintf("cannot open %s: %s", r->arg,
						 strerror(errno));
				return false;
			}
			close(fd);
			break;
		case REQ_FILE:
			if (stat(r->arg, &st) < 0) {
				*why = xasprintf("file %s: %s", r->arg,
						 strerror(errno));
				return false;
			}
			break;
		case REQ_COMMAND:
			if (!command_ok(r->arg, why))
				return false;
			break;
		}
	}
	return true;
}

bool target_runs_width(const struct target *t, unsigned width)
{
	return (width == 32 && t->width32) || (width == 64 && t->width64);
}

static bool kernel_holds(const struct condition *c, const struct hostinfo *h)
{
	struct kernel_version host;
	int cmp;

	/* A host whose release we cannot read satisfies no kernel
	 * condition, in either direction. */
	if (!h->kernel || !kernel_version_parse(h->kernel, false, &host))
		return false;
	cmp = kernel_version_cmp(&host, &c->version);
	switch (c->op) {
	case VOP_EQ:
		return cmp == 0;
	case VOP_NE:
		return cmp != 0;
	case VOP_LT:
		return cmp < 0;
	case VOP_LE:
		return cmp <= 0;
	case VOP_GT:
		return cmp > 0;
	case VOP_GE:
		return cmp >= 0;
	}
	return false;
}

bool condition_holds(const struct condition *c, const struct hostinfo *h)
{
	switch (c->kind) {
	case COND_VENDOR:
		return strcmp(h->vendor, c->value) == 0;
	case COND_FEATURE:
		return hostinfo_has_flag(h, c->value);
	case COND_NO_FEATURE:
		return !hostinfo_has_flag(h, c->value);
	case COND_BACKEND:
		return strcmp(h->backend, c->value) == 0;
	case COND_EMULATOR:
		return strcmp(h->emulator ? h->emulator : "none", c->value) ==
		       0;
	case COND_KERNEL:
		return kernel_holds(c, h);
	}
	return false;
}

static const struct xfail_rule *find_rule(const struct target *t,
					  const char *id,
					  const struct hostinfo *h,
					  bool only_xerror)
{
	size_t i, j;

	for (i = 0; i < t->nxfails; i++) {
		const struct xfail_rule *r = &t->xfails[i];

		if ((only_xerror && !r->covers_error) ||
		    fnmatch(r->glob, id, 0) != 0)
			continue;
		for (j = 0; j < r->nconds; j++)
			if (!condition_holds(&r->conds[j], h))
				break;
		if (j == r->nconds)
			return r;
	}
	return NULL;
}

const struct xfail_rule *target_find_xfail(const struct target *t,
					   const char *id,
					   const struct hostinfo *h)
{
	return find_rule(t, id, h, false);
}

const struct xfail_rule *target_find_xerror(const struct target *t,
					    const char *id,
					    const struct hostinfo *h)
{
	/* An xfail or either line speaks for a check that ran; whether the
	 * target may end the image before it is an xerror line's claim. */
	return find_rule(t, id, h, true);
}

static char *substitute(const char *arg,
			const char *const values[NPLACEHOLDERS])
{
	struct strbuf sb = {0};
	const char *p = arg;
	size_t i, n;

	while (*p) {
		for (i = 0; i < NPLACEHOLDERS; i++) {
			n = strlen(placeholders[i]);
			if (strncmp(p, placeholders[i], n) == 0)
				break;
		}
		if (i < NPLACEHOLDERS) {
			sb_adds(&sb, values[i]);
			p += n;
		} else {
			sb_add(&sb, p++, 1);
		}
	}
	sb_add(&sb, "", 0);
	return sb.s;
}

bool target_takes_cmdline(const struct target *t)
{
	return !t->boot_iso && command_uses(t, "{cmdline}");
}

char **target_expand(const struct target *t, const char *image,
		     const char *bindir, const char *srcdir)
{
	return target_expand_cmdline(t, image, "", bindir, srcdir);
}

char **target_expand_cmdline(const struct target *t, const char *image,
			     const char *cmdline, const char *bindir,
			     const char *srcdir)
{
	const char *values[NPLACEHOLDERS] = {image, bindir, srcdir, image,
					     cmdline};
	char **argv = xcalloc(t->argc + 1, sizeof(*argv));
	size_t i;

	for (i = 0; i < t->argc; i++)
		argv[i] = substitute(t->argv[i], values);
	return argv;
}

void argv_free(char **argv)
{
	size_t i;

	if (!argv)
		return;
	for (i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}

char *argv_join(char *const *argv)
{
	struct strbuf sb = {0};
	size_t i;

	for (i = 0; argv[i]; i++) {
		if (i)
			sb_adds(&sb, " ");
		sb_add_shell_word(&sb, argv[i]);
	}
	sb_add(&sb, "", 0);
	return sb.s;
}

bool target_restarts_image(const struct target *t, const char *image)
{
	for (size_t i = 0; i < t->nrestart_images; i++)
		if (fnmatch(t->restart_images[i], image, 0) == 0)
			return true;
	return t->nrestart_images == 0;
}

const struct unsupported_rule *target_find_unsupported(const struct target *t,
						       const char *image)
{
	size_t i;

	for (i = 0; i < t->nunsupported; i++)
		if (fnmatch(t->unsupported[i].glob, image, 0) == 0)
			return &t->unsupported[i];
	return NULL;
}
