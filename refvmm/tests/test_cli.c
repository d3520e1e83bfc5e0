/*
 * The real refvmm binary on bad input and hostile guests: each case
 * gives one line on stderr and its documented exit status
 * (docs/refvmm.md), never a signal. Guest cases build tiny Multiboot
 * images from 32-bit code, assembled from a file in guests/ or generated
 * here; those in hw mode need /dev/kvm.
 */
#include <cpuid.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elf_build.h"
#include "hostinfo.h"
#include "refvmm/exitcode.h"
#include "refvmm/sw/host_check.h"

struct result {
	int status;
	char out[8192];
	size_t outlen;
	char err[16384]; /* --stats of the bt modes is ~5 KiB */
};

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/refvmm-cli-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(cli, .init = setup, .fini = teardown, .timeout = 60);

static size_t slurp(int fd, char *buf, size_t cap)
{
	ssize_t n = pread(fd, buf, cap - 1, 0);

	buf[n > 0 ? n : 0] = 0;
	return n > 0 ? (size_t)n : 0;
}

/*
 * A software mode on a host without compatibility mode ends with 74
 * before the guest runs (docs/refvmm.md, "Hosts the software modes
 * need"): the case is skipped, saying why, when this process's own check
 * agrees; a 74 the check does not explain is left to the case's
 * assertions, so a refusal on a capable host fails. ctest runs this
 * binary through sw_host_gate.sh, which reports the whole as skipped.
 */
static void need_sw_host(void)
{
	char why[320];

	if (sw_host__check(why, sizeof(why)) < 0)
		cr_skip_test("%s", why);
}

static void skip_without_sw_host(const struct result *r,
				 const char *const *args)
{
	int i;

	if (r->status != REFVMM_EXIT_HOST_UNSUPPORTED)
		return;
	for (i = 0; args[i]; i++)
		if (!strcmp(args[i], "--check-host"))
			return;
	need_sw_host();
}

/* Runs refvmm with @args (NULL-terminated, without argv[0]). */
static void run(struct result *r, const char *const *args)
{
	const char *argv[16] = {REFVMM_BIN};
	int out = fileno(tmpfile()), err = fileno(tmpfile());
	pid_t pid;
	int i, st;

	for (i = 0; args[i]; i++)
		argv[i + 1] = args[i];
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		dup2(out, 1);
		dup2(err, 2);
		execv(REFVMM_BIN, (char *const *)argv);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st), "refvmm died of signal %d", WTERMSIG(st));
	r->status = WEXITSTATUS(st);
	r->outlen = slurp(out, r->out, sizeof(r->out));
	slurp(err, r->err, sizeof(r->err));
	skip_without_sw_host(r, args);
}

/* One line on stderr, starting "refvmm: " and containing @what. */
static void expect_line(const struct result *r, int status, const char *what)
{
	cr_assert_eq(r->status, status, "status %d, stderr: %s", r->status,
		     r->err);
	cr_assert_eq(strncmp(r->err, "refvmm: ", 8), 0, "%s", r->err);
	cr_assert(strchr(r->err, '\n') == r->err + strlen(r->err) - 1,
		  "one line: %s", r->err);
	cr_assert(strstr(r->err, what), "wanted '%s' in: %s", what, r->err);
}

static const char *write_file(const char *name, const void *data, size_t len)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	fclose(f);
	return path;
}

/* A Multiboot image whose entry at 1 MiB is @code. */
static const char *guest(const char *name, const uint8_t *code, size_t len)
{
	static uint8_t img[8192];
	struct elf_seg seg = {.paddr = 0x100000,
			      .filesz = (uint32_t)len,
			      .memsz = 0x1000,
			      .data = code};
	struct elf_spec s = {
		.segs = &seg, .nsegs = 1, .entry = 0x100000, .mb_flags = 0x3};

	return write_file(name, img, elf_build(img, sizeof(img), &s));
}

/* The bytes of guests/@name.S, which the build assembles to a raw
 * binary (refvmm/tests/CMakeLists.txt). */
static size_t guest_code(const char *name, uint8_t *code, size_t cap)
{
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/guests/%s.bin", REFVMM_TEST_DIR, name);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "%s not built", path);
	n = fread(code, 1, cap, f);
	fclose(f);
	cr_assert(n > 0 && n < cap, "%s: %zu bytes", path, n);
	return n;
}

/* A Multiboot image whose entry at 1 MiB is guests/@name.S. */
static const char *asm_guest(const char *name)
{
	static uint8_t code[4096];
	char file[64];
	size_t n = guest_code(name, code, sizeof(code));

	snprintf(file, sizeof(file), "%s.elf", name);
	return guest(file, code, n);
}

static void need_kvm(void)
{
	if (access("/dev/kvm", R_OK | W_OK))
		cr_skip_test("no usable /dev/kvm");
}

Test(cli, help)
{
	struct result r;

	run(&r, (const char *const[]){"--help", NULL});
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.out, "usage: refvmm"));
	cr_assert(strstr(r.out, "bt-simple"));
}

Test(cli, missing_image)
{
	struct result r;

	run(&r, (const char *const[]){"/nonexistent/x.elf", NULL});
	expect_line(&r, REFVMM_EXIT_IMAGE_UNREADABLE, "cannot open image");
}

Test(cli, directory_image)
{
	struct result r;

	run(&r, (const char *const[]){"/", NULL});
	expect_line(&r, REFVMM_EXIT_IMAGE_UNREADABLE, "not a regular file");
}

Test(cli, unreadable_image)
{
	struct result r;
	const char *p = write_file("secret.elf", "x", 1);

	if (!geteuid())
		cr_skip_test("root reads everything");
	chmod(p, 0);
	run(&r, (const char *const[]){p, NULL});
	expect_line(&r, REFVMM_EXIT_IMAGE_UNREADABLE, "Permission denied");
}

Test(cli, non_elf_image)
{
	struct result r;
	const char *p = write_file("text.elf", "hello\n", 6);

	run(&r, (const char *const[]){p, NULL});
	expect_line(&r, REFVMM_EXIT_IMAGE_MALFORMED, "not an ELF file");
}

Test(cli, empty_image)
{
	struct result r;
	const char *p = write_file("empty.elf", "", 0);

	run(&r, (const char *const[]){p, NULL});
	expect_line(&r, REFVMM_EXIT_IMAGE_MALFORMED, "not an ELF file");
}

Test(cli, elf64_image)
{
	struct result r;

	run(&r, (const char *const[]){"/bin/true", NULL});
	expect_line(&r, REFVMM_EXIT_IMAGE_MALFORMED, "ELF64");
}

Test(cli, image_too_big_for_mem)
{
	static const uint8_t hlt[] = {0xf4};
	static uint8_t img[8192];
	struct elf_seg seg = {
		.paddr = 0x300000, .filesz = 1, .memsz = 1, .data = hlt};
	struct elf_spec s = {.segs = &seg, .nsegs = 1, .entry = 0x300000};
	const char *p =
		write_file("high.elf", img, elf_build(img, sizeof(img), &s));
	struct result r;

	run(&r, (const char *const[]){"--mem", "2M", p, NULL});
	expect_line(&r, REFVMM_EXIT_IMAGE_UNSUPPORTED, "outside guest RAM");
}

Test(cli, bad_mem)
{
	static const char *const bad[] = {"abc", "1M",	  "4G", "-5",
					  "12Q", "4097K", ""};
	struct result r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		run(&r, (const char *const[]){"--mem", bad[i], "x.elf", NULL});
		expect_line(&r, REFVMM_EXIT_USAGE, "bad --mem");
	}
}

Test(cli, bad_flag)
{
	struct result r;

	run(&r, (const char *const[]){"--bogus", "x.elf", NULL});
	expect_line(&r, REFVMM_EXIT_USAGE, "--bogus");
}

Test(cli, bad_option_values)
{
	struct result r;

	run(&r, (const char *const[]){"--stats=xml", "x.elf", NULL});
	expect_line(&r, REFVMM_EXIT_USAGE, "bad --stats");
	run(&r, (const char *const[]){"--trace", "disk", "x.elf", NULL});
	expect_line(&r, REFVMM_EXIT_USAGE, "bad --trace");
	run(&r, (const char *const[]){"--timeout", "0", "x.elf", NULL});
	expect_line(&r, REFVMM_EXIT_USAGE, "bad --timeout");
}

Test(cli, no_image_and_two_images)
{
	struct result r;

	run(&r, (const char *const[]){NULL});
	expect_line(&r, REFVMM_EXIT_USAGE, "no IMAGE");
	run(&r, (const char *const[]){"a.elf", "b.elf", NULL});
	expect_line(&r, REFVMM_EXIT_USAGE, "more than one IMAGE");
}

Test(cli, kernel_initrd_append_usage)
{
	const char *p = asm_guest("exit-5");
	struct result r;

	run(&r, (const char *const[]){"--initrd", "i.gz", "x.elf", NULL});
	expect_line(&r, REFVMM_EXIT_USAGE,
		    "--initrd and --append need --kernel");
	run(&r, (const char *const[]){"--append", "quiet", "x.elf", NULL});
	expect_line(&r, REFVMM_EXIT_USAGE,
		    "--initrd and --append need --kernel");
	run(&r, (const char *const[]){"--kernel", p, "x.elf", NULL});
	expect_line(&r, REFVMM_EXIT_USAGE, "both --kernel and IMAGE");
	/* A Multiboot kernel takes no initrd (QEMU's would be a module). */
	run(&r, (const char *const[]){"--kernel", p, "--initrd", p, NULL});
	expect_line(&r, REFVMM_EXIT_USAGE, "--initrd needs a Linux bzImage");
	/* Neither a bzImage nor ELF: the Multiboot loader's verdict. */
	run(&r, (const char *const[]){"--kernel", "/etc/hostname", NULL});
	cr_assert_eq(r.status, REFVMM_EXIT_IMAGE_MALFORMED, "%s", r.err);
	run(&r,
	    (const char *const[]){"--kernel", "/nonexistent/bzImage", NULL});
	expect_line(&r, REFVMM_EXIT_IMAGE_UNREADABLE, "/nonexistent/bzImage");
}

/*
 * An x86_64 bzImage (xloadflags XLF_KERNEL_64) is entered in 64-bit mode,
 * which the software modes cannot run: each refuses it in one line
 * before any device or engine is set up. The kernel itself is 0x400
 * bytes of HLT: it never runs.
 */
Test(cli, kernel_64_bzimage_refused_by_the_software_modes)
{
	static const char *const modes[] = {"trap", "bt-simple", "bt"};
	static uint8_t k[3 * 512 + 0x400];
	const char *p;
	struct result r;
	size_t i;

	k[0x1f1] = 2; /* setup_sects */
	k[0x201] = 0x6a;
	memcpy(k + 0x202, "HdrS", 4);
	k[0x206] = 0x0f; /* 2.15 */
	k[0x207] = 0x02;
	k[0x211] = 0x01; /* LOADED_HIGH */
	k[0x216] = 0x10; /* code32_start 0x100000 */
	k[0x236] = 0x01; /* XLF_KERNEL_64 */
	k[0x238] = 0xff; /* cmdline_size */
	k[0x25a] = 0x20; /* pref_address 2 MiB */
	k[0x262] = 0x10; /* init_size 1 MiB */
	memset(k + 3 * 512, 0xf4, 0x400);
	p = write_file("bzImage64", k, sizeof(k));
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		run(&r, (const char *const[]){"--mode", modes[i], "--kernel", p,
					      "--append", "quiet", NULL});
		expect_line(&r, REFVMM_EXIT_IMAGE_UNSUPPORTED,
			    "a 64-bit image cannot run in mode");
		cr_assert(strstr(r.err, modes[i]), "%s", r.err);
		cr_assert(strstr(r.err, "--mode hw"), "%s", r.err);
	}
}

Test(cli, kernel_runs_a_multiboot_image)
{
	const char *p = asm_guest("exit-5");
	struct result r;

	/* --kernel with an ELF is the Multiboot path, as QEMU's -kernel. */
	run(&r, (const char *const[]){"--mode", "bt", "--kernel", p, "--append",
				      "a b", NULL});
	cr_assert_eq(r.status, (5 << 1) | 1, "%s", r.err);
}

Test(cli, unknown_mode)
{
	struct result r;

	run(&r, (const char *const[]){"--mode", "vmx", "x.elf", NULL});
	expect_line(&r, REFVMM_EXIT_USAGE, "unknown mode 'vmx'");
}

Test(cli, no_kvm)
{
	const char *p = asm_guest("hlt-interrupts-off");
	struct result r;

	setenv("REFVMM_KVM_DEVICE", "/nonexistent/kvm", 1);
	run(&r, (const char *const[]){p, NULL});
	unsetenv("REFVMM_KVM_DEVICE");
	expect_line(&r, REFVMM_EXIT_NO_KVM, "cannot open /nonexistent/kvm");
}

/* --check-host boots nothing and answers for the mode: on this host the
 * software modes' answer is the one this process's own check gives, hw's
 * follows REFVMM_KVM_DEVICE. */
