/* The CLI tests' scratch directory (cli_scratch.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_scratch.h"
#include "util.h"

void cli_scratch_make(char dir[CLI_SCRATCH_LEN], const char *tag)
{
	snprintf(dir, CLI_SCRATCH_LEN, "/tmp/popek-%s-XXXXXX", tag);
	cr_assert_not_null(mkdtemp(dir));
	unsetenv("POPEK_IMAGES");
	unsetenv("POPEK_TARGETS");
}

void cli_scratch_remove(const char *dir)
{
	char cmd[CLI_SCRATCH_LEN + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

char *cli_scratch_write(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
	return path;
}

char *cli_scratch_read(const char *path)
{
	struct perr e;
	char *s = read_whole_file(path, NULL, &e);

	cr_assert_not_null(s, "%s", e.msg);
	return s;
}
