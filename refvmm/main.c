/*
 * refvmm: the reference virtual machine monitor of Popek. The command
 * line, the order things come up in, and the mapping from every failure
 * to one line on stderr and one documented exit status (exitcode.h,
 * docs/refvmm.md). Only this file decides to end the process.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "refvmm/boot.h"
#include "refvmm/exitcode.h"
#include "refvmm/host_cpu.h"
#include "refvmm/lapic.h"
#include "refvmm/loader.h"
#include "refvmm/log.h"
#include "refvmm/machine.h"
#include "refvmm/mode.h"
#include "refvmm/pic8259.h"
#include "refvmm/pit8254.h"
#include "refvmm/run.h"
#include "refvmm/vcpu.h"
#include "refvmm/watchdog.h"

enum stats_format { STATS_NONE, STATS_TABLE, STATS_JSON };

/* --load FILE@ADDR, several allowed. */
#define MAX_LOADS 16

struct raw_load {
	const char *file;
	u64 addr;
};

struct options {
	const char *mode;
	u64 mem;
	enum stats_format stats;
	unsigned int log_events;
	u64 timeout_ns;
	u64 serial_limit;
	unsigned int host_traps;
	struct raw_load loads[MAX_LOADS];
	unsigned int nr_loads;
	bool count_insns;
	bool check_host;
	const char *translog;
	struct boot_request boot; /* IMAGE or --kernel, --initrd, --append */
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out,
		"usage: refvmm [--mode MODE] [--mem SIZE] "
		"[--stats[=table|json]]\n"
		"              [--trace EVENTS] [--timeout S] [--serial-limit "
		"BYTES]\n"
		"              (IMAGE | --kernel FILE [--initrd FILE] "
		"[--append CMDLINE])\n"
		"       refvmm [--mode MODE] --check-host\n"
		"\n"
		"Boots IMAGE, a Multiboot v1 ELF32 kernel (64-bit probe images "
		"wrapped as\nELF32), or --kernel FILE: a Linux bzImage "
		"(32-bit boot protocol; an x86_64\nkernel the 64-bit one, "
		"--mode hw only; with --initrd and the command line\n"
		"--append) or a Multiboot image (--append after its name on "
		"its command\nline), with COM1 on stdout and the exit port "
		"0xf4.\n"
		"\n"
		"  --mode MODE        execution mode (default hw):\n");
	for (i = 0; mode__at(i); i++)
		fprintf(out, "                       %-9s %s\n",
			mode__at(i)->name, mode__at(i)->summary);
	fprintf(out,
		"  --mem SIZE         guest RAM, K/M/G suffix, plain number = "
		"MiB (default 256M,\n"
		"                     2M..3G)\n"
		"  --stats[=FORMAT]   print counters on stderr at the end: "
		"table "
		"(default) or json\n"
		"  --trace EVENTS     comma list of io (unclaimed ports), "
		"io-all, mmio, exit, irq,\n"
		"                     traps (software modes: each guest event "
		"with its\n"
		"                     instruction), faults (hidden, true and "
		"trace page\n"
		"                     faults), bt (each translation, guest | "
		"host),\n"
		"                     adapt (--mode bt: each adaptation "
		"decision), all;\n"
		"                     one line per event on stderr\n"
		"  --timeout S        end a guest still running after S "
		"seconds "
		"(default: none)\n"
		"  --serial-limit N   cut the guest off after N bytes of "
		"serial "
		"output, K/M/G\n"
		"                     suffix (default 4M)\n"
		"  --host-traps LIST  software modes: host traps to enable "
		"where the host\n"
		"                     offers them: all (default), none, or "
		"cpuid,rdtsc\n"
		"                     (CPUID faulting, RDTSC trapping)\n"
		"  --load FILE@ADDR   copy FILE's bytes into guest RAM at "
		"ADDR (guest-physical,\n"
		"                     0x for hex) after the image; up to "
		"16\n"
		"  --count-insns      bt-simple, bt: count the guest "
		"instructions translated\n"
		"                     code runs (--stats: bt.guest_insns; "
		"slower)\n"
		"  --translation-log FILE  bt-simple, bt: one line per "
		"instruction translated,\n"
		"                     KIND HEXBYTES (docs/security.md)\n"
		"  --check-host       say whether this host can run MODE "
		"(exit 0), or why not\n"
		"                     (70 or 74), and boot nothing\n"
		"  -h, --help         this text\n"
		"\n"
		"Exit status: (N << 1) | 1 when the guest writes N to port "
		"0xf4; 2 usage;\n"
		"64 image unreadable; 66 image "
		"malformed; 68 image\n"
		"needs what this run cannot give; 70 no usable /dev/kvm; 72 "
		"host error;\n"
		"74 the host lacks what the mode needs (software modes: "
		"32-bit code);\n"
		"80 triple fault; 82 guest hang (HLT nothing can wake); 84 "
		"serial flood;\n"
		"86 internal error (cannot emulate); 88 VM entry failed; 90 "
		"timeout;\n92 containment: the guest reached the monitor "
		"(host code, monitor memory).\n"
		"\n"
		"trap mode runs 32-bit guests (2-level or PAE paging on shadow "
		"page tables)\ndirectly at host CPL 3 and emulates what faults."
		"\nIt CANNOT contain a hostile guest: unmodified "
		"guest code can load\n"
		"or far-jump to the host's own selectors (0x33 is the 64-bit "
		"code segment of\n"
		"this process) and run as refvmm itself; only binary "
		"translation closes that\n"
		"door. A seccomp filter still turns every guest system call "
		"into a guest event.\n"
		"CPUID faulting and RDTSC trapping are used where the host "
		"allows\n(--host-traps); --stats says which "
		"(host.cpuid_faulting,\nhost.rdtsc_trapping). Guest CPUID "
		"answers come from refvmm's virtual CPU\n(docs/refvmm.md), "
		"natively executed only in trap mode without CPUID faulting.\n"
		"See docs/refvmm.md and docs/refvmm-trap.md.\n");
}