Test(cli, check_host_answers_for_the_mode)
{
	static const char *const sw[] = {"trap", "bt-simple", "bt"};
	char why[320], line[400], want[64];
	bool can = sw_host__check(why, sizeof(why)) == 0;
	struct result r;

	for (size_t i = 0; i < sizeof(sw) / sizeof(sw[0]); i++) {
		run(&r, (const char *const[]){"--mode", sw[i], "--check-host",
					      NULL});
		if (can) {
			snprintf(want, sizeof(want),
				 "refvmm: this host can run mode %s\n", sw[i]);
			cr_assert_eq(r.status, 0, "%s: %s", sw[i], r.err);
			cr_assert_str_eq(r.out, want);
			cr_assert_str_empty(r.err);
		} else {
			snprintf(line, sizeof(line), "refvmm: %s\n", why);
			cr_assert_eq(r.status, REFVMM_EXIT_HOST_UNSUPPORTED);
			cr_assert_str_eq(r.err, line);
			cr_assert_str_empty(r.out);
		}
	}
	setenv("REFVMM_KVM_DEVICE", "/nonexistent/kvm", 1);
	run(&r, (const char *const[]){"--mode", "hw", "--check-host", NULL});
	unsetenv("REFVMM_KVM_DEVICE");
	expect_line(&r, REFVMM_EXIT_NO_KVM, "cannot open /nonexistent/kvm");
	run(&r, (const char *const[]){"--check-host", "x.elf", NULL});
	expect_line(&r, REFVMM_EXIT_USAGE, "--check-host boots nothing");
}

/* The privilege split of the bt modes trusts the host CPU's data-segment
 * limits (bt.c): real processors, and the guests of hardware-assisted
 * hypervisors, enforce them (SDM Vol. 3A 5.3); QEMU's TCG (the runner's
 * @qemu-tcg host class) does not, and there the split must stay off. */
/* Skips without compatibility mode (the limit check waived: that is
 * what is tested); whether the runner's hostinfo finds QEMU's TCG. */
static bool tcg_host(void)
{
	struct hostinfo h = {0};
	struct perr e = {0};
	bool tcg;

	setenv("REFVMM_ALLOW_UNENFORCED_LIMITS", "1", 1);
	need_sw_host();
	cr_assert_eq(hostinfo_probe(&h, &e), 0, "%s", e.msg);
	tcg = h.emulator && !strcmp(h.emulator, "qemu-tcg");
	hostinfo_free(&h);
	return tcg;
}

Test(cli, host_limit_check_matches_the_cpu)
{
	bool tcg = tcg_host();

	cr_assert_eq(sw_host__limits_enforced(), !tcg,
		     "segment limits %s on a %s host",
		     tcg ? "enforced" : "not enforced",
		     tcg ? "QEMU TCG" : "hardware");
}

/* Where the CPU does not check data-segment limits (QEMU's TCG, the
 * runner's qemu-tcg host class) a guest reaches the monitor window past
 * its segments' limits: every software mode refuses such a host with
 * status 74 and one line (--check-host too), unless
 * REFVMM_ALLOW_UNENFORCED_LIMITS is exactly 1. On a CPU that checks
 * them, every mode runs with or without it. */
Test(cli, software_modes_refuse_a_host_that_does_not_check_limits)
{
	static const char *const sw[] = {"trap", "bt-simple", "bt"};
	static const char *const waiver[] = {NULL, "yes", "1"};
	bool tcg = tcg_host();
	struct result r;
	char want[64];

	for (size_t i = 0; i < sizeof(sw) / sizeof(sw[0]); i++)
		for (size_t w = 0; w < 3; w++) {
			if (waiver[w])
				setenv("REFVMM_ALLOW_UNENFORCED_LIMITS",
				       waiver[w], 1);
			else
				unsetenv("REFVMM_ALLOW_UNENFORCED_LIMITS");
			run(&r, (const char *const[]){"--mode", sw[i],
						      "--check-host", NULL});
			if (tcg && w < 2) {
				expect_line(&r, REFVMM_EXIT_HOST_UNSUPPORTED,
					    "does not check data-segment "
					    "limits");
				continue;
			}
			snprintf(want, sizeof(want),
				 "refvmm: this host can run mode %s\n", sw[i]);
			cr_assert_eq(r.status, 0, "%s: %s", sw[i], r.err);
			cr_assert_str_eq(r.out, want);
		}
}

Test(cli, guest_debug_exit)
{
	const char *p = asm_guest("exit-5");
	struct result r;

	need_kvm();
	run(&r, (const char *const[]){p, NULL});
	cr_assert_eq(r.status, 11, "%s", r.err);
	cr_assert_str_eq(r.err, "");
}

Test(cli, guest_hlt_with_interrupts_off)
{
	const char *p = asm_guest("hlt-interrupts-off");
	struct result r;

	need_kvm();
	run(&r, (const char *const[]){p, NULL});
	expect_line(&r, REFVMM_EXIT_GUEST_HANG, "interrupts off");
}

Test(cli, guest_hlt_with_nothing_armed)
{
	const char *p = asm_guest("hlt-interrupts-on");
	struct result r;

	need_kvm();
	run(&r, (const char *const[]){p, NULL});
	expect_line(&r, REFVMM_EXIT_GUEST_HANG, "no timer armed");
}

Test(cli, guest_triple_fault)
{
	/* lidt of a zero-limit IDT, then ud2: #UD -> #DF -> shutdown. */
	const char *p = asm_guest("triple-fault");
	struct result r;

	need_kvm();
	run(&r, (const char *const[]){p, NULL});
	expect_line(&r, REFVMM_EXIT_TRIPLE_FAULT, "triple fault");
}

/* A guest reset ends the run like QEMU's -no-reboot: status 0 and one
 * line, in every mode (hw only with /dev/kvm, saying so without). */
static void reset_run(const char *name, const char *why)
{
	static const char *const modes[] = {"hw", "trap", "bt-simple", "bt",
					    NULL};
	struct result r;

	for (int i = 0; modes[i]; i++) {
		if (!strcmp(modes[i], "hw") &&
		    access("/dev/kvm", R_OK | W_OK)) {
			fprintf(stderr, "%s: no usable /dev/kvm, hw not run\n",
				name);
			continue;
		}
		run(&r, (const char *const[]){"--mode", modes[i], "--timeout",
					      "30", asm_guest(name), NULL});
		cr_expect_eq(r.status, REFVMM_EXIT_GUEST_RESET,
			     "%s --mode %s: status %d: %s", name, modes[i],
			     r.status, r.err);
		cr_expect_str_eq(r.err, why, "%s --mode %s", name, modes[i]);
		cr_expect_eq(r.outlen, 0, "%s --mode %s", name, modes[i]);
	}
}

Test(cli, guest_reset_through_the_8042)
{
	reset_run("reset-8042", "refvmm: guest reset (8042 command 0xfe)\n");
}

Test(cli, guest_reset_through_port_92)
{
	reset_run("reset-port92",
		  "refvmm: guest reset (port 0x92 fast reset, 0x03)\n");
}

Test(cli, guest_serial_flood)
{
	const char *p = asm_guest("serial-flood");
	struct result r;

	need_kvm();
	run(&r, (const char *const[]){"--serial-limit", "1000", p, NULL});
	expect_line(&r, REFVMM_EXIT_SERIAL_FLOOD, "serial flood");
	cr_assert_eq(r.outlen, 1000);
}

Test(cli, guest_timeout)
{
	const char *p = asm_guest("spin");
	struct result r;

	need_kvm();
	run(&r, (const char *const[]){"--timeout", "0.3", p, NULL});
	expect_line(&r, REFVMM_EXIT_TIMEOUT, "timeout");
}

Test(cli, guest_jumps_to_garbage)
{
	const char *p = asm_guest("jump-to-no-memory");
	struct result r;

	need_kvm();
	run(&r, (const char *const[]){"--timeout", "5", p, NULL});
	cr_assert(r.status == REFVMM_EXIT_INTERNAL_ERROR ||
			  r.status == REFVMM_EXIT_TRIPLE_FAULT ||
			  r.status == REFVMM_EXIT_TIMEOUT,
		  "status %d: %s", r.status, r.err);
	cr_assert(strchr(r.err, '\n') == r.err + strlen(r.err) - 1, "%s",
		  r.err);
}

Test(cli, guest_testdev_mmio_and_unclaimed_port)
{
	struct result r;

	need_kvm();
	run(&r, (const char *const[]){asm_guest("testdev-mmio"), NULL});
	cr_assert_eq(r.status, (0x34 << 1 | 1) & 0xff, "%s", r.err);
	run(&r, (const char *const[]){"--trace", "io",
				      asm_guest("unclaimed-port"), NULL});
	cr_assert_eq(r.status, 0xff, "%s", r.err);
	cr_assert(strstr(r.err, "port 0x0099"), "%s", r.err);
}

Test(cli, stats_table_and_json)
{
	const char *p = asm_guest("exit-0");
	struct result r;

	need_kvm();
	run(&r, (const char *const[]){"--stats", p, NULL});
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(strstr(r.err, "counter"), "%s", r.err);
	cr_assert(strstr(r.err, "exits.io "), "%s", r.err);
	cr_assert(strstr(r.err, "kvm."), "%s", r.err);
	run(&r, (const char *const[]){"--stats=json", p, NULL});
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert_eq(r.err[0], '{', "%s", r.err);
	cr_assert(strstr(r.err, "\"exits.io\": 1"), "%s", r.err);
}

/* --- trap mode: the same guests, no /dev/kvm needed --- */

Test(cli, trap_guest_debug_exit_and_stats)
{
	const char *p = asm_guest("exit-5");
	struct result r;

	run(&r, (const char *const[]){"--mode", "trap", "--stats", p, NULL});
	cr_assert_eq(r.status, 11, "%s", r.err);
	cr_assert(strstr(r.err, "emulated.out"), "%s", r.err);
	cr_assert(strstr(r.err, "host.seccomp"), "%s", r.err);
}

Test(cli, trap_hlt_with_interrupts_off)
{
	struct result r;

	run(&r, (const char *const[]){"--mode", "trap",
				      asm_guest("hlt-interrupts-off"), NULL});
	expect_line(&r, REFVMM_EXIT_GUEST_HANG, "interrupts off");
}

Test(cli, trap_triple_fault)
{
	struct result r;

	run(&r, (const char *const[]){"--mode", "trap",
				      asm_guest("triple-fault"), NULL});
	expect_line(&r, REFVMM_EXIT_TRIPLE_FAULT, "triple fault");
}

Test(cli, trap_guest_syscalls_never_reach_linux)
{
	/* exit(0x42) by Linux's int 0x80, sysenter and syscall: each must
	 * become a guest event (no IDT: triple fault), never a Linux
	 * exit(0x42). */
	const char *names[] = {"syscall-int80", "syscall-sysenter",
			       "syscall-syscall"};
	struct result r;
	int i;

	for (i = 0; i < 3; i++) {
		run(&r, (const char *const[]){"--mode", "trap", "--timeout",
					      "30", asm_guest(names[i]), NULL});
		cr_assert_neq(r.status, 0x42, "%s", r.err);
		cr_assert_eq(r.status, REFVMM_EXIT_TRIPLE_FAULT, "%d: %s", i,
			     r.err);
	}
}

/*
 * Linux returns from a compat SYSENTER to its vDSO landing pad, whose
 * 32-bit address is the low half of the randomised 64-bit vDSO base: with
 * 3 GiB of guest RAM it usually falls in RAM. Those pages are never
 * executable in trap mode, so the return faults and is seen as the
 * guest's SYSENTER (#GP(0) here: SYSENTER_CS is 0; no IDT: triple
 * fault), never runs guest memory. Five runs, five vDSO placements.
 */
Test(cli, trap_sysenter_return_into_guest_ram_is_seen)
{
	struct result r;

	for (int i = 0; i < 5; i++) {
		run(&r, (const char *const[]){
				"--mode", "trap", "--mem", "3G", "--timeout",
				"30", asm_guest("syscall-sysenter"), NULL});
		cr_assert_eq(r.status, REFVMM_EXIT_TRIPLE_FAULT, "run %d: %s",
			     i, r.err);
	}
}

Test(cli, trap_random_bytes_end_cleanly)
{
	uint8_t code[512];
	struct result r;
	int round, i;

	srand(5);
	for (round = 0; round < 8; round++) {
		for (i = 0; i < (int)sizeof(code); i++)
			code[i] = (uint8_t)rand();
		run(&r, (const char *const[]){
				"--mode", "trap", "--timeout", "2",
				guest("trand.elf", code, sizeof(code)), NULL});
		/* Any documented end, one line, never a host crash. */
		cr_assert(r.status != REFVMM_EXIT_HOST_ERROR, "%s", r.err);
	}
}

Test(cli, trap_refuses_64bit_image)
{
	struct result r;
	char img[256];

	snprintf(img, sizeof(img), "%s/../../images/runtime-smoke-64.elf",
		 REFVMM_TEST_DIR);
	cr_assert_eq(access(img, R_OK), 0, "%s not built", img);
	run(&r, (const char *const[]){"--mode", "trap", img, NULL});
	expect_line(&r, REFVMM_EXIT_IMAGE_UNSUPPORTED, "--mode hw");
}

