/*
 * Target files kept outside the tree (docs/targets.md): the search path,
 * -t FILE.conf, include along the path, {image} required, params,
 * {env:NAME}, --target-set, reserved placeholders, and popek
 * check-target on targets that break the runner's contract.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_scratch.h"
#include "util.h"

static char dir[CLI_SCRATCH_LEN];

static void setup(void)
{
	cli_scratch_make(dir, "clit");
}

static void teardown(void)
{
	cli_scratch_remove(dir);
}

TestSuite(clit, .init = setup, .fini = teardown);

static char *drain(int fd)
{
	struct strbuf sb = {0};
	char buf[4096];
	ssize_t got;

	while ((got = read(fd, buf, sizeof(buf))) > 0)
		sb_add(&sb, buf, (size_t)got);
	close(fd);
	sb_add(&sb, "", 0);
	return sb.s;
}

/* Run popek; *out and *err hold stdout and stderr (stderr read after
 * stdout: these commands write little of it). */
static int popek(char **out, char **err, char *const *args)
{
	char *argv[24] = {POPEK_BIN};
	int o[2], e[2], status, n;
	pid_t pid;

	for (n = 0; args[n]; n++)
		argv[n + 1] = args[n];
	cr_assert_eq(pipe(o), 0);
	cr_assert_eq(pipe(e), 0);
	pid = fork();
	if (pid == 0) {
		dup2(o[1], 1);
		dup2(e[1], 2);
		close(o[0]);
		close(e[0]);
		execv(argv[0], argv);
		_exit(126);
	}
	close(o[1]);
	close(e[1]);
	*out = drain(o[0]);
	*err = drain(e[0]);
	waitpid(pid, &status, 0);
	cr_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

#define RUN(code, out, err, ...)                                               \
	do {                                                                   \
		char *const a_[] = {__VA_ARGS__, NULL};                        \
		int st_ = popek(&out, &err, a_);                               \
		cr_assert_eq(st_, code, "status %d\nstdout: %s\nstderr: %s",   \
			     st_, out, err);                                   \
	} while (0)

static char *sub(const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);

	mkdir(path, 0755);
	return path;
}

static char *write_file(const char *name, const char *text)
{
	return cli_scratch_write(dir, name, text);
}

#define CONF(n, cmd) "name = " n "\ndescription = d " n "\ncommand = " cmd "\n"

static void assert_line(const char *out, const char *start)
{
	const char *p = out;
	size_t n = strlen(start);

	while (p && strncmp(p, start, n))
		p = (p = strchr(p, '\n')) ? p + 1 : NULL;
	cr_assert(p, "no line starting '%s' in:\n%s", start, out);
}

/* --targets adds to the built-in targets instead of hiding them */
Test(clit, targets_dir_keeps_builtin)
{
	char *a = sub("a"), *out, *err;

	free(write_file("a/mine.conf", CONF("mine", "q {image}")));
	RUN(0, out, err, "targets", "--targets", a);
	assert_line(out, "qemu-tcg ");
	assert_line(out, "mine ");
	cr_assert(strstr(out, xasprintf("d mine [%s/mine.conf]\n", a)), "%s",
		  out);
	free(a);
}

/* two --targets, and POPEK_TARGETS with ':', keep both */
Test(clit, several_dirs)
{
	char *a = sub("a"), *b = sub("b"), *both, *out, *err;

	free(write_file("a/one.conf", CONF("one", "q {image}")));
	free(write_file("b/two.conf", CONF("two", "q {image}")));
	RUN(0, out, err, "targets", "--targets", a, "--targets", b);
	assert_line(out, "one ");
	assert_line(out, "two ");
	both = xasprintf("%s:%s", a, b);
	setenv("POPEK_TARGETS", both, 1);
	RUN(0, out, err, "targets");
	assert_line(out, "one ");
	assert_line(out, "two ");
	assert_line(out, "qemu-tcg ");
	/* the first directory decides a name */
	free(write_file("b/one.conf", CONF("one", "other {image}")));
	RUN(0, out, err, "targets");
	cr_assert(strstr(out, "d one ["), "%s", out);
	cr_assert(strstr(out, "/a/one.conf]"), "%s", out);
	unsetenv("POPEK_TARGETS");
}

/* -t path/to/FILE.conf names a target file; its include is found along
 * the search path (the built-in kvm_pvm.infidelities) */