static int die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The one line every failure prints. */
static int die(int status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("refvmm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

/* "64M", "1G", "4096K", "1048576B"; a plain number is in @unit. */
static int parse_size(const char *s, u64 unit, u64 *out)
{
	unsigned long long v;
	char *end;
	u64 mult = unit;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (*end) {
		switch (*end++) {
		case 'b':
		case 'B':
			mult = 1;
			break;
		case 'k':
		case 'K':
			mult = KiB;
			break;
		case 'm':
		case 'M':
			mult = MiB;
			break;
		case 'g':
		case 'G':
			mult = GiB;
			break;
		default:
			return -EINVAL;
		}
		if (mult != 1 && (!strcmp(end, "iB") || !strcmp(end, "B")))
			end += strlen(end);
		if (*end)
			return -EINVAL;
	}
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

static int parse_seconds(const char *s, u64 *ns)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || v > 1e6)
		return -EINVAL;
	*ns = (u64)(v * NSEC_PER_SEC);
	return 0;
}

/* all | none | comma list of cpuid, rdtsc */
static int parse_host_traps(const char *s, unsigned int *out)
{
	static const struct {
		const char *name;
		unsigned int bits;
	} names[] = {{"all", HOST_TRAP_ALL},
		     {"none", 0},
		     {"cpuid", HOST_TRAP_CPUID},
		     {"rdtsc", HOST_TRAP_RDTSC}};
	char buf[64], *tok, *save = NULL;
	size_t i;

	if (strlen(s) >= sizeof(buf) || !*s)
		return -1;
	strcpy(buf, s);
	*out = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < ARRAY_SIZE(names); i++)
			if (!strcmp(tok, names[i].name))
				break;
		if (i == ARRAY_SIZE(names))
			return -1;
		*out |= names[i].bits;
	}
	return 0;
}

