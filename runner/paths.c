/*
 * Where things are: images, target files, the popek binary itself. The
 * compile-time defaults point into the build tree so `build/bin/popek`
 * works without options.
 */
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

#ifndef POPEK_IMAGE_DIR
#define POPEK_IMAGE_DIR "build/images"
#endif
#ifndef POPEK_SOURCE_DIR
#define POPEK_SOURCE_DIR "."
#endif

const char *images_dir(const char *opt, bool *explicit_dir)
{
	const char *env = getenv("POPEK_IMAGES");

	*explicit_dir = true;
	if (opt)
		return opt;
	if (env && *env)
		return env;
	*explicit_dir = false;
	return POPEK_IMAGE_DIR;
}

const char *targets_dir(const char *opt)
{
	const char *env = getenv("POPEK_TARGETS");

	if (opt)
		return opt;
	if (env && *env)
		return env;
	return POPEK_SOURCE_DIR "/targets";
}

char *self_exe(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n <= 0)
		return xstrdup("popek");
	buf[n] = '\0';
	return xstrdup(buf);
}

char *self_dir(void)
{
	char *exe = self_exe(), *dir = xstrdup(dirname(exe));

	free(exe);
	return dir;
}

int usage_error(struct perr *e, const char *cmd, int opt, int optopt_,
		const char *arg)
{
	if (opt == ':')
		perr_set(e, "%s: option '%s' needs a value (see 'popek help')",
			 cmd, arg);
	else if (optopt_ && optopt_ != '?')
		perr_set(e, "%s: unknown option '-%c' (see 'popek help')", cmd,
			 optopt_);
	else
		perr_set(e, "%s: unknown option '%s' (see 'popek help')", cmd,
			 arg);
	return POPEK_EXIT_USAGE;
}