Test(clit, target_by_path)
{
	char *conf = write_file("mine.conf",
				CONF("mine", "q {image}") "include = "
							  "kvm_pvm."
							  "infidelities\n"),
	     *empty = sub("empty"), *out, *err;

	RUN(3, out, err, "run", "-t", conf, "--images", empty);
	cr_assert(strstr(err, "no images in"), "%s", err);
	RUN(3, out, err, "run", "-t", "nowhere/mine.conf", "--images", empty);
	cr_assert_str_eq(err, "popek: target file nowhere/mine.conf: No such "
			      "file or directory\n");
	free(conf);
	free(empty);
}

static void expect_targets_error(const char *text, const char *msg)
{
	char *a = sub("bad"), *conf = write_file("bad/t.conf", text), *out,
	     *err, *want = xasprintf("popek: %s%s\n", conf, msg);

	RUN(1, out, err, "targets", "--targets", a);
	cr_assert_str_eq(err, want);
	free(want);
	free(conf);
	free(a);
}

Test(clit, image_required_and_reserved)
{
	expect_targets_error(CONF("t", "qemu -kernel x.elf"),
			     ":3: the command never names the image: a boot "
			     "= kernel target's command must use {image}");
	expect_targets_error(CONF("t", "q {image} -initrd {initrd}"),
			     ":3: placeholder '{initrd}' is reserved for "
			     "booting a Linux guest, which popek does not do "
			     "yet");
}

Test(clit, env_placeholder)
{
	char *a = sub("a"), *out, *err;

	free(write_file("a/e.conf", CONF("e", "{env:POPEK_CLI_QEMU} {image}")));
	unsetenv("POPEK_CLI_QEMU");
	RUN(0, out, err, "targets", "--targets", a);
	cr_assert(strstr(out, "unusable  d e (environment variable "
			      "POPEK_CLI_QEMU is not set (the target uses "
			      "{env:POPEK_CLI_QEMU}))"),
		  "%s", out);
	free(a);
}

/* a param changed for one run reaches the command; a key no target of
 * the run has is refused */
Test(clit, target_set)
{
	char *fake = write_file("fake.sh", "echo 'popek: exit 0'\n"),
	     *text = xasprintf(
		     CONF("f", "sh %s {greeting} {image}") "param greeting = "
							   "hello\n",
		     fake),
	     *conf = write_file("f.conf", text), *out, *err;

	RUN(1, out, err, "run", "-t", conf, "runtime-smoke-32");
	cr_assert(strstr(out, xasprintf("  command: sh %s hello /", fake)),
		  "%s", out);
	RUN(1, out, err, "run", "-t", conf, "--target-set", "greeting=bye",
	    "runtime-smoke-32");
	cr_assert(strstr(out, xasprintf("  command: sh %s bye /", fake)), "%s",
		  out);
	cr_assert(strstr(out, "--target-set greeting=bye runtime-smoke-32\n"),
		  "the rerun command keeps it: %s", out);
	RUN(2, out, err, "run", "-t", conf, "--target-set", "greting=bye",
	    "runtime-smoke-32");
	cr_assert_str_eq(err, "popek: run: --target-set greting=bye: no target "
			      "of this run has a param 'greting'\n");
	RUN(2, out, err, "run", "-t", conf, "--target-set", "f:greting=bye",
	    "runtime-smoke-32");
	cr_assert_str_eq(err, "popek: run: target f has no param 'greting' (it "
			      "can set: greeting timeout output_limit)\n");
	RUN(2, out, err, "run", "-t", conf, "--target-set", "greeting",
	    "runtime-smoke-32");
	free(fake);
	free(text);
	free(conf);
}

/* check-target on a target whose output never reaches stdout */
Test(clit, check_target_no_output)
{
	char *sh = write_file("quiet.sh", "exit 1\n"),
	     *text = xasprintf(CONF("quiet", "sh %s {image}"), sh),
	     *conf = write_file("quiet.conf", text), *out, *err;

	RUN(7, out, err, "check-target", conf);
	cr_assert(strstr(out, "  FAIL  runtime-smoke-32: 0 bytes on the "
			      "target's standard output (exited with status "
			      "1 after "),
		  "%s", out);
	cr_assert(strstr(out, "        is COM1 on stdout?"), "%s", out);
	cr_assert(strstr(out, "quiet: 2 problems (above)\n"), "%s", out);
	free(conf);
	free(text);
	free(sh);
}

Test(clit, check_target_usage)
{
	char *out, *err, *empty = sub("empty");

	RUN(2, out, err, "check-target");
	RUN(2, out, err, "check-target", "no-such-target");
	RUN(2, out, err, "check-target", "qemu-tcg", "--bogus");
	RUN(3, out, err, "check-target", "qemu-tcg", "--images", empty);
	cr_assert(strstr(err, "image runtime-smoke-32 not found in"), "%s",
		  err);
	free(empty);
}