/* FILE@ADDR: the last '@' splits, so FILE may hold one. */
static int parse_load(char *s, struct raw_load *l)
{
	char *at = strrchr(s, '@'), *end;
	unsigned long long v;

	if (!at || at == s || !at[1] || at[1] == '-' || at[1] == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(at + 1, &end, 0);
	if (errno || *end)
		return -EINVAL;
	*at = 0;
	l->file = s;
	l->addr = v;
	return 0;
}

/* One option; -1 to go on, or the exit status to end with. */
static int apply_option(int c, char *optarg, char **argv, struct options *o)
{
	switch (c) {
	case 'm':
		o->mode = optarg;
		break;
	case 'M':
		if (parse_size(optarg, MiB, &o->mem) < 0 ||
		    o->mem < MACHINE_MEM_MIN || o->mem > MACHINE_MEM_MAX ||
		    o->mem % (4 * KiB))
			return die(REFVMM_EXIT_USAGE,
				   "bad --mem '%s': expected a size "
				   "from 2M to 3G, a multiple of 4K",
				   optarg);
		break;
	case 's':
		if (!optarg || !strcmp(optarg, "table"))
			o->stats = STATS_TABLE;
		else if (!strcmp(optarg, "json"))
			o->stats = STATS_JSON;
		else
			return die(REFVMM_EXIT_USAGE,
				   "bad --stats format '%s': expected "
				   "table or json",
				   optarg);
		break;
	case 't':
		if (log__parse_events(optarg, &o->log_events) < 0)
			return die(REFVMM_EXIT_USAGE,
				   "bad --trace '%s': expected a comma "
				   "list of io, io-all, mmio, exit, "
				   "irq, all",
				   optarg);
		break;
	case 'T':
		if (parse_seconds(optarg, &o->timeout_ns) < 0)
			return die(REFVMM_EXIT_USAGE,
				   "bad --timeout '%s': expected "
				   "seconds above 0",
				   optarg);
		break;
	case 'L':
		if (parse_size(optarg, 1, &o->serial_limit) < 0)
			return die(REFVMM_EXIT_USAGE,
				   "bad --serial-limit '%s': expected "
				   "a byte count",
				   optarg);
		break;
	case 'H':
		if (parse_host_traps(optarg, &o->host_traps) < 0)
			return die(REFVMM_EXIT_USAGE,
				   "bad --host-traps '%s': expected "
				   "all, none or a comma list of "
				   "cpuid, rdtsc",
				   optarg);
		break;
	case 'l':
		if (o->nr_loads == MAX_LOADS)
			return die(REFVMM_EXIT_USAGE,
				   "more than %d --load options", MAX_LOADS);
		if (parse_load(optarg, &o->loads[o->nr_loads]) < 0)
			return die(REFVMM_EXIT_USAGE,
				   "bad --load '%s': expected FILE@ADDR",
				   optarg);
		o->nr_loads++;
		break;
	case 'C':
		o->count_insns = true;
		break;
	case 'X':
		o->translog = optarg;
		break;
	case 'k':
		o->boot.kernel = optarg;
		break;
	case 'i':
		o->boot.initrd = optarg;
		break;
	case 'a':
		o->boot.append = optarg;
		break;
	case 'c':
		o->check_host = true;
		break;
	case 'h':
		usage(stdout);
		return REFVMM_EXIT_OK;
	default:
		if (optopt)
			return die(REFVMM_EXIT_USAGE,
				   "option -%c unknown or missing its "
				   "argument (see --help)",
				   optopt);
		return die(REFVMM_EXIT_USAGE,
			   "option '%s' unknown or missing its "
			   "argument (see --help)",
			   argv[optind - 1]);
	}
	return -1;
}

/* Returns -1 to go on, or the exit status to end with. */
static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"mode", required_argument, NULL, 'm'},
		{"mem", required_argument, NULL, 'M'},
		{"stats", optional_argument, NULL, 's'},
		{"trace", required_argument, NULL, 't'},
		{"timeout", required_argument, NULL, 'T'},
		{"serial-limit", required_argument, NULL, 'L'},
		{"host-traps", required_argument, NULL, 'H'},
		{"load", required_argument, NULL, 'l'},
		{"count-insns", no_argument, NULL, 'C'},
		{"translation-log", required_argument, NULL, 'X'},
		{"kernel", required_argument, NULL, 'k'},
		{"initrd", required_argument, NULL, 'i'},
		{"append", required_argument, NULL, 'a'},
		{"check-host", no_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	*o = (struct options){
		.mode = "hw",
		.mem = MACHINE_MEM_DEFAULT,
		.serial_limit = MACHINE_SERIAL_LIMIT_DEF,
		.host_traps = HOST_TRAP_ALL,
	};
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		int r = apply_option(c, optarg, argv, o);

		if (r >= 0)
			return r;
	}
	if (o->check_host) {
		if (optind != argc || o->boot.kernel)
			return die(REFVMM_EXIT_USAGE,
				   "--check-host boots nothing: no IMAGE or "
				   "--kernel (see --help)");
		return -1;
	}
	if (o->boot.kernel && optind != argc)
		return die(REFVMM_EXIT_USAGE,
			   "both --kernel and IMAGE given (see --help)");
	if (!o->boot.kernel && optind != argc - 1)
		return die(REFVMM_EXIT_USAGE,
			   optind == argc ? "no IMAGE given (see --help)"
					  : "more than one IMAGE given (see "
					    "--help)");
	if (!o->boot.kernel && (o->boot.initrd || o->boot.append))
		return die(REFVMM_EXIT_USAGE,
			   "--initrd and --append need --kernel (see --help)");
	if (!o->boot.kernel)
		o->boot.kernel = argv[optind];
	if ((o->count_insns || o->translog) && strncmp(o->mode, "bt", 2))
		return die(REFVMM_EXIT_USAGE,
			   "--count-insns and --translation-log need --mode "
			   "bt-simple or bt");
	if (kick__storm_us() < 0)
		return die(REFVMM_EXIT_USAGE,
			   "REFVMM_KICK_STORM_US must be a whole number of "
			   "microseconds from 1 to 1000000");
	return -1;
}