Test(cli, trap_runtime_smoke)
{
	struct result r;
	char img[256];

	snprintf(img, sizeof(img), "%s/../../images/runtime-smoke-32.elf",
		 REFVMM_TEST_DIR);
	cr_assert_eq(access(img, R_OK), 0, "%s not built", img);
	run(&r, (const char *const[]){"--mode", "trap", "--timeout", "20", img,
				      NULL});
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(strstr(r.out, "ok 5 - runtime.smoke.pit-irq.32"), "%s",
		  r.out);
}

static const char *test_image(const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/../../test-images/%s.elf",
		 REFVMM_TEST_DIR, name);
	cr_assert_eq(access(path, R_OK), 0, "%s not built", path);
	return path;
}

/* A documented end: the guest's own exit, or one of refvmm's statuses
 * with exactly one "refvmm: " line; never a host error or a crash (run()
 * asserts the process exited rather than died of a signal). */
static void expect_documented_end(const struct result *r)
{
	const char *nl = strchr(r->err, '\n');

	if (r->status & 1)
		return;
	cr_assert(r->status == REFVMM_EXIT_TRIPLE_FAULT ||
			  r->status == REFVMM_EXIT_GUEST_HANG ||
			  r->status == REFVMM_EXIT_SERIAL_FLOOD ||
			  r->status == REFVMM_EXIT_INTERNAL_ERROR ||
			  r->status == REFVMM_EXIT_TIMEOUT,
		  "status %d: %s", r->status, r->err);
	cr_assert(!strncmp(r->err, "refvmm: ", 8), "stderr: %s", r->err);
	cr_assert(nl && nl[1] == '\0', "more than one line: %s", r->err);
}

Test(cli, trap_hostile_random_code_and_wild_jumps)
{
	const char *names[] = {"hostile-random-32", "hostile-jumps-32"};
	struct result r;

	for (int i = 0; i < 2; i++) {
		run(&r,
		    (const char *const[]){"--mode", "trap", "--timeout", "10",
					  test_image(names[i]), NULL});
		expect_documented_end(&r);
	}
}

Test(cli, trap_hostile_syscalls_stay_in_the_guest)
{
	struct result r;

	/* int 0x80, sysenter and syscall carrying Linux exit(0x42) become
	 * guest events with the architected vectors; the guest then exits 0
	 * itself. */
	run(&r, (const char *const[]){"--mode", "trap", "--timeout", "10",
				      test_image("hostile-syscalls-32"), NULL});
	cr_assert_eq(r.status, 1, "status %d: %s", r.status, r.err);
	cr_assert(strstr(r.out, "ok 2 - selftest.hostile.int80.cpl3.32\n"),
		  "%s", r.out);
	cr_assert(strstr(r.out, "ok 3 - selftest.hostile.sysenter.cpl3.32\n"),
		  "%s", r.out);
	cr_assert(strstr(r.out, "ok 4 - selftest.hostile.syscall.cpl3.32\n"),
		  "%s", r.out);
	cr_assert(strstr(r.out, "popek: exit 0\n"), "%s", r.out);
}

Test(cli, software_modes_hostile_page_table_storm)
{
	const char *modes[] = {"trap", "bt-simple", "bt"};
	struct result r;

	/* CR3 switches, PTE/PDE writes through aliases, junk entries and
	 * accesses at CPL 0 and 3, under direct execution and under both
	 * translation modes (where the traced stores are emulated or
	 * adapted): the guest reports and exits 0 each time. */
	for (int i = 0; i < 3; i++) {
		run(&r, (const char *const[]){"--mode", modes[i], "--timeout",
					      "30", "--stats",
					      test_image("hostile-paging-32"),
					      NULL});
		cr_assert_eq(r.status, 1, "%s: status %d: %s", modes[i],
			     r.status, r.err);
		cr_assert(strstr(r.out,
				 "ok 1 - selftest.hostile.pagetables.32\n"),
			  "%s: %s", modes[i], r.out);
		cr_assert(strstr(r.err, "shadow.trace_faults") ||
				  strstr(r.out, "shadow.trace_faults"),
			  "%s: no shadow counters: %s", modes[i], r.err);
	}
}

Test(cli, software_modes_refuse_real_and_virtual_8086_mode)
{
	const char *modes[] = {"trap", "bt-simple", "bt"};
	struct result r;

	/* The host process runs in IA-32e mode, where neither mode exists
	 * (docs/refvmm.md, "Real and virtual-8086 mode"): clearing CR0.PE
	 * stops the run with one line, IRET with VM = 1 is #GP(0) to the
	 * guest, which then exits 0 itself. */
	for (int i = 0; i < 3; i++) {
		run(&r, (const char *const[]){
				"--mode", modes[i], "--timeout", "10",
				asm_guest("leave-protected-mode"), NULL});
		expect_line(&r, 68, "guest left protected mode");
		run(&r,
		    (const char *const[]){"--mode", modes[i], "--timeout", "10",
					  asm_guest("iret-to-v86"), NULL});
		cr_assert_eq(r.status, 1, "%s: status %d: %s", modes[i],
			     r.status, r.err);
	}
}

Test(cli, hw_hostile_random_code_and_wild_jumps)
{
	const char *names[] = {"hostile-random-32", "hostile-jumps-32",
			       "hostile-syscalls-32"};
	struct result r;

	need_kvm();
	for (int i = 0; i < 3; i++) {
		run(&r, (const char *const[]){"--mode", "hw", "--timeout", "10",
					      test_image(names[i]), NULL});
		expect_documented_end(&r);
	}
}

/* --- bt-simple: the same guests, translated --- */

/* The cli/bt_simple_* cases run once per BT mode: bt-simple, and bt with
 * REFVMM_TEST_BT_MODE=bt (refvmm/tests/CMakeLists.txt). */
static const char *bt_mode(void)
{
	const char *m = getenv("REFVMM_TEST_BT_MODE");

	return m ? m : "bt-simple";
}

Test(cli, bt_simple_guest_debug_exit_and_stats)
{
	const char *p = asm_guest("exit-5");
	struct result r;

	run(&r, (const char *const[]){"--mode", bt_mode(), "--stats", p, NULL});
	cr_assert_eq(r.status, 11, "%s", r.err);
	cr_assert(strstr(r.err, "bt.translations"), "%s", r.err);
	cr_assert(strstr(r.err, "bt.callouts.out"), "%s", r.err);
	cr_assert(strstr(r.err, "host.seccomp"), "%s", r.err);
}

Test(cli, bt_simple_trace_shows_guest_and_host)
{
	const char *p = asm_guest("exit-5");
	struct result r;

	run(&r, (const char *const[]){"--mode", bt_mode(), "--trace", "bt", p,
				      NULL});
	cr_assert_eq(r.status, 11, "%s", r.err);
	/* mov al, 5 is copied as is; out is a callout stub */
	cr_assert(strstr(r.err, "mov al, 5") && strstr(r.err, "| ") &&
			  strstr(r.err, "ljmp 0x33:"),
		  "%s", r.err);
}

Test(cli, bt_simple_guest_syscalls_never_reach_linux)
{
	const char *names[] = {"syscall-int80", "syscall-sysenter",
			       "syscall-syscall"};
	struct result r;
	int i;

	for (i = 0; i < 3; i++) {
		run(&r, (const char *const[]){"--mode", bt_mode(), "--timeout",
					      "5", asm_guest(names[i]), NULL});
		cr_assert_neq(r.status, 0x42, "%s", r.err);
		cr_assert_eq(r.status, REFVMM_EXIT_TRIPLE_FAULT, "%d: %s", i,
			     r.err);
	}
}

Test(cli, bt_simple_far_jump_to_host_code_stays_in_the_guest)
{
	/* ljmp 0x33:0x100000 - the host's 64-bit code selector. Direct
	 * execution escapes here (trap mode says so); the translator
	 * emulates the far jump against the guest GDT: no such entry, #GP,
	 * no IDT, triple fault. */
	struct result r;

	run(&r,
	    (const char *const[]){"--mode", bt_mode(), "--timeout", "30",
				  asm_guest("far-jump-to-host-code"), NULL});
	expect_line(&r, REFVMM_EXIT_TRIPLE_FAULT, "triple fault");
}

Test(cli, bt_simple_random_bytes_end_cleanly)
{
	uint8_t code[512];
	struct result r;
	int round, i;

	srand(7);
	for (round = 0; round < 8; round++) {
		for (i = 0; i < (int)sizeof(code); i++)
			code[i] = (uint8_t)rand();
		run(&r, (const char *const[]){
				"--mode", bt_mode(), "--timeout", "2",
				guest("brand.elf", code, sizeof(code)), NULL});
		cr_assert(r.status != REFVMM_EXIT_HOST_ERROR, "%s", r.err);
	}
}

Test(cli, bt_simple_runtime_smoke)
{
	struct result r;
	char img[256];

	snprintf(img, sizeof(img), "%s/../../images/runtime-smoke-32.elf",
		 REFVMM_TEST_DIR);
	cr_assert_eq(access(img, R_OK), 0, "%s not built", img);
	run(&r, (const char *const[]){"--mode", bt_mode(), "--timeout", "20",
				      img, NULL});
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(strstr(r.out, "ok 5 - runtime.smoke.pit-irq.32"), "%s",
		  r.out);
}

Test(cli, bt_simple_hostile_guests)
{
	const char *names[] = {"hostile-random-32", "hostile-jumps-32"};
	struct result r;

	for (int i = 0; i < 2; i++) {
		run(&r, (const char *const[]){"--mode", bt_mode(), "--timeout",
					      "3", test_image(names[i]), NULL});
		expect_documented_end(&r);
	}
	run(&r, (const char *const[]){"--mode", bt_mode(), "--timeout", "10",
				      test_image("hostile-syscalls-32"), NULL});
	cr_assert_eq(r.status, 1, "status %d: %s", r.status, r.err);
	cr_assert(strstr(r.out, "ok 2 - selftest.hostile.int80.cpl3.32\n"),
		  "%s", r.out);
	cr_assert(strstr(r.out, "ok 3 - selftest.hostile.sysenter.cpl3.32\n"),
		  "%s", r.out);
	cr_assert(strstr(r.out, "ok 4 - selftest.hostile.syscall.cpl3.32\n"),
		  "%s", r.out);
}

/* --- translator corner cases, each a tiny guest --- */

Test(cli, bt_simple_code_overwriting_itself_mid_block)
{
	/* A MOV (or an ADD) to memory rewrites the immediate of the
	 * "mov $5, %al" two instructions later, in the same block: the
	 * store must drop the stale translation. */
	struct result r;

	run(&r, (const char *const[]){"--mode", bt_mode(), "--timeout", "30",
				      asm_guest("self-modify-mov"), NULL});
	cr_assert_eq(r.status, (7 << 1) | 1, "%s", r.err);
	run(&r, (const char *const[]){"--mode", bt_mode(), "--timeout", "30",
				      asm_guest("self-modify-add"), NULL});
	cr_assert_eq(r.status, (7 << 1) | 1, "%s", r.err);
}

Test(cli, bt_simple_jump_into_the_middle_of_an_instruction)
{
	/* A jump into the immediate of a MOV, whose bytes are
	 * "mov $9, %al; out %al, $0xf4" */
	struct result r;

	run(&r, (const char *const[]){"--mode", bt_mode(), "--timeout", "30",
				      asm_guest("jump-mid-instruction"), NULL});
	cr_assert_eq(r.status, (9 << 1) | 1, "%s", r.err);
}

Test(cli, bt_simple_jump_into_the_monitor_window)
{
	/* jmp 0xffc00100, the callout gate's host address: guest-physical
	 * there is no RAM (all ones: #UD), never the monitor's code. */
	struct result r;

	run(&r, (const char *const[]){"--mode", bt_mode(), "--timeout", "30",
				      asm_guest("jump-monitor-window"), NULL});
	expect_line(&r, REFVMM_EXIT_TRIPLE_FAULT, "triple fault");
}

Test(cli, bt_simple_block_straddling_the_end_of_ram)
{
	/* jmp 0x1fffff with 2 MiB of RAM: the instruction there runs
	 * into unbacked guest-physical memory */
	struct result r;

	run(&r, (const char *const[]){"--mode", bt_mode(), "--mem", "2M",
				      "--timeout", "30",
				      asm_guest("jump-end-of-ram"), NULL});
	expect_line(&r, REFVMM_EXIT_TRIPLE_FAULT, "triple fault");
}

