/*
 * The popek binary's error paths: each must exit non-zero with exactly one
 * line on stderr, starting "popek: ".
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_scratch.h"
#include "util.h"

static char dir[CLI_SCRATCH_LEN];

static void setup(void)
{
	cli_scratch_make(dir, "cli");
}

static void teardown(void)
{
	cli_scratch_remove(dir);
}

TestSuite(cli, .init = setup, .fini = teardown);

/* Run popek with args; returns the exit status, *err holds stderr. */
static int popek(char **err, ...)
{
	char *argv[16] = {POPEK_BIN};
	int fds[2], status, n = 1;
	struct strbuf sb = {0};
	char buf[4096];
	ssize_t got;
	va_list ap;
	pid_t pid;

	va_start(ap, err);
	while ((argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(fds[1], 2);
		close(fds[0]);
		execv(argv[0], argv);
		_exit(126);
	}
	close(fds[1]);
	while ((got = read(fds[0], buf, sizeof(buf))) > 0)
		sb_add(&sb, buf, (size_t)got);
	close(fds[0]);
	waitpid(pid, &status, 0);
	sb_add(&sb, "", 0);
	*err = sb.s;
	cr_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void assert_one_error_line(const char *err)
{
	const char *nl = strchr(err, '\n');

	cr_assert(str_starts(err, "popek: "), "stderr: %s", err);
	cr_assert_not_null(nl, "stderr: %s", err);
	cr_assert_eq(nl[1], '\0', "more than one line: %s", err);
}

#define EXPECT(code, ...)                                                      \
	do {                                                                   \
		char *err;                                                     \
		int st = popek(&err, __VA_ARGS__, NULL);                       \
		cr_assert_eq(st, code, "status %d, stderr: %s", st, err);      \
		assert_one_error_line(err);                                    \
		free(err);                                                     \
	} while (0)

static void write_file(const char *name, const char *text)
{
	free(cli_scratch_write(dir, name, text));
}

Test(cli, unknown_target)
{
	EXPECT(2, "run", "-t", "no-such-target");
	EXPECT(2, "run", "-t", "qemu-tcg,no-such-target");
}

Test(cli, unknown_command)
{
	EXPECT(2, "frobnicate");
	EXPECT(2, NULL);
}

Test(cli, bad_flags)
{
	EXPECT(2, "run", "-t", "qemu-tcg", "--bogus");
	EXPECT(2, "run", "-t", "qemu-tcg", "-z");
	EXPECT(2, "list", "--bogus");
	EXPECT(2, "targets", "--bogus");
	EXPECT(2, "report", "--bogus", "x.json");
	EXPECT(2, "run", "-t");
	EXPECT(2, "run");
	EXPECT(2, "run", "-t", "qemu-tcg", "--shard", "0/2");
	EXPECT(2, "run", "-t", "qemu-tcg", "-j", "0");
	EXPECT(2, "run", "-t", "qemu-tcg", "--timeout", "soon");
	EXPECT(2, "report");
}

Test(cli, missing_images_dir)
{
	char *missing = xasprintf("%s/none", dir);

	EXPECT(3, "run", "-t", "qemu-tcg", "--images", missing);
	EXPECT(1, "list", "--images", missing);
	EXPECT(3, "run", "-t", "qemu-tcg", "--images", dir);
	free(missing);
}

Test(cli, bench_bad_input)
{
	char *missing = xasprintf("%s/none", dir);

	EXPECT(2, "bench");
	EXPECT(2, "bench", "-t", "no-such-target");
	EXPECT(2, "bench", "-t", "qemu-tcg", "--bogus");
	EXPECT(2, "bench", "-t", "qemu-tcg", "--scale", "0");
	EXPECT(2, "bench", "-t", "qemu-tcg", "--scale", "-5");
	EXPECT(2, "bench", "-t", "qemu-tcg", "--reps", "32");
	EXPECT(2, "bench", "-t", "qemu-tcg", "-j", "x");
	EXPECT(2, "bench", "-t", "qemu-tcg", "--json", "out.txt");
	EXPECT(3, "bench", "-t", "qemu-tcg", "--images", missing);
	/* a directory without perf images: nothing to time */
	EXPECT(3, "bench", "-t", "qemu-tcg", "--images", dir);
	free(missing);
}

Test(cli, malformed_target_file)
{
	write_file("bad.conf", "name = bad\nflavour = strange\n");
	EXPECT(1, "targets", "--targets", dir);
	EXPECT(3, "run", "-t", "bad", "--targets", dir);
}

Test(cli, malformed_json)
{
	char *path = xasprintf("%s/r.json", dir);

	write_file("r.json", "{\"popek_results\": 1, \"targets\": [");
	EXPECT(1, "report", path);
	write_file("r.json", "{\"hello\": 1}");
	EXPECT(1, "report", path);
	free(path);
}

Test(cli, help_works)
{
	char *err;

	cr_assert_eq(popek(&err, "help", NULL), 0);
	cr_assert_str_eq(err, "");
	free(err);
}