/* The translation log, on a descriptor above 2 (translog.h): -1 to go
 * on, else the exit status. */
static int open_translog(struct machine *m, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int hi = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : -1;

	if (hi < 0)
		return die(REFVMM_EXIT_USAGE,
			   "cannot open --translation-log '%s': %s", path,
			   strerror(errno));
	if (hi != fd)
		close(fd);
	m->translog_fd = hi;
	return -1;
}

static int load_status(int r)
{
	if (r == -ENOEXEC)
		return REFVMM_EXIT_IMAGE_MALFORMED;
	if (r == -E2BIG)
		return REFVMM_EXIT_IMAGE_UNSUPPORTED;
	if (r == -EINVAL) /* --initrd with a Multiboot kernel */
		return REFVMM_EXIT_USAGE;
	return REFVMM_EXIT_IMAGE_UNREADABLE;
}

static int init_status(int r)
{
	if (r == -ENODEV)
		return REFVMM_EXIT_NO_KVM;
	if (r == -ENOSYS)
		return REFVMM_EXIT_HOST_UNSUPPORTED;
	if (r == -ENOTSUP)
		return REFVMM_EXIT_IMAGE_UNSUPPORTED;
	if (r == -EDOM) /* a mode's setting is out of range */
		return REFVMM_EXIT_USAGE;
	return REFVMM_EXIT_HOST_ERROR;
}

static void print_stats(struct vcpu *vcpu, const struct options *o)
{
	struct machine *m = vcpu->machine;

	if (o->stats == STATS_NONE)
		return;
	if (vcpu->mode->stats)
		vcpu->mode->stats(vcpu, &m->stats);
	stats__set(&m->stats, "serial.bytes", m->serial_bytes);
	if (m->pic)
		stats__set(&m->stats, "irq.spurious", m->pic->spurious);
	if (m->pit)
		stats__set(&m->stats, "irq.pit_raised", m->pit->irqs);
	if (m->lapic) {
		stats__set(&m->stats, "irq.lapic_timer", m->lapic->timer_irqs);
		stats__set(&m->stats, "irq.lapic_ipis", m->lapic->ipis);
		stats__set(&m->stats, "irq.lapic_extint", m->lapic->extint);
		stats__set(&m->stats, "irq.lapic_disabled_pic",
			   m->lapic->pic_while_disabled);
		stats__set(&m->stats, "irq.lapic_spurious", m->lapic->spurious);
	}
	fflush(stdout);
	if (o->stats == STATS_JSON)
		stats__print_json(&m->stats, stderr);
	else
		stats__print_table(&m->stats, stderr);
}

/* RAM, the image, the devices: -1 when built, else the exit status (the
 * machine then still needs machine__exit). */
static int build_machine(struct machine *m, struct clock *clock,
			 const struct options *o, const struct mode_ops *mode,
			 struct boot_info *boot)
{
	struct image_info *info;
	char err[512] = "";
	unsigned int i;
	int r;