Test(cli, bt_simple_two_byte_opcodes_with_prefixes_at_a_block_end)
{
	/* 31 NOPs fill a block; the 32nd instruction is prefix 0f xx with
	 * a ModRM of [eax] (EAX points at the code) and an imm8, then
	 * "mov al, 3; out 0xf4, al". Whatever it is, refvmm ends with a
	 * documented status, never a crash or a host error. */
	static const uint8_t prefixes[] = {0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x26,
					   0x2e, 0x36, 0x3e, 0x64, 0x65};
	uint8_t code[64];
	struct result r;
	size_t i;
	int op;

	for (i = 0; i < sizeof(prefixes); i++) {
		for (op = 0; op < 256; op += 17) {
			size_t n = 0;

			code[n++] = 0xb8; /* mov eax, 0x100801 (PE if CR0) */
			code[n++] = 0x01;
			code[n++] = 0x08;
			code[n++] = 0x10;
			code[n++] = 0x00;
			while (n < 5 + 30)
				code[n++] = 0x90;
			code[n++] = prefixes[i];
			code[n++] = 0x0f;
			code[n++] = (uint8_t)op;
			code[n++] = 0x00; /* ModRM [eax] */
			code[n++] = 0x01;
			code[n++] = 0xb0;
			code[n++] = 0x03;
			code[n++] = 0xe6;
			code[n++] = 0xf4;
			code[n++] = 0xfa;
			code[n++] = 0xf4;
			run(&r, (const char *const[]){
					"--mode", bt_mode(), "--timeout", "2",
					guest("bpfx.elf", code, n), NULL});
			if (r.status == REFVMM_EXIT_IMAGE_UNSUPPORTED)
				continue; /* e.g. MOV to CR0 with PG=1 */
			expect_documented_end(&r);
		}
	}
}

Test(cli, bt_simple_interrupt_inside_a_rewritten_sequence)
{
	/* A PUSH and a RET to that PUSH, forever. The deadline
	 * kick lands in the RET's rewrite or the lookup far more often
	 * than at an instruction boundary; refvmm must still stop the
	 * guest at the timeout, with one line. */
	struct result r;

	run(&r,
	    (const char *const[]){"--mode", bt_mode(), "--timeout", "0.5",
				  "--stats", asm_guest("push-ret-loop"), NULL});
	cr_assert_eq(r.status, REFVMM_EXIT_TIMEOUT, "%s", r.err);
	cr_assert(strstr(r.err, "bt.lookups.hit"), "%s", r.err);
}

/* --- --mode bt: adaptive translation (refvmm/bt/adapt.c) --- */

static unsigned long stat_of(const struct result *r, const char *name)
{
	const char *p = strstr(r->err, name);

	cr_assert_not_null(p, "no %s in: %s", name, r->err);
	return strtoul(p + strlen(name), NULL, 10);
}

Test(cli, bt_adapts_a_trapping_store_and_adapts_back)
{
	struct result r;

	/* threshold 4: the stores at ECX 200..197 trap, 196..100 are
	 * callouts that avoid a trap, 99..96 callouts that would not
	 * have trapped (the 4th turns it back), 95..1 run natively */
	setenv("REFVMM_BT_THRESHOLD", "4", 1);
	run(&r, (const char *const[]){"--mode", "bt", "--stats", "--trace",
				      "adapt", asm_guest("adapt-loop"), NULL});
	unsetenv("REFVMM_BT_THRESHOLD");
	cr_assert_eq(r.status, (3 << 1) | 1, "%s", r.err);
	cr_assert_eq(stat_of(&r, "bt.adapt.traps_counted"), 4, "%s", r.err);
	cr_assert_eq(stat_of(&r, "bt.adapt.to_callout"), 1);
	cr_assert_eq(stat_of(&r, "bt.adapt.to_ident"), 1);
	cr_assert_eq(stat_of(&r, "bt.adapt.retranslations"), 2);
	cr_assert_eq(stat_of(&r, "bt.adapt.callouts"), 101);
	cr_assert_eq(stat_of(&r, "bt.adapt.traps_avoided"), 97);
	cr_assert_eq(stat_of(&r, "bt.adapt.patches"), 2);
	cr_assert(strstr(r.err, "bt adapt 0x10000a: trapped threshold times: "
				"retranslated as a callout (flip 1, "
				"threshold 4)"),
		  "%s", r.err);
	cr_assert(strstr(r.err, "bt adapt 0x10000a: threshold clean callouts: "
				"retranslated as itself (flip 2, threshold "
				"4)"),
		  "%s", r.err);
}

Test(cli, bt_threshold_is_checked_and_bt_simple_never_adapts)
{
	struct result r;
	const char *p = asm_guest("adapt-loop");

	run(&r,
	    (const char *const[]){"--mode", "bt-simple", "--stats", p, NULL});
	cr_assert_eq(r.status, (3 << 1) | 1, "%s", r.err);
	cr_assert_null(strstr(r.err, "bt.adapt."), "%s", r.err);
	cr_assert_eq(stat_of(&r, "bt.exits.adapted"), 0);
	setenv("REFVMM_BT_THRESHOLD", "0", 1);
	run(&r, (const char *const[]){"--mode", "bt", p, NULL});
	unsetenv("REFVMM_BT_THRESHOLD");
	expect_line(&r, REFVMM_EXIT_USAGE, "REFVMM_BT_THRESHOLD");
}

Test(cli, bt_traps_ten_times_less_than_bt_simple_on_trapping_stores)
{
	/* bench-adapt-32: 20000 stores each to pc-testdev MMIO (MOV, ADD)
	 * and to the monitor window; every one a host fault in bt-simple.
	 * The guest checks that the MMIO stores landed. */
	struct result simple, bt;
	unsigned long fs, fb;

	run(&simple, (const char *const[]){"--mode", "bt-simple", "--stats",
					   test_image("bench-adapt-32"), NULL});
	unsetenv("REFVMM_BT_THRESHOLD");
	run(&bt, (const char *const[]){"--mode", "bt", "--stats",
				       test_image("bench-adapt-32"), NULL});
	cr_assert_eq(simple.status, 1, "%s", simple.err);
	cr_assert_eq(bt.status, 1, "%s", bt.err);
	cr_assert(strstr(bt.out, "ok 1 - selftest.adapt.mmio_stores.32\n"),
		  "%s", bt.out);
	fs = stat_of(&simple, "bt.host_faults");
	fb = stat_of(&bt, "bt.host_faults");
	cr_assert_geq(fs, 60000, "bt-simple: %lu host faults", fs);
	cr_assert_leq(fb * 10, fs, "bt: %lu host faults, bt-simple %lu", fb,
		      fs);
	cr_assert_geq(stat_of(&bt, "bt.adapt.traps_avoided"), 59000);
}

/* --- host traps: both sides on every host --- */

/* Whether /proc/cpuinfo's first flags line lists @flag. */
static bool host_flag(const char *flag)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[8192];
	bool found = false;

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5)) {
			char *tok, *save = NULL;

			for (tok = strtok_r(line, " \t\n", &save); tok;
			     tok = strtok_r(NULL, " \t\n", &save))
				found |= !strcmp(tok, flag);
			break;
		}
	fclose(f);
	return found;
}

/*
 * cpuid; rdtsc; exit 0: the guest's CPUID and RDTSC, with and without
 * the host traps. With CPUID faulting on wherever the host offers it,
 * the guest's CPUID is emulated from the virtual CPU, and the monitor
 * never takes a fault on its own CPUID or RDTSC.
 */
Test(cli, trap_host_traps_follow_the_host_and_the_switch)
{
	const char *p = asm_guest("cpuid-rdtsc");
	bool fault = host_flag("cpuid_fault");
	struct result r;

	run(&r,
	    (const char *const[]){"--mode", "trap", "--stats=json", p, NULL});
	cr_assert_eq(r.status, 1, "%s", r.err);
	if (fault) {
		cr_assert(strstr(r.err, "\"host.cpuid_faulting\": \"on\""),
			  "the host offers CPUID faulting (/proc/cpuinfo "
			  "cpuid_fault) but refvmm did not enable it: %s",
			  r.err);
		cr_assert(strstr(r.err, "\"emulated.cpuid\": 1"), "%s", r.err);
	} else {
		cr_assert(strstr(r.err, "\"host.cpuid_faulting\": "
					"\"unavailable"),
			  "%s", r.err);
	}
	cr_assert(strstr(r.err, "\"trap.monitor_tsc_faults\": 0"), "%s", r.err);

	run(&r, (const char *const[]){"--mode", "trap", "--host-traps", "none",
				      "--stats=json", p, NULL});
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(strstr(r.err, "\"host.cpuid_faulting\": \"off "
				"(--host-traps)"),
		  "%s", r.err);
	cr_assert(strstr(r.err, "\"host.rdtsc_trapping\": \"off "
				"(--host-traps)"),
		  "%s", r.err);
	cr_assert(!strstr(r.err, "\"emulated.cpuid\""), "%s", r.err);
	cr_assert(!strstr(r.err, "\"emulated.rdtsc\""), "%s", r.err);

	run(&r, (const char *const[]){"--mode", "trap", "--host-traps", "cpu",
				      p, NULL});
	expect_line(&r, REFVMM_EXIT_USAGE, "bad --host-traps 'cpu'");
}

/*
 * Under translation CPUID is always the virtual CPU's: leaf 0x40000000
 * names refvmm, leaf 1 sets the hypervisor bit and hides XSAVE. The
 * guest writes EBX of 0x40000000 (4 bytes) and ECX of leaf 1 to COM1.
 */
Test(cli, bt_cpuid_is_the_virtual_cpu)
{
	const char *p = asm_guest("cpuid-virtual-cpu");
	const char *modes[] = {"bt-simple", "bt"};
	struct result r;

	for (int i = 0; i < 2; i++) {
		run(&r, (const char *const[]){"--mode", modes[i], p, NULL});
		cr_assert_eq(r.status, 1, "%s: %s", modes[i], r.err);
		cr_assert_eq(r.outlen, 5, "%s", modes[i]);
		cr_assert(!memcmp(r.out, "Pope", 4), "%s: %.4s", modes[i],
			  r.out);
		/* hypervisor (31) set; AVX (28), OSXSAVE (27), XSAVE (26),
		 * TSC-deadline (24) clear */
		cr_assert_eq((uint8_t)r.out[4] & 0x9d, 0x80, "%s: 0x%02x",
			     modes[i], (uint8_t)r.out[4]);
	}
}

/* IA32_APIC_BASE in every software mode: 0xfee00900 at reset (base,
 * enable, BSP), its own value written back, and #GP(0) for the hidden
 * x2APIC enable bit (no IDT: a triple fault, which --trace names). */
Test(cli, apic_base_msr_in_the_software_modes)
{
	const char *p = asm_guest("apic-base-x2apic");
	const char *modes[] = {"bt-simple", "bt", "trap"};
	struct result r;

	for (int i = 0; i < 3; i++) {
		run(&r, (const char *const[]){"--mode", modes[i], "--trace",
					      "traps", p, NULL});
		cr_assert_eq(r.status, REFVMM_EXIT_TRIPLE_FAULT,
			     "%s: status %d: %s", modes[i], r.status, r.err);
		cr_assert_eq(r.outlen, 4, "%s", modes[i]);
		cr_assert(!memcmp(r.out, "\x00\x09\xe0\xfe", 4),
			  "%s: %02x %02x %02x %02x", modes[i],
			  (uint8_t)r.out[0], (uint8_t)r.out[1],
			  (uint8_t)r.out[2], (uint8_t)r.out[3]);
		/* the first WRMSR emulated, the second's #GP the guest's */
		cr_assert(strstr(r.err, "wrmsr  -> emulated") &&
				  strstr(r.err,
					 "wrmsr  -> raised to the guest") &&
				  strstr(r.err, "delivering vector 13"),
			  "%s: %s", modes[i], r.err);
	}
}

/* XGETBV and a VEX AVX instruction raise #UD under translation: the
 * virtual CPU has no XSAVE (no IDT here, so #UD ends as a triple
 * fault, which --trace names). */
Test(cli, bt_hidden_features_raise_ud)
{
	const char *names[] = {"hidden-xgetbv", "hidden-vaddps",
			       "hidden-rdpid"};
	const char *modes[] = {"bt-simple", "bt"};
	struct result r;

	for (int m = 0; m < 2; m++)
		for (int i = 0; i < 3; i++) {
			run(&r, (const char *const[]){
					"--mode", modes[m], "--trace", "traps",
					asm_guest(names[i]), NULL});
			cr_assert_eq(r.status, REFVMM_EXIT_TRIPLE_FAULT,
				     "%s case %d: status %d: %s", modes[m], i,
				     r.status, r.err);
			cr_assert(strstr(r.err, "#UD"), "%s case %d: %s",
				  modes[m], i, r.err);
		}
}

/* XSAVES in every software mode raises #UD: the virtual CPU has no
 * XSAVE. Trap mode sees the host's #GP (XSAVES at host CPL 3) and must
 * answer with the virtual CPU's #UD, not reflect the #GP (no IDT: a
 * triple fault, which --trace names). */
Test(cli, hidden_xsaves_raises_ud)
{
	const char *modes[] = {"trap", "bt-simple", "bt"};
	struct result r;

	for (int m = 0; m < 3; m++) {
		run(&r, (const char *const[]){
				"--mode", modes[m], "--trace", "traps",
				asm_guest("hidden-xsaves"), NULL});
		cr_assert_eq(r.status, REFVMM_EXIT_TRIPLE_FAULT,
			     "%s: status %d: %s", modes[m], r.status, r.err);
		cr_assert(strstr(r.err, "vector 6") &&
				  !strstr(r.err, "vector 13"),
			  "%s: %s", modes[m], r.err);
	}
}

