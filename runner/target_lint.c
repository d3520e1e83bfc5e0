/* Reading QEMU's options out of a target's command (target_lint.h). */
#include "target_lint.h"

#include <stdlib.h>
#include <string.h>

/* The value of key=VALUE in a comma-separated option string, or NULL. */
static const char *opt_value(const char *s, const char *key)
{
	size_t n = strlen(key);
	const char *p = s;

	while (p) {
		if (!strncmp(p, key, n) && p[n] == '=')
			return p + n + 1;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return NULL;
}

static bool is_qemu(const char *argv0)
{
	const char *base = strrchr(argv0, '/');

	return strstr(base ? base + 1 : argv0, "qemu-system") != NULL;
}

void target_lint(const struct target *t, struct target_lint *out)
{
	const char *iobase;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->exit_iobase = -1;
	if (!t->argc || !is_qemu(t->argv[0]))
		return;
	out->qemu = true;
	out->serial = out->exit_device = out->no_reboot = LINT_NO;
	for (i = 1; i < t->argc; i++) {
		const char *a = t->argv[i], *next = t->argv[i + 1];

		/* QEMU takes -opt and --opt alike */
		if (a[0] == '-' && a[1] == '-')
			a++;
		if (!strcmp(a, "-nographic"))
			out->serial = LINT_YES; /* serial muxed on stdio */
		if (!strcmp(a, "-no-reboot"))
			out->no_reboot = LINT_YES;
		if (!next)
			continue;
		if (!strcmp(a, "-serial") &&
		    (!strcmp(next, "stdio") || !strcmp(next, "mon:stdio") ||
		     !strcmp(next, "file:/dev/stdout")))
			out->serial = LINT_YES;
		if (!strcmp(a, "-device") &&
		    !strncmp(next, "isa-debug-exit", 14) &&
		    (next[14] == '\0' || next[14] == ',')) {
			out->exit_device = LINT_YES;
			iobase = opt_value(next, "iobase");
			/* QEMU's default iobase is 0x501 */
			out->exit_iobase =
				iobase ? strtol(iobase, NULL, 0) : 0x501;
		}
	}
}
