/*
 * The scratch directory of the runner's CLI tests (cli_scratch.c): one
 * per test, made before it and removed after, with the popek environment
 * variables a developer's shell may set cleared so they cannot change a
 * result.
 */
#ifndef POPEK_RUNNER_TESTS_CLI_SCRATCH_H
#define POPEK_RUNNER_TESTS_CLI_SCRATCH_H

#define CLI_SCRATCH_LEN 64

/* Makes /tmp/popek-@tag-XXXXXX into @dir. */
void cli_scratch_make(char dir[CLI_SCRATCH_LEN], const char *tag);
void cli_scratch_remove(const char *dir);
/* Writes @text to @dir/@name; returns that path (malloc'd). */
char *cli_scratch_write(const char *dir, const char *name, const char *text);
/* The whole file at @path (malloc'd), or the test fails. */
char *cli_scratch_read(const char *path);

#endif