/*
 * Containment: an implicit-memory store with a GS override aimed at the
 * monitor's landing address stays in the guest's own segment, under both
 * translation modes. Where vm.mmap_min_addr keeps guest page 1 from being
 * mapped, the store needs emulation the monitor refuses for MASKMOVQ: one
 * line and status 86, still contained (never 72, a crash inside refvmm).
 */
Test(cli, bt_maskmovq_with_gs_override_stays_in_the_guest)
{
	const char *modes[] = {"bt-simple", "bt"};
	FILE *f = fopen("/proc/sys/vm/mmap_min_addr", "r");
	unsigned long min_addr = 65536;
	struct result r;

	if (f) {
		if (fscanf(f, "%lu", &min_addr) != 1)
			min_addr = 65536;
		fclose(f);
	}
	for (int i = 0; i < 2; i++) {
		run(&r, (const char *const[]){
				"--mode", modes[i], "--timeout", "30",
				asm_guest("escape-maskmovq-gs"), NULL});
		if (min_addr <= 0x1000)
			cr_assert_eq(r.status, 1, "%s: status %d: %s", modes[i],
				     r.status, r.err);
		else
			cr_assert(
				r.status == 1 ||
					r.status == REFVMM_EXIT_INTERNAL_ERROR,
				"%s: status %d: %s", modes[i], r.status, r.err);
	}
}

/*
 * The containment oracle: a store into the monitor's vCPU page outside
 * translated code's scratch, or into the selector translated code
 * reloads GS with, ends the run with status 92 and one line saying what
 * changed, even though the guest itself finishes normally. The monitor
 * makes the store (REFVMM_BREACH_PROBE), as a guest past the translator
 * would.
 */
Test(cli, bt_integrity_oracle_sees_a_breach)
{
	static const struct {
		const char *probe, *line;
	} probes[] = {
		{"canary", "containment: vCPU page byte 0xfff is 0x00"},
		{"gs-selector",
		 "containment: the monitor's GS selector is 0x2b"},
	};
	const char *modes[] = {"bt-simple", "bt"};
	struct result r;

	for (int m = 0; m < 2; m++) {
		run(&r, (const char *const[]){"--mode", modes[m],
					      asm_guest("exit-0"), NULL});
		cr_assert_eq(r.status, 1, "%s intact: %s", modes[m], r.err);
		for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]);
		     i++) {
			setenv("REFVMM_BREACH_PROBE", probes[i].probe, 1);
			run(&r,
			    (const char *const[]){"--mode", modes[m],
						  asm_guest("exit-0"), NULL});
			unsetenv("REFVMM_BREACH_PROBE");
			cr_assert_eq(r.status, REFVMM_EXIT_CONTAINMENT,
				     "%s %s: status %d: %s", modes[m],
				     probes[i].probe, r.status, r.err);
			cr_assert(strstr(r.err, probes[i].line), "%s", r.err);
		}
	}
}

/*
 * bt_page.sysx is translated code's claim that a SYSENTER or SYSEXIT ran
 * in the translation (bt/fast_sysx.h): written with none run, at CPL 3
 * while the routines are armed, the live SS is not the one the routine
 * loads, and the run ends with an internal error instead of CPL 0 for
 * the user's code.
 */
Test(cli, bt_a_forged_sysenter_claim_ends_the_run)
{
	const char *modes[] = {"bt-simple", "bt"};
	struct result r;

	for (int m = 0; m < 2; m++) {
		setenv("REFVMM_BREACH_PROBE", "sysx", 1);
		run(&r,
		    (const char *const[]){"--mode", modes[m],
					  asm_guest("fast-syscalls"), NULL});
		unsetenv("REFVMM_BREACH_PROBE");
		expect_line(&r, REFVMM_EXIT_INTERNAL_ERROR,
			    "reports a SYSENTER, SYSEXIT, INT or IRETD (1) "
			    "that was not armed or did not run");
	}
}

/*
 * The campaign's instruments: --count-insns counts what translated code
 * runs (adapt-loop: 2 + 200 * 5 + 1 + 2 = 1005 instructions, the OUT that
 * ends it included, whether its MMIO store traps, is a callout or runs
 * natively), --translation-log names each translated instruction's kind.
 */
Test(cli, bt_counts_guest_instructions_and_logs_translations)
{
	const char *modes[] = {"bt-simple", "bt"};
	char log[] = "/tmp/refvmm-translog-XXXXXX";
	int fd = mkstemp(log);
	struct result r;
	char line[128];
	FILE *f;

	cr_assert(fd >= 0);
	close(fd);
	for (int m = 0; m < 2; m++) {
		run(&r,
		    (const char *const[]){"--mode", modes[m], "--count-insns",
					  "--stats", "--translation-log", log,
					  asm_guest("adapt-loop"), NULL});
		cr_assert_eq(r.status, (3 << 1) | 1, "%s", r.err);
		cr_assert_eq(stat_of(&r, "bt.guest_insns"), 1005, "%s: %s",
			     modes[m], r.err);
		f = fopen(log, "r");
		cr_assert_not_null(f);
		cr_assert(fgets(line, sizeof(line), f));
		cr_expect_str_eq(line, "plain bb000000ff\n", "mov $imm, %%ebx");
		fclose(f);
	}
	unlink(log);
	run(&r, (const char *const[]){"--mode", "trap", "--count-insns",
				      asm_guest("exit-0"), NULL});
	expect_line(&r, REFVMM_EXIT_USAGE, "need --mode bt-simple or bt");
}

/* trap mode cannot stop a far jump to the host's 64-bit code segment,
 * but it notices the guest came back as 64-bit host code: status 92, and
 * the line says direct execution cannot contain it. */
Test(cli, trap_far_jump_to_host_code_is_reported_as_a_breach)
{
	struct result r;

	run(&r,
	    (const char *const[]){"--mode", "trap", "--timeout", "30",
				  asm_guest("far-jump-to-host-code"), NULL});
	expect_line(&r, REFVMM_EXIT_CONTAINMENT,
		    "direct execution cannot contain this");
}

/*
 * The second wall: after start-up the monitor may make only the calls
 * and arguments its seccomp filter lists. Each probe makes one forbidden
 * call, as code that escaped the guest would (open a file, write to
 * another descriptor, push input into the terminal); the filter stops it
 * and refvmm ends with one line naming the call (status 72).
 */
Test(cli, software_modes_seccomp_stops_forbidden_calls)
{
	static const struct {
		const char *probe;
		const char *nr;
	} probes[] = {{"open", "number 257 "},
		      {"write3", "number 1 "},
		      {"tiocsti", "number 16 "}};
	const char *modes[] = {"trap", "bt-simple", "bt"};
	struct result r;

	for (int m = 0; m < 3; m++)
		for (int i = 0; i < 3; i++) {
			setenv("REFVMM_SECCOMP_PROBE", probes[i].probe, 1);
			run(&r,
			    (const char *const[]){"--mode", modes[m],
						  asm_guest("exit-0"), NULL});
			unsetenv("REFVMM_SECCOMP_PROBE");
			expect_line(&r, REFVMM_EXIT_HOST_ERROR,
				    "seccomp: the monitor made a system call "
				    "outside its allowlist");
			cr_assert(strstr(r.err, probes[i].nr), "%s %s: %s",
				  modes[m], probes[i].probe, r.err);
		}
}

/* --- escape guests: every redirectable access, checked architecturally --- */

/*
 * The escape guests (guests/escape-*.S) aim implicit-memory and
 * overridden accesses at the monitor's pages and check what the SDM says
 * happens; each exits 0 (status 1) only when it is contained and
 * correct. Every other status fails: a code the guest chose names the
 * failed check ((code << 1) | 1, guest.h), 0x40 + vector an unexpected
 * fault, 72 a crash inside refvmm, 86 a store the monitor would not
 * emulate. @modes is NULL-terminated; "hw" needs /dev/kvm and says so
 * when it is missing.
 */
static void escape_run(const char *name, const char *const *modes,
		       const char *want_out)
{
	struct result r;

	for (int m = 0; modes[m]; m++) {
		if (!strcmp(modes[m], "hw") &&
		    access("/dev/kvm", R_OK | W_OK)) {
			fprintf(stderr, "%s: no usable /dev/kvm, hw not run\n",
				name);
			continue;
		}
		run(&r, (const char *const[]){"--mode", modes[m], "--timeout",
					      "30", asm_guest(name), NULL});
		cr_expect_eq(r.status, 1,
			     "%s --mode %s: status %d (check 0x%x): %s", name,
			     modes[m], r.status, r.status >> 1, r.err);
		if (want_out)
			cr_expect(r.outlen == strlen(want_out) &&
					  !memcmp(r.out, want_out, r.outlen),
				  "%s --mode %s: serial '%.*s', wanted '%s'",
				  name, modes[m], (int)r.outlen, r.out,
				  want_out);
	}
}

static const char *const bt_modes[] = {"bt-simple", "bt", NULL};

/* The RTC, the 8042 and PIT channel 2 through port 0x61, as Linux
 * probes them, in every mode. */
Test(cli, pc_devices_as_linux_probes_them)
{
	static const char *const all[] = {"hw", "trap", "bt-simple", "bt",
					  NULL};

	escape_run("pc-devices", all, NULL);
}

/* Not trap: it runs GS accesses through its emulator, which refuses
 * MASKMOV* and delivers #GP(0). */
Test(cli, escape_maskmov_overrides_land_in_the_guest_segment)
{
	escape_run("escape-maskmov", bt_modes, NULL);
}

/* A segment the monitor cannot shadow (it wraps past 4 GiB): every
 * access through it is emulated, MASKMOV* too. */
Test(cli, escape_maskmov_on_an_emulated_segment_lands_in_the_guest)
{
	escape_run("escape-maskmov-emulated", bt_modes, NULL);
}

/* hw: the CPU itself is the reference. trap: not run. The harness's
 * SEL_ES, SEL_FS and SEL_GS (0x20, 0x28, 0x30) name DPL-3 entries of the
 * host's GDT (Linux's 32-bit user code, user data, 64-bit user code), so
 * direct execution loads them without a trap and the guest's ES/FS/GS
 * get the host's flat segment until the next exit: CMPS, SCAS and XLAT
 * right after the load read through ES at base 0. MOV to a segment
 * register is sensitive and not privileged for such selectors; the
 * monitor only sees the load at the next exit and gives the guest its
 * own descriptor from there (selector-host-gdt.S). */
static const char *const bt_and_hw[] = {"bt-simple", "bt", "hw", NULL};

Test(cli, escape_string_sources_follow_the_override)
{
	escape_run("escape-string-src", bt_and_hw, "DDDEEELLLLLLDDDFFFGGG");
}

Test(cli, escape_string_destinations_stay_in_es)
{
	escape_run("escape-string-dst", bt_and_hw, NULL);
}

/* Also XLAT on the window's addresses: all ones, as on hw. */
Test(cli, escape_xlat_follows_the_override)
{
	escape_run("escape-xlat", bt_and_hw, NULL);
}

static const char *const sw_modes[] = {"bt-simple", "bt", "trap", NULL};

/* Kicks that land between the entry's segment loads leave the guest's
 * selectors alone (the bail path keeps what the monitor set). */
Test(cli, segments_survive_kicks_at_entry)
{
	escape_run("segments-under-kicks", sw_modes, NULL);
}

Test(cli, escape_patch_site_forgery_stays_in_the_guest)
{
	escape_run("escape-patch-site", bt_and_hw, NULL);
}

/* Not hw: paging there is the host KVM's, which this guest does not
 * test. */
Test(cli, escape_stores_to_every_monitor_page_stay_in_the_guest)
{
	escape_run("escape-monitor-pages", sw_modes, NULL);
}

/* Code at the window's linear addresses, mapped by guest paging; the
 * monitor runs it instruction by instruction (emu/window.c). */
Test(cli, escape_window_code_uses_the_guest_page_tables)
{
	escape_run("escape-window", sw_modes, NULL);
}

Test(cli, escape_window_without_ram_is_ud)
{
	escape_run("escape-window-no-ram", sw_modes, NULL);
}

/* Not trap: it runs AVX natively whatever the guest's CR4 says. */
Test(cli, escape_vmaskmovdqu_is_ud)
{
	escape_run("escape-vmaskmovdqu", bt_modes, NULL);
}

/*
 * The seccomp filter and executable mappings: after start-up, the BT
 * modes stop mmap and mprotect with PROT_EXEC (status 72, the call's
 * number on the line: 9 mmap, 10 mprotect); trap mode allows them, since
 * it maps guest pages executable, and the guest runs to its exit.
 */