	r = machine__init(m, o->mem, clock);
	if (r < 0) {
		return die(REFVMM_EXIT_HOST_ERROR,
			   "cannot allocate %llu MiB of guest RAM: %s",
			   (unsigned long long)(o->mem / MiB), strerror(-r));
	}
	m->log_events = o->log_events;
	m->serial_limit = o->serial_limit;
	m->host_traps = o->host_traps;
	m->count_insns = o->count_insns;
	if (o->translog && (r = open_translog(m, o->translog)) >= 0)
		return r;

	r = boot__load(m, &o->boot, boot, err, sizeof(err));
	if (r < 0)
		return die(load_status(r), "%s", err);
	info = &boot->image;
	for (i = 0; i < o->nr_loads; i++) {
		const struct raw_load *l = &o->loads[i];

		r = loader__load_raw(m, l->file, l->addr, err, sizeof(err));
		if (r < 0)
			return die(r == -ERANGE ? REFVMM_EXIT_USAGE
						: REFVMM_EXIT_IMAGE_UNREADABLE,
				   "--load: %s", err);
	}
	m->image_width = info->width;
	m->image_features = info->features;
	if (!(mode->widths &
	      (info->width == 64 ? MODE_WIDTH_64 : MODE_WIDTH_32))) {
		return die(REFVMM_EXIT_IMAGE_UNSUPPORTED,
			   "%s: a %u-bit image cannot run in mode %s (use "
			   "--mode hw)",
			   o->boot.kernel, info->width, mode->name);
	}
	r = machine__init_devices(m);
	if (r < 0) {
		return die(REFVMM_EXIT_HOST_ERROR,
			   "cannot set up the devices: %s", strerror(-r));
	}
	return -1;
}

static int run(const struct options *o)
{
	struct run_options ropts = {.timeout_ns = o->timeout_ns};
	const struct mode_ops *mode = mode__find(o->mode);
	struct boot_info boot;
	struct machine m;
	struct clock clock;
	struct vcpu vcpu;
	char err[512] = "";
	int r, status;

	if (!mode)
		return die(REFVMM_EXIT_USAGE,
			   "unknown mode '%s' (choose hw, bt, bt-simple, trap)",
			   o->mode);
	r = mode->host_check ? mode->host_check(err, sizeof(err)) : 0;
	if (o->check_host) {
		if (r < 0)
			return die(init_status(r), "%s", err);
		printf("refvmm: this host can run mode %s\n", mode->name);
		return REFVMM_EXIT_OK;
	}

	clock__init_monotonic(&clock);
	status = build_machine(&m, &clock, o, mode, &boot);
	if (status >= 0)
		goto out_machine;
	/* After the image (a bad one is reported whatever the host), before
	 * the engine: a host that cannot run the mode says so in one line. */
	if (r < 0) {
		status = die(init_status(r), "%s", err);
		goto out_machine;
	}

	memset(&vcpu, 0, sizeof(vcpu));
	vcpu.machine = &m;
	vcpu.mode = mode;
	boot__reset_vcpu(&vcpu, &boot);

	r = kick__init();
	if (r < 0) {
		status = die(REFVMM_EXIT_HOST_ERROR,
			     "cannot create the deadline timer: %s",
			     strerror(-r));
		goto out_machine;
	}
	r = watchdog__init();
	if (r < 0) {
		status = die(REFVMM_EXIT_HOST_ERROR,
			     "cannot create the watchdog timer: %s",
			     strerror(-r));
		goto out_kick;
	}
	r = mode->init(&vcpu, err, sizeof(err));
	if (r < 0) {
		status = die(init_status(r), "%s", err);
		goto out_kick;
	}

	status = vcpu__run_loop(&vcpu, &ropts);
	fflush(stdout);
	if (m.stop_msg[0])
		die(status, "%s", m.stop_msg);
	print_stats(&vcpu, o);
	mode->destroy(&vcpu);
out_kick:
	watchdog__exit();
	kick__exit();
out_machine:
	machine__exit(&m);
	fflush(stdout);
	return status;
}

int main(int argc, char **argv)
{
	struct options o;
	int status;

	/* A reader that goes away must not kill us mid-report. */
	signal(SIGPIPE, SIG_IGN);
	status = parse_args(argc, argv, &o);
	if (status >= 0)
		return status;
	/* The host's CPUID, read before any mode enables a host trap. */
	host_cpu__get();
	return run(&o);
}