Test(cli, software_modes_seccomp_and_exec_mappings)
{
	static const struct {
		const char *probe;
		const char *nr;
	} probes[] = {{"mmap-exec", "number 9 "},
		      {"mprotect-exec", "number 10 "}};
	const char *modes[] = {"trap", "bt-simple", "bt"};
	struct result r;

	for (int m = 0; m < 3; m++)
		for (int i = 0; i < 2; i++) {
			setenv("REFVMM_SECCOMP_PROBE", probes[i].probe, 1);
			run(&r,
			    (const char *const[]){"--mode", modes[m],
						  asm_guest("exit-0"), NULL});
			unsetenv("REFVMM_SECCOMP_PROBE");
			if (m == 0) {
				cr_expect_eq(r.status, 1, "trap %s: %d: %s",
					     probes[i].probe, r.status, r.err);
				continue;
			}
			cr_expect_eq(r.status, REFVMM_EXIT_HOST_ERROR,
				     "%s %s: status %d: %s", modes[m],
				     probes[i].probe, r.status, r.err);
			cr_expect(strstr(r.err, probes[i].nr), "%s %s: %s",
				  modes[m], probes[i].probe, r.err);
		}
}

/* Emulated XLAT and MASKMOVQ: 16-bit addressing, MMn under a non-zero
 * TOP and the x87 state after, a masked store that faults on its second
 * page. trap runs them through the same emulator. Not hw: some hosts'
 * KVM (kvm_pvm) stop with an emulation failure at EMMS after an MMX
 * load; the expectations come from the SDM. */
Test(cli, implicit_memory_emulation_details)
{
	escape_run("implicit-mem-emulated", sw_modes, NULL);
}

/* trap: the first native read through such an ES, before any exit,
 * still sees the host's segment; the guest reads only after its store. */
Test(cli, selector_naming_a_host_gdt_entry_reaches_the_guest_segment)
{
	static const char *const modes[] = {"trap", "bt-simple", "bt", "hw",
					    NULL};

	escape_run("selector-host-gdt", modes, NULL);
}

/*
 * Which of refvmm's mappings of guest linear space [0x1000, 0xffc00000)
 * are executable, read from /proc/PID/maps while @mode runs the spin
 * guest: -1 when none appeared within two seconds.
 */
static int exec_guest_mappings(const char *mode)
{
	const char *argv[] = {REFVMM_BIN, "--mode",	     mode, "--timeout",
			      "5",	  asm_guest("spin"), NULL};
	int devnull = open("/dev/null", O_WRONLY), st, found = -1;
	char path[64], line[512];
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (!pid) {
		dup2(devnull, 1);
		dup2(devnull, 2);
		execv(REFVMM_BIN, (char *const *)argv);
		_exit(127);
	}
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	for (int tries = 0; tries < 40 && found < 0; tries++) {
		FILE *f;

		usleep(50000);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			unsigned long lo, hi;
			char perms[8];

			if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 ||
			    lo < 0x1000 || hi > 0xffc00000ul)
				continue;
			if (found < 0)
				found = 0;
			found += perms[2] == 'x';
		}
		fclose(f);
	}
	kill(pid, SIGKILL);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	close(devnull);
	return found;
}

/* Binary translation never runs guest code from guest pages, so none is
 * executable (SMC, breakpoints and code pages keep them so too); trap
 * mode runs guest code on them, which shows the check can fail. */
Test(cli, bt_modes_map_no_guest_page_executable)
{
	need_sw_host();
	cr_expect_eq(exec_guest_mappings("bt-simple"), 0);
	cr_expect_eq(exec_guest_mappings("bt"), 0);
	cr_expect_gt(exec_guest_mappings("trap"), 0);
}

/* --- --load FILE@ADDR: raw bytes into guest RAM after the image --- */

/* A guest that exits with the byte at 0x300000 plus the one at 0x300100:
 * mov 0x300000, %al; add 0x300100, %al; out %al, $0xf4. */
static const uint8_t load_sum_code[] = {0xa0, 0x00, 0x00, 0x30, 0x00,
					0x02, 0x05, 0x00, 0x01, 0x30,
					0x00, 0xe6, 0xf4};

Test(cli, load_places_bytes_at_each_address)
{
	struct result r;
	char a[160], b[160], img[160];

	/* write_file's path is one static buffer: each is copied. */
	snprintf(img, sizeof(img), "%s",
		 guest("sum.elf", load_sum_code, sizeof(load_sum_code)));
	snprintf(a, sizeof(a), "%s@0x300000",
		 write_file("a.bin", "\x11\x99", 2));
	snprintf(b, sizeof(b), "%s@3145984", write_file("b.bin", "\x22", 1));
	run(&r, (const char *const[]){"--mode", "bt-simple", "--load", a,
				      "--load", b, img, NULL});
	cr_assert_eq(r.status, ((0x11 + 0x22) << 1) | 1, "status %d: %s",
		     r.status, r.err);
}

Test(cli, load_goes_over_the_image)
{
	/* mov $7, %al; out %al, $0xf4 over exit-0's first bytes. */
	struct result r;
	char spec[160];

	snprintf(spec, sizeof(spec), "%s@0x100000",
		 write_file("over.bin", "\xb0\x07\xe6\xf4", 4));
	run(&r, (const char *const[]){"--mode", "bt-simple", "--load", spec,
				      asm_guest("exit-0"), NULL});
	cr_assert_eq(r.status, (7 << 1) | 1, "status %d: %s", r.status, r.err);
}

Test(cli, load_missing_file)
{
	struct result r;
	char spec[160];

	snprintf(spec, sizeof(spec), "%s/none.bin@0x200000", dir);
	run(&r, (const char *const[]){"--mode", "bt-simple", "--load", spec,
				      asm_guest("exit-0"), NULL});
	expect_line(&r, REFVMM_EXIT_IMAGE_UNREADABLE, "cannot open file");
}

Test(cli, load_outside_guest_ram)
{
	struct result r;
	char end[160], wrap[160];
	const char *f = write_file("two.bin", "ab", 2);

	/* The last byte of 2 MiB is RAM, the one after it is not. */
	snprintf(end, sizeof(end), "%s@0x1fffff", f);
	snprintf(wrap, sizeof(wrap), "%s@0xffffffffffffffff", f);
	run(&r,
	    (const char *const[]){"--mode", "bt-simple", "--mem", "2M",
				  "--load", end, asm_guest("exit-0"), NULL});
	expect_line(&r, REFVMM_EXIT_USAGE, "do not fit in guest RAM");
	run(&r, (const char *const[]){"--mode", "bt-simple", "--load", wrap,
				      asm_guest("exit-0"), NULL});
	expect_line(&r, REFVMM_EXIT_USAGE, "do not fit in guest RAM");
}

Test(cli, load_bad_spec)
{
	static const char *const bad[] = {"file.bin", "file.bin@", "@0x1000",
					  "file.bin@0x10zz", "file.bin@-1"};
	struct result r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		run(&r, (const char *const[]){"--load", bad[i],
					      asm_guest("exit-0"), NULL});
		expect_line(&r, REFVMM_EXIT_USAGE, "expected FILE@ADDR");
	}
}

/* One run of a test guest in @mode with @stats (--stats or
 * --stats=json); the guest's exit 0 (status 1) or the failed check. */
static void run_guest_passing(struct result *r, const char *mode,
			      const char *stats, const char *path)
{
	run(r, (const char *const[]){"--mode", mode, stats, path, NULL});
	cr_assert_eq(r->status, 1,
		     "--mode %s: exit %d, guest check %d failed: %s", mode,
		     r->status, r->status >> 1, r->err);
}

/* Guest @name exits 0 (every check it makes passed) in trap,
 * bt-simple and bt. */
static void passes_in_every_software_mode(const char *name)
{
	static const char *const modes[] = {"trap", "bt-simple", "bt"};
	const char *p = asm_guest(name);
	struct result r;

	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
		run_guest_passing(&r, modes[m], "--stats", p);
}

/* A counter and the value a run must print for it. */
struct want_stat {
	const char *name;
	unsigned long value;
};

/* Every counter of @want at its value in the --stats of run @r. */
static void expect_stats(const struct result *r, const char *mode,
			 const struct want_stat *want, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned long v = stat_of(r, want[i].name);

		cr_assert_eq(v, want[i].value, "--mode %s: %s %lu, not %lu: %s",
			     mode, want[i].name, v, want[i].value, r->err);
	}
}

/*
 * A fast callout is finished by the gate (bt/fast.c), with the full
 * path's names: 10001 PUSH ES at CPL 0 (bt.callouts.push,
 * emulated.push). After 4096 fast ones the next takes the full path, so
 * that the run loop's integrity check still runs every 4096 entries:
 * the 4097th and the 8194th, so 9999 fast. The MOV to CR2 is a callout;
 * the MOV from CR2 after it runs in the translation and reads the value
 * written (the guest checks it).
 */
Test(cli, bt_fast_callouts_finish_in_the_gate)
{
	static const char *const modes[] = {"bt-simple", "bt"};
	const char *p = asm_guest("fast-callouts");
	struct result r;
	unsigned long fast, push, checks;

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		run_guest_passing(&r, modes[i], "--stats", p);
		fast = stat_of(&r, "bt.fast_callouts");
		push = stat_of(&r, "bt.callouts.push");
		checks = stat_of(&r, "bt.integrity_checks");
		cr_assert_eq(push, stat_of(&r, "emulated.push"), "%s", r.err);
		cr_assert(fast == 9999 && push == 10001,
			  "--mode %s: %lu fast of %lu: %s", modes[i], fast,
			  push, r.err);
		cr_assert_eq(stat_of(&r, "bt.callouts.mov"), 1, "--mode %s: %s",
			     modes[i], r.err);
		cr_assert_eq(stat_of(&r, "bt.inline.mov_from_cr"), 1,
			     "--mode %s: %s", modes[i], r.err);
		cr_assert(checks >= 2, "--mode %s: %lu integrity checks: %s",
			  modes[i], checks, r.err);
	}
}

/*
 * The #DE round trip (bt/fast_event.h, fast_isys.h): 2000 DIVs by zero
 * at CPL 0, each delivered through the guest's IDT to a handler that
 * IRETs. With paging off all 1000 deliveries and IRETs run in the
 * translation; with paging on they are fast callouts but the first
 * delivery, which finds the stack page's D clear and takes the full
 * path, which sets it (the guest checks D and its count of #DE). Then
 * 10 through a gate to another code segment: full path both ways. The
 * counters are the full path's either way: 2010 raise_de exits and #DE
 * deliveries; the IRETDs not run in the translation are callouts.
 */
Test(cli, bt_fast_divide_error_round_trip)
{
	static const char *const modes[] = {"bt-simple", "bt"};
	const char *p = asm_guest("fast-divzero");
	struct result r;

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		run_guest_passing(&r, modes[i], "--stats", p);
		cr_assert_eq(stat_of(&r, "bt.inline.raise_de"), 1000,
			     "--mode %s: %s", modes[i], r.err);
		cr_assert_eq(stat_of(&r, "bt.inline.iretd"), 1000,
			     "--mode %s: %s", modes[i], r.err);
		cr_assert_eq(stat_of(&r, "bt.fast.raise_de"), 999,
			     "--mode %s: %s", modes[i], r.err);
		cr_assert_eq(stat_of(&r, "bt.fast.iretd"), 1000,
			     "--mode %s: %s", modes[i], r.err);
		cr_assert_eq(stat_of(&r, "bt.exits.raise_de"), 2010,
			     "--mode %s: %s", modes[i], r.err);
		cr_assert_eq(stat_of(&r, "delivered.exception.DE"), 2010,
			     "--mode %s: %s", modes[i], r.err);
		cr_assert_eq(stat_of(&r, "bt.callouts.iretd"), 1010,
			     "--mode %s: %s", modes[i], r.err);
		cr_assert_eq(stat_of(&r, "emulated.iretd"), 1010,
			     "--mode %s: %s", modes[i], r.err);
	}
}

/*
 * A page whose frame keeps changing (guests/fast-hot-page.S: 1000 moves,
 * each followed by four reads and two stores through the adapted forms
 * of bt/fast_shadow.h): every value, A and D right in every mode. Under bt the
 * page is hot after its first moves, so its accesses are adapted
 * callouts and its INVLPGs decline their fill; the gate finishes them
 * and the PTE stores that move it (bt.fast.adapted, bt.fast.invlpg;
 * shadow__quiet_pt_store), and the full path only those a
 * pending kick or the integrity check's turn sends it. bt-simple maps
 * the page at every move, and its INVLPG keeps that mapping: the gate's
 * too. Trap mode has no gate.
 */
Test(cli, bt_fast_accesses_to_a_hot_page)
{
	static const char *const modes[] = {"bt-simple", "bt", "trap"};
	const char *p = asm_guest("fast-hot-page");
	struct result r;

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		unsigned long adapted, fast, fast_invlpg;

		run_guest_passing(&r, modes[i], "--stats", p);
		cr_assert_eq(stat_of(&r, "shadow.invlpg"), 1000,
			     "--mode %s: %s", modes[i], r.err);
		if (!strcmp(modes[i], "trap")) {
			cr_assert_null(strstr(r.err, "bt.fast."), "%s", r.err);
			continue;
		}
		/* the mapping the PTE store's fill made is still valid at
		 * the INVLPG: kept, by the gate */
		fast_invlpg = stat_of(&r, "bt.fast.invlpg");
		cr_assert(fast_invlpg >= 990 && fast_invlpg <= 1000, "%s",
			  r.err);
		if (!strcmp(modes[i], "bt-simple")) {
			cr_assert_geq(stat_of(&r, "shadow.invlpg_kept"),
				      fast_invlpg, "%s", r.err);
			cr_assert_null(strstr(r.err, "bt.fast.adapted"), "%s",
				       r.err);
			continue;
		}
		/* the page is hot: its INVLPGs decline the fill, by the gate;
		 * six accesses a move and the PTE store (a quiet store of the
		 * traced table: the hot page's move), the first moves' before
		 * the page is hot, a few to the full path by a kick */
		adapted = stat_of(&r, "bt.adapt.callouts");
		fast = stat_of(&r, "bt.fast.adapted");
		cr_assert_geq(stat_of(&r, "shadow.hot_declined"), fast_invlpg,
			      "%s", r.err);
		cr_assert(fast >= 6900 && fast <= 7000, "%s", r.err);
		cr_assert_leq(fast, adapted, "%s", r.err);
	}
}

/*
 * Demand paging through each form of an adapted access the gate
 * finishes (guests/demand-pf.S: 2100 first touches of a not-present
 * page, seven forms, 300 rounds each; the handler checks the error
 * code, CR2, the frame and IF after the gate). Each mode delivers each
 * #PF once. Under bt a store's site becomes an adapted callout after
 * two rounds (the retried store's hidden fault counts, retranslate.c),
 * and from then on the gate raises its #PF (bt.fast.raise_pf) and
 * finishes its retry (bt.fast.adapted): at most 4 x 298, less the few
 * the integrity check's turn sends to the full path. A load's retry
 * counts for nothing, so its site stays native and its #PF a host
 * fault. bt-simple adapts nothing: the same guest through the full
 * path. Trap mode is left out: its PUSHF shows the host's IF.
 */
Test(cli, bt_fast_page_faults_of_adapted_accesses)
{
	static const char *const modes[] = {"bt-simple", "bt"};
	const char *p = asm_guest("demand-pf");
	unsigned long raised;
	struct result r;

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		run_guest_passing(&r, modes[i], "--stats", p);
		cr_assert_eq(stat_of(&r, "delivered.exception.PF"), 2100,
			     "--mode %s: %s", modes[i], r.err);
		if (!strcmp(modes[i], "bt-simple")) {
			cr_assert_null(strstr(r.err, "bt.fast.raise_pf"), "%s",
				       r.err);
			continue;
		}
		raised = stat_of(&r, "bt.fast.raise_pf");
		cr_assert(raised >= 1150 && raised <= 4 * 298, "%s", r.err);
		cr_assert_geq(stat_of(&r, "bt.fast.adapted"), raised, "%s",
			      r.err);
	}
}

/*
 * IN of a published pure port (pio_pure.h) runs in the translation
 * (bt/translate.c emit_in): 6000 reads of the UART's scratch register
 * (DX form) and the PIC's mask (imm8 form), the values checked by the
 * guest, then IIR (not published: the full path, a callout and an I/O
 * exit) and the scratch register again after an OUT changed it (the
 * copy follows the device). 6001 reads in the translation, no fast
 * callout; the I/O exits are IIR's and the four OUTs. trap mode runs
 * the same guest to the same values, each IN emulated.
 */
Test(cli, bt_fast_in_reads_published_ports)
{
	static const char *const modes[] = {"bt-simple", "bt", "trap"};
	const char *p = asm_guest("fast-in");
	struct result r;

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		bool trap = !strcmp(modes[i], "trap");

		run_guest_passing(&r, modes[i], "--stats", p);
		cr_assert_eq(stat_of(&r, "emulated.in"), trap ? 6002 : 1,
			     "--mode %s: %s", modes[i], r.err);
		if (trap)
			continue;
		cr_assert_eq(stat_of(&r, "bt.inline.in"), 6001, "--mode %s: %s",
			     modes[i], r.err);
		/* a counter that never moved is not printed */
		cr_assert(!strstr(r.err, "bt.fast.in"), "--mode %s: %s",
			  modes[i], r.err);
		cr_assert_eq(stat_of(&r, "bt.callouts.in"), 1, "--mode %s: %s",
			     modes[i], r.err);
		/* and the OUTs: two before the loop, one after, the exit */
		cr_assert_eq(stat_of(&r, "exits.io"), 5, "--mode %s: %s",
			     modes[i], r.err);
	}
}

/*
 * System calls that change CPL with paging off run in the translation
 * or finish in the gate (bt/fast_isys.h, fast_sysx.h, fast_cpl.h): 500
 * INT 0x80 round trips from CPL 3 and 500 SYSENTER/SYSEXIT round trips,
 * the guest checking the frame, the selectors, ESP and IF on both
 * sides. Taking the full path: the first IRET to CPL 3 (no lookup table
 * of the user's key yet), the IRET that must null a DPL-0 DS (the guest
 * checks DS = 0 after it), and the first INT, SYSENTER and SYSEXIT (the
 * new SS's or CS's shadow slot not yet written). The fast callouts
 * serve the INTs and the IRET before the translation is armed for
 * their vector and their CS and SS, and the last INT (0x82). The
 * kernel's SS has a base other than 0, so a frame written or read
 * through a stale host SS fails the guest's checks.
 * (Not trap mode: there the guest's MOV from CS reads the host's
 * selector, one of the obstacles docs/refvmm-trap.md lists.)
 */
Test(cli, bt_fast_system_calls_change_cpl_in_the_gate)
{
	static const char *const modes[] = {"bt-simple", "bt"};
	const char *p = asm_guest("fast-syscalls");
	struct result r;
	static const struct want_stat want[] = {
		{"emulated.int", 3},
		{"emulated.iretd", 3},
		{"emulated.sysenter", 1},
		{"emulated.sysexit", 1},
		{"trap.delivered_soft_int", 501},
		{"bt.fast.int", 2},
		{"bt.fast.iretd", 1},
		{"bt.inline.int", 498},
		{"bt.inline.iretd", 498},
		{"bt.inline.sysenter", 999},
		{"bt.inline.sysexit", 999},
		{"bt.callouts.int", 3},
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		run_guest_passing(&r, modes[i], "--stats", p);
		expect_stats(&r, modes[i], want,
			     sizeof(want) / sizeof(want[0]));
	}
}

/*
 * SYSENTER and SYSEXIT in the translation under the PIT's interrupts
 * (guests/sysx-under-kicks.S): kicks land inside the shared routines and
 * interrupts are delivered to CPL 3 after a SYSEXIT; the guest checks
 * ESP, the selectors and the interrupt frames. Every one of its 100,000
 * SYSENTERs and SYSEXITs ran exactly once, in the translation or
 * emulated (when an interrupt waits, STI and the SYSEXIT in its shadow
 * are the monitor's): the two counts add up to 100,000 each, however the
 * timer fell. (Not trap mode: its MOV from CS reads the host's selector,
 * docs/refvmm-trap.md.)
 */
Test(cli, bt_sysenter_in_the_translation_under_kicks)
{
	static const char *const insn[] = {"sysenter", "sysexit"};
	const char *modes[] = {"bt-simple", "bt"};
	const char *p = asm_guest("sysx-under-kicks");
	char name[64];
	struct result r;

	for (int m = 0; m < 2; m++) {
		run_guest_passing(&r, modes[m], "--stats", p);
		for (int i = 0; i < 2; i++) {
			unsigned long in, em;

			snprintf(name, sizeof(name), "bt.inline.%s", insn[i]);
			in = stat_of(&r, name);
			snprintf(name, sizeof(name), "emulated.%s ", insn[i]);
			em = strstr(r.err, name) ? stat_of(&r, name) : 0;
			cr_assert_eq(in + em, 100000,
				     "--mode %s: %s inline %lu + emulated %lu",
				     modes[m], insn[i], in, em);
			cr_assert_gt(in, 50000, "--mode %s: %s inline %lu",
				     modes[m], insn[i], in);
		}
	}
}

/*
 * INT 0x80 and IRETD in the translation (bt/fast_isys.h) while the
 * kernel changes what they were armed with by plain stores: the gate's
 * offset and type, TSS.ESP0 and SS0, the user data descriptor IRETD
 * loads SS from, the frame's CF (guests/isys-changes.S), and the PIT's
 * kicks land inside the routines. The guest checks every frame and
 * return. Every INT ran once, in the translation or as a callout (fast
 * or not: emulated.int counts both), 3,000 round trips and the final
 * INT 0x82; most in the translation; the two whose frame lands on the
 * page of translated code fault in the host inside the routine and are
 * rolled back to the callout.
 */
Test(cli, bt_int_and_iretd_in_the_translation_follow_guest_stores)
{
	const char *modes[] = {"bt-simple", "bt"};
	const char *p = asm_guest("isys-changes");
	struct result r;

	for (int m = 0; m < 2; m++) {
		unsigned long in, em, ret, rb;

		run_guest_passing(&r, modes[m], "--stats", p);
		in = stat_of(&r, "bt.inline.int");
		em = stat_of(&r, "emulated.int");
		ret = stat_of(&r, "bt.inline.iretd");
		rb = stat_of(&r, "bt.inline.rolled_back");
		cr_assert_eq(in + em, 3001, "--mode %s: INT inline %lu + %lu",
			     modes[m], in, em);
		cr_assert_gt(in, 1000, "--mode %s: INT inline %lu", modes[m],
			     in);
		cr_assert_gt(ret, 1000, "--mode %s: IRETD inline %lu", modes[m],
			     ret);
		cr_assert_eq(rb, 2, "--mode %s: %lu rolled back", modes[m], rb);
	}
}

/*
 * #DE at CPL 0 and IRETD to the same level in the translation
 * (bt/fast_isys.h) while the kernel changes, by plain stores, what they
 * were armed with: vector 0's gate (offset, type), the stack, the code
 * descriptor's bytes, the frame's CF (guests/de-changes.S), and the
 * PIT's kicks land inside the routines. The guest checks every frame
 * and return. Every #DE was delivered once, in the translation, by a
 * fast callout or by the full path (3,000); most in the translation;
 * the two whose frame lands on the page of translated code fault in the
 * host inside the routine and are rolled back, their #DE delivered the
 * long way. (trap mode cannot run it: PUSHF there shows the host's IF,
 * docs/refvmm-trap.md.)
 */
Test(cli, bt_divide_error_and_iretd_in_the_translation_follow_guest_stores)
{
	const char *modes[] = {"bt-simple", "bt"};
	const char *p = asm_guest("de-changes");
	struct result r;

	for (int m = 0; m < 2; m++) {
		unsigned long de, in, ret, rb;

		run_guest_passing(&r, modes[m], "--stats", p);
		de = stat_of(&r, "delivered.exception.DE");
		in = stat_of(&r, "bt.inline.raise_de");
		ret = stat_of(&r, "bt.inline.iretd");
		rb = stat_of(&r, "bt.inline.rolled_back");
		cr_assert_eq(de, 3000, "--mode %s: %lu #DE delivered", modes[m],
			     de);
		cr_assert_gt(in, 1000, "--mode %s: #DE inline %lu", modes[m],
			     in);
		cr_assert_gt(ret, 1000, "--mode %s: IRETD inline %lu", modes[m],
			     ret);
		cr_assert_eq(rb, 2, "--mode %s: %lu rolled back: %s", modes[m],
			     rb, r.err);
	}
}

/*
 * Every CS load sets its descriptor's accessed bit when it is clear
 * (guests/cs-accessed.S; SDM Vol. 3A 3.4.5.1): far JMP, CALL and RET,
 * IRET, INT n, and 200 rounds of #DE and IRETD at CPL 0, which the
 * binary translator's routines and fast callouts run only for a CS whose
 * bit is set (bt/fast_isys.h, fast_event.h): with it clear they must
 * leave the load to the emulator, which sets it. In every software
 * mode.
 */
Test(cli, code_segment_loads_set_the_accessed_bit)
{
	passes_in_every_software_mode("cs-accessed");
}

/*
 * A new EIP beyond the new CS's limit faults before anything moves
 * (guests/cs-limit.S): IRET and far RET #GP(0), INT n #GP(EXT), a call
 * gate #GP(0), and an IRET to the limited CS running, which a fast
 * callout could otherwise take (bt/fast_event.h). In every software
 * mode.
 */
Test(cli, a_new_eip_beyond_the_code_limit_faults)
{
	passes_in_every_software_mode("cs-limit");
}

/*
 * #DE and IRETD to the same level in the translation under the PIT's
 * kicks (guests/de-under-kicks.S): the kernel divides by zero until each
 * of 2,000 ticks arrives, nothing in its loop leaving the translation,
 * so kicks land inside the routines, many between a PUSHF and its POPF;
 * a kick whose stepping the POPF ended would leave its interrupt
 * waiting until the guest's bound fails it (check 1). Most #DE run in
 * the translation.
 */
Test(cli, bt_divide_error_in_the_translation_under_kicks)
{
	const char *modes[] = {"bt-simple", "bt"};
	const char *p = asm_guest("de-under-kicks");
	struct result r;

	for (int m = 0; m < 2; m++) {
		unsigned long in, steps;

		run_guest_passing(&r, modes[m], "--stats", p);
		in = stat_of(&r, "bt.inline.raise_de");
		steps = stat_of(&r, "bt.interrupts.stepped_to_boundary");
		cr_assert_gt(in, 2000, "--mode %s: #DE inline %lu", modes[m],
			     in);
		cr_assert_gt(steps, 0, "--mode %s: no kick stepped", modes[m]);
	}
}

/*
 * INT 0x80 and IRETD in the translation under the PIT's kicks
 * (guests/isys-under-kicks.S): the user makes round trips until each of
 * 2,000 ticks arrives, nothing in its loop leaving the translation, so
 * kicks land inside the routines, many between a PUSHF and its POPF; a
 * kick whose stepping the POPF ended would leave its interrupt waiting
 * until the guest's bound fails it (check 1). Most round trips run in
 * the translation.
 */
Test(cli, bt_int_and_iretd_in_the_translation_under_kicks)
{
	const char *modes[] = {"bt-simple", "bt"};
	const char *p = asm_guest("isys-under-kicks");
	struct result r;

	for (int m = 0; m < 2; m++) {
		unsigned long in, steps;

		run_guest_passing(&r, modes[m], "--stats", p);
		in = stat_of(&r, "bt.inline.int");
		steps = stat_of(&r, "bt.interrupts.stepped_to_boundary");
		cr_assert_gt(in, 2000, "--mode %s: INT inline %lu", modes[m],
			     in);
		cr_assert_gt(steps, 0, "--mode %s: no kick stepped", modes[m]);
	}
}

/*
 * Interrupt shadows and single steps under kicks that land anywhere
 * (guests/step-under-kicks.S, a kick every 20 us besides the deadline's,
 * REFVMM_KICK_STORM_US): each single-stepped instruction of a loop gets
 * its #DB, the interrupt pending at STI comes after the one instruction
 * of the shadow, and no interrupt comes between an STI that ends a
 * translation and the instruction after it. The monitor runs a stepped
 * or shadowed instruction alone and owes the step's work after it; a
 * kick that ended the run there (a boundary at the block's exit stub)
 * dropped a #DB or took the interrupt one instruction late, and one at
 * the start of the block after an STI delivered it one too early.
 * 240 s: the TCG VM of docs/ci.md runs the three modes in about 100.
 */
Test(cli, one_instruction_runs_under_a_kick_storm, .timeout = 240)
{
	const char *modes[] = {"bt-simple", "bt", "trap"};
	const char *p = asm_guest("step-under-kicks");
	struct result r;

	for (int m = 0; m < 3; m++) {
		unsigned long kicks;

		setenv("REFVMM_KICK_STORM_US", "20", 1);
		run(&r, (const char *const[]){"--mode", modes[m], "--stats", p,
					      NULL});
		unsetenv("REFVMM_KICK_STORM_US");
		cr_assert_eq(r.status, 1,
			     "--mode %s: exit %d, guest check %d failed: %s",
			     modes[m], r.status, r.status >> 1, r.err);
		/* the storm's own signals, whatever the host's speed: the
		 * 1,000 PIT ticks the guest waits for take 0.1 s at least */
		kicks = stat_of(&r, "kicks.storm_signals");
		cr_assert_geq(kicks, 100, "--mode %s: %lu storm signals: %s",
			      modes[m], kicks, r.err);
	}
}

/* The storm's period is checked before anything runs. */
Test(cli, kick_storm_out_of_range_is_a_usage_error)
{
	const char *bad[] = {"0", "1000001", "20us", ""};
	struct result r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("REFVMM_KICK_STORM_US", bad[i], 1);
		run(&r, (const char *const[]){asm_guest("exit-0"), NULL});
		unsetenv("REFVMM_KICK_STORM_US");
		expect_line(&r, 2,
			    "REFVMM_KICK_STORM_US must be a whole number of "
			    "microseconds from 1 to 1000000");
	}
}

/*
 * Lookup misses finished by the gate (bt/fast_lookup.h): 1000 calls each
 * through a register to two functions whose EIPs share a lookup table
 * slot, so that every call misses. The first two misses of each target
 * take the full path (one translates the block, the next checks it in
 * the current epoch: aspace.c); every other one is filled by the gate
 * and runs the right block (the guest sums what each function adds).
 */
Test(cli, bt_fast_lookup_misses_fill_the_table_in_the_gate)
{
	static const char *const modes[] = {"bt-simple", "bt"};
	const char *p = asm_guest("fast-lookup");
	struct result r;
	static const struct want_stat want[] = {
		{"bt.lookups.fast_miss", 1998},
		{"bt.lookups.miss", 2002},
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		run_guest_passing(&r, modes[i], "--stats", p);
		expect_stats(&r, modes[i], want,
			     sizeof(want) / sizeof(want[0]));
	}
}

/* CPUID.(EAX=7,ECX=0):EBX[20], SMAP, as the virtual CPU reports it (the
 * host's: the model keeps it). */
static bool host_has_smap(void)
{
	unsigned int a, b, c, d;

	return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b >> 20 & 1);
}

/*
 * PUSH, POP and MOV to Sreg, CLAC and STAC at CPL 0 finish in the gate
 * (bt/fast_seg.h, fast.c): 200 rounds of pushing DS, ES, FS, GS (four
 * segments with distinct bases) and popping them back rotated, then
 * loading them by MOV from four registers, the guest checking each
 * register by its selector and by a marker read through it, and
 * STAC/CLAC with EFLAGS.AC checked where the CPU has SMAP. Counted as the
 * full path counts them (1600 PUSH, 1600 POP, 1604 MOV to Sreg with the
 * harness's 4, 3205 other MOVs: the checks' reads of the selectors and
 * the harness's), and every one fast but the 4097th: after 4096 fast
 * callouts one goes the full way so that the run loop checks integrity
 * (fast.c), a PUSH or a POP here depending on whether STAC and CLAC ran.
 */
Test(cli, bt_fast_segment_pushes_pops_and_smap_flags)
{
	static const char *const modes[] = {"bt-simple", "bt"};
	static const char *const fast[] = {"bt.fast.push", "bt.fast.pop",
					   "bt.fast.mov", "bt.fast.stac",
					   "bt.fast.clac"};
	const char *p = asm_guest("fast-segs");
	unsigned long smap = host_has_smap() ? 200 : 0;
	const struct want_stat want[] = {
		{"bt.callouts.push", 1600},
		{"emulated.push", 1600},
		{"bt.callouts.pop", 1600},
		{"emulated.pop", 1600},
		{"bt.callouts.mov", 4809},
		{"emulated.mov", 4809},
		{"bt.callouts.stac", smap},
		{"bt.callouts.clac", smap},
		{"bt.fast_callouts", 4803 + 2 * smap},
	};
	struct result r;

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		unsigned long sum = 0;

		run_guest_passing(&r, modes[i], "--stats", p);
		expect_stats(&r, modes[i], want,
			     sizeof(want) / sizeof(want[0]));
		for (size_t k = 0; k < sizeof(fast) / sizeof(fast[0]); k++)
			if (strstr(r.err, fast[k]))
				sum += stat_of(&r, fast[k]);
		cr_assert_eq(sum, 4803 + 2 * smap, "--mode %s: %s", modes[i],
			     r.err);
		cr_assert_geq(stat_of(&r, "bt.fast.mov"), 1603, "--mode %s",
			      modes[i]);
	}
}

/* CPUID.80000001H:EDX[27], RDTSCP, as the virtual CPU reports it (the
 * host's: the model keeps it). */
static bool host_has_rdtscp(void)
{
	unsigned int a, b, c, d;

	return __get_cpuid(0x80000001, &a, &b, &c, &d) && (d >> 27 & 1);
}

/*
 * RDTSC and RDTSCP at CPL 0 run in the translation (translate.c
 * emit_rdtsc): the guest checks the carry into the high half after a
 * WRMSR to IA32_TSC, monotonic reads, its flags and ECX kept, and
 * IA32_TSC_AUX from RDTSCP. 101 RDTSC (and 1 RDTSCP where the CPU has
 * it) counted by bt.inline.rdtsc, none a callout; trap mode runs the
 * same guest to the same values.
 */
Test(cli, bt_rdtsc_in_the_translation)
{
	static const char *const modes[] = {"bt-simple", "bt", "trap"};
	const char *p = asm_guest("rdtsc-inline");
	unsigned long want = 101 + (host_has_rdtscp() ? 1 : 0);
	struct result r;

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		run_guest_passing(&r, modes[i], "--stats", p);
		if (!strcmp(modes[i], "trap"))
			continue;
		cr_assert_eq(stat_of(&r, "bt.inline.rdtsc"), want,
			     "--mode %s: %s", modes[i], r.err);
		/* a counter that never moved is not printed */
		cr_assert(!strstr(r.err, "bt.callouts.rdtsc"), "--mode %s: %s",
			  modes[i], r.err);
	}
}

/*
 * RDTSC at CPL 3 (guests/rdtsc-user.S): in the translation while CR4.TSD
 * is clear (the 101 reads the user makes), then #GP(0) at the same
 * instruction once the kernel set it, from the block translated before:
 * the one callout. Trap mode runs the guest for the same answers.
 */
Test(cli, bt_rdtsc_at_cpl3_in_the_translation_until_tsd)
{
	static const char *const modes[] = {"bt-simple", "bt", "trap"};
	const char *p = asm_guest("rdtsc-user");
	struct result r;
	static const struct want_stat want[] = {
		{"bt.inline.rdtsc", 101},
		{"bt.callouts.rdtsc", 1},
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		run_guest_passing(&r, modes[i], "--stats", p);
		if (strcmp(modes[i], "trap"))
			expect_stats(&r, modes[i], want,
				     sizeof(want) / sizeof(want[0]));
	}
}

/*
 * CMPXCHG8B after an ADD keeps the flags the ADD set (guests/cx8-flags.S),
 * in the bt modes on every host CPU. Where CMPXCHG8B reads a stale
 * lazy-flags state (QEMU 7.2's TCG, which the probe in sw/host_check.c
 * finds and nothing else), the translation ends the host's block before
 * each one: bt.cx8_syncs counts the translations that did (the loop's
 * two, at least once each). Trap mode runs the guest's own bytes: right
 * on hardware; on TCG the guest sees the erratum (its check 1), which
 * trap mode has no way to mend.
 */
Test(cli, cmpxchg8b_keeps_the_flags_an_add_left)
{
	static const char *const modes[] = {"bt-simple", "bt"};
	const char *p = asm_guest("cx8-flags");
	bool tcg = tcg_host();
	struct result r;

	cr_assert_eq(sw_host__cx8_stale_flags(), tcg,
		     "the CMPXCHG8B probe says %s on a %s host",
		     tcg ? "kept" : "stale", tcg ? "QEMU TCG" : "hardware");
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		const char *note;

		run_guest_passing(&r, modes[i], "--stats", p);
		note = strstr(r.err, "host.cmpxchg8b_flags");
		cr_assert_not_null(note, "--mode %s: %s", modes[i], r.err);
		note += strlen("host.cmpxchg8b_flags");
		note += strspn(note, " ");
		cr_assert(!strncmp(note, tcg ? "stale" : "kept", 4),
			  "--mode %s: %s", modes[i], r.err);
		if (tcg)
			cr_assert_geq(stat_of(&r, "bt.cx8_syncs"), 2,
				      "--mode %s: %s", modes[i], r.err);
		else
			cr_assert_eq(stat_of(&r, "bt.cx8_syncs"), 0,
				     "--mode %s: %s", modes[i], r.err);
	}
	run(&r, (const char *const[]){"--mode", "trap", p, NULL});
	cr_assert_eq(r.status, tcg ? (1 << 1) | 1 : 1, "trap: %s", r.err);
}

/*
 * The guest's XMM registers, MXCSR and x87 stack survive callouts (the
 * world switch saves the guest's extended state with XSAVEOPT and does
 * not save the monitor's), also after the guest changed them between two
 * callouts: exit 0 from the guest, in every software mode. Under bt its
 * two PUSH ES are fast callouts (bt/fast.c), which leave the guest's
 * registers loaded while the monitor runs; its six MOVs from CR0 and CR4
 * run in the translation.
 */
Test(cli, fpu_state_survives_callouts)
{
	static const char *const modes[] = {"bt-simple", "bt", "trap"};
	const char *p = asm_guest("fpu-across-callouts");
	struct result r;

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		run_guest_passing(&r, modes[i], "--stats=json", p);
		if (!strcmp(modes[i], "trap"))
			continue;
		cr_assert(strstr(r.err, "\"bt.callouts.cpuid\": 2"),
			  "--mode %s: %s", modes[i], r.err);
		cr_assert(strstr(r.err, "\"bt.fast_callouts\": 2,"),
			  "--mode %s: %s", modes[i], r.err);
		cr_assert(strstr(r.err, "\"bt.inline.mov_from_cr\": 6,"),
			  "--mode %s: %s", modes[i], r.err);
	}
}
